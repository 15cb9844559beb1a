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

use crate::ranges::RATE;
use rubberband_sys as rb;

/// Source frames fed to Rubber Band per call.
pub const CHUNK: usize = 256;
/// Output FIFO capacity in frames (Rubber Band can return several hops per chunk).
const FIFO: usize = 16 * 1024;
/// Pitch factors accepted: one octave either way, as [`crate::ranges::PITCH`] (±12 semitones).
pub const PITCH_RANGE: (f64, f64) = (0.5, 2.0);
/// Time ratios Rubber Band is primed for: pitch / rate over the ranges above.
const RATIO_RANGE: (f64, f64) = (PITCH_RANGE.0 / RATE.max, PITCH_RANGE.1 / RATE.min);

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
    /// Rubber Band's history is already cleared (by [`Stretcher::clear`]).
    cleared: bool,
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
            cleared: false,
        };
        // SAFETY: valid state; sizes are plain integers.
        unsafe { rb::rubberband_set_max_process_size(s.state, CHUNK as u32) };
        for ratio in [RATIO_RANGE.0, RATIO_RANGE.1, 1.0] {
            s.apply(ratio);
            for _ in 0..8 {
                s.pull_chunk(|| [0.0; 2]);
            }
        }
        s.clear();
        s
    }

    /// Time ratio for a playback rate and pitch factor.
    fn ratio_for(rate: f64, pitch: f64) -> f64 {
        (pitch.clamp(PITCH_RANGE.0, PITCH_RANGE.1) / RATE.hold(rate)).clamp(RATIO_RANGE.0, RATIO_RANGE.1)
    }

    fn apply(&mut self, ratio: f64) {
        if ratio != self.ratio {
            // SAFETY: valid state. Within the primed range this does not allocate (checked by the
            // no_alloc test).
            unsafe { rb::rubberband_set_time_ratio(self.state, ratio) };
            self.ratio = ratio;
        }
    }

    /// Clears Rubber Band's history. R3's reset allocates, so the audio thread leaves this to
    /// the janitor thread when a spare is at hand (see [`StretchSlot`]).
    pub fn clear(&mut self) {
        // SAFETY: valid state.
        unsafe { rb::rubberband_reset(self.state) };
        self.cleared = true;
    }

    /// Starts afresh at `rate` and `pitch` (clearing first unless already cleared); returns how
    /// many source frames must be fed through [`Stretcher::prime`] before the position where
    /// output should start.
    pub fn restart(&mut self, rate: f64, pitch: f64) -> usize {
        if !self.cleared {
            self.clear();
        }
        self.cleared = false;
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

/// A deck's stretcher plus a spare that the janitor thread keeps cleared, so a restart on the
/// audio thread is a pointer swap instead of Rubber Band's reset.
pub struct StretchSlot {
    active: Box<Stretcher>,
    /// Cleared spares from the janitor.
    fresh: rtrb::Consumer<Box<Stretcher>>,
    /// Used stretchers back to the janitor.
    used: rtrb::Producer<Box<Stretcher>>,
    /// Spares handed back and not yet ready again (shared with the janitor).
    pending: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl StretchSlot {
    /// Restarts at `rate` and `pitch` on a spare when one is ready, else clears the active one in
    /// place (with R2 that neither allocates nor changes the output; with R3 it allocates and
    /// keeps some history, so only a restart faster than the janitor, possible in offline
    /// renders, can do that). Returns the pre-roll length.
    pub fn restart(&mut self, rate: f64, pitch: f64) -> usize {
        if !self.used.is_full()
            && let Ok(spare) = self.fresh.pop()
        {
            let old = std::mem::replace(&mut self.active, spare);
            // Cannot fail: checked for room above, and only this side pushes.
            let _ = self.used.push(old);
            self.pending.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.active.restart(rate, pitch)
    }
}

impl std::ops::Deref for StretchSlot {
    type Target = Stretcher;
    fn deref(&self) -> &Stretcher {
        &self.active
    }
}

impl std::ops::DerefMut for StretchSlot {
    fn deref_mut(&mut self) -> &mut Stretcher {
        &mut self.active
    }
}

/// The thread that turns used stretchers back into spares: R2 ones are cleared (a cleared R2
/// instance is exactly like a new one), R3 ones are replaced by new instances (R3's reset leaves
/// history behind, which would make output depend on which instance a restart got).
pub struct Janitor {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pending: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    join: Option<std::thread::JoinHandle<()>>,
}

impl Janitor {
    /// Builds one slot per deck (an active stretcher and one spare) and starts the janitor.
    pub fn start(decks: usize, sample_rate: u32, engine: StretchEngine) -> (Vec<StretchSlot>, Self) {
        use std::sync::atomic::Ordering;
        let pending = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut slots = Vec::with_capacity(decks);
        let mut links = Vec::with_capacity(decks);
        for _ in 0..decks {
            let (mut fresh_tx, fresh) = rtrb::RingBuffer::new(2);
            let (used, used_rx) = rtrb::RingBuffer::new(2);
            // Room for both instances, so pushes never fail.
            let _ = fresh_tx.push(Box::new(Stretcher::new(sample_rate, engine)));
            slots.push(StretchSlot {
                active: Box::new(Stretcher::new(sample_rate, engine)),
                fresh,
                used,
                pending: pending.clone(),
            });
            links.push((used_rx, fresh_tx));
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (stop2, pending2) = (stop.clone(), pending.clone());
        let join = std::thread::Builder::new()
            .name("phosphene-stretch-janitor".into())
            .spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    let mut open = false;
                    for (used, fresh) in links.iter_mut() {
                        open |= !used.is_abandoned();
                        while let Ok(mut s) = used.pop() {
                            match engine {
                                StretchEngine::Faster => s.clear(),
                                StretchEngine::Finer => *s = Stretcher::new(sample_rate, engine),
                            }
                            let _ = fresh.push(s);
                            pending2.fetch_sub(1, Ordering::Relaxed);
                        }
                    }
                    if !open {
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            })
            .ok();
        (slots, Self { stop, pending, join })
    }

    /// Stretchers handed back by decks and not yet ready as spares again (0 when every deck can
    /// restart without touching Rubber Band).
    pub fn pending(&self) -> usize {
        self.pending.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for Janitor {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for Stretcher {
    fn drop(&mut self) {
        // SAFETY: the state was created by rubberband_new and is deleted exactly once.
        unsafe { rb::rubberband_delete(self.state) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut Stretcher, rate: f64, pitch: f64, frames: usize) -> Vec<f32> {
        let mut n = 0u32;
        let mut src = move || {
            n += 1;
            let v = ((n as f32) * 0.031).sin() * 0.5 + ((n as f32) * 0.0071).sin() * 0.3;
            [v, -v]
        };
        let pad = s.restart(rate, pitch);
        s.prime(pad, &mut src);
        (0..frames).flat_map(|_| s.next(rate, pitch, &mut src)).collect()
    }

    /// Two new instances given the same input agree exactly (restarts stay deterministic).
    #[test]
    fn new_stretchers_are_identical() {
        for engine in [StretchEngine::Faster, StretchEngine::Finer] {
            let (mut a, mut b) = (Stretcher::new(48_000, engine), Stretcher::new(48_000, engine));
            assert!(
                run(&mut a, 1.1, 0.9, 5_000) == run(&mut b, 1.1, 0.9, 5_000),
                "{engine:?}"
            );
        }
    }

    /// R2's reset is complete: a cleared, used instance equals a new one, so recycling spares
    /// keeps output deterministic. (R3's is not; its spares are built new, see `Janitor`.)
    #[test]
    fn a_cleared_r2_stretcher_equals_a_new_one() {
        let mut used = Stretcher::new(48_000, StretchEngine::Faster);
        run(&mut used, 0.7, 1.3, 5_000);
        used.clear();
        let mut new = Stretcher::new(48_000, StretchEngine::Faster);
        assert!(run(&mut used, 1.1, 0.9, 5_000) == run(&mut new, 1.1, 0.9, 5_000));
    }
}
