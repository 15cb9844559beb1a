//! The analysis thread publishes stamped frames for the master, every deck and live input.

mod common;
use common::*;

use std::time::{Duration, Instant};

use engine_rt::{AnalysisFrame, DeckParam, EngineHandle, IntentKind as K, Quantize, Source};

/// Collects the analysis thread's frames until `enough` holds, however long the thread takes;
/// the bound is reached only if it is broken.
fn collect(h: &mut EngineHandle, mut enough: impl FnMut(&[AnalysisFrame]) -> bool) -> Vec<AnalysisFrame> {
    let mut frames = Vec::new();
    let start = Instant::now();
    loop {
        while let Some(f) = h.poll_analysis() {
            frames.push(f);
        }
        if enough(&frames) {
            return frames;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the analysis thread published only {} frames",
            frames.len()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Master frames already collected.
fn frames_before(frames: &[AnalysisFrame]) -> usize {
    frames.iter().filter(|f| f.source == Source::Master).count()
}

#[test]
fn master_and_decks_are_analysed_with_sample_times_and_beats() {
    let (mut h, mut p) = engine_with(|c| c.analysis = engine_rt::AnalysisMode::Thread);
    let bass = h.share(sine(2 * SR as usize, 80.0, 0.5));
    let hats = h.share(noise(2 * SR as usize, 0.3));
    h.act(Quantize::Now, K::Load { deck: 0, track: bass });
    h.act(Quantize::Now, K::Load { deck: 1, track: hats });
    h.act(
        Quantize::Now,
        K::Deck {
            deck: 1,
            param: DeckParam::Filter,
            value: 0.8,
            ramp_beats: 0.0,
        },
    );
    h.act(Quantize::Now, K::Play { deck: 0 });
    h.act(Quantize::Now, K::Play { deck: 1 });
    // Offline rendering outruns real time and the tap is bounded (it drops and counts when the
    // analysis thread falls behind), so feed it in steps and let the thread catch up after
    // each: then nothing is dropped, however the thread is scheduled.
    let mut frames = Vec::new();
    for step in 1..=20 {
        render(&mut p, SR as usize / 20, 256);
        let want = step * SR as usize / 20 / 512 - 4;
        frames.extend(collect(&mut h, |f| {
            f.iter().filter(|f| f.source == Source::Master).count() >= want.saturating_sub(frames_before(&frames))
        }));
    }
    assert_eq!(
        h.stats().analysis_dropped.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "nothing dropped"
    );
    let of = |s: Source| frames.iter().filter(move |f| f.source == s);
    assert!(of(Source::Master).count() >= 80, "about 94 frames a second");
    let d0 = of(Source::Deck(0)).next_back().expect("deck 0 frames");
    let d1 = of(Source::Deck(1)).next_back().expect("deck 1 frames");
    assert!(
        d0.bass > 0.8 && d0.bass > d0.high + 0.3,
        "bass deck: {} / {}",
        d0.bass,
        d0.high
    );
    assert!(d1.high > d1.bass + 0.2, "high-passed noise: {} / {}", d1.high, d1.bass);
    assert!(of(Source::Deck(2)).all(|f| f.rms == 0.0), "silent deck");
    let mut last = 0;
    for f in of(Source::Master) {
        assert!(f.sample_time > last || last == 0, "stamps increase");
        last = f.sample_time;
        // 120 BPM at 48 kHz: a beat every 24000 frames.
        assert!(
            (f.beat - f.sample_time as f64 / 24_000.0).abs() < 1e-6,
            "{} at {}",
            f.beat,
            f.sample_time
        );
        assert!((f.beat_phase as f64 - f.beat.rem_euclid(1.0)).abs() < 1e-4);
    }
    let m = of(Source::Master).next_back().unwrap();
    assert!(m.spectrum.iter().any(|&v| v > 0.01) && m.waveform.iter().any(|&v| v.abs() > 0.01));
}

#[test]
fn live_input_is_analysed_with_pitch() {
    let (mut h, _p) = engine_with(|c| c.analysis = engine_rt::AnalysisMode::Thread);
    let mut tap = h.input_tap(512).expect("analysis on");
    // What a capture callback does: blocks of mono samples stamped with the capture clock.
    let mut frame = 0u64;
    for _ in 0..100 {
        tap.begin(frame, 0.0, 0.0);
        for _ in 0..480 {
            let t = frame as f64 / SR as f64;
            tap.channel(0, (0.4 * (std::f64::consts::TAU * 196.0 * t).sin()) as f32);
            tap.next_frame();
            frame += 1;
        }
        tap.flush();
    }
    let frames = collect(&mut h, |f| f.iter().filter(|f| f.source == Source::Input).count() >= 50);
    let input: Vec<_> = frames.iter().filter(|f| f.source == Source::Input).collect();
    assert!(input.len() >= 50);
    let p = input.last().unwrap().pitch.expect("tonal input has a pitch");
    assert!((p.hz - 196.0).abs() < 1.0, "{}", p.hz);
    assert_eq!(p.name(), "G3");
}
