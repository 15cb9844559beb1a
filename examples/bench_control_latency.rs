//! Control message in to sound changed at the output, measured on a running JACK server, for
//! MIDI and OSC. A JACK client of this bench records Phosphene's output; MIDI control changes
//! are sent by its process callback at known frames, OSC messages over UDP from a thread that
//! reads the JACK clock (`jack_frame_time`) as it sends, so every message's latency is in frames
//! of the one JACK clock. Each message moves deck 1's channel fader between 0 and 1 over a
//! steady 4 kHz tone; its latency is the time until the output crosses half-way to the new
//! level.
//!
//! ```text
//! export JACK_DEFAULT_SERVER=bench
//! jackd --no-realtime -d dummy -r 48000 -p 256 &
//! cargo run --example bench_control_latency -- --via midi --messages 1000 --timing arrival
//! cargo run --example bench_control_latency -- --via osc --messages 1000 --timing arrival
//! ```
//!
//! Prints one line of `key=value` figures; extra arguments after `--` go to `phosphene`
//! (e.g. `-- --ahead 0`). `skipped_frames` counts frames JACK did not run the bench's client
//! for (a loaded machine); `hidden` the messages whose crossing may lie in them, which are
//! left out of the figures.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const RATE: u32 = 48_000;
const TONE_HZ: f32 = 4_000.0;
const AMPLITUDE: f32 = 0.5;
/// Frames of one period of the tone: the window of the falling-edge envelope.
const PERIOD: usize = (RATE as f32 / TONE_HZ) as usize;
const CLIENT: &str = "phos-bench";
/// How long a wait for the app may last before the bench gives up.
const BOUND: Duration = Duration::from_secs(120);

/// How the messages reach Phosphene.
#[derive(Clone, Copy, PartialEq)]
enum Via {
    Midi,
    Osc,
}

struct Args {
    via: Via,
    messages: usize,
    gap_ms: f64,
    timing: String,
    phosphene: PathBuf,
    extra: Vec<String>,
}

fn args() -> Args {
    let mut a = Args {
        via: Via::Midi,
        messages: 1000,
        gap_ms: 150.0,
        timing: "arrival".into(),
        phosphene: std::env::current_exe()
            .ok()
            .and_then(|e| Some(e.parent()?.parent()?.join("phosphene")))
            .unwrap_or_else(|| PathBuf::from("phosphene")),
        extra: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match arg.as_str() {
            "--via" => a.via = if value() == "osc" { Via::Osc } else { Via::Midi },
            "--messages" => a.messages = value().parse().unwrap_or(a.messages),
            "--gap-ms" => a.gap_ms = value().parse().unwrap_or(a.gap_ms),
            "--timing" => a.timing = value(),
            "--phosphene" => a.phosphene = PathBuf::from(value()),
            "--" => a.extra.extend(it.by_ref()),
            other => a.extra.push(other.to_string()),
        }
    }
    a
}

/// The bench's JACK client: records Phosphene's output, and sends the CCs when MIDI is measured.
struct Bench {
    midi: Option<jack::Port<jack::MidiOut>>,
    input: jack::Port<jack::AudioIn>,
    /// Recorded output and the JACK frame of its first sample.
    recorded: Vec<f32>,
    first: Option<u64>,
    /// Frames the messages were sent at, in order.
    sent: Vec<u64>,
    next: Option<u64>,
    gap: u64,
    messages: usize,
    rng: u64,
    arm: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    peak: Arc<AtomicU32>,
}

impl jack::ProcessHandler for Bench {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let start = u64::from(ps.last_frame_time());
        let n = u64::from(ps.n_frames());
        let audio = self.input.as_slice(ps);
        // Each cycle's audio at its own frame: cycles JACK skipped for this client (a loaded
        // machine) leave NaN, so no latency is read across them.
        let at = (start - *self.first.get_or_insert(start)) as usize;
        if at + audio.len() <= self.recorded.capacity() && at >= self.recorded.len() {
            self.recorded.resize(at, f32::NAN);
            self.recorded.extend_from_slice(audio);
        }
        let peak = audio.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        self.peak.store(peak.to_bits(), Ordering::Relaxed);
        if let Some(midi) = self.midi.as_mut()
            && self.arm.load(Ordering::Relaxed)
            && self.sent.len() < self.messages
        {
            let mut writer = midi.writer(ps);
            let next = *self.next.get_or_insert(start + self.gap);
            if next < start + n {
                // Odd messages bring the fader up, even ones down.
                let value = if self.sent.len() % 2 == 1 { 127 } else { 0 };
                let offset = (next.max(start) - start) as u32;
                let _ = writer.write(&jack::RawMidi {
                    time: offset,
                    bytes: &[0xB0, 7, value],
                });
                self.sent.push(next.max(start));
                // A pseudo-random part of a block on top of the gap, so messages fall at every
                // phase of the JACK period.
                self.rng = self
                    .rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                self.next = Some(next.max(start) + self.gap + (self.rng >> 33) % n);
            }
        }
        if self.midi.is_some()
            && self.sent.len() == self.messages
            && self.sent.last().is_some_and(|last| start > last + self.gap * 2)
        {
            self.done.store(true, Ordering::Relaxed);
        }
        jack::Control::Continue
    }
}

