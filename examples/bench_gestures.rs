//! Camera gestures, timed on one core: the motion features per frame at 320x240 and 640x480,
//! the hand model per frame in tracking mode (as the app runs it), the time from a frame's
//! capture to its control change in the control map (motion, and the model when it can be
//! had), and the lag of the default one-euro smoothing on a fast move.
//!
//! ```text
//! cargo run --release --example bench_gestures [-- --models DIR]
//! ```
//!
//! `DIR` defaults to `assets/models/hands` (written by the setup and test commands). The last
//! line is `motion_p50_ms=<f> motion_p99_ms=<f> model_p50_ms=<f|none>` (640x480 motion; the
//! model in tracking mode, `none` when it cannot be had).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use engine_rt::{Engine, EngineConfig, EngineProcessor};
use phosphene_controls::binding::smooth::Smoother;
use phosphene_controls::mapping::runtime::GESTURE_SMOOTHING;
use phosphene_controls::{ControlChange, ControlSet, ControlsPlugin, MappingPaths, Source};
use phosphene_decks::DecksPlugin;
use phosphene_engine_bridge::{EngineBridgePlugin, EngineLink};
use phosphene_gestures::frame::y4m::Y4mWriter;
use phosphene_gestures::frame::{Frame, Pixels, Rate};
use phosphene_gestures::motion::clip::{Clip, ClipSpec, Path as ClipPath};
use phosphene_gestures::motion::{MotionTracker, Zone};
use phosphene_gestures::{CameraChoice, CameraConfig, GesturesPlugin, HandsChoice};

/// Frames measured before timing starts (the background is learnt).
const WARMUP: usize = 60;
/// Frames timed per measure.
const TIMED: usize = 400;
/// Control changes timed for the capture-to-control latency.
const CHANGES: usize = 150;

type BoxError = Box<dyn std::error::Error>;

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// A clip of a hand-like shape circling, wandering and sweeping over a textured scene.
fn clip(width: usize, height: usize) -> Clip {
    let third = TIMED / 3;
    ClipSpec::new(width, height, 42)
        .then(ClipPath::Absent, WARMUP)
        .then(
            ClipPath::Circle {
                centre: (0.5, 0.5),
                radius: 0.25,
                turns: 2.0,
            },
            third,
        )
        .then(
            ClipPath::RandomWalk {
                start: (0.5, 0.5),
                step: 0.03,
            },
            third,
        )
        .then(
            ClipPath::Linear {
                from: (0.2, 0.8),
                to: (0.8, 0.2),
            },
            TIMED - 2 * third,
        )
        .render()
}

