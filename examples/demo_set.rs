//! Synthesises the bundled demo set: four short tracks at known tempos (drums, bass, chords,
//! arpeggios, an acid line), each arranged intro / main / break / drop / outro, encoded to Ogg
//! Vorbis with ffmpeg, plus `demo.set.ron` with beat grids and a hot cue on every section.
//!
//! `cargo run --example demo_set -- assets/demo`
//!
//! The output is committed; run this again only to change the music.

use std::f32::consts::TAU;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const RATE: u32 = 44_100;
const BARS: usize = 32;
/// Sections as (first bar, name); every section gets a hot cue.
const SECTIONS: [(usize, &str); 5] = [(0, "intro"), (8, "main"), (16, "break"), (20, "drop"), (28, "outro")];

/// One track's musical material.
struct Song {
    name: &'static str,
    file: &'static str,
    bpm: f32,
    /// Chord roots as MIDI notes, one chord per bar, cycling.
    chords: [u8; 4],
    /// Minor (true) or major triads per chord.
    minor: [bool; 4],
    /// 16-step patterns: 'x' hit, '.' rest.
    kick: &'static str,
    clap: &'static str,
    hat: &'static str,
    /// Bass steps: a digit is semitones above the chord root, '.' rest.
    bass: &'static str,
    /// Arpeggio on (false: acid line instead).
    arp: bool,
    seed: u32,
}

const SONGS: [Song; 4] = [
    Song {
        name: "Nightglass",
        file: "nightglass.ogg",
        bpm: 124.0,
        chords: [57, 53, 48, 55],
        minor: [true, false, false, false],
        kick: "x...x...x...x...",
        clap: "....x.......x...",
        hat: "..x...x...x...x.",
        bass: "..0...0...0...07",
        arp: true,
        seed: 11,
    },
    Song {
        name: "Photon Drift",
        file: "photon-drift.ogg",
        bpm: 124.0,
        chords: [50, 46, 53, 48],
        minor: [true, false, false, false],
        kick: "x...x...x...x...",
        clap: "....x.......x..x",
        hat: "xxx.xxx.xxx.xxx.",
        bass: "0.00.00.0.00.0.7",
        arp: true,
        seed: 23,
    },
    Song {
        name: "Lumen Acid",
        file: "lumen-acid.ogg",
        bpm: 128.0,
        chords: [52, 52, 48, 50],
        minor: [true, true, false, false],
        kick: "x...x...x...x...",
        clap: "....x.......x...",
        hat: "..x...x...x...xx",
        bass: "0.0.0.0.0.0.0.0.",
        arp: false,
        seed: 37,
    },
    Song {
        name: "Afterimage",
        file: "afterimage.ogg",
        bpm: 118.0,
        chords: [48, 56, 51, 55],
        minor: [true, false, false, true],
        kick: "x.....x...x.....",
        clap: "....x.......x...",
        hat: "x.xxx.x.x.xxx.x.",
        bass: "0.....0.3...5.7.",
        arp: true,
        seed: 41,
    },
];

/// Deterministic noise for hats, claps and detuning.
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 as f32 / u32::MAX as f32 * 2.0 - 1.0
    }
}

fn hz(note: f32) -> f32 {
    440.0 * 2f32.powf((note - 69.0) / 12.0)
}

/// Naive saw, band-limited enough for a demo once filtered.
fn saw(phase: f32) -> f32 {
    2.0 * (phase - phase.floor()) - 1.0
}

/// A resonant state-variable low-pass (Chamberlin), for the bass and the acid line.
#[derive(Default)]
struct Lowpass {
    low: f32,
    band: f32,
}

impl Lowpass {
    fn tick(&mut self, x: f32, cutoff: f32, q: f32) -> f32 {
        let f = 2.0 * (std::f32::consts::PI * cutoff.min(8000.0) / RATE as f32).sin();
        self.low += f * self.band;
        let high = x - self.low - q * self.band;
        self.band += f * high;
        self.low
    }
}

fn mix(buf: &mut [[f32; 2]], at: usize, pan: f32, sound: impl Iterator<Item = f32>) {
    for (i, s) in sound.enumerate() {
        if let Some(f) = buf.get_mut(at + i) {
            f[0] += s * (1.0 - pan).min(1.0);
            f[1] += s * (1.0 + pan).min(1.0);
        }
    }
}

fn kick() -> impl Iterator<Item = f32> {
    let mut phase = 0.0f32;
    (0..RATE as usize / 3).map(move |i| {
        let t = i as f32 / RATE as f32;
        phase += (45.0 + 110.0 * (-t * 30.0).exp()) / RATE as f32;
        (phase * TAU).sin() * (-t * 9.0).exp() * 0.9
    })
}

