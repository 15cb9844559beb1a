//! Keyboard shortcuts: one table drives both the handling and the help panel.

use bevy::input::keyboard::KeyCode;
use bevy::prelude::*;
use phosphene_decks::{Action, DeckAction, DeckPlayback, LaunchQuantize, MixerAction, MixerState, TransportAction};

use crate::UiState;

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shortcut {
    PlayPause,
    Cue,
    Sync,
    KeyLock,
    /// Hot-cue pad 0..8 (with Shift: clear it).
    HotCue(usize),
    /// Loop this many beats (press again to leave).
    Loop(f64),
    /// Focus a deck (0-based).
    Focus(usize),
    /// Hold to bend the tempo of the focused deck.
    Nudge(f64),
    Crossfader(f32),
    Tap,
    CycleLaunch,
    Help,
    Save,
}

/// Every shortcut: key, what it does, and the help text.
pub const SHORTCUTS: &[(KeyCode, Shortcut, &str)] = &[
    (
        KeyCode::Space,
        Shortcut::PlayPause,
        "play / pause (play lands on the launch quantization)",
    ),
    (KeyCode::KeyC, Shortcut::Cue, "cue (CDJ style)"),
    (KeyCode::KeyS, Shortcut::Sync, "sync on / off"),
    (KeyCode::KeyK, Shortcut::KeyLock, "key lock on / off"),
    (KeyCode::Digit1, Shortcut::HotCue(0), "hot cue 1 (Shift: clear)"),
    (KeyCode::Digit2, Shortcut::HotCue(1), "hot cue 2"),
    (KeyCode::Digit3, Shortcut::HotCue(2), "hot cue 3"),
    (KeyCode::Digit4, Shortcut::HotCue(3), "hot cue 4"),
    (KeyCode::Digit5, Shortcut::HotCue(4), "hot cue 5"),
    (KeyCode::Digit6, Shortcut::HotCue(5), "hot cue 6"),
    (KeyCode::Digit7, Shortcut::HotCue(6), "hot cue 7"),
    (KeyCode::Digit8, Shortcut::HotCue(7), "hot cue 8"),
    (KeyCode::KeyL, Shortcut::Loop(4.0), "4-beat loop / leave loop"),
    (KeyCode::KeyJ, Shortcut::Loop(1.0), "1-beat loop"),
    (KeyCode::KeyH, Shortcut::Loop(0.5), "1/2-beat loop"),
    (KeyCode::F1, Shortcut::Focus(0), "focus deck 1"),
    (KeyCode::F2, Shortcut::Focus(1), "focus deck 2"),
    (KeyCode::F3, Shortcut::Focus(2), "focus deck 3"),
    (KeyCode::F4, Shortcut::Focus(3), "focus deck 4"),
    (
        KeyCode::ArrowLeft,
        Shortcut::Nudge(-0.04),
        "hold: slow the deck down (nudge)",
    ),
    (
        KeyCode::ArrowRight,
        Shortcut::Nudge(0.04),
        "hold: speed the deck up (nudge)",
    ),
    (KeyCode::Comma, Shortcut::Crossfader(-0.1), "crossfader towards A"),
    (KeyCode::Period, Shortcut::Crossfader(0.1), "crossfader towards B"),
    (KeyCode::KeyT, Shortcut::Tap, "tap tempo"),
    (KeyCode::KeyQ, Shortcut::CycleLaunch, "cycle launch quantization"),
    (KeyCode::F12, Shortcut::Help, "show / hide this help"),
    (KeyCode::KeyS, Shortcut::Save, "with Ctrl: save the set"),
];

/// Name of a key for the help panel.
pub fn key_name(key: KeyCode) -> String {
    let s = format!("{key:?}");
    s.trim_start_matches("Key").trim_start_matches("Digit").to_string()
}

/// Turns key presses into actions for the focused deck.
#[allow(clippy::too_many_arguments)]
pub(crate) fn handle_keys(
    keys: Res<ButtonInput<KeyCode>>,
    mut ui: ResMut<UiState>,
    mut contexts: bevy_egui::EguiContexts,
    decks: Query<(&phosphene_decks::Deck, &DeckPlayback, &phosphene_decks::DeckControls)>,
    transport: Res<phosphene_decks::Transport>,
    mixer: Res<MixerState>,
    mut actions: MessageWriter<Action>,
    mut set: MessageWriter<phosphene_set::SetCommand>,
) {
    // Typing into a text field is not playing.
    if contexts.ctx_mut().is_ok_and(|c| c.egui_wants_keyboard_input()) {
        return;
    }
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
    let deck = ui.focus;
    let controls = decks.iter().find(|d| d.0.index == deck);
    for &(key, shortcut, _) in SHORTCUTS {
        if let Shortcut::Nudge(amount) = shortcut {
            if keys.just_pressed(key) {
                actions.write(Action::deck(deck, DeckAction::Nudge(amount)));
            } else if keys.just_released(key) {
                actions.write(Action::deck(deck, DeckAction::Nudge(0.0)));
            }
            continue;
        }
        if !keys.just_pressed(key) {
            continue;
        }
        let a = |a: DeckAction| Some(Action::deck(deck, a));
        let action = match shortcut {
            Shortcut::PlayPause => a(DeckAction::PlayPause),
            Shortcut::Cue => a(DeckAction::Cue),
            Shortcut::Sync if ctrl => None,
            Shortcut::Sync => controls.and_then(|(_, _, c)| a(DeckAction::Sync(!c.sync))),
            Shortcut::KeyLock => controls.and_then(|(_, _, c)| a(DeckAction::KeyLock(!c.keylock))),
            Shortcut::HotCue(slot) if shift => a(DeckAction::ClearHotCue(slot)),
            Shortcut::HotCue(slot) => a(DeckAction::HotCue(slot)),
            Shortcut::Loop(beats) => a(DeckAction::BeatLoop(beats)),
            Shortcut::Focus(d) => {
                ui.focus = d;
                None
            }
            Shortcut::Nudge(_) => None,
            Shortcut::Crossfader(step) => Some(Action::Mixer(MixerAction::Crossfader(mixer.crossfader + step))),
            Shortcut::Tap => Some(Action::Transport(TransportAction::Tap)),
            Shortcut::CycleLaunch => {
                let all = LaunchQuantize::ALL;
                let i = all.iter().position(|l| *l == transport.launch).unwrap_or(0);
                Some(Action::Transport(TransportAction::Launch(all[(i + 1) % all.len()])))
            }
            Shortcut::Help => {
                ui.help = !ui.help;
                None
            }
            Shortcut::Save if ctrl => {
                set.write(phosphene_set::SetCommand::Save);
                None
            }
            Shortcut::Save => None,
        };
        if let Some(action) = action {
            actions.write(action);
        }
    }
}
