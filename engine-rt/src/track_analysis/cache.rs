//! The analysis cache: one small RON file per track, named by a hash of the file's bytes, so a
//! renamed or moved file is still known and an edited one is analysed anew. The performer's
//! grid corrections are kept beside the analysis, so they follow the track into every set.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::TrackAnalysis;

/// Bumped whenever analysis changes what it finds: older entries are then analysed anew (the
/// performer's grid edits in them are kept: [`AnalysisCache::edited_grid`]).
pub const ANALYSIS_VERSION: u32 = 2;
/// Environment variable that moves the cache (tests, portable installs).
pub const CACHE_DIR_VAR: &str = "PHOSPHENE_CACHE_DIR";

/// A track's identity in the cache: the BLAKE3 hash of its file's bytes, in hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContentKey(pub String);

impl ContentKey {
    /// Hashes a file's bytes (about 1 GB/s: a few ms for a track).
    pub fn of_file(path: &Path) -> std::io::Result<Self> {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(Self(hasher.finalize().to_hex().to_string()))
    }
}

/// A beat grid the performer corrected (or locked).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EditedGrid {
    /// Tempo in beats per minute.
    pub bpm: f64,
    /// A downbeat, in seconds of the track.
    pub first_beat: f64,
    /// Whether the performer locked it.
    pub locked: bool,
}

/// What the cache holds for one track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// [`ANALYSIS_VERSION`] of the analysis that wrote it.
    pub version: u32,
    /// What analysis found.
    pub analysis: TrackAnalysis,
    /// The performer's correction of the grid, if any.
    #[serde(default)]
    pub grid: Option<EditedGrid>,
}

impl CacheEntry {
    /// Whether every number a deck would use lies in its range: a cache file is input like any
    /// other, and an entry edited by hand or damaged into nonsense must never reach a deck.
    fn is_sane(&self) -> bool {
        let in_range = |r: &crate::ranges::Range, v: f64| r.check(v).is_ok();
        let grid_ok =
            |bpm: f64, first: f64| in_range(&crate::ranges::BPM, bpm) && in_range(&crate::ranges::POSITION, first);
        let rhythm_ok = self.analysis.rhythm.as_ref().is_none_or(|r| {
            grid_ok(r.bpm, r.first_beat)
                && (0.0..=1.0).contains(&r.confidence)
                && r.beats.iter().all(|b| b.is_finite())
                && r.off_grid.iter().all(|(a, b)| a.is_finite() && b.is_finite())
        });
        let loudness_ok = self
            .analysis
            .loudness
            .is_none_or(|l| l.integrated_lufs.is_finite() && l.peak.is_finite() && l.range_lu.is_finite());
        rhythm_ok
            && loudness_ok
            && self.analysis.seconds.is_finite()
            && self.grid.is_none_or(|g| grid_ok(g.bpm, g.first_beat))
    }
}

/// The cache folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisCache {
    dir: PathBuf,
}

