//! The control layer's cost: four MIDI devices streaming 1,000 messages a second each through
//! mapping files into the decks, measured per UI frame (the app's update) and per audio block
//! (the engine applying what the moves became), against the same app with no input.
//!
//! `cargo run --example bench_controls -- [--frames 3000]`
//!
//! Prints one line of `key=value` figures per case.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use engine_rt::{Engine, EngineConfig, EngineProcessor};
use phosphene_controls::change::{ControlInput, InputEvent};
use phosphene_controls::devices::{DeviceClass, DeviceId};
use phosphene_controls::midi::assemble::Event;
use phosphene_controls::{ControlsPlugin, Devices, MappingPaths};
use phosphene_decks::DecksPlugin;
use phosphene_engine_bridge::{EngineBridgePlugin, EngineLink};

const RATE: u32 = 48_000;
const FPS: usize = 60;
const DEVICES: usize = 4;
const MESSAGES_PER_SECOND: usize = 1000;
/// Knobs per device: each drives a deck control.
const KNOBS: [&str; 8] = [
    "filter",
    "resonance",
    "volume",
    "gain",
    "eq/low",
    "eq/mid",
    "eq/high",
    "fx/1/amount",
];
const BLOCK: usize = 256;

fn mapping() -> String {
    let mut bindings = String::new();
    for d in 0..DEVICES {
        for (k, what) in KNOBS.iter().enumerate() {
            bindings.push_str(&format!(
                "(device: \"box {d}\", input: Some(Cc(channel: 1, cc: {k})), to: \"/deck/{}/{what}\", \
                 options: (takeover: None, curve: S)),\n",
                d + 1
            ));
        }
    }
    format!("(bindings: [{bindings}])")
}

fn rig(mapping: &std::path::Path) -> (App, EngineProcessor, Vec<DeviceId>) {
    let config = EngineConfig {
        sample_rate: RATE,
        decks: DEVICES,
        analysis: engine_rt::AnalysisMode::Off,
        ..EngineConfig::default()
    };
    let (handle, processor) = Engine::new(config).expect("engine");
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        EngineBridgePlugin,
        DecksPlugin { decks: DEVICES },
        ControlsPlugin {
            decks: DEVICES,
            midi: false,
            mappings: MappingPaths {
                extra: vec![mapping.to_path_buf()],
                ..default()
            },
        },
    ))
    .insert_resource(EngineLink::inline(handle));
    app.update();
    let ids = (0..DEVICES)
        .map(|d| {
            app.world_mut()
                .resource_mut::<Devices>()
                .connect(&format!("box {d}"), DeviceClass::Midi, 0)
        })
        .collect();
    (app, processor, ids)
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

fn run(frames: usize, loaded: bool, mapping: &std::path::Path) {
    let (mut app, mut processor, ids) = rig(mapping);
    let per_frame = DEVICES * MESSAGES_PER_SECOND / FPS;
    let mut update_ms = Vec::with_capacity(frames);
    let mut block_ms = Vec::with_capacity(frames * 4);
    let mut out = vec![0.0f32; BLOCK * 2];
    let mut n = 0u64;
    let frame_frames = RATE as usize / FPS;
    for f in 0..frames {
        if loaded {
            let at = Instant::now();
            for m in 0..per_frame {
                n += 1;
                let device = ids[m % DEVICES];
                let cc = (m / DEVICES % KNOBS.len()) as u8;
                let value = ((n * 7 + f as u64) % 128) as u8;
                let event = InputEvent::Midi(Event::Cc { channel: 0, cc, value });
                app.world_mut().write_message(ControlInput {
                    device,
                    event,
                    at: at + Duration::from_micros(m as u64 * 250),
                });
            }
        }
        let t = Instant::now();
        app.update();
        update_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let mut done = 0;
        while done < frame_frames {
            let t = Instant::now();
            processor.process(&mut out, 2);
            block_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            done += BLOCK;
        }
    }
    println!(
        "case={} messages_per_second={} frames={frames} update_median_ms={:.3} update_p99_ms={:.3} update_max_ms={:.3} \
         block_median_ms={:.4} block_p99_ms={:.4} block_max_ms={:.4} block_budget_ms={:.2}",
        if loaded { "4-devices" } else { "idle" },
        if loaded { DEVICES * MESSAGES_PER_SECOND } else { 0 },
        quantile(&mut update_ms, 0.5),
        quantile(&mut update_ms, 0.99),
        quantile(&mut update_ms, 1.0),
        quantile(&mut block_ms, 0.5),
        quantile(&mut block_ms, 0.99),
        quantile(&mut block_ms, 1.0),
        BLOCK as f64 * 1000.0 / f64::from(RATE),
    );
}

fn main() {
    let mut frames = 3000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--frames" {
            frames = args.next().and_then(|v| v.parse().ok()).unwrap_or(frames);
        }
    }
    let dir = std::env::temp_dir().join(format!("phos-bench-controls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bench.ron");
    std::fs::write(&path, mapping()).expect("write mapping");
    run(frames, false, &path);
    run(frames, true, &path);
    let _ = std::fs::remove_dir_all(&dir);
}
