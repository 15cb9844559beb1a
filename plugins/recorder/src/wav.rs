//! The thread that drains the engine's recording ring into a WAV file.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the WAV header is brought up to date (what a crash can lose).
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Sleep between drains when the ring is empty.
const IDLE: Duration = Duration::from_millis(10);

/// State shared with the writer thread.
#[derive(Default)]
struct Shared {
    /// Stereo frames written so far.
    frames: AtomicU64,
    /// Stop once this many frames are written (u64::MAX: run on).
    limit: AtomicU64,
    stop: AtomicBool,
}

/// Writes 32-bit float stereo WAV from the engine's recording ring on its own thread.
pub struct WavWriterThread {
    shared: Arc<Shared>,
    join: Option<JoinHandle<Result<(), String>>>,
}

impl WavWriterThread {
    /// Creates the file and starts draining `ring` into it.
    pub fn start(mut ring: rtrb::Consumer<f32>, path: &Path, sample_rate: u32) -> Result<Self, String> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let name = path.display().to_string();
        let mut wav = hound::WavWriter::create(path, spec).map_err(|e| format!("cannot create '{name}': {e}"))?;
        let shared = Arc::new(Shared {
            limit: AtomicU64::new(u64::MAX),
            ..Shared::default()
        });
        let s = shared.clone();
        let join = std::thread::Builder::new()
            .name("phosphene-recorder".into())
            .spawn(move || {
                let fail = |e: hound::Error| format!("cannot write '{name}': {e}");
                let mut last_flush = Instant::now();
                let mut samples = 0u64;
                loop {
                    let stopping = s.stop.load(Ordering::Acquire);
                    let limit = s.limit.load(Ordering::Acquire).saturating_mul(2);
                    let take = (ring.slots() as u64).min(limit.saturating_sub(samples)) as usize;
                    if let Ok(chunk) = ring.read_chunk(take) {
                        let (a, b) = chunk.as_slices();
                        for &x in a.iter().chain(b) {
                            wav.write_sample(x).map_err(fail)?;
                        }
                        chunk.commit_all();
                    }
                    samples += take as u64;
                    s.frames.store(samples / 2, Ordering::Relaxed);
                    if samples >= limit || (stopping && take == 0) {
                        break;
                    }
                    if last_flush.elapsed() >= FLUSH_EVERY {
                        wav.flush().map_err(fail)?;
                        last_flush = Instant::now();
                    }
                    if take == 0 {
                        std::thread::sleep(IDLE);
                    }
                }
                wav.finalize().map_err(fail)
            })
            .map_err(|e| format!("cannot start the recorder thread: {e}"))?;
        Ok(Self {
            shared,
            join: Some(join),
        })
    }

    /// Stereo frames written so far.
    pub fn frames(&self) -> u64 {
        self.shared.frames.load(Ordering::Relaxed)
    }

    /// Finishes the file at `limit` frames at most (or with what the ring holds now), and
    /// returns the frames written.
    pub fn finish(mut self, limit: Option<u64>) -> Result<u64, String> {
        if let Some(l) = limit {
            self.shared.limit.store(l, Ordering::Release);
        }
        self.shared.stop.store(true, Ordering::Release);
        let result = self.join.take().map_or(Ok(()), |j| {
            j.join().unwrap_or_else(|_| Err("recorder thread panicked".into()))
        });
        result.map(|()| self.frames())
    }
}

impl Drop for WavWriterThread {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}