fn write_tone(path: &Path, seconds: f64) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create the tone");
    for i in 0..(seconds * f64::from(RATE)) as usize {
        let v = (AMPLITUDE * (std::f32::consts::TAU * TONE_HZ * i as f32 / RATE as f32).sin() * 32767.0) as i16;
        w.write_sample(v).expect("write");
        w.write_sample(v).expect("write");
    }
    w.finalize().expect("finish the tone");
}

/// What became of one message.
#[derive(Clone, Copy, PartialEq)]
enum Heard {
    /// Frames from the message to the output crossing half-way to its new level.
    After(u64),
    /// The output never crossed before the next message.
    Missed,
    /// Frames before the crossing were not recorded (JACK skipped the bench's client): the
    /// crossing may have been in them.
    Hidden,
}

/// What became of each message.
fn latencies(recorded: &[f32], first: u64, sent: &[u64], level: f32) -> Vec<Heard> {
    let half = level / 2.0;
    sent.iter()
        .enumerate()
        .map(|(i, &at)| {
            let Some(from) = at.checked_sub(first).map(|f| f as usize) else {
                return Heard::Missed;
            };
            let to = sent
                .get(i + 1)
                .map_or(recorded.len(), |n| (n - first) as usize)
                .min(recorded.len());
            let rising = i % 2 == 1;
            let crossing = (from..to).find(|&t| {
                if rising {
                    recorded[t].abs() > half
                } else {
                    // Falling: a whole period of the tone below half.
                    t >= PERIOD && recorded[t + 1 - PERIOD..=t].iter().all(|x| x.abs() < half)
                }
            });
            match crossing {
                None => Heard::Missed,
                Some(t) if recorded[from..t].iter().any(|x| x.is_nan()) => Heard::Hidden,
                Some(t) => Heard::After((t - from) as u64),
            }
        })
        .collect()
}

/// Sends the OSC messages from a thread of the bench, each stamped with the JACK frame it left
/// at; returns those frames once the last message has had time to sound.
fn send_osc(client: &jack::Client, port: u16, a: &Args, block: u32) -> Vec<u64> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("socket");
    let gap = Duration::from_secs_f64(a.gap_ms / 1000.0);
    let block_time = f64::from(block) / f64::from(RATE);
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut sent = Vec::with_capacity(a.messages);
    for i in 0..a.messages {
        // A pseudo-random part of a block on top of the gap, as for MIDI.
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let extra = (rng >> 33) as f64 / f64::from(u32::MAX >> 1) * block_time;
        std::thread::sleep(gap + Duration::from_secs_f64(extra));
        // Odd messages bring the fader up, even ones down.
        let value = if i % 2 == 1 { 1.0 } else { 0.0 };
        let bytes = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
            addr: "/deck/1/volume".into(),
            args: vec![rosc::OscType::Float(value)],
        }))
        .expect("encode");
        sent.push(u64::from(client.frame_time()));
        socket.send_to(&bytes, ("127.0.0.1", port)).expect("send");
    }
    std::thread::sleep(gap * 2);
    sent
}

