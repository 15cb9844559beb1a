//! Session scripts: a RON file that loads tracks onto decks and lists intents at beats. The
//! same script renders offline (deterministically: same script, same bytes) or plays live.
//!
//! ```ron
//! Session(
//!     bpm: 124.0,
//!     length_beats: 64.0,
//!     tracks: [(file: "drums.wav", deck: 0, bpm: 124.0)],
//!     events: [
//!         (beat: 0.0, action: Play(deck: 0)),
//!         (beat: 16.0, action: Master(param: Crossfader, value: 1.0, ramp_beats: 8.0)),
//!     ],
//! )
//! ```

use std::path::{Path, PathBuf};

use basedrop::Shared;
use serde::{Deserialize, Serialize};

use crate::backend::offline::{Block, Next, RenderOptions, SinkError, drive, into_vec};
use crate::config::EngineConfig;
use crate::intent::{IntentKind, Quantize};
use crate::loader::{LoadError, LoadOptions, decode_file};
use crate::track::Track;
use crate::{AnalysisFrame, Engine, EngineHandle, EngineProcessor};

fn default_quantum() -> f64 {
    crate::ranges::QUANTUM.default
}

/// A track the script uses. Paths are relative to the script file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrackSpec {
    /// Audio file (WAV, FLAC, MP3, Ogg Vorbis, AAC/M4A).
    pub file: PathBuf,
    /// Deck to load it onto before the first beat, if any.
    #[serde(default)]
    pub deck: Option<usize>,
    /// Tempo of the track's beat grid.
    #[serde(default, deserialize_with = "crate::ranges::de::opt_bpm")]
    pub bpm: Option<f64>,
    /// Time of the first beat in seconds.
    #[serde(default, deserialize_with = "crate::ranges::de::position")]
    pub first_beat: f64,
}

/// One scripted intent. Values are checked against [`crate::ranges`] as they are parsed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptEvent {
    /// Absolute beat at which it applies.
    #[serde(deserialize_with = "crate::ranges::de::beat")]
    pub beat: f64,
    /// What happens; `Load` names a track by its index in `tracks`.
    #[serde(deserialize_with = "crate::ron_file::checked")]
    pub action: IntentKind<usize>,
}

/// A whole session script.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Starting tempo.
    #[serde(deserialize_with = "crate::ranges::de::bpm")]
    pub bpm: f64,
    /// Beats per bar.
    #[serde(default = "default_quantum", deserialize_with = "crate::ranges::de::quantum")]
    pub quantum: f64,
    /// Number of decks (default 4).
    #[serde(default)]
    pub decks: Option<usize>,
    /// Length in beats; the render stops exactly there.
    #[serde(default)]
    pub length_beats: Option<f64>,
    /// Tracks to decode.
    #[serde(default)]
    pub tracks: Vec<TrackSpec>,
    /// Intents, in any order.
    #[serde(default)]
    pub events: Vec<ScriptEvent>,
}

