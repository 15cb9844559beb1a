//! Tempo and beat-grid estimation for tracks loaded without a known BPM, from the waveform
//! overview: an onset envelope scored against combs of candidate periods and phases.

use super::overview::{BINS_PER_SECOND, Overview};

/// Tempo range searched; other tempos fold into it (a 70 BPM track reads as 140).
pub const BPM_RANGE: (f64, f64) = (86.0, 172.0);
/// A beat must stand this far above the comb's mean over all phases to count as found.
const MIN_CONFIDENCE: f64 = 2.0;
/// Beats must bring energy rises at least this large, relative to the mean energy: a steady
/// tone's quantisation ripple never does.
const MIN_RISE: f64 = 0.2;

/// An estimated beat grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TempoEstimate {
    /// Estimated tempo in beats per minute (about [`BPM_RANGE`]: others are folded into it).
    pub bpm: f64,
    /// Time of the first beat in seconds (within the first beat period).
    pub first_beat: f64,
    /// How strongly the beats stand out: the best phase's comb over the mean of all phases.
    pub confidence: f64,
}

/// Onset strength per overview column: rises in band energy relative to the mean energy, the
/// low band counted twice so kicks lead.
fn onset_envelope(o: &Overview) -> Vec<f32> {
    let energy: Vec<f32> = o
        .bins
        .iter()
        .map(|[_, l, m, h]| 2.0 * *l as f32 + *m as f32 + *h as f32)
        .collect();
    let mut env: Vec<f32> = std::iter::once(0.0)
        .chain(energy.windows(2).map(|w| (w[1] - w[0]).max(0.0)))
        .collect();
    let mean = energy.iter().sum::<f32>() / energy.len().max(1) as f32;
    if mean > 0.0 {
        env.iter_mut().for_each(|x| *x /= mean);
    }
    env
}

/// Mean envelope along a comb of `period` columns starting at `phase` (linear interpolation).
fn comb(env: &[f32], period: f64, phase: f64) -> f64 {
    let mut sum = 0.0;
    let mut n = 0usize;
    let mut t = phase;
    while t + 1.0 < env.len() as f64 {
        let i = t as usize;
        let f = (t - i as f64) as f32;
        sum += (env[i] * (1.0 - f) + env[i + 1] * f) as f64;
        n += 1;
        t += period;
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// Best phase (columns) for a tempo, its comb score, and the mean score over all phases.
fn best_phase(env: &[f32], bpm: f64, step: f64) -> (f64, f64, f64) {
    let period = 60.0 * BINS_PER_SECOND / bpm;
    let mut best = (0.0, f64::MIN);
    let (mut sum, mut n) = (0.0, 0);
    let mut phase = 0.0;
    while phase < period {
        let s = comb(env, period, phase);
        sum += s;
        n += 1;
        if s > best.1 {
            best = (phase, s);
        }
        phase += step;
    }
    (best.0, best.1, sum / n.max(1) as f64)
}

/// Best tempo over `[from, to]` in steps of `step` BPM: (bpm, phase, score, mean score).
fn search(env: &[f32], from: f64, to: f64, step: f64, phase_step: f64) -> (f64, f64, f64, f64) {
    let mut best = (from, 0.0, f64::MIN, 0.0);
    let mut bpm = from;
    while bpm <= to + 1e-9 {
        let (phase, score, mean) = best_phase(env, bpm, phase_step);
        if score > best.2 {
            best = (bpm, phase, score, mean);
        }
        bpm += step;
    }
    best
}

/// Estimates the tempo and first beat of a track from its overview; `None` when there is no
/// clear beat (ambient, speech) or less than eight seconds of audio.
pub fn estimate(o: &Overview) -> Option<TempoEstimate> {
    if o.seconds() < 8.0 {
        return None;
    }
    let env = onset_envelope(o);
    let (coarse, ..) = search(&env, BPM_RANGE.0, BPM_RANGE.1, 0.5, 1.0);
    let (mut bpm, mut phase, mut score, mut mean) = search(&env, coarse - 0.5, coarse + 0.5, 0.01, 0.25);
    // Produced music mostly sits on whole tempos: prefer one when it fits as well.
    let whole = bpm.round();
    let (wp, ws, wm) = best_phase(&env, whole, 0.25);
    if (bpm - whole).abs() <= 0.05 && ws >= score * 0.99 {
        (bpm, phase, score, mean) = (whole, wp, ws, wm);
    }
    let confidence = score / mean.max(1e-9);
    (confidence >= MIN_CONFIDENCE && score >= MIN_RISE).then(|| TempoEstimate {
        bpm,
        first_beat: phase / BINS_PER_SECOND,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Track;

    /// Kicks (decaying 60 Hz bursts) at `bpm` from `first` seconds, with quiet hats between.
    fn beats(bpm: f64, first: f64, seconds: f64) -> Track {
        let rate = 48_000.0;
        let frames = (0..(seconds * rate) as usize)
            .map(|i| {
                let t = i as f64 / rate;
                let since = (t - first).rem_euclid(60.0 / bpm);
                let kick = if t < first {
                    0.0
                } else {
                    (since * 60.0 * std::f64::consts::TAU).sin() * (-since * 25.0).exp()
                };
                let half = (since - 30.0 / bpm).abs();
                let hat = ((i * 7919 % 1000) as f64 / 500.0 - 1.0) * 0.05 * (-half * 200.0).exp();
                let x = (kick * 0.8 + hat) as f32;
                [x, x]
            })
            .collect();
        Track {
            name: "beats".into(),
            path: None,
            sample_rate: 48_000,
            frames,
            bpm: None,
            first_beat: 0.0,
        }
    }

    #[test]
    fn finds_tempo_and_first_beat() {
        for (bpm, first) in [(128.0, 0.3), (124.0, 0.05), (97.5, 0.41)] {
            let o = Overview::of(&beats(bpm, first, 30.0));
            let e = estimate(&o).expect("a beat");
            assert!((e.bpm - bpm).abs() < 0.03, "{bpm}: {e:?}");
            assert!((e.first_beat - first).abs() < 0.012, "{bpm}: {e:?}");
        }
    }

    #[test]
    fn no_beat_in_a_steady_tone() {
        let mut t = beats(120.0, 0.0, 20.0);
        for (i, f) in t.frames.iter_mut().enumerate() {
            let x = (i as f32 * 0.01).sin() * 0.3;
            *f = [x, x];
        }
        assert_eq!(estimate(&Overview::of(&t)), None);
    }
}