/// Motion features and detectors per frame, with three zones: (p50, p99) in ms.
fn motion(width: usize, height: usize) -> Result<(f64, f64), BoxError> {
    let clip = clip(width, height);
    let zones = vec![
        Zone::new("left", 0.0, 0.0, 0.5, 1.0),
        Zone::new("right", 0.5, 0.0, 1.0, 1.0),
        Zone::new("top", 0.2, 0.0, 0.8, 0.3),
    ];
    let mut tracker = MotionTracker::new(zones)?;
    let mut ms = Vec::with_capacity(TIMED);
    for (i, frame) in clip.frames.iter().enumerate() {
        let start = Instant::now();
        std::hint::black_box(tracker.process(frame, width, height, Clip::time(i))?);
        if i >= WARMUP {
            ms.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok((quantile(&mut ms, 0.5), quantile(&mut ms, 0.99)))
}

/// The hand model in tracking mode as the app runs it: (p50, p95) in ms, or why not.
#[cfg(feature = "hands")]
fn model(dir: &Path) -> Result<(f64, f64), String> {
    use phosphene_gestures::hands::synthetic::draw_hand;
    use phosphene_gestures::hands::{HandModels, HandTracker, ModelPaths, TrackerConfig};
    let paths = ModelPaths::in_dir(dir, false);
    let models = HandModels::load(&paths, 1).map_err(|e| e.to_string())?;
    let mut tracker = HandTracker::new(models, TrackerConfig::default());
    let (w, h) = (640, 480);
    let mut ms = Vec::with_capacity(TIMED);
    let mut found = 0;
    for i in 0..TIMED {
        let t = i as f32 / TIMED as f32 * std::f32::consts::TAU;
        let rgb = draw_hand(w, h, 1.0, 0.2 * t.sin(), (60.0 * t.cos(), 20.0 * t.sin())).rgb;
        let start = Instant::now();
        found += tracker.process(&rgb, w, h).map_err(|e| e.to_string())?.len();
        ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    println!("model: lite, ONNX Runtime (ort 2.0.0-rc.15, load-dynamic), 1 thread; hands in {found}/{TIMED} frames");
    Ok((quantile(&mut ms, 0.5), quantile(&mut ms, 0.95)))
}

#[cfg(not(feature = "hands"))]
fn model(_: &Path) -> Result<(f64, f64), String> {
    Err("built without the `hands` feature".into())
}

/// Capture time of each camera change that reached the control map, as it got there.
#[derive(Resource, Default)]
struct Latencies(Vec<f64>);

fn measure(mut changes: MessageReader<ControlChange>, mut out: ResMut<Latencies>) {
    let now = Instant::now();
    for c in changes.read() {
        if let (Source::Device(_), Some(at)) = (c.source, c.at) {
            out.0.push(now.saturating_duration_since(at).as_secs_f64() * 1e3);
        }
    }
}

/// The app with the control map and the camera playing `file`, with `binding` on deck 1's
/// filter; its frames run a millisecond apart, so the figure is the path's own time, not a UI
/// frame's wait. (p50, p99) in ms over [`CHANGES`] changes.
fn latency(file: &Path, hands: HandsChoice, input: &str, dir: &Path) -> Result<(f64, f64), BoxError> {
    let mapping = std::env::temp_dir().join(format!("phos-bench-gestures-{}.ron", std::process::id()));
    std::fs::write(
        &mapping,
        format!(
            "(bindings: [(device: \"Camera\", input: Some(Gesture({input})), to: \"/deck/1/filter\", \
             options: (takeover: None, smoothing: SlewMs(0.0)))], devices: [(name: \"Camera\", kind: Camera)])"
        ),
    )?;
    let (handle, mut processor): (_, EngineProcessor) = Engine::new(EngineConfig {
        decks: 2,
        analysis: engine_rt::AnalysisMode::Off,
        ..EngineConfig::default()
    })?;
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        EngineBridgePlugin,
        DecksPlugin { decks: 2 },
        ControlsPlugin {
            decks: 2,
            midi: false,
            mappings: MappingPaths {
                extra: vec![mapping.clone()],
                ..default()
            },
        },
        GesturesPlugin {
            config: CameraConfig {
                camera: Some(CameraChoice::File(file.to_path_buf())),
                hands,
                models: dir.to_path_buf(),
                ..default()
            },
        },
    ))
    .init_resource::<Latencies>()
    .add_systems(Update, measure.after(ControlSet::Apply))
    .insert_resource(EngineLink::inline(handle));
    let mut out = Vec::new();
    let end = Instant::now() + Duration::from_secs(120);
    while app.world().resource::<Latencies>().0.len() < CHANGES + 30 && Instant::now() < end {
        app.update();
        engine_rt::backend::offline::render(&mut processor, 256, 256, &mut out, |_| {});
        out.clear();
        // A millisecond's rest between frames, as an app waiting for its display does: a loop
        // that never rests would take the camera threads' core on a small machine.
        std::thread::sleep(Duration::from_millis(1));
    }
    std::fs::remove_file(&mapping)?;
    let mut v: Vec<f64> = app.world().resource::<Latencies>().0.iter().skip(30).copied().collect();
    if v.is_empty() {
        return Err(format!("no control change came from {}", file.display()).into());
    }
    Ok((quantile(&mut v, 0.5), quantile(&mut v, 0.99)))
}

/// Writes luma frames as a y4m file at 30 fps.
fn write_y4m(path: &Path, width: u32, height: u32, frames: impl Iterator<Item = Pixels>) -> Result<(), BoxError> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut w = Y4mWriter::new(file, width, height, Rate::fps(30), path.display().to_string())?;
    for (i, pixels) in frames.enumerate() {
        w.write_frame(&Frame::new(width, height, pixels, Instant::now(), i as u64)?)?;
    }
    w.finish()?;
    Ok(())
}

