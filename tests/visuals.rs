//! The visuals from the command line: offline frames of a recording (deterministic, in step
//! with the audio, muxed into a video), set mistakes named clearly, and shader edits in a
//! running app (under Xvfb + lavapipe): a broken one reported while the show goes on, the fix
//! picked up.

mod common;
use common::live::LiveProcess;
use common::xvfb::Xvfb;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// A short recording: the test track on deck 1 from frame 0, a crossfade to deck 2 at 1 s.
fn write_recording(dir: &Path) -> PathBuf {
    write_track(&dir.join("track.wav"));
    let rec = dir.join("show.rec.ron");
    std::fs::write(
        &rec,
        r#"Recording(
    sample_rate: 48000,
    decks: 2,
    bpm: 120.0,
    quantum: 4.0,
    frames: 120000,
    tracks: [(file: "track.wav", bpm: 120.0)],
    intents: [
        (frame: 0, beat: 0.0, kind: Load(deck: 0, track: 0)),
        (frame: 0, beat: 0.0, kind: Play(deck: 0)),
        (frame: 48000, beat: 2.0, kind: Load(deck: 1, track: 0)),
        (frame: 48000, beat: 2.0, kind: Play(deck: 1)),
    ],
)
"#,
    )
    .unwrap();
    rec
}

fn phosphene(args: &[&str], dir: &Path) -> Output {
    let runtime = dir.join("xdg");
    std::fs::create_dir_all(&runtime).unwrap();
    Command::new(env!("CARGO_BIN_EXE_phosphene"))
        .args(args)
        .env("XDG_RUNTIME_DIR", &runtime)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run phosphene")
}

