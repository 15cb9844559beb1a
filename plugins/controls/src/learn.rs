//! Learn: click a control in the control window, then move anything on any device; the
//! binding is inferred from what moved.

use bevy::prelude::*;

use crate::address::ControlId;
use crate::change::{ControlChange, Source};

/// Where learn is.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum LearnPhase {
    /// Not learning: controls act.
    #[default]
    Off,
    /// Waiting for the performer to click the control to bind.
    ChooseControl,
    /// Waiting for a device to move, to bind it to this control.
    Listening(ControlId),
}

/// Learn mode's state, shown by the control window.
#[derive(Resource, Debug, Clone, Default)]
pub struct Learn {
    /// Where learn is.
    pub phase: LearnPhase,
    /// What learn last did or warns of, for the control window.
    pub message: Option<String>,
}

impl Learn {
    /// While choosing, a click in the control window picks its control instead of moving it:
    /// true when the change was taken.
    pub fn take(&mut self, change: &ControlChange) -> bool {
        if self.phase != LearnPhase::ChooseControl || change.source != Source::Ui {
            return false;
        }
        self.phase = LearnPhase::Listening(change.id);
        self.message = Some(format!("{}: now move a control on a device", change.id.address()));
        true
    }
}
