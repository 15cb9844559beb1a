//! Every bundled scene on a real (software) GPU: compiles, reacts to the audio, survives a
//! broken edit, renders deterministically. Needs a Vulkan driver (Mesa's lavapipe here).

use engine_rt::analysis::{BANDS, SPECTRUM_BINS, WAVEFORM_LEN};
use engine_rt::{AnalysisFrame, Source};
use phosphene_visuals::director::Director;
use phosphene_visuals::library::{SceneLibrary, scenes_dir};
use phosphene_visuals::offline::Stage;
use phosphene_visuals::scene::Scene;

const SIZE: (u32, u32) = (320, 180);
const RATE: u32 = 48_000;
const FPS: f32 = 30.0;

/// A master frame at video frame `n`: silent, or a kick-heavy mix with a bass hit every beat.
fn frame(n: u64, loud: bool) -> AnalysisFrame {
    let sample_time = n * RATE as u64 / FPS as u64;
    let beat = sample_time as f64 / RATE as f64 * 2.0;
    let mut spectrum = [0.0; SPECTRUM_BINS];
    let mut waveform = [0.0; WAVEFORM_LEN];
    if loud {
        for (k, m) in spectrum.iter_mut().enumerate() {
            *m = 0.8 / (1.0 + k as f32 * 0.05);
        }
        for (i, w) in waveform.iter_mut().enumerate() {
            *w = 0.8 * (i as f32 * 0.15).sin();
        }
    }
    let hit = loud && n.is_multiple_of(15);
    let level = if loud { 0.9 } else { 0.0 };
    AnalysisFrame {
        source: Source::Master,
        sample_time,
        beat,
        bpm: 120.0,
        beat_phase: beat.fract() as f32,
        bar_phase: (beat / 4.0).fract() as f32,
        rms: level * 0.5,
        peak: level,
        bass: level,
        mid: level * 0.5,
        high: level * 0.3,
        bands: [level; BANDS],
        onset: hit,
        onset_strength: if hit { 0.8 } else { 0.0 },
        hits: [hit, false, false],
        pitch: None,
        spectrum,
        waveform,
    }
}

struct Bench {
    stage: Stage,
    library: SceneLibrary,
}

impl Bench {
    fn new() -> Self {
        let library = SceneLibrary::open(&scenes_dir());
        let errors: Vec<String> = library.errors().map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let stage = Stage::new(SIZE, &library).unwrap_or_else(|e| panic!("{e}"));
        Self { stage, library }
    }

    /// Renders `frames` video frames of `scene` from fresh state; returns the last one.
    fn run(&mut self, scene: &str, frames: u64, loud: bool) -> Vec<u8> {
        let mut director = Director::default();
        director.show.start(scene, 0.0);
        let mut last = Vec::new();
        for n in 0..frames {
            let f = frame(n, loud);
            let plan = director.plan(&self.library, Some(&f), [&f], [None; 4], 1.0 / FPS, RATE);
            last = self.stage.draw(&plan, true).expect("draw").unwrap_or_default();
        }
        last
    }
}

fn mean_brightness(rgba: &[u8]) -> f64 {
    rgba.chunks(4)
        .map(|p| (p[0] as f64 + p[1] as f64 + p[2] as f64) / 3.0)
        .sum::<f64>()
        / (rgba.len() / 4) as f64
}

fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).abs()).sum::<f64>() / a.len() as f64
}

fn ids(library: &SceneLibrary) -> Vec<String> {
    library.scenes().map(|s| s.id.clone()).collect()
}

#[test]
fn every_scene_renders_non_black_and_reacts_to_bass() {
    let mut bench = Bench::new();
    let scenes = ids(&bench.library);
    assert!(scenes.len() >= 6, "{scenes:?}");
    for id in &scenes {
        let loud = bench.run(id, 20, true);
        let silent = bench.run(id, 20, false);
        let brightness = mean_brightness(&loud);
        let difference = mean_difference(&loud, &silent);
        eprintln!("{id}: brightness {brightness:.2}, silent vs bass {difference:.2}");
        assert!(brightness > 2.0, "{id} renders black with music ({brightness:.2})");
        assert!(difference > 1.0, "{id} barely reacts to the audio ({difference:.2})");
    }
}

#[test]
fn a_scene_the_gpu_rejects_keeps_its_last_good_version() {
    let mut bench = Bench::new();
    let good = bench.run("tunnel", 3, true);
    // Valid WGSL, but it binds a group the renderer does not provide: only the GPU can tell.
    let path = scenes_dir().join("tunnel.wgsl");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "@fragment",
        "@group(3) @binding(0) var<uniform> stray: vec4<f32>;\n@fragment",
    );
    let text = text.replace("return vec4<f32>(colour * fog", "return stray + vec4<f32>(colour * fog");
    let broken = Scene::parse(&path, &text).expect("passes the CPU checks");
    let e = bench
        .stage
        .renderer
        .compile(&bench.stage.gpu.device, &broken)
        .unwrap_err();
    assert!(e.to_string().contains("tunnel.wgsl"), "{e}");
    assert_eq!(bench.run("tunnel", 3, true), good, "the last good tunnel still draws");
}

#[test]
fn the_same_audio_renders_the_same_pixels() {
    let mut a = Bench::new();
    let mut b = Bench::new();
    for id in ["particles", "trails"] {
        assert_eq!(a.run(id, 12, true), b.run(id, 12, true), "{id}");
    }
}
