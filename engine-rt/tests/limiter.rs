//! The master never exceeds the ceiling and never carries NaN or Inf.

mod common;
use common::*;
use engine_rt::dsp::db_to_gain;
use engine_rt::{DeckParam, IntentKind as K, MasterParam, Quantize};

#[test]
fn plus_12_db_overload_stays_under_the_ceiling() {
    let (mut h, mut p) = engine();
    let ceiling = db_to_gain(-0.3);
    for d in 0..4 {
        let t = h.share(sine(96_000, 50.0 + 30.0 * d as f64, 1.0));
        h.act(Quantize::Now, K::Load { deck: d, track: t });
        h.act(
            Quantize::Now,
            K::Deck {
                deck: d,
                param: DeckParam::TrimDb,
                value: 12.0,
                ramp_beats: 0.0,
            },
        );
        h.act(
            Quantize::Now,
            K::Deck {
                deck: d,
                param: DeckParam::EqLowDb,
                value: 6.0,
                ramp_beats: 0.0,
            },
        );
        h.act(Quantize::Now, K::Play { deck: d });
    }
    h.act(
        Quantize::Now,
        K::Master {
            param: MasterParam::GainDb,
            value: 12.0,
            ramp_beats: 0.0,
        },
    );
    let out = render(&mut p, 96_000, 256);
    let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak <= ceiling, "peak {peak} over ceiling {ceiling}");
    assert!(
        peak > ceiling * 0.95,
        "the limiter is working at the ceiling, not far below: {peak}"
    );
    assert!(out.iter().all(|v| v.is_finite()));
}

#[test]
fn non_finite_audio_never_leaves_the_engine() {
    let (mut h, mut p) = engine();
    let t = h.share(track("bad", 48_000, None, |i| match i % 3 {
        0 => f32::NAN,
        1 => f32::INFINITY,
        _ => 0.5,
    }));
    h.act(Quantize::Now, K::Load { deck: 0, track: t });
    h.act(Quantize::Now, K::Play { deck: 0 });
    let out = render(&mut p, 48_000, 512);
    assert!(out.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    assert!(h.stats().scrubbed_samples.load(std::sync::atomic::Ordering::Relaxed) > 0);
}