/// Why a script could not be used.
#[derive(Debug)]
pub enum ScriptError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: String,
    },
    /// RON syntax or schema error at a line and column.
    Parse(crate::ron_file::LocatedError),
    /// The script is well-formed but says something impossible.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is impossible.
        message: String,
    },
    /// A track failed to load.
    Track(LoadError),
    /// The render's output refused a block (e.g. its file could not be written).
    Output(SinkError),
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io { path, error } => {
                write!(f, "cannot read script '{}': {error}", path.display())
            }
            Self::Parse(e) => e.fmt(f),
            Self::Invalid { path, message } => write!(f, "{}: {message}", path.display()),
            Self::Track(e) => e.fmt(f),
            Self::Output(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ScriptError {}

impl From<crate::ron_file::LocatedError> for ScriptError {
    fn from(e: crate::ron_file::LocatedError) -> Self {
        Self::Parse(e)
    }
}

impl Session {
    /// Parses a script from text; `path` is used in error messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ScriptError> {
        let s: Session = crate::ron_file::parse(text, path)?;
        s.validate(path)?;
        Ok(s)
    }

    /// Reads and parses a script file.
    pub fn load(path: &Path) -> Result<Self, ScriptError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScriptError::Io {
            path: path.to_path_buf(),
            error: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    fn validate(&self, path: &Path) -> Result<(), ScriptError> {
        let bad = |message: String| {
            Err(ScriptError::Invalid {
                path: path.to_path_buf(),
                message,
            })
        };
        let decks = self.deck_count();
        if !(1..=crate::config::MAX_DECKS).contains(&decks) {
            return bad(format!("decks must be 1..=8, not {decks}"));
        }
        for (i, t) in self.tracks.iter().enumerate() {
            if t.deck.is_some_and(|d| d >= decks) {
                return bad(format!(
                    "track {i} ('{}') names deck {:?}, but there are {decks}",
                    t.file.display(),
                    t.deck
                ));
            }
        }
        for (i, e) in self.events.iter().enumerate() {
            if let IntentKind::Load { track, .. } = e.action
                && track >= self.tracks.len()
            {
                return bad(format!(
                    "event {i} loads track {track}, but only {} are listed",
                    self.tracks.len()
                ));
            }
        }
        if let Some(l) = self.length_beats
            && !(l.is_finite() && l > 0.0)
        {
            return bad(format!("length_beats must be positive, not {l}"));
        }
        Ok(())
    }

    /// Decks the script asks for.
    pub fn deck_count(&self) -> usize {
        self.decks.unwrap_or(4)
    }

    /// Render length in beats: as given, or one bar after the last event.
    pub fn length(&self) -> f64 {
        self.length_beats
            .unwrap_or_else(|| self.events.iter().map(|e| e.beat).fold(0.0, f64::max) + self.quantum)
    }

    /// An engine configuration for this script at `sample_rate`.
    pub fn engine_config(&self, sample_rate: u32) -> EngineConfig {
        EngineConfig {
            sample_rate,
            bpm: self.bpm,
            quantum: self.quantum,
            decks: self.deck_count(),
            ..EngineConfig::default()
        }
    }

    /// Decodes every track (relative to `base`, the script's folder) at `sample_rate`.
    pub fn decode_tracks(&self, base: &Path, sample_rate: u32) -> Result<Vec<Track>, ScriptError> {
        self.tracks
            .iter()
            .map(|t| {
                let opts = LoadOptions {
                    bpm: t.bpm,
                    first_beat: t.first_beat,
                    ..LoadOptions::new(sample_rate)
                };
                decode_file(&base.join(&t.file), &opts, |_| {}).map_err(ScriptError::Track)
            })
            .collect()
    }
}

/// Feeds a script's intents to an engine a little ahead of their beats.
pub struct ScriptRunner {
    /// Decoded tracks by script index, shared with the audio thread.
    tracks: Vec<Shared<Track>>,
    events: Vec<ScriptEvent>,
    next: usize,
    initial: Vec<(usize, usize)>,
    /// Clock beat of the script's beat 0 (a bar line of a Link session joined mid-way).
    origin: f64,
}

impl ScriptRunner {
    /// Prepares a runner; `tracks` are the decoded tracks in script order.
    pub fn new(session: &Session, tracks: Vec<Track>, handle: &EngineHandle) -> Self {
        let mut events = session.events.clone();
        // Stable: events at the same beat keep their script order.
        events.sort_by(|a, b| a.beat.total_cmp(&b.beat));
        let initial = session
            .tracks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.deck.map(|d| (d, i)))
            .collect();
        Self {
            tracks: tracks.into_iter().map(|t| handle.share(t)).collect(),
            events,
            next: 0,
            initial,
            origin: 0.0,
        }
    }

    /// Plays the script from clock beat `origin` on (its beat 0 lands there).
    pub fn starting_at(mut self, origin: f64) -> Self {
        self.origin = origin;
        self
    }

    /// Sends the initial loads and every event before `now_beat + lookahead` that fits in the
    /// queue; call it regularly. Returns true once everything has been sent.
    pub fn pump(&mut self, handle: &mut EngineHandle, now_beat: f64, lookahead: f64) -> bool {
        for (deck, i) in std::mem::take(&mut self.initial) {
            handle.act(
                Quantize::Now,
                IntentKind::Load {
                    deck,
                    track: self.tracks[i].clone(),
                },
            );
        }
        while let Some(e) = self.events.get(self.next) {
            let beat = self.origin + e.beat;
            if beat >= now_beat + lookahead || handle.free_slots() == 0 {
                break;
            }
            let kind = e.action.clone().map_track(|i| self.tracks[i].clone());
            handle.act(Quantize::Beat(beat), kind);
            self.next += 1;
        }
        self.next == self.events.len()
    }
}

/// Lookahead (beats) with which scripts feed the engine: enough for a live control thread to
/// be late by a beat without any intent missing its frame.
pub const LOOKAHEAD_BEATS: f64 = 2.0;

