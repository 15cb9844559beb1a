//! Counters the audio thread shares with everyone else (relaxed atomics, never locks).

use std::sync::atomic::{AtomicU64, Ordering};

/// Engine-wide counters; read them any time from any thread.
#[derive(Debug, Default)]
pub struct EngineStats {
    /// Output frames rendered.
    pub frames: AtomicU64,
    /// Intents dropped: queue full, pending list full, or invalid.
    pub dropped_intents: AtomicU64,
    /// Events lost because the event queue was full.
    pub events_lost: AtomicU64,
    /// Frames of analysis audio dropped because the analysis thread fell behind.
    pub analysis_dropped: AtomicU64,
    /// Intents refused because a value was not a finite number (also in `dropped_intents`).
    pub refused_values: AtomicU64,
    /// Non-finite samples replaced by silence before the limiter.
    pub scrubbed_samples: AtomicU64,
    /// Output frames missing from the live recording because its writer fell behind.
    pub record_dropped_frames: AtomicU64,
}

impl EngineStats {
    /// Intents dropped so far.
    pub fn dropped_intents(&self) -> u64 {
        self.dropped_intents.load(Ordering::Relaxed)
    }

    /// Non-finite samples the limiter replaced by silence so far.
    pub fn scrubbed_samples(&self) -> u64 {
        self.scrubbed_samples.load(Ordering::Relaxed)
    }

    /// Frames rendered so far.
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }
}
