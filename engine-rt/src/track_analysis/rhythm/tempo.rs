//! Envelope conditioning and global tempo estimation.
//!
//! Method: windowed autocorrelation of the onset envelope (each window normalised, so quiet and
//! loud passages count alike, and averaged, so a drifting tempo still leaves a peak), then a
//! periodicity score with harmonic enhancement (multiples: the bar; sub-divisions, duple
//! favoured over triple) and a broad log-normal tempo prior. Octave choice (the main failure
//! of tempo estimators) gets one more, metrical check: of two levels an octave apart, the
//! faster is the beat unless the slower one is clearly more salient, because the salience
//! credits the slower level with its duple sub-division, which is the faster level itself.

/// Tempo range reported.
pub const MIN_BPM: f64 = 60.0;
/// Tempo range reported.
pub const MAX_BPM: f64 = 200.0;
/// Centre of the log-normal tempo prior (listeners' preferred tap rate is near 2 Hz).
const PRIOR_BPM: f64 = 120.0;
/// Width of the prior in octaves (one standard deviation): broad, only breaks near-ties.
const PRIOR_OCTAVES: f64 = 0.9;
/// Of two levels an octave apart, the slower is the beat only when its prior-weighted
/// salience is at least this many times the faster one's. The salience adds a level's duple
/// sub-division, which for the slower level is the faster level itself: a real faster pulse
/// lends the slower level up to about a quarter of its salience (an even pulse train), so a
/// narrow win is that loan, not an accent on every other pulse.
const SLOWER_MARGIN: f64 = 1.2;
/// Autocorrelation window and hop in seconds.
const ACF_WINDOW_S: f64 = 12.0;
const ACF_HOP_S: f64 = 6.0;

/// Flux this small is arithmetic noise, not an onset (a steady tone's frames differ by the
/// rounding of the log; a real onset brings 0.5 or more): it is removed before anything
/// normalises it into a pattern.
const NOISE_FLUX: f64 = 0.05;

/// Removes the local mean (about 0.4 s around each frame) and half-wave rectifies: what is left
/// are onsets standing out of their surroundings, independent of steady texture. Then divides
/// by a slowly varying local RMS (about 8 s) so quiet passages still carry beats.
pub fn condition(flux: &[f32], fps: f64) -> Vec<f32> {
    let n = flux.len();
    if n == 0 {
        return vec![];
    }
    let half = ((0.2 * fps) as usize).max(1);
    let cum = prefix(flux.iter().map(|&x| x as f64));
    let mut out: Vec<f32> = (0..n)
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(n));
            let mean = (cum[b] - cum[a]) / (b - a) as f64;
            (flux[i] as f64 - mean - NOISE_FLUX).max(0.0) as f32
        })
        .collect();
    let half = ((4.0 * fps) as usize).max(1);
    let cum2 = prefix(out.iter().map(|&x| (x as f64) * (x as f64)));
    let global = (cum2[n] / n as f64).sqrt();
    let floor = (global * 0.1).max(1e-6);
    let scale: Vec<f64> = (0..n)
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(n));
            ((cum2[b] - cum2[a]) / (b - a) as f64).sqrt().max(floor)
        })
        .collect();
    for (x, s) in out.iter_mut().zip(scale) {
        *x = (*x as f64 / s) as f32;
    }
    out
}

fn prefix(it: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v = vec![0.0];
    let mut s = 0.0;
    for x in it {
        s += x;
        v.push(s);
    }
    v
}

/// Windowed, normalised autocorrelation of `env` for lags `0..max_lag`.
pub struct Periodicity {
    /// Mean over windows of each window's normalised autocorrelation.
    pub mean: Vec<f64>,
    /// Per-window normalised autocorrelations (window-major), for local evidence.
    pub windows: Vec<Vec<f32>>,
}

