//! Fundamental-frequency estimation (YIN) for tonal live input.

use super::{FFT_SIZE, Pitch};

/// Lowest and highest fundamental reported, in Hz.
const MIN_HZ: f32 = 60.0;
const MAX_HZ: f32 = 1_500.0;
/// Cumulative-mean-normalised difference threshold.
const THRESHOLD: f32 = 0.15;
/// Inputs quieter than this (RMS) have no pitch.
const GATE: f32 = 0.01;

/// YIN estimator with preallocated buffers.
pub struct Yin {
    sample_rate: f32,
    diff: Vec<f32>,
    min_lag: usize,
    max_lag: usize,
}

impl Yin {
    /// An estimator for `sample_rate`.
    pub fn new(sample_rate: u32) -> Self {
        let sr = sample_rate as f32;
        let max_lag = ((sr / MIN_HZ) as usize).min(FFT_SIZE / 2);
        Self {
            sample_rate: sr,
            diff: vec![0.0; max_lag + 2],
            min_lag: (sr / MAX_HZ) as usize,
            max_lag,
        }
    }

    /// Estimates the fundamental of `x` (at least `FFT_SIZE` samples), or `None` when the input
    /// is quiet or not periodic.
    pub fn estimate(&mut self, x: &[f32], rms: f32) -> Option<Pitch> {
        if rms < GATE {
            return None;
        }
        let w = x.len() - self.max_lag - 1;
        let mut running = 0.0;
        self.diff[0] = 1.0;
        for tau in 1..=self.max_lag + 1 {
            let d: f32 = (0..w)
                .map(|i| {
                    let e = x[i] - x[i + tau];
                    e * e
                })
                .sum();
            running += d;
            self.diff[tau] = if running > 0.0 { d * tau as f32 / running } else { 1.0 };
        }
        let mut tau = self.min_lag.max(2);
        while tau < self.max_lag {
            if self.diff[tau] < THRESHOLD {
                while tau + 1 < self.max_lag && self.diff[tau + 1] < self.diff[tau] {
                    tau += 1;
                }
                let (a, b, c) = (self.diff[tau - 1], self.diff[tau], self.diff[tau + 1]);
                let denom = a - 2.0 * b + c;
                let shift = if denom.abs() > 1e-12 {
                    0.5 * (a - c) / denom
                } else {
                    0.0
                };
                let hz = self.sample_rate / (tau as f32 + shift);
                return Some(Pitch::from_hz(hz, 1.0 - b));
            }
            tau += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a440_and_low_e() {
        let mut y = Yin::new(48_000);
        for (hz, note) in [(440.0, "A4"), (82.41, "E2"), (261.63, "C4")] {
            let x: Vec<f32> = (0..FFT_SIZE)
                .map(|i| {
                    let t = i as f32 / 48_000.0;
                    // A tone with harmonics, like an instrument.
                    0.5 * (2.0 * std::f32::consts::PI * hz * t).sin()
                        + 0.25 * (4.0 * std::f32::consts::PI * hz * t).sin()
                })
                .collect();
            let p = y.estimate(&x, 0.4).expect("pitched");
            assert!((p.hz - hz).abs() / hz < 0.01, "{hz}: {}", p.hz);
            assert_eq!(p.name(), note);
        }
        assert!(y.estimate(&vec![0.0; FFT_SIZE], 0.0).is_none());
    }
}
