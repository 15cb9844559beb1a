//! Intents: what the control side asks the engine to do, and when.

use basedrop::Shared;

use crate::ranges::{self, Range, ValueError};
use crate::track::Track;

/// Caller-chosen identifier echoed back in [`crate::EngineEvent::Applied`].
pub type IntentId = u64;

/// The id of intents the engine makes itself (synced decks following a shared transport,
/// [`crate::BeatClock::take_transport`]). The control side numbers its own from 1, so a reply
/// to one of these is never taken for a reply to one of its own.
pub const ENGINE_INTENT: IntentId = 0;

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
    /// At this output frame of the engine clock; a frame already past applies at once. What a
    /// timestamped control change uses: its arrival time plus one fixed latency, as a frame,
    /// so a knob's moves keep their spacing instead of bunching into UI frames.
    Frame(u64),
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum EqBand {
    /// Below [`crate::dsp::eq::LOW_MID_HZ`].
    Low,
    /// Between [`crate::dsp::eq::LOW_MID_HZ`] and [`crate::dsp::eq::MID_HIGH_HZ`].
    Mid,
    /// Above [`crate::dsp::eq::MID_HIGH_HZ`].
    High,
}

impl EqBand {
    /// Every band, low to high: the order band arrays (gains, kills) are indexed in.
    pub const ALL: [EqBand; 3] = [EqBand::Low, EqBand::Mid, EqBand::High];

