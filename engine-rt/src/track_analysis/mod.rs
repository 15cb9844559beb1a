//! Analysis of whole tracks, off the audio thread: tempo, beats and downbeats ([`rhythm`]),
//! musical key ([`key`]) and loudness ([`loudness`]), read in one streaming pass that keeps
//! only compact features (a three-hour file costs no more memory than a short one), and
//! cached per file content ([`cache`]) so a library loads instantly the second time.

pub mod batch;
pub mod cache;
pub mod key;
pub mod loudness;
pub mod rhythm;
pub mod score;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

use crate::decode::AudioReader;
use crate::loader::{LoadError, LoadErrorKind};
pub use key::{Key, KeyAnalyser, KeyEstimate};
pub use loudness::{Loudness, LoudnessMeter};
pub use rhythm::{Rhythm, RhythmAnalyser};

/// Replaces NaN/inf by silence and clamps absurd values, so one corrupt sample cannot turn an
/// analysis into NaN/inf (±16 is +24 dBFS: far above any real float file, small enough that
/// squares and sums stay finite).
#[inline]
pub(crate) fn sanitize(x: f32) -> f32 {
    if x.is_finite() { x.clamp(-16.0, 16.0) } else { 0.0 }
}

/// Everything analysis finds in a track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackAnalysis {
    /// Seconds of audio analysed.
    pub seconds: f64,
    /// Tempo, beats and downbeats; `None` when the track has no pulse.
    pub rhythm: Option<Rhythm>,
    /// Musical key; `None` when no key stands out (drums, noise, speech).
    pub key: Option<KeyEstimate>,
    /// Loudness; `None` for silence.
    pub loudness: Option<Loudness>,
}

impl TrackAnalysis {
    /// The beat grid a deck loads: tempo and the first downbeat at or after the start.
    pub fn grid(&self) -> Option<(f64, f64)> {
        let r = self.rhythm.as_ref()?;
        Some((r.bpm, r.first_downbeat()))
    }
}

/// Key and loudness, which only need the samples: they run on a worker thread of their own
/// beside decoding and rhythm, so a track is analysed in about half the time on two cores.
struct Harmony {
    key: KeyAnalyser,
    loudness: LoudnessMeter,
    mono: Vec<f32>,
}

impl Harmony {
    fn new(rate: u32) -> Self {
        Self {
            key: KeyAnalyser::new(rate),
            loudness: LoudnessMeter::new(rate),
            mono: Vec::new(),
        }
    }

    fn push(&mut self, stereo: &[[f32; 2]]) {
        self.mono.clear();
        self.mono.extend(stereo.iter().map(|[l, r]| 0.5 * (l + r)));
        self.key.push(&self.mono);
        self.loudness.push(stereo);
    }

    fn finish(self) -> (Option<KeyEstimate>, Option<Loudness>) {
        (self.key.finish(), self.loudness.finish())
    }
}

/// Blocks queued for the key and loudness worker before the reader waits for it.
const WORKER_QUEUE: usize = 16;

/// Where [`Harmony`] runs.
enum HarmonyWorker {
    /// On its thread: blocks go over the queue, the results come back at the join.
    Thread {
        blocks: mpsc::SyncSender<Vec<[f32; 2]>>,
        join: JoinHandle<(Option<KeyEstimate>, Option<Loudness>)>,
    },
    /// Inline, when no thread could be started.
    Inline(Box<Harmony>),
}

/// One streaming pass of every analyser over a track's audio.
pub struct TrackAnalyser {
    rate: u32,
    rhythm: RhythmAnalyser,
    harmony: HarmonyWorker,
    frames: u64,
    mono: Vec<f32>,
}

impl TrackAnalyser {
    /// Analysers for audio at `rate`.
    pub fn new(rate: u32) -> Self {
        let (tx, rx) = mpsc::sync_channel::<Vec<[f32; 2]>>(WORKER_QUEUE);
        let spawned = std::thread::Builder::new()
            .name("phosphene-harmony".into())
            .spawn(move || {
                let mut h = Harmony::new(rate);
                for block in rx {
                    h.push(&block);
                }
                h.finish()
            });
        let harmony = match spawned {
            Ok(join) => HarmonyWorker::Thread { blocks: tx, join },
            // Nothing was pushed yet: fresh analysers inline do the same work.
            Err(_) => HarmonyWorker::Inline(Box::new(Harmony::new(rate))),
        };
        Self {
            rate,
            rhythm: RhythmAnalyser::new(rate),
            harmony,
            frames: 0,
            mono: Vec::new(),
        }
    }

