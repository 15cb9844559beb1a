//! Applying control changes: each change is held to its control's kind and range, resolved
//! against the focus, and becomes the deck [`Action`] or [`VisualCommand`] that does it. This is
//! the one path from every source (control window, keyboard, MIDI, gamepad) to the instrument.

use bevy::prelude::*;
use phosphene_decks::{
    Action, DeckAction, GRID_NUDGE_SECONDS, GRID_SCALES, GridEdit, MixerAction, StampedAction, TransportAction,
};
use phosphene_visuals::{Scenes, VisualCommand, Visuals};

use crate::address::{
    ControlId, DeckControl, DeckRef, LOOP_SIZES, MapControl, MixerControl, TransportControl, VisualControl,
};
use crate::change::{ControlChange, ControlMoved, ControlValue};
use crate::choices;
use crate::learn::Learn;
use crate::registry::{ControlKind, Registry};
use crate::state::ControlState;
use crate::values::{ControlValues, DeckView};

/// What a change does to its control once held to the control's kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Move {
    /// The control takes this value.
    To(f64),
    /// The trigger fires.
    Fire,
}

/// How a change moves a control of this kind that stands at `current`; `None` when it does
/// nothing (a release on a trigger, a value that is not a finite number).
pub fn resolve(kind: &ControlKind, current: f64, value: ControlValue, is_nudge: bool) -> Option<Move> {
    use ControlValue as V;
    match kind {
        ControlKind::Continuous(r) => match value {
            V::Set(v) => kind.hold(v).map(Move::To),
            V::Step(d) => kind.hold(current + d).map(Move::To),
            // A button on a nudge bends while held and returns to rest on release.
            V::Release if is_nudge => Some(Move::To(r.default)),
            V::Press | V::Release => None,
        },
        ControlKind::Toggle => match value {
            V::Set(v) => kind.hold(v).map(|v| Move::To((v >= 0.5) as u8 as f64)),
            V::Step(d) if d != 0.0 && d.is_finite() => Some(Move::To(1.0 - current.round().clamp(0.0, 1.0))),
            V::Press => Some(Move::To(1.0 - current.round().clamp(0.0, 1.0))),
            V::Step(_) | V::Release => None,
        },
        ControlKind::Trigger => match value {
            V::Set(v) if v >= 0.5 => Some(Move::Fire),
            V::Press => Some(Move::Fire),
            V::Step(d) if d != 0.0 && d.is_finite() => Some(Move::Fire),
            _ => None,
        },
        ControlKind::Choice(options) => {
            let n = options.len().max(1) as f64;
            match value {
                V::Set(v) => kind.hold(v).map(Move::To),
                V::Step(d) if d.is_finite() => Some(Move::To((current + d.round()).rem_euclid(n))),
                V::Press => Some(Move::To((current + 1.0).rem_euclid(n))),
                V::Step(_) | V::Release => None,
            }
        }
    }
}

/// What applying a move needs to read of the world.
pub(crate) struct Lookup<'a, 'w, 's> {
    decks: &'a Query<'w, 's, DeckView<'static>>,
    scenes: Vec<String>,
    visuals: Option<&'a Visuals>,
}

/// What a move asks of the instrument.
#[derive(Debug, Clone)]
pub enum Effect {
    /// A deck, mixer or clock action.
    Action(Action),
    /// A visuals command.
    Visual(VisualCommand),
    /// Nothing beyond the control map's own state (focus, layers, jump size).
    None,
}

