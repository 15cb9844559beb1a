//! Phosphene against Ableton's LinkHut in one Link session and one JACK graph: how far
//! Phosphene's beat (a click track on a synced deck) lands from LinkHut's click, side by side
//! with a second LinkHut against the first in the same run, while tempo changes are made on
//! either side. Makes its own network namespace (Link never reaches the host network; needs
//! root) and its own `jackd -d dummy`.
//!
//! ```text
//! cargo build --release && cargo run --release --example bench_link [-- --seconds S] [--stall-ms MS] [--start-stop]
//! ```
//!
//! With `--stall-ms`, Phosphene is stopped (SIGSTOP) that long half-way through, its callbacks
//! stalled and its blocks dropped, and the clicks from then on are printed with their offsets.
//! With `--start-stop`, start/stop sync is on everywhere: a LinkHut stops and starts the session,
//! then Phosphene does (see `Scenario::start_stop`), and each restart's first clicks are compared.
//! Each tempo change's clicks are printed too: how a change made on one side is followed on the
//! other. Prints the figures, then as its last line
//! `onset_p50_ms=<f> onset_p99_ms=<f> onset_max_ms=<f> reference_p99_ms=<f>`.

#[path = "../tests/common"]
#[allow(dead_code, reason = "the test helpers, of which the bench uses some")]
mod common {
    pub mod jackd;
    pub mod link_rig;
    pub mod live;
    pub mod netns;
    pub mod wav;
}

use common::link_rig::{Scenario, compare_with_linkhut, percentile_abs};
use common::netns::Netns;

/// `cargo run --example` builds the example, not the app it plays against: builds that in the
/// same profile, so the bench never measures a stale binary.
fn build_phosphene() {
    let Some(cargo) = std::env::var_os("CARGO") else { return };
    let release = std::env::current_exe().is_ok_and(|e| e.components().any(|c| c.as_os_str() == "release"));
    let mut cmd = std::process::Command::new(cargo);
    cmd.args(["build", "--bin", "phosphene"]);
    if release {
        cmd.arg("--release");
    }
    if !cmd.status().is_ok_and(|s| s.success()) {
        eprintln!("bench_link: cannot build phosphene");
        std::process::exit(1);
    }
}