    /// The rate the analysers were made for.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Feeds one block of the two channels (equal lengths).
    pub fn push(&mut self, left: &[f32], right: &[f32]) {
        self.mono.clear();
        self.mono.extend(left.iter().zip(right).map(|(l, r)| 0.5 * (l + r)));
        let stereo: Vec<[f32; 2]> = left.iter().zip(right).map(|(&l, &r)| [l, r]).collect();
        match &mut self.harmony {
            // A send fails only if the worker died; its join then reports no key or loudness.
            HarmonyWorker::Thread { blocks, .. } => drop(blocks.send(stereo)),
            HarmonyWorker::Inline(h) => h.push(&stereo),
        }
        self.rhythm.push(&self.mono);
        self.frames += self.mono.len() as u64;
    }

    /// What the pass found.
    pub fn finish(self) -> TrackAnalysis {
        let rhythm = self.rhythm.finish();
        let (key, loudness) = match self.harmony {
            HarmonyWorker::Thread { blocks, join } => {
                drop(blocks);
                join.join().unwrap_or((None, None))
            }
            HarmonyWorker::Inline(h) => h.finish(),
        };
        TrackAnalysis {
            seconds: self.frames as f64 / self.rate.max(1) as f64,
            rhythm,
            key,
            loudness,
        }
    }
}

/// Reads and analyses a file without keeping its samples. `progress` receives 0..1 where the
/// header announces a length; setting `cancel` stops it within one decoded block.
pub fn analyse_file(
    path: &Path,
    cancel: &AtomicBool,
    mut progress: impl FnMut(f32),
) -> Result<TrackAnalysis, LoadError> {
    let mut reader = AudioReader::open(path)?;
    let mut analyser: Option<TrackAnalyser> = None;
    while let Some(block) = reader.next_block()? {
        if cancel.load(Ordering::Relaxed) {
            return Err(LoadError {
                path: path.to_path_buf(),
                kind: LoadErrorKind::Cancelled,
            });
        }
        let a = analyser.get_or_insert_with(|| TrackAnalyser::new(block.rate));
        // A stream that changes rate midway (rare: chained Ogg) is analysed at its first rate.
        if block.rate == a.rate() {
            a.push(block.left, block.right);
        }
        if let Some(f) = reader.fraction() {
            progress(f);
        }
    }
    reader.finish()?;
    progress(1.0);
    analyser.map(TrackAnalyser::finish).ok_or_else(|| LoadError {
        path: path.to_path_buf(),
        kind: LoadErrorKind::Empty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(name: &str, seconds: f64) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("phosphene-{name}-{}.wav", std::process::id()));
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 22_050,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).expect("create");
        for i in 0..(seconds * 22_050.0) as usize {
            let v = ((i as f64 * 0.05).sin() * 8_000.0) as i16;
            w.write_sample(v).expect("write");
            w.write_sample(v).expect("write");
        }
        w.finalize().expect("finish");
        path
    }

    #[test]
    fn analysis_stops_when_cancelled_and_reads_whole_files_otherwise() {
        let path = wav("cancel", 3.0);
        let e = analyse_file(&path, &AtomicBool::new(true), |_| {}).expect_err("cancelled");
        assert_eq!(e.kind, LoadErrorKind::Cancelled);
        let mut last = 0.0;
        let a = analyse_file(&path, &AtomicBool::new(false), |f| last = f).expect("analysed");
        assert!((a.seconds - 3.0).abs() < 0.01, "{}", a.seconds);
        assert_eq!(last, 1.0);
        // A steady tone: loud enough to measure, no pulse.
        assert!(a.loudness.is_some() && a.rhythm.is_none(), "{:?}", a.rhythm);
        let _ = std::fs::remove_file(path);
    }
}