fn deck_effect(deck: usize, c: DeckControl, mv: Move, w: &Lookup, state: &ControlState) -> Effect {
    use DeckControl as C;
    let view = w.decks.iter().find(|d| d.1.index == deck);
    let v = match mv {
        Move::To(v) => v,
        Move::Fire => 1.0,
    };
    let on = v >= 0.5;
    let a = match c {
        C::Play => DeckAction::PlayPause,
        C::Cue => DeckAction::Cue,
        C::Stop => DeckAction::Stop,
        C::Sync => DeckAction::Sync(on),
        C::KeyLock => DeckAction::KeyLock(on),
        C::Tempo => DeckAction::Rate(v),
        C::Pitch => DeckAction::Pitch(v),
        C::Nudge => DeckAction::Nudge(v),
        C::Gain => DeckAction::TrimDb(v as f32),
        C::Volume => DeckAction::Volume(v as f32),
        C::Eq(b) => DeckAction::Eq(b, v as f32),
        C::Kill(b) => DeckAction::Kill(b, on),
        C::Filter => DeckAction::Filter(v as f32),
        C::Resonance => DeckAction::Resonance(v as f32),
        C::HotCue(k) => DeckAction::HotCue(k),
        C::HotCueSet(k) => {
            let Some(d) = view.filter(|d| d.4.info.is_some()) else {
                return Effect::None;
            };
            DeckAction::SetHotCue {
                slot: k,
                seconds: d.3.position,
                name: String::new(),
            }
        }
        C::HotCueDelete(k) => DeckAction::ClearHotCue(k),
        C::HotCueLoop(k) => DeckAction::SaveLoop(k),
        C::BeatLoop(i) => DeckAction::BeatLoop(LOOP_SIZES[i]),
        C::LoopIn => DeckAction::LoopIn,
        C::LoopOut => DeckAction::LoopOut,
        C::LoopExit => DeckAction::LoopExit,
        C::JumpForward | C::JumpBack | C::LoopMoveForward | C::LoopMoveBack => {
            let back = matches!(c, C::JumpBack | C::LoopMoveBack);
            let beats = state.jump_beats(deck) * if back { -1.0 } else { 1.0 };
            if matches!(c, C::JumpForward | C::JumpBack) {
                DeckAction::BeatJump(beats)
            } else {
                DeckAction::LoopMove(beats)
            }
        }
        C::LoopRoll(i) => DeckAction::LoopRoll(on.then_some(LOOP_SIZES[i])),
        C::LoopHalve => DeckAction::LoopScale(0.5),
        C::LoopDouble => DeckAction::LoopScale(2.0),
        C::Slip => DeckAction::Slip(on),
        C::GridTap => DeckAction::Grid(GridEdit::Tap),
        C::GridScale(i) => DeckAction::Grid(GridEdit::Scale(GRID_SCALES[i])),
        C::GridEarlier => DeckAction::Grid(GridEdit::Shift(-GRID_NUDGE_SECONDS)),
        C::GridLater => DeckAction::Grid(GridEdit::Shift(GRID_NUDGE_SECONDS)),
        C::GridDownbeat => DeckAction::Grid(GridEdit::Downbeat),
        C::GridBeatHere => DeckAction::Grid(GridEdit::BeatAtPlayhead),
        C::GridLock => DeckAction::Grid(GridEdit::Lock(on)),
        C::KeySync => DeckAction::KeySync,
        C::AutoGain => DeckAction::AutoGain,
        C::JumpSize => return Effect::None,
        C::FxKind(s) => DeckAction::Fx {
            slot: s,
            fx: choices::FX_KINDS[(v as usize).min(choices::FX_KINDS.len() - 1)].0,
        },
        C::FxAmount(s) => DeckAction::FxAmount {
            slot: s,
            amount: v as f32,
        },
        C::FxParam(s) => DeckAction::FxParam {
            slot: s,
            value: v as f32,
        },
        C::Xfader => DeckAction::Xfader(choices::XFADER_SIDES[(v as usize).min(2)].0),
        C::Headphone => DeckAction::CueMonitor(on),
        C::Position => {
            let Some(info) = view.and_then(|d| d.4.info.as_ref()) else {
                return Effect::None;
            };
            DeckAction::Seek(v * info.seconds)
        }
        C::Eject => DeckAction::Eject,
    };
    Effect::Action(Action::deck(deck, a))
}

fn visual_effect(c: VisualControl, mv: Move, w: &Lookup, current_scene: f64) -> Effect {
    let v = match mv {
        Move::To(v) => v,
        Move::Fire => 1.0,
    };
    let scene = |i: usize| {
        w.scenes.get(i).map_or(Effect::None, |id| {
            Effect::Visual(VisualCommand::Scene {
                id: id.clone(),
                transition: None,
                beats: None,
                at: None,
            })
        })
    };
    let n = w.scenes.len();
    let setup = w.visuals.map(|v| v.setup());
    let transition = |kind: Option<usize>, beats: Option<f64>, at: Option<usize>| {
        let Some(s) = setup else { return Effect::None };
        Effect::Visual(VisualCommand::Transition {
            kind: kind.map_or(s.transition, |i| choices::TRANSITIONS[i.min(2)].0),
            beats: beats.unwrap_or(s.transition_beats),
            at: at.map_or(s.quantize, |i| choices::SCENE_QUANTIZE[i.min(3)].0),
        })
    };
    match c {
        VisualControl::Scene => scene(v as usize),
        VisualControl::SceneNext if n > 0 => scene((current_scene as usize + 1) % n),
        VisualControl::ScenePrevious if n > 0 => scene((current_scene as usize + n - 1) % n),
        VisualControl::SceneNext | VisualControl::ScenePrevious => Effect::None,
        VisualControl::TransitionKind => transition(Some(v as usize), None, None),
        VisualControl::TransitionBeats => transition(None, Some(v), None),
        VisualControl::TransitionAt => transition(None, None, Some(v as usize)),
        VisualControl::Param(slot) => Effect::Visual(VisualCommand::Param {
            slot,
            position: v as f32,
        }),
        VisualControl::Post(field) => Effect::Visual(VisualCommand::PostValue { field, value: v as f32 }),
    }
}

