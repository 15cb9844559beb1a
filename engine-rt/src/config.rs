//! Construction-time settings of the engine: everything that sizes a buffer lives here.

use crate::stretch::StretchEngine;

/// Most decks a single engine can hold.
pub const MAX_DECKS: usize = 8;

/// Settings fixed when the engine is built. Every buffer the audio thread touches is sized from them.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Output sample rate in Hz; tracks are resampled to it on load.
    pub sample_rate: u32,
    /// Output channels: 2 (master) or 4 and more (master on 1/2, headphone cue on 3/4).
    pub channels: usize,
    /// Number of decks (1..=8).
    pub decks: usize,
    /// Largest block `process` renders in one pass; longer requests are split internally.
    pub max_block: usize,
    /// Capacity of the intent queue from the control side.
    pub intent_capacity: usize,
    /// How many quantized intents may wait for their beat at once.
    pub pending_capacity: usize,
    /// Capacity of the event queue back to the control side.
    pub event_capacity: usize,
    /// Starting tempo in beats per minute.
    pub bpm: f64,
    /// Beats per bar (the launch quantum).
    pub quantum: f64,
    /// Master limiter ceiling in dBFS.
    pub limiter_ceiling_db: f32,
    /// Time-stretch engine for key-locked decks.
    pub stretch_engine: StretchEngine,
    /// Length of start/stop/jump fades in milliseconds.
    pub declick_ms: f32,
    /// Time constant of parameter smoothing in milliseconds.
    pub smoothing_ms: f32,
    /// Whether and where the analysis tap is analysed (off for pure render benchmarks).
    pub analysis: AnalysisMode,
    /// Seconds of master output the live-recording ring holds (0: no recording). The ring is
    /// drained by [`crate::EngineHandle::take_recording`]'s consumer.
    pub record_seconds: f32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            sample_rate: 48_000,
            channels: 2,
            decks: 4,
            max_block: 1024,
            intent_capacity: 1024,
            pending_capacity: 256,
            event_capacity: 4096,
            bpm: 120.0,
            quantum: 4.0,
            limiter_ceiling_db: -0.3,
            stretch_engine: StretchEngine::Faster,
            declick_ms: 5.0,
            smoothing_ms: 5.0,
            analysis: AnalysisMode::Thread,
            record_seconds: 0.0,
        }
    }
}

/// Where analysis frames are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisMode {
    /// No analysis tap.
    Off,
    /// On an analysis thread, for live play (frames may be dropped if nobody polls).
    Thread,
    /// On the thread that polls the handle, from what the processor has rendered so far: for
    /// offline renders, where every frame must arrive and the result must not depend on timing.
    Inline,
}

/// A configuration the engine cannot run with.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid engine configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl EngineConfig {
    /// Checks the ranges the engine relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |m: &str| Err(ConfigError(m.to_string()));
        if !(8_000..=384_000).contains(&self.sample_rate) {
            return err("sample_rate must be between 8000 and 384000 Hz");
        }
        if self.channels < 2 {
            return err("channels must be at least 2");
        }
        if self.decks == 0 || self.decks > MAX_DECKS {
            return err("decks must be between 1 and 8");
        }
        if self.max_block == 0 || self.max_block > 16_384 {
            return err("max_block must be between 1 and 16384 frames");
        }
        if self.intent_capacity == 0 || self.pending_capacity == 0 || self.event_capacity == 0 {
            return err("queue capacities must be non-zero");
        }
        for (range, v) in [(&crate::ranges::BPM, self.bpm), (&crate::ranges::QUANTUM, self.quantum)] {
            if let Err(e) = range.check(v) {
                return Err(ConfigError(e.to_string()));
            }
        }
        if !(-24.0..=0.0).contains(&self.limiter_ceiling_db) {
            return err("limiter_ceiling_db must be between -24 and 0 dBFS");
        }
        Ok(())
    }

    /// Declick fade length in frames (at least one).
    pub fn declick_frames(&self) -> usize {
        ((self.declick_ms * self.sample_rate as f32 / 1000.0) as usize).max(1)
    }
}
