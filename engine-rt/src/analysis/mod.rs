//! Analysis: an audio tap on the audio thread feeds a separate thread that owns the FFT plans
//! and publishes fixed-size [`AnalysisFrame`]s for the master, every deck and live input.

pub mod features;
pub mod overview;
pub mod pitch;
pub mod tap;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use features::Analyzer;
use tap::{BlockStamp, HEADER};

/// FFT length in samples (43 ms at 48 kHz).
pub const FFT_SIZE: usize = 2048;
/// Samples between frames (about 94 frames a second at 48 kHz).
pub const HOP: usize = 512;
/// Log-spaced bands from 30 Hz to 16 kHz.
pub const BANDS: usize = 16;
/// Magnitude bins carried in every frame (0 Hz up to a quarter of the sample rate).
pub const SPECTRUM_BINS: usize = 512;
/// Points of the waveform snapshot (the analysis window, decimated).
pub const WAVEFORM_LEN: usize = 256;
/// Frames buffered for the control side before new ones are dropped.
const FRAME_QUEUE: usize = 512;

/// What a frame describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The master output after the limiter.
    Master,
    /// One deck after its fader, before the crossfader.
    Deck(u8),
    /// Live input from a capture device.
    Input,
}

/// A detected fundamental.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pitch {
    /// Fundamental in Hz.
    pub hz: f32,
    /// MIDI note number with cents as the fraction (69.0 = A4).
    pub midi: f32,
    /// Confidence 0..1 (1 - YIN aperiodicity).
    pub clarity: f32,
}

impl Pitch {
    /// Builds a pitch from a frequency.
    pub fn from_hz(hz: f32, clarity: f32) -> Self {
        Self {
            hz,
            midi: 69.0 + 12.0 * (hz / 440.0).log2(),
            clarity,
        }
    }

    /// Nearest note name, e.g. `A4`.
    pub fn name(&self) -> String {
        const NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
        let n = self.midi.round() as i32;
        format!("{}{}", NAMES[n.rem_euclid(12) as usize], n.div_euclid(12) - 1)
    }
}

/// Features of one hop of one source. Levels and bands are 0..1 on a -60..0 dB scale; the
/// spectrum holds linear magnitudes (a full-scale sine reads 1.0).
#[derive(Debug, Clone)]
pub struct AnalysisFrame {
    /// What was analysed.
    pub source: Source,
    /// Output frame at the centre of the analysed window.
    pub sample_time: u64,
    /// Clock beat at `sample_time`.
    pub beat: f64,
    /// Clock tempo at `sample_time`, in beats per minute.
    pub bpm: f32,
    /// Position within the beat, 0..1.
    pub beat_phase: f32,
    /// Position within the bar, 0..1.
    pub bar_phase: f32,
    /// RMS of the newest hop (linear).
    pub rms: f32,
    /// Peak of the newest hop (linear).
    pub peak: f32,
    /// Energy below 250 Hz (0..1).
    pub bass: f32,
    /// Energy from 250 Hz to 4 kHz (0..1).
    pub mid: f32,
    /// Energy above 4 kHz (0..1).
    pub high: f32,
    /// Log-spaced band levels (0..1).
    pub bands: [f32; BANDS],
    /// Whether a spectral-flux onset fell in this hop.
    pub onset: bool,
    /// How far above the onset threshold the flux was.
    pub onset_strength: f32,
    /// Onsets within bass, mid and high.
    pub hits: [bool; 3],
    /// Fundamental of tonal input (only for [`Source::Input`]).
    pub pitch: Option<Pitch>,
    /// Magnitude spectrum, bin k at k * sample_rate / FFT_SIZE Hz.
    pub spectrum: [f32; SPECTRUM_BINS],
    /// The analysed window, decimated, oldest first.
    pub waveform: [f32; WAVEFORM_LEN],
}

/// One tap stream the analysis thread reads: blocks of `sources.len()` interleaved channels.
pub struct TapStream {
    /// Ring written by a [`tap::TapWriter`].
    pub consumer: rtrb::Consumer<f32>,
    /// The source of each channel, in order.
    pub sources: Vec<Source>,
    /// Estimate pitch on these sources.
    pub pitch: bool,
    /// Beats per bar for phase.
    pub quantum: f64,
}

struct Stream {
    tap: TapStream,
    analyzers: Vec<Analyzer>,
    scratch: Vec<f32>,
}

/// The analysis thread and the queue of frames it publishes.
pub struct AnalysisThread {
    frames: rtrb::Consumer<AnalysisFrame>,
    add: mpsc::Sender<TapStream>,
    stop: Arc<AtomicBool>,
    dropped_frames: Arc<AtomicU64>,
    join: Option<JoinHandle<()>>,
}