/// Turns this frame's control changes into actions and visual commands, in arrival order.
pub(crate) fn apply_changes(
    mut changes: MessageReader<ControlChange>,
    registry: Res<Registry>,
    mut state: ResMut<ControlState>,
    mut values: ResMut<ControlValues>,
    mut learn: ResMut<Learn>,
    decks: Query<DeckView<'static>>,
    scenes: Option<Res<Scenes>>,
    visuals: Option<Res<Visuals>>,
    mut actions: MessageWriter<Action>,
    mut timed: MessageWriter<StampedAction>,
    mut visual_commands: MessageWriter<VisualCommand>,
    mut moved: MessageWriter<ControlMoved>,
) {
    if changes.is_empty() {
        return;
    }
    let world = Lookup {
        decks: &decks,
        scenes: scenes
            .as_ref()
            .map_or_else(Vec::new, |s| s.0.scenes().map(|s| s.id.clone()).collect()),
        visuals: visuals.as_deref(),
    };
    for change in changes.read() {
        // While learn waits for a control, the control window's clicks choose it.
        if learn.take(change) {
            continue;
        }
        let id = change.id.resolve_focus(state.focus);
        let Some(spec) = registry.spec(id) else {
            warn!("{}: no such control here", id.address());
            continue;
        };
        let is_nudge = matches!(id, ControlId::Deck(_, DeckControl::Nudge));
        let current = values.get(id);
        let Some(mv) = resolve(&spec.kind, current, change.value, is_nudge) else {
            continue;
        };
        // A toggle set to the state it is in stays (play and pause are one flip action, and
        // an OSC app or a mirror sends absolute states).
        if spec.kind == ControlKind::Toggle && mv == Move::To(current.round()) {
            continue;
        }
        if let Move::To(v) = mv {
            values.set(id, v);
        }
        moved.write(ControlMoved {
            id,
            asked: change.id,
            value: match mv {
                Move::To(v) => Some(v),
                Move::Fire => None,
            },
            source: change.source,
        });
        let effect = match id {
            ControlId::Deck(DeckRef::Index(d), DeckControl::JumpSize) => {
                if let (Move::To(v), Some(j)) = (mv, state.jump.get_mut(d)) {
                    *j = v as usize;
                }
                Effect::None
            }
            ControlId::Deck(DeckRef::Index(d), c) => deck_effect(d, c, mv, &world, &state),
            ControlId::Deck(DeckRef::Focused, _) => Effect::None,
            ControlId::Mixer(m) => mixer_effect(m, mv),
            ControlId::Transport(t) => transport_effect(t, mv),
            ControlId::Visuals(c) => {
                let current = values.get(ControlId::Visuals(VisualControl::Scene));
                visual_effect(c, mv, &world, current)
            }
            ControlId::Map(m) => {
                map_move(&mut state, m, mv);
                Effect::None
            }
        };
        match effect {
            // A device's move keeps its arrival time, so the engine applies it in step, and its
            // binding's launch quantization; a scheduled one lands whole at its frame.
            Effect::Action(action) if change.at.is_some() || change.frame.is_some() || change.launch.is_some() => {
                timed.write(StampedAction {
                    action,
                    at: change.at,
                    frame: change.frame,
                    launch: change.launch.or(change.frame.map(engine_rt::Quantize::Frame)),
                });
            }
            Effect::Action(action) => {
                actions.write(action);
            }
            Effect::Visual(c) => {
                visual_commands.write(c);
            }
            Effect::None => {}
        }
    }
}

fn mixer_effect(m: MixerControl, mv: Move) -> Effect {
    let Move::To(v) = mv else { return Effect::None };
    Effect::Action(Action::Mixer(match m {
        MixerControl::Crossfader => MixerAction::Crossfader(v as f32),
        MixerControl::Curve => MixerAction::Curve(choices::CURVES[(v as usize).min(2)].0),
        MixerControl::Master => MixerAction::MasterGainDb(v as f32),
        MixerControl::HeadphoneMix => MixerAction::CueMix(v as f32),
        MixerControl::HeadphoneGain => MixerAction::CueGainDb(v as f32),
    }))
}

fn transport_effect(t: TransportControl, mv: Move) -> Effect {
    Effect::Action(Action::Transport(match (t, mv) {
        (TransportControl::Tap, _) => TransportAction::Tap,
        (TransportControl::Tempo, Move::To(bpm)) => TransportAction::Tempo(bpm),
        (TransportControl::Link, Move::To(v)) => TransportAction::Link(v >= 0.5),
        (TransportControl::LinkStartStop, Move::To(v)) => TransportAction::LinkStartStop(v >= 0.5),
        (TransportControl::Launch, Move::To(i)) => {
            TransportAction::Launch(choices::LAUNCHES[(i as usize).min(choices::LAUNCHES.len() - 1)].0)
        }
        _ => return Effect::None,
    }))
}

fn map_move(state: &mut ControlState, m: MapControl, mv: Move) {
    let n = state.decks.max(1);
    match (m, mv) {
        (MapControl::Focus, Move::To(v)) => state.focus = (v as usize).min(n - 1),
        (MapControl::FocusNext, _) => state.focus = (state.focus + 1) % n,
        (MapControl::FocusPrevious, _) => state.focus = (state.focus + n - 1) % n,
        (MapControl::Shift, Move::To(v)) => state.shift = v >= 0.5,
        (MapControl::Alt, Move::To(v)) => state.alt = v >= 0.5,
        _ => {}
    }
}
