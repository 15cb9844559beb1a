//! Keyboard shortcuts: one table drives both the handling and the help panel.

use bevy::input::keyboard::KeyCode;
use bevy::prelude::*;
use phosphene_controls::address::LOOP_SIZES;
use phosphene_controls::{
    ControlChange, ControlId, ControlValue, DeckControl, DeckRef, MapControl, MixerControl, Source, TransportControl,
    VisualControl,
};
use phosphene_visuals::show::PostField;

use crate::UiState;

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shortcut {
    /// Play or pause the focused deck.
    PlayPause,
    /// The focused deck's CDJ cue button.
    Cue,
    /// Toggle sync on the focused deck.
    Sync,
    /// Toggle key lock on the focused deck.
    KeyLock,
    /// Hot-cue pad 0..8 (with Shift: clear it).
    HotCue(usize),
    /// Loop this many beats (press again to leave).
    Loop(f64),
    /// Focus a deck (0-based).
    Focus(usize),
    /// Hold to bend the tempo of the focused deck.
    Nudge(f64),
    /// Move the crossfader by this step (negative towards A).
    Crossfader(f32),
    /// Tap tempo.
    Tap,
    /// Switch to the next launch quantization.
    CycleLaunch,
    /// Show or hide the shortcut help.
    Help,
    /// With Ctrl: save the set.
    Save,
    /// Visuals: fade to black and back.
    Blackout,
    /// Visuals: hold the picture.
    Freeze,
    /// Visuals: the next scene, on the panel's quantization.
    NextScene,
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
    (KeyCode::KeyB, Shortcut::Blackout, "visuals: blackout on / off"),
    (KeyCode::KeyF, Shortcut::Freeze, "visuals: freeze on / off"),
    (
        KeyCode::KeyN,
        Shortcut::NextScene,
        "visuals: next scene (on the next bar, or as set)",
    ),
];

/// Name of a key for the help panel.
pub fn key_name(key: KeyCode) -> String {
    let s = format!("{key:?}");
    s.trim_start_matches("Key").trim_start_matches("Digit").to_string()
}

/// Turns key presses into control changes, for the focused deck where a deck is meant.
pub(crate) fn handle_keys(
    keys: Res<ButtonInput<KeyCode>>,
    mut ui: ResMut<UiState>,
    mut contexts: bevy_egui::EguiContexts,
    mut changes: MessageWriter<ControlChange>,
    mut set: MessageWriter<phosphene_set::SetCommand>,
) {
    // Typing into a text field is not playing.
    if contexts.ctx_mut().is_ok_and(|c| c.egui_wants_keyboard_input()) {
        return;
    }
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
    let deck = |c: DeckControl| ControlId::Deck(DeckRef::Focused, c);
    for &(key, shortcut, _) in SHORTCUTS {
        if let Shortcut::Nudge(amount) = shortcut {
            let value = if keys.just_pressed(key) {
                ControlValue::Set(amount)
            } else if keys.just_released(key) {
                ControlValue::Release
            } else {
                continue;
            };
            changes.write(ControlChange::new(deck(DeckControl::Nudge), value, Source::Keyboard));
            continue;
        }
        if !keys.just_pressed(key) {
            continue;
        }
        let press = |id: ControlId| Some((id, ControlValue::Press));
        let change = match shortcut {
            Shortcut::PlayPause => press(deck(DeckControl::Play)),
            Shortcut::Cue => press(deck(DeckControl::Cue)),
            Shortcut::Sync if ctrl => None,
            Shortcut::Sync => press(deck(DeckControl::Sync)),
            Shortcut::KeyLock => press(deck(DeckControl::KeyLock)),
            Shortcut::HotCue(slot) if shift => press(deck(DeckControl::HotCueDelete(slot))),
            Shortcut::HotCue(slot) => press(deck(DeckControl::HotCue(slot))),
            Shortcut::Loop(beats) => LOOP_SIZES
                .iter()
                .position(|b| *b == beats)
                .and_then(|i| press(deck(DeckControl::BeatLoop(i)))),
            Shortcut::Focus(d) => Some((ControlId::Map(MapControl::Focus), ControlValue::Set(d as f64))),
            Shortcut::Nudge(_) => None,
            Shortcut::Crossfader(step) => Some((
                ControlId::Mixer(MixerControl::Crossfader),
                ControlValue::Step(step as f64),
            )),
            Shortcut::Tap => press(ControlId::Transport(TransportControl::Tap)),
            Shortcut::CycleLaunch => press(ControlId::Transport(TransportControl::Launch)),
            Shortcut::Help => {
                ui.help = !ui.help;
                None
            }
            Shortcut::Save if ctrl => {
                set.write(phosphene_set::SetCommand::Save);
                None
            }
            Shortcut::Save => None,
            Shortcut::Blackout => press(ControlId::Visuals(VisualControl::Post(PostField::Blackout))),
            Shortcut::Freeze => press(ControlId::Visuals(VisualControl::Post(PostField::Freeze))),
            Shortcut::NextScene => press(ControlId::Visuals(VisualControl::SceneNext)),
        };
        if let Some((id, value)) = change {
            changes.write(ControlChange::new(id, value, Source::Keyboard));
        }
    }
}
