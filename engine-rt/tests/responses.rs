//! EQ and filter magnitude responses, measured by FFT of the engine's impulse response.

mod common;
use common::*;
use engine_rt::dsp::filter::DjFilter;
use engine_rt::{DeckParam, EqBand, IntentKind as K, Quantize};

const LEAD: usize = 9_600; // lets smoothed parameters settle before the impulse
const N: usize = 32_768;

/// Magnitude response in dB of deck 0 with `setup` applied, sampled at `hz`.
fn response(setup: &[K], freqs: &[f64]) -> Vec<f64> {
    let (mut h, mut p) = engine();
    let t = h.share(track("impulse", LEAD + N, None, |i| if i == LEAD { 0.5 } else { 0.0 }));
    h.act(Quantize::Now, K::Load { deck: 0, track: t });
    for k in setup {
        h.act(Quantize::Now, k.clone());
    }
    h.act(Quantize::Now, K::Play { deck: 0 });
    let out = left(&render(&mut p, LEAD + N + 1_000, 512));
    let start = LEAD + p.latency();
    let ir: Vec<f32> = out[start..start + N].iter().map(|v| v * 2.0).collect();
    // Rectangular window: the impulse response has decayed by the end.
    use realfft::RealFftPlanner;
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N);
    let mut input = ir;
    let mut spec = fft.make_output_vec();
    fft.process(&mut input, &mut spec).unwrap();
    freqs
        .iter()
        .map(|&f| {
            let k = (f * N as f64 / SR as f64).round() as usize;
            20.0 * (spec[k].norm() as f64).log10()
        })
        .collect()
}

fn deck(param: DeckParam, value: f32) -> K {
    K::Deck {
        deck: 0,
        param,
        value,
        ramp_beats: 0.0,
    }
}

const FREQS: [f64; 8] = [30.0, 60.0, 120.0, 500.0, 1_000.0, 5_000.0, 10_000.0, 16_000.0];

#[test]
fn flat_eq_and_centred_filter_are_transparent() {
    for (f, db) in FREQS.iter().zip(response(&[], &FREQS)) {
        assert!(db.abs() < 0.05, "{f} Hz: {db:.3} dB");
    }
}

#[test]
fn kills_remove_their_band_and_spare_the_rest() {
    let low = response(
        &[K::EqKill {
            deck: 0,
            band: EqBand::Low,
            on: true,
        }],
        &[40.0, 60.0, 5_000.0],
    );
    assert!(low[0] < -40.0 && low[1] < -35.0, "low kill: {low:?}");
    assert!(low[2].abs() < 0.5, "highs untouched: {low:?}");
    let high = response(
        &[K::EqKill {
            deck: 0,
            band: EqBand::High,
            on: true,
        }],
        &[100.0, 12_000.0],
    );
    assert!(high[1] < -40.0 && high[0].abs() < 0.5, "high kill: {high:?}");
    let mid = response(
        &[K::EqKill {
            deck: 0,
            band: EqBand::Mid,
            on: true,
        }],
        &[40.0, 800.0, 16_000.0],
    );
    assert!(
        mid[1] < -25.0 && mid[0].abs() < 0.5 && mid[2].abs() < 0.5,
        "mid kill: {mid:?}"
    );
}

#[test]
fn band_gains_boost_and_cut() {
    let r = response(
        &[deck(DeckParam::EqHighDb, 6.0), deck(DeckParam::EqLowDb, -12.0)],
        &[40.0, 1_000.0, 12_000.0],
    );
    assert!((r[0] + 12.0).abs() < 1.0, "low -12: {r:?}");
    assert!((r[2] - 6.0).abs() < 0.5, "high +6: {r:?}");
    assert!(r[1].abs() < 3.0, "mid near unity: {r:?}");
}

#[test]
fn filter_knob_sweeps_low_pass_left_and_high_pass_right() {
    let lp_cut = DjFilter::cutoff_hz(-0.5) as f64;
    let lp = response(
        &[deck(DeckParam::Filter, -0.5)],
        &[lp_cut / 4.0, lp_cut * 4.0, lp_cut * 8.0],
    );
    assert!(lp[0].abs() < 1.0, "passband: {lp:?} (cutoff {lp_cut:.0} Hz)");
    assert!(lp[1] < -20.0 && lp[2] < -32.0, "12 dB/oct stopband: {lp:?}");
    let hp_cut = DjFilter::cutoff_hz(0.5) as f64;
    let hp = response(
        &[deck(DeckParam::Filter, 0.5)],
        &[hp_cut / 8.0, hp_cut / 4.0, hp_cut * 4.0],
    );
    assert!(hp[2].abs() < 1.0, "passband: {hp:?} (cutoff {hp_cut:.0} Hz)");
    assert!(hp[1] < -20.0 && hp[0] < -32.0, "stopband: {hp:?}");
    let res = response(
        &[deck(DeckParam::Filter, -0.5), deck(DeckParam::FilterResonance, 1.0)],
        &[lp_cut],
    );
    assert!(res[0] > 6.0, "resonance peaks at the cutoff: {res:?}");
}
