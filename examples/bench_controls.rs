//! The control layer's cost: four MIDI devices streaming 1,000 messages a second each through
//! mapping files into the decks, and OSC clients sending over UDP at rising rates (with
//! feedback going out to a destination), measured per UI frame (the app's update) and per audio
//! block (the engine applying what the moves became), against the same app with no input. The
//! OSC cases also say how many messages a second the server took and how many it shed.
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
use phosphene_osc::{Destination, Endpoint, OscOverrides, OscPlugin, OscStatus};

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

/// What the bench feeds the app each frame.
#[derive(Clone, Copy, PartialEq)]
enum Load {
    Idle,
    Midi,
    /// OSC messages a second.
    Osc(usize),
}

fn rig(mapping: &std::path::Path, osc: Option<(u16, u16)>) -> (App, EngineProcessor, Vec<DeviceId>) {
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
    if let Some((port, feedback)) = osc {
        app.add_plugins(OscPlugin {
            overrides: OscOverrides {
                port: Some(port),
                destinations: vec![Destination::new(
                    Endpoint::parse(&format!("127.0.0.1:{feedback}")).expect("endpoint"),
                )],
                ..default()
            },
        });
    }
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

fn run(frames: usize, load: Load, mapping: &std::path::Path) {
    let free = || {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    };
    // Feedback goes to a socket nobody reads: the sending is what costs.
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").expect("sink");
    let osc = matches!(load, Load::Osc(_)).then(|| (free(), sink.local_addr().expect("sink").port()));
    let (mut app, mut processor, ids) = rig(mapping, osc);
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").expect("sender");
    let loaded = load == Load::Midi;
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
        if let (Load::Osc(rate), Some((port, _))) = (load, osc) {
            for m in 0..rate / FPS {
                n += 1;
                let address = format!("/deck/{}/{}", m % DEVICES + 1, KNOBS[m / DEVICES % KNOBS.len()]);
                let value = ((n * 7 + f as u64) % 128) as f32 / 127.0;
                let bytes =
                    phosphene_osc::wire::encode_message(&address, vec![rosc::OscType::Float(value)]).expect("encode");
                let _ = sender.send_to(&bytes, ("127.0.0.1", port));
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
    let (received, shed) = app
        .world()
        .get_resource::<OscStatus>()
        .map_or((0, 0), |s| (s.received, s.shed));
    let sent = match load {
        Load::Idle => 0,
        Load::Midi => DEVICES * MESSAGES_PER_SECOND,
        Load::Osc(rate) => rate,
    };
    println!(
        "case={} messages_per_second={sent} osc_received={received} osc_shed={shed} frames={frames} update_median_ms={:.3} update_p99_ms={:.3} update_max_ms={:.3} \
         block_median_ms={:.4} block_p99_ms={:.4} block_max_ms={:.4} block_budget_ms={:.2}",
        match load {
            Load::Idle => "idle",
            Load::Midi => "4-midi-devices",
            Load::Osc(_) => "osc",
        },
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
    for load in [
        Load::Idle,
        Load::Midi,
        Load::Osc(4_000),
        Load::Osc(20_000),
        Load::Osc(100_000),
    ] {
        run(frames, load, &path);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
