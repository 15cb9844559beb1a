//! Recorded performances: the engine's settings, the tracks used, and every applied intent with
//! the exact output frame it took effect at. Because every change of engine state is an intent,
//! re-applying them at the same frames re-renders the performance sample for sample.
//!
//! ```ron
//! Recording(
//!     sample_rate: 48000, decks: 4, bpm: 120.0, quantum: 4.0,
//!     wav: "performance.wav", frames: 480000,
//!     tracks: [(file: "../assets/demo/drums.flac", bpm: 124.0)],
//!     intents: [(frame: 0, beat: 0.0, kind: Load(deck: 0, track: 0)), (frame: 96000, beat: 4.0, kind: Play(deck: 0))],
//! )
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::backend::offline::{Block, Next, RenderOptions, SinkError, drive, into_vec};
use crate::config::{AnalysisMode, EngineConfig};
use crate::intent::{IntentKind, Quantize};
use crate::script::{ScriptError, TrackSpec};
use crate::stretch::StretchEngine;
use crate::{AnalysisFrame, Engine, EngineHandle, EngineProcessor, Session};

/// One applied intent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedIntent {
    /// Output frame at which it took effect.
    pub frame: u64,
    /// Clock beat at that frame (for reading; replay uses the frame).
    pub beat: f64,
    /// What it did; `Load` names a track by its index in `tracks`. Checked against
    /// [`crate::ranges`] as it is parsed.
    #[serde(deserialize_with = "crate::ron_file::checked")]
    pub kind: IntentKind<usize>,
}

/// A recorded performance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recording {
    /// Sample rate of the engine in Hz.
    pub sample_rate: u32,
    /// Number of decks the engine had.
    pub decks: usize,
    /// Tempo the engine started with, in beats per minute.
    pub bpm: f64,
    /// Beats per bar the engine started with.
    pub quantum: f64,
    /// Master limiter ceiling in dBFS; `None` (older recordings) keeps the engine default.
    #[serde(default)]
    pub limiter_ceiling_db: Option<f32>,
    /// Time-stretch engine for key-locked decks.
    #[serde(default)]
    pub stretch_engine: StretchEngine,
    /// The live master recording, relative to this file.
    #[serde(default)]
    pub wav: Option<PathBuf>,
    /// Output frames the performance lasted.
    pub frames: u64,
    /// Output frames missing from the live WAV because its writer fell behind (0 = complete).
    #[serde(default)]
    pub dropped_frames: u64,
    /// Tracks used, relative to this file (or absolute).
    #[serde(default)]
    pub tracks: Vec<TrackSpec>,
    /// Applied intents in the order they took effect.
    #[serde(default)]
    pub intents: Vec<RecordedIntent>,
}

impl Recording {
    /// An empty recording of an engine built with `config`.
    pub fn new(config: &EngineConfig) -> Self {
        Self {
            sample_rate: config.sample_rate,
            decks: config.decks,
            bpm: config.bpm,
            quantum: config.quantum,
            limiter_ceiling_db: Some(config.limiter_ceiling_db),
            stretch_engine: config.stretch_engine,
            wav: None,
            frames: 0,
            dropped_frames: 0,
            tracks: Vec::new(),
            intents: Vec::new(),
        }
    }

    /// The engine configuration the performance ran with (analysis off: it does not change
    /// the sound).
    pub fn engine_config(&self) -> EngineConfig {
        let mut c = EngineConfig {
            sample_rate: self.sample_rate,
            decks: self.decks,
            bpm: self.bpm,
            quantum: self.quantum,
            stretch_engine: self.stretch_engine,
            analysis: crate::AnalysisMode::Off,
            ..EngineConfig::default()
        };
        if let Some(db) = self.limiter_ceiling_db {
            c.limiter_ceiling_db = db;
        }
        c
    }

    /// Index of a track in `tracks`, adding it if new.
    pub fn track_index(&mut self, spec: TrackSpec) -> usize {
        let same = |t: &TrackSpec| t.file == spec.file && t.bpm == spec.bpm && t.first_beat == spec.first_beat;
        match self.tracks.iter().position(same) {
            Some(i) => i,
            None => {
                self.tracks.push(spec);
                self.tracks.len() - 1
            }
        }
    }

