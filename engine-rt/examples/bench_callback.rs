//! Callback timing: how much of each 256-frame period (48 kHz) `process` uses with four
//! key-locked decks and effects running, over many blocks.
//!
//! `cargo run --release -p engine-rt --example bench_callback -- --blocks 100000`
//!
//! Blocks run back to back, or with `--paced` one per period as a real callback runs (add `--rt`
//! to give this callback thread real-time priority, as audio servers do). With
//! `--ahead FRAMES` a worker thread renders that far ahead and the callback only copies; the
//! worker's own block times and any underruns are printed too. Each callback is timed on its own. Prints percentiles as fractions of the 5.33 ms period;
//! the last line is machine-readable.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use engine_rt::backend::{CallbackStats, Feed, ahead};

use engine_rt::{DeckParam, EngineConfig, FxKind, IntentKind as K, Quantize};
use support::{arg, music};

const RATE: u32 = 48_000;
const BLOCK: usize = 256;

fn main() {
    let blocks: usize = arg("--blocks", 100_000);
    let decks: usize = arg("--decks", 4);
    let analysis = !support::flag("--no-analysis");
    let paced = support::flag("--paced");
    let ahead: usize = arg("--ahead", 0);
    let config = EngineConfig {
        decks,
        analysis: if analysis {
            engine_rt::AnalysisMode::Thread
        } else {
            engine_rt::AnalysisMode::Off
        },
        ..EngineConfig::default()
    };
    let (mut h, p) = support::engine(config);
    let seconds = blocks as f64 * BLOCK as f64 / RATE as f64;
    for d in 0..decks {
        // Loop an 8-beat phrase so arbitrarily long runs keep playing.
        let t = music(8.0, RATE, d as u32 + 1);
        h.act(
            Quantize::Now,
            K::Load {
                deck: d,
                track: h.share(t),
            },
        );
        h.act(Quantize::Now, K::KeyLock { deck: d, on: true });
        h.act(
            Quantize::Now,
            K::Rate {
                deck: d,
                rate: 1.0 + 0.02 * d as f64,
                ramp_beats: 0.0,
            },
        );
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
            K::FxSlot {
                deck: d,
                slot: 1,
                fx: Some(FxKind::Reverb),
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
                param: DeckParam::FxAmount(1),
                value: 0.2,
                ramp_beats: 0.0,
            },
        );
        h.act(Quantize::Now, K::Play { deck: d });
        h.act(Quantize::NextBar, K::BeatLoop { deck: d, beats: 8.0 });
    }
    let period = BLOCK as f64 / RATE as f64;
    // With --ahead the callback copies from a ring a worker thread renders into.
    let worker_stats = CallbackStats::new();
    let (mut feed, worker) = if ahead > 0 {
        let Ok((out, worker)) = ahead::start(p, 2, BLOCK, ahead, worker_stats.clone()) else {
            eprintln!("cannot start the render-ahead worker");
            std::process::exit(1);
        };
        if let Err(e) = worker.priority() {
            eprintln!("warning: {e}");
        }
        (Feed::Ahead(out), Some(worker))
    } else {
        (Feed::Direct(Box::new(p)), None)
    };
    // This thread plays the device callback: with --rt it gets the priority audio servers give
    // theirs (the engine's own analysis and janitor threads stay at normal priority).
    if support::flag("--rt")
        && let Err(e) = engine_rt::backend::promote_to_realtime(80)
    {
        eprintln!("warning: {e}");
    }
    let mut out = vec![0.0f32; BLOCK * 2];
    // The device's own timing is what `times` measures; this only takes the clock stamps.
    let device = CallbackStats::new();
    let mut times = Vec::with_capacity(blocks);
    let mut deadline = Instant::now();
    for i in 0..blocks {
        if paced {
            deadline += Duration::from_secs_f64(period);
            if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let t = Instant::now();
        feed.fill(&mut out, 2, &device, None);
        times.push(t.elapsed().as_secs_f64() / period);
        if i % 64 == 0 {
            while h.poll_event().is_some() {}
            while h.poll_analysis().is_some() {}
            h.collect();
        }
    }
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((p * times.len() as f64) as usize).min(times.len() - 1)];
    println!(
        "audio_seconds={seconds:.1} blocks={blocks} decks={decks} keylock=all fx=echo+reverb analysis={analysis} paced={paced} ahead={ahead}"
    );
    if let Some(w) = worker {
        println!(
            "worker: blocks={} p999_fraction={:.4} max_fraction={:.4} underruns={}",
            worker_stats.callbacks(),
            worker_stats.quantile_fraction(0.999),
            worker_stats.max_fraction(),
            w.underruns()
        );
    }
    println!(
        "p50_fraction={:.4} p99_fraction={:.4} p999_fraction={:.4} max_fraction={:.4}",
        q(0.5),
        q(0.99),
        q(0.999),
        times[times.len() - 1]
    );
}
