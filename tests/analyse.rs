//! `phosphene analyse` as a user runs it: tempo, first downbeat, confidence and key of real
//! files, beat times with `--beats`, an error line for a file it cannot read while the others go
//! on, the cache, and inputs without a pulse.

mod common;
use std::f64::consts::TAU;
use std::path::Path;
use std::process::{Command, Output};

use common::*;

const RATE: f64 = 48_000.0;

/// A drum-and-chords loop in A minor at `bpm`, first downbeat at `first` seconds: a kick on
/// every beat (a louder one with a crash on each downbeat), a snare on 2 and 4, hats on the
/// eighths, and the progression Am Dm E Am, a chord a bar.
fn song(bpm: f64, first: f64, seconds: f64) -> impl Fn(usize) -> (f32, f32) {
    let beat = 60.0 / bpm;
    // Root and third/fifth of each bar's chord (Hz).
    const CHORDS: [[f64; 3]; 4] = [
        [220.0, 261.63, 329.63],
        [146.83, 174.61, 220.0],
        [164.81, 207.65, 246.94],
        [220.0, 261.63, 329.63],
    ];
    move |i| {
        let t = i as f64 / RATE;
        if t >= seconds {
            return (0.0, 0.0);
        }
        let pos = (t - first) / beat;
        let (n, since) = (pos.floor(), (pos - pos.floor()) * beat);
        let in_bar = (n as i64).rem_euclid(4);
        let mut x = 0.0;
        if pos >= 0.0 {
            let accent = if in_bar == 0 { 1.0 } else { 0.7 };
            x += accent * 0.6 * (TAU * 55.0 * since).sin() * (-since * 18.0).exp();
            if in_bar % 2 == 1 {
                let noise = ((i as u64 * 2_654_435_761) % 1000) as f64 / 500.0 - 1.0;
                x += 0.25 * noise * (-since * 30.0).exp();
            }
            let half = (pos * 2.0 - (pos * 2.0).floor()) * beat / 2.0;
            let hat = ((i as u64 * 40_503) % 997) as f64 / 498.5 - 1.0;
            x += 0.05 * hat * (-half * 120.0).exp();
        }
        let bar = ((pos.max(0.0) / 4.0).floor() as usize) % 4;
        x += CHORDS[bar].iter().map(|f| (TAU * f * t).sin()).sum::<f64>() * 0.06;
        x += 0.08 * (TAU * CHORDS[bar][0] / 2.0 * t).sin();
        (x as f32, x as f32)
    }
}

fn analyse(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phosphene"))
        .arg("analyse")
        .args(args)
        .env("PHOSPHENE_CACHE_DIR", cache)
        .output()
        .expect("run phosphene analyse")
}

/// `key=value` fields of a result line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
}

fn num(line: &str, key: &str) -> f64 {
    field(line, key)
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {line}"))
}