/// The one-euro smoothing's lag on a fast move (the whole travel in 150 ms, read at 30 fps),
/// where the output crosses half-way after the input did, in ms.
fn smoothing_lag() -> f64 {
    let mut s = Smoother::new(GESTURE_SMOOTHING);
    let frame_us = 33_333u64;
    s.seed(0.0, 0);
    let input = |t_us: u64| ((t_us as f64 - 1e6) / 150_000.0).clamp(0.0, 1.0);
    let (mut input_half, mut output_half) = (None, None);
    let mut t = 0;
    // Read every millisecond between frames, as the app's frames would.
    while t < 3_000_000 {
        if t % frame_us < 1000 {
            s.input(input(t - t % frame_us), t);
        }
        let out = s.value(t, 0.5).unwrap_or(0.0);
        if input_half.is_none() && input(t - t % frame_us) >= 0.5 {
            input_half = Some(t);
        }
        if output_half.is_none() && out >= 0.5 {
            output_half = Some(t);
        }
        t += 1000;
    }
    match (input_half, output_half) {
        (Some(i), Some(o)) => o.saturating_sub(i) as f64 / 1e3,
        _ => f64::NAN,
    }
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .iter()
        .position(|a| a == "--models")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| PathBuf::from("assets/models/hands"), PathBuf::from);
    let mut motion_last = (0.0, 0.0);
    for (w, h) in [(320, 240), (640, 480)] {
        motion_last = motion(w, h)?;
        println!(
            "motion {w}x{h}: p50 {:.3} ms, p99 {:.3} ms over {TIMED} frames",
            motion_last.0, motion_last.1
        );
    }
    let model = model(&dir);
    match &model {
        Ok((p50, p95)) => println!("model tracking 640x480: p50 {p50:.2} ms, p95 {p95:.2} ms over {TIMED} frames"),
        Err(e) => println!("model: none ({e})"),
    }
    let tmp = std::env::temp_dir().join(format!("phos-bench-gestures-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let motion_clip = tmp.join("motion.y4m");
    let c = clip(640, 480);
    write_y4m(&motion_clip, 640, 480, c.frames.into_iter().map(Pixels::Gray))?;
    let (p50, p99) = latency(&motion_clip, HandsChoice::Off, "Motion(Frame, Height)", &dir)?;
    println!("capture to control, motion: p50 {p50:.2} ms, p99 {p99:.2} ms over {CHANGES} changes");
    #[cfg(feature = "hands")]
    if model.is_ok() {
        use phosphene_gestures::hands::synthetic::draw_hand;
        let hand_clip = tmp.join("hand.y4m");
        let frames = (0..240).map(|i| {
            let t = i as f32 / 240.0 * std::f32::consts::TAU;
            Pixels::Rgb(draw_hand(640, 480, 1.0, 0.2 * t.sin(), (60.0 * t.cos(), 40.0 * t.sin())).rgb)
        });
        write_y4m(&hand_clip, 640, 480, frames)?;
        let (p50, p99) = latency(&hand_clip, HandsChoice::Lite, "Hand(Any, Height)", &dir)?;
        println!("capture to control, model: p50 {p50:.2} ms, p99 {p99:.2} ms over {CHANGES} changes");
    }
    println!("one-euro smoothing lag on a 150 ms sweep: {:.1} ms", smoothing_lag());
    std::fs::remove_dir_all(&tmp)?;
    let model_p50 = model.map_or_else(|_| "none".to_string(), |(p50, _)| format!("{p50:.3}"));
    println!(
        "motion_p50_ms={:.3} motion_p99_ms={:.3} model_p50_ms={model_p50}",
        motion_last.0, motion_last.1
    );
    Ok(())
}
