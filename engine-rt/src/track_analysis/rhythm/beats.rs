//! Beat tracking, grid fitting and downbeats.
//!
//! Beats: a Viterbi search over states (beat frame, interval to the previous beat). A path
//! collects the conditioned onset strength at its beats and pays for every change of interval
//! between consecutive beats (squared log ratio) plus a weak pull towards the global tempo.
//! Because the cost is on *changes* of interval, not on distance from one fixed tempo, the
//! path follows ramps and a live drummer's drift: the result is a beat map, not a grid.

/// Cost of changing the beat interval by a log ratio `r` between consecutive beats: `K r^2`
/// (a 5 % jump costs about 0.6, roughly half a typical beat's square-rooted onset strength;
/// results hardly change between 100 and 600).
const CHANGE_COST: f64 = 250.0;
/// Pull towards the global tempo, `K r^2` per beat: weak, so ramps are followed.
const GLOBAL_COST: f64 = 6.0;
/// The interval may change by at most this ratio from one beat to the next.
const MAX_STEP: f64 = 0.08;
/// The tracked interval stays within this ratio of the global period (below an octave, so
/// the tracker cannot switch metrical level).
const SPAN: f64 = 1.4;

/// Tracks beats in the conditioned envelope `env` around the global period `tau` (frames).
/// Returns beat positions in fractional frames.
pub fn track(env: &[f32], tau: f64) -> Vec<f64> {
    let n = env.len();
    let dmin = ((tau / SPAN).floor() as usize).max(2);
    let dmax = ((tau * SPAN).ceil() as usize).max(dmin + 1);
    if n <= dmax {
        return vec![];
    }
    let nd = dmax - dmin + 1;
    // Score ring: the last dmax+1 frames' scores per interval.
    let rows = dmax + 1;
    let mut score = vec![f32::NEG_INFINITY; rows * nd];
    // Backpointer per (frame, interval): index of the previous interval, u8::MAX = first beat.
    // nd <= 255 holds because tau <= 100 frames * SPAN at 100 fps... checked below.
    if nd >= u8::MAX as usize {
        return vec![];
    }
    let mut back = vec![u8::MAX; n * nd];
    let prior: Vec<f32> = (0..nd)
        .map(|d| (GLOBAL_COST * ((dmin + d) as f64 / tau).ln().powi(2)) as f32)
        .collect();
    // Allowed predecessors of each interval and their change costs.
    let trans: Vec<Vec<(usize, f32)>> = (0..nd)
        .map(|d| {
            let dd = (dmin + d) as f64;
            (0..nd)
                .filter_map(|p| {
                    let r = (dd / (dmin + p) as f64).ln();
                    (r.abs() <= MAX_STEP + 1e-9 || p == d).then_some((p, (CHANGE_COST * r * r) as f32))
                })
                .collect()
        })
        .collect();
    for t in 0..n {
        let row = (t % rows) * nd;
        let gain = env[t];
        for d in 0..nd {
            let delta = dmin + d;
            let (best, from) = if t < delta {
                // First beat: nothing before it (its "interval" only sets the tempo state).
                (0.0, u8::MAX)
            } else {
                let prow = ((t - delta) % rows) * nd;
                let mut best = f32::NEG_INFINITY;
                let mut from = u8::MAX;
                for &(p, c) in &trans[d] {
                    let s = score[prow + p] - c;
                    if s > best {
                        best = s;
                        from = p as u8;
                    }
                }
                (best, from)
            };
            score[row + d] = gain + best - prior[d];
            back[t * nd + d] = from;
        }
    }
    // Final beat: the best state whose next beat would fall after the end.
    let mut end: Option<(usize, usize, f32)> = None;
    for t in n.saturating_sub(dmax)..n {
        let row = (t % rows) * nd;
        for d in 0..nd {
            if t + dmin + d >= n && end.is_none_or(|(_, _, s)| score[row + d] > s) {
                end = Some((t, d, score[row + d]));
            }
        }
    }
    let Some((mut t, mut d, _)) = end else { return vec![] };
    let mut beats = vec![];
    loop {
        beats.push(refine(env, t));
        let p = back[t * nd + d];
        let delta = dmin + d;
        if p == u8::MAX || t < delta {
            break;
        }
        t -= delta;
        d = p as usize;
    }
    beats.reverse();
    beats
}

/// Sub-frame position of a beat at frame `t`: parabolic interpolation when `t` is a local peak.
fn refine(env: &[f32], t: usize) -> f64 {
    if t == 0 || t + 1 >= env.len() {
        return t as f64;
    }
    let (a, b, c) = (env[t - 1] as f64, env[t] as f64, env[t + 1] as f64);
    let d = a - 2.0 * b + c;
    if b >= a && b >= c && d < 0.0 {
        t as f64 + (0.5 * (a - c) / d).clamp(-0.5, 0.5)
    } else {
        t as f64
    }
}