#[test]
fn tempo_downbeat_key_and_beats_of_a_song() {
    let dir = temp_dir("analyse-song");
    let (bpm, first) = (93.5, 0.37);
    let file = dir.join("song.wav");
    write_wav(&file, (32.0 * RATE) as usize, song(bpm, first, 32.0));
    let o = analyse(&["--beats", file.to_str().unwrap()], &dir.join("cache"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    let mut lines = out.lines();
    let head = lines.next().expect("a result line");
    assert_eq!(field(head, "file"), file.to_str().unwrap());
    assert!((num(head, "bpm") - bpm).abs() < 0.01 * bpm, "{head}");
    let beat = 60.0 / bpm;
    let phase = ((num(head, "first_beat") - first) / beat).rem_euclid(1.0);
    assert!(phase.min(1.0 - phase) * beat < 0.02, "first beat on a beat: {head}");
    assert!(
        (num(head, "first_beat") - first).abs() < 0.02,
        "the first downbeat: {head}"
    );
    assert!(num(head, "confidence") > 0.5, "{head}");
    assert_eq!(field(head, "key"), "Am", "{head}");
    let beats: Vec<f64> = lines.map(|l| l.parse().expect("a beat time")).collect();
    assert!(beats.len() > 40, "{} beats", beats.len());
    let on_grid = beats
        .iter()
        .filter(|b| {
            let p = ((*b - first) / beat).rem_euclid(1.0);
            p.min(1.0 - p) * beat < 0.03
        })
        .count();
    assert!(
        on_grid as f64 > 0.95 * beats.len() as f64,
        "{on_grid} of {} beats on the grid",
        beats.len()
    );
}

#[test]
fn bad_and_pulseless_files_get_their_own_lines_and_the_others_go_on() {
    let dir = temp_dir("analyse-bad");
    let good = dir.join("good.wav");
    write_wav(&good, (20.0 * RATE) as usize, song(128.0, 0.0, 20.0));
    let corrupt = dir.join("corrupt.wav");
    std::fs::write(&corrupt, b"RIFF\x10\x00\x00\x00WAVEjunk that is not audio at all").unwrap();
    let truncated = dir.join("truncated.wav");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let silence = dir.join("silence.wav");
    write_wav(&silence, (10.0 * RATE) as usize, |_| (0.0, 0.0));
    let short = dir.join("short.wav");
    write_wav(&short, (2.0 * RATE) as usize, song(128.0, 0.0, 2.0));
    let noise = dir.join("noise.wav");
    // White noise: each sample a SplitMix64 hash of its index.
    write_wav(&noise, (12.0 * RATE) as usize, |i| {
        let mut z = (i as u64).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let v = ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
        (v, v)
    });
    let missing = dir.join("missing.flac");
    let files = [&corrupt, &good, &truncated, &missing, &silence, &short, &noise];
    let args: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let o = analyse(&args, &dir.join("cache"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), files.len(), "{out}");
    for (line, file) in lines.iter().zip(files) {
        assert_eq!(field(line, "file"), file.to_str().unwrap(), "in order: {out}");
    }
    for bad in [0, 2, 3] {
        assert!(!field(lines[bad], "error").is_empty(), "{}", lines[bad]);
    }
    assert!(field(lines[2], "error").contains("truncated"), "{}", lines[2]);
    assert!((num(lines[1], "bpm") - 128.0).abs() < 1.3, "{}", lines[1]);
    for pulseless in [4, 6] {
        let l = lines[pulseless];
        assert_eq!((num(l, "bpm"), num(l, "confidence")), (0.0, 0.0), "no pulse: {l}");
    }
    assert_eq!(field(lines[4], "key"), "none");
    // The 2-second file is analysed without complaint, grid or not.
    let _ = num(lines[5], "bpm");
}

#[test]
fn a_second_run_reads_the_cache_and_a_folder_is_searched() {
    let dir = temp_dir("analyse-cache");
    let music = dir.join("music");
    std::fs::create_dir_all(music.join("sub")).unwrap();
    write_wav(&music.join("a.wav"), (16.0 * RATE) as usize, song(120.0, 0.1, 16.0));
    write_wav(&music.join("sub/b.wav"), (16.0 * RATE) as usize, song(100.0, 0.2, 16.0));
    std::fs::write(music.join("notes.txt"), "not audio").unwrap();
    let cache = dir.join("cache");
    let first = analyse(&[music.to_str().unwrap()], &cache);
    assert!(first.status.success());
    let out = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(out.lines().count(), 2, "two audio files: {out}");
    let entries = std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(entries, 2, "one cache entry per file");
    // Cached results are the same, and a copy of a file under another name is known.
    std::fs::copy(music.join("a.wav"), dir.join("copy.wav")).unwrap();
    let again = analyse(&[music.to_str().unwrap()], &cache);
    assert_eq!(String::from_utf8_lossy(&again.stdout), out);
    analyse(&[dir.join("copy.wav").to_str().unwrap()], &cache);
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 2, "same bytes, same entry");
}

#[test]
fn a_three_hour_file_is_analysed_in_bounded_memory() {
    let dir = temp_dir("analyse-long");
    let file = dir.join("long.wav");
    // Three hours, 8 kHz mono 16-bit (165 MB): as decoded f32 it would take 330 MB, as a deck
    // track at 48 kHz stereo 4 GB.
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&file, spec).unwrap();
    let beat = 8_000 * 60 / 120;
    for i in 0..3 * 3600 * 8_000usize {
        let since = (i % beat) as f64 / 8_000.0;
        let v = (TAU * 60.0 * since).sin() * (-since * 20.0).exp() * 12_000.0;
        w.write_sample(v as i16).unwrap();
    }
    w.finalize().unwrap();
    // GNU time reports the child's own peak (a measure from inside this process would count
    // the pages a spawned child shares with it).
    let o = Command::new("/usr/bin/time")
        .args([
            "-f",
            "peak_kb=%M",
            env!("CARGO_BIN_EXE_phosphene"),
            "analyse",
            "--no-cache",
        ])
        .arg(&file)
        .output()
        .expect("run phosphene analyse under GNU time (.ci/deps.sh installs it)");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!((num(out.trim(), "bpm") - 120.0).abs() < 0.5, "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    let peak_mb = num(err.lines().last().unwrap_or_default(), "peak_kb") / 1024.0;
    assert!(peak_mb < 200.0, "analysing three hours peaked at {peak_mb:.0} MB");
    let _ = std::fs::remove_dir_all(&dir);
}
