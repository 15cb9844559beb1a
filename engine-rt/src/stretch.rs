//! Key lock: a non-allocating wrapper around Rubber Band's real-time stretcher.
//!
//! The `rubberband` crate collects channel pointers into a `Vec` on every call; this wrapper
//! keeps the pointer arrays and buffers preallocated. Input is fed in fixed chunks only when the
//! output FIFO runs low, so the moments at which ratios change (and thus the output) do not
//! depend on how the host splits its blocks.
//!
//! Pitch is shifted by stretching time by the pitch factor and reading Rubber Band's output back
//! at that factor (cubic interpolation). Rubber Band's own pitch scaling was measured off by up
//! to 25 cents here and allocates when changed; its time ratio is exact and, once primed, does
//! not allocate.

use rubberband_sys as rb;

/// Source frames fed to Rubber Band per call.
pub const CHUNK: usize = 256;
/// Output FIFO capacity in frames (Rubber Band can return several hops per chunk).
const FIFO: usize = 16 * 1024;
/// Slowest and fastest playback rates a deck accepts.
pub const MIN_RATE: f64 = 0.25;
/// See [`MIN_RATE`].
pub const MAX_RATE: f64 = 4.0;
/// Pitch factors accepted (one octave either way).
pub const PITCH_RANGE: (f64, f64) = (0.5, 2.0);
/// Time ratios Rubber Band is primed for: pitch / rate over the ranges above.
const RATIO_RANGE: (f64, f64) = (PITCH_RANGE.0 / MAX_RATE, PITCH_RANGE.1 / MIN_RATE);

/// Which Rubber Band engine key-locked decks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum StretchEngine {
    /// R2: cheaper, the usual choice for live decks.
    #[default]
    Faster,
    /// R3: higher quality, roughly twice the CPU.
    Finer,
}

/// One deck's stretcher.
pub struct Stretcher {
    state: rb::RubberBandState,
    input: [Box<[f32]>; 2],
    fifo: [Box<[f32]>; 2],
    /// Index of the frame before the read point (kept for cubic interpolation).
    fifo_read: usize,
    fifo_write: usize,
    /// Fractional read position past `fifo_read + 1`.
    frac: f64,
    /// Output frames still to throw away after a reset (Rubber Band's start delay).
    discard: usize,
    ratio: f64,
}

// SAFETY: the Rubber Band state is owned exclusively by this value and only used through
// `&mut self`; it has no thread affinity (threading is disabled).
unsafe impl Send for Stretcher {}

impl Stretcher {
    /// Builds a stretcher and exercises every ratio range once so that later ratio changes find
    /// their buffers and resamplers already allocated.
    pub fn new(sample_rate: u32, engine: StretchEngine) -> Self {
        let engine_opt = match engine {
            StretchEngine::Faster => rb::RubberBandOption_RubberBandOptionEngineFaster,
            StretchEngine::Finer => rb::RubberBandOption_RubberBandOptionEngineFiner,
        };
        let options = (rb::RubberBandOption_RubberBandOptionProcessRealTime
            | rb::RubberBandOption_RubberBandOptionThreadingNever
            | engine_opt) as rb::RubberBandOptions;
        // SAFETY: plain constructor call; the returned state is checked below.
        let state = unsafe { rb::rubberband_new(sample_rate, 2, options, 1.0, 1.0) };
        assert!(!state.is_null(), "Rubber Band failed to construct");
        let mut s = Self {
            state,
            input: [vec![0.0; CHUNK].into(), vec![0.0; CHUNK].into()],
            fifo: [vec![0.0; FIFO].into(), vec![0.0; FIFO].into()],
            fifo_read: 0,
            fifo_write: 0,
            frac: 0.0,
            discard: 0,
            ratio: 1.0,
        };
        // SAFETY: valid state; sizes are plain integers.
        unsafe { rb::rubberband_set_max_process_size(s.state, CHUNK as u32) };
        for ratio in [RATIO_RANGE.0, RATIO_RANGE.1, 1.0] {
            s.apply(ratio);
            for _ in 0..8 {
                s.pull_chunk(|| [0.0; 2]);
            }
        }
        s.reset(1.0, 1.0);
        s
    }

    /// Time ratio for a playback rate and pitch factor.
    fn ratio_for(rate: f64, pitch: f64) -> f64 {
        (pitch.clamp(PITCH_RANGE.0, PITCH_RANGE.1) / rate.clamp(MIN_RATE, MAX_RATE)).clamp(RATIO_RANGE.0, RATIO_RANGE.1)
    }

    fn apply(&mut self, ratio: f64) {
        if ratio != self.ratio {
            // SAFETY: valid state. Within the primed range this does not allocate (checked by the
            // no_alloc test).
            unsafe { rb::rubberband_set_time_ratio(self.state, ratio) };
            self.ratio = ratio;
        }
    }