fn main() {
    let mut seconds = 150.0;
    let mut stall = None;
    let mut start_stop = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--start-stop" {
            start_stop = true;
            continue;
        }
        match (a.as_str(), args.next().and_then(|v| v.parse::<f64>().ok())) {
            ("--seconds", Some(s)) if s >= 10.0 => seconds = s,
            ("--stall-ms", Some(ms)) if (1.0..=1000.0).contains(&ms) => {
                stall = Some(std::time::Duration::from_secs_f64(ms / 1e3));
            }
            _ => {
                eprintln!(
                    "usage: bench_link [--seconds S (at least 10; 60 with --start-stop)] \
                     [--stall-ms MS (1 to 1000)] [--start-stop]"
                );
                std::process::exit(2);
            }
        }
    }
    build_phosphene();
    let ns = Netns::new("bench-link").unwrap_or_else(|e| {
        eprintln!("bench_link: no network namespace for Link ({e}); run it as root");
        std::process::exit(1);
    });
    let dir = std::env::temp_dir().join(format!("phos-bench-link-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    if start_stop && seconds < 60.0 {
        eprintln!("bench_link: --start-stop needs --seconds 60 or more (Phosphene's restart comes after its ramp)");
        std::process::exit(2);
    }
    let mut run = compare_with_linkhut(
        &ns,
        &dir,
        Scenario {
            seconds,
            instances: 1,
            stall,
            start_stop,
        },
    );
    let phosphene = run.phosphenes.remove(0);
    let _ = std::fs::remove_dir_all(&dir);
    let line = |name: &str, v: &[f64]| {
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        println!(
            "{name}: onsets={} mean={mean:.3} p50={:.3} p99={:.3} max={:.3} (ms, |offset| but the mean)",
            v.len(),
            percentile_abs(v, 50.0),
            percentile_abs(v, 99.0),
            percentile_abs(v, 100.0)
        );
    };
    line("phosphene-vs-linkhut", &phosphene);
    line("linkhut-vs-linkhut", &run.reference);
    if let (Some(d), Some(after)) = (stall, run.after_stall.first()) {
        let shown: Vec<String> = after
            .iter()
            .map(|o| o.map_or("lost".into(), |ms| format!("{ms:.3}")))
            .collect();
        println!(
            "after a {:.0} ms stall, LinkHut's clicks from then on, Phosphene's offset (ms): {}",
            d.as_secs_f64() * 1e3,
            shown.join(" ")
        );
    }
    // Each tempo change: the clicks of the next seconds (Phosphene's ramp is placed by its beat,
    // so its window is wider).
    for change in &run.tempo_changes {
        let (from, to) = match change.by {
            "phosphene" => (change.at - 3.0, change.at + 7.0),
            _ => (change.at, change.at + 3.0),
        };
        let near = |offsets: &[(f64, f64)]| -> Vec<f64> {
            offsets
                .iter()
                .filter(|(t, _)| (from..to).contains(t))
                .map(|&(_, d)| d)
                .collect()
        };
        let ours = near(&run.timed[1]);
        let theirs = near(&run.timed[0]);
        println!(
            "tempo change by {} at {:.1} s: phosphene max {:.3} ms over {} clicks, linkhut-vs-linkhut max {:.3} ms over {}",
            change.by,
            change.at,
            percentile_abs(&ours, 100.0),
            ours.len(),
            percentile_abs(&theirs, 100.0),
            theirs.len()
        );
    }
    for r in &run.restarts {
        let by = if r.gap.0 < seconds / 2.0 {
            "linkhut"
        } else {
            "phosphene"
        };
        let ms = |o: Option<f64>| o.map_or("none within 50 ms".into(), |d| format!("{d:+.3} ms"));
        // The clicks after the first (a deck's first one comes through its declick fade-in).
        let next = |timed: &[(f64, f64)]| {
            let v: Vec<f64> = timed
                .iter()
                .filter(|(t, _)| *t > r.gap.1 + 0.1 && *t < r.gap.1 + 2.5)
                .map(|&(_, d)| d)
                .collect();
            format!("{:.3} ms over {}", percentile_abs(&v, 100.0), v.len())
        };
        println!(
            "stop and start by {by} ({:.1}-{:.1} s): first click after it, linkhut {}, phosphene {}; \
             the next clicks' max, linkhut {}, phosphene {}; clicks in the stop, linkhut {}, phosphene {}",
            r.gap.0,
            r.gap.1,
            ms(r.first_click_ms[0]),
            ms(r.first_click_ms[1]),
            next(&run.timed[0]),
            next(&run.timed[1]),
            r.clicks_in_gap[0],
            r.clicks_in_gap[1]
        );
    }
    // Clicks more than a millisecond off, and when: under load, how often the beat strays and
    // whether the reference strays at the same moments.
    let strays =
        |timed: &[(f64, f64)]| -> Vec<(f64, f64)> { timed.iter().copied().filter(|(_, d)| d.abs() > 1.0).collect() };
    let (ours, theirs) = (strays(&run.timed[1]), strays(&run.timed[0]));
    let shown = |v: &[(f64, f64)]| -> String {
        let list: Vec<String> = v.iter().take(30).map(|(t, d)| format!("{t:.1}s:{d:+.2}")).collect();
        list.join(" ")
    };
    println!(
        "clicks off by more than 1 ms: phosphene {} of {} [{}], linkhut-vs-linkhut {} of {} [{}]",
        ours.len(),
        run.timed[1].len(),
        shown(&ours),
        theirs.len(),
        run.timed[0].len(),
        shown(&theirs)
    );
    for l in run.log.lines().filter(|l| l.starts_with("link:")) {
        println!("  {l}");
    }
    if phosphene.len() < 10 {
        eprintln!(
            "bench_link: too few of Phosphene's clicks were heard; its log:\n{}",
            run.log
        );
        std::process::exit(1);
    }
    println!(
        "onset_p50_ms={:.3} onset_p99_ms={:.3} onset_max_ms={:.3} reference_p99_ms={:.3}",
        percentile_abs(&phosphene, 50.0),
        percentile_abs(&phosphene, 99.0),
        percentile_abs(&phosphene, 100.0),
        percentile_abs(&run.reference, 99.0)
    );
}
