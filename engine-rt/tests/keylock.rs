//! Rate, key lock and pitch shift: length follows the tempo ratio, pitch follows the settings.

mod common;
use common::*;
use engine_rt::stretch::StretchEngine;
use engine_rt::{EngineEvent, IntentKind as K, Quantize};

/// Largest pitch error allowed, as a fraction. R3 is exact on a steady tone; R2's phase vocoder
/// wobbles on one (measured up to 1.0 % at -5 semitones, see docs/ENGINE.md).
fn tolerance(engine: StretchEngine) -> f64 {
    match engine {
        StretchEngine::Faster => 0.015,
        StretchEngine::Finer => 0.001,
    }
}

const ENGINES: [StretchEngine; 2] = [StretchEngine::Faster, StretchEngine::Finer];

/// Mean frequency from interpolated upward zero crossings: the pitch a listener hears, robust
/// to the phase modulation a phase vocoder leaves on a pure tone.
fn mean_hz(x: &[f32]) -> f64 {
    let crossings: Vec<f64> = x
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] <= 0.0 && w[1] > 0.0)
        .map(|(i, w)| i as f64 + (-w[0] / (w[1] - w[0])) as f64)
        .collect();
    let (first, last) = (crossings[0], crossings[crossings.len() - 1]);
    (crossings.len() - 1) as f64 * SR as f64 / (last - first)
}

/// Plays a 4 s 440 Hz sine at `rate` and returns (frames until it ended, peak Hz mid-way).
fn play(engine: StretchEngine, rate: f64, keylock: bool, semitones: f64) -> (u64, f64) {
    let (mut h, mut p) = engine_with(|c| c.stretch_engine = engine);
    let t = h.share(sine(4 * SR as usize, 440.0, 0.5));
    h.act(Quantize::Now, K::Load { deck: 0, track: t });
    h.act(Quantize::Now, K::KeyLock { deck: 0, on: keylock });
    h.act(Quantize::Now, K::Pitch { deck: 0, semitones });
    h.act(
        Quantize::Now,
        K::Rate {
            deck: 0,
            rate,
            ramp_beats: 0.0,
        },
    );
    h.act(Quantize::Now, K::Play { deck: 0 });
    let out = left(&render(&mut p, 6 * SR as usize, 256));
    let ended = events(&mut h)
        .into_iter()
        .find_map(|e| match e {
            EngineEvent::ClipEnded { frame, .. } => Some(frame),
            _ => None,
        })
        .expect("clip ended");
    (ended, mean_hz(&out[SR as usize..2 * SR as usize]))
}

#[test]
fn key_lock_keeps_pitch_while_length_follows_tempo() {
    for engine in ENGINES {
        for rate in [0.8, 1.25] {
            let (len, hz) = play(engine, rate, true, 0.0);
            let want = 4.0 * SR as f64 / rate;
            assert!(
                (len as f64 - want).abs() < 0.01 * SR as f64,
                "{engine:?} rate {rate}: {len} frames, want {want}"
            );
            assert!(
                (hz / 440.0 - 1.0).abs() < tolerance(engine),
                "{engine:?} rate {rate}: key-locked pitch {hz:.2} Hz"
            );
        }
    }
}

#[test]
fn without_key_lock_pitch_follows_rate() {
    let (len, hz) = play(StretchEngine::Faster, 1.25, false, 0.0);
    assert!((len as f64 - 4.0 * SR as f64 / 1.25).abs() < 2.0, "{len}");
    assert!((hz - 550.0).abs() < 0.5, "{hz}");
}

#[test]
fn pitch_shift_in_semitones() {
    for engine in ENGINES {
        for st in [12.0, -5.0, 3.0] {
            let (len, hz) = play(engine, 1.0, true, st);
            assert!(
                (len as f64 - 4.0 * SR as f64).abs() < 0.01 * SR as f64,
                "{engine:?} {st}: {len}"
            );
            let want = 440.0 * 2f64.powf(st / 12.0);
            assert!(
                (hz / want - 1.0).abs() < tolerance(engine),
                "{engine:?} {st} st: {hz:.2} vs {want:.2}"
            );
        }
    }
}