/// Drops beats at the start and end that lie in silence (no onset activity nearby): the
/// tracker keeps time through quiet passages, which is right inside a track but not before
/// the music starts or after it ends.
pub fn trim(beats: &mut Vec<f64>, flux: &[f32], fps: f64) {
    let n = flux.len();
    if n == 0 || beats.is_empty() {
        return;
    }
    let half = ((0.3 * fps) as usize).max(1);
    let mut cum = vec![0.0f64];
    for &x in flux {
        let last = cum.last().copied().unwrap_or(0.0);
        cum.push(last + x as f64);
    }
    let local = |i: usize| {
        let (a, b) = (i.saturating_sub(half), (i + half + 1).min(n));
        (cum[b] - cum[a]) / (b - a) as f64
    };
    let mut sorted: Vec<f64> = (0..n).step_by(half.max(1)).map(local).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let thr = 0.1 * median;
    let active = |b: f64| local((b.max(0.0) as usize).min(n - 1)) > thr;
    let first = beats.iter().position(|&b| active(b)).unwrap_or(beats.len());
    let last = beats.iter().rposition(|&b| active(b)).map_or(0, |i| i + 1);
    if first >= last {
        beats.clear();
    } else {
        beats.truncate(last);
        beats.drain(..first);
    }
}

/// Least-squares constant grid through the beats: `(offset, period)` with beat k at
/// `offset + k * period`.
pub fn fit_grid(beats: &[f64]) -> Option<(f64, f64)> {
    let n = beats.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mk = (nf - 1.0) / 2.0;
    let mt = beats.iter().sum::<f64>() / nf;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (k, &t) in beats.iter().enumerate() {
        let dk = k as f64 - mk;
        sxy += dk * (t - mt);
        sxx += dk * dk;
    }
    if sxx.is_nan() || sxx <= 0.0 {
        return None;
    }
    let p = sxy / sxx;
    (p > 0.0 && p.is_finite()).then_some((mt - p * mk, p))
}

/// A beat further than this from its line of the constant grid (in beats) puts the grid off
/// there: a grid line an eighth of a beat away is heard as flamming against another deck.
const OFF_GRID_BEATS: f64 = 0.125;
/// Off-grid beats closer than this (in beats) belong to one stretch.
const OFF_GRID_JOIN: usize = 4;

/// Stretches of beats (index ranges, inclusive) that lie more than [`OFF_GRID_BEATS`] from
/// their line of the grid `offset + k * period`, joined across short gaps; a single beat off
/// (a tracker slip) is not a stretch.
pub fn off_grid(beats: &[f64], offset: f64, period: f64) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    for (k, &b) in beats.iter().enumerate() {
        if ((b - (offset + k as f64 * period)) / period).abs() <= OFF_GRID_BEATS {
            continue;
        }
        run = match run {
            Some((a, z)) if k - z <= OFF_GRID_JOIN => Some((a, k)),
            Some(r) => {
                out.push(r);
                Some((k, k))
            }
            None => Some((k, k)),
        };
    }
    out.extend(run);
    out.retain(|(a, z)| z > a);
    out
}

/// Share of `beats` in [`off_grid`] stretches of their own least-squares grid (1 when no grid
/// fits): how much a beat map slips or turns (a tempo change counts too).
pub fn off_grid_share(beats: &[f64]) -> f64 {
    let Some((offset, period)) = fit_grid(beats) else {
        return 1.0;
    };
    let off: usize = off_grid(beats, offset, period).iter().map(|(a, z)| z - a + 1).sum();
    off as f64 / beats.len() as f64
}

/// Of two beat maps of one track, whether the first holds more of its beats on a steady grid
/// ([`off_grid_share`]) than the second (`Some(true)`), fewer (`Some(false)`), or as many
/// (`None`). Two trackers that disagree on a stretch usually do so because one slipped half a
/// beat there and came back (or never did); music that turns its beat around is rarer than a
/// tracker that loses it.
pub fn steadier(first: &[f64], second: &[f64]) -> Option<bool> {
    let (a, b) = (off_grid_share(first), off_grid_share(second));
    (a != b).then_some(a < b)
}

