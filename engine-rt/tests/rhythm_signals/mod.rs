//! Synthetic test signals.
#![allow(dead_code, reason = "each test file uses a subset")]

use engine_rt::track_analysis::rhythm::{Rhythm, RhythmAnalyser};

/// Deterministic xorshift noise in -1..1.
pub struct Noise(pub u64);
impl Noise {
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// Adds a kick drum (decaying pitch-swept sine) at `t` seconds.
pub fn kick(buf: &mut [f32], sr: u32, t: f64, gain: f32) {
    let start = (t * sr as f64).round() as usize;
    let len = (0.25 * sr as f64) as usize;
    let mut phase = 0.0f64;
    for i in 0..len {
        let Some(s) = buf.get_mut(start + i) else { break };
        let x = i as f64 / sr as f64;
        let f = 50.0 + 100.0 * (-x * 30.0).exp();
        phase += std::f64::consts::TAU * f / sr as f64;
        *s += gain * (phase.sin() * (-x * 12.0).exp()) as f32;
    }
}

/// Adds a click / hi-hat (decaying noise burst) at `t` seconds.
pub fn click(buf: &mut [f32], sr: u32, t: f64, gain: f32, noise: &mut Noise) {
    let start = (t * sr as f64).round() as usize;
    let len = (0.05 * sr as f64) as usize;
    for i in 0..len {
        let Some(s) = buf.get_mut(start + i) else { break };
        let x = i as f64 / sr as f64;
        *s += gain * noise.next() * (-x * 80.0).exp() as f32;
    }
}

/// Adds a sustained tone (a "chord") from `t0` to `t1`.
pub fn tone(buf: &mut [f32], sr: u32, t0: f64, t1: f64, freq: f64, gain: f32) {
    let (a, b) = ((t0 * sr as f64) as usize, ((t1 * sr as f64) as usize).min(buf.len()));
    for (i, s) in buf.iter_mut().enumerate().take(b).skip(a) {
        let x = (i - a) as f64 / sr as f64;
        let env = (x * 200.0).min(1.0) * (-x * 2.0).exp();
        *s += gain * (env * (std::f64::consts::TAU * freq * x).sin()) as f32;
    }
}

/// Beat times for a constant tempo starting at `start`, up to `dur`.
pub fn grid(bpm: f64, start: f64, dur: f64) -> Vec<f64> {
    let p = 60.0 / bpm;
    (0..)
        .map(|k| start + k as f64 * p)
        .take_while(|&t| t < dur - 0.3)
        .collect()
}

/// A simple drum pattern on `beats`: kick on bar beats 1 (and 3 in 4/4), snare-like clicks on
/// the others, hi-hat eighths, and a bass tone change every bar.
pub fn drums(sr: u32, dur: f64, beats: &[f64], per_bar: usize, seed: u64) -> Vec<f32> {
    let mut buf = vec![0.0f32; (dur * sr as f64) as usize];
    let mut nz = Noise(seed | 1);
    for (i, &t) in beats.iter().enumerate() {
        let pos = i % per_bar;
        if pos == 0 || (per_bar == 4 && pos == 2) {
            kick(&mut buf, sr, t, if pos == 0 { 0.8 } else { 0.5 });
        } else {
            click(&mut buf, sr, t, 0.4, &mut nz);
        }
        if let Some(&next) = beats.get(i + 1) {
            click(&mut buf, sr, 0.5 * (t + next), 0.1, &mut nz);
        }
        if pos == 0 {
            let end = beats.get(i + per_bar).copied().unwrap_or(dur);
            let f = [110.0, 146.8, 164.8, 98.0][(i / per_bar) % 4];
            tone(&mut buf, sr, t, end, f, 0.25);
            tone(&mut buf, sr, t, end, f * 2.5, 0.1);
        }
    }
    buf
}

/// Runs the analyser on `buf` in uneven chunks.
pub fn analyse(sr: u32, buf: &[f32]) -> Option<Rhythm> {
    let mut a = RhythmAnalyser::new(sr);
    let mut i = 0;
    let mut k = 0usize;
    while i < buf.len() {
        let n = [1, 333, 4096, 10_000, 77][k % 5];
        let j = (i + n).min(buf.len());
        a.push(&buf[i..j]);
        i = j;
        k += 1;
    }
    a.finish()
}