/// Computes the windowed autocorrelation. Windows with almost no onset energy (silence) are
/// skipped: they would only add noise.
pub fn periodicity(env: &[f32], fps: f64, max_lag: usize) -> Periodicity {
    let n = env.len();
    let win = ((ACF_WINDOW_S * fps) as usize).min(n).max(1);
    let hop = ((ACF_HOP_S * fps) as usize).max(1);
    let mut starts = vec![];
    let mut s = 0;
    loop {
        starts.push(s.min(n.saturating_sub(win)));
        if s + win >= n {
            break;
        }
        s += hop;
    }
    let mut windows = vec![];
    let mut energies = vec![];
    let mut buf = vec![0f32; win];
    for &st in &starts {
        let seg = &env[st..(st + win).min(n)];
        let m = seg.iter().map(|&x| x as f64).sum::<f64>() / seg.len().max(1) as f64;
        for (b, &x) in buf.iter_mut().zip(seg) {
            *b = x - m as f32;
        }
        let len = seg.len();
        let e0: f64 = buf[..len].iter().map(|&x| (x * x) as f64).sum();
        let mut acf = vec![0f32; max_lag];
        if e0 > 1e-9 {
            for (lag, a) in acf.iter_mut().enumerate() {
                if lag >= len {
                    break;
                }
                let s: f32 = buf[..len - lag].iter().zip(&buf[lag..len]).map(|(a, b)| a * b).sum();
                // Unbiased by overlap length so long lags are not penalised.
                *a = (s as f64 / e0 * len as f64 / (len - lag) as f64) as f32;
            }
        }
        energies.push(e0 / len.max(1) as f64);
        windows.push(acf);
    }
    let mut sorted = energies.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let mut mean = vec![0.0; max_lag];
    let mut used = 0usize;
    let mut kept = vec![];
    for (acf, &e) in windows.into_iter().zip(&energies) {
        if e > 0.05 * median && e > 1e-12 {
            for (m, &a) in mean.iter_mut().zip(&acf) {
                *m += a as f64;
            }
            used += 1;
            kept.push(acf);
        }
    }
    if used > 0 {
        mean.iter_mut().for_each(|m| *m /= used as f64);
    }
    Periodicity { mean, windows: kept }
}

/// Linear interpolation of `v` at fractional index `x` (0 outside).
pub fn interp(v: &[f64], x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return 0.0;
    }
    let i = x as usize;
    if i + 1 >= v.len() {
        return 0.0;
    }
    let f = x - i as f64;
    v[i] * (1.0 - f) + v[i + 1] * f
}

/// Peak of `v` within `x * (1 ± tol)`.
fn peak_near(v: &[f64], x: f64, tol: f64) -> f64 {
    let (a, b) = (
        (x * (1.0 - tol)).floor().max(1.0) as usize,
        (x * (1.0 + tol)).ceil() as usize,
    );
    (a..=b.min(v.len().saturating_sub(1)))
        .map(|i| v[i])
        .fold(interp(v, x), f64::max)
}

/// Periodicity salience of a beat period `tau` (frames): its own autocorrelation plus that of
/// its multiples (a real beat repeats at 2T, 3T, 4T: the bar), which is what separates a beat
/// period from a mere sub-division.
pub fn salience(acf: &[f64], tau: f64) -> f64 {
    let tol = 0.03;
    let mut s = peak_near(acf, tau, tol);
    let mut w = 0.5;
    for k in 2..=4 {
        let x = tau * k as f64;
        if x + 1.0 >= acf.len() as f64 {
            break;
        }
        s += w * peak_near(acf, x, tol);
        w *= 0.7;
    }
    // Sub-division evidence: duple sub-divisions are far more common than triple ones, so a
    // level whose half period is periodic gains more than one whose third is.
    s + SUB2 * peak_near(acf, tau / 2.0, tol).max(0.0) + SUB3 * peak_near(acf, tau / 3.0, tol).max(0.0)
}

/// Weight of duple sub-division evidence in the salience.
const SUB2: f64 = 0.5;
/// Weight of triple sub-division evidence (triple metres are rarer).
const SUB3: f64 = 0.2;

/// Log-normal prior weight of a tempo.
pub fn prior(bpm: f64) -> f64 {
    let z = (bpm / PRIOR_BPM).log2() / PRIOR_OCTAVES;
    (-0.5 * z * z).exp()
}

/// Result of the global tempo search.
#[derive(Debug, Clone, Copy)]
pub struct TempoChoice {
    /// Beat period in frames (fractional).
    pub period: f64,
    /// Tempo in BPM.
    pub bpm: f64,
    /// Mean over windows of the best local autocorrelation near the period, 0..1: how
    /// periodic the onsets are at this tempo.
    pub strength: f64,
}

/// Whether twice `bpm` is still within the reported range (with 2 % slack for a tempo just
/// above half the maximum): then the faster metrical level is a candidate beat.
pub fn has_faster_level(bpm: f64) -> bool {
    bpm * 2.0 <= MAX_BPM * 1.02
}