/// Whether the tempo varies: some stretch of 16 beats has a local tempo more than 1 % off the
/// track's (over 16 beats that is a drift of 1/6 beat from a constant grid, above the 1/8
/// beat that matters). Local tempos are trimmed means of the intervals (middle half), so frame
/// quantisation averages out and a brief phase slip of the tracker (a few short intervals)
/// is not mistaken for a tempo change.
pub fn drifts(beats: &[f64]) -> bool {
    const WINDOW: usize = 16;
    let ibi: Vec<f64> = beats.windows(2).map(|w| w[1] - w[0]).collect();
    if ibi.len() < WINDOW {
        return false;
    }
    let trimmed = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        let q = v.len() / 4;
        let mid = &v[q..v.len() - q];
        mid.iter().sum::<f64>() / mid.len().max(1) as f64
    };
    let global = trimmed(&ibi);
    if global <= 0.0 {
        return false;
    }
    let off = (0..=ibi.len() - WINDOW)
        .step_by(WINDOW / 2)
        .filter(|&i| (trimmed(&ibi[i..i + WINDOW]) / global - 1.0).abs() > 0.01)
        .count();
    // Three windows (24+ beats): one misled stretch of tracking is not a tempo change.
    off >= 3
}

/// Metrical accent of each beat: low-band onset strength at the beat (kick, bass), the change
/// of the coarse spectrum from the previous beat's span (chords and bass notes change on strong
/// beats) and the low band's share of all flux there, each as a z-score over the track. Used
/// for the bar phase and for which of two pulses is the beat.
pub fn accents(beats: &[f64], low: &[f32], flux: &[f32], profile: &[u8], n_bands: usize, decim: usize) -> Vec<f64> {
    let nb = beats.len();
    if nb < 2 || n_bands == 0 {
        return vec![0.0; nb];
    }
    // Low-band onset strength around each beat (max over +-3 frames), relative to all flux
    // there (a kick stands out even in a dense mix).
    let at = |v: &[f32], b: f64| super::peak_near(v, b, 3);
    let low_acc: Vec<f64> = beats.iter().map(|&b| at(low, b)).collect();
    let all_acc: Vec<f64> = beats.iter().map(|&b| at(flux, b)).collect();
    // Mean coarse profile over each beat span; change = L1 distance to the previous span.
    let entries = profile.len() / n_bands;
    let span_profile = |a: f64, b: f64| -> Option<Vec<f64>> {
        let (i0, i1) = (
            (a / decim as f64).max(0.0) as usize,
            (b / decim as f64).max(0.0) as usize,
        );
        let i1 = i1.min(entries);
        if i1 <= i0 {
            return None;
        }
        let mut m = vec![0.0; n_bands];
        for e in i0..i1 {
            for (k, mk) in m.iter_mut().enumerate() {
                *mk += profile[e * n_bands + k] as f64;
            }
        }
        m.iter_mut().for_each(|x| *x /= (i1 - i0) as f64 * 16.0);
        Some(m)
    };
    let spans: Vec<Option<Vec<f64>>> = (0..nb)
        .map(|i| {
            let end = beats
                .get(i + 1)
                .copied()
                .unwrap_or(beats[i] + (beats[i] - beats[i.saturating_sub(1)]));
            span_profile(beats[i], end)
        })
        .collect();
    let change: Vec<f64> = (0..nb)
        .map(
            |i| match (i.checked_sub(1).and_then(|j| spans[j].as_ref()), spans[i].as_ref()) {
                (Some(a), Some(b)) => a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / n_bands as f64,
                _ => 0.0,
            },
        )
        .collect();
    let ratio: Vec<f64> = low_acc.iter().zip(&all_acc).map(|(l, a)| l / (a + 1e-3)).collect();
    let (zl, zc, zr) = (zscore(&low_acc), zscore(&change), zscore(&ratio));
    (0..nb).map(|i| zl[i] + zc[i] + 0.5 * zr[i]).collect()
}

/// `v` less its mean, over its standard deviation (all zeros when it does not vary).
fn zscore(v: &[f64]) -> Vec<f64> {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
    v.iter().map(|x| if sd > 1e-9 { (x - m) / sd } else { 0.0 }).collect()
}

/// Which of two alternating pulses is the beat: 0 when the even-numbered `pulses` are, 1 when
/// the odd ones are. The beat is the pulse with the stronger [`accents`] (kick, harmonic
/// change) plus mid-band onsets (`mid`, a conditioned envelope): the snare's backbeat also
/// falls on beats, while what sits between beats (hi-hats, strummed or arpeggiated eighths)
/// is mostly cymbal or weaker.
pub fn beat_phase(
    pulses: &[f64],
    low: &[f32],
    mid: &[f32],
    flux: &[f32],
    profile: &[u8],
    n_bands: usize,
    decim: usize,
) -> usize {
    let snare: Vec<f64> = pulses.iter().map(|&b| super::peak_near(mid, b, 1)).collect();
    let accent: Vec<f64> = accents(pulses, low, flux, profile, n_bands, decim)
        .iter()
        .zip(zscore(&snare))
        .map(|(a, s)| a + s)
        .collect();
    best_phase(&accent, 2).0
}

