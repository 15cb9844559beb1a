//! Decoding every supported format, resampling to the engine rate, and clear errors for bad
//! files while the engine keeps playing.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use engine_rt::loader::{LoadErrorKind, LoadEvent, LoadOptions, Loader, decode_file};
use engine_rt::{IntentKind as K, Quantize};

fn tmp() -> PathBuf {
    let d = std::env::temp_dir().join(format!("phos-loading-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A 2 s 1 kHz stereo sine at 44.1 kHz as 16-bit WAV.
fn write_sine_wav(path: &Path) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for i in 0..88_200 {
        let v = ((std::f64::consts::TAU * 1_000.0 * i as f64 / 44_100.0).sin() * 16_000.0) as i16;
        w.write_sample(v).unwrap();
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
}

/// Encodes `wav` with ffmpeg (installed by the test command).
fn encode(wav: &Path, out: &Path, codec: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(wav)
        .args(codec)
        .arg(out)
        .status()
        .expect("ffmpeg must be installed (the test command installs it)");
    assert!(status.success(), "ffmpeg failed for {}", out.display());
}

#[test]
fn decodes_every_format_at_the_engine_rate() {
    let dir = tmp();
    let wav = dir.join("sine.wav");
    write_sine_wav(&wav);
    let cases: [(&str, &[&str]); 5] = [
        ("surround.wav", &["-ac", "6"]),
        ("sine.flac", &["-c:a", "flac"]),
        ("sine.mp3", &["-c:a", "libmp3lame", "-b:a", "192k"]),
        ("sine.ogg", &["-c:a", "libvorbis", "-q:a", "5"]),
        ("sine.m4a", &["-c:a", "aac", "-b:a", "192k"]),
    ];
    let mut files = vec![wav.clone()];
    for (name, codec) in cases {
        let p = dir.join(name);
        encode(&wav, &p, codec);
        files.push(p);
    }
    for f in files {
        let mut last = 0.0;
        let t = decode_file(&f, &LoadOptions::new(48_000), |p| last = p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.sample_rate, 48_000);
        let secs = t.seconds();
        // Lossy codecs add encoder delay and padding; a few tens of ms at most.
        assert!((secs - 2.0).abs() < 0.06, "{}: {secs} s", f.display());
        let mid: Vec<f32> = t.frames[24_000..24_000 + 16_384].iter().map(|f| f[0]).collect();
        let hz = peak_hz(&mid);
        assert!((hz - 1_000.0).abs() < 2.0, "{}: {hz} Hz after resampling", f.display());
        assert_eq!(last, 1.0, "progress completes");
    }
}

#[test]
fn bad_files_name_the_file_and_the_reason() {
    let dir = tmp();
    let opts = LoadOptions::new(48_000);
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let garbage = dir.join("garbage.mp3");
    std::fs::write(
        &garbage,
        (0..20_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not audio at all\n").unwrap();
    let wav = dir.join("whole.wav");
    write_sine_wav(&wav);
    let flac = dir.join("whole.flac");
    encode(&wav, &flac, &["-c:a", "flac"]);
    let bytes = std::fs::read(&flac).unwrap();
    let truncated = dir.join("truncated.flac");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let header_only = dir.join("header-only.wav");
    std::fs::write(&header_only, &std::fs::read(&wav).unwrap()[..44]).unwrap();
    let missing = dir.join("missing.wav");
    let silent = dir.join("no-samples.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    hound::WavWriter::create(&silent, spec).unwrap().finalize().unwrap();

    for (path, want) in [
        (&empty, "empty"),
        (&garbage, "unsupported"),
        (&text, "unsupported"),
        (&truncated, "truncated"),
        (&header_only, "corrupt"),
        (&silent, "empty"),
        (&missing, "io"),
    ] {
        let e = decode_file(path, &opts, |_| {}).expect_err("must fail");
        let kind = match e.kind {
            LoadErrorKind::Io(_) => "io",
            LoadErrorKind::Unsupported(_) => "unsupported",
            LoadErrorKind::Corrupt(_) => "corrupt",
            LoadErrorKind::Truncated { .. } => "truncated",
            LoadErrorKind::Empty => "empty",
            LoadErrorKind::TooLong { .. } => "too long",
            LoadErrorKind::Cancelled => "cancelled",
        };
        let msg = e.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert_eq!(kind, want, "{}: {msg}", path.display());
    }
    let long = LoadOptions {
        max_seconds: 1.0,
        ..LoadOptions::new(48_000)
    };
    let e = decode_file(&wav, &long, |_| {}).expect_err("too long");
    assert!(matches!(e.kind, LoadErrorKind::TooLong { .. }), "{e}");
}

#[test]
fn the_engine_keeps_playing_while_a_bad_file_fails_to_load() {
    const BLOCKS: usize = 90;
    let dir = tmp();
    let bad = dir.join("bad.ogg");
    std::fs::write(&bad, b"OggS but not really").unwrap();
    let reference = {
        let (mut h, mut p) = engine();
        let t = h.share(sine(SR as usize, 220.0, 0.5));
        h.act(Quantize::Now, K::Load { deck: 0, track: t });
        h.act(Quantize::Now, K::Play { deck: 0 });
        render(&mut p, BLOCKS * 256, 256)
    };
    let (mut h, mut p) = engine();
    let t = h.share(sine(SR as usize, 220.0, 0.5));
    h.act(Quantize::Now, K::Load { deck: 0, track: t });
    h.act(Quantize::Now, K::Play { deck: 0 });
    let mut loader = Loader::spawn(h.collector_handle());
    let job = loader.load(&bad, LoadOptions::new(SR));
    let mut out = Vec::new();
    let mut failure = None;
    for _ in 0..BLOCKS {
        engine_rt::backend::offline::render(&mut p, 256, 256, &mut out, |_| {});
        while let Some(ev) = loader.poll() {
            if let LoadEvent::Failed { job: j, error } = ev {
                failure = Some((j, error));
            }
        }
    }
    // However the loader thread was scheduled meanwhile, its report comes: wait for it (the
    // bound is reached only if it never does).
    while failure.is_none() {
        match loader.wait(Duration::from_secs(120)) {
            Some(LoadEvent::Failed { job, error }) => failure = Some((job, error)),
            Some(_) => {}
            None => panic!("no failure reported"),
        }
    }
    let (j, error) = failure.expect("failure reported");
    assert_eq!(j, job);
    assert!(error.to_string().contains("bad.ogg"), "{error}");
    assert!(out == reference, "audio unaffected by the failed load");
}

#[test]
fn resampling_keeps_time_aligned() {
    let dir = tmp();
    let path = dir.join("click.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    // Long enough to cross several of the loader's streaming blocks.
    for i in 0..44_100 * 5 {
        w.write_sample(if i == 44_100 * 3 { 20_000i16 } else { 0 }).unwrap();
    }
    w.finalize().unwrap();
    let t = decode_file(&path, &LoadOptions::new(48_000), |_| {}).unwrap();
    assert_eq!(t.len(), 48_000 * 5);
    let peak = (0..t.len())
        .max_by(|&a, &b| t.frames[a][0].abs().total_cmp(&t.frames[b][0].abs()))
        .unwrap();
    assert!((peak as i64 - 48_000 * 3).abs() <= 1, "click at {peak}");
    assert_eq!(t.frames[peak][0], t.frames[peak][1], "mono is duplicated");
}

#[test]
fn tracks_without_a_tempo_get_an_analysed_grid_key_and_loudness() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo");
    // Afterimage's kicks fall mostly between beats (a broken beat): its phase may land half a
    // beat off.
    for (file, bpm, four_on_the_floor) in [
        ("nightglass.ogg", 124.0, true),
        ("photon-drift.ogg", 124.0, true),
        ("lumen-acid.ogg", 128.0, true),
        ("afterimage.ogg", 118.0, false),
    ] {
        let opts = engine_rt::loader::LoadOptions::new(48_000);
        let loaded = engine_rt::loader::load_and_analyse(&demo.join(file), &opts, |_| {}).expect("demo track");
        let track = loaded.track;
        let est = track.bpm.expect("a tempo");
        assert!((est - bpm).abs() < 0.05, "{file}: {est} BPM, made at {bpm}");
        let analysis = loaded.analysis.expect("analysed while loading");
        let rhythm = analysis.rhythm.expect("a pulse");
        assert!(rhythm.confidence > 0.5, "{file}: a clear pulse");
        assert!(
            rhythm.off_grid.is_empty(),
            "{file}: made on a grid: {:?}",
            rhythm.off_grid
        );
        let lufs = analysis.loudness.expect("loudness").integrated_lufs;
        assert!((-30.0..-3.0).contains(&lufs), "{file}: {lufs} LUFS");
        // The tracks start on a beat: the grid's first beat is at 0 or one period later.
        let period = 60.0 / bpm;
        let off = track
            .first_beat
            .rem_euclid(period)
            .min(period - track.first_beat.rem_euclid(period));
        assert!(
            off < 0.012 || !four_on_the_floor,
            "{file}: first beat {} s",
            track.first_beat
        );
    }
}
