//! Actions: what any control surface (UI, keyboard, MIDI, OSC, gamepad, gestures) asks for.
//! They all arrive as [`Action`] messages, update the world's controls at once, and become
//! engine intents, quantized where they launch something.

use std::path::PathBuf;

use bevy::prelude::*;
use engine_rt::intent::Policy;
use engine_rt::ranges::{self, Range, ValueError};
use engine_rt::ron_file::CheckValues;
use engine_rt::track_analysis::Key;
use engine_rt::track_analysis::cache::{AnalysisCache, EditedGrid};
use engine_rt::track_analysis::loudness::REPLAYGAIN_TARGET_LUFS;
use engine_rt::{DeckParam, EqBand, FxKind, IntentKind, MasterParam, Quantize, XfaderCurve, XfaderSide};
use phosphene_engine_bridge::{EngineStatus, Intents, LoadRequest, LoadedTrack, TrackCache};
use serde::{Deserialize, Serialize};

use crate::components::{
    BeatGrid, Deck, DeckControls, DeckLoop, DeckPlayback, DeckTrack, FxSlotState, HotCue, PAD_COLOURS,
};
use crate::grid::{GridEdit, GridTaps, edited};
use crate::transport::{LaunchQuantize, MixerState, Transport};

/// One request from a control surface.
#[derive(Message, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Something for one deck (0-based engine index).
    Deck {
        /// Index of the deck (0-based).
        deck: usize,
        /// What to do to it.
        action: DeckAction,
    },
    /// Something for the mixer.
    Mixer(MixerAction),
    /// Something for the clock.
    Transport(TransportAction),
}

/// An action from a device, with when its input arrived and where its launches land: what
/// would apply at once applies instead at the engine frame of that moment plus one fixed
/// latency ([`EngineStatus::frame_for`]), so moves keep their timing.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct StampedAction {
    /// The action.
    pub action: Action,
    /// When its input arrived.
    pub at: Option<std::time::Instant>,
    /// The engine frame its sender scheduled it for (an OSC bundle's timetag): it applies
    /// there rather than at the frame of `at`.
    pub frame: Option<u64>,
    /// Where its launches land, instead of the performer's launch quantization.
    pub launch: Option<Quantize>,
}

impl Action {
    /// Shorthand for a deck action.
    pub fn deck(deck: usize, action: DeckAction) -> Self {
        Self::Deck { deck, action }
    }
}