/// `phosphene render REC ARGS...`, which must succeed; returns its stderr.
fn render(rec: &Path, args: &[&str], dir: &Path) -> String {
    let mut all = vec!["render", rec.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = phosphene(&all, dir);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    err
}

/// The tunnel before the cut at beat 4 (2 s at 120 BPM, frame 60 at 30 fps), the scope after.
fn assert_cut_at_beat_4(frames: &[(String, Vec<u8>)]) {
    let (before, after) = (brightness(&frames[55].1), brightness(&frames[65].1));
    assert!(
        (before - after).abs() > 1.0,
        "the cut changes the picture: {before:.1} vs {after:.1}"
    );
}

fn frames_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Mean of the RGB channels of a PNG.
fn brightness(png_bytes: &[u8]) -> f64 {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = &buf[..info.buffer_size()];
    px.chunks(4)
        .map(|p| (p[0] as f64 + p[1] as f64 + p[2] as f64) / 3.0)
        .sum::<f64>()
        / (px.len() / 4) as f64
}

#[test]
fn offline_frames_of_a_recording_are_deterministic_and_follow_the_audio() {
    let dir = temp_dir("visuals-frames");
    let rec = write_recording(&dir);
    let set = dir.join("look.set.ron");
    std::fs::write(
        &set,
        "SetFile(bpm: 120.0, visuals: (scene: Some(\"tunnel\"), cues: [(beat: 4.0, scene: \"scope\", transition: Cut)]))",
    )
    .unwrap();
    let frames = |name: &str, seconds: &str| {
        let frames = dir.join(name);
        let (out, look) = (frames.to_str().unwrap(), set.to_str().unwrap());
        let args = [
            "--frames",
            out,
            "--fps",
            "30",
            "--size",
            "320x180",
            "--seconds",
            seconds,
            "--visuals",
            look,
        ];
        render(&rec, &args, &dir);
        frames_in(&frames)
    };
    let a = frames("a", "2.5");
    let b = frames("b", "2.5");
    assert_eq!(a.len(), 75, "2.5 s at 30 fps");
    assert_eq!(a[0].0, "frame-000000.png");
    assert!(a == b, "the same recording renders the same frames, byte for byte");
    // A render stopped early shows what the whole render showed up to there.
    let c = frames("c", "1");
    assert_eq!(c.len(), 30, "1 s at 30 fps");
    assert!(c[..] == a[..30], "the first second of the longer render");
    // The tunnel is lit while the track plays; the cue at beat 4 (2 s) cuts to the scope.
    let lit = a.iter().filter(|(_, png)| brightness(png) > 2.0).count();
    assert!(lit > 60, "{lit} of 75 frames lit");
    assert_cut_at_beat_4(&a);
}

#[test]
fn a_recording_shows_the_light_recorded_with_it() {
    let dir = temp_dir("visuals-recorded");
    let rec = write_recording(&dir);
    // What the recorder writes beside a live recording: the set's look and the scene changes.
    std::fs::write(
        dir.join("show.visuals.ron"),
        "VisualSetup(scene: Some(\"tunnel\"), cues: [(beat: 4.0, scene: \"scope\", transition: Cut)])",
    )
    .unwrap();
    let frames = dir.join("frames");
    let args = [
        "--frames",
        frames.to_str().unwrap(),
        "--size",
        "160x90",
        "--seconds",
        "2.5",
    ];
    let err = render(&rec, &args, &dir);
    assert!(err.contains("show.visuals.ron"), "{err}");
    assert_cut_at_beat_4(&frames_in(&frames));
}

#[test]
fn a_video_is_muxed_with_ffmpeg() {
    let dir = temp_dir("visuals-video");
    let rec = write_recording(&dir);
    let video = dir.join("show.mp4");
    render(
        &rec,
        &[
            "--video",
            video.to_str().unwrap(),
            "--size",
            "320x180",
            "--seconds",
            "1",
        ],
        &dir,
    );
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0"])
        .arg(&video)
        .output()
        .expect("ffprobe (installed with ffmpeg by the test command)");
    let streams = String::from_utf8_lossy(&probe.stdout);
    assert!(streams.contains("video") && streams.contains("audio"), "{streams}");
}

#[test]
fn render_mistakes_are_named() {
    let dir = temp_dir("visuals-errors");
    let rec = write_recording(&dir);
    let nothing = phosphene(&["render", rec.to_str().unwrap()], &dir);
    assert!(!nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("nothing to render"));
    let size = phosphene(
        &["render", rec.to_str().unwrap(), "--frames", "x", "--size", "big"],
        &dir,
    );
    assert!(String::from_utf8_lossy(&size.stderr).contains("WIDTHxHEIGHT"));
    let set = dir.join("folded.set.ron");
    std::fs::write(
        &set,
        "SetFile(bpm: 120.0, visuals: (keystone: (corners: ((0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)))))",
    )
    .unwrap();
    let out = phosphene(
        &[
            "render",
            set.to_str().unwrap(),
            "--frames",
            dir.join("f").to_str().unwrap(),
        ],
        &dir,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("folded.set.ron") && err.contains("keystone"), "{err}");
}

/// Replaces `path` with `text` the way an editor's atomic save does (a new file renamed over
/// the old), so the app never reads half a file, and with a modification time later than the
/// old one's whatever the file system's timestamp resolution.
fn save_scene(path: &Path, text: &str) {
    let before = std::fs::metadata(path).and_then(|m| m.modified()).expect("scene file");
    let tmp = path.with_extension("wgsl.tmp");
    std::fs::write(&tmp, text).unwrap();
    let file = std::fs::File::options().write(true).open(&tmp).unwrap();
    file.set_modified(before + Duration::from_secs(1)).unwrap();
    drop(file);
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_broken_scene_edit_is_reported_while_the_show_goes_on() {
    let dir = temp_dir("visuals-reload");
    let shaders = dir.join("shaders");
    let scenes = shaders.join("scenes");
    std::fs::create_dir_all(&scenes).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders/scenes");
    for e in std::fs::read_dir(&source).unwrap().flatten() {
        std::fs::copy(e.path(), scenes.join(e.file_name())).unwrap();
    }
    let runtime = dir.join("xdg");
    std::fs::create_dir_all(&runtime).unwrap();
    let x = Xvfb::start();
    let mut app = LiveProcess::spawn(
        Command::new(env!("CARGO_BIN_EXE_phosphene"))
            .args(["--audio", "null", "--no-record"])
            .env("DISPLAY", x.display())
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("PHOSPHENE_SHADERS", &shaders)
            .current_dir(env!("CARGO_MANIFEST_DIR")),
    );
    // Each step waits for the app to report the previous one, however slow the machine.
    app.wait_for("the scene library to be read", |err| err.contains("scene library:"));
    let tunnel = scenes.join("tunnel.wgsl");
    let text = std::fs::read_to_string(&tunnel).unwrap();
    save_scene(
        &tunnel,
        &text.replace("let fog = exp(-0.08 * depth);", "let fog = exp(-0.08 * depht);"),
    );
    let line = text.lines().position(|l| l.contains("let fog")).unwrap() + 1;
    let located = format!("tunnel.wgsl:{line}:");
    app.wait_for("the error, with file and line", |err| {
        err.contains(&located) && err.contains("last good version keeps running")
    });
    // Fixed: the new version takes over.
    save_scene(
        &tunnel,
        &text.replace("let fog = exp(-0.08 * depth);", "let fog = exp(-0.06 * depth);"),
    );
    app.wait_for("the fixed scene to be picked up", |err| {
        err.contains("scene 'tunnel' reloaded")
    });
    // Ctrl+C ends the show as closing the window does: the exit report is printed.
    app.signal("INT");
    let out = app.finish();
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stderr.contains("visuals: frames="), "{}", out.stderr);
    assert!(out.stdout.contains("callbacks="), "{}", out.stdout);
}
