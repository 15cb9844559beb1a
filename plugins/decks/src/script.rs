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

/// One scripted action. Its values are checked against [`engine_rt::ranges`] as the file is
/// parsed, so a bad one is refused with its line and column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedAction {
    /// Fired once the clock reaches this beat (launches then quantize as usual).
    #[serde(deserialize_with = "engine_rt::ranges::de::beat")]
    pub beat: f64,
    /// What happens then.
    #[serde(deserialize_with = "engine_rt::ron_file::checked")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_in_an_actions_file_are_refused_with_their_place() {
        let dir = std::env::temp_dir().join(format!("phos-actions-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let cases = [
            (
                "(beat: 1.0, action: Mixer(Crossfader(NaN)))",
                "crossfader must be a finite number",
            ),
            (
                "(beat: 1.0, action: Deck(deck: 0, action: Filter(inf)))",
                "filter must be a finite number",
            ),
            (
                "(beat: 1.0, action: Deck(deck: 0, action: Rate(99.0)))",
                "rate must be 0.25..=4, not 99",
            ),
            (
                "(beat: 1.0, action: Deck(deck: 0, action: FxAmount(slot: 5, amount: 0.5)))",
                "FX slot",
            ),
            (
                "(beat: NaN, action: Deck(deck: 0, action: Play))",
                "beat must be a finite number",
            ),
        ];
        for (line, message) in cases {
            let path = dir.join("a.ron");
            std::fs::write(
                &path,
                format!("[\n    (beat: 0.0, action: Deck(deck: 0, action: Play)),\n    {line},\n]"),
            )
            .expect("write");
            let e = ActionScript::load(&path).unwrap_err();
            assert!(
                e.starts_with(&format!("{}:3:", path.display())) && e.contains(message),
                "{line}: {e}"
            );
        }
    }
}