    /// Parses a recording; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ScriptError> {
        let r: Self = crate::ron_file::parse(text, path)?;
        let bad = |message: String| ScriptError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        r.engine_config().validate().map_err(|e| bad(e.to_string()))?;
        for (i, w) in r.intents.windows(2).enumerate() {
            if w[1].frame < w[0].frame {
                return Err(bad(format!(
                    "intent {} goes back in time (frame {})",
                    i + 1,
                    w[1].frame
                )));
            }
        }
        if let Some((i, _)) = r
            .intents
            .iter()
            .enumerate()
            .find(|(_, x)| matches!(x.kind, IntentKind::Load { track, .. } if track >= r.tracks.len()))
        {
            return Err(bad(format!("intent {i} loads a track that is not listed")));
        }
        Ok(r)
    }

    /// Writes the recording as RON text.
    pub fn to_text(&self) -> String {
        crate::ron_file::to_text(self, 2)
    }

    /// Re-renders the performance offline (tracks relative to `base`) into interleaved stereo:
    /// `frames` frames, every intent applied at its recorded frame.
    pub fn render(&self, base: &Path, block: usize) -> Result<Vec<f32>, ScriptError> {
        let mut out = Vec::with_capacity(self.frames as usize * 2);
        self.render_stream(base, &RenderOptions::new(block), into_vec(&mut out, |_| {}))?;
        Ok(out)
    }

    /// [`Recording::render`], also analysing the audio as it renders (master and every deck,
    /// as live): every frame goes to `sink`, in order.
    pub fn render_analysed(
        &self,
        base: &Path,
        block: usize,
        sink: impl FnMut(AnalysisFrame),
    ) -> Result<Vec<f32>, ScriptError> {
        let options = RenderOptions {
            analysis: true,
            ..RenderOptions::new(block)
        };
        let mut out = Vec::with_capacity(self.frames as usize * 2);
        self.render_stream(base, &options, into_vec(&mut out, sink))?;
        Ok(out)
    }

    /// Re-renders the performance, handing every block to `sink` as soon as it exists: memory
    /// stays bounded whatever the length. Stops after `frames` or `options.max_frames`,
    /// whichever comes first; returns the frames rendered.
    pub fn render_stream(
        &self,
        base: &Path,
        options: &RenderOptions,
        sink: impl FnMut(Block<'_>) -> Result<(), SinkError>,
    ) -> Result<u64, ScriptError> {
        let err = |message: String| ScriptError::Invalid {
            path: base.to_path_buf(),
            message,
        };
        let session = Session {
            bpm: self.bpm,
            quantum: self.quantum,
            decks: Some(self.decks),
            length_beats: None,
            tracks: self.tracks.clone(),
            events: Vec::new(),
        };
        let decoded = session.decode_tracks(base, self.sample_rate)?;
        let mut config = self.engine_config();
        if options.analysis {
            config.analysis = AnalysisMode::Inline;
        }
        let (mut handle, mut processor) = Engine::new(config).map_err(|e| err(e.to_string()))?;
        let tracks: Vec<_> = decoded.into_iter().map(|t| handle.share(t)).collect();
        let room = handle.free_slots().min(EngineConfig::default().pending_capacity);
        let mut next = 0;
        let feed = |handle: &mut EngineHandle, processor: &EngineProcessor| {
            // Everything due now goes in with `Now`: it lands on the first frame of the next
            // block, which is this frame; output never depends on where blocks split.
            let mut queued = 0;
            while let Some(i) = self.intents.get(next).filter(|i| i.frame <= processor.frame()) {
                queued += 1;
                if queued > room {
                    return Err(err(format!("more than {room} intents at frame {}", i.frame)));
                }
                handle.act(Quantize::Now, i.kind.clone().map_track(|t| tracks[t].clone()));
                next += 1;
            }
            let until = self.intents.get(next).map_or(self.frames, |i| i.frame.min(self.frames));
            Ok(Next {
                frames: until.saturating_sub(processor.frame()),
                expected: self.frames,
            })
        };
        drive(&mut handle, &mut processor, options, feed, sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_value_that_is_not_finite_is_refused_where_it_is() {
        let text = "Recording(\n    sample_rate: 48000, decks: 2, bpm: 120.0, quantum: 4.0, frames: 100,\n    intents: [\n        (frame: 0, beat: 0.0, kind: Master(param: CueMix, value: NaN, ramp_beats: 0.0)),\n    ],\n)";
        let e = Recording::parse(text, Path::new("r.rec.ron")).unwrap_err().to_string();
        assert!(
            e.starts_with("r.rec.ron:4:") && e.contains("cue mix must be a finite number"),
            "{e}"
        );
    }
}