/// Actions on one deck.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeckAction {
    /// Play if paused, pause if playing (play is quantized).
    PlayPause,
    /// Start playback on the launch quantization.
    Play,
    /// Pause at once.
    Pause,
    /// Stop and return to the cue point.
    Stop,
    /// CDJ cue button.
    Cue,
    /// Hot-cue pad: jump (quantized) if set, else store the playhead (snapped to the grid).
    HotCue(usize),
    /// Store a hot cue at a position in seconds, with a name.
    SetHotCue {
        /// Hot cue pad, below [`HOT_CUES`].
        slot: usize,
        /// Cue position in seconds from the start of the track.
        seconds: f64,
        /// Label shown on the pad; may be empty.
        name: String,
    },
    /// Delete a hot cue.
    ClearHotCue(usize),
    /// Save the deck's loop on a hot-cue pad (replacing what the pad held): the pad then
    /// jumps to the loop and engages it.
    SaveLoop(usize),
    /// Loop this many beats from the playhead (quantized); pressing the active size again exits.
    BeatLoop(f64),
    /// Mark the loop start at the playhead.
    LoopIn,
    /// Mark the loop end at the playhead and start looping.
    LoopOut,
    /// Leave the loop and play on (in slip mode: back to where the track would have been).
    LoopExit,
    /// Jump by beats of the track's grid ([`ranges::BEAT_JUMP`]; negative: back), keeping the
    /// phase; an engaged loop moves along.
    BeatJump(f64),
    /// Move the stored loop by beats of the grid ([`ranges::BEAT_JUMP`]).
    LoopMove(f64),
    /// Scale the stored loop from its start ([`ranges::LOOP_SCALE`]: 0.5 halves, 2 doubles).
    LoopScale(f64),
    /// Loop roll while held: `Some(beats)` starts it, `None` releases it, back to where the
    /// track would have been.
    LoopRoll(Option<f64>),
    /// Slip mode: loops, rolls and jumps play over the track running on underneath.
    Slip(bool),
    /// Correct the beat grid.
    Grid(GridEdit),
    /// Auto-gain: the trim that brings the track's loudness to
    /// [`REPLAYGAIN_TARGET_LUFS`] (without pushing its peak past full scale).
    AutoGain,
    /// Key sync: key lock on and the smallest pitch shift that puts the track in a key
    /// compatible with another deck's (the same Camelot number; a playing deck first).
    KeySync,
    /// Follow the master tempo.
    Sync(bool),
    /// Key lock: tempo changes keep the pitch.
    KeyLock(bool),
    /// Tempo fader: playback rate (1.0 = original tempo).
    Rate(f64),
    /// Pitch in semitones.
    Pitch(f64),
    /// Temporary rate bend while held (e.g. +0.04); 0 releases it. Ignored while synced.
    Nudge(f64),
    /// Jump to a position in seconds.
    Seek(f64),
    /// Input trim in dB, as [`DeckParam::TrimDb`].
    TrimDb(f32),
    /// Channel fader, as [`DeckParam::Volume`].
    Volume(f32),
    /// Band gain in dB.
    Eq(EqBand, f32),
    /// Mute (true) or restore (false) an EQ band.
    Kill(EqBand, bool),
    /// One-knob filter, as [`DeckParam::Filter`].
    Filter(f32),
    /// Filter resonance, as [`DeckParam::FilterResonance`].
    Resonance(f32),
    /// Put an effect in a slot (or empty it).
    Fx {
        /// FX slot, below [`FX_SLOTS`].
        slot: usize,
        /// The effect; `None` empties the slot.
        fx: Option<FxKind>,
    },
    /// Set the wet/dry amount of an FX slot.
    FxAmount {
        /// FX slot, below [`FX_SLOTS`].
        slot: usize,
        /// The amount, as [`DeckParam::FxAmount`].
        amount: f32,
    },
    /// Set the main parameter of an FX slot.
    FxParam {
        /// FX slot, below [`FX_SLOTS`].
        slot: usize,
        /// The value, as [`DeckParam::FxParam`].
        value: f32,
    },
    /// Assign the deck to a crossfader side.
    Xfader(XfaderSide),
    /// Send the deck to the headphone cue bus (true) or take it off (false).
    CueMonitor(bool),
    /// Decode a file and load it onto the deck.
    Load {
        /// The audio file.
        path: PathBuf,
        /// Tempo of the track's beat grid; `None` has the loader estimate it.
        #[serde(default)]
        bpm: Option<f64>,
        /// First beat of the grid in seconds (used with `bpm`).
        #[serde(default)]
        first_beat: f64,
    },
    /// Remove the track from the deck.
    Eject,
}

/// Actions on the mixer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MixerAction {
    /// Crossfader position, as [`MasterParam::Crossfader`].
    Crossfader(f32),
    /// Crossfader gain law.
    Curve(XfaderCurve),
    /// Master gain in dB, as [`MasterParam::GainDb`].
    MasterGainDb(f32),
    /// Headphone mix, as [`MasterParam::CueMix`].
    CueMix(f32),
    /// Headphone level in dB, as [`MasterParam::CueGainDb`].
    CueGainDb(f32),
}

/// Actions on the clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TransportAction {
    /// Set the master tempo.
    Tempo(f64),
    /// Tap tempo: taps at the beat set the tempo.
    Tap,
    /// Where launches land.
    Launch(LaunchQuantize),
    /// Ableton Link on or off.
    Link(bool),
    /// Ableton Link's start/stop sync on or off.
    LinkStartStop(bool),
}

