//! Per-deck effects: beat-synced echo, reverb and bitcrusher, in a rack of slots.
//!
//! Each deck owns one preallocated instance of every effect; slots choose which run and in what
//! order, so changing a slot on the audio thread never allocates.

use super::smooth::Smoothed;
use crate::intent::FxKind;

/// Number of FX slots per deck.
use crate::ranges::FX_SLOTS;
/// Longest echo delay the buffers hold, in seconds.
const MAX_ECHO_SECONDS: f32 = 4.0;
/// Most frames the echo reads ahead of its writes while nothing moves.
const SETTLED_RUN: usize = 64;

/// Tempo-synced stereo echo with damped feedback.
#[derive(Debug)]
pub struct Echo {
    buf: Box<[[f32; 2]]>,
    write: usize,
    delay: Smoothed,
    beats: f32,
    damp: [f32; 2],
}

impl Echo {
    fn new(sample_rate: u32) -> Self {
        let len = (MAX_ECHO_SECONDS * sample_rate as f32) as usize + 4;
        Self {
            buf: vec![[0.0; 2]; len].into_boxed_slice(),
            write: 0,
            // Slow glide: delay-time jumps would pitch-bend the repeats.
            delay: Smoothed::new(sample_rate as f32 / 2.0, 50.0, sample_rate),
            beats: 0.5,
            damp: [0.0; 2],
        }
    }

    fn reset(&mut self) {
        self.buf.fill([0.0; 2]);
        self.damp = [0.0; 2];
    }

    /// Adds the echo of `buf` to it, scaled by `amount`; `param` is the feedback. Index and
    /// damping live in locals so stores into the delay line cannot force them through memory.
    fn process(&mut self, buf: &mut [[f32; 2]], fpb: &[f32], amount: &mut Smoothed, param: &mut Smoothed) {
        let len = self.buf.len();
        let (mut write, mut damp) = (self.write, self.damp);
        // While amount, feedback and delay sit still (most of the time), a tick would return
        // their value unchanged: read them once instead of ticking three smoothers per frame.
        let mut settled = !amount.is_moving() && !param.is_moving() && !self.delay.is_moving();
        let (still_amount, still_feedback) = (amount.value(), param.value());
        // The delay target only moves with the tempo: recheck it when the tempo changes.
        let mut tempo = f32::NAN;
        let mut f = 0;
        while f < buf.len() {
            let d = self.delay.value();
            // A settled run whose reads all lie before its first write: read every repeat
            // first, then feed the line, so the reads no longer wait on the damping chain.
            if settled && fpb[f] == tempo && d > (SETTLED_RUN + 1) as f32 {
                let end = buf.len().min(f + SETTLED_RUN);
                let end = fpb[f..end].iter().position(|&t| t != tempo).map_or(end, |k| f + k);
                let mut y = [[0.0f32; 2]; SETTLED_RUN];
                let y = &mut y[..end - f];
                let (i, frac) = self.tap(write, d);
                if let Some(line) = self.buf.get(i..i + y.len() + 1) {
                    for ((y, a), b) in y.iter_mut().zip(line).zip(&line[1..]) {
                        *y = lerp(*a, *b, frac);
                    }
                } else {
                    // The reads wrap around the end of the line.
                    let mut w = write;
                    for y in y.iter_mut() {
                        *y = self.delayed(w, d);
                        w = if w + 1 == len { 0 } else { w + 1 };
                    }
                }
                let fb = still_feedback.clamp(0.0, 1.0) * 0.95;
                for (x, y) in buf[f..end].iter_mut().zip(y.iter()) {
                    *x = self.feed(&mut write, &mut damp, *x, *y, fb, still_amount);
                }
                f = end;
                continue;
            }
            if fpb[f] != tempo {
                tempo = fpb[f];
                let target = (self.beats * tempo).clamp(1.0, (len - 2) as f32);
                if (self.delay.final_target() - target).abs() > 0.5 {
                    self.delay.set(target, 0);
                    settled = false;
                }
            }
            let (a, feedback, d) = if settled {
                (still_amount, still_feedback, self.delay.value())
            } else {
                (amount.tick(), param.tick(), self.delay.tick())
            };
            let y = self.delayed(write, d);
            buf[f] = self.feed(&mut write, &mut damp, buf[f], y, feedback.clamp(0.0, 1.0) * 0.95, a);
            f += 1;
        }
        self.write = write;
        self.damp = damp;
    }

