//! Intents land on the exact frame of their quantized beat, and every application is reported.

mod common;
use common::*;
use engine_rt::{EngineEvent, IntentKind, Quantize};

const FPB: usize = 24_000; // frames per beat at 120 BPM, 48 kHz

/// Frame of the first audible sample of an impulse clip whose click sits `lead` frames in.
fn landing(at: Quantize, start_frames: usize, block: usize) -> (usize, Vec<EngineEvent>) {
    let lead = 1_000;
    let (mut h, mut p) = engine();
    let t = h.share(impulse(48_000, lead));
    h.act(Quantize::Now, IntentKind::Load { deck: 0, track: t });
    let mut out = render(&mut p, start_frames, block);
    h.act(at, IntentKind::Play { deck: 0 });
    out.extend(render(&mut p, 8 * FPB, block));
    let onset = first_above(&left(&out), 0.1).expect("impulse heard");
    (onset - lead - p.latency(), events(&mut h))
}

#[test]
fn next_beat_and_bar_land_exactly() {
    for block in [1, 64, 100, 512] {
        let (f, _) = landing(Quantize::NextBeat, 30_000, block);
        // Received at the block containing frame 30000: the next beat is 48000.
        assert_eq!(f, 2 * FPB, "next beat, block {block}");
        let (f, _) = landing(Quantize::NextBar, 30_000, block);
        assert_eq!(f, 4 * FPB, "next bar, block {block}");
        let (f, _) = landing(Quantize::NextMultiple(8.0), 30_000, block);
        assert_eq!(f, 8 * FPB, "two bars, block {block}");
    }
}

#[test]
fn absolute_beat_lands_exactly_and_is_reported() {
    let (f, ev) = landing(Quantize::Beat(2.5), 0, 256);
    assert_eq!(f, 5 * FPB / 2);
    let applied: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Applied { id, frame, beat } => Some((*id, *frame, *beat)),
            _ => None,
        })
        .collect();
    assert_eq!(applied.len(), 2, "load and play reported: {applied:?}");
    assert_eq!(applied[1].1, 5 * FPB as u64 / 2);
    assert!((applied[1].2 - 2.5).abs() < 1e-9);
}

#[test]
fn a_frame_target_lands_on_that_frame_whatever_the_block() {
    for block in [1, 64, 100, 512] {
        let (f, _) = landing(Quantize::Frame(30_123), 10_000, block);
        assert_eq!(f, 30_123, "block {block}");
    }
    // A frame already past applies at once: at the first frame of the block that receives it.
    let (f, _) = landing(Quantize::Frame(5), 10_000, 256);
    assert_eq!(f, 10_000);
}

#[test]
fn tempo_change_moves_later_targets() {
    let (mut h, mut p) = engine();
    let t = h.share(impulse(48_000, 0));
    h.act(Quantize::Now, IntentKind::Load { deck: 0, track: t });
    // 120 -> 150 BPM at beat 1; beat 5 then lies 4 beats of 150 BPM (4 * 19200 frames) later.
    h.act(
        Quantize::Beat(1.0),
        IntentKind::Tempo {
            bpm: 150.0,
            ramp_beats: 0.0,
        },
    );
    h.act(Quantize::Beat(5.0), IntentKind::Play { deck: 0 });
    render(&mut p, 6 * FPB, 333);
    let play = applied(&mut h, 3).map(|(frame, _)| frame);
    assert_eq!(play, Some((FPB + 4 * 19_200) as u64));
}

#[test]
fn ramped_tempo_lands_on_the_integrated_beat() {
    let (mut h, mut p) = engine();
    h.act(
        Quantize::Beat(0.0),
        IntentKind::Tempo {
            bpm: 180.0,
            ramp_beats: 10.0,
        },
    );
    h.act(Quantize::Beat(10.0), IntentKind::Pause { deck: 0 });
    render(&mut p, 12 * FPB, 512);
    let frame = applied(&mut h, 2);
    // Average tempo 150 BPM over 10 beats: 4 s = 192000 frames.
    let (f, b) = frame.expect("applied");
    assert!((f as i64 - 192_000).abs() <= 1, "{f}");
    assert!((b - 10.0).abs() < 1e-3);
}
