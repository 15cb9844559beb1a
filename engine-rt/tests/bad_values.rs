//! Values that are not finite numbers, or lie outside their range, never reach a smoother or
//! the output: the engine drops them with a reason (or holds them to the range), and the
//! sound goes on.

mod common;
use common::*;

use engine_rt::{DeckParam, DropReason, EngineEvent, FxKind, IntentKind, MasterParam, Quantize};

/// Peak of the last `frames` frames of `out`.
fn tail_peak(out: &[f32], frames: usize) -> f32 {
    out[out.len() - 2 * frames..].iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

/// An engine playing a sine on deck 0, a quarter of a second in.
fn playing() -> (engine_rt::EngineHandle, engine_rt::EngineProcessor) {
    let (mut h, mut p) = engine();
    let t = h.share(sine(SR as usize * 4, 440.0, 0.5));
    h.act(Quantize::Now, IntentKind::Load { deck: 0, track: t });
    h.act(Quantize::Now, IntentKind::Play { deck: 0 });
    render(&mut p, SR as usize / 4, 256);
    events(&mut h);
    (h, p)
}

fn master(param: MasterParam, value: f32) -> IntentKind {
    IntentKind::Master {
        param,
        value,
        ramp_beats: 0.0,
    }
}

fn deck(param: DeckParam, value: f32) -> IntentKind {
    IntentKind::Deck {
        deck: 0,
        param,
        value,
        ramp_beats: 0.0,
    }
}

#[test]
fn non_finite_values_are_dropped_with_a_reason_and_the_sound_goes_on() {
    let (mut h, mut p) = playing();
    let before = tail_peak(&render(&mut p, 4800, 256), 4800);
    assert!(before > 0.2, "playing: {before}");
    let bad = [
        master(MasterParam::Crossfader, f32::NAN),
        master(MasterParam::GainDb, f32::INFINITY),
        master(MasterParam::CueGainDb, f32::NEG_INFINITY),
        master(MasterParam::CueMix, f32::NAN),
        deck(DeckParam::Filter, f32::NAN),
        deck(DeckParam::Volume, f32::INFINITY),
        deck(DeckParam::EqLowDb, f32::NEG_INFINITY),
        deck(DeckParam::FxAmount(0), f32::NAN),
        IntentKind::Master {
            param: MasterParam::GainDb,
            value: 0.0,
            ramp_beats: f64::NAN,
        },
        IntentKind::Tempo {
            bpm: f64::NAN,
            ramp_beats: 0.0,
        },
        IntentKind::Rate {
            deck: 0,
            rate: f64::INFINITY,
            ramp_beats: 0.0,
        },
        IntentKind::Pitch {
            deck: 0,
            semitones: f64::NAN,
        },
        IntentKind::Seek {
            deck: 0,
            seconds: f64::NAN,
        },
        IntentKind::BeatLoop {
            deck: 0,
            beats: f64::INFINITY,
        },
        IntentKind::FxSlot {
            deck: 0,
            slot: 0,
            fx: Some(FxKind::Echo { beats: f32::NAN }),
        },
    ];
    let n = bad.len();
    for kind in bad {
        h.act(Quantize::Now, kind);
    }
    // A launch target that is not a number is refused too.
    h.act(Quantize::Beat(f64::NAN), IntentKind::Pause { deck: 0 });
    h.act(Quantize::NextMultiple(f64::INFINITY), IntentKind::Pause { deck: 0 });
    let out = render(&mut p, SR as usize / 2, 256);
    let reasons: Vec<DropReason> = events(&mut h)
        .into_iter()
        .filter_map(|e| match e {
            EngineEvent::Dropped { reason, .. } => Some(reason),
            EngineEvent::Applied { .. } => panic!("a non-finite intent was applied"),
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), n + 2, "{reasons:?}");
    assert!(
        reasons.iter().all(|r| matches!(r, DropReason::NotFinite(_))),
        "{reasons:?}"
    );
    assert!(reasons.contains(&DropReason::NotFinite("crossfader")), "{reasons:?}");
    assert_eq!(
        h.stats().refused_values.load(std::sync::atomic::Ordering::Relaxed),
        n as u64 + 2
    );
    assert!(out.iter().all(|x| x.is_finite()));
    let after = tail_peak(&out, 4800);
    assert!(
        (after - before).abs() < 1e-3,
        "the sound goes on unchanged: {before} -> {after}"
    );
    assert_eq!(h.stats().scrubbed_samples(), 0);
}

#[test]
fn out_of_range_values_are_held_at_the_ends() {
    let (mut h, mut p) = playing();
    let reference = tail_peak(&render(&mut p, 4800, 256), 4800);
    // Far past the ends: the crossfader at its end (the deck is Thru, so unchanged), the
    // master gain at +12 dB (the limiter holds the ceiling), then back to 0 dB: unchanged.
    h.act(Quantize::Now, master(MasterParam::Crossfader, 1e30));
    h.act(Quantize::Now, master(MasterParam::GainDb, 1e9));
    let loud = render(&mut p, SR as usize / 4, 256);
    assert!(loud.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
    h.act(Quantize::Now, master(MasterParam::GainDb, -1e9));
    let quiet = tail_peak(&render(&mut p, SR as usize / 4, 256), 4800);
    let floor = engine_rt::dsp::db_to_gain(engine_rt::ranges::MASTER_GAIN_DB.min as f32);
    assert!((quiet - reference * floor).abs() < 1e-4, "held at -60 dB: {quiet}");
    h.act(Quantize::Now, master(MasterParam::GainDb, 0.0));
    // Back at 0 dB, once the limiter has released: as before.
    let back = tail_peak(&render(&mut p, 2 * SR as usize, 256), 4800);
    assert!((back - reference).abs() < 1e-3, "{reference} -> {back}");
    // Nothing out of range is dropped: it is held, and applied.
    assert!(events(&mut h).iter().all(|e| !matches!(e, EngineEvent::Dropped { .. })));
    // A tempo far out of range lands on the range's end.
    h.act(
        Quantize::Now,
        IntentKind::Tempo {
            bpm: 1e6,
            ramp_beats: 0.0,
        },
    );
    render(&mut p, 2048, 256);
    let bpm = events(&mut h).into_iter().find_map(|e| match e {
        EngineEvent::MasterState { bpm, .. } => Some(bpm),
        _ => None,
    });
    assert_eq!(bpm, Some(engine_rt::ranges::BPM.max));
}