    /// Where the line is read `d` frames (fractional, at least 1) before `write`: the older of
    /// the two frames around that point, `write - ceil(d)`, and how far towards the newer one
    /// the repeat lies, `ceil(d) - d`. The fraction depends on `d` alone, so every frame of a
    /// settled run reads the same way whether it is read alone or with the others.
    #[inline(always)]
    fn tap(&self, write: usize, d: f32) -> (usize, f32) {
        let mut back = d as u32;
        if (back as f32) < d {
            back += 1;
        }
        let frac = back as f32 - d;
        let back = back as usize;
        let i = if write >= back {
            write - back
        } else {
            write + self.buf.len() - back
        };
        (i, frac)
    }

    /// The line `d` frames (fractional, linear interpolation) before the write position `write`.
    #[inline(always)]
    fn delayed(&self, write: usize, d: f32) -> [f32; 2] {
        let (i, frac) = self.tap(write, d);
        let next = if i + 1 == self.buf.len() { 0 } else { i + 1 };
        lerp(self.buf[i], self.buf[next], frac)
    }

    /// Feeds input `x` plus the damped repeat `y` (feedback `fb`) into the line at `write`,
    /// moves `write` on and returns the output: `x` with the repeat added at `amount`.
    #[inline(always)]
    fn feed(
        &mut self,
        write: &mut usize,
        damp: &mut [f32; 2],
        x: [f32; 2],
        y: [f32; 2],
        fb: f32,
        amount: f32,
    ) -> [f32; 2] {
        for c in 0..2 {
            damp[c] += (y[c] - damp[c]) * 0.35;
        }
        self.buf[*write] = [x[0] + damp[0] * fb, x[1] + damp[1] * fb];
        *write = if *write + 1 == self.buf.len() { 0 } else { *write + 1 };
        [x[0] + y[0] * amount, x[1] + y[1] * amount]
    }
}

/// `a` moved towards `b` by `t`.
#[inline(always)]
fn lerp(a: [f32; 2], b: [f32; 2], t: f32) -> [f32; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

/// Freeverb-style comb/all-pass reverb.
#[derive(Debug)]
pub struct Reverb {
    combs: [[Comb; 8]; 2],
    allpasses: [[Allpass; 4]; 2],
}

#[derive(Debug)]
struct Comb {
    buf: Box<[f32]>,
    i: usize,
    store: f32,
}

impl Comb {
    #[inline]
    fn tick(&mut self, x: f32, feedback: f32, damp: f32) -> f32 {
        let y = self.buf[self.i];
        self.store = y * (1.0 - damp) + self.store * damp;
        self.buf[self.i] = x + self.store * feedback;
        self.i += 1;
        if self.i == self.buf.len() {
            self.i = 0;
        }
        y
    }
}

#[derive(Debug)]
struct Allpass {
    buf: Box<[f32]>,
    i: usize,
}

impl Allpass {
    #[inline]
    fn tick(&mut self, x: f32) -> f32 {
        let b = self.buf[self.i];
        self.buf[self.i] = x + b * 0.5;
        self.i += 1;
        if self.i == self.buf.len() {
            self.i = 0;
        }
        b - x
    }
}

impl Reverb {
    fn new(sample_rate: u32) -> Self {
        // Classic tunings are for 44.1 kHz; scale them, and detune the right channel.
        const COMBS: [usize; 8] = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
        const ALLPASSES: [usize; 4] = [556, 441, 341, 225];
        const SPREAD: usize = 23;
        let scale = sample_rate as f32 / 44_100.0;
        let len = |n: usize, c: usize| (((n + c * SPREAD) as f32 * scale) as usize).max(1);
        Self {
            combs: std::array::from_fn(|c| {
                std::array::from_fn(|k| Comb {
                    buf: vec![0.0; len(COMBS[k], c)].into(),
                    i: 0,
                    store: 0.0,
                })
            }),
            allpasses: std::array::from_fn(|c| {
                std::array::from_fn(|k| Allpass {
                    buf: vec![0.0; len(ALLPASSES[k], c)].into(),
                    i: 0,
                })
            }),
        }
    }

    fn reset(&mut self) {
        for c in self.combs.iter_mut().flatten() {
            c.buf.fill(0.0);
            c.store = 0.0;
        }
        for a in self.allpasses.iter_mut().flatten() {
            a.buf.fill(0.0);
        }
    }

    #[inline]
    fn tick(&mut self, x: [f32; 2], size: f32) -> [f32; 2] {
        let feedback = 0.7 + 0.28 * size.clamp(0.0, 1.0);
        let input = (x[0] + x[1]) * 0.015;
        let mut out = [0.0; 2];
        for ((o, combs), allpasses) in out.iter_mut().zip(self.combs.iter_mut()).zip(self.allpasses.iter_mut()) {
            let mut acc = 0.0;
            for comb in combs.iter_mut() {
                acc += comb.tick(input, feedback, 0.2);
            }
            for ap in allpasses.iter_mut() {
                acc = ap.tick(acc);
            }
            *o = acc;
        }
        out
    }
}

/// Bit-depth and sample-rate reducer.
#[derive(Debug, Default)]
pub struct Bitcrusher {
    held: [f32; 2],
    phase: f32,
}

impl Bitcrusher {
    #[inline]
    fn tick(&mut self, x: [f32; 2], depth: f32) -> [f32; 2] {
        let depth = depth.clamp(0.0, 1.0);
        let bits = 16.0 - 13.0 * depth;
        let step = 2.0 / 2f32.powf(bits);
        let hold = 1.0 + 15.0 * depth * depth;
        self.phase += 1.0;
        if self.phase >= hold {
            self.phase -= hold;
            self.held = x.map(|s| (s / step).round() * step);
        }
        self.held
    }
}

/// Which effect a slot runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotFx {
    Echo,
    Reverb,
    Bitcrusher,
}

