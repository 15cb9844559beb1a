//! Shared pieces of the bench examples (included with `#[path]`; each uses a subset).
#![allow(dead_code, reason = "included by several examples, each using a subset")]

use engine_rt::{Engine, EngineConfig, EngineHandle, EngineProcessor, Track};

/// Builds an engine or exits with the configuration error.
pub fn engine(config: EngineConfig) -> (EngineHandle, EngineProcessor) {
    Engine::new(config).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    })
}

/// A deterministic test signal with tonal and noisy content, `seconds` long at `rate`.
pub fn music(seconds: f64, rate: u32, seed: u32) -> Track {
    let n = (seconds * rate as f64) as usize;
    let mut s = seed.max(1);
    let base = 110.0 * (1.0 + seed as f64 * 0.13);
    let frames = (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let t = i as f64 / rate as f64;
            let noise = (s as f64 / u32::MAX as f64 - 0.5) * 0.1 * (-(t * 2.0).fract() * 8.0).exp();
            let tone =
                (std::f64::consts::TAU * base * t).sin() * 0.3 + (std::f64::consts::TAU * base * 1.5 * t).sin() * 0.15;
            let v = (tone + noise) as f32;
            [v, v * 0.9]
        })
        .collect();
    Track {
        name: format!("music{seed}"),
        path: None,
        sample_rate: rate,
        frames,
        bpm: Some(120.0),
        first_beat: 0.0,
    }
}

/// Value of `--name VALUE` in the arguments, parsed.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether `--name` is present.
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}