    /// Clears all history and applies `rate` and `pitch`; returns how many source frames must
    /// be fed through [`Stretcher::prime`] before the position where output should start.
    pub fn reset(&mut self, rate: f64, pitch: f64) -> usize {
        // SAFETY: valid state.
        unsafe { rb::rubberband_reset(self.state) };
        self.apply(Self::ratio_for(rate, pitch));
        // SAFETY: valid state.
        let (pad, delay) = unsafe {
            (
                rb::rubberband_get_preferred_start_pad(self.state) as usize,
                rb::rubberband_get_start_delay(self.state) as usize,
            )
        };
        // One silent frame of history before the first output frame, for the interpolator.
        self.fifo[0][0] = 0.0;
        self.fifo[1][0] = 0.0;
        self.fifo_read = 0;
        self.fifo_write = 1;
        self.frac = 0.0;
        self.discard = delay;
        pad
    }

    /// Feeds the `pad` frames that precede the start position (real audio rather than zeros,
    /// so the stretcher sees no artificial onset) and drops the start delay, leaving the output
    /// aligned with the next frame `source` yields.
    pub fn prime(&mut self, pad: usize, mut source: impl FnMut() -> [f32; 2]) {
        let mut left = pad;
        while left > 0 {
            let n = left.min(CHUNK);
            for i in 0..n {
                let [l, r] = source();
                self.input[0][i] = l;
                self.input[1][i] = r;
            }
            self.process_input(n);
            left -= n;
        }
    }

    fn process_input(&mut self, n: usize) {
        let ptrs = [self.input[0].as_ptr(), self.input[1].as_ptr()];
        // SAFETY: both channel buffers hold at least `n` <= CHUNK (the max process size) frames.
        unsafe { rb::rubberband_process(self.state, ptrs.as_ptr(), n as u32, 0) };
        self.drain();
    }

    fn drain(&mut self) {
        loop {
            // SAFETY: valid state.
            let avail = unsafe { rb::rubberband_available(self.state) };
            if avail <= 0 {
                return;
            }
            if self.fifo_read > 0 {
                // Compact so the free space is contiguous at the end.
                let live = self.fifo_write - self.fifo_read;
                for ch in self.fifo.iter_mut() {
                    ch.copy_within(self.fifo_read..self.fifo_write, 0);
                }
                self.fifo_read = 0;
                self.fifo_write = live;
            }
            let room = FIFO - self.fifo_write;
            let n = (avail as usize).min(room);
            if n == 0 {
                return;
            }
            let w = self.fifo_write;
            let ptrs = [self.fifo[0][w..].as_mut_ptr(), self.fifo[1][w..].as_mut_ptr()];
            // SAFETY: each pointer has `room` >= n writable floats.
            let got = unsafe { rb::rubberband_retrieve(self.state, ptrs.as_ptr(), n as u32) } as usize;
            let skip = got.min(self.discard);
            self.discard -= skip;
            if skip > 0 {
                for ch in self.fifo.iter_mut() {
                    ch.copy_within(w + skip..w + got, w);
                }
            }
            self.fifo_write += got - skip;
            if got == 0 {
                return;
            }
        }
    }

    /// Feeds one chunk read from `source`.
    fn pull_chunk(&mut self, mut source: impl FnMut() -> [f32; 2]) {
        for i in 0..CHUNK {
            let [l, r] = source();
            self.input[0][i] = l;
            self.input[1][i] = r;
        }
        self.process_input(CHUNK);
    }

    /// Next output frame at playback `rate` and pitch factor `pitch`. When the FIFO runs low,
    /// the ratio is applied and chunks are pulled from `source` until enough output exists.
    #[inline]
    pub fn next(&mut self, rate: f64, pitch: f64, mut source: impl FnMut() -> [f32; 2]) -> [f32; 2] {
        if self.fifo_write - self.fifo_read < 4 {
            self.apply(Self::ratio_for(rate, pitch));
            while self.fifo_write - self.fifo_read < 4 {
                self.pull_chunk(&mut source);
            }
        }
        let i = self.fifo_read;
        let t = self.frac as f32;
        let mut out = [0.0; 2];
        for (o, ch) in out.iter_mut().zip(self.fifo.iter()) {
            let (p0, p1, p2, p3) = (ch[i], ch[i + 1], ch[i + 2], ch[i + 3]);
            *o = if t == 0.0 {
                p1
            } else {
                let a = -0.5 * p0 + 1.5 * p1 - 1.5 * p2 + 0.5 * p3;
                let b = p0 - 2.5 * p1 + 2.0 * p2 - 0.5 * p3;
                let c = -0.5 * p0 + 0.5 * p2;
                ((a * t + b) * t + c) * t + p1
            };
        }
        self.frac += pitch.clamp(PITCH_RANGE.0, PITCH_RANGE.1);
        let whole = self.frac.floor();
        self.frac -= whole;
        self.fifo_read += whole as usize;
        out
    }
}

impl Drop for Stretcher {
    fn drop(&mut self) {
        // SAFETY: the state was created by rubberband_new and is deleted exactly once.
        unsafe { rb::rubberband_delete(self.state) };
    }
}
