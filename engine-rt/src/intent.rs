//! Intents: what the control side asks the engine to do, and when.

use basedrop::Shared;

use crate::ranges::{self, Range, ValueError};
use crate::track::Track;

/// Caller-chosen identifier echoed back in [`crate::EngineEvent::Applied`].
pub type IntentId = u64;

/// When an intent takes effect. Targets are beats on the engine clock, converted to the exact
/// output frame every block, so tempo changes in between move the frame with the beat.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Quantize {
    /// At the first frame of the block that receives it.
    Now,
    /// On the next whole beat (immediately if the clock sits exactly on one).
    NextBeat,
    /// On the next bar line (a multiple of the quantum).
    NextBar,
    /// On the next multiple of this many beats (e.g. 8.0 for two bars of 4/4).
    NextMultiple(f64),
    /// At this absolute beat; a beat already past applies at once.
    Beat(f64),
}

/// Continuous per-deck parameters; all are smoothed on the audio thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DeckParam {
    /// Input trim in dB ([`ranges::TRIM_DB`]).
    TrimDb,
    /// Channel fader position ([`ranges::VOLUME`], audio taper).
    Volume,
    /// Low shelf gain in dB ([`ranges::EQ_DB`]).
    EqLowDb,
    /// Mid peak gain in dB ([`ranges::EQ_DB`]).
    EqMidDb,
    /// High shelf gain in dB ([`ranges::EQ_DB`]).
    EqHighDb,
    /// One-knob filter ([`ranges::FILTER`]): low-pass left of centre, high-pass right, flat at 0.
    Filter,
    /// Resonance of the filter ([`ranges::RESONANCE`]).
    FilterResonance,
    /// Wet/dry amount of one FX slot ([`ranges::FX_AMOUNT`]).
    FxAmount(u8),
    /// The slot's main parameter ([`ranges::FX_PARAM`]: echo feedback, reverb size, crusher depth).
    FxParam(u8),
}

impl DeckParam {
    /// The range of values this parameter takes.
    pub fn range(self) -> &'static Range {
        match self {
            Self::TrimDb => &ranges::TRIM_DB,
            Self::Volume => &ranges::VOLUME,
            Self::EqLowDb | Self::EqMidDb | Self::EqHighDb => &ranges::EQ_DB,
            Self::Filter => &ranges::FILTER,
            Self::FilterResonance => &ranges::RESONANCE,
            Self::FxAmount(_) => &ranges::FX_AMOUNT,
            Self::FxParam(_) => &ranges::FX_PARAM,
        }
    }
}

/// Continuous master parameters; smoothed too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MasterParam {
    /// Crossfader ([`ranges::CROSSFADER`]): side A at the low end, side B at the high end.
    Crossfader,
    /// Master gain in dB ([`ranges::MASTER_GAIN_DB`]).
    GainDb,
    /// Headphone mix ([`ranges::CUE_MIX`]): 0 = cue bus only, 1 = master only.
    CueMix,
    /// Headphone level in dB ([`ranges::CUE_GAIN_DB`]).
    CueGainDb,
}

impl MasterParam {
    /// The range of values this parameter takes.
    pub fn range(self) -> &'static Range {
        match self {
            Self::Crossfader => &ranges::CROSSFADER,
            Self::GainDb => &ranges::MASTER_GAIN_DB,
            Self::CueMix => &ranges::CUE_MIX,
            Self::CueGainDb => &ranges::CUE_GAIN_DB,
        }
    }
}

/// One EQ band, for kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EqBand {
    Low,
    Mid,
    High,
}

/// Which side of the crossfader a deck follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum XfaderSide {
    A,
    B,
    /// Not affected by the crossfader.
    #[default]
    Thru,
}

/// Gain law of the crossfader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum XfaderCurve {
    /// Equal power (sin/cos): smooth blends.
    #[default]
    Smooth,
    /// Linear gains that sum to one.
    Linear,
    /// Both sides at full level except in the outer few percent: cuts and scratches.
    Sharp,
}

