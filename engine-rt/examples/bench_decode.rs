//! Decode + resample speed against ffmpeg decoding the same files to f32 at 48 kHz.
//!
//! `cargo run --release -p engine-rt --example bench_decode -- --seconds 300`
//!
//! Synthesises a 44.1 kHz track, encodes it to MP3 and FLAC with ffmpeg, then times the engine's
//! loader and `ffmpeg -f f32le -ar 48000` on each, side by side, best of three runs; then the
//! whole load a deck does in the app (decode, resample, waveform analysis).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use engine_rt::loader::{LoadOptions, decode_file, load_and_analyse};
use support::{arg, music};

fn best_of_three(mut f: impl FnMut() -> bool) -> Option<f64> {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        if !f() {
            return None;
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    Some(best)
}

fn main() {
    let seconds: f64 = arg("--seconds", 300.0);
    let dir = std::env::temp_dir().join(format!("phos-decode-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        std::process::exit(1);
    }
    let wav = dir.join("source.wav");
    let t = music(seconds, 44_100, 7);
    let samples: Vec<f32> = t.frames.iter().flatten().copied().collect();
    if let Err(e) = engine_rt::backend::offline::write_wav(&wav, &samples, 44_100) {
        eprintln!("cannot write {}: {e}", wav.display());
        std::process::exit(1);
    }
    for (name, codec) in [
        ("track.mp3", ["-c:a", "libmp3lame", "-b:a", "320k"]),
        ("track.flac", ["-c:a", "flac", "-sample_fmt", "s16"]),
    ] {
        let file = dir.join(name);
        let ok = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-i"])
            .arg(&wav)
            .args(codec)
            .arg(&file)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("ffmpeg is needed to make the test files");
            std::process::exit(1);
        }
        let engine = best_of_three(|| decode_file(&file, &LoadOptions::new(48_000), |_| {}).is_ok());
        let ffmpeg = best_of_three(|| ffmpeg_decode(&file));
        // What loading onto a deck costs in the app: decode, resample and analyse.
        let load = best_of_three(|| load_and_analyse(&file, &LoadOptions::new(48_000), |_| {}).is_ok());
        match (engine, ffmpeg, load) {
            (Some(e), Some(f), Some(l)) => println!(
                "file={name} audio_seconds={seconds} engine_seconds={e:.3} ffmpeg_seconds={f:.3} engine_over_ffmpeg={:.2} load_and_analyse_seconds={l:.3}",
                e / f
            ),
            _ => println!("file={name} failed to decode"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn ffmpeg_decode(file: &Path) -> bool {
    Command::new("ffmpeg")
        .args(["-loglevel", "error", "-threads", "1", "-i"])
        .arg(file)
        .args(["-f", "f32le", "-ac", "2", "-ar", "48000", "-"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
