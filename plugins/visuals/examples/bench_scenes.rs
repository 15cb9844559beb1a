//! Frame time of every scene on the headless device (lavapipe here, a GPU where there is one),
//! driven by the analysis of the demo session's real audio. Prints one machine-readable line
//! per scene, then the adapter:
//!
//! `cargo run --release -p phosphene_visuals --example bench_scenes -- [--size 640x360] [--frames 150]`

use std::path::Path;
use std::time::Instant;

use engine_rt::Session;
use phosphene_visuals::director::Director;
use phosphene_visuals::library::{SceneLibrary, scenes_dir};
use phosphene_visuals::offline::{Stage, Timeline};

const RATE: u32 = 48_000;
const FPS: f64 = 60.0;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let size = arg("--size").unwrap_or_else(|| "640x360".into());
    let (w, h) = size.split_once('x').ok_or("--size WxH")?;
    let size = (w.parse()?, h.parse()?);
    let frames: u64 = arg("--frames").map_or(Ok(150), |f| f.parse())?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo.session.ron");
    let session = Session::load(&script)?;
    let mut analysis = Vec::new();
    engine_rt::script::render_analysed(&session, script.parent().ok_or("script dir")?, RATE, 512, |f| {
        analysis.push(f)
    })?;
    let library = SceneLibrary::open(&scenes_dir());
    let mut stage = Stage::new(size, &library)?;
    let ids: Vec<String> = library.scenes().map(|s| s.id.clone()).collect();
    for id in ids {
        let mut director = Director::default();
        director.show.start(&id, 0.0);
        let mut timeline = Timeline::default();
        analysis.iter().cloned().for_each(|f| timeline.push(f));
        let mut times = Vec::new();
        // Start a few seconds in, where the music is full.
        let start = 8.0 * RATE as f64;
        for n in 0..frames {
            let sample = (start + n as f64 * RATE as f64 / FPS) as u64;
            let plan = timeline.plan(&mut director, &library, sample, (1.0 / FPS) as f32, RATE);
            let t = Instant::now();
            stage.draw(&plan, false)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        // The first frames include pipeline warm-up.
        let mut steady: Vec<f64> = times.iter().skip(10).copied().collect();
        steady.sort_by(f64::total_cmp);
        let mean = steady.iter().sum::<f64>() / steady.len().max(1) as f64;
        let p95 = steady.get(steady.len() * 95 / 100).copied().unwrap_or(0.0);
        let max = steady.last().copied().unwrap_or(0.0);
        println!(
            "scene={id} size={}x{} frames={frames} mean_ms={mean:.2} p95_ms={p95:.2} max_ms={max:.2} fps={:.1}",
            size.0,
            size.1,
            1000.0 / mean
        );
    }
    println!("adapter=\"{}\"", stage.gpu.adapter);
    Ok(())
}
