//! Tracks as the ECS sees them: metadata and overview for displays, samples for the engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use basedrop::Shared;
use bevy::prelude::Resource;
use engine_rt::Track;
use engine_rt::analysis::overview::Overview;
use engine_rt::track_analysis::TrackAnalysis;
use engine_rt::track_analysis::cache::{AnalysisCache, ContentKey};

/// What the world knows about a decoded track; the samples stay with the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackInfo {
    /// Display name (file stem).
    pub name: String,
    /// The file it came from.
    pub path: Option<PathBuf>,
    /// Tempo of the beat grid, if known.
    pub bpm: Option<f64>,
    /// First beat of the grid in seconds.
    pub first_beat: f64,
    /// Duration in seconds.
    pub seconds: f64,
    /// Waveform overview for the deck displays.
    pub overview: Overview,
    /// What analysis found: confidence, beats, key, loudness.
    pub analysis: Option<TrackAnalysis>,
    /// The file's identity in the analysis cache (grid corrections are stored under it).
    pub content: Option<ContentKey>,
    /// The grid it loaded with is the performer's locked one.
    pub grid_locked: bool,
}

impl TrackInfo {
    /// Info for a decoded track.
    pub fn new(track: &Track, overview: Overview) -> Self {
        Self {
            name: track.name.clone(),
            path: track.path.clone(),
            bpm: track.bpm,
            first_beat: track.first_beat,
            seconds: track.seconds(),
            overview,
            analysis: None,
            content: None,
            grid_locked: false,
        }
    }
}

/// Where track analyses and the performer's grid corrections are cached; `None` analyses
/// every load anew. The live app puts the user's cache here; offline renders and tests leave
/// it empty unless they test the cache.
#[derive(Resource, Debug, Clone, Default)]
pub struct TrackCache(pub Option<AnalysisCache>);

/// A decoded track on its way to a deck: the samples for the audio thread and the info for the
/// world, carried together in one [`engine_rt::IntentKind::Load`].
#[derive(Clone)]
pub struct LoadedTrack {
    /// The samples, freed off the audio thread when the last holder drops them.
    pub shared: Shared<Track>,
    /// What the world shows about the track.
    pub info: Arc<TrackInfo>,
}

/// `path` relative to `base` when it lies inside it, else absolute: how sets and recordings
/// name their files so a folder can move as a whole.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (p, b) = (abs(path), abs(base));
    p.strip_prefix(&b).map_or_else(|_| p.clone(), Path::to_path_buf)
}
