//! Starts, stops, seeks, loop wraps and cue jumps never step the waveform.

mod common;
use common::*;
use engine_rt::{IntentKind as K, Quantize};

/// Largest sample-to-sample step in the output.
fn max_step(x: &[f32]) -> f32 {
    x.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
}

fn run(keylock: bool) -> (f32, f32) {
    let (mut h, mut p) = engine();
    // 110 Hz at 0.8: the largest natural step is 0.8 * 2*pi*110/48000 = 0.0115.
    let t = h.share(sine(10 * SR as usize, 110.0, 0.8));
    let b = Quantize::Beat;
    let script = [
        (Quantize::Now, K::Load { deck: 0, track: t }),
        (Quantize::Now, K::KeyLock { deck: 0, on: keylock }),
        (b(0.1), K::Play { deck: 0 }),
        (b(1.013), K::Pause { deck: 0 }),
        (b(1.5), K::Play { deck: 0 }),
        (
            b(2.27),
            K::Seek {
                deck: 0,
                seconds: 3.3337,
            },
        ),
        (
            b(3.0),
            K::SetHotCue {
                deck: 0,
                slot: 0,
                seconds: 0.77,
            },
        ),
        (b(3.61), K::HotCue { deck: 0, slot: 0 }),
        (b(4.0), K::BeatLoop { deck: 0, beats: 0.37 }),
        (b(6.0), K::LoopExit { deck: 0 }),
        (b(6.5), K::LoopIn { deck: 0 }),
        (b(7.21), K::LoopOut { deck: 0 }),
        (b(9.0), K::LoopExit { deck: 0 }),
        (b(9.3), K::Cue { deck: 0 }),
        (b(10.0), K::Play { deck: 0 }),
        (b(11.4), K::Stop { deck: 0 }),
    ];
    for (q, k) in script {
        h.act(q, k);
    }
    let out = left(&render(&mut p, 12 * 24_000, 128));
    (max_step(&out), out.iter().fold(0.0f32, |m, v| m.max(v.abs())))
}

#[test]
fn direct_voice_is_declicked() {
    let (step, peak) = run(false);
    assert!(peak > 0.7, "audible: {peak}");
    assert!(step < 0.03, "largest step {step}");
}

#[test]
fn key_locked_voice_is_declicked() {
    let (step, peak) = run(true);
    assert!(peak > 0.6, "audible: {peak}");
    assert!(step < 0.03, "largest step {step}");
}