impl CheckValues for Action {
    /// Every number against its range in [`engine_rt::ranges`], every slot against its count.
    fn checked_with(self, policy: Policy) -> Result<Self, ValueError> {
        let f = |r: &Range, v: f32| policy(r, v as f64).map(|v| v as f32);
        Ok(match self {
            Action::Deck { deck, action } => Action::Deck {
                deck,
                action: action.checked_with(policy)?,
            },
            Action::Mixer(m) => Action::Mixer(match m {
                MixerAction::Crossfader(v) => MixerAction::Crossfader(f(&ranges::CROSSFADER, v)?),
                MixerAction::MasterGainDb(v) => MixerAction::MasterGainDb(f(&ranges::MASTER_GAIN_DB, v)?),
                MixerAction::CueMix(v) => MixerAction::CueMix(f(&ranges::CUE_MIX, v)?),
                MixerAction::CueGainDb(v) => MixerAction::CueGainDb(f(&ranges::CUE_GAIN_DB, v)?),
                curve @ MixerAction::Curve(_) => curve,
            }),
            Action::Transport(TransportAction::Tempo(bpm)) => {
                Action::Transport(TransportAction::Tempo(policy(&ranges::BPM, bpm)?))
            }
            t @ Action::Transport(_) => t,
        })
    }
}

impl CheckValues for DeckAction {
    fn checked_with(self, policy: Policy) -> Result<Self, ValueError> {
        use DeckAction as A;
        let f = |r: &Range, v: f32| policy(r, v as f64).map(|v| v as f32);
        let (hot_cue, fx_slot) = (ranges::hot_cue_slot, ranges::fx_slot);
        Ok(match self {
            A::HotCue(slot) => A::HotCue(hot_cue(slot)?),
            A::ClearHotCue(slot) => A::ClearHotCue(hot_cue(slot)?),
            A::SaveLoop(slot) => A::SaveLoop(hot_cue(slot)?),
            A::SetHotCue { slot, seconds, name } => A::SetHotCue {
                slot: hot_cue(slot)?,
                seconds: policy(&ranges::POSITION, seconds)?,
                name,
            },
            A::BeatLoop(beats) => A::BeatLoop(policy(&ranges::BEAT_LOOP, beats)?),
            A::BeatJump(beats) => A::BeatJump(policy(&ranges::BEAT_JUMP, beats)?),
            A::LoopMove(beats) => A::LoopMove(policy(&ranges::BEAT_JUMP, beats)?),
            A::LoopScale(k) => A::LoopScale(policy(&ranges::LOOP_SCALE, k)?),
            A::LoopRoll(beats) => A::LoopRoll(beats.map(|b| policy(&ranges::BEAT_LOOP, b)).transpose()?),
            A::Grid(GridEdit::Scale(k)) => A::Grid(GridEdit::Scale(policy(&ranges::GRID_SCALE, k)?)),
            A::Grid(GridEdit::Shift(s)) => A::Grid(GridEdit::Shift(policy(&ranges::GRID_SHIFT, s)?)),
            A::Rate(rate) => A::Rate(policy(&ranges::RATE, rate)?),
            A::Pitch(st) => A::Pitch(policy(&ranges::PITCH, st)?),
            A::Nudge(amount) => A::Nudge(policy(&ranges::NUDGE, amount)?),
            A::Seek(seconds) => A::Seek(policy(&ranges::POSITION, seconds)?),
            A::TrimDb(v) => A::TrimDb(f(&ranges::TRIM_DB, v)?),
            A::Volume(v) => A::Volume(f(&ranges::VOLUME, v)?),
            A::Eq(band, db) => A::Eq(band, f(&ranges::EQ_DB, db)?),
            A::Filter(v) => A::Filter(f(&ranges::FILTER, v)?),
            A::Resonance(v) => A::Resonance(f(&ranges::RESONANCE, v)?),
            A::Fx { slot, fx } => {
                let state = FxSlotState { fx, ..default() }.checked_with(policy)?;
                A::Fx {
                    slot: fx_slot(slot)?,
                    fx: state.fx,
                }
            }
            A::FxAmount { slot, amount } => A::FxAmount {
                slot: fx_slot(slot)?,
                amount: f(&ranges::FX_AMOUNT, amount)?,
            },
            A::FxParam { slot, value } => A::FxParam {
                slot: fx_slot(slot)?,
                value: f(&ranges::FX_PARAM, value)?,
            },
            A::Load { path, bpm, first_beat } => A::Load {
                path,
                bpm: bpm.map(|b| policy(&ranges::BPM, b)).transpose()?,
                first_beat: policy(&ranges::POSITION, first_beat)?,
            },
            other => other,
        })
    }
}

