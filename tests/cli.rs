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
    let e = stderr(&o);
    assert!(e.contains("deck.ron:1:") && e.contains("beat must be"), "{e}");
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
    let started = std::time::Instant::now();
    let o = phosphene(&[
        "play",
        script.to_str().unwrap(),
        "--audio",
        "null",
        "--buffer",
        "256",
        "--seconds",
        "1.5",
        // The processor itself in the callback: its timing is what this test reads.
        "--ahead",
        "0",
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
            "stream_errors",
            "scrubbed_samples",
            "ahead"
        ]
    );
    // The paced output never runs ahead of real time: no more 256-frame buffers than fit in
    // the time the command ran (on a loaded host it may fall behind, so no lower bound).
    let most = started.elapsed().as_secs_f64() * 48_000.0 / 256.0 + 1.0;
    assert!(r[0].1 > 0.0 && r[0].1 <= most, "{} callbacks, at most {most}", r[0].1);
    // Fractions of the period, measured: how large they are is for the benchmarks (a busy
    // host can push any run past 1.0); here they must be real measurements.
    assert!(r[1].1 > 0.0 && r[1].1.is_finite() && r[2].1 > 0.0 && r[2].1 <= r[1].1);
    assert_eq!(r[3].1, 0.0);
}

#[test]
fn play_without_a_device_falls_back_to_null_with_a_warning() {
    let dir = temp_dir("play-default");
    let script = write_session(&dir);
    // A device that exists on no machine, so the default host cannot open it, sound card or not.
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
    assert_eq!(report(&o.stdout).len(), 7);
}

#[test]
fn headless_app_survives_a_broken_set_and_a_missing_device() {
    let dir = temp_dir("app-headless");
    let set = dir.join("broken.set.ron");
    std::fs::write(&set, "SetFile(\n  bpm: 124.0,\n  decks: [(track: (file: 12))],\n)\n").unwrap();
    // The default host asked for a device no machine has: it cannot open, sound card or not.
    let o = phosphene(&[
        set.to_str().unwrap(),
        "--headless",
        "--device",
        "no-such-device",
        "--seconds",
        "1.5",
        "--no-record",
    ]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    // The set error names file, line and column; the app runs on with empty decks.
    assert!(err.contains(&format!("{}:3:", set.display())), "{err}");
    // The missing device falls back to the null output.
    assert!(err.contains("null output"), "{err}");
    let fields = report(&o.stdout);
    assert_eq!(fields.len(), 7, "{}", String::from_utf8_lossy(&o.stdout));
    // How many depends on the host's speed; that the output ran does not.
    assert!(fields[0].1 > 0.0, "callbacks ran: {fields:?}");
}

/// The value of `key` in the exit line.
fn field(stdout: &[u8], key: &str) -> Option<f64> {
    report(stdout).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[test]
fn render_ahead_is_the_default_and_ahead_0_renders_in_the_callback() {
    let dir = temp_dir("ahead-default");
    let script = write_session(&dir);
    let set = dir.join("empty.set.ron");
    std::fs::write(&set, "SetFile(bpm: 124.0)").unwrap();
    let (script, set) = (script.to_str().unwrap(), set.to_str().unwrap());
    let play = ["play", script, "--audio", "null", "--seconds", "0.5"];
    let app = [set, "--headless", "--audio", "null", "--seconds", "0.5", "--no-record"];
    for args in [&play[..], &app[..]] {
        // Headless runs too render ahead unless told otherwise: a slow block never glitches.
        let o = phosphene(args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(field(&o.stdout, "ahead"), Some(2048.0), "{args:?}");
        assert!(
            stderr(&o).contains("rendering 2048 frames ahead of the device"),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("render_ahead: blocks="), "{}", stderr(&o));
        // `--ahead 0` renders in the callback, for the lowest latency.
        let o = phosphene(&[args, &["--ahead", "0"]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(field(&o.stdout, "ahead"), Some(0.0), "{args:?}");
        assert!(!stderr(&o).contains("render_ahead:"), "{}", stderr(&o));
    }
}

/// Runs the headless app with `XDG_DATA_HOME` and the bundled assets folder set, changing the
/// tempo at once so that the set has something to autosave at exit.
fn run_changing_the_tempo(dir: &std::path::Path, set: Option<&std::path::Path>) -> std::process::Output {
    let actions = dir.join("tempo.actions.ron");
    std::fs::write(&actions, "[(beat: 0.0, action: Transport(Tempo(131.0)))]").unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_phosphene"));
    cmd.args(set)
        .args([
            "--headless",
            "--audio",
            "null",
            "--seconds",
            "2",
            "--no-record",
            "--actions",
        ])
        .arg(&actions)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("PHOSPHENE_ASSETS", dir.join("assets"));
    let o = cmd.output().expect("run phosphene");
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

#[test]
fn the_bundled_set_autosaves_into_the_data_folder_and_a_users_set_beside_itself() {
    let dir = temp_dir("autosave-home");
    let bundled = dir.join("assets/demo");
    let own = dir.join("own");
    for d in [&bundled, &own] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(bundled.join("demo.set.ron"), "SetFile(bpm: 124.0)").unwrap();
    std::fs::write(own.join("mine.set.ron"), "SetFile(bpm: 124.0)").unwrap();

    // No set named: the bundled demo set opens, and its folder stays as shipped.
    run_changing_the_tempo(&dir, None);
    let autosave = dir.join("data/phosphene/autosave/demo.autosave.ron");
    let text = std::fs::read_to_string(&autosave).expect("the demo set autosaved into the data folder");
    assert!(text.contains("bpm: 131.0"), "{text}");
    let shipped: Vec<_> = std::fs::read_dir(&bundled)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(shipped, ["demo.set.ron"], "nothing written beside the bundled set");

    // The performer's own set autosaves beside itself, where they opened it.
    run_changing_the_tempo(&dir, Some(&own.join("mine.set.ron")));
    let text = std::fs::read_to_string(own.join("mine.autosave.ron")).expect("autosaved beside the set");
    assert!(text.contains("bpm: 131.0"), "{text}");
    assert!(!dir.join("data/phosphene/autosave/mine.autosave.ron").exists());
}

#[test]
fn the_demo_opening_plays_at_once_and_ctrl_c_ends_the_performance() {
    let dir = temp_dir("demo-opening");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    // What `.ci/demo` runs, headless; `--seconds` only bounds a run that never sounds. The
    // process starts with default signal handling even when the tests run in a background job
    // (which ignores Ctrl+C).
    let mut app = common::live::LiveProcess::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_phosphene"))
            .arg(root.join("assets/demo/demo.set.ron"))
            .arg("--actions")
            .arg(root.join("assets/demo/opening.actions.ron"))
            .args(["--headless", "--audio", "null", "--no-record", "--seconds", "600"])
            .env("XDG_DATA_HOME", dir.join("data")),
    );
    // The demo sounds as soon as its tracks are loaded, with no hands on the controls.
    app.wait_for("the first sound", |err| err.contains("first_audible_seconds="));
    let seen = app.stderr().to_string();
    assert!(seen.contains("playing the scripted actions in"), "{seen}");
    assert!(seen.contains("Ctrl+C ends the performance"), "{seen}");
    // Ctrl+C ends it as closing the window would: a clean exit with the report line.
    app.signal("INT");
    let out = app.finish();
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(field(out.stdout.as_bytes(), "ahead"), Some(2048.0));
}
