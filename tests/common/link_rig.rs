//! Ableton Link against real peers: Debian's `LinkHut` (a JACK client that clicks on the
//! session's beats), Phosphene playing a click track on a synced deck, and what they play
//! recorded from their JACK ports with `jack_rec`, their onsets compared. Shared by
//! `tests/link.rs` and `examples/bench_link.rs`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// LinkHut's status line, as it last printed it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HutStatus {
    pub enabled: bool,
    pub peers: u32,
    pub playing: bool,
    pub tempo: f64,
}

/// A running LinkHut, steered by its keys; killed on drop.
pub struct LinkHut {
    child: Child,
    keys: ChildStdin,
    last: Arc<Mutex<String>>,
}

/// LinkHut reads its keys in a thread and its audio thread applies them a buffer later: keys
/// closer together than a buffer count once. This spacing is LinkHut's, not a wait for a result.
const KEY_SPACING: Duration = Duration::from_millis(25);

impl LinkHut {
    /// Starts LinkHut in `cmd` (a command in the Link namespace naming the JACK server). Its
    /// keys come from a pipe held open (at end of input it would spin).
    pub fn start(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("LinkHut must be installed (the test command installs ableton-link-utils)");
        let keys = child.stdin.take().expect("piped stdin");
        let mut out = child.stdout.take().expect("piped stdout");
        let last = Arc::new(Mutex::new(String::new()));
        let seen = last.clone();
        // It redraws one status line with '\r' every 10 ms: keep the last whole one.
        std::thread::spawn(move || {
            let (mut buf, mut line) = ([0u8; 4096], String::new());
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                for &b in &buf[..n] {
                    if b == b'\r' || b == b'\n' {
                        if line.contains('|') {
                            *seen.lock().unwrap_or_else(|e| e.into_inner()) = std::mem::take(&mut line);
                        }
                        line.clear();
                    } else {
                        line.push(b as char);
                    }
                }
            }
        });
        Self { child, keys, last }
    }

    /// Presses `key` (`a` Link on/off, ` ` play/stop, `w`/`e` tempo -1/+1, `s` start/stop sync).
    pub fn press(&mut self, key: char) {
        let _ = write!(self.keys, "{key}");
        let _ = self.keys.flush();
        std::thread::sleep(KEY_SPACING);
    }

    /// Its last status line read: `enabled | peers | quantum | sync | tempo | beats | metro`.
    pub fn status(&self) -> HutStatus {
        let line = self.last.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        HutStatus {
            enabled: cols.first().is_some_and(|c| *c == "yes"),
            peers: cols.get(1).and_then(|c| c.parse().ok()).unwrap_or(0),
            playing: cols.get(3).is_some_and(|c| c.contains("[playing]")),
            tempo: cols.get(4).and_then(|c| c.parse().ok()).unwrap_or(0.0),
        }
    }
}