type Kind = IntentKind<LoadedTrack>;

fn param(deck: usize, param: DeckParam, value: f32) -> Kind {
    IntentKind::Deck {
        deck,
        param,
        value,
        ramp_beats: 0.0,
    }
}

fn master(param: MasterParam, value: f32) -> Kind {
    IntentKind::Master {
        param,
        value,
        ramp_beats: 0.0,
    }
}

fn eq_param(band: EqBand) -> DeckParam {
    match band {
        EqBand::Low => DeckParam::EqLowDb,
        EqBand::Mid => DeckParam::EqMidDb,
        EqBand::High => DeckParam::EqHighDb,
    }
}

fn rate_intent(deck: usize, c: &DeckControls) -> Kind {
    if c.sync {
        IntentKind::Sync { deck, on: true }
    } else {
        IntentKind::Rate {
            deck,
            rate: c.rate,
            ramp_beats: 0.0,
        }
    }
}

/// Intents that put a deck's engine state where its controls say (e.g. after loading a set).
pub fn control_intents(deck: usize, c: &DeckControls) -> Vec<Kind> {
    let mut v = vec![
        param(deck, DeckParam::TrimDb, c.trim_db),
        param(deck, DeckParam::Volume, c.volume),
        param(deck, DeckParam::Filter, c.filter),
        param(deck, DeckParam::FilterResonance, c.resonance),
        rate_intent(deck, c),
        IntentKind::KeyLock { deck, on: c.keylock },
        IntentKind::Pitch {
            deck,
            semitones: c.pitch,
        },
        IntentKind::XfaderAssign { deck, side: c.xfader },
        IntentKind::CueMonitor {
            deck,
            on: c.cue_monitor,
        },
        IntentKind::Slip { deck, on: c.slip },
    ];
    for band in EqBand::ALL {
        let i = band.index();
        v.push(param(deck, eq_param(band), c.eq_db[i]));
        v.push(IntentKind::EqKill {
            deck,
            band,
            on: c.kills[i],
        });
    }
    for (slot, s) in c.fx.iter().enumerate() {
        let slot = slot as u8;
        v.push(IntentKind::FxSlot { deck, slot, fx: s.fx });
        v.push(param(deck, DeckParam::FxAmount(slot), s.amount));
        v.push(param(deck, DeckParam::FxParam(slot), s.param));
    }
    v
}

/// Intents that put the mixer where its controls say.
pub fn mixer_intents(m: &MixerState) -> Vec<Kind> {
    vec![
        IntentKind::XfaderCurve { curve: m.curve },
        master(MasterParam::Crossfader, m.crossfader),
        master(MasterParam::GainDb, m.master_gain_db),
        master(MasterParam::CueMix, m.cue_mix),
        master(MasterParam::CueGainDb, m.cue_gain_db),
    ]
}

/// The deck entity's parts an action may read or change.
type DeckParts<'a> = (
    Entity,
    &'a Deck,
    &'a mut DeckControls,
    &'a DeckPlayback,
    &'a mut DeckTrack,
    &'a mut DeckLoop,
    Option<&'a BeatGrid>,
    &'a mut GridTaps,
);

