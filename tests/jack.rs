//! A live run through a real JACK server (dummy driver, started here) is recorded with
//! `jack_rec` and compared with the offline render of the same script: same samples.

mod common;
use common::jackd::{Jackd, recorded_so_far};
use common::live::{LiveProcess, wait_until};
use common::*;

/// Frames `jack_rec`'s ring holds between its JACK callback and its disk thread (2.7 s; a power
/// of two, as JACK's ring rounds its size up to one): the disk thread would have to stall that
/// long to lose samples.
const RECORDER_RING_FRAMES: u64 = 131_072;
/// Samples in one cycle of the server (256 frames, stereo).
const PERIOD_SAMPLES: u64 = 2 * 256;
/// Widest shift, in samples, at which a recording is searched for its place again after a gap
/// (one second of stereo at 48 kHz).
const MAX_SHIFT: i64 = 2 * 48_000;
/// `jack_rec` stops by itself after this many seconds: a guard only, the test stops it.
const RECORDER_GUARD_SECONDS: &str = "600";

/// Matches `rec` against `reference`, re-aligning after any gap a JACK xrun leaves. Returns
/// (samples compared, samples matching within `tol`, realignments).
fn compare(rec: &[f32], reference: &[f32], tol: f32) -> (usize, usize, usize) {
    let onset = |x: &[f32]| onset(x).expect("audible");
    let mut offset = onset(rec) as i64 - onset(reference) as i64;
    let (mut compared, mut matched, mut realigned) = (0, 0, 0);
    let mut i = onset(reference);
    while i < reference.len() {
        let j = i as i64 + offset;
        if j < 0 || j as usize >= rec.len() {
            break;
        }
        compared += 1;
        if (rec[j as usize] - reference[i]).abs() <= tol {
            matched += 1;
            i += 1;
            continue;
        }
        // Look for the offset at which the next 512 samples match again. A stall of the
        // starved host can drop many cycles at once (the dummy driver then reports one xrun),
        // so the search spans a second either way.
        let found = (-MAX_SHIFT..=MAX_SHIFT).step_by(2).find(|d| {
            (0..512).all(|k| {
                let (a, b) = (i + k, i as i64 + offset + d + k as i64);
                a < reference.len()
                    && b >= 0
                    && (b as usize) < rec.len()
                    && (rec[b as usize] - reference[a]).abs() <= tol
            })
        });
        match found {
            Some(d) if d != 0 => {
                offset += d;
                realigned += 1;
            }
            Some(_) => i += 1,
            // Nothing lines up here (a stale or missing block): count this cycle as damaged
            // and look again after it.
            None => {
                let skip = (PERIOD_SAMPLES as usize).min(reference.len() - i);
                compared += skip - 1;
                i += skip;
            }
        }
    }
    (compared, matched, realigned)
}

/// Index of the first clearly audible sample.
fn onset(x: &[f32]) -> Option<usize> {
    x.iter().position(|v| v.abs() > 0.05)
}

/// The value of `key=` in a report line.
fn field(text: &str, key: &str) -> u64 {
    text.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key}= in {text}"))
}

/// The two live runs take turns: each is a real-time load of its own, and on a two-core
/// machine running them at once only measures their contention.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn live_jack_output_matches_the_offline_render() {
    live_run_matches("0");
}

#[test]
fn render_ahead_output_matches_the_offline_render() {
    live_run_matches("1024");
}

/// Plays the session on JACK with `ahead` frames of render-ahead and compares what reached the
/// (dummy) sound card with the offline render.
fn live_run_matches(ahead: &str) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp_dir(&format!("jack-{ahead}"));
    let script = write_session(&dir);
    let reference_path = dir.join("offline.wav");
    let o = phosphene(&[
        "render",
        script.to_str().unwrap(),
        "--out",
        reference_path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (reference, _) = read_wav(&reference_path);

    let jack = Jackd::start(ahead);
    // The recorder listens to the monitor ports (a copy of what the sound card is sent) and is
    // capturing before phosphene starts: samples in its file prove it. Phosphene connects its
    // outputs to the sound card as its stream starts, well inside the script's silent first
    // second, so nothing audible it plays can be missed, however late anything starts.
    let rec_path = dir.join("live.wav");
    let mut recorder = LiveProcess::spawn(
        jack.cmd("jack_rec")
            .args([
                "-f",
                rec_path.to_str().unwrap(),
                "-b",
                "32",
                "-d",
                RECORDER_GUARD_SECONDS,
            ])
            .args(["-B", &RECORDER_RING_FRAMES.to_string()])
            .args(["system:monitor_1", "system:monitor_2"]),
    );
    wait_until("jack_rec records", || {
        recorder.assert_running();
        recorded_so_far(&rec_path, 2).filter(|s| !s.is_empty())
    });
    // Without --seconds, `play` ends once the engine has played the whole script.
    let play = LiveProcess::spawn(jack.cmd(env!("CARGO_BIN_EXE_phosphene")).args([
        "play",
        script.to_str().unwrap(),
        "--audio",
        "jack",
        "--ahead",
        ahead,
    ]));
    let out = play.finish();
    assert!(out.status.success(), "{}", out.stderr);
    let line = out.stdout.trim();
    assert!(line.contains("callbacks=") && line.contains("stream_errors="), "{line}");
    // Everything phosphene played is in jack_rec's ring or file now; once the file has grown by
    // a whole ring more, all of it is on disk.
    let size = || std::fs::metadata(&rec_path).map_or(0, |m| m.len());
    let flushed = size() + RECORDER_RING_FRAMES * 2 * 4;
    wait_until("jack_rec has written everything phosphene played", || {
        recorder.assert_running();
        (size() >= flushed).then_some(())
    });
    let live = recorded_so_far(&rec_path, 2).expect("jack_rec's recording");
    recorder.signal("TERM");
    drop(recorder.finish());

    // jack_rec stores 32-bit integers: 2^-31 resolution.
    let (compared, matched, realigned) = compare(&live, &reference, 1e-6);
    eprintln!("ahead {ahead}: compared {compared} samples, {matched} equal, {realigned} realignments; {line}");
    assert!(
        compared > reference.len() * 8 / 10,
        "the recording covers the set: {compared}"
    );
    // Damage in the recording is a real-world effect, not a race in the code under test: when a
    // busy host starves JACK's clients, a cycle is lost (an xrun) and the card gets a stale or
    // missing block from the player, or the recorder misses one; a render-ahead worker that
    // falls behind (an underrun) leaves a short gap too. The player counts each (`stream_errors`
    // on stdout, `underruns` on stderr), and one xrun can cost both the player and the recorder
    // a cycle. So the comparison may step over that many damaged cycles, each costing at most a
    // period of unequal samples, and no more: on a quiet host every sample is equal.
    let xruns = field(line, "stream_errors");
    let underruns = if ahead == "0" {
        0
    } else {
        field(&out.stderr, "underruns")
    };
    let damaged = 2 * xruns + underruns;
    assert!(
        realigned as u64 <= damaged,
        "{realigned} gaps, but only {xruns} xruns and {underruns} underruns reported"
    );
    assert!(
        (compared - matched) as u64 <= damaged * PERIOD_SAMPLES,
        "{matched} of {compared} samples equal, but only {xruns} xruns and {underruns} underruns reported"
    );
}
