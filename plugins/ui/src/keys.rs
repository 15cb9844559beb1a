//! Keyboard shortcuts: one table drives both the handling and the help panel.

use bevy::input::keyboard::KeyCode;
use bevy::prelude::*;
use phosphene_decks::{Action, DeckAction, DeckPlayback, LaunchQuantize, MixerAction, MixerState, TransportAction};

use phosphene_visuals::{Scenes, VisualCommand, Visuals};

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

/// Turns key presses into actions for the focused deck.
pub(crate) fn handle_keys(
    keys: Res<ButtonInput<KeyCode>>,
    mut ui: ResMut<UiState>,
    mut contexts: bevy_egui::EguiContexts,
    decks: Query<(&phosphene_decks::Deck, &DeckPlayback, &phosphene_decks::DeckControls)>,
    transport: Res<phosphene_decks::Transport>,
    mixer: Res<MixerState>,
    mut actions: MessageWriter<Action>,
    mut set: MessageWriter<phosphene_set::SetCommand>,
    visuals: Option<Res<Visuals>>,
    scenes: Option<Res<Scenes>>,
    mut visual_commands: MessageWriter<VisualCommand>,
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
            Shortcut::Blackout | Shortcut::Freeze | Shortcut::NextScene => {
                if let (Some(v), Some(s)) = (&visuals, &scenes)
                    && let Some(c) = visual_command(shortcut, v, s)
                {
                    visual_commands.write(c);
                }
                None
            }
        };
        if let Some(action) = action {
            actions.write(action);
        }
    }
}

/// What a visuals shortcut asks for, from the visuals' state now.
fn visual_command(shortcut: Shortcut, visuals: &Visuals, scenes: &Scenes) -> Option<VisualCommand> {
    let mut post = visuals.show().post.clone();
    match shortcut {
        Shortcut::Blackout => post.blackout = !post.blackout,
        Shortcut::Freeze => post.freeze = !post.freeze,
        Shortcut::NextScene => {
            let ids: Vec<&str> = scenes.0.scenes().map(|s| s.id.as_str()).collect();
            let now = visuals.show().scene().and_then(|c| ids.iter().position(|id| *id == c));
            let next = ids.get(now.map_or(0, |i| (i + 1) % ids.len()))?;
            return Some(VisualCommand::Scene {
                id: next.to_string(),
                transition: None,
                beats: None,
                at: None,
            });
        }
        _ => return None,
    }
    Some(VisualCommand::Post(post))
}