/// Renders a script offline into interleaved stereo, in blocks of `block` frames.
pub fn render(session: &Session, base: &Path, sample_rate: u32, block: usize) -> Result<Vec<f32>, ScriptError> {
    let mut out = Vec::new();
    render_stream(
        session,
        base,
        sample_rate,
        &RenderOptions::new(block),
        into_vec(&mut out, |_| {}),
    )?;
    Ok(out)
}

/// [`render`], also analysing the audio as it renders (master and every deck, as live): every
/// frame goes to `sink`, in order.
pub fn render_analysed(
    session: &Session,
    base: &Path,
    sample_rate: u32,
    block: usize,
    sink: impl FnMut(AnalysisFrame),
) -> Result<Vec<f32>, ScriptError> {
    let options = RenderOptions {
        analysis: true,
        ..RenderOptions::new(block)
    };
    let mut out = Vec::new();
    render_stream(session, base, sample_rate, &options, into_vec(&mut out, sink))?;
    Ok(out)
}

/// Renders a script offline (tracks relative to `base`), handing every block to `sink` as
/// soon as it exists: memory stays bounded whatever the length. Stops at the script's length
/// or at `options.max_frames`, whichever comes first; returns the frames rendered.
pub fn render_stream(
    session: &Session,
    base: &Path,
    sample_rate: u32,
    options: &RenderOptions,
    sink: impl FnMut(Block<'_>) -> Result<(), SinkError>,
) -> Result<u64, ScriptError> {
    let tracks = session.decode_tracks(base, sample_rate)?;
    let mut config = session.engine_config(sample_rate);
    config.analysis = if options.analysis {
        crate::AnalysisMode::Inline
    } else {
        crate::AnalysisMode::Off
    };
    let (mut handle, mut processor) = Engine::new(config).map_err(|e| ScriptError::Invalid {
        path: base.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut runner = ScriptRunner::new(session, tracks, &handle);
    let end_beat = session.length();
    let feed = |handle: &mut EngineHandle, processor: &EngineProcessor| {
        runner.pump(handle, processor.beat(), LOOKAHEAD_BEATS);
        // Recomputed every block: a tempo change moves the frame the last beat falls on.
        let end = processor.frame_at_beat(end_beat).ceil() as u64;
        Ok(Next {
            frames: end.saturating_sub(processor.frame()),
            expected: end,
        })
    };
    drive(&mut handle, &mut processor, options, feed, sink)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        Session::parse(text, Path::new("s.ron")).unwrap_err().to_string()
    }

    #[test]
    fn values_out_of_range_or_not_finite_are_refused_where_they_are() {
        let cases = [
            (
                "Master(param: Crossfader, value: NaN, ramp_beats: 0.0)",
                "crossfader must be a finite number",
            ),
            (
                "Master(param: GainDb, value: inf, ramp_beats: 0.0)",
                "master gain must be a finite number",
            ),
            (
                "Deck(deck: 0, param: Filter, value: 3.0, ramp_beats: 0.0)",
                "filter must be -1..=1, not 3",
            ),
            (
                "Deck(deck: 0, param: FxAmount(7), value: 0.5, ramp_beats: 0.0)",
                "FX slot must be 0..=2, not 7",
            ),
            ("Tempo(bpm: -inf, ramp_beats: 0.0)", "bpm must be a finite number"),
            (
                "Rate(deck: 0, rate: 1.0, ramp_beats: NaN)",
                "ramp_beats must be a finite number",
            ),
            ("HotCue(deck: 0, slot: 8)", "hot cue slot must be 0..=7, not 8"),
            ("SetLoop(deck: 0, start: 2.0, end: 1.0, active: true)", "loop end"),
        ];
        for (action, message) in cases {
            let e = error(&format!(
                "Session(\n    bpm: 120.0,\n    events: [(beat: 1.0, action: {action})],\n)"
            ));
            assert!(e.starts_with("s.ron:3:") && e.contains(message), "{action}: {e}");
        }
        let e = error("Session(\n    bpm: NaN,\n)");
        assert!(
            e.starts_with("s.ron:2:") && e.contains("bpm must be a finite number"),
            "{e}"
        );
        let e = error("Session(bpm: 120.0, events: [(beat: inf, action: Play(deck: 0))])");
        assert!(
            e.starts_with("s.ron:1:") && e.contains("beat must be a finite number"),
            "{e}"
        );
    }
}