/// The effects an FX slot can hold.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FxKind {
    /// Echo with a delay of this many beats, synced to the clock.
    Echo { beats: f32 },
    /// Algorithmic room reverb.
    Reverb,
    /// Bit-depth and sample-rate reduction.
    Bitcrusher,
}

impl Quantize {
    /// The same target with its beats passed through `policy` ([`Range::clamp`] or
    /// [`Range::check`]); a non-finite beat is always refused.
    pub fn checked_with(self, policy: Policy) -> Result<Self, ValueError> {
        Ok(match self {
            Self::NextMultiple(m) => Self::NextMultiple(policy(&ranges::LAUNCH_GRID, m)?),
            Self::Beat(b) => Self::Beat(policy(&ranges::SCRIPT_BEAT, b)?),
            other => other,
        })
    }
}

/// How a value is held to its range where it enters: [`Range::clamp`] for live sources,
/// [`Range::check`] for files.
pub type Policy = fn(&Range, f64) -> Result<f64, ValueError>;

/// What an intent does. `T` is how a track is named: a decoded [`Track`] on its way to the audio
/// thread, or an index into a session script's track list.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub enum IntentKind<T = Shared<Track>> {
    /// Put a track on a deck (stops the deck, at the track's first beat).
    Load { deck: usize, track: T },
    /// Remove the track from a deck.
    Eject { deck: usize },
    /// Start playback (declicked fade in).
    Play { deck: usize },
    /// Stop playback where it is (declicked fade out).
    Pause { deck: usize },
    /// Stop and return to the cue point.
    Stop { deck: usize },
    /// CDJ cue button: while playing, return to the cue point and stop; while stopped, set the cue
    /// point to the playhead.
    Cue { deck: usize },
    /// Jump to a position in seconds of the track.
    Seek { deck: usize, seconds: f64 },
    /// Store a hot cue (slot below [`ranges::HOT_CUES`]) at a position in seconds.
    SetHotCue { deck: usize, slot: usize, seconds: f64 },
    /// Jump to a stored hot cue and keep playing (or start).
    HotCue { deck: usize, slot: usize },
    /// Mark the loop start at the playhead.
    LoopIn { deck: usize },
    /// Mark the loop end at the playhead and start looping.
    LoopOut { deck: usize },
    /// Loop this many beats ([`ranges::BEAT_LOOP`]) from the playhead (snapped to the beat grid when known).
    BeatLoop { deck: usize, beats: f64 },
    /// Leave the loop and play on.
    LoopExit { deck: usize },
    /// Store a loop between two positions in seconds of the track (e.g. from a set file),
    /// engaged when `active`.
    SetLoop {
        deck: usize,
        start: f64,
        end: f64,
        active: bool,
    },
    /// Playback rate (1.0 = original tempo), ramped over beats of the clock.
    Rate { deck: usize, rate: f64, ramp_beats: f64 },
    /// Follow the clock: rate = clock bpm / track bpm, updated with tempo changes.
    Sync { deck: usize, on: bool },
    /// Key lock: tempo changes keep the pitch (Rubber Band).
    KeyLock { deck: usize, on: bool },
    /// Pitch shift in semitones ([`ranges::PITCH`]).
    Pitch { deck: usize, semitones: f64 },
    /// Set a continuous deck parameter, optionally ramped over beats.
    Deck {
        deck: usize,
        param: DeckParam,
        value: f32,
        ramp_beats: f64,
    },
    /// Set a continuous master parameter, optionally ramped over beats.
    Master {
        param: MasterParam,
        value: f32,
        ramp_beats: f64,
    },
    /// Kill (mute) or restore one EQ band.
    EqKill { deck: usize, band: EqBand, on: bool },
    /// Assign a deck to a crossfader side.
    XfaderAssign { deck: usize, side: XfaderSide },
    /// Choose the crossfader curve.
    XfaderCurve { curve: XfaderCurve },
    /// Send a deck to the headphone cue bus.
    CueMonitor { deck: usize, on: bool },
    /// Put an effect in an FX slot (below [`ranges::FX_SLOTS`]), or empty it.
    FxSlot { deck: usize, slot: u8, fx: Option<FxKind> },
    /// Change the tempo, immediately or ramped over beats.
    Tempo { bpm: f64, ramp_beats: f64 },
}

