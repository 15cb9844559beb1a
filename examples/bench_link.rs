//! Phosphene against Ableton's LinkHut in one Link session and one JACK graph: how far
//! Phosphene's beat (a click track on a synced deck) lands from LinkHut's click, side by side
//! with a second LinkHut against the first in the same run, while tempo changes are made on
//! either side. Makes its own network namespace (Link never reaches the host network; needs
//! root) and its own `jackd -d dummy`.
//!
//! ```text
//! cargo build --release && cargo run --release --example bench_link [-- --seconds S] [--stall-ms MS]
//! ```
//!
//! With `--stall-ms`, Phosphene is stopped (SIGSTOP) that long half-way through, its callbacks
//! stalled and its blocks dropped, and the clicks from then on are printed with their offsets.
//! Prints the figures, then as its last line
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

use common::link_rig::{compare_with_linkhut, percentile_abs};
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
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next().and_then(|v| v.parse::<f64>().ok())) {
            ("--seconds", Some(s)) if s >= 10.0 => seconds = s,
            ("--stall-ms", Some(ms)) if (1.0..=1000.0).contains(&ms) => {
                stall = Some(std::time::Duration::from_secs_f64(ms / 1e3));
            }
            _ => {
                eprintln!("usage: bench_link [--seconds S (at least 10)] [--stall-ms MS (1 to 1000)]");
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
    let mut run = compare_with_linkhut(&ns, &dir, seconds, 1, stall);
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