/// The FX chain of one deck.
#[derive(Debug)]
pub struct FxRack {
    echo: Echo,
    reverb: Reverb,
    crusher: Bitcrusher,
    slots: [Option<SlotFx>; FX_SLOTS],
    amount: [Smoothed; FX_SLOTS],
    param: [Smoothed; FX_SLOTS],
}

impl FxRack {
    /// An empty rack with all effect memory preallocated.
    pub fn new(sample_rate: u32, smoothing_ms: f32) -> Self {
        Self {
            echo: Echo::new(sample_rate),
            reverb: Reverb::new(sample_rate),
            crusher: Bitcrusher::default(),
            slots: [None; FX_SLOTS],
            amount: std::array::from_fn(|_| Smoothed::new(0.0, smoothing_ms, sample_rate)),
            param: std::array::from_fn(|_| Smoothed::new(0.5, smoothing_ms, sample_rate)),
        }
    }

    /// Puts an effect in a slot (clearing it from any other slot) or empties the slot.
    pub fn set_slot(&mut self, slot: usize, fx: Option<FxKind>) {
        let kind = fx.map(|fx| match fx {
            FxKind::Echo { beats } => {
                self.echo.beats = crate::ranges::ECHO_BEATS.hold_f32(beats);
                SlotFx::Echo
            }
            FxKind::Reverb => SlotFx::Reverb,
            FxKind::Bitcrusher => SlotFx::Bitcrusher,
        });
        if let Some(k) = kind {
            for s in self.slots.iter_mut().filter(|s| **s == Some(k)) {
                *s = None;
            }
            match k {
                SlotFx::Echo => self.echo.reset(),
                SlotFx::Reverb => self.reverb.reset(),
                SlotFx::Bitcrusher => self.crusher = Bitcrusher::default(),
            }
        }
        self.slots[slot] = kind;
    }

    /// Sets a slot's wet amount (0..1).
    pub fn set_amount(&mut self, slot: usize, v: f32, ramp_frames: u32) {
        self.amount[slot].set(crate::ranges::FX_AMOUNT.hold_f32(v), ramp_frames);
    }

