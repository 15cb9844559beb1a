//! Loading tracks off the audio thread: symphonia decode, rubato resample to the engine rate.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use basedrop::Shared;
use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

use crate::analysis::overview::Overview;
use crate::decode::{AudioReader, Block};
use crate::track::Track;
use crate::track_analysis::cache::{ANALYSIS_VERSION, AnalysisCache, CacheEntry, ContentKey};
use crate::track_analysis::{TrackAnalyser, TrackAnalysis};

/// Default longest track accepted, in seconds (30 minutes: 690 MB at 48 kHz).
pub const DEFAULT_MAX_SECONDS: f64 = 30.0 * 60.0;

/// Why a file could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadErrorKind {
    /// The file could not be opened or read.
    Io(String),
    /// No demuxer or decoder understands it.
    Unsupported(String),
    /// The data is damaged.
    Corrupt(String),
    /// The file ends before the length its header announces.
    Truncated {
        /// Seconds of audio decoded before the data ended.
        decoded_seconds: f64,
        /// Seconds the header announces.
        expected_seconds: f64,
    },
    /// It decodes to no audio at all.
    Empty,
    /// Stopped on request before the end.
    Cancelled,
    /// Longer than the configured limit.
    TooLong {
        /// Seconds decoded when the limit was passed (decoding stops there).
        seconds: f64,
        /// The configured limit in seconds.
        max_seconds: f64,
    },
}

/// A failed load, naming the file.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    /// The file that failed.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: LoadErrorKind,
}

impl std::fmt::Display for LoadErrorKind {
    /// What is wrong, without the file's name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => f.write_str(e),
            Self::Unsupported(e) => write!(f, "unsupported format ({e})"),
            Self::Corrupt(e) => write!(f, "corrupt or truncated audio ({e})"),
            Self::Truncated {
                decoded_seconds,
                expected_seconds,
            } => write!(
                f,
                "truncated, audio ends after {decoded_seconds:.2} s of {expected_seconds:.2} s"
            ),
            Self::Empty => f.write_str("the file contains no audio"),
            Self::Cancelled => f.write_str("cancelled"),
            Self::TooLong { seconds, max_seconds } => {
                write!(f, "{seconds:.0} s is longer than the {max_seconds:.0} s limit")
            }
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.path.display();
        match &self.kind {
            LoadErrorKind::Io(e) => write!(f, "cannot read '{p}': {e}"),
            kind => write!(f, "cannot load '{p}': {kind}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Options for decoding one file.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Engine sample rate to resample to.
    pub sample_rate: u32,
    /// Tempo of the beat grid, if known.
    pub bpm: Option<f64>,
    /// First beat of the grid in seconds.
    pub first_beat: f64,
    /// The given grid is the performer's locked one.
    pub grid_locked: bool,
    /// Longest accepted duration.
    pub max_seconds: f64,
    /// Where analyses are cached; without one every load analyses its track.
    pub cache: Option<AnalysisCache>,
}

impl LoadOptions {
    /// Defaults for an engine running at `sample_rate`.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            bpm: None,
            first_beat: 0.0,
            grid_locked: false,
            max_seconds: DEFAULT_MAX_SECONDS,
            cache: None,
        }
    }
}

/// Decodes and resamples a file on the calling thread. `progress` receives 0..1.
pub fn decode_file(path: &Path, opts: &LoadOptions, progress: impl FnMut(f32)) -> Result<Track, LoadError> {
    decode_with(path, opts, progress, |_| {})
}