impl AnalysisThread {
    /// Starts the thread reading the engine's tap (`width` = master + decks).
    pub fn spawn(consumer: rtrb::Consumer<f32>, width: usize, sample_rate: u32, quantum: f64) -> Self {
        let (frames_tx, frames) = rtrb::RingBuffer::new(FRAME_QUEUE);
        let (add, add_rx) = mpsc::channel::<TapStream>();
        let stop = Arc::new(AtomicBool::new(false));
        let dropped_frames = Arc::new(AtomicU64::new(0));
        let first = TapStream {
            consumer,
            sources: tap_sources(width),
            pitch: false,
            quantum,
        };
        let (stop2, dropped2) = (stop.clone(), dropped_frames.clone());
        let join = std::thread::Builder::new()
            .name("phosphene-analysis".into())
            .spawn(move || run(first, add_rx, frames_tx, stop2, dropped2, sample_rate))
            .ok();
        Self {
            frames,
            add,
            stop,
            dropped_frames,
            join,
        }
    }

    /// Adds another stream (e.g. live input) to the running thread.
    pub fn add_stream(&self, stream: TapStream) {
        // The thread only ends with this handle, so the send cannot fail while we exist.
        let _ = self.add.send(stream);
    }

    /// Next published frame.
    pub fn poll(&mut self) -> Option<AnalysisFrame> {
        self.frames.pop().ok()
    }

    /// Frames dropped because nobody polled.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped_frames.load(Ordering::Relaxed)
    }
}

impl Drop for AnalysisThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

fn run(
    first: TapStream,
    add: mpsc::Receiver<TapStream>,
    mut out: rtrb::Producer<AnalysisFrame>,
    stop: Arc<AtomicBool>,
    dropped: Arc<AtomicU64>,
    sample_rate: u32,
) {
    let mut streams = vec![Stream::new(first, sample_rate)];
    while !stop.load(Ordering::Relaxed) {
        while let Ok(t) = add.try_recv() {
            streams.push(Stream::new(t, sample_rate));
        }
        let mut busy = false;
        for s in streams.iter_mut() {
            busy |= s.drain(sample_rate, |frame| {
                if out.push(frame).is_err() {
                    dropped.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        streams.retain(|s| !(s.tap.consumer.is_abandoned() && s.tap.consumer.is_empty()));
        if !busy {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Stream {
    fn new(tap: TapStream, sample_rate: u32) -> Self {
        let analyzers = tap
            .sources
            .iter()
            .map(|&s| Analyzer::new(s, sample_rate, tap.pitch))
            .collect();
        Self {
            tap,
            analyzers,
            scratch: Vec::new(),
        }
    }

    /// Analyses every complete block waiting in the stream, handing each frame to `sink`; true
    /// if any block was found.
    fn drain(&mut self, sample_rate: u32, mut sink: impl FnMut(AnalysisFrame)) -> bool {
        let width = self.tap.sources.len();
        let mut any = false;
        while self.tap.consumer.slots() >= HEADER {
            let mut h = [0.0; HEADER];
            if self.tap.consumer.pop_entire_slice(&mut h).is_err() {
                break;
            }
            let stamp = BlockStamp::decode(&h);
            self.scratch.resize(stamp.frames * width, 0.0);
            if self.tap.consumer.pop_entire_slice(&mut self.scratch).is_err() {
                // Blocks are committed whole, so this only happens on a corrupt stream: resync.
                let n = self.tap.consumer.slots();
                let _ = self.tap.consumer.read_chunk(n).map(|c| c.commit_all());
                break;
            }
            any = true;
            let bpf = stamp.bpm as f64 / (60.0 * sample_rate as f64);
            for i in 0..stamp.frames {
                let time = stamp.frame + i as u64 + 1;
                let beat = stamp.beat + (i + 1) as f64 * bpf;
                for (ch, a) in self.analyzers.iter_mut().enumerate() {
                    if let Some(frame) = a.push(self.scratch[i * width + ch], time, beat, stamp.bpm, self.tap.quantum) {
                        sink(frame);
                    }
                }
            }
        }
        any
    }
}

/// Analysis on the polling thread (see [`crate::config::AnalysisMode::Inline`]): every block the
/// processor has rendered is analysed when frames are polled, so nothing is dropped and the
/// frames do not depend on thread timing.
pub struct InlineAnalysis {
    stream: Stream,
    sample_rate: u32,
    ready: VecDeque<AnalysisFrame>,
}

impl InlineAnalysis {
    /// Analyses the engine's tap (`width` = master + decks) when polled.
    pub fn new(consumer: rtrb::Consumer<f32>, width: usize, sample_rate: u32, quantum: f64) -> Self {
        let tap = TapStream {
            consumer,
            sources: tap_sources(width),
            pitch: false,
            quantum,
        };
        Self {
            stream: Stream::new(tap, sample_rate),
            sample_rate,
            ready: VecDeque::new(),
        }
    }

    /// Next frame of what has been rendered so far.
    pub fn poll(&mut self) -> Option<AnalysisFrame> {
        if self.ready.is_empty() {
            let ready = &mut self.ready;
            self.stream.drain(self.sample_rate, |f| ready.push_back(f));
        }
        self.ready.pop_front()
    }
}

/// The sources of the engine's tap: the master, then each deck.
fn tap_sources(width: usize) -> Vec<Source> {
    std::iter::once(Source::Master)
        .chain((0..width - 1).map(|d| Source::Deck(d as u8)))
        .collect()
}