/// The phase `p < m` whose beats `p, p + m, ...` carry the highest mean accent, and the
/// contrast of that mean over the other phases' mean (the evidence for it).
pub fn best_phase(accent: &[f64], m: usize) -> (usize, f64) {
    if m < 2 {
        return (0, 0.0);
    }
    let mut sums = vec![(0.0, 0usize); m];
    for (i, &a) in accent.iter().enumerate() {
        sums[i % m].0 += a;
        sums[i % m].1 += 1;
    }
    let means: Vec<f64> = sums.iter().map(|&(s, c)| s / c.max(1) as f64).collect();
    let (p, &best) = means
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap_or((0, &0.0));
    let rest = (means.iter().sum::<f64>() - best) / (m - 1) as f64;
    (p, best - rest)
}

/// Bar length and phase: for 3 and 4 beats per bar, the phase whose beats carry the most
/// bar-level [`accents`]. Returns (beats per bar, index of the first downbeat).
pub fn downbeats(
    beats: &[f64],
    low: &[f32],
    flux: &[f32],
    profile: &[u8],
    n_bands: usize,
    decim: usize,
) -> (u32, usize) {
    if beats.len() < 8 || n_bands == 0 {
        return (4, 0);
    }
    let accent = accents(beats, low, flux, profile, n_bands, decim);
    let (p4, c4) = best_phase(&accent, 4);
    let (p3, c3) = best_phase(&accent, 3);
    // 3/4 only with clearly stronger evidence: 4/4 is far more common, and a 4/4 track gives
    // no consistent 3-beat pattern, while a 3/4 track can give a weak 4-beat one by chance.
    if c3 > 1.3 * c4 && c3 > 0.3 { (3, p3) } else { (4, p4) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pulses every 25 frames with equal full-band flux; the odd ones carry a kick (low band),
    /// every other odd one a snare (mid band). Either alone marks the odd pulses as the beats.
    #[test]
    fn beat_phase_follows_kick_and_snare() {
        let n = 2000;
        let pulses: Vec<f64> = (0..n / 25).map(|k| 10.0 + 25.0 * k as f64).collect();
        let frames = n + 50;
        let (mut kick, mut snare, mut flux) = (vec![0.0f32; frames], vec![0.0f32; frames], vec![0.0f32; frames]);
        for (k, &p) in pulses.iter().enumerate() {
            let i = p as usize;
            flux[i] = 1.0;
            if k % 2 == 1 {
                kick[i] = 1.0;
            }
            if k % 4 == 3 {
                snare[i] = 1.0;
            }
        }
        // One band of constant spectrum: no harmonic change anywhere.
        let profile = vec![32u8; frames / 4];
        let none = vec![0.0f32; frames];
        let phase = |pulses: &[f64], low: &[f32], mid: &[f32]| beat_phase(pulses, low, mid, &flux, &profile, 1, 4);
        assert_eq!(phase(&pulses, &kick, &snare), 1);
        assert_eq!(phase(&pulses, &kick, &none), 1);
        assert_eq!(phase(&pulses, &none, &snare), 1);
        assert_eq!(phase(&pulses[1..], &kick, &snare), 0);
    }

    #[test]
    fn steadier_keeps_the_map_that_does_not_slip() {
        let steady: Vec<f64> = (0..60).map(|k| 10.0 + 50.0 * k as f64).collect();
        // The same beats, but half a beat late from the 30th on.
        let slipped: Vec<f64> = steady
            .iter()
            .enumerate()
            .map(|(k, &b)| b + if k >= 30 { 25.0 } else { 0.0 })
            .collect();
        assert_eq!(off_grid_share(&steady), 0.0);
        assert!(off_grid_share(&slipped) > 0.25, "{}", off_grid_share(&slipped));
        assert_eq!(steadier(&slipped, &steady), Some(false));
        assert_eq!(steadier(&steady, &slipped), Some(true));
        // Equally steady: neither.
        let late: Vec<f64> = steady.iter().map(|b| b + 25.0).collect();
        assert_eq!(steadier(&late, &steady), None);
        assert_eq!(off_grid_share(&[]), 1.0);
    }

    #[test]
    fn off_grid_stretches_ignore_single_slips() {
        let mut beats: Vec<f64> = (0..40).map(|k| 10.0 + 50.0 * k as f64).collect();
        beats[5] += 20.0; // one slip
        for b in &mut beats[20..30] {
            *b += 15.0; // a stretch a third of a beat late
        }
        assert_eq!(off_grid(&beats, 10.0, 50.0), vec![(20, 29)]);
    }
}