impl AnalysisCache {
    /// A cache in `dir` (created when first written).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The user's cache: `$PHOSPHENE_CACHE_DIR`, else `$XDG_CACHE_HOME/phosphene/analysis`,
    /// else `~/.cache/phosphene/analysis`; `None` without a home.
    pub fn user() -> Option<Self> {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        var(CACHE_DIR_VAR)
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("phosphene/analysis")))
            .or_else(|| var("HOME").map(|d| d.join(".cache/phosphene/analysis")))
            .map(Self::at)
    }

    /// The folder it lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, key: &ContentKey) -> PathBuf {
        self.dir.join(format!("{}.ron", key.0))
    }

    /// The entry for `key`, if one of this analysis version is stored, reads back whole and
    /// holds only numbers in their ranges (anything else counts as missing and is rewritten by
    /// the next analysis).
    pub fn get(&self, key: &ContentKey) -> Option<CacheEntry> {
        self.read(key).filter(|e| e.version == ANALYSIS_VERSION)
    }

    /// The performer's grid correction stored for `key`, whichever analysis version wrote the
    /// entry: an edit is the performer's, not the analysis's, and outlives a new analysis.
    pub fn edited_grid(&self, key: &ContentKey) -> Option<EditedGrid> {
        self.read(key)?.grid
    }

    /// The entry for `key` of any version, if it reads back whole and sane.
    fn read(&self, key: &ContentKey) -> Option<CacheEntry> {
        let text = std::fs::read_to_string(self.file(key)).ok()?;
        ron::from_str::<CacheEntry>(&text).ok().filter(CacheEntry::is_sane)
    }

    /// Stores an entry, replacing the old one atomically (write, then rename), so a crash
    /// never leaves half a file.
    pub fn put(&self, key: &ContentKey, entry: &CacheEntry) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let text = ron::ser::to_string(entry).map_err(std::io::Error::other)?;
        let tmp = self.dir.join(format!(".{}.{}.tmp", key.0, std::process::id()));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, self.file(key))
    }

    /// Keeps the performer's grid for a track already in the cache.
    pub fn put_grid(&self, key: &ContentKey, grid: EditedGrid) -> std::io::Result<()> {
        let Some(mut entry) = self.get(key) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the track is not in the analysis cache",
            ));
        };
        entry.grid = Some(grid);
        self.put(key, &entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> CacheEntry {
        CacheEntry {
            version: ANALYSIS_VERSION,
            analysis: TrackAnalysis {
                seconds: 12.5,
                rhythm: None,
                key: None,
                loudness: None,
            },
            grid: None,
        }
    }

    #[test]
    fn entries_round_trip_and_keep_grid_edits() {
        let dir = std::env::temp_dir().join(format!("phosphene-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cache = AnalysisCache::at(&dir);
        let key = ContentKey("ab".repeat(32));
        assert_eq!(cache.get(&key), None);
        cache.put(&key, &entry()).unwrap();
        assert_eq!(cache.get(&key), Some(entry()));
        let g = EditedGrid {
            bpm: 97.0,
            first_beat: 0.25,
            locked: true,
        };
        cache.put_grid(&key, g).unwrap();
        assert_eq!(cache.get(&key).and_then(|e| e.grid), Some(g));
        // A damaged or outdated entry reads as missing.
        std::fs::write(cache.file(&key), "CacheEntry(version: 1, analysis: (").unwrap();
        assert_eq!(cache.get(&key), None);
        // An outdated one too, but the performer's grid in it is kept.
        let old = CacheEntry {
            version: ANALYSIS_VERSION - 1,
            grid: Some(g),
            ..entry()
        };
        cache.put(&key, &old).unwrap();
        assert_eq!(cache.get(&key), None);
        assert_eq!(cache.edited_grid(&key), Some(g));
        // Numbers out of their ranges never reach a deck.
        let mad = EditedGrid { bpm: f64::NAN, ..g };
        cache
            .put(
                &key,
                &CacheEntry {
                    grid: Some(mad),
                    ..entry()
                },
            )
            .unwrap();
        assert_eq!(cache.get(&key), None);
        let slow = EditedGrid { bpm: 1.0e6, ..g };
        cache
            .put(
                &key,
                &CacheEntry {
                    grid: Some(slow),
                    ..entry()
                },
            )
            .unwrap();
        assert_eq!(cache.get(&key), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn content_keys_follow_the_bytes_not_the_name() {
        let dir = std::env::temp_dir().join(format!("phosphene-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b, c) = (dir.join("a.wav"), dir.join("b.wav"), dir.join("c.wav"));
        std::fs::write(&a, b"same bytes").unwrap();
        std::fs::write(&b, b"same bytes").unwrap();
        std::fs::write(&c, b"other bytes").unwrap();
        let k = |p: &Path| ContentKey::of_file(p).unwrap();
        assert_eq!(k(&a), k(&b));
        assert_ne!(k(&a), k(&c));
        assert_eq!(k(&a).0.len(), 64);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
