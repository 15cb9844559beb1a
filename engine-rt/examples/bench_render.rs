//! Offline render speed on one thread.
//!
//! `cargo run --release -p engine-rt --example bench_render -- --decks 4 [--keylock] --seconds 60`
//!
//! Prints `realtime_factor=<f>` (audio seconds rendered per wall second) as its last line, after
//! `block_factor p10=… p25=… p50=…`: the same speed from the fastest 10/25/50 % of blocks. With
//! `--keylock` every deck is key-locked at a 1.05 tempo ratio and, when the `rubberband` CLI is
//! installed, the same four stretches are timed with it (R2, offline) for comparison.

#[path = "support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Instant;

use engine_rt::{DeckParam, EngineConfig, FxKind, IntentKind as K, Quantize};
use support::{arg, flag, music};

const RATE: u32 = 48_000;
const RATIO: f64 = 1.05;

fn main() {
    let decks: usize = arg("--decks", 4);
    let seconds: f64 = arg("--seconds", 60.0);
    let keylock = flag("--keylock");
    let config = EngineConfig {
        decks,
        analysis: engine_rt::AnalysisMode::Off,
        ..EngineConfig::default()
    };
    let (mut h, mut p) = support::engine(config);
    // Source long enough for the whole render at the chosen rate.
    let track_seconds = seconds * if keylock { RATIO } else { 1.0 } + 1.0;
    let tracks: Vec<_> = (0..decks).map(|d| music(track_seconds, RATE, d as u32 + 1)).collect();
    for (d, t) in tracks.iter().enumerate() {
        h.act(
            Quantize::Now,
            K::Load {
                deck: d,
                track: h.share(t.clone()),
            },
        );
        if keylock {
            h.act(Quantize::Now, K::KeyLock { deck: d, on: true });
            h.act(
                Quantize::Now,
                K::Rate {
                    deck: d,
                    rate: RATIO,
                    ramp_beats: 0.0,
                },
            );
        }
        h.act(
            Quantize::Now,
            K::FxSlot {
                deck: d,
                slot: 0,
                fx: Some(FxKind::Echo { beats: 0.75 }),
            },
        );
        h.act(
            Quantize::Now,
            K::Deck {
                deck: d,
                param: DeckParam::FxAmount(0),
                value: 0.3,
                ramp_beats: 0.0,
            },
        );
        h.act(
            Quantize::Now,
            K::Deck {
                deck: d,
                param: DeckParam::Filter,
                value: -0.3,
                ramp_beats: 0.0,
            },
        );
        h.act(Quantize::Now, K::Play { deck: d });
    }
    let frames = (seconds * RATE as f64) as usize;
    let mut out = vec![0.0f32; 512 * 2];
    let mut block_seconds = Vec::with_capacity(frames / 512 + 1);
    let start = Instant::now();
    let mut done = 0;
    while done < frames {
        let t = Instant::now();
        p.process(&mut out, 2);
        block_seconds.push(t.elapsed().as_secs_f64());
        done += 512;
    }
    let wall = start.elapsed().as_secs_f64();
    println!("engine: decks={decks} keylock={keylock} audio_seconds={seconds} wall_seconds={wall:.3}");
    println!("{}", block_speed(&mut block_seconds));
    if keylock {
        compare_with_cli(&tracks, seconds, wall);
    }
    println!("realtime_factor={:.2}", seconds / wall);
}

/// Speed of the fastest blocks, as real-time factors at the 10th, 25th and 50th percentile of
/// block time. On a shared host whose speed comes and goes, the low percentiles show what the
/// code does when the core is not contended, so two builds compare more steadily on them.
fn block_speed(block_seconds: &mut [f64]) -> String {
    block_seconds.sort_by(f64::total_cmp);
    let factor = |q: f64| {
        let i = ((q * block_seconds.len() as f64) as usize).min(block_seconds.len().saturating_sub(1));
        block_seconds.get(i).map_or(0.0, |s| 512.0 / RATE as f64 / s)
    };
    format!(
        "block_factor p10={:.1} p25={:.1} p50={:.1}",
        factor(0.10),
        factor(0.25),
        factor(0.50)
    )
}

/// Times the `rubberband` CLI (R2) doing the same stretches, one after another.
fn compare_with_cli(tracks: &[engine_rt::Track], seconds: f64, engine_wall: f64) {
    let dir = std::env::temp_dir().join(format!("phos-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut inputs = Vec::new();
    for (i, t) in tracks.iter().enumerate() {
        // The engine consumed seconds * RATIO of source per deck; give the CLI the same.
        let n = (seconds * RATIO * RATE as f64) as usize;
        let samples: Vec<f32> = t.frames[..n.min(t.frames.len())].iter().flatten().copied().collect();
        let path = dir.join(format!("in{i}.wav"));
        if let Err(e) = engine_rt::backend::offline::write_wav(&path, &samples, RATE) {
            eprintln!("cannot write {}: {e}", path.display());
            return;
        }
        inputs.push(path);
    }
    let start = Instant::now();
    for (i, input) in inputs.iter().enumerate() {
        let out = dir.join(format!("out{i}.wav"));
        let status = Command::new("rubberband")
            .args(["-2", "-q", "--tempo", &RATIO.to_string()])
            .arg(input)
            .arg(&out)
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            println!("rubberband_cli: unavailable (install rubberband-cli to compare)");
            return;
        }
    }
    let cli = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "rubberband_cli_seconds={cli:.3} engine_over_cli={:.2}",
        engine_wall / cli
    );
}
