//! Analysis out over OSC: how far ahead of its timetag each analysis bundle arrives (the
//! timetag is the moment the audio it describes reaches the speaker), the jitter of that lead,
//! and how evenly the timetags are spaced, measured by a receiver of this bench on a running
//! JACK server while Phosphene plays a tone.
//!
//! ```text
//! export JACK_DEFAULT_SERVER=bench
//! jackd --no-realtime -d dummy -r 48000 -p 256 &
//! cargo run --example bench_osc_analysis -- --seconds 30 [--rate 60] [-- --ahead 0]
//! ```
//!
//! Prints one line of `key=value` figures; arguments after `--` go to `phosphene`.

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use phosphene_osc::wire::{self, Timing};

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

fn main() {
    let (mut seconds, mut rate, mut extra) = (30.0f64, 60.0f64, Vec::new());
    let mut phosphene = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("phosphene")))
        .unwrap_or_else(|| PathBuf::from("phosphene"));
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => seconds = it.next().and_then(|v| v.parse().ok()).unwrap_or(seconds),
            "--rate" => rate = it.next().and_then(|v| v.parse().ok()).unwrap_or(rate),
            "--phosphene" => phosphene = it.next().map(PathBuf::from).unwrap_or(phosphene),
            "--" => extra.extend(it.by_ref()),
            other => extra.push(other.to_string()),
        }
    }
    let dir = std::env::temp_dir().join(format!("phos-bench-analysis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // The demo set's tracks, playing from the start.
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    std::fs::write(
        dir.join("bench.set.ron"),
        format!(
            "SetFile(bpm: 124.0, launch: None, decks: [(track: (file: {:?}, bpm: 124.0))])",
            demo.join("nightglass.ogg")
        ),
    )
    .expect("write set");
    std::fs::write(
        dir.join("play.actions.ron"),
        "[(beat: 0.0, action: Deck(deck: 0, action: Play))]",
    )
    .expect("write actions");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let port = socket.local_addr().expect("addr").port();
    let mut app = Command::new(&phosphene)
        .arg(dir.join("bench.set.ron"))
        .args(["--headless", "--audio", "jack", "--no-record", "--actions"])
        .arg(dir.join("play.actions.ron"))
        .args(["--osc-out", &format!("127.0.0.1:{port}")])
        .args(["--osc-analysis-rate", &rate.to_string()])
        .args(&extra)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start phosphene (build it first)");
    let mut buf = vec![0u8; 65_536];
    let mut leads = Vec::new();
    let mut tags: Vec<f64> = Vec::new();
    let mut started: Option<Instant> = None;
    let mut messages = Vec::new();
    while started.is_none_or(|s| s.elapsed().as_secs_f64() < seconds) {
        let Ok(n) = socket.recv(&mut buf) else { continue };
        let arrival = SystemTime::now();
        messages.clear();
        if wire::decode(&buf[..n], &mut messages).is_err() {
            continue;
        }
        // One datagram per analysis bundle: find its master level.
        let Some(m) = messages.iter().find(|m| m.address == "/analysis/master/level") else {
            continue;
        };
        let Timing::At(tag) = m.timing else { continue };
        // The first seconds are start-up; measure the steady state.
        let s = *started.get_or_insert_with(Instant::now);
        if s.elapsed() < Duration::from_secs(2) {
            continue;
        }
        let lead = match tag.duration_since(arrival) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        };
        leads.push(lead * 1000.0);
        tags.push(
            tag.duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        );
    }
    let _ = Command::new("kill").args(["-TERM", &app.id().to_string()]).status();
    let _ = app.wait();
    let mut spacing: Vec<f64> = tags.windows(2).map(|w| (w[1] - w[0]) * 1000.0).collect();
    let backwards = spacing.iter().filter(|d| **d <= 0.0).count();
    let bundles = leads.len();
    println!(
        "rate={rate} bundles={bundles} lead_median_ms={:.2} lead_p1_ms={:.2} lead_p99_ms={:.2} lead_min_ms={:.2} \
         send_jitter_p1_p99_ms={:.2} spacing_median_ms={:.3} spacing_p1_ms={:.3} spacing_p99_ms={:.3} \
         timetags_not_increasing={backwards} extra_args={:?}",
        quantile(&mut leads, 0.5),
        quantile(&mut leads, 0.01),
        quantile(&mut leads, 0.99),
        quantile(&mut leads, 0.0),
        quantile(&mut leads, 0.99) - quantile(&mut leads, 0.01),
        quantile(&mut spacing, 0.5),
        quantile(&mut spacing, 0.01),
        quantile(&mut spacing, 0.99),
        extra.join(" "),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
