//! Scripted actions: a RON list of actions at beats, fired through the same [`Action`] path as
//! a performer's hands, each at or after its beat once the decks have finished loading. Used for unattended runs (installations, tests, demos).
//!
//! ```ron
//! [
//!     (beat: 0.0, action: Deck(deck: 0, action: Play)),
//!     (beat: 16.0, action: Mixer(Crossfader(1.0))),
//! ]
//! ```

use std::path::Path;

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::components::DeckTrack;
use crate::transport::Transport;

/// One scripted action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedAction {
    /// Fired once the clock reaches this beat (launches then quantize as usual).
    pub beat: f64,
    /// What fires.
    pub action: Action,
}

/// Actions waiting for their beat.
#[derive(Resource, Debug, Default, Clone)]
pub struct ActionScript {
    actions: Vec<TimedAction>,
    next: usize,
}

impl ActionScript {
    /// A script from a list (sorted by beat, keeping the order of equal beats).
    pub fn new(mut actions: Vec<TimedAction>) -> Self {
        actions.sort_by(|a, b| a.beat.total_cmp(&b.beat));
        Self { actions, next: 0 }
    }

    /// Reads a script file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
        let actions: Vec<TimedAction> = engine_rt::ron_file::parse(&text, path).map_err(|e| e.to_string())?;
        if let Some(a) = actions.iter().find(|a| !a.beat.is_finite()) {
            return Err(format!("{}: beat {} is not a number", path.display(), a.beat));
        }
        Ok(Self::new(actions))
    }
}

/// Fires the actions whose beat the clock has reached, once no deck is still loading (so a
/// script never plays a deck before the set's track is on it).
pub(crate) fn run_script(
    mut script: ResMut<ActionScript>,
    transport: Res<Transport>,
    decks: Query<&DeckTrack>,
    mut actions: MessageWriter<Action>,
) {
    if decks.iter().any(|d| d.loading.is_some()) {
        return;
    }
    while let Some(a) = script.actions.get(script.next).filter(|a| a.beat <= transport.beat) {
        actions.write(a.action.clone());
        script.next += 1;
    }
}
