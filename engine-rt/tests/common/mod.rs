//! Helpers shared by the engine's behaviour tests.
#![allow(dead_code, reason = "compiled into every test binary, each using a subset")]

use engine_rt::backend::offline;
use engine_rt::{Engine, EngineConfig, EngineEvent, EngineHandle, EngineProcessor, Track};

pub const SR: u32 = 48_000;

/// A track from a per-frame function.
pub fn track(name: &str, frames: usize, bpm: Option<f64>, f: impl Fn(usize) -> f32) -> Track {
    Track {
        name: name.into(),
        path: None,
        sample_rate: SR,
        frames: (0..frames)
            .map(|i| {
                let v = f(i);
                [v, v]
            })
            .collect(),
        bpm,
        first_beat: 0.0,
    }
}

/// Silence with a single full-scale sample at `at`.
pub fn impulse(frames: usize, at: usize) -> Track {
    track("impulse", frames, Some(120.0), |i| if i == at { 1.0 } else { 0.0 })
}

/// A sine at `hz` and `amp`.
pub fn sine(frames: usize, hz: f64, amp: f32) -> Track {
    track("sine", frames, Some(120.0), move |i| {
        (amp as f64 * (std::f64::consts::TAU * hz * i as f64 / SR as f64).sin()) as f32
    })
}

/// White noise from a fixed seed.
pub fn noise(frames: usize, amp: f32) -> Track {
    let mut s = 0x9E37_79B9u32;
    let v: Vec<f32> = (0..frames)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 * 2.0 - 1.0) * amp
        })
        .collect();
    track("noise", frames, Some(120.0), move |i| v[i])
}

/// An engine at 48 kHz, 120 BPM, without the analysis thread.
pub fn engine() -> (EngineHandle, EngineProcessor) {
    engine_with(|_| {})
}

/// An engine with a tweaked configuration.
pub fn engine_with(f: impl FnOnce(&mut EngineConfig)) -> (EngineHandle, EngineProcessor) {
    let mut c = EngineConfig {
        analysis: engine_rt::AnalysisMode::Off,
        ..EngineConfig::default()
    };
    f(&mut c);
    Engine::new(c).expect("valid config")
}

/// Renders `frames` stereo frames in blocks of `block`.
pub fn render(p: &mut EngineProcessor, frames: usize, block: usize) -> Vec<f32> {
    let mut out = Vec::new();
    offline::render(p, frames, block, &mut out, |_| {});
    out
}

/// Left channel of interleaved stereo.
pub fn left(s: &[f32]) -> Vec<f32> {
    s.iter().step_by(2).copied().collect()
}

/// All pending events.
pub fn events(h: &mut EngineHandle) -> Vec<EngineEvent> {
    std::iter::from_fn(|| h.poll_event()).collect()
}

/// Frame and beat at which intent `id` was applied, from the pending events.
pub fn applied(h: &mut EngineHandle, id: u64) -> Option<(u64, f64)> {
    events(h).into_iter().find_map(|e| match e {
        EngineEvent::Applied { id: i, frame, beat } if i == id => Some((frame, beat)),
        _ => None,
    })
}

/// Magnitude spectrum (bins 0..n/2) of `x` with a Hann window.
pub fn spectrum(x: &[f32]) -> Vec<f32> {
    use realfft::RealFftPlanner;
    let n = x.len();
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
    let mut input: Vec<f32> = x
        .iter()
        .enumerate()
        .map(|(i, v)| v * (0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos()))
        .collect();
    let mut out = fft.make_output_vec();
    fft.process(&mut input, &mut out).expect("fft");
    out.iter().map(|c| c.norm()).collect()
}

/// Frequency of the strongest bin of `x`, refined by parabolic interpolation.
pub fn peak_hz(x: &[f32]) -> f64 {
    let s = spectrum(x);
    let k = (1..s.len() - 1).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap();
    let (a, b, c) = (s[k - 1] as f64, s[k] as f64, s[k + 1] as f64);
    let shift = 0.5 * (a - c) / (a - 2.0 * b + c);
    (k as f64 + shift) * SR as f64 / x.len() as f64
}

/// Index of the first sample whose magnitude exceeds `threshold`.
pub fn first_above(x: &[f32], threshold: f32) -> Option<usize> {
    x.iter().position(|v| v.abs() > threshold)
}

/// The `BeatClock` methods a test clock (one with hooks of its own, e.g. an injected timeline
/// move) leaves to its `inner` engine clock: expands inside its `impl BeatClock`.
#[allow(
    unused_macros,
    reason = "compiled into every test binary, used by those with a test clock"
)]
macro_rules! beat_clock_from_inner {
    () => {
        fn beat_at(&self, frame: f64) -> f64 {
            self.inner.beat_at(frame)
        }
        fn frame_at(&self, beat: f64) -> f64 {
            self.inner.frame_at(beat)
        }
        fn bpm_at(&self, frame: f64) -> f64 {
            self.inner.bpm_at(frame)
        }
        fn quantum(&self) -> f64 {
            self.inner.quantum()
        }
        fn set_tempo(&mut self, frame: f64, bpm: f64, ramp_frames: f64) {
            self.inner.set_tempo(frame, bpm, ramp_frames);
        }
    };
}
#[allow(
    unused_imports,
    reason = "compiled into every test binary, used by those with a test clock"
)]
pub(crate) use beat_clock_from_inner;