    /// The band's index in [`EqBand::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Which side of the crossfader a deck follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum XfaderSide {
    /// Full level with the crossfader at -1, silent at 1.
    A,
    /// Full level with the crossfader at 1, silent at -1.
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
    Echo {
        /// Delay time in beats of the clock.
        beats: f32,
    },
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
    Load {
        /// Index of the deck (0-based).
        deck: usize,
        /// The track to load.
        track: T,
    },
    /// Remove the track from a deck.
    Eject {
        /// Index of the deck (0-based).
        deck: usize,
    },
    /// Start playback (declicked fade in).
    Play {
        /// Index of the deck (0-based).
        deck: usize,
    },
    /// Stop playback where it is (declicked fade out).
    Pause {
        /// Index of the deck (0-based).
        deck: usize,
    },
    /// Stop and return to the cue point.
    Stop {
        /// Index of the deck (0-based).
        deck: usize,
    },
    /// CDJ cue button: while playing, return to the cue point and stop; while stopped, set the cue
    /// point to the playhead.
    Cue {
        /// Index of the deck (0-based).
        deck: usize,
    },
    /// Jump to a position in seconds of the track.
    Seek {
        /// Index of the deck (0-based).
        deck: usize,
        /// Target position in seconds from the start of the track.
        seconds: f64,
    },
    /// Store a hot cue (slot below [`ranges::HOT_CUES`]) at a position in seconds.
    SetHotCue {
        /// Index of the deck (0-based).
        deck: usize,
        /// Hot cue slot, below [`ranges::HOT_CUES`].
        slot: usize,
        /// Cue position in seconds from the start of the track.
        seconds: f64,
    },
    /// Jump to a stored hot cue and keep playing (or start).
    HotCue {
        /// Index of the deck (0-based).
        deck: usize,
        /// Hot cue slot, below [`ranges::HOT_CUES`].
        slot: usize,
    },
    /// Mark the loop start at the playhead.
    LoopIn {
        /// Index of the deck (0-based).
        deck: usize,
    },
    /// Mark the loop end at the playhead and start looping.
    LoopOut {
        /// Index of the deck (0-based).
        deck: usize,
    },
    /// Loop this many beats ([`ranges::BEAT_LOOP`]) from the playhead (snapped to the beat grid when known).
    BeatLoop {
        /// Index of the deck (0-based).
        deck: usize,
        /// Loop length in beats.
        beats: f64,
    },
    /// Leave the loop and play on.
    LoopExit {
        /// Index of the deck (0-based).
        deck: usize,
    },
    /// Store a loop between two positions in seconds of the track (e.g. from a set file),
    /// engaged when `active`.
    SetLoop {
        /// Index of the deck (0-based).
        deck: usize,
        /// Loop start in seconds from the start of the track.
        start: f64,
        /// Loop end in seconds from the start of the track.
        end: f64,
        /// Whether the loop plays now; otherwise it is only stored.
        active: bool,
    },
    /// Move the playhead by beats of the deck's grid ([`ranges::BEAT_JUMP`]), keeping the
    /// phase; an engaged loop moves along.
    BeatJump {
        /// Index of the deck (0-based).
        deck: usize,
        /// Beats forward (positive) or back.
        beats: f64,
    },
    /// Move the stored loop by beats of the deck's grid ([`ranges::BEAT_JUMP`]).
    LoopMove {
        /// Index of the deck (0-based).
        deck: usize,
        /// Beats forward (positive) or back.
        beats: f64,
    },
    /// Scale the stored loop's length from its start ([`ranges::LOOP_SCALE`]: halve, double).
    LoopScale {
        /// Index of the deck (0-based).
        deck: usize,
        /// New length over old.
        factor: f64,
    },
    /// Loop roll: loop `beats` from the playhead while the track runs on underneath, or (with
    /// `beats` = `None`) release it, back to where the track would have been.
    LoopRoll {
        /// Index of the deck (0-based).
        deck: usize,
        /// Loop length in beats ([`ranges::BEAT_LOOP`]), or `None` to release.
        beats: Option<f64>,
    },
    /// Slip mode: while on, loops and jumps play over a track that runs on underneath, and
    /// leaving them (or slip) returns to where it would have been.
    Slip {
        /// Index of the deck (0-based).
        deck: usize,
        /// Whether slip is on.
        on: bool,
    },
    /// Replace the deck's beat grid (the performer's correction of the analysis).
    SetGrid {
        /// Index of the deck (0-based).
        deck: usize,
        /// Tempo the track was made at ([`ranges::BPM`]).
        bpm: f64,
        /// A beat of the grid, in seconds of the track ([`ranges::POSITION`]).
        first_beat: f64,
    },
    /// Playback rate (1.0 = original tempo), ramped over beats of the clock.
    Rate {
        /// Index of the deck (0-based).
        deck: usize,
        /// Target rate: 1.0 plays at the original tempo, 2.0 twice as fast.
        rate: f64,
        /// Beats of the clock the change ramps over; 0 applies it at once.
        ramp_beats: f64,
    },
    /// Follow the clock: rate = clock bpm / track bpm, updated with tempo changes.
    Sync {
        /// Index of the deck (0-based).
        deck: usize,
        /// Whether the deck follows the clock.
        on: bool,
    },
    /// Key lock: tempo changes keep the pitch (Rubber Band).
    KeyLock {
        /// Index of the deck (0-based).
        deck: usize,
        /// Whether key lock is on.
        on: bool,
    },
    /// Pitch shift in semitones ([`ranges::PITCH`]).
    Pitch {
        /// Index of the deck (0-based).
        deck: usize,
        /// Shift in semitones; 0 shifts nothing.
        semitones: f64,
    },
    /// Set a continuous deck parameter, optionally ramped over beats.
    Deck {
        /// Index of the deck (0-based).
        deck: usize,
        /// Which parameter.
        param: DeckParam,
        /// Its new value, in the unit and range [`DeckParam`] gives for it.
        value: f32,
        /// Beats of the clock the change ramps over; 0 applies it at once.
        ramp_beats: f64,
    },
    /// Set a continuous master parameter, optionally ramped over beats.
    Master {
        /// Which parameter.
        param: MasterParam,
        /// Its new value, in the unit and range [`MasterParam`] gives for it.
        value: f32,
        /// Beats of the clock the change ramps over; 0 applies it at once.
        ramp_beats: f64,
    },
    /// Kill (mute) or restore one EQ band.
    EqKill {
        /// Index of the deck (0-based).
        deck: usize,
        /// The band.
        band: EqBand,
        /// True mutes the band, false restores it.
        on: bool,
    },
    /// Assign a deck to a crossfader side.
    XfaderAssign {
        /// Index of the deck (0-based).
        deck: usize,
        /// The side the deck follows.
        side: XfaderSide,
    },
    /// Choose the crossfader curve.
    XfaderCurve {
        /// The new gain law.
        curve: XfaderCurve,
    },
    /// Send a deck to the headphone cue bus.
    CueMonitor {
        /// Index of the deck (0-based).
        deck: usize,
        /// Whether the deck is heard on the cue bus.
        on: bool,
    },
    /// Put an effect in an FX slot (below [`ranges::FX_SLOTS`]), or empty it.
    FxSlot {
        /// Index of the deck (0-based).
        deck: usize,
        /// FX slot, below [`ranges::FX_SLOTS`].
        slot: u8,
        /// The effect to put in the slot; `None` empties it.
        fx: Option<FxKind>,
    },
    /// Change the tempo, immediately or ramped over beats.
    Tempo {
        /// Target tempo in beats per minute.
        bpm: f64,
        /// Beats of the clock the change ramps over; 0 applies it at once.
        ramp_beats: f64,
    },
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
            K::BeatJump { deck, beats } => K::BeatJump { deck, beats },
            K::LoopMove { deck, beats } => K::LoopMove { deck, beats },
            K::LoopScale { deck, factor } => K::LoopScale { deck, factor },
            K::LoopRoll { deck, beats } => K::LoopRoll { deck, beats },
            K::Slip { deck, on } => K::Slip { deck, on },
            K::SetGrid { deck, bpm, first_beat } => K::SetGrid { deck, bpm, first_beat },
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
                slot: ranges::hot_cue_slot(slot)?,
                seconds: policy(&ranges::POSITION, seconds)?,
            },
            K::HotCue { deck, slot } => K::HotCue {
                deck,
                slot: ranges::hot_cue_slot(slot)?,
            },
            K::BeatLoop { deck, beats } => K::BeatLoop {
                deck,
                beats: policy(&ranges::BEAT_LOOP, beats)?,
            },
            K::BeatJump { deck, beats } => K::BeatJump {
                deck,
                beats: policy(&ranges::BEAT_JUMP, beats)?,
            },
            K::LoopMove { deck, beats } => K::LoopMove {
                deck,
                beats: policy(&ranges::BEAT_JUMP, beats)?,
            },
            K::LoopScale { deck, factor } => K::LoopScale {
                deck,
                factor: policy(&ranges::LOOP_SCALE, factor)?,
            },
            K::LoopRoll { deck, beats } => K::LoopRoll {
                deck,
                beats: beats.map(|b| policy(&ranges::BEAT_LOOP, b)).transpose()?,
            },
            K::SetGrid { deck, bpm, first_beat } => K::SetGrid {
                deck,
                bpm: policy(&ranges::BPM, bpm)?,
                first_beat: policy(&ranges::POSITION, first_beat)?,
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
                    ranges::fx_slot(s as usize)?;
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
                slot: ranges::fx_slot(slot as usize)? as u8,
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
            Self::BeatJump { .. } => "BeatJump",
            Self::LoopMove { .. } => "LoopMove",
            Self::LoopScale { .. } => "LoopScale",
            Self::LoopRoll { .. } => "LoopRoll",
            Self::Slip { .. } => "Slip",
            Self::SetGrid { .. } => "SetGrid",
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
    /// Echoed in the engine's report of this intent.
    pub id: IntentId,
    /// When it takes effect.
    pub at: Quantize,
    /// What it does.
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
