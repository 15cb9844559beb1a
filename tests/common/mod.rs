//! Helpers for the command-line tests: temp folders, generated tracks and scripts.
#![allow(dead_code, reason = "compiled into every test binary, each using a subset")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod applied;
pub mod jackd;
pub mod link_rig;
pub mod live;
pub mod netns;
pub mod peer;
pub mod rig;
pub mod wav;
pub mod xvfb;

pub use wav::write_wav;

/// A fresh folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("phos-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Writes a 4 s stereo test track at 48 kHz: a click every beat at 120 BPM over a chord.
pub fn write_track(path: &Path) {
    write_wav(path, 4 * 48_000, |i| {
        let t = i as f64 / 48_000.0;
        let chord: f64 = [220.0, 277.18, 329.63]
            .iter()
            .map(|f| (std::f64::consts::TAU * f * t).sin())
            .sum::<f64>()
            * 0.12;
        let click = if i % 24_000 < 48 {
            0.5 * (1.0 - (i % 24_000) as f64 / 48.0)
        } else {
            0.0
        };
        let v = (chord + click) as f32;
        (v, -v)
    });
}

/// A script exercising transport, loops, key lock, EQ, filter, FX and tempo over 14 beats;
/// nothing sounds before beat 2 (one second), so a recorder has time to attach.
pub const SCRIPT: &str = r#"Session(
    bpm: 120.0,
    decks: 2,
    length_beats: 14.0,
    tracks: [(file: "track.wav", deck: 0, bpm: 120.0), (file: "track.wav", deck: 1, bpm: 120.0)],
    events: [
        (beat: 2.0, action: Play(deck: 0)),
        (beat: 3.0, action: Deck(deck: 0, param: EqLowDb, value: -20.0, ramp_beats: 1.0)),
        (beat: 4.0, action: KeyLock(deck: 1, on: true)),
        (beat: 4.0, action: Rate(deck: 1, rate: 1.06, ramp_beats: 0.0)),
        (beat: 4.0, action: Play(deck: 1)),
        (beat: 5.0, action: Deck(deck: 1, param: Filter, value: -0.5, ramp_beats: 2.0)),
        (beat: 6.0, action: BeatLoop(deck: 0, beats: 0.5)),
        (beat: 7.0, action: FxSlot(deck: 0, slot: 0, fx: Some(Echo(beats: 0.5)))),
        (beat: 7.0, action: Deck(deck: 0, param: FxAmount(0), value: 0.5, ramp_beats: 0.0)),
        (beat: 8.0, action: LoopExit(deck: 0)),
        (beat: 8.0, action: Tempo(bpm: 126.0, ramp_beats: 2.0)),
        (beat: 9.0, action: Sync(deck: 0, on: true)),
        (beat: 10.0, action: Master(param: Crossfader, value: 0.5, ramp_beats: 1.0)),
        (beat: 11.0, action: SetHotCue(deck: 1, slot: 0, seconds: 0.25)),
        (beat: 11.0, action: HotCue(deck: 1, slot: 0)),
        (beat: 12.0, action: Stop(deck: 0)),
        (beat: 13.0, action: Pause(deck: 1)),
    ],
)
"#;

/// Writes the track and [`SCRIPT`] into `dir`; returns the script path.
pub fn write_session(dir: &Path) -> PathBuf {
    write_track(&dir.join("track.wav"));
    let p = dir.join("session.ron");
    std::fs::write(&p, SCRIPT).unwrap();
    p
}

/// Runs the phosphene binary.
pub fn phosphene(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phosphene"))
        .args(args)
        .output()
        .expect("run phosphene")
}

/// Reads a WAV file as interleaved f32 (integer formats scaled to -1..1).
pub fn read_wav(path: &Path) -> (Vec<f32>, u16) {
    let mut r = hound::WavReader::open(path).expect("open wav");
    let spec = r.spec();
    let samples = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|s| s.unwrap()).collect(),
        hound::SampleFormat::Int => {
            let scale = 2f64.powi(spec.bits_per_sample as i32 - 1);
            r.samples::<i32>().map(|s| (s.unwrap() as f64 / scale) as f32).collect()
        }
    };
    (samples, spec.channels)
}