impl<T> std::fmt::Debug for IntentKind<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl<T> IntentKind<T> {
    /// The same intent with its track reference mapped (e.g. script index -> decoded track).
    pub fn map_track<U>(self, f: impl FnOnce(T) -> U) -> IntentKind<U> {
        use IntentKind as K;
        match self {
            K::Load { deck, track } => K::Load { deck, track: f(track) },
            K::Eject { deck } => K::Eject { deck },
            K::Play { deck } => K::Play { deck },
            K::Pause { deck } => K::Pause { deck },
            K::Stop { deck } => K::Stop { deck },
            K::Cue { deck } => K::Cue { deck },
            K::Seek { deck, seconds } => K::Seek { deck, seconds },
            K::SetHotCue { deck, slot, seconds } => K::SetHotCue { deck, slot, seconds },
            K::HotCue { deck, slot } => K::HotCue { deck, slot },
            K::LoopIn { deck } => K::LoopIn { deck },
            K::LoopOut { deck } => K::LoopOut { deck },
            K::BeatLoop { deck, beats } => K::BeatLoop { deck, beats },
            K::LoopExit { deck } => K::LoopExit { deck },
            K::SetLoop {
                deck,
                start,
                end,
                active,
            } => K::SetLoop {
                deck,
                start,
                end,
                active,
            },
            K::Rate { deck, rate, ramp_beats } => K::Rate { deck, rate, ramp_beats },
            K::Sync { deck, on } => K::Sync { deck, on },
            K::KeyLock { deck, on } => K::KeyLock { deck, on },
            K::Pitch { deck, semitones } => K::Pitch { deck, semitones },
            K::Deck {
                deck,
                param,
                value,
                ramp_beats,
            } => K::Deck {
                deck,
                param,
                value,
                ramp_beats,
            },
            K::Master {
                param,
                value,
                ramp_beats,
            } => K::Master {
                param,
                value,
                ramp_beats,
            },
            K::EqKill { deck, band, on } => K::EqKill { deck, band, on },
            K::XfaderAssign { deck, side } => K::XfaderAssign { deck, side },
            K::XfaderCurve { curve } => K::XfaderCurve { curve },
            K::CueMonitor { deck, on } => K::CueMonitor { deck, on },
            K::FxSlot { deck, slot, fx } => K::FxSlot { deck, slot, fx },
            K::Tempo { bpm, ramp_beats } => K::Tempo { bpm, ramp_beats },
        }
    }

