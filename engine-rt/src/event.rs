//! What the engine reports back to the control side.

use crate::intent::IntentId;

/// Why an intent never took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The intent queue from the control side was full.
    QueueFull,
    /// Too many quantized intents were already waiting for their beat.
    PendingFull,
    /// The intent named a deck, slot or value the engine does not have.
    Invalid,
    /// The intent carried a value that is not a finite number (named here); it was never
    /// applied, so no smoother or output ever saw it.
    NotFinite(&'static str),
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::QueueFull => f.write_str("the intent queue was full"),
            Self::PendingFull => f.write_str("too many launches were waiting for their beat"),
            Self::Invalid => f.write_str("it named a deck, slot or position that does not exist"),
            Self::NotFinite(what) => write!(f, "its {what} was not a finite number"),
        }
    }
}

/// One message from the audio thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EngineEvent {
    /// An intent took effect at this output frame, which lies at this beat.
    Applied {
        /// The id the intent was sent with.
        id: IntentId,
        /// Output frame (frames rendered since the engine started) where it took effect.
        frame: u64,
        /// Clock beat at that frame.
        beat: f64,
    },
    /// An intent was dropped without effect.
    Dropped {
        /// The id the intent was sent with.
        id: IntentId,
        /// Why it was dropped.
        reason: DropReason,
    },
    /// A deck played past the end of its track and stopped.
    ClipEnded {
        /// Index of the deck (0-based).
        deck: usize,
        /// Output frame where it stopped.
        frame: u64,
    },
    /// Periodic state of one deck (sent about every 20 ms).
    DeckState {
        /// Index of the deck (0-based).
        deck: usize,
        /// Whether the deck is playing.
        playing: bool,
        /// Audible playhead in track frames.
        position: f64,
        /// Playback rate (1.0 = original tempo).
        rate: f64,
        /// Whether the stored loop is engaged.
        loop_active: bool,
        /// Stored loop as (start, end) in track frames, engaged or not.
        loop_region: Option<(f64, f64)>,
        /// Pre-fader peak level of the last report period (linear).
        peak: f32,
    },
    /// Periodic state of the master bus.
    MasterState {
        /// Output frame the report was taken at.
        frame: u64,
        /// Clock beat at that frame.
        beat: f64,
        /// Clock tempo at that frame, in beats per minute.
        bpm: f64,
        /// Peak after the limiter (linear).
        peak: f32,
        /// Largest gain reduction of the period in dB (0 = limiter idle).
        limiter_reduction_db: f32,
    },
    /// The event queue overflowed; this many events were lost before this one.
    EventsLost {
        /// Number of events lost.
        count: u64,
    },
}
