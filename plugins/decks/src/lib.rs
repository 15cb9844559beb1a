//! Decks, cue points, loops, beat grids and the transport as Bevy entities, components and
//! resources, and the one path every control surface uses to change them: [`Action`] messages.
//!
//! - A deck is an entity with [`Deck`] (its engine index) and the components it requires:
//!   [`DeckPlayback`] and [`DeckLoop`] mirror the engine, [`DeckTrack`] holds the loaded track,
//!   [`DeckControls`] every knob as the performer left it; [`BeatGrid`] is present when the track
//!   has a tempo. Hot cues are [`HotCue`] child entities of their deck.
//! - [`Transport`] holds the clock and launch quantization, [`MixerState`] the mixer's controls.
//! - In [`DeckSet::Actions`] (`Update`) actions update controls and queue quantized intents for
//!   the engine bridge; in [`DeckSet::Mirror`] (`PreUpdate`, after the bridge drains) engine
//!   reports update the components.

mod action;
mod components;
mod grid;
mod mirror;
mod script;
mod transport;

use bevy::prelude::*;
use phosphene_engine_bridge::EngineSet;

pub use action::{
    Action, DeckAction, MixerAction, StampedAction, TransportAction, control_intents, loop_beats, mixer_intents,
    track_key,
};
pub use components::{
    BAR_BEATS, BeatGrid, Deck, DeckControls, DeckLoop, DeckPlayback, DeckTrack, FX_SLOTS, FxSlotState, HOT_CUES,
    HotCue, PAD_COLOURS,
};
pub use grid::{GRID_NUDGE_SECONDS, GRID_SCALES, GridEdit, GridTaps, TAPS_NEEDED};
pub use script::{ActionScript, TimedAction};
pub use transport::{LaunchQuantize, MixerState, Transport};

/// Stages of the decks plugin.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeckSet {
    /// `PreUpdate`, after [`EngineSet::Drain`]: engine state into components.
    Mirror,
    /// `Update`, before [`DeckSet::Actions`]: scripted actions whose beat has come are written.
    Script,
    /// `Update`: actions into controls and intents. Control surfaces write [`Action`]s before it.
    Actions,
}

/// Spawns `decks` deck entities and runs the action and mirror systems.
pub struct DecksPlugin {
    /// Number of decks (the engine's).
    pub decks: usize,
}

impl Plugin for DecksPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<Action>()
            .add_message::<StampedAction>()
            .init_resource::<Transport>()
            .init_resource::<MixerState>()
            .configure_sets(PreUpdate, DeckSet::Mirror.after(EngineSet::Drain))
            .add_systems(
                PreUpdate,
                (mirror::mirror_loads, mirror::mirror_applied, mirror::mirror_reports)
                    .chain()
                    .in_set(DeckSet::Mirror),
            )
            .add_systems(Update, action::apply_actions.in_set(DeckSet::Actions))
            .add_systems(Update, transport::switch_link.after(DeckSet::Actions))
            .configure_sets(Update, DeckSet::Script.before(DeckSet::Actions))
            .add_systems(
                Update,
                script::run_script
                    .in_set(DeckSet::Script)
                    .run_if(resource_exists::<script::ActionScript>),
            );
        for index in 0..self.decks {
            app.world_mut()
                .spawn((Deck { index }, Name::new(format!("Deck {}", index + 1))));
        }
    }
}