/// [`decode_file`], showing each block at the file's own rate to `each` before it is resampled.
fn decode_with(
    path: &Path,
    opts: &LoadOptions,
    mut progress: impl FnMut(f32),
    mut each: impl FnMut(&Block<'_>),
) -> Result<Track, LoadError> {
    let mut reader = AudioReader::open(path)?;
    let reserve = reader
        .expected_frames()
        .map_or(0, |n| n.min((opts.max_seconds * 384_000.0) as u64) as usize);
    let mut planar: Planar = [Vec::with_capacity(reserve), Vec::with_capacity(reserve)];
    let mut rate = 0;
    std::thread::scope(|scope| {
        // Resampling runs on a second thread while decoding goes on.
        let mut resampler: Option<ResamplerWorker<'_>> = None;
        let mut first = true;
        while let Some(block) = reader.next_block()? {
            each(&block);
            rate = block.rate;
            if first && rate != opts.sample_rate {
                let (tx, rx) = mpsc::sync_channel(4);
                let (from, to) = (rate, opts.sample_rate);
                resampler = Some((tx, scope.spawn(move || resample_stream(rx, from, to))));
            }
            first = false;
            planar[0].extend_from_slice(block.left);
            planar[1].extend_from_slice(block.right);
            if let Some((tx, _)) = &resampler
                && planar[0].len() >= STREAM_BLOCK
            {
                // A send fails only if the resampler stopped on an error; join reports it below.
                let _ = tx.send([std::mem::take(&mut planar[0]), std::mem::take(&mut planar[1])]);
            }
            let seconds = reader.decoded_seconds();
            if seconds > opts.max_seconds {
                return Err(LoadError {
                    path: path.to_path_buf(),
                    kind: LoadErrorKind::TooLong {
                        seconds,
                        max_seconds: opts.max_seconds,
                    },
                });
            }
            if let Some(f) = reader.fraction() {
                progress(f * 0.95);
            }
        }
        reader.finish()?;
        let unsupported = |e| LoadError {
            path: path.to_path_buf(),
            kind: LoadErrorKind::Unsupported(e),
        };
        let planar = match resampler {
            Some((tx, worker)) => {
                let _ = tx.send(planar);
                drop(tx);
                let joined = worker
                    .join()
                    .unwrap_or_else(|_| Err("resampler thread panicked".into()));
                joined.map_err(unsupported)?
            }
            None if rate == opts.sample_rate => planar,
            // The rate changed mid-stream: resample what we have on this thread.
            None => {
                let (tx, rx) = mpsc::sync_channel(1);
                let _ = tx.send(planar);
                drop(tx);
                resample_stream(rx, rate, opts.sample_rate).map_err(unsupported)?
            }
        };
        progress(1.0);
        let frames = planar[0].iter().zip(&planar[1]).map(|(&l, &r)| [l, r]).collect();
        Ok(Track {
            name: path
                .file_stem()
                .map_or_else(|| "track".into(), |s| s.to_string_lossy().into_owned()),
            path: Some(path.to_path_buf()),
            sample_rate: opts.sample_rate,
            frames,
            bpm: opts.bpm,
            first_beat: opts.first_beat,
        })
    })
}

/// Stereo planar audio.
type Planar = [Vec<f32>; 2];

/// The decoder's link to the resampler thread: blocks in, the resampled track out.
type ResamplerWorker<'s> = (
    mpsc::SyncSender<Planar>,
    std::thread::ScopedJoinHandle<'s, Result<Planar, String>>,
);

/// Frames the decoder hands to the resampler at a time.
const STREAM_BLOCK: usize = 1 << 16;

/// Band-limited resampling of two planar channels with rubato's FFT resampler, fed in blocks
/// through `input` (so it can run while decoding continues). Returns exactly
/// `ceil(len * to / from)` frames, aligned with the input (the resampler's delay removed).
fn resample_stream(input: mpsc::Receiver<[Vec<f32>; 2]>, from: u32, to: u32) -> Result<[Vec<f32>; 2], String> {
    // Offline, latency does not matter: one large FFT per chunk is the fastest setting.
    let mut r = Fft::<f32>::new_custom(
        from as usize,
        to as usize,
        8192,
        1,
        2,
        WindowFunction::BlackmanHarris2,
        FixedSync::Input,
    )
    .map_err(|e| e.to_string())?;
    let mut pending: [Vec<f32>; 2] = [Vec::new(), Vec::new()];
    let mut out: [Vec<f32>; 2] = [Vec::new(), Vec::new()];
    let mut total_in = 0usize;
    // Runs one chunk of `pending` from `offset` on (or `partial` frames of it, padded with
    // silence) and advances `offset` past what it consumed.
    let step = |r: &mut Fft<f32>,
                pending: &[Vec<f32>; 2],
                offset: &mut usize,
                out: &mut [Vec<f32>; 2],
                partial: Option<usize>| {
        let at = out[0].len();
        let max = r.output_frames_max();
        for o in out.iter_mut() {
            o.resize(at + max, 0.0);
        }
        let len = pending[0].len();
        let inp = SequentialSliceOfVecs::new(&pending[..], 2, len).map_err(|e| e.to_string())?;
        let mut outp = SequentialSliceOfVecs::new_mut(&mut out[..], 2, at + max).map_err(|e| e.to_string())?;
        let idx = Indexing {
            input_offset: *offset,
            output_offset: at,
            partial_len: partial,
            active_channels_mask: None,
        };
        let (used, made) = r
            .process_into_buffer(&inp, &mut outp, Some(&idx))
            .map_err(|e| e.to_string())?;
        for o in out.iter_mut() {
            o.truncate(at + made);
        }
        *offset = (*offset + used).min(len);
        Ok::<(), String>(())
    };
    let mut offset = 0;
    for block in input {
        total_in += block[0].len();
        for (p, b) in pending.iter_mut().zip(block) {
            p.extend_from_slice(&b);
        }
        while pending[0].len() - offset >= r.input_frames_next() {
            step(&mut r, &pending, &mut offset, &mut out, None)?;
        }
        for p in pending.iter_mut() {
            p.drain(..offset);
        }
        offset = 0;
    }
    let want = (total_in as u64 * to as u64).div_ceil(from as u64) as usize;
    let delay = r.output_delay();
    let left = pending[0].len();
    if left > 0 {
        step(&mut r, &pending, &mut offset, &mut out, Some(left))?;
    }
    while out[0].len() < delay + want {
        step(&mut r, &pending, &mut offset, &mut out, Some(0))?;
    }
    for o in out.iter_mut() {
        o.drain(..delay);
        o.truncate(want);
    }
    Ok(out)
}