fn clap(noise: &mut Noise) -> Vec<f32> {
    let mut lp = Lowpass::default();
    (0..RATE as usize / 5)
        .map(|i| {
            let t = i as f32 / RATE as f32;
            // Three quick bursts, then the tail: a hand clap.
            let env = (-((t * 1000.0) % 11.0) * 0.4).exp() * (t < 0.03) as u8 as f32 + (-t * 18.0).exp() * 0.6;
            let n = noise.next();
            (n - lp.tick(n, 900.0, 1.2)) * env * 0.35
        })
        .collect()
}

fn hat(noise: &mut Noise, open: bool) -> Vec<f32> {
    let decay = if open { 14.0 } else { 60.0 };
    let mut lp = Lowpass::default();
    (0..RATE as usize / if open { 4 } else { 12 })
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let n = noise.next();
            (n - lp.tick(n, 6000.0, 1.0)) * (-t * decay).exp() * 0.18
        })
        .collect()
}

fn bass(note: f32, len: usize) -> impl Iterator<Item = f32> {
    let f = hz(note);
    let mut lp = Lowpass::default();
    (0..len).map(move |i| {
        let t = i as f32 / RATE as f32;
        let env = (-t * 5.0).exp() * (1.0 - (-t * 400.0).exp());
        let x = saw(f * t) + 0.5 * (f * 0.5 * t * TAU).sin();
        lp.tick(x, 180.0 + 900.0 * env, 0.9) * env * 0.45
    })
}

fn acid(note: f32, len: usize, accent: f32) -> impl Iterator<Item = f32> {
    let f = hz(note);
    let mut lp = Lowpass::default();
    (0..len).map(move |i| {
        let t = i as f32 / RATE as f32;
        let env = (-t * 7.0).exp();
        lp.tick(saw(f * t), 250.0 + 3200.0 * env * accent, 0.25) * (1.0 - (-t * 500.0).exp()) * 0.22
    })
}

fn pad(root: f32, minor: bool, len: usize, noise: &mut Noise) -> impl Iterator<Item = f32> {
    let third = if minor { 3.0 } else { 4.0 };
    let notes = [root, root + third, root + 7.0, root + 12.0];
    let detune: Vec<f32> = (0..8).map(|_| 1.0 + noise.next() * 0.004).collect();
    let mut lp = Lowpass::default();
    (0..len).map(move |i| {
        let t = i as f32 / RATE as f32;
        let env = (t * 4.0).min(1.0) * ((len - i) as f32 / RATE as f32 * 6.0).min(1.0);
        let x: f32 = notes
            .iter()
            .enumerate()
            .map(|(k, n)| saw(hz(*n) * detune[k] * t) + saw(hz(*n) * detune[k + 4] * t))
            .sum();
        lp.tick(x, 1400.0, 1.0) * env * 0.035
    })
}

fn pluck(note: f32, len: usize) -> impl Iterator<Item = f32> {
    let f = hz(note);
    (0..len).map(move |i| {
        let t = i as f32 / RATE as f32;
        let sq = if (f * t).fract() < 0.5 { 1.0 } else { -1.0 };
        (sq * 0.6 + (f * 2.0 * t * TAU).sin() * 0.4) * (-t * 9.0).exp() * 0.07
    })
}

fn hits(pattern: &str, step: usize) -> bool {
    pattern.as_bytes().get(step % 16).is_some_and(|&c| c != b'.')
}

