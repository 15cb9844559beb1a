//! Ableton Link on the app side: the [`AbletonLink`] resource switches Link and shows its
//! state. The engine's clock follows Link on the audio thread ([`engine_rt::link`]).

use bevy::platform::cell::SyncCell;
use bevy::prelude::*;
use engine_rt::link::{LinkControl, LinkStatus};

/// Link's control side, inserted by the app when the engine's clock can follow Link.
#[derive(Resource)]
pub struct AbletonLink {
    control: SyncCell<LinkControl>,
    /// Beats per bar that phase is shown against (the engine clock's quantum).
    pub quantum: f64,
    /// Link as read in this frame's [`EngineSet::Drain`](crate::EngineSet::Drain).
    pub status: LinkStatus,
}

impl AbletonLink {
    /// Wraps a Link's control side; `quantum` as the engine clock's.
    pub fn new(control: LinkControl, quantum: f64) -> Self {
        Self {
            control: SyncCell::new(control),
            quantum,
            status: LinkStatus::default(),
        }
    }

    /// Asks for Link on or off (joining completes over the next frames).
    pub fn set_enabled(&mut self, on: bool) {
        self.control.get().set_enabled(on);
    }

    /// Whether Link is asked to be on.
    pub fn wanted(&mut self) -> bool {
        self.control.get().wanted()
    }

    /// Switches start/stop sync ([`LinkControl::set_start_stop_sync`]).
    pub fn set_start_stop_sync(&mut self, on: bool) {
        self.control.get().set_start_stop_sync(on);
    }

    /// Whether start/stop sync is asked to be on.
    pub fn start_stop_sync(&mut self) -> bool {
        self.control.get().start_stop_sync()
    }

    /// In a session with other peers: their tempo is the session's, not the set's.
    pub fn joined(&self) -> bool {
        self.status.enabled && self.status.peers > 0
    }
}

/// Completes a switch and reads Link's state once a frame.
pub(crate) fn update_link(mut link: ResMut<AbletonLink>) {
    let q = link.quantum;
    let control = link.control.get();
    control.update(q);
    let status = control.status(q);
    link.status = status;
}
