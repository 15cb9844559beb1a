//! Analysis frames kept for the world: the last second per source, from which the visuals
//! pick the frame matching the audio being heard rather than the newest one.

use std::collections::VecDeque;

use bevy::prelude::Resource;
use engine_rt::{AnalysisFrame, Source};

/// Seconds of frames kept per source.
pub const HISTORY_SECONDS: f64 = 1.0;

/// Recent analysis frames by source, and how far analysis trails the engine.
#[derive(Resource, Default)]
pub struct Analysis {
    sources: Vec<(Source, VecDeque<AnalysisFrame>)>,
    /// Frames the engine had rendered when frames were last drained.
    now: u64,
    sample_rate: u32,
}

impl Analysis {
    /// Adds a frame, forgetting frames older than [`HISTORY_SECONDS`].
    pub fn push(&mut self, frame: AnalysisFrame, sample_rate: u32) {
        self.sample_rate = sample_rate;
        let keep = (HISTORY_SECONDS * sample_rate as f64) as u64;
        let i = match self.sources.iter().position(|(s, _)| *s == frame.source) {
            Some(i) => i,
            None => {
                self.sources.push((frame.source, VecDeque::new()));
                self.sources.len() - 1
            }
        };
        let history = &mut self.sources[i].1;
        let newest = frame.sample_time;
        history.push_back(frame);
        while history
            .front()
            .is_some_and(|f| f.sample_time + keep < newest && history.len() > 1)
        {
            history.pop_front();
        }
    }

    /// Records how many frames the engine has rendered (for [`Analysis::latency_seconds`]).
    pub fn set_now(&mut self, frames: u64) {
        self.now = frames;
    }

    /// Frames the engine had rendered when analysis was last drained.
    pub fn rendered_frames(&self) -> u64 {
        self.now
    }

    /// The kept frames of a source, oldest first.
    pub fn frames(&self, source: Source) -> Option<&VecDeque<AnalysisFrame>> {
        self.sources.iter().find(|(s, _)| *s == source).map(|(_, h)| h)
    }

    /// The newest frame of a source.
    pub fn latest(&self, source: Source) -> Option<&AnalysisFrame> {
        self.frames(source).and_then(|h| h.back())
    }

    /// How far the newest master frame trails the engine's render position, in seconds.
    pub fn latency_seconds(&self) -> Option<f64> {
        let f = self.latest(Source::Master)?;
        (self.sample_rate > 0).then(|| self.now.saturating_sub(f.sample_time) as f64 / self.sample_rate as f64)
    }
}