/// A decoded track with everything the displays and the deck need to know about it.
pub struct Loaded {
    /// The track at the engine rate, with its beat grid.
    pub track: Track,
    /// Its waveform overview.
    pub overview: Overview,
    /// What analysis found (from the cache when it held the file).
    pub analysis: Option<TrackAnalysis>,
    /// The file's identity in the analysis cache, when one is used.
    pub content: Option<ContentKey>,
    /// The grid is the performer's locked correction.
    pub grid_locked: bool,
}

/// What the loader thread does for each request: decode and resample, compute the waveform
/// overview the displays draw, and analyse the track while it decodes (or take the analysis
/// from the cache). The grid is the request's when it gives a tempo, else the performer's
/// cached correction, else the analysed one.
pub fn load_and_analyse(path: &Path, opts: &LoadOptions, mut progress: impl FnMut(f32)) -> Result<Loaded, LoadError> {
    let content = opts.cache.as_ref().and_then(|_| ContentKey::of_file(path).ok());
    let cached = opts.cache.as_ref().zip(content.as_ref()).and_then(|(c, k)| c.get(k));
    let mut analyser: Option<TrackAnalyser> = None;
    let mut track = decode_with(path, opts, &mut progress, |block| {
        if cached.is_some() {
            return;
        }
        let a = analyser.get_or_insert_with(|| TrackAnalyser::new(block.rate));
        if block.rate == a.rate() {
            a.push(block.left, block.right);
        }
    })?;
    let overview = Overview::of(&track);
    let (analysis, edited) = match cached {
        Some(entry) => (Some(entry.analysis), entry.grid),
        None => {
            let analysis = analyser.map(TrackAnalyser::finish);
            if let (Some(c), Some(k), Some(a)) = (&opts.cache, &content, &analysis) {
                let entry = CacheEntry {
                    version: ANALYSIS_VERSION,
                    analysis: a.clone(),
                    grid: None,
                };
                // A cache that cannot be written costs only the next load's analysis.
                let _ = c.put(k, &entry);
            }
            (analysis, None)
        }
    };
    let mut grid_locked = track.bpm.is_some() && opts.grid_locked;
    if track.bpm.is_none() {
        let grid = match edited {
            Some(g) => {
                grid_locked = g.locked;
                Some((g.bpm, g.first_beat))
            }
            None => analysis.as_ref().and_then(TrackAnalysis::grid),
        };
        if let Some((bpm, first_beat)) = grid {
            track.bpm = Some(bpm);
            track.first_beat = first_beat;
        }
    }
    progress(1.0);
    Ok(Loaded {
        track,
        overview,
        analysis,
        content,
        grid_locked,
    })
}

/// Identifies one request to the loader thread.
pub type JobId = u64;

/// What the loader thread reports.
pub enum LoadEvent {
    /// Decoding progress 0..1.
    Progress {
        /// The request this reports on.
        job: JobId,
        /// Share decoded so far, 0..1.
        fraction: f32,
    },
    /// The track is ready to send to a deck, with its waveform overview and analysis.
    Done {
        /// The request this reports on.
        job: JobId,
        /// The decoded track.
        track: Shared<Track>,
        /// Its waveform overview.
        overview: Overview,
        /// What analysis found.
        analysis: Option<TrackAnalysis>,
        /// The file's identity in the analysis cache, when one is used.
        content: Option<ContentKey>,
        /// The grid is the performer's locked correction.
        grid_locked: bool,
    },
    /// The file could not be loaded; the engine is unaffected.
    Failed {
        /// The request this reports on.
        job: JobId,
        /// Why it failed.
        error: LoadError,
    },
}