fn wait(what: &str, bound: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < bound, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn main() {
    let a = args();
    let dir = std::env::temp_dir().join(format!("phos-bench-control-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let seconds = a.messages as f64 * (a.gap_ms / 1000.0 + 0.006) + 60.0;
    write_tone(&dir.join("tone.wav"), seconds);
    std::fs::write(
        dir.join("bench.set.ron"),
        "SetFile(bpm: 120.0, launch: None, decks: [(track: (file: \"tone.wav\", bpm: 120.0), controls: (volume: 1.0))])",
    )
    .expect("write set");
    std::fs::write(
        dir.join("play.actions.ron"),
        "[(beat: 0.0, action: Deck(deck: 0, action: Play))]",
    )
    .expect("write");
    std::fs::write(
        dir.join("bench.ron"),
        format!(
            "(bindings: [(device: \"{CLIENT}\", input: Some(Cc(channel: 1, cc: 7)), to: \"/deck/1/volume\", \
             options: (takeover: None))])"
        ),
    )
    .expect("write mapping");

    let (client, _) = jack::Client::new(CLIENT, jack::ClientOptions::NO_START_SERVER).expect("a running JACK server");
    let block = client.buffer_size();
    let midi = (a.via == Via::Midi).then(|| {
        client
            .register_port("midi_out", jack::MidiOut::default())
            .expect("midi port")
    });
    let osc_port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let input = client
        .register_port("in", jack::AudioIn::default())
        .expect("audio port");
    let (arm, done, peak) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU32::new(0)),
    );
    let bench = Bench {
        midi,
        input,
        recorded: Vec::with_capacity((seconds * f64::from(RATE)) as usize),
        first: None,
        sent: Vec::with_capacity(a.messages),
        next: None,
        gap: (a.gap_ms / 1000.0 * f64::from(RATE)) as u64,
        messages: a.messages,
        rng: 0x9E37_79B9_7F4A_7C15,
        arm: arm.clone(),
        done: done.clone(),
        peak: peak.clone(),
    };
    let active = client.activate_async((), bench).expect("activate");

    let via_args: Vec<String> = match a.via {
        Via::Midi => vec!["--mappings".into(), dir.join("bench.ron").display().to_string()],
        Via::Osc => vec!["--osc".into(), osc_port.to_string()],
    };
    let mut app: Child = Command::new(&a.phosphene)
        .arg(dir.join("bench.set.ron"))
        .args([
            "--headless",
            "--audio",
            "jack",
            "--no-record",
            "--control-timing",
            &a.timing,
            "--actions",
        ])
        .arg(dir.join("play.actions.ron"))
        .args(&via_args)
        .args(&a.extra)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start phosphene (build it first)");
    let (tx, lines) = mpsc::channel();
    let stderr = app.stderr.take().expect("piped");
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let mut log = String::new();
    let ready = match a.via {
        Via::Midi => format!("MIDI input: {CLIENT}:midi_out"),
        Via::Osc => format!("OSC: listening on 127.0.0.1:{osc_port}"),
    };
    wait(
        "phosphene to open the bench's MIDI port or its OSC server",
        BOUND,
        || {
            while let Ok(l) = lines.try_recv() {
                log.push_str(&l);
                log.push('\n');
            }
            log.contains(&ready)
        },
    );
    let c = active.as_client();
    let outputs = c.ports(None, Some("audio"), jack::PortFlags::IS_OUTPUT);
    let theirs = outputs
        .iter()
        .find(|p| !p.starts_with("system:") && !p.starts_with(CLIENT))
        .expect("phosphene's output port");
    c.connect_ports_by_name(theirs, &format!("{CLIENT}:in"))
        .expect("connect");
    wait("the tone", BOUND, || {
        f32::from_bits(peak.load(Ordering::Relaxed)) > AMPLITUDE * 0.8
    });
    let level = f32::from_bits(peak.load(Ordering::Relaxed));
    arm.store(true, Ordering::Relaxed);
    let sending = Duration::from_secs_f64(seconds);
    let osc_sent = match a.via {
        Via::Midi => {
            wait("every message and its answer", sending, || done.load(Ordering::Relaxed));
            None
        }
        Via::Osc => Some(send_osc(active.as_client(), osc_port, &a, block)),
    };
    let (_, _, bench) = active.deactivate().expect("deactivate");
    let _ = Command::new("kill").args(["-TERM", &app.id().to_string()]).status();
    let _ = app.wait();

    let sent = osc_sent.unwrap_or(bench.sent);
    let lat = latencies(&bench.recorded, bench.first.unwrap_or(0), &sent, level);
    let mut ms: Vec<f64> = lat
        .iter()
        .filter_map(|h| match h {
            Heard::After(f) => Some(*f as f64 * 1000.0 / f64::from(RATE)),
            _ => None,
        })
        .collect();
    let missed = lat.iter().filter(|h| **h == Heard::Missed).count();
    let hidden = lat.iter().filter(|h| **h == Heard::Hidden).count();
    let skipped = bench.recorded.iter().filter(|x| x.is_nan()).count();
    ms.sort_by(f64::total_cmp);
    let q = |p: f64| {
        ms.get(((ms.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    let std = (ms.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / ms.len().max(1) as f64).sqrt();
    println!(
        "via={} timing={} messages={} jack_block={block} latency_median_ms={:.2} latency_p99_ms={:.2} latency_min_ms={:.2} \
         latency_max_ms={:.2} jitter_p1_p99_ms={:.2} jitter_max_min_ms={:.2} std_ms={:.3} missed={missed} extra_args={:?} \
         skipped_frames={skipped} hidden={hidden}",
        if a.via == Via::Osc { "osc" } else { "midi" },
        a.timing,
        lat.len(),
        q(0.5),
        q(0.99),
        q(0.0),
        q(1.0),
        q(0.99) - q(0.01),
        q(1.0) - q(0.0),
        std,
        a.extra.join(" "),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