/// Picks the tempo: best prior-weighted salience over 60..200 BPM on a fine log grid, then the
/// faster of two octave-related levels unless the slower one wins by [`SLOWER_MARGIN`].
pub fn choose_tempo(p: &Periodicity, fps: f64) -> Option<TempoChoice> {
    let acf = &p.mean;
    let mut best: Option<(f64, f64)> = None;
    let mut bpm = MIN_BPM;
    while bpm <= MAX_BPM {
        let tau = 60.0 * fps / bpm;
        let s = salience(acf, tau).max(0.0) * prior(bpm);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((tau, s));
        }
        bpm *= 1.0025;
    }
    let (tau, score) = best?;
    if score.is_nan() || score <= 0.0 {
        return None;
    }
    // Parabolic refinement on the raw autocorrelation peak.
    let tau = refine_peak(acf, tau);
    let mut bpm = (60.0 * fps / tau).clamp(MIN_BPM, MAX_BPM);
    // Metrical check: the argmax above leans to the slower level (it inherits the faster
    // level's strength as its sub-division), so the faster level is the beat unless the slower
    // one stands clearly above it.
    let slower = salience(acf, tau) * prior(bpm);
    let faster = salience(acf, tau / 2.0).max(0.0) * prior(bpm * 2.0);
    if has_faster_level(bpm) && faster * SLOWER_MARGIN > slower {
        bpm = (bpm * 2.0).min(MAX_BPM);
    }
    let tau = 60.0 * fps / bpm;
    Some(TempoChoice {
        period: tau,
        bpm,
        strength: local_strength(p, tau),
    })
}

fn refine_peak(acf: &[f64], tau: f64) -> f64 {
    let mut i = tau.round() as usize;
    // Climb to the local maximum (at most a couple of steps).
    for _ in 0..3 {
        if i + 1 < acf.len() && acf[i + 1] > acf[i] {
            i += 1;
        } else if i > 1 && acf[i - 1] > acf[i] {
            i -= 1;
        }
    }
    if i == 0 || i + 1 >= acf.len() || (i as f64 - tau).abs() > tau * 0.04 {
        return tau;
    }
    let (a, b, c) = (acf[i - 1], acf[i], acf[i + 1]);
    let d = a - 2.0 * b + c;
    if d >= 0.0 {
        return tau;
    }
    i as f64 + (0.5 * (a - c) / d).clamp(-0.5, 0.5)
}

/// Mean over windows of the best autocorrelation within 6 % of `tau` (and of `2 tau`): tempo
/// drift moves the peak, so each window may find it slightly elsewhere.
pub fn local_strength(p: &Periodicity, tau: f64) -> f64 {
    if p.windows.is_empty() {
        return 0.0;
    }
    let mut sum = 0.0;
    for w in &p.windows {
        let v: Vec<f64> = w.iter().map(|&x| x as f64).collect();
        let a = peak_near(&v, tau, 0.06);
        let b = peak_near(&v, 2.0 * tau, 0.06);
        sum += a.max(0.0) * 0.5 + b.max(0.0) * 0.5;
    }
    sum / p.windows.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPS: f64 = 100.0;

    /// Chosen tempo of an envelope with an onset of `strength(k)` every `step` frames (each
    /// a few frames wide, as flux peaks are).
    fn tempo_of(step: usize, strength: impl Fn(usize) -> f32) -> f64 {
        let n = 6000;
        let mut env = vec![0.0f32; n + 4];
        for (k, i) in (0..n).step_by(step).enumerate() {
            for (d, w) in [0.3, 0.7, 1.0, 0.7, 0.3].into_iter().enumerate() {
                env[i + d] = w * strength(k);
            }
        }
        let per = periodicity(&env, FPS, (60.0 / MIN_BPM * 4.2 * FPS) as usize);
        choose_tempo(&per, FPS).expect("a pulse").bpm
    }

    #[test]
    fn an_even_pulse_is_the_beat_and_an_accented_one_the_bar() {
        // Equal onsets every 0.4 s: the salience leans to 75 BPM (the 150 BPM pulse counts as
        // its sub-division), the metrical check reads the pulse itself.
        let even = tempo_of(40, |_| 1.0);
        assert!((even - 150.0).abs() < 1.5, "{even}");
        // The same with every other onset a fifth as strong: the strong ones are the beats.
        let accented = tempo_of(40, |k| if k % 2 == 0 { 1.0 } else { 0.2 });
        assert!((accented - 75.0).abs() < 1.0, "{accented}");
    }

    #[test]
    fn faster_level_exists_only_within_the_range() {
        assert!(has_faster_level(100.0) && has_faster_level(102.0));
        assert!(!has_faster_level(103.0) && !has_faster_level(150.0));
    }
}
