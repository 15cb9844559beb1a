//! The headless command line as a user runs it.

mod common;
use common::*;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn render_is_deterministic_and_audible() {
    let dir = temp_dir("render");
    let script = write_session(&dir);
    let (a, b) = (dir.join("a.wav"), dir.join("b.wav"));
    for out in [&a, &b] {
        let o = phosphene(&["render", script.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(x == y, "same script, same bytes");
    let (samples, channels) = read_wav(&a);
    assert_eq!(channels, 2);
    // 14 beats: 8 at 120 BPM, the ramp to 126 over 2 beats, then 4 at 126.
    let want = (8.0 * 0.5 + 2.0 * 60.0 / 123.0 + 4.0 * 60.0 / 126.0) * 48_000.0;
    assert!(
        (samples.len() as f64 / 2.0 - want).abs() < 2.0,
        "{} frames, want {want}",
        samples.len() / 2
    );
    assert!(samples[..2 * 48_000].iter().all(|&v| v == 0.0), "silent before beat 2");
    assert!(samples.iter().any(|v| v.abs() > 0.2));
}

#[test]
fn render_streams_the_bytes_of_the_in_memory_render_and_stops_at_seconds() {
    let dir = temp_dir("render-stream");
    let script = write_session(&dir);
    let (streamed, in_memory, short) = (dir.join("a.wav"), dir.join("b.wav"), dir.join("c.wav"));
    let o = phosphene(&["render", script.to_str().unwrap(), "--out", streamed.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The library's in-memory render, in blocks of another size, written in one go.
    let session = engine_rt::Session::load(&script).unwrap();
    let samples = engine_rt::script::render(&session, &dir, 48_000, 100).unwrap();
    engine_rt::backend::offline::write_wav(&in_memory, &samples, 48_000).unwrap();
    let (x, y) = (std::fs::read(&streamed).unwrap(), std::fs::read(&in_memory).unwrap());
    assert!(x == y, "the streamed WAV has the in-memory render's bytes");

    let o = phosphene(&[
        "render",
        script.to_str().unwrap(),
        "--out",
        short.to_str().unwrap(),
        "--seconds",
        "1.5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("rendered 1.50 s of audio"), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains('\r'),
        "no progress line when stderr is not a terminal"
    );
    let (cut, _) = read_wav(&short);
    assert_eq!(cut.len(), 72_000 * 2, "exactly 1.5 s");
    assert!(cut[..] == samples[..cut.len()], "the start of the whole render");
}

#[test]
fn malformed_scripts_name_file_line_and_column() {
    let dir = temp_dir("malformed");
    let bad = dir.join("bad.ron");
    std::fs::write(
        &bad,
        "Session(\n    bpm: 120.0,\n    events: [(beat: 1.0, action: Fly(deck: 0))],\n)\n",
    )
    .unwrap();
    let o = phosphene(&[
        "render",
        bad.to_str().unwrap(),
        "--out",
        dir.join("x.wav").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("bad.ron:3:"), "{e}");
    assert!(e.contains("Fly"), "{e}");

    let missing_track = dir.join("missing.ron");
    std::fs::write(
        &missing_track,
        "Session(bpm: 120.0, tracks: [(file: \"nope.flac\", deck: 0)])",
    )
    .unwrap();
    let o = phosphene(&[
        "render",
        missing_track.to_str().unwrap(),
        "--out",
        dir.join("y.wav").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nope.flac"), "{}", stderr(&o));

    let bad_deck = dir.join("deck.ron");
    std::fs::write(
        &bad_deck,
        "Session(bpm: 120.0, decks: 2, events: [(beat: -1.0, action: Play(deck: 0))])",
    )
    .unwrap();
    let o = phosphene(&[
        "render",
        bad_deck.to_str().unwrap(),
        "--out",
        dir.join("z.wav").to_str().unwrap(),
    ]);
    assert!(stderr(&o).contains("event 0 has beat -1"), "{}", stderr(&o));
}

/// Parses the exit line of `phosphene play`.
fn report(stdout: &[u8]) -> Vec<(String, f64)> {
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().last().expect("a report line");
    line.split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            (k.to_string(), v.parse().expect("number"))
        })
        .collect()
}

#[test]
fn play_on_the_null_output_reports_callback_timing() {
    let dir = temp_dir("play-null");
    let script = write_session(&dir);
    let o = phosphene(&[
        "play",
        script.to_str().unwrap(),
        "--audio",
        "null",
        "--buffer",
        "256",
        "--seconds",
        "1.5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = report(&o.stdout);
    let keys: Vec<&str> = r.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "callbacks",
            "max_callback_fraction",
            "p999_callback_fraction",
            "dropped_intents",
            "stream_errors"
        ]
    );
    // 1.5 s of 256-frame buffers at 48 kHz is 281; the paced output never runs ahead of real
    // time, and on a loaded host (other tests render on the same cores) it may fall behind.
    assert!(r[0].1 > 0.0 && r[0].1 < 281.0 + 30.0, "{} callbacks", r[0].1);
    // Fractions of the period, measured: how large they are is for the benchmarks (a busy
    // host can push any run past 1.0); here they must be real measurements.
    assert!(r[1].1 > 0.0 && r[1].1.is_finite() && r[2].1 > 0.0 && r[2].1 <= r[1].1);
    assert_eq!(r[3].1, 0.0);
}

#[test]
fn play_without_a_device_falls_back_to_null_with_a_warning() {
    let dir = temp_dir("play-default");
    let script = write_session(&dir);
    // This machine has no sound card: the default device cannot open.
    let o = phosphene(&[
        "play",
        script.to_str().unwrap(),
        "--audio",
        "default",
        "--device",
        "no-such-device",
        "--seconds",
        "0.5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("playing to the paced null output"),
        "{}",
        stderr(&o)
    );
    assert_eq!(report(&o.stdout).len(), 5);
}

#[test]
fn headless_app_survives_a_broken_set_and_a_missing_device() {
    let dir = temp_dir("app-headless");
    let set = dir.join("broken.set.ron");
    std::fs::write(&set, "SetFile(\n  bpm: 124.0,\n  decks: [(track: (file: 12))],\n)\n").unwrap();
    let o = phosphene(&[set.to_str().unwrap(), "--headless", "--seconds", "1.5", "--no-record"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    // The set error names file, line and column; the app runs on with empty decks.
    assert!(err.contains(&format!("{}:3:", set.display())), "{err}");
    // This machine has no sound card: the default output falls back to the null output.
    assert!(err.contains("null output"), "{err}");
    let fields = report(&o.stdout);
    assert_eq!(fields.len(), 5, "{}", String::from_utf8_lossy(&o.stdout));
    assert!(fields[0].1 > 100.0, "callbacks ran: {fields:?}");
}
