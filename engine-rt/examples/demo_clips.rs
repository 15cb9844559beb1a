//! Writes the demo clips used by `examples/demo.session.ron`: a drum loop and a bass/chord loop
//! at 124 BPM, sixteen bars each, synthesised from scratch so the demo needs no downloads.
//!
//! `cargo run -p engine-rt --example demo_clips -- OUT_DIR`

use std::f32::consts::TAU;
use std::path::PathBuf;

const RATE: u32 = 44_100;
const BPM: f32 = 124.0;
const BARS: usize = 16;

fn beat_len() -> usize {
    (60.0 / BPM * RATE as f32) as usize
}

/// Deterministic noise for hats and snares.
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 as f32 / u32::MAX as f32 * 2.0 - 1.0
    }
}

fn add(buf: &mut [[f32; 2]], at: usize, sound: impl Iterator<Item = f32>, pan: f32) {
    for (i, s) in sound.enumerate() {
        if let Some(f) = buf.get_mut(at + i) {
            f[0] += s * (1.0 - pan);
            f[1] += s * (1.0 + pan);
        }
    }
}

fn kick() -> impl Iterator<Item = f32> {
    let mut phase = 0.0f32;
    (0..RATE as usize / 3).map(move |i| {
        let t = i as f32 / RATE as f32;
        phase += TAU * (45.0 + 110.0 * (-t * 30.0).exp()) / RATE as f32;
        phase.sin() * (-t * 9.0).exp() * 0.9
    })
}

fn drums() -> Vec<[f32; 2]> {
    let b = beat_len();
    let mut buf = vec![[0.0; 2]; b * 4 * BARS];
    let mut noise = Noise(0x1234_5678);
    for beat in 0..4 * BARS {
        add(&mut buf, beat * b, kick(), 0.0);
        let hat: Vec<f32> = (0..RATE as usize / 20)
            .map(|i| noise.next() * (-(i as f32) / RATE as f32 * 90.0).exp() * 0.25)
            .collect();
        add(&mut buf, beat * b + b / 2, hat.into_iter(), 0.3);
        if beat % 2 == 1 {
            let snare: Vec<f32> = (0..RATE as usize / 6)
                .map(|i| {
                    let t = i as f32 / RATE as f32;
                    (noise.next() * 0.5 + (TAU * 190.0 * t).sin() * 0.3) * (-t * 22.0).exp() * 0.6
                })
                .collect();
            add(&mut buf, beat * b, snare.into_iter(), -0.1);
        }
    }
    buf
}

fn synth() -> Vec<[f32; 2]> {
    let b = beat_len();
    let mut buf = vec![[0.0; 2]; b * 4 * BARS];
    // A minor, F, C, G: roots for the bass, triads for the pad.
    let chords: [[f32; 3]; 4] = [
        [57.0, 60.0, 64.0],
        [53.0, 57.0, 60.0],
        [48.0, 52.0, 55.0],
        [55.0, 59.0, 62.0],
    ];
    let hz = |midi: f32| 440.0 * 2f32.powf((midi - 69.0) / 12.0);
    for bar in 0..BARS {
        let chord = chords[bar % 4];
        for eighth in 0..8 {
            let f = hz(chord[0] - 24.0);
            let note = (0..b / 2).map(move |i| {
                let t = i as f32 / RATE as f32;
                let saw = 2.0 * (f * t).fract() - 1.0;
                saw * (-t * 6.0).exp() * 0.35
            });
            add(&mut buf, bar * 4 * b + eighth * b / 2, note, 0.0);
        }
        for (k, &m) in chord.iter().enumerate() {
            let f = hz(m);
            let pad = (0..4 * b).map(move |i| {
                let t = i as f32 / RATE as f32;
                let env = (t * 8.0).min(1.0) * (1.0 - i as f32 / (4 * b) as f32);
                (TAU * f * t).sin() * env * 0.12
            });
            add(&mut buf, bar * 4 * b, pad, k as f32 * 0.3 - 0.3);
        }
    }
    buf
}

fn write(path: &PathBuf, frames: &[[f32; 2]]) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for f in frames {
        for s in f {
            w.write_sample((s.clamp(-1.0, 1.0) * 32_767.0) as i16)?;
        }
    }
    w.finalize()
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "examples/demo-clips".into()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create '{}': {e}", dir.display());
        std::process::exit(1);
    }
    for (name, frames) in [("drums.wav", drums()), ("synth.wav", synth())] {
        let path = dir.join(name);
        if let Err(e) = write(&path, &frames) {
            eprintln!("cannot write '{}': {e}", path.display());
            std::process::exit(1);
        }
        println!("wrote {}", path.display());
    }
}
