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
    /// Released envelope of the look-ahead minimum.
    env: f32,
    release: f32,
    /// Running sum of the smoothing window over the hold output.
    window: Box<[f32]>,
    window_sum: f64,
    /// Frames since a sample last needed gain reduction (the look-ahead scan is skipped while
    /// the whole window needs none).
    since_limited: usize,
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
            env: 1.0,
            release: 1.0 - (-1000.0 / (RELEASE_MS * sample_rate as f32)).exp(),
            window: vec![1.0; la].into(),
            window_sum: la as f64,
            since_limited: usize::MAX,
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
        let peak = l.abs().max(r.abs());
        let need = if peak > self.ceiling { self.ceiling / peak } else { 1.0 };

        let n = self.delay.len();
        let out = self.delay[self.pos];
        let out_need = self.need[self.pos];
        self.delay[self.pos] = [l, r];
        self.need[self.pos] = need;

        // Hold: the lowest need within the look-ahead, then release slowly upwards.
        self.since_limited = if need < 1.0 {
            0
        } else {
            self.since_limited.saturating_add(1)
        };
        let hold = if self.since_limited >= n {
            1.0
        } else {
            self.need.iter().fold(need, |m, &g| m.min(g))
        };
        if hold < self.env {
            self.env = hold;
        } else {
            self.env += (hold - self.env) * self.release;
        }
        // Smooth the attack with a moving average over the look-ahead window.
        self.window_sum += (self.env - self.window[self.pos]) as f64;
        self.window[self.pos] = self.env;
        self.pos = (self.pos + 1) % n;
        let smooth = (self.window_sum / n as f64) as f32;

        let gain = smooth.min(out_need);
        self.min_gain = self.min_gain.min(gain);
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
    fn scrubs_non_finite() {
        let mut lim = Limiter::new(48_000, -0.3);
        for _ in 0..200 {
            let (l, r) = lim.tick(f32::NAN, f32::INFINITY);
            assert!(l.is_finite() && r.is_finite());
        }
        assert_eq!(lim.scrubbed(), 400);
    }
}