/// Renders a song's 32 bars of stereo audio.
fn render(song: &Song) -> Vec<[f32; 2]> {
    let step_len = 60.0 / song.bpm / 4.0 * RATE as f32;
    let bar_len = (step_len * 16.0) as usize;
    let mut buf = vec![[0.0f32; 2]; bar_len * BARS + RATE as usize];
    let mut noise = Noise(0x9e37_79b9 ^ song.seed);
    let kick_s: Vec<f32> = kick().collect();
    let clap_s = clap(&mut noise);
    let hat_s = hat(&mut noise, false);
    let open_s = hat(&mut noise, true);
    for bar in 0..BARS {
        let section = SECTIONS.iter().rev().find(|(b, _)| bar >= *b).map_or("intro", |s| s.1);
        let chord = bar % 4;
        let root = song.chords[chord] as f32;
        let minor = song.minor[chord];
        let (drums, bassline, keys, lead) = match section {
            "intro" => (true, bar >= 4, false, false),
            "main" => (true, true, true, false),
            "break" => (false, false, true, true),
            "drop" => (true, true, true, true),
            _ => (true, bar < 30, false, false),
        };
        let bar_at = bar * bar_len;
        if keys {
            mix(&mut buf, bar_at, 0.0, pad(root, minor, bar_len, &mut noise));
        }
        for step in 0..16 {
            let at = bar_at + (step as f32 * step_len) as usize;
            let len = step_len as usize;
            if drums {
                if hits(song.kick, step) {
                    mix(&mut buf, at, 0.0, kick_s.iter().copied());
                }
                if hits(song.clap, step) && bar >= 2 {
                    mix(&mut buf, at, 0.1, clap_s.iter().copied());
                }
                if hits(song.hat, step) {
                    let open = step % 4 == 2 && section == "drop";
                    let s = if open { &open_s } else { &hat_s };
                    mix(&mut buf, at, -0.3, s.iter().copied());
                }
            }
            if bassline && let Some(d) = song.bass.as_bytes().get(step).and_then(|c| (*c as char).to_digit(10)) {
                mix(&mut buf, at, 0.0, bass(root - 24.0 + d as f32, len * 2));
            }
            if lead {
                let third = if minor { 3.0 } else { 4.0 };
                let arp = [0.0, third, 7.0, 12.0, 7.0, third, 12.0, 15.0];
                let note = root + 12.0 + arp[step % 8];
                if song.arp {
                    let pan = if step % 2 == 0 { -0.4 } else { 0.4 };
                    mix(&mut buf, at, pan, pluck(note, len * 3));
                } else {
                    let accent = if step % 3 == 0 { 1.0 } else { 0.45 };
                    mix(&mut buf, at, 0.0, acid(note - 12.0, len, accent));
                }
            }
        }
    }
    buf.truncate(bar_len * BARS);
    let peak = buf.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()));
    let gain = 0.89 / peak.max(1e-6);
    for f in &mut buf {
        f[0] *= gain;
        f[1] *= gain;
    }
    buf
}

fn write_wav(path: &Path, frames: &[[f32; 2]]) -> Result<(), String> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(|e| e.to_string())?;
    for s in frames.iter().flatten() {
        w.write_sample((s * 32767.0) as i16).map_err(|e| e.to_string())?;
    }
    w.finalize().map_err(|e| e.to_string())
}

fn encode(wav: &Path, ogg: &Path) -> Result<(), String> {
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(wav)
        .args(["-c:a", "libvorbis", "-q:a", "3"])
        .arg(ogg)
        .status()
        .map_err(|e| format!("cannot run ffmpeg (needed to encode Ogg Vorbis): {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("ffmpeg failed to encode '{}'", ogg.display()))
}

/// The set file: the first two tracks on decks 1 and 2 (A and B), the others on 3 and 4.
fn set_text() -> String {
    let mut s = String::from(
        "// The bundled demo set: four tracks synthesised by `cargo run --example demo_set`.\n\
         // Hot cues mark each section; decks 1/2 sit on crossfader sides A/B.\n\
         SetFile(\n    version: 1,\n    bpm: 124.0,\n    quantum: 4.0,\n    launch: Bar,\n    decks: [\n",
    );
    let sides = ["A", "B", "A", "B"];
    for (i, song) in SONGS.iter().enumerate() {
        let bar = 4.0 * 60.0 / song.bpm as f64;
        let _ = writeln!(
            s,
            "        (\n            track: (file: \"{}\", bpm: {:.1}),\n            hot_cues: [",
            song.file, song.bpm
        );
        for (slot, (b, name)) in SECTIONS.iter().enumerate() {
            let [r, g, bl] = phosphene_decks::PAD_COLOURS[slot];
            let _ = writeln!(
                s,
                "                (slot: {slot}, seconds: {:.6}, name: \"{name}\", colour: ({r}, {g}, {bl})),",
                *b as f64 * bar
            );
        }
        let _ = writeln!(
            s,
            "            ],\n            controls: (xfader: {}, volume: {}),\n        ),",
            sides[i],
            if i < 2 { "1.0" } else { "0.8" }
        );
    }
    s.push_str("    ],\n    mixer: (crossfader: -1.0),\n)\n");
    s
}

fn run(out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create '{}': {e}", out.display()))?;
    for song in &SONGS {
        let frames = render(song);
        let wav = std::env::temp_dir().join(format!("phosphene-demo-{}.wav", std::process::id()));
        write_wav(&wav, &frames)?;
        let ogg: PathBuf = out.join(song.file);
        let result = encode(&wav, &ogg);
        let _ = std::fs::remove_file(&wav);
        result?;
        eprintln!(
            "{} ({} BPM, {:.1} s) -> {}",
            song.name,
            song.bpm,
            frames.len() as f32 / RATE as f32,
            ogg.display()
        );
    }
    let set = out.join("demo.set.ron");
    std::fs::write(&set, set_text()).map_err(|e| format!("cannot write '{}': {e}", set.display()))?;
    eprintln!("set -> {}", set.display());
    Ok(())
}

fn main() -> ExitCode {
    let out = std::env::args().nth(1).unwrap_or_else(|| "assets/demo".into());
    match run(Path::new(&out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo_set: {e}");
            ExitCode::FAILURE
        }
    }
}