/// Turns this frame's actions into control changes and intents. Every action's values are
/// held to their ranges first; one carrying a value that is not a finite number is refused
/// whole, reported on the health display, and changes nothing.
pub(crate) fn apply_actions(
    mut actions: MessageReader<Action>,
    mut timed: MessageReader<StampedAction>,
    mut status: ResMut<EngineStatus>,
    mut decks: Query<DeckParts>,
    cues: Query<(Entity, &HotCue, &ChildOf)>,
    mut intents: ResMut<Intents>,
    mut transport: ResMut<Transport>,
    mut mixer: ResMut<MixerState>,
    mut loads: MessageWriter<LoadRequest>,
    mut commands: Commands,
    time: Res<Time<Real>>,
    cache: Res<TrackCache>,
) {
    let untimed = actions.read().map(|a| (a, None, None, None));
    let arrivals: Vec<_> = untimed
        .chain(timed.read().map(|t| (&t.action, t.at, t.frame, t.launch)))
        .collect();
    // (deck, playing, key) of every deck with a known key, playing decks first.
    let mut keys: Vec<(usize, bool, Key)> = decks
        .iter()
        .filter_map(|d| Some((d.1.index, d.3.playing, track_key(d.4)?)))
        .collect();
    keys.sort_by_key(|k| !k.1);
    for (action, at, frame, launch) in arrivals {
        // What applies at once applies at its scheduled frame, or at the frame of its arrival
        // where a device clock runs.
        let now = frame
            .or_else(|| at.and_then(|t| status.frame_for(t)))
            .map_or(Quantize::Now, Quantize::Frame);
        let action = match action.clone().checked_with(Range::clamp) {
            Ok(a) => a,
            Err(e) => {
                status.refuse(format!("{action:?} refused: {e}"));
                continue;
            }
        };
        match &action {
            Action::Deck { deck, action } => {
                let Some((entity, _, mut controls, playback, mut track, mut lp, grid, taps)) =
                    decks.iter_mut().find(|d| d.1.index == *deck)
                else {
                    warn!("action for deck {} ignored: there is no such deck", deck + 1);
                    continue;
                };
                let ctx = DeckContext {
                    deck: *deck,
                    entity,
                    now,
                    launch: match (launch, transport.launch) {
                        (Some(Quantize::Now), _) | (None, LaunchQuantize::None) => now,
                        (Some(q), _) => q,
                        (None, _) => transport.launch_quantize(),
                    },
                    snap: transport.launch != LaunchQuantize::None,
                    playback,
                    grid,
                    sync_key: keys.iter().find(|k| k.0 != *deck).map(|k| k.2),
                    cache: cache.0.as_ref(),
                };
                let parts = DeckMut {
                    controls: &mut controls,
                    track: &mut track,
                    lp: &mut lp,
                    taps: taps.into_inner(),
                };
                deck_action(&ctx, action, parts, &cues, &mut intents, &mut loads, &mut commands);
            }
            Action::Mixer(m) => {
                let kind = match *m {
                    MixerAction::Crossfader(v) => {
                        mixer.crossfader = v;
                        master(MasterParam::Crossfader, v)
                    }
                    MixerAction::Curve(c) => {
                        mixer.curve = c;
                        IntentKind::XfaderCurve { curve: c }
                    }
                    MixerAction::MasterGainDb(v) => {
                        mixer.master_gain_db = v;
                        master(MasterParam::GainDb, v)
                    }
                    MixerAction::CueMix(v) => {
                        mixer.cue_mix = v;
                        master(MasterParam::CueMix, v)
                    }
                    MixerAction::CueGainDb(v) => {
                        mixer.cue_gain_db = v;
                        master(MasterParam::CueGainDb, v)
                    }
                };
                intents.push(now, kind);
            }
            Action::Transport(t) => match *t {
                TransportAction::Tempo(bpm) => {
                    transport.bpm = bpm;
                    intents.push(now, IntentKind::Tempo { bpm, ramp_beats: 0.0 });
                }
                TransportAction::Tap => {
                    if let Some(bpm) = transport.tap(time.elapsed_secs_f64()) {
                        transport.bpm = bpm;
                        intents.push(Quantize::Now, IntentKind::Tempo { bpm, ramp_beats: 0.0 });
                    }
                }
                TransportAction::Launch(l) => transport.launch = l,
                TransportAction::Link(on) => transport.link = on,
                TransportAction::LinkStartStop(on) => transport.link_start_stop = on,
            },
        }
    }
}

