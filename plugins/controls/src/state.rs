//! State the control map owns and every source shares: the focused deck, the held modifier
//! layers and each deck's beat jump size.

use bevy::prelude::*;

use crate::address::{DEFAULT_JUMP, JUMP_SIZES};
use serde::{Deserialize, Serialize};

/// Which modifier layer is active (a binding acts on one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Layer {
    /// No modifier held.
    #[default]
    Base,
    /// While `/controls/shift` is on.
    Shift,
    /// While `/controls/alt` is on.
    Alt,
}

/// Focus, layers and per-deck settings of the control map.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct ControlState {
    /// The focused deck (0-based): what `/deck/focused/...` drives.
    pub focus: usize,
    /// Decks there are.
    pub decks: usize,
    /// `/controls/shift` is on.
    pub shift: bool,
    /// `/controls/alt` is on.
    pub alt: bool,
    /// Each deck's beat jump size, an index into [`JUMP_SIZES`].
    pub jump: Vec<usize>,
}

impl ControlState {
    /// Focus on deck 1, no layer held, default jump sizes.
    pub fn new(decks: usize) -> Self {
        Self {
            focus: 0,
            decks,
            shift: false,
            alt: false,
            jump: vec![DEFAULT_JUMP; decks],
        }
    }

    /// The layer bindings act on now (shift wins over alt when both are held).
    pub fn layer(&self) -> Layer {
        match (self.shift, self.alt) {
            (true, _) => Layer::Shift,
            (false, true) => Layer::Alt,
            _ => Layer::Base,
        }
    }

    /// A deck's beat jump size in beats.
    pub fn jump_beats(&self, deck: usize) -> f64 {
        JUMP_SIZES[self
            .jump
            .get(deck)
            .copied()
            .unwrap_or(DEFAULT_JUMP)
            .min(JUMP_SIZES.len() - 1)]
    }
}
