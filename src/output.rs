//! Opening the audio output: the same choices and fallback for `phosphene play` and the app.

use std::sync::Arc;

use engine_rt::EngineProcessor;
use engine_rt::backend::ahead::AheadWorker;
use engine_rt::backend::cpal::{CpalStream, DeviceRequest, HostChoice, PreparedOutput};
use engine_rt::backend::null::NullOutput;
use engine_rt::backend::{CallbackStats, Feed};
use engine_rt::stats::EngineStats;

use crate::AudioChoice;

/// Sample rate and buffer of the null output.
pub const NULL_RATE: u32 = 48_000;
pub const NULL_BUFFER: u32 = 256;
/// Frames the engine renders ahead of the device unless `--ahead` says otherwise (43 ms at
/// 48 kHz), for the app and `play` alike. With it the callback only copies, so a slow block
/// (key-locked decks, a busy host) is absorbed by the ring instead of reaching the speaker as a
/// dropout; and the analysis of the audio reaching the speaker when a video frame is shown
/// exists when that frame is planned (two frames in flight at 60 Hz plus one analysis hop; see
/// docs/SHADERS.md). `--ahead 0` renders in the callback, for the lowest latency.
pub const DEFAULT_AHEAD: usize = 2048;

/// Where audio should go.
#[derive(Debug, Clone)]
pub struct OutputRequest {
    pub audio: AudioChoice,
    pub device: Option<String>,
    pub buffer: Option<u32>,
}

/// An output chosen but not started: a device, or the paced null output.
pub struct ChosenOutput {
    device: Option<PreparedOutput>,
    buffer: u32,
    /// Why the null output is used instead of a device, for the performer to see.
    pub notice: Option<String>,
}

impl ChosenOutput {
    /// Opens the requested output. With `default`, a missing device falls back to the null
    /// output with a notice; an explicitly requested device that fails is an error.
    pub fn open(req: &OutputRequest) -> Result<Self, String> {
        let host = match req.audio {
            AudioChoice::Null => {
                return Ok(Self {
                    device: None,
                    buffer: req.buffer.unwrap_or(NULL_BUFFER),
                    notice: None,
                });
            }
            AudioChoice::Jack => HostChoice::Jack,
            AudioChoice::Default => HostChoice::Default,
        };
        let dreq = DeviceRequest {
            host,
            device: req.device.clone(),
            buffer: req.buffer,
        };
        match PreparedOutput::open(&dreq) {
            Ok(p) => Ok(Self {
                device: Some(p),
                buffer: req.buffer.unwrap_or(NULL_BUFFER),
                notice: None,
            }),
            Err(e) if req.audio == AudioChoice::Default => {
                let notice = format!("no audio device could be opened ({e}); playing to the paced null output instead");
                eprintln!("warning: {notice}");
                Ok(Self {
                    device: None,
                    buffer: req.buffer.unwrap_or(NULL_BUFFER),
                    notice: Some(notice),
                })
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// Sample rate the engine must run at.
    pub fn sample_rate(&self) -> u32 {
        self.device.as_ref().map_or(NULL_RATE, |p| p.sample_rate())
    }

    /// Output channels (2, or 4 and more with a headphone cue pair).
    pub fn channels(&self) -> usize {
        self.device.as_ref().map_or(2, |p| p.channels())
    }

    /// Frames per block the null output (and render-ahead) use.
    pub fn block(&self) -> usize {
        self.buffer as usize
    }

    /// Starts the stream; returns it with a description for displays.
    pub fn start(self, feed: Feed, stats: Arc<CallbackStats>) -> Result<(RunningOutput, String), String> {
        let rate = self.sample_rate();
        match self.device {
            Some(p) => {
                let what = format!("'{}' at {} Hz, {} channels", p.name, p.sample_rate(), p.channels());
                let stream = p.start(feed, stats).map_err(|e| e.to_string())?;
                Ok((RunningOutput::Device(stream), what))
            }
            None => {
                let what = format!("null output at {rate} Hz, buffer {}", self.buffer);
                let null = NullOutput::start(feed, rate, 2, self.buffer as usize, stats)
                    .map_err(|e| format!("cannot start the null output: {e}"))?;
                Ok((RunningOutput::Null(null), what))
            }
        }
    }
}

/// The render-ahead worker of a feed, with its block timing.
pub struct Ahead {
    worker: AheadWorker,
    stats: Arc<CallbackStats>,
}

impl Ahead {
    /// The line reporting the worker's block times and underruns (printed to stderr at exit).
    pub fn report(&self) -> String {
        format!(
            "render_ahead: blocks={} worker_max_fraction={:.4} worker_p999_fraction={:.4} underruns={}",
            self.stats.callbacks(),
            self.stats.max_fraction(),
            self.stats.quantile_fraction(0.999),
            self.worker.underruns()
        )
    }
}

/// What the output callback runs: the processor itself (`ahead == 0`), or the copying end of a
/// render-ahead worker that runs the processor `ahead` frames ahead at real-time priority.
pub fn feed(
    processor: EngineProcessor,
    ahead: usize,
    channels: usize,
    block: usize,
) -> Result<(Feed, Option<Ahead>), String> {
    if ahead == 0 {
        return Ok((Feed::Direct(Box::new(processor)), None));
    }
    let stats = CallbackStats::new();
    let (out, worker) = engine_rt::backend::ahead::start(processor, channels, block, ahead, stats.clone())
        .map_err(|e| format!("cannot start the render-ahead worker: {e}"))?;
    eprintln!("rendering {ahead} frames ahead of the device");
    if let Err(e) = worker.priority() {
        eprintln!("warning: render-ahead worker at normal priority ({e}); dropouts are more likely");
    }
    Ok((Feed::Ahead(out), Some(Ahead { worker, stats })))
}

/// A running output; dropping it stops the audio.
#[allow(dead_code, reason = "held only for its Drop")]
pub enum RunningOutput {
    Device(CpalStream),
    Null(NullOutput),
}

/// The callback-timing line `play` and the app print at exit: the callback's timing, what the
/// engine had to drop (intents) or scrub (non-finite samples), and `ahead`, the render-ahead
/// the run used (0: rendered in the callback), so the timings can be read in its light.
pub fn report_line(stats: &CallbackStats, engine: &EngineStats, ahead: usize) -> String {
    format!(
        "callbacks={} max_callback_fraction={:.4} p999_callback_fraction={:.4} dropped_intents={} stream_errors={} scrubbed_samples={} ahead={ahead}",
        stats.callbacks(),
        stats.max_fraction(),
        stats.quantile_fraction(0.999),
        engine.dropped_intents(),
        stats.stream_errors(),
        engine.scrubbed_samples(),
    )
}