/// What a deck action needs to know about its deck and the clock.
struct DeckContext<'a> {
    deck: usize,
    entity: Entity,
    /// When what is not launched applies: now, or the frame of a device's move.
    now: Quantize,
    launch: Quantize,
    /// Snap stored cues to the grid (quantization is on).
    snap: bool,
    playback: &'a DeckPlayback,
    grid: Option<&'a BeatGrid>,
    /// The key this deck's key sync matches: another deck's, a playing one first.
    sync_key: Option<Key>,
    /// Where grid corrections are kept for the track's next load.
    cache: Option<&'a AnalysisCache>,
}

/// The deck components an action changes.
struct DeckMut<'a> {
    controls: &'a mut DeckControls,
    track: &'a mut DeckTrack,
    lp: &'a mut DeckLoop,
    taps: &'a mut GridTaps,
}

/// A deck's hot-cue entity for a pad and what it holds, if stored.
fn find_cue<'a>(
    cues: &'a Query<(Entity, &HotCue, &ChildOf)>,
    deck: Entity,
    slot: usize,
) -> Option<(Entity, &'a HotCue)> {
    cues.iter()
        .find(|(_, c, p)| p.parent() == deck && c.slot == slot)
        .map(|(e, c, _)| (e, c))
}

fn deck_action(
    ctx: &DeckContext,
    action: &DeckAction,
    parts: DeckMut,
    cues: &Query<(Entity, &HotCue, &ChildOf)>,
    intents: &mut Intents,
    loads: &mut MessageWriter<LoadRequest>,
    commands: &mut Commands,
) {
    let DeckMut {
        controls,
        track,
        lp,
        taps,
    } = parts;
    let deck = ctx.deck;
    let cue = |slot: usize| find_cue(cues, ctx.entity, slot);
    let now = |intents: &mut Intents, kind: Kind| {
        intents.push(ctx.now, kind);
    };
    match action {
        DeckAction::PlayPause if ctx.playback.playing => now(intents, IntentKind::Pause { deck }),
        DeckAction::PlayPause | DeckAction::Play => {
            intents.push(ctx.launch, IntentKind::Play { deck });
        }
        DeckAction::Pause => now(intents, IntentKind::Pause { deck }),
        DeckAction::Stop => now(intents, IntentKind::Stop { deck }),
        DeckAction::Cue => now(intents, IntentKind::Cue { deck }),
        DeckAction::HotCue(slot) => {
            if let Some((_, saved)) = cue(*slot) {
                if let Some(end) = saved.end {
                    let loop_at = IntentKind::SetLoop {
                        deck,
                        start: saved.seconds,
                        end,
                        active: true,
                    };
                    intents.push(ctx.launch, loop_at);
                }
                intents.push(ctx.launch, IntentKind::HotCue { deck, slot: *slot });
            } else if track.info.is_some() {
                let pos = ctx.playback.position;
                let seconds = match ctx.grid {
                    Some(g) if ctx.snap => g.snap(pos).max(0.0),
                    _ => pos,
                };
                store_cue(ctx, *slot, (seconds, None), String::new(), intents, commands);
            }
        }
        DeckAction::SetHotCue { slot, seconds, name } => {
            if let Some((e, _)) = cue(*slot) {
                commands.entity(e).despawn();
            }
            store_cue(ctx, *slot, (*seconds, None), name.clone(), intents, commands);
        }
        DeckAction::SaveLoop(slot) => {
            let Some((start, end)) = lp.region else { return };
            if let Some((e, _)) = cue(*slot) {
                commands.entity(e).despawn();
            }
            store_cue(ctx, *slot, (start, Some(end)), "loop".into(), intents, commands);
        }
        DeckAction::ClearHotCue(slot) => {
            // The engine keeps the position, but without an entity the pad stores anew.
            if let Some((e, _)) = cue(*slot) {
                commands.entity(e).despawn();
            }
        }
        DeckAction::BeatLoop(beats) => {
            if lp.active && ctx.grid.is_some_and(|g| loop_beats(lp, g) == Some(*beats)) {
                now(intents, IntentKind::LoopExit { deck });
            } else {
                intents.push(ctx.launch, IntentKind::BeatLoop { deck, beats: *beats });
            }
        }
        DeckAction::LoopIn => now(intents, IntentKind::LoopIn { deck }),
        DeckAction::LoopOut => now(intents, IntentKind::LoopOut { deck }),
        DeckAction::LoopExit => now(intents, IntentKind::LoopExit { deck }),
        // Jumps of whole grid beats keep the phase wherever they land, so they apply at once,
        // as a performer expects of a jump button.
        DeckAction::BeatJump(beats) => now(intents, IntentKind::BeatJump { deck, beats: *beats }),
        DeckAction::LoopMove(beats) => now(intents, IntentKind::LoopMove { deck, beats: *beats }),
        DeckAction::LoopScale(factor) => now(intents, IntentKind::LoopScale { deck, factor: *factor }),
        DeckAction::LoopRoll(beats) => {
            lp.roll = *beats;
            now(intents, IntentKind::LoopRoll { deck, beats: *beats });
        }
        DeckAction::Slip(on) => {
            controls.slip = *on;
            now(intents, IntentKind::Slip { deck, on: *on });
        }
        DeckAction::AutoGain => {
            let Some(l) = track.info.as_ref().and_then(|i| i.analysis.as_ref()?.loudness) else {
                return;
            };
            controls.trim_db = ranges::TRIM_DB.hold(l.gain_db(REPLAYGAIN_TARGET_LUFS)) as f32;
            now(intents, param(deck, DeckParam::TrimDb, controls.trim_db));
        }
        DeckAction::KeySync => {
            let (Some(own), Some(target)) = (track_key(track), ctx.sync_key) else {
                return;
            };
            controls.keylock = true;
            controls.pitch = own.shift_to(&target) as f64;
            now(intents, IntentKind::KeyLock { deck, on: true });
            now(
                intents,
                IntentKind::Pitch {
                    deck,
                    semitones: controls.pitch,
                },
            );
        }
        DeckAction::Grid(edit) => {
            let Some(new) = ctx.grid.and_then(|g| edited(g, *edit, ctx.playback.position, taps)) else {
                return;
            };
            commands.entity(ctx.entity).insert(new);
            if let (Some(c), Some(key)) = (ctx.cache, track.info.as_ref().and_then(|i| i.content.as_ref())) {
                let g = EditedGrid {
                    bpm: new.bpm,
                    first_beat: new.first_beat,
                    locked: new.locked,
                };
                if let Err(e) = c.put_grid(key, g) {
                    warn!("the grid correction is not kept for the next load: {e}");
                }
            }
            now(
                intents,
                IntentKind::SetGrid {
                    deck,
                    bpm: new.bpm,
                    first_beat: new.first_beat,
                },
            );
        }
        DeckAction::Sync(on) => {
            controls.sync = *on;
            if *on {
                now(intents, IntentKind::Sync { deck, on: true });
            } else {
                // Keep playing at the synced rate until the fader moves.
                controls.rate = ctx.playback.rate.max(0.01);
                now(intents, IntentKind::Sync { deck, on: false });
            }
        }
        DeckAction::KeyLock(on) => {
            controls.keylock = *on;
            now(intents, IntentKind::KeyLock { deck, on: *on });
        }
        DeckAction::Rate(rate) => {
            controls.rate = *rate;
            controls.sync = false;
            now(intents, rate_intent(deck, controls));
        }
        DeckAction::Pitch(semitones) => {
            controls.pitch = *semitones;
            now(
                intents,
                IntentKind::Pitch {
                    deck,
                    semitones: *semitones,
                },
            );
        }
        DeckAction::Nudge(amount) => {
            if !controls.sync {
                let rate = ranges::RATE.hold(controls.rate * (1.0 + amount));
                now(
                    intents,
                    IntentKind::Rate {
                        deck,
                        rate,
                        ramp_beats: 0.0,
                    },
                );
            }
        }
        DeckAction::Seek(seconds) => now(
            intents,
            IntentKind::Seek {
                deck,
                seconds: *seconds,
            },
        ),
        DeckAction::TrimDb(v) => {
            controls.trim_db = *v;
            now(intents, param(deck, DeckParam::TrimDb, controls.trim_db));
        }
        DeckAction::Volume(v) => {
            controls.volume = *v;
            now(intents, param(deck, DeckParam::Volume, controls.volume));
        }
        DeckAction::Eq(band, db) => {
            let i = band.index();
            controls.eq_db[i] = *db;
            now(intents, param(deck, eq_param(*band), controls.eq_db[i]));
        }
        DeckAction::Kill(band, on) => {
            controls.kills[band.index()] = *on;
            now(
                intents,
                IntentKind::EqKill {
                    deck,
                    band: *band,
                    on: *on,
                },
            );
        }
        DeckAction::Filter(v) => {
            controls.filter = *v;
            now(intents, param(deck, DeckParam::Filter, controls.filter));
        }
        DeckAction::Resonance(v) => {
            controls.resonance = *v;
            now(intents, param(deck, DeckParam::FilterResonance, controls.resonance));
        }
        DeckAction::Fx { slot, fx } => {
            controls.fx[*slot].fx = *fx;
            now(
                intents,
                IntentKind::FxSlot {
                    deck,
                    slot: *slot as u8,
                    fx: *fx,
                },
            );
        }
        DeckAction::FxAmount { slot, amount } => {
            controls.fx[*slot].amount = *amount;
            now(intents, param(deck, DeckParam::FxAmount(*slot as u8), *amount));
        }
        DeckAction::FxParam { slot, value } => {
            controls.fx[*slot].param = *value;
            now(intents, param(deck, DeckParam::FxParam(*slot as u8), *value));
        }
        DeckAction::Xfader(side) => {
            controls.xfader = *side;
            now(intents, IntentKind::XfaderAssign { deck, side: *side });
        }
        DeckAction::CueMonitor(on) => {
            controls.cue_monitor = *on;
            now(intents, IntentKind::CueMonitor { deck, on: *on });
        }
        DeckAction::Load { path, bpm, first_beat } => {
            // Cues and loops belong to the track being replaced.
            for (e, _, parent) in cues.iter() {
                if parent.parent() == ctx.entity {
                    commands.entity(e).despawn();
                }
            }
            *lp = DeckLoop::default();
            track.loading = Some((path.clone(), 0.0));
            track.error = None;
            loads.write(LoadRequest {
                deck,
                path: path.clone(),
                bpm: *bpm,
                first_beat: *first_beat,
                grid_locked: false,
                at: Quantize::Now,
            });
        }
        DeckAction::Eject => now(intents, IntentKind::Eject { deck }),
    }
}