impl Drop for LinkHut {
    fn drop(&mut self) {
        // `q` leaves the session cleanly (it says goodbye to the peers); the kill is for one that
        // no longer reads its keys, after a bound only a stuck LinkHut reaches.
        let _ = self.keys.write_all(b"q");
        let _ = self.keys.flush();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A click track: a 20 ms 1 kHz burst starting at full height on every beat at `bpm`, the first
/// half a beat in (so a deck started there fades in over silence), for `seconds`.
pub fn write_click_track(path: &Path, bpm: f64, seconds: f64) {
    let rate = 48_000.0;
    let beat = 60.0 / bpm;
    super::wav::write_wav(path, (seconds * rate) as usize, |i| {
        let t = i as f64 / rate - beat / 2.0;
        let since = t - (t / beat).floor() * beat;
        let v = if t >= 0.0 && since < 0.02 {
            (0.8 * (2.0 * std::f64::consts::PI * 1000.0 * since).cos() * (1.0 - since / 0.02)) as f32
        } else {
            0.0
        };
        (v, v)
    });
}

/// Onset times (seconds) of the clicks in one channel: the first sample above a third of the
/// channel's peak after at least 150 ms below it (LinkHut's bursts last 100 ms).
pub fn onsets(x: &[f32], rate: f64) -> Vec<f64> {
    let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if peak == 0.0 {
        return Vec::new();
    }
    let threshold = peak / 3.0;
    let quiet = (0.15 * rate) as usize;
    let mut out = Vec::new();
    let mut last_loud: Option<usize> = None;
    for (i, v) in x.iter().enumerate() {
        if v.abs() < threshold {
            continue;
        }
        if last_loud.is_none_or(|l| i - l > quiet) {
            out.push(i as f64 / rate);
        }
        last_loud = Some(i);
    }
    out
}

/// For every onset of `a`, its distance in milliseconds to the nearest onset of `b` within
/// 50 ms (onsets with none are left out: the other was not playing yet).
pub fn offsets_ms(a: &[f64], b: &[f64]) -> Vec<f64> {
    timed_offsets_ms(a, b).into_iter().map(|(_, d)| d).collect()
}

/// [`offsets_ms`], each with the time of `a`'s onset (seconds).
pub fn timed_offsets_ms(a: &[f64], b: &[f64]) -> Vec<(f64, f64)> {
    a.iter()
        .filter_map(|&t| {
            let i = b.partition_point(|&u| u < t);
            [i.checked_sub(1), Some(i)]
                .into_iter()
                .flatten()
                .filter_map(|j| b.get(j))
                .map(|&u| (t - u) * 1e3)
                .min_by(|x, y| x.abs().total_cmp(&y.abs()))
                .map(|d| (t, d))
        })
        .filter(|(_, d)| d.abs() < 50.0)
        .collect()
}

/// The `p`-th percentile (0..=100) of the absolute values.
pub fn percentile_abs(v: &[f64], p: f64) -> f64 {
    let mut a: Vec<f64> = v.iter().map(|x| x.abs()).collect();
    a.sort_by(f64::total_cmp);
    if a.is_empty() {
        return f64::NAN;
    }
    a[((p / 100.0) * (a.len() - 1) as f64).round() as usize]
}

/// The first output port of each Phosphene's JACK client (cpal names them
/// `cpal_client_<pid>_out`).
pub fn phosphene_ports(jack: &super::jackd::Jackd) -> Vec<String> {
    let Ok(out) = jack.cmd("jack_lsp").output() else {
        return Vec::new();
    };
    let mut ports: Vec<String> = Vec::new();
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let client = l.split(':').next().unwrap_or_default();
        if client.starts_with("cpal_client_")
            && client.ends_with("_out")
            && !ports.iter().any(|p| p.starts_with(&format!("{client}:")))
        {
            ports.push(l.to_string());
        }
    }
    ports
}

/// Whether a JACK port exists.
pub fn has_port(jack: &super::jackd::Jackd, port: &str) -> bool {
    jack.cmd("jack_lsp")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l == port))
}

/// What a comparison run plays.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Length of the recording.
    pub seconds: f64,
    /// Phosphenes in the session.
    pub instances: usize,
    /// Each Phosphene is stopped (SIGSTOP) this long half-way through.
    pub stall: Option<Duration>,
    /// With start/stop sync on everywhere: the first LinkHut stops and starts the session at
    /// 0.40 and 0.45 of the run, and Phosphene's synced deck pauses and starts again (on a bar
    /// line) six and ten seconds after its tempo ramp, stopping and starting the session.
    pub start_stop: bool,
}

/// A tempo change made during a run.
#[derive(Debug, Clone, Copy)]
pub struct TempoChange {
    /// Who made it.
    pub by: &'static str,
    /// Seconds into the recording (from the recorder's start, which may lag a little).
    pub at: f64,
}

/// One stop and start of the session, as heard: a gap in the first LinkHut's clicks.
#[derive(Debug, Clone)]
pub struct Restart {
    /// The first LinkHut's last click before the gap and first after it (seconds).
    pub gap: (f64, f64),
    /// For the second LinkHut, then each Phosphene: its first click after the gap minus the
    /// first LinkHut's (ms), `None` if not within 50 ms (it started a bar off, or not at all).
    pub first_click_ms: Vec<Option<f64>>,
    /// For the same: clicks heard inside the gap (it went on playing after the stop).
    pub clicks_in_gap: Vec<usize>,
}

/// What one comparison run measured.
pub struct Comparison {
    /// Each Phosphene's click onsets minus LinkHut's (ms).
    pub phosphenes: Vec<Vec<f64>>,
    /// The second LinkHut's onsets minus the first's, in the same run (ms).
    pub reference: Vec<f64>,
    /// The same offsets with the time of each onset (seconds): the second LinkHut's, then
    /// each Phosphene's.
    pub timed: Vec<Vec<(f64, f64)>>,
    /// With a stall: for each Phosphene, the first LinkHut's clicks from the stall on, each
    /// with Phosphene's onset's offset from it (ms), `None` where Phosphene's was not heard
    /// within 50 ms.
    pub after_stall: Vec<Vec<Option<f64>>>,
    /// The Phosphenes' stderr (their `link:` lines).
    pub log: String,
    /// The tempo changes made.
    pub tempo_changes: Vec<TempoChange>,
    /// With start/stop: each stop and start of the session.
    pub restarts: Vec<Restart>,
}

