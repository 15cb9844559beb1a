//! Intents: what the control side asks the engine to do, and when.

use basedrop::Shared;

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
    /// Input trim in dB (-24..+12).
    TrimDb,
    /// Channel fader position 0..1 (audio taper).
    Volume,
    /// Low shelf gain in dB (-26..+6).
    EqLowDb,
    /// Mid peak gain in dB (-26..+6).
    EqMidDb,
    /// High shelf gain in dB (-26..+6).
    EqHighDb,
    /// One-knob filter -1..1: low-pass left of centre, high-pass right, flat at 0.
    Filter,
    /// Resonance of the filter, 0..1.
    FilterResonance,
    /// Wet/dry amount of one FX slot, 0..1.
    FxAmount(u8),
    /// The slot's main parameter 0..1 (echo feedback, reverb size, crusher depth).
    FxParam(u8),
}

/// Continuous master parameters; smoothed too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MasterParam {
    /// Crossfader -1 (side A) .. 1 (side B).
    Crossfader,
    /// Master gain in dB (-60..+12).
    GainDb,
    /// Headphone mix: 0 = cue bus only, 1 = master only.
    CueMix,
    /// Headphone level in dB (-60..+12).
    CueGainDb,
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
    /// Store a hot cue (0..8) at a position in seconds.
    SetHotCue { deck: usize, slot: usize, seconds: f64 },
    /// Jump to a stored hot cue and keep playing (or start).
    HotCue { deck: usize, slot: usize },
    /// Mark the loop start at the playhead.
    LoopIn { deck: usize },
    /// Mark the loop end at the playhead and start looping.
    LoopOut { deck: usize },
    /// Loop this many beats (1/8..32) from the playhead (snapped to the beat grid when known).
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
    /// Pitch shift in semitones (-12..12).
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
    /// Put an effect in an FX slot (0..3), or empty it.
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