    /// Sets a slot's main parameter (0..1).
    pub fn set_param(&mut self, slot: usize, v: f32, ramp_frames: u32) {
        self.param[slot].set(crate::ranges::FX_PARAM.hold_f32(v), ramp_frames);
    }

    /// Runs a buffer of stereo frames through the rack in place; `fpb[i]` is the clock's frames
    /// per beat at frame `i`. Empty slots with settled controls cost nothing.
    pub fn process(&mut self, buf: &mut [[f32; 2]], fpb: &[f32]) {
        // Slot by slot over the whole buffer: each slot depends only on its own state and on the
        // previous slot's output for the same frame, so this equals running frame by frame.
        for s in 0..FX_SLOTS {
            let (amount, param) = (&mut self.amount[s], &mut self.param[s]);
            match self.slots[s] {
                None => {
                    if amount.is_moving() || param.is_moving() {
                        for _ in 0..buf.len() {
                            amount.tick();
                            param.tick();
                        }
                    }
                }
                // Echo and reverb are sends: the dry signal stays, the wet adds on top.
                Some(SlotFx::Echo) => self.echo.process(buf, fpb, amount, param),
                Some(SlotFx::Reverb) => {
                    for f in buf.iter_mut() {
                        let (a, p) = (amount.tick(), param.tick());
                        let w = self.reverb.tick(*f, p);
                        *f = [f[0] + w[0] * a, f[1] + w[1] * a];
                    }
                }
                Some(SlotFx::Bitcrusher) => {
                    for f in buf.iter_mut() {
                        let (a, p) = (amount.tick(), param.tick());
                        let w = self.crusher.tick(*f, p);
                        *f = [f[0] + (w[0] - f[0]) * a, f[1] + (w[1] - f[1]) * a];
                    }
                }
            }
        }
    }

    /// Runs one stereo frame through the rack.
    pub fn tick(&mut self, l: f32, r: f32, frames_per_beat: f32) -> (f32, f32) {
        let mut f = [[l, r]];
        self.process(&mut f, &[frames_per_beat]);
        (f[0][0], f[0][1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_repeats_after_one_beat() {
        let mut rack = FxRack::new(48_000, 0.01);
        rack.set_slot(0, Some(FxKind::Echo { beats: 1.0 }));
        rack.set_amount(0, 1.0, 0);
        rack.set_param(0, 0.0, 0);
        let fpb = 24_000.0;
        let mut out = Vec::new();
        for n in 0..30_000 {
            let x = if n == 0 { 1.0 } else { 0.0 };
            out.push(rack.tick(x, x, fpb).0);
        }
        let (peak_at, _) =
            out[1000..].iter().enumerate().fold(
                (0, 0.0f32),
                |(bi, bv), (i, v)| {
                    if v.abs() > bv { (i + 1000, v.abs()) } else { (bi, bv) }
                },
            );
        assert!((peak_at as i64 - 24_000).abs() <= 1, "echo at {peak_at}");
    }

    #[test]
    fn reverb_tail_decays() {
        let mut rack = FxRack::new(48_000, 0.01);
        rack.set_slot(1, Some(FxKind::Reverb));
        rack.set_amount(1, 1.0, 0);
        let mut energy = [0.0f32; 4];
        for n in 0..4 * 48_000 {
            let x = if n < 480 { 0.5 } else { 0.0 };
            let (l, _) = rack.tick(x, x, 24_000.0);
            if n >= 480 {
                energy[n / 48_000] += l * l;
            }
        }
        assert!(energy[0] > 0.0 && energy[3] < energy[0] * 0.1, "{energy:?}");
    }

    #[test]
    fn crusher_quantises() {
        let mut rack = FxRack::new(48_000, 0.01);
        rack.set_slot(2, Some(FxKind::Bitcrusher));
        rack.set_amount(2, 1.0, 0);
        rack.set_param(2, 1.0, 0);
        // Skip the first frames, where the wet amount is still gliding in.
        let levels: std::collections::BTreeSet<i32> = (0..4800)
            .map(|n| (n as f32 * 0.01).sin() * 0.9)
            .map(|x| (rack.tick(x, x, 24_000.0).0 * 1e4) as i32)
            .skip(100)
            .collect();
        assert!(levels.len() <= 9, "{} levels", levels.len());
    }
}