/// Each gap of more than 1.5 s in `clicks` (the session stopped) as (last before, first after).
pub fn gaps(clicks: &[f64]) -> Vec<(f64, f64)> {
    clicks
        .windows(2)
        .filter(|w| w[1] - w[0] > 1.5)
        .map(|w| (w[0], w[1]))
        .collect()
}

/// How another player's `clicks` went through the gap `(a, b)` of the reference's: its first
/// click after the gap against the reference's (ms, within 50 ms), and its clicks inside it.
pub fn through_gap(clicks: &[f64], (a, b): (f64, f64)) -> (Option<f64>, usize) {
    // Clicks of the same beat as the reference's lie within milliseconds of them.
    let inside = clicks.iter().filter(|&&t| t > a + 0.05 && t < b - 0.05).count();
    let first = clicks
        .iter()
        .find(|&&t| t > b - 0.05)
        .map(|&t| (t - b) * 1e3)
        .filter(|d| d.abs() < 50.0);
    (first, inside)
}

/// Two LinkHuts and `instances` Phosphenes in one Link session and one JACK graph (a `jackd -d
/// dummy` of its own), recorded from their ports for `seconds` with `jack_rec`, while tempo
/// changes are made on either side: a LinkHut's tempo keys a third of the way in, Phosphene's
/// own tempo change (a ramp, published as steps) at two thirds, the other LinkHut's at five
/// sixths. With `stall`, each Phosphene is stopped (SIGSTOP) for that long half-way through:
/// its callbacks stall, JACK drops its blocks, and it must find the session's beat again.
pub fn compare_with_linkhut(ns: &super::netns::Netns, dir: &Path, scenario: Scenario) -> Comparison {
    let Scenario {
        seconds,
        instances,
        stall,
        start_stop,
    } = scenario;
    use super::jackd::{Jackd, recorded_so_far};
    use super::live::{LiveProcess, wait_until};
    let jack = Jackd::start("link");
    let hut = || {
        let mut c = ns.cmd("LinkHut");
        c.env("JACK_DEFAULT_SERVER", jack.name());
        c
    };
    // Started one after the other: JACK names the second `LinkHut-01`.
    let mut a = LinkHut::start(hut());
    wait_until("the first LinkHut's port", || {
        has_port(&jack, "LinkHut:out_1").then_some(())
    });
    let mut b = LinkHut::start(hut());
    wait_until("the second LinkHut's port", || {
        has_port(&jack, "LinkHut-01:out_1").then_some(())
    });
    for h in [&mut a, &mut b] {
        h.press('a');
        h.press('s');
    }
    wait_until("the LinkHuts see each other", || {
        (a.status().peers == 1 && b.status().peers == 1).then_some(())
    });
    a.press(' ');
    wait_until("both LinkHuts play", || {
        (a.status().playing && b.status().playing).then_some(())
    });

    let click = dir.join("click.wav");
    // Long enough at the fastest tempo the run reaches.
    write_click_track(&click, 120.0, seconds * 1.5 + 20.0);
    let ramp_at = (seconds * 2.0 * 2.0 / 3.0 / 4.0).round() * 4.0;
    // Six and ten seconds after the ramp (at about 120 BPM), the second on a bar line.
    let restart = if start_stop {
        format!(
            "(beat: {}, action: Pause(deck: 0)),\n(beat: {}, action: Play(deck: 0)),\n",
            ramp_at + 12.0,
            ramp_at + 20.0
        )
    } else {
        String::new()
    };
    let script = dir.join("link.session.ron");
    std::fs::write(
        &script,
        format!(
            "Session(bpm: 120.0, quantum: 4.0, decks: 1, length_beats: 100000.0,\n\
             tracks: [(file: \"click.wav\", deck: 0, bpm: 120.0, first_beat: 0.25)],\n\
             events: [\n\
               (beat: 0.5, action: Sync(deck: 0, on: true)),\n\
               (beat: 0.5, action: Play(deck: 0)),\n\
               (beat: {ramp_at}, action: Tempo(bpm: 117.0, ramp_beats: 8.0)),\n\
               {restart}\
             ])\n"
        ),
    )
    .expect("write the script");
    // One after the other, each joining the session the others are in.
    let mut plays = Vec::new();
    for i in 0..instances {
        let mut play = LiveProcess::spawn(
            ns.cmd(phosphene_exe())
                .env("JACK_DEFAULT_SERVER", jack.name())
                .arg("play")
                .arg(&script)
                .args(["--audio", "jack", "--link"])
                .args(start_stop.then_some("--link-start-stop")),
        );
        // Discovery finds the peers one by one: wait until it has seen them all.
        let all = 2 + i;
        play.wait_for("phosphene joins the session", |s| {
            s.lines()
                .filter(|l| l.starts_with("link:"))
                .filter_map(|l| l.split_whitespace().find_map(|kv| kv.strip_prefix("peers=")))
                .any(|n| n.trim_end_matches(',').parse::<usize>().is_ok_and(|n| n >= all))
        });
        plays.push(play);
    }
    let ports = wait_until("the Phosphenes' JACK ports", || {
        let p = phosphene_ports(&jack);
        (p.len() == instances).then_some(p)
    });
    let rec = dir.join("link.wav");
    let recorder = LiveProcess::spawn(
        jack.cmd("jack_rec")
            .arg("-f")
            .arg(&rec)
            .args(["-b", "32", "-d", &format!("{seconds}")])
            .args(["LinkHut:out_1", "LinkHut-01:out_1"])
            .args(&ports),
    );
    let started = std::time::Instant::now();
    let at = |fraction: f64| {
        let when = Duration::from_secs_f64(seconds * fraction);
        std::thread::sleep(when.saturating_sub(started.elapsed()));
    };
    let mut tempo_changes = Vec::new();
    at(1.0 / 3.0);
    tempo_changes.push(TempoChange {
        by: "linkhut",
        at: started.elapsed().as_secs_f64(),
    });
    for _ in 0..4 {
        a.press('e');
    }
    if start_stop {
        at(0.40);
        a.press(' ');
        at(0.45);
        a.press(' ');
    }
    at(1.0 / 2.0);
    // Seconds into the recording (which started as the recorder did, or a little after) the
    // stall began.
    let stalled_at = stall.map(|d| {
        let from = started.elapsed().as_secs_f64();
        for p in &plays {
            p.signal("STOP");
        }
        std::thread::sleep(d);
        for p in &plays {
            p.signal("CONT");
        }
        from
    });
    // Phosphene's ramp, at its beat `ramp_at`: about two thirds in.
    tempo_changes.push(TempoChange {
        by: "phosphene",
        at: ramp_at * 0.5,
    });
    at(5.0 / 6.0);
    tempo_changes.push(TempoChange {
        by: "linkhut",
        at: started.elapsed().as_secs_f64(),
    });
    for _ in 0..3 {
        b.press('w');
    }
    let _ = recorder.finish();
    let mut log = String::new();
    for play in plays {
        play.signal("INT");
        log.push_str(&play.finish().stderr);
    }
    let channels = 2 + instances;
    let x = recorded_so_far(&rec, channels).expect("jack_rec's recording");
    let onsets_of = |c: usize| {
        onsets(
            &x.iter().skip(c).step_by(channels).copied().collect::<Vec<_>>(),
            48_000.0,
        )
    };
    let hut_a = onsets_of(0);
    let after_stall = match stalled_at {
        Some(from) => (0..instances)
            .map(|i| {
                let ours = onsets_of(2 + i);
                hut_a
                    .iter()
                    // From a click before it: where the recording began is known to a little.
                    .filter(|&&t| t >= from - 0.25)
                    .map(|&t| offsets_ms(&[t], &ours).first().map(|d| -d))
                    .collect()
            })
            .collect(),
        None => Vec::new(),
    };
    let restarts = gaps(&hut_a)
        .into_iter()
        .map(|gap| {
            let (first_click_ms, clicks_in_gap) = (1..channels).map(|c| through_gap(&onsets_of(c), gap)).unzip();
            Restart {
                gap,
                first_click_ms,
                clicks_in_gap,
            }
        })
        .collect();
    let timed: Vec<Vec<(f64, f64)>> = (1..channels).map(|c| timed_offsets_ms(&onsets_of(c), &hut_a)).collect();
    let offsets = |v: &Vec<(f64, f64)>| v.iter().map(|&(_, d)| d).collect();
    Comparison {
        phosphenes: timed[1..].iter().map(offsets).collect(),
        reference: offsets(&timed[0]),
        timed,
        after_stall,
        log,
        tempo_changes,
        restarts,
    }
}

/// The `phosphene` binary next to the running test or example.
fn phosphene_exe() -> std::path::PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|e| {
            let dir = e.parent()?;
            // tests and examples live one folder below the binaries (deps/, examples/).
            [dir.join("phosphene"), dir.parent()?.join("phosphene")]
                .into_iter()
                .find(|p| p.exists())
        })
        .unwrap_or_else(|| "phosphene".into())
}