    /// The same intent with every number passed through `policy` against its range from
    /// [`crate::ranges`], and every slot checked against its count. `Err` names the first
    /// value refused; nothing of a refused intent may be applied. Deck indices are checked by
    /// whoever knows the deck count.
    pub fn checked_with(self, policy: Policy) -> Result<Self, ValueError> {
        use IntentKind as K;
        let f32_in = |r: &Range, v: f32| policy(r, v as f64).map(|v| v as f32);
        let ramp = |beats: f64| policy(&ranges::RAMP_BEATS, beats);
        Ok(match self {
            K::Seek { deck, seconds } => K::Seek {
                deck,
                seconds: policy(&ranges::POSITION, seconds)?,
            },
            K::SetHotCue { deck, slot, seconds } => K::SetHotCue {
                deck,
                slot: ranges::check_slot("hot cue slot", slot, ranges::HOT_CUES)?,
                seconds: policy(&ranges::POSITION, seconds)?,
            },
            K::HotCue { deck, slot } => K::HotCue {
                deck,
                slot: ranges::check_slot("hot cue slot", slot, ranges::HOT_CUES)?,
            },
            K::BeatLoop { deck, beats } => K::BeatLoop {
                deck,
                beats: policy(&ranges::BEAT_LOOP, beats)?,
            },
            K::SetLoop {
                deck,
                start,
                end,
                active,
            } => {
                let (start, end) = (policy(&ranges::POSITION, start)?, policy(&ranges::POSITION, end)?);
                if end <= start {
                    return Err(ValueError::OutOfRange {
                        what: "loop end (after its start)",
                        value: end,
                        min: start,
                        max: ranges::POSITION.max,
                    });
                }
                K::SetLoop {
                    deck,
                    start,
                    end,
                    active,
                }
            }
            K::Rate { deck, rate, ramp_beats } => K::Rate {
                deck,
                rate: policy(&ranges::RATE, rate)?,
                ramp_beats: ramp(ramp_beats)?,
            },
            K::Pitch { deck, semitones } => K::Pitch {
                deck,
                semitones: policy(&ranges::PITCH, semitones)?,
            },
            K::Deck {
                deck,
                param,
                value,
                ramp_beats,
            } => {
                if let DeckParam::FxAmount(s) | DeckParam::FxParam(s) = param {
                    ranges::check_slot("FX slot", s as usize, ranges::FX_SLOTS)?;
                }
                K::Deck {
                    deck,
                    param,
                    value: f32_in(param.range(), value)?,
                    ramp_beats: ramp(ramp_beats)?,
                }
            }
            K::Master {
                param,
                value,
                ramp_beats,
            } => K::Master {
                param,
                value: f32_in(param.range(), value)?,
                ramp_beats: ramp(ramp_beats)?,
            },
            K::FxSlot { deck, slot, fx } => K::FxSlot {
                deck,
                slot: ranges::check_slot("FX slot", slot as usize, ranges::FX_SLOTS)? as u8,
                fx: match fx {
                    Some(FxKind::Echo { beats }) => Some(FxKind::Echo {
                        beats: f32_in(&ranges::ECHO_BEATS, beats)?,
                    }),
                    other => other,
                },
            },
            K::Tempo { bpm, ramp_beats } => K::Tempo {
                bpm: policy(&ranges::BPM, bpm)?,
                ramp_beats: ramp(ramp_beats)?,
            },
            other => other,
        })
    }

    /// Short name for logs and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Load { .. } => "Load",
            Self::Eject { .. } => "Eject",
            Self::Play { .. } => "Play",
            Self::Pause { .. } => "Pause",
            Self::Stop { .. } => "Stop",
            Self::Cue { .. } => "Cue",
            Self::Seek { .. } => "Seek",
            Self::SetHotCue { .. } => "SetHotCue",
            Self::HotCue { .. } => "HotCue",
            Self::LoopIn { .. } => "LoopIn",
            Self::LoopOut { .. } => "LoopOut",
            Self::BeatLoop { .. } => "BeatLoop",
            Self::LoopExit { .. } => "LoopExit",
            Self::SetLoop { .. } => "SetLoop",
            Self::Rate { .. } => "Rate",
            Self::Sync { .. } => "Sync",
            Self::KeyLock { .. } => "KeyLock",
            Self::Pitch { .. } => "Pitch",
            Self::Deck { .. } => "Deck",
            Self::Master { .. } => "Master",
            Self::EqKill { .. } => "EqKill",
            Self::XfaderAssign { .. } => "XfaderAssign",
            Self::XfaderCurve { .. } => "XfaderCurve",
            Self::CueMonitor { .. } => "CueMonitor",
            Self::FxSlot { .. } => "FxSlot",
            Self::Tempo { .. } => "Tempo",
        }
    }
}

/// A request to the engine: what, when, and an id to match the report. `T` names tracks as in
/// [`IntentKind`].
#[derive(Clone)]
pub struct Intent<T = Shared<Track>> {
    pub id: IntentId,
    pub at: Quantize,
    pub kind: IntentKind<T>,
}

impl<T> Intent<T> {
    /// Builds an intent.
    pub fn new(id: IntentId, at: Quantize, kind: IntentKind<T>) -> Self {
        Self { id, at, kind }
    }

    /// The intent with its target and values passed through `policy` (see
    /// [`IntentKind::checked_with`]).
    pub fn checked_with(self, policy: Policy) -> Result<Self, ValueError> {
        Ok(Self {
            id: self.id,
            at: self.at.checked_with(policy)?,
            kind: self.kind.checked_with(policy)?,
        })
    }
}

impl<T> std::fmt::Debug for Intent<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intent")
            .field("id", &self.id)
            .field("at", &self.at)
            .field("kind", &self.kind)
            .finish()
    }
}