/// The analysed key of a deck's track, if it has one.
pub fn track_key(track: &DeckTrack) -> Option<Key> {
    Some(track.info.as_ref()?.analysis.as_ref()?.key?.key)
}

/// Spawns a hot-cue entity under the deck and stores it in the engine. `at` is the cue's
/// position and, for a saved loop, the loop's end.
fn store_cue(
    ctx: &DeckContext,
    slot: usize,
    at: (f64, Option<f64>),
    name: String,
    intents: &mut Intents,
    commands: &mut Commands,
) {
    let (seconds, end) = at;
    commands.spawn((
        HotCue {
            slot,
            seconds,
            name,
            colour: PAD_COLOURS[slot],
            end,
        },
        ChildOf(ctx.entity),
    ));
    intents.push(
        Quantize::Now,
        IntentKind::SetHotCue {
            deck: ctx.deck,
            slot,
            seconds,
        },
    );
}

/// Length of the deck's loop in beats of its grid, rounded to the beat-loop sizes.
pub fn loop_beats(lp: &DeckLoop, grid: &BeatGrid) -> Option<f64> {
    let (a, b) = lp.region?;
    let beats = (b - a) / grid.beat_seconds();
    let snapped = (beats * 8.0).round() / 8.0;
    ((beats - snapped).abs() < 1e-3).then_some(snapped)
}
