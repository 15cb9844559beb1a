//! Look-ahead brick-wall limiter for the master bus.
//!
//! The signal is delayed by the look-ahead so the gain can start falling before a peak arrives;
//! the final gain is never above what the delayed sample itself needs, so the ceiling holds for
//! every sample, and non-finite input is replaced by silence before it can reach the output.

use super::db_to_gain;

/// Look-ahead in milliseconds.
const LOOKAHEAD_MS: f32 = 1.5;
/// Release time constant in milliseconds.
const RELEASE_MS: f32 = 120.0;

/// Stereo look-ahead limiter with fixed, preallocated delay lines.
#[derive(Debug)]
pub struct Limiter {
    ceiling: f32,
    delay: Box<[[f32; 2]]>,
    /// Gain each delayed frame needs on its own, aligned with `delay`.
    need: Box<[f32]>,
    pos: usize,
    /// Lowest need within the look-ahead.
    hold: SlidingMin,
    /// Released envelope of the look-ahead minimum.
    env: f32,
    release: f32,
    /// Running sum of the smoothing window over the hold output.
    window: Box<[f32]>,
    window_sum: f64,
    /// Lowest gain applied since the last [`Limiter::take_max_reduction`].
    min_gain: f32,
    /// Non-finite samples replaced since construction.
    scrubbed: u64,
}

impl Limiter {
    /// A limiter with its ceiling in dBFS.
    pub fn new(sample_rate: u32, ceiling_db: f32) -> Self {
        let la = ((LOOKAHEAD_MS * sample_rate as f32 / 1000.0) as usize).max(1);
        Self {
            ceiling: db_to_gain(ceiling_db),
            delay: vec![[0.0; 2]; la].into(),
            need: vec![1.0; la].into(),
            pos: 0,
            hold: SlidingMin::new(la),
            env: 1.0,
            release: 1.0 - (-1000.0 / (RELEASE_MS * sample_rate as f32)).exp(),
            window: vec![1.0; la].into(),
            window_sum: la as f64,
            min_gain: 1.0,
            scrubbed: 0,
        }
    }

    /// Output delay in frames.
    pub fn latency(&self) -> usize {
        self.delay.len()
    }

    /// Linear ceiling.
    pub fn ceiling(&self) -> f32 {
        self.ceiling
    }

    /// Processes one frame and returns the delayed, limited frame.
    #[inline]
    pub fn tick(&mut self, mut l: f32, mut r: f32) -> (f32, f32) {
        if !l.is_finite() {
            l = 0.0;
            self.scrubbed += 1;
        }
        if !r.is_finite() {
            r = 0.0;
            self.scrubbed += 1;
        }
        let peak = super::fast_max(l.abs(), r.abs());
        let need = if peak > self.ceiling { self.ceiling / peak } else { 1.0 };

        let n = self.delay.len();
        let out = self.delay[self.pos];
        let out_need = self.need[self.pos];
        self.delay[self.pos] = [l, r];
        self.need[self.pos] = need;

        // Hold: the lowest need within the look-ahead, then release slowly upwards.
        let hold = self.hold.push(need);
        if hold < self.env {
            self.env = hold;
        } else {
            self.env += (hold - self.env) * self.release;
        }
        // Smooth the attack with a moving average over the look-ahead window.
        self.window_sum += (self.env - self.window[self.pos]) as f64;
        self.window[self.pos] = self.env;
        self.pos += 1;
        if self.pos == n {
            self.pos = 0;
        }
        let smooth = (self.window_sum / n as f64) as f32;

        let gain = smooth.min(out_need);
        if gain < self.min_gain {
            self.min_gain = gain;
        }
        let c = self.ceiling;
        ((out[0] * gain).clamp(-c, c), (out[1] * gain).clamp(-c, c))
    }

    /// Deepest gain reduction in dB since the last call (0 when idle), and resets it.
    pub fn take_max_reduction(&mut self) -> f32 {
        let db = -super::gain_to_db(self.min_gain);
        self.min_gain = 1.0;
        db.max(0.0)
    }

    /// Non-finite samples replaced by silence so far.
    pub fn scrubbed(&self) -> u64 {
        self.scrubbed
    }
}

/// Minimum of the last `len` values pushed, in constant amortised time: a ring of candidates
/// (frame, value) whose values rise from front to back, so the front is the minimum. A value
/// stays a candidate only until a lower one arrives after it or it leaves the window.
#[derive(Debug)]
struct SlidingMin {
    ring: Box<[(u64, f32)]>,
    front: usize,
    count: usize,
    frame: u64,
}

impl SlidingMin {
    /// A window of `len` (at least 1) values. Before `len` values have been pushed, the minimum
    /// is over those there are (the limiter's needs are never above the 1.0 it starts from).
    fn new(len: usize) -> Self {
        Self {
            ring: vec![(0, 1.0); len].into_boxed_slice(),
            front: 0,
            count: 0,
            frame: 0,
        }
    }

    /// Pushes `v` and returns the minimum of the last `len` values including it.
    #[inline]
    fn push(&mut self, v: f32) -> f32 {
        let len = self.ring.len();
        let slot = |i: usize| if i >= len { i - len } else { i };
        self.frame += 1;
        if self.count > 0 && self.ring[self.front].0 + len as u64 <= self.frame {
            self.front = slot(self.front + 1);
            self.count -= 1;
        }
        while self.count > 0 && self.ring[slot(self.front + self.count - 1)].1 >= v {
            self.count -= 1;
        }
        self.ring[slot(self.front + self.count)] = (self.frame, v);
        self.count += 1;
        self.ring[self.front].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_ceiling_and_passes_quiet_audio() {
        let mut lim = Limiter::new(48_000, -0.3);
        let c = lim.ceiling();
        let mut quiet_out = Vec::new();
        for n in 0..48_000 {
            let x = (n as f32 * 0.05).sin() * 4.0; // +12 dB
            let (l, r) = lim.tick(x, -x);
            assert!(l.abs() <= c && r.abs() <= c);
        }
        let mut lim = Limiter::new(48_000, -0.3);
        for n in 0..4_800 {
            let x = (n as f32 * 0.05).sin() * 0.5;
            quiet_out.push(lim.tick(x, x).0);
        }
        let d = lim.latency();
        for (n, y) in quiet_out.iter().enumerate().skip(d) {
            let x = ((n - d) as f32 * 0.05).sin() * 0.5;
            assert!((y - x).abs() < 1e-6);
        }
    }

    #[test]
    fn sliding_min_matches_a_scan() {
        let len = 7;
        let mut m = SlidingMin::new(len);
        let mut seen = vec![1.0f32; len];
        let mut s = 12345u32;
        for _ in 0..5_000 {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            // Runs of 1.0 (nothing to limit) between random needs, as in music.
            let v = if s >> 30 == 0 {
                1.0
            } else {
                (s >> 8) as f32 / (1 << 24) as f32
            };
            seen.push(v);
            let want = seen[seen.len() - len..].iter().fold(f32::MAX, |a, &b| a.min(b));
            assert_eq!(m.push(v), want);
        }
    }

    #[test]
    fn scrubs_non_finite() {
        let mut lim = Limiter::new(48_000, -0.3);
        for _ in 0..200 {
            let (l, r) = lim.tick(f32::NAN, f32::INFINITY);
            assert!(l.is_finite() && r.is_finite());
        }
        assert_eq!(lim.scrubbed(), 400);
    }
}