struct Request {
    job: JobId,
    path: PathBuf,
    opts: LoadOptions,
}

/// Decodes one request and reports its progress and result; false once nobody listens.
fn serve(r: &Request, collector: &basedrop::Handle, events: &mpsc::Sender<LoadEvent>) -> bool {
    let job = r.job;
    let result = load_and_analyse(&r.path, &r.opts, |fraction| {
        let _ = events.send(LoadEvent::Progress { job, fraction });
    });
    let ev = match result {
        Ok(l) => LoadEvent::Done {
            job,
            track: Shared::new(collector, l.track),
            overview: l.overview,
            analysis: l.analysis,
            content: l.content,
            grid_locked: l.grid_locked,
        },
        Err(error) => LoadEvent::Failed { job, error },
    };
    events.send(ev).is_ok()
}

/// Where a [`Loader`]'s requests are decoded.
enum Worker {
    /// On the loader thread, in order; the caller never waits.
    Thread {
        requests: Option<mpsc::Sender<Request>>,
        join: Option<JoinHandle<()>>,
    },
    /// Inside [`Loader::load`], on the caller's thread.
    Inline {
        collector: basedrop::Handle,
        events: mpsc::Sender<LoadEvent>,
    },
}

/// Decodes requests in order and reports progress and results: on a loader thread for live
/// play, or inline for offline runs and tests, where the result must not depend on how fast
/// another thread is.
pub struct Loader {
    worker: Worker,
    events: mpsc::Receiver<LoadEvent>,
    next: JobId,
}

impl Loader {
    /// Starts the thread; finished tracks are wrapped with `collector` for the audio thread.
    pub fn spawn(collector: basedrop::Handle) -> Self {
        let (req_tx, req_rx) = mpsc::channel::<Request>();
        let (ev_tx, events) = mpsc::channel();
        let join = std::thread::Builder::new()
            .name("phosphene-loader".into())
            .spawn(move || {
                for r in req_rx {
                    if !serve(&r, &collector, &ev_tx) {
                        return;
                    }
                }
            })
            .ok();
        Self {
            worker: Worker::Thread {
                requests: Some(req_tx),
                join,
            },
            events,
            next: 1,
        }
    }

    /// A loader without a thread: [`Loader::load`] decodes before it returns, so the result is
    /// there for the next [`Loader::poll`] (offline renders, tests that step the engine).
    pub fn inline(collector: basedrop::Handle) -> Self {
        let (events_tx, events) = mpsc::channel();
        Self {
            worker: Worker::Inline {
                collector,
                events: events_tx,
            },
            events,
            next: 1,
        }
    }

    /// Queues a file; returns the job id its events will carry.
    pub fn load(&mut self, path: impl Into<PathBuf>, opts: LoadOptions) -> JobId {
        let job = self.next;
        self.next += 1;
        let path = path.into();
        let sent = match &self.worker {
            Worker::Thread { requests, .. } => requests.as_ref().map(|tx| {
                tx.send(Request {
                    job,
                    path: path.clone(),
                    opts,
                })
                .map_err(|_| ())
            }),
            Worker::Inline { collector, events } => {
                let r = Request {
                    job,
                    path: path.clone(),
                    opts,
                };
                serve(&r, collector, events);
                Some(Ok(()))
            }
        };
        if !matches!(sent, Some(Ok(()))) {
            // Only if the thread could not start: report instead of losing the request.
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(LoadEvent::Failed {
                job,
                error: LoadError {
                    path,
                    kind: LoadErrorKind::Io("loader thread is not running".into()),
                },
            });
            self.events = rx;
        }
        job
    }

    /// Next event, without waiting.
    pub fn poll(&mut self) -> Option<LoadEvent> {
        self.events.try_recv().ok()
    }

    /// Next event, waiting up to `timeout`.
    pub fn wait(&mut self, timeout: std::time::Duration) -> Option<LoadEvent> {
        self.events.recv_timeout(timeout).ok()
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        if let Worker::Thread { requests, join } = &mut self.worker {
            requests.take();
            if let Some(j) = join.take() {
                let _ = j.join();
            }
        }
    }
}
