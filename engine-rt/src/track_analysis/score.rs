//! Scoring tempo and beats against annotations, the way the MIR literature does (MIREX,
//! mir_eval), so the corpus benchmark's figures compare with published ones.

/// Tolerance of Acc1 and Acc2: an estimate within 4 % of the annotated tempo counts.
pub const TEMPO_TOLERANCE: f64 = 0.04;
/// Half-width of the window in which an estimated beat matches an annotated one, in seconds.
pub const BEAT_WINDOW: f64 = 0.07;
/// Beats before this time are ignored by the F-measure (annotators and trackers both settle).
pub const SKIP_SECONDS: f64 = 5.0;

/// Acc1: the estimate lies within [`TEMPO_TOLERANCE`] of the annotated tempo.
pub fn acc1(estimate: f64, truth: f64) -> bool {
    (estimate - truth).abs() <= TEMPO_TOLERANCE * truth
}

/// Acc2: Acc1 allowing the octave and triple errors (x2, x3, x1/2, x1/3).
pub fn acc2(estimate: f64, truth: f64) -> bool {
    [1.0, 2.0, 3.0, 0.5, 1.0 / 3.0]
        .iter()
        .any(|k| acc1(estimate, truth * k))
}

/// Beat F-measure: beats after [`SKIP_SECONDS`] matched one-to-one within [`BEAT_WINDOW`],
/// 2PR/(P+R). Both lists sorted; an empty list scores 0 unless both are empty.
pub fn beat_f_measure(estimated: &[f64], annotated: &[f64]) -> f64 {
    let est: Vec<f64> = estimated.iter().copied().filter(|&t| t >= SKIP_SECONDS).collect();
    let ann: Vec<f64> = annotated.iter().copied().filter(|&t| t >= SKIP_SECONDS).collect();
    if est.is_empty() && ann.is_empty() {
        return 1.0;
    }
    if est.is_empty() || ann.is_empty() {
        return 0.0;
    }
    // Both sorted: a greedy sweep takes each annotation's nearest free estimate in its window,
    // which is the maximum matching when windows are narrower than the beat period.
    let (mut hits, mut j) = (0usize, 0usize);
    for &a in &ann {
        while j < est.len() && est[j] < a - BEAT_WINDOW {
            j += 1;
        }
        if j < est.len() && (est[j] - a).abs() <= BEAT_WINDOW {
            hits += 1;
            j += 1;
        }
    }
    let (p, r) = (hits as f64 / est.len() as f64, hits as f64 / ann.len() as f64);
    if hits == 0 { 0.0 } else { 2.0 * p * r / (p + r) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tempo_accuracies_follow_the_mirex_definitions() {
        assert!(acc1(123.0, 120.0) && !acc1(125.0, 120.0));
        assert!(!acc1(60.0, 120.0) && acc2(60.0, 120.0));
        assert!(acc2(360.0, 120.0) && acc2(41.0, 120.0) && !acc2(80.0, 120.0));
    }

    #[test]
    fn f_measure_counts_matches_in_the_window() {
        let truth: Vec<f64> = (0..40).map(|i| i as f64 * 0.5).collect();
        assert_eq!(beat_f_measure(&truth, &truth), 1.0);
        let late: Vec<f64> = truth.iter().map(|t| t + 0.05).collect();
        assert_eq!(beat_f_measure(&late, &truth), 1.0);
        let off: Vec<f64> = truth.iter().map(|t| t + 0.25).collect();
        assert_eq!(beat_f_measure(&off, &truth), 0.0);
        // Twice as many beats: precision 1/2, recall 1, F = 2/3.
        let double: Vec<f64> = (0..80).map(|i| i as f64 * 0.25).collect();
        assert!((beat_f_measure(&double, &truth) - 2.0 / 3.0).abs() < 0.02);
        assert_eq!(beat_f_measure(&[], &truth), 0.0);
    }
}
