//! MIDI against real peers on a JACK server of the test's own: a python-rtmidi sender plays the
//! app through a mapping file given with `--mappings` (CC, 14-bit pairs, NRPN, notes, then
//! malformed bytes), `jack_midi_dump` reads the feedback the app sends back, a controller
//! plugged in mid-run is bound and one pulled out stalls nothing, and the recording shows the
//! engine applied the moves.

mod common;
use common::jackd::Jackd;
use common::live::LiveProcess;
use common::peer::{Peer, python, script};
use common::*;

use std::path::{Path, PathBuf};

use engine_rt::replay::Recording;
use engine_rt::{DeckParam, IntentKind};

/// The sender and a late one, with feedback to the MIDI monitor (`midi-monitor:input`).
const MAPPING: &str = r#"(
    devices: [
        (
            name: "Sender",
            ports: ["phos-sender"],
            output: Some("midi-monitor"),
            controls: [
                (name: "knob", input: Cc(channel: 1, cc: 16), feedback: Same),
                (name: "fader", input: Cc14(channel: 1, msb: 0), feedback: To(Cc(channel: 1, cc: 7))),
                (name: "fine", input: Nrpn(channel: 2, param: 300), feedback: To(Cc(channel: 2, cc: 16))),
                (name: "pad", input: Note(channel: 1, note: 36), feedback: Same),
            ],
        ),
        (
            name: "Late",
            ports: ["phos-late"],
            output: Some("midi-monitor"),
            controls: [(name: "knob", input: Cc(channel: 3, cc: 1), feedback: To(Cc(channel: 3, cc: 7)))],
        ),
    ],
    bindings: [
        (device: "Sender", control: Some("knob"), to: "/deck/1/filter", options: (takeover: None)),
        (device: "Sender", control: Some("fader"), to: "/deck/1/volume", options: (takeover: None)),
        (device: "Sender", control: Some("fine"), to: "/deck/2/filter", options: (takeover: None)),
        (device: "Sender", control: Some("pad"), to: "/deck/1/headphone"),
        (device: "Late", control: Some("knob"), to: "/deck/2/volume", options: (takeover: None)),
    ],
)"#;

/// One live MIDI test at a time: each runs a JACK server, peers and the app, and real-time
/// peers starved of CPU by their neighbours would fail for reasons that are not the app's.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LIVE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

fn sender(jack: &Jackd, name: &str) -> Peer {
    let mut p = Peer::spawn(
        jack.cmd(python().to_str().expect("path"))
            .arg(script("midi_sender.py"))
            .arg(name),
    );
    p.wait_for("the sender's port", |s| s.contains("ready"));
    p
}

/// Sends one MIDI event (hex bytes) and waits until the sender has.
fn send(p: &mut Peer, hex: &str) {
    let before = p.seen.matches("sent").count();
    p.send_line(hex);
    p.wait_for("the event to go", |s| s.matches("sent").count() > before);
}

/// Sends `events` (each idempotent: a value, a held pad) until the monitor shows `shown`: a
/// starved JACK server may drop an event, so they go again until the answer comes, within
/// [`common::live::BOUND`].
fn play_until(sender: &mut Peer, events: &[&str], monitor: &mut Peer, what: &str, shown: impl Fn(&str) -> bool) {
    let start = std::time::Instant::now();
    loop {
        for e in events {
            send(sender, e);
        }
        if monitor.seen_within(std::time::Duration::from_secs(2), &shown) {
            return;
        }
        assert!(
            start.elapsed() < common::live::BOUND,
            "gave up waiting for {what}; seen:\n{}",
            monitor.seen
        );
    }
}

fn demo_set() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/demo.set.ron")
}

#[test]
fn a_controller_plays_the_app_and_sees_its_feedback() {
    let _live = one_at_a_time();
    let dir = temp_dir("midi");
    let mapping = dir.join("test.ron");
    std::fs::write(&mapping, MAPPING).expect("write mapping");
    let rec_dir = dir.join("recordings");
    let jack = Jackd::start("midi");
    let mut monitor = Peer::spawn(jack.cmd("stdbuf").args(["-oL", "jack_midi_dump"]));
    let mut knobs = sender(&jack, "phos-sender");
    let mut app = LiveProcess::spawn(
        jack.cmd(env!("CARGO_BIN_EXE_phosphene"))
            .arg(demo_set())
            .args(["--headless", "--audio", "null", "--record-dir"])
            .arg(&rec_dir)
            .arg("--mappings")
            .arg(&mapping),
    );
    app.wait_for("the sender and the monitor to be found", |s| {
        s.contains("MIDI input: phos-sender:out") && s.contains("MIDI output: midi-monitor:input")
    });
    // Feedback shows the filter as it stands once the device is there: centre, 64.
    monitor.wait_for("the knob's first feedback", |s| s.contains("b0 10 40"));

    play_until(
        &mut knobs,
        &["b0 10 7f"],
        &mut monitor,
        "the filter shown at the top",
        |s| s.contains("b0 10 7f"),
    );
    // A 14-bit fader: MSB 0x50, LSB 0x10 on CC 0 and 32, shown on CC 7 at 7 bits.
    play_until(
        &mut knobs,
        &["b0 00 50", "b0 20 10"],
        &mut monitor,
        "the 14-bit fader's volume",
        |s| s.contains("b0 07 50"),
    );
    // NRPN 300 (MSB 2, LSB 44) on channel 2, data 100 << 7: deck 2's filter.
    let nrpn = ["b1 63 02", "b1 62 2c", "b1 06 64", "b1 26 00"];
    play_until(&mut knobs, &nrpn, &mut monitor, "the NRPN's filter", |s| {
        s.contains("b1 10 63")
    });
    // A pad held turns the headphone cue on; its LED follows.
    play_until(&mut knobs, &["90 24 7f"], &mut monitor, "the pad's LED", |s| {
        s.contains("90 24 7f")
    });
    send(&mut knobs, "80 24 00");

    // Malformed input: running status, a truncated message, a SysEx flood, bytes out of range.
    send(&mut knobs, "20 30"); // data bytes that run on the last status (a note-off)
    send(&mut knobs, "b0 10");
    send(&mut knobs, "90 3c 64");
    let flood = format!("f0 {}", "01 ".repeat(2000));
    for _ in 0..5 {
        send(&mut knobs, &flood);
    }
    send(&mut knobs, "b1 c8 ff");
    app.wait_for("the malformed input to be named", |s| s.contains("malformed MIDI"));
    // Still playing and listening: the knob moves the filter again.
    play_until(
        &mut knobs,
        &["b0 10 00"],
        &mut monitor,
        "the filter shown at the bottom",
        |s| s.contains("b0 10 00"),
    );

    // A controller plugged in mid-set is found and bound; pulled out, it stalls nothing.
    let mut late = sender(&jack, "phos-late");
    app.wait_for("the late controller", |s| s.contains("MIDI input: phos-late:out"));
    play_until(&mut late, &["b2 01 00"], &mut monitor, "the late knob's volume", |s| {
        s.contains("b2 07 00")
    });
    late.close();
    app.wait_for("the late controller to go", |s| {
        s.contains("MIDI input gone: phos-late:out")
    });
    play_until(
        &mut knobs,
        &["b0 10 40"],
        &mut monitor,
        "the filter back at the centre",
        |s| s.matches("b0 10 40").count() >= 2,
    );
    app.assert_running();

    app.signal("TERM");
    let out = app.finish();
    assert!(out.status.success(), "{}", out.stderr);
    // The engine applied the knob's moves: the recording logs them with their frames.
    let log = std::fs::read_dir(&rec_dir)
        .expect("recordings")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".rec.ron"))
        .expect("a recording");
    let rec = Recording::parse(&std::fs::read_to_string(&log).expect("read"), &log).expect("parses");
    let filters: Vec<f32> = rec
        .intents
        .iter()
        .filter_map(|i| match i.kind {
            IntentKind::Deck {
                deck: 0,
                param: DeckParam::Filter,
                value,
                ..
            } => Some(value),
            _ => None,
        })
        .collect();
    assert!(filters.contains(&1.0) && filters.contains(&-1.0), "{filters:?}");
}

#[test]
fn midi_lists_the_ports_it_sees() {
    let _live = one_at_a_time();
    let jack = Jackd::start("midi-list");
    let _monitor = Peer::spawn(jack.cmd("stdbuf").args(["-oL", "jack_midi_dump"]));
    let _knobs = sender(&jack, "phos-lister");
    // The monitor registers its port in its own time: ask until both are there.
    let out = common::live::wait_until("both ports listed", || {
        let o = jack
            .cmd(env!("CARGO_BIN_EXE_phosphene"))
            .arg("midi")
            .output()
            .expect("run");
        assert!(o.status.success());
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        (out.contains("output midi-monitor:input")).then_some(out)
    });
    assert!(out.lines().any(|l| l == "input phos-lister:out"), "{out}");
    assert!(
        out.lines().all(|l| l.starts_with("input ") || l.starts_with("output ")),
        "{out}"
    );
}

/// One MIDI event a JACK client of the test received: its JACK frame and bytes.
#[derive(Clone, Copy)]
struct Received {
    frame: u32,
    len: usize,
    bytes: [u8; 3],
}

impl Received {
    fn data(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A JACK client of this process with one MIDI input, `<name>:in`, handing every event it gets
/// (with its own JACK frame) to the ring it returns. The test must hold `one_at_a_time` and have
/// pointed `JACK_DEFAULT_SERVER` at its server.
fn receiver(name: &str) -> (impl Drop, rtrb::Consumer<Received>) {
    let (client, _) = jack::Client::new(name, jack::ClientOptions::NO_START_SERVER).expect("the test's JACK server");
    let port = client
        .register_port("in", jack::MidiIn::default())
        .expect("a MIDI port");
    let (mut tx, rx) = rtrb::RingBuffer::new(16_384);
    let process = jack::contrib::ClosureProcessHandler::new(move |_: &jack::Client, ps: &jack::ProcessScope| {
        for e in port.iter(ps) {
            let len = e.bytes.len().min(3);
            let mut bytes = [0; 3];
            bytes[..len].copy_from_slice(&e.bytes[..len]);
            let frame = ps.last_frame_time().wrapping_add(e.time);
            let _ = tx.push(Received { frame, len, bytes });
        }
        jack::Control::Continue
    });
    let active = client.activate_async((), process).expect("the receiver runs");
    (active, rx)
}

#[test]
fn midi_clock_follows_the_engine_clock_to_the_frame() {
    let _live = one_at_a_time();
    let jack = Jackd::start("clock");
    // SAFETY: as in `jack_midi_messages_are_stamped_to_their_frame`.
    unsafe { std::env::set_var("JACK_DEFAULT_SERVER", jack.name()) };
    let (_receiver, mut events) = receiver("phos-clock-rx");
    let dir = temp_dir("midi-clock");
    let rec_dir = dir.join("recordings");
    let app = LiveProcess::spawn(
        jack.cmd(env!("CARGO_BIN_EXE_phosphene"))
            .arg(demo_set())
            .args([
                "--headless",
                "--audio",
                "jack",
                "--midi-clock",
                "phos-clock-rx",
                "--record-dir",
            ])
            .arg(&rec_dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_DATA_HOME", dir.join("data")),
    );
    let mut got: Vec<Received> = Vec::new();
    let mut take = |got: &mut Vec<Received>| {
        while let Ok(e) = events.pop() {
            got.push(e);
        }
    };
    // Eight beats of ticks after the start.
    common::live::wait_until("a song position, continue and eight beats of ticks", || {
        take(&mut got);
        let cont = got.iter().position(|e| e.data() == [0xFB])?;
        (got[cont..].iter().filter(|e| e.data() == [0xF8]).count() >= 8 * 24).then_some(())
    });
    app.signal("TERM");
    let out = app.finish();
    assert!(out.status.success(), "{}", out.stderr);
    common::live::wait_until("stop", || {
        take(&mut got);
        got.iter().any(|e| e.data() == [0xFC]).then_some(())
    });
    let position = got
        .iter()
        .position(|e| e.data()[0] == 0xF2)
        .expect("a song position first");
    let cont = got.iter().position(|e| e.data() == [0xFB]).expect("continue");
    assert!(position < cont);
    // It joins on a bar line: a multiple of 16 sixteenths.
    let b = got[position].data();
    let start_beat = f64::from(u16::from(b[1]) | (u16::from(b[2]) << 7)) / 4.0;
    assert_eq!(start_beat % 4.0, 0.0, "song position {b:?}");
    // Every tick sent arrived, and they are 24 a beat of the engine clock from the bar the clock
    // started on to where the engine stood when it stopped.
    let ticks: Vec<u32> = got[cont..]
        .iter()
        .filter(|e| e.data() == [0xF8])
        .map(|e| e.frame)
        .collect();
    let stopped = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("midi clock: stopped at beat "))
        .expect("stop line");
    let (beat, sent) = stopped.split_once(" after ").expect("stop line");
    let stop_beat: f64 = beat.parse().expect("beat");
    let sent: usize = sent.trim_end_matches(" ticks").parse().expect("ticks");
    // JACK itself may drop an event in a cycle it overran on a starved machine; no more.
    assert!(
        ticks.len() <= sent && ticks.len() + 2 >= sent,
        "{} of {sent} ticks arrived",
        ticks.len()
    );
    assert!(
        (ticks.len() as f64 / 24.0 - (stop_beat - start_beat)).abs() <= 2.0 / 24.0,
        "{} ticks up to beat {stop_beat}",
        ticks.len()
    );
    // And the engine itself ran at least that far: rendered in the callback (`--ahead 0`), each
    // of its callbacks is one JACK period of the engine clock (it runs on a little as it shuts
    // down, so this bound is one-sided).
    let callbacks: f64 = out
        .stdout
        .split_whitespace()
        .find_map(|f| f.strip_prefix("callbacks="))
        .and_then(|n| n.parse().ok())
        .expect("the exit line");
    let engine_beats = callbacks * 256.0 / 48_000.0 * 124.0 / 60.0;
    assert!(
        stop_beat <= engine_beats + 1e-6,
        "the clock stopped at beat {stop_beat}, the engine ran {engine_beats}"
    );
    // Each tick lands on its own frame, not on a JACK cycle's first: at the set's 124 BPM
    // they are 967.7 frames apart. Through midir every tick went out at the start of the
    // next cycle, up to 256 frames off. A tick JACK or a starved machine held back
    // (`jackd --no-realtime`) may be late; most are not.
    let spacing = 48_000.0 * 60.0 / 124.0 / 24.0;
    let mut off: Vec<f64> = ticks
        .windows(2)
        .map(|w| (f64::from(w[1].wrapping_sub(w[0])) - spacing).abs())
        .collect();
    off.sort_by(f64::total_cmp);
    let (p50, p90, max) = (off[off.len() / 2], off[off.len() * 9 / 10], off[off.len() - 1]);
    eprintln!(
        "midi clock: {} tick intervals, off their {spacing:.2} frames by p50 {p50:.2} p90 {p90:.2} max {max:.2} frames",
        off.len()
    );
    // Whole frames at both ends and the output clock's smoothing leave a few frames; a
    // period-quantized tick would be off by up to 256.
    assert!(p90 <= 8.0, "tick intervals off by p50 {p50} p90 {p90} frames");
}

/// Events the timed sender plays: (cycle after the start, frame within it, CC value). Two in
/// one cycle, a cycle's first and last frames, and a cycle skipped.
const TIMED: [(u32, u32, u8); 5] = [(0, 10, 1), (0, 170, 2), (1, 0, 3), (1, 255, 4), (3, 128, 5)];

#[test]
fn jack_midi_messages_are_stamped_to_their_frame() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    use phosphene_controls::midi::ports::{PortEvent, PortWatcher};

    let _live = one_at_a_time();
    let jack = Jackd::start("midi-timed");
    // The sender and the port watcher are clients of this process. SAFETY: no other thread
    // reads the environment now: every live test of this binary waits on `one_at_a_time`, and
    // their child processes get the server's name explicitly.
    unsafe { std::env::set_var("JACK_DEFAULT_SERVER", jack.name()) };
    let (client, _) =
        jack::Client::new("phos-timed", jack::ClientOptions::NO_START_SERVER).expect("the test's JACK server");
    let mut out = client
        .register_port("out", jack::MidiOut::default())
        .expect("a MIDI port");
    let go = Arc::new(AtomicBool::new(false));
    // The JACK frame each event went out at, as the sender's cycles ran (0 until it did).
    let sent: Arc<[AtomicU32; TIMED.len()]> = Arc::new(std::array::from_fn(|_| AtomicU32::new(0)));
    let (go2, sent2) = (go.clone(), sent.clone());
    let mut cycle = 0u32;
    let sender = jack::contrib::ClosureProcessHandler::new(move |_: &jack::Client, ps: &jack::ProcessScope| {
        if go2.load(Ordering::Acquire) {
            let mut writer = out.writer(ps);
            for (k, &(_, frame, value)) in TIMED.iter().enumerate().filter(|e| e.1.0 == cycle) {
                let _ = writer.write(&jack::RawMidi {
                    time: frame,
                    bytes: &[0xB0, 16, value],
                });
                sent2[k].store(ps.last_frame_time().wrapping_add(frame), Ordering::Release);
            }
            cycle += 1;
        }
        jack::Control::Continue
    });
    let _sender = client.activate_async((), sender).expect("the sender runs");

    let watcher = PortWatcher::spawn().expect("the MIDI thread");
    let mut messages = common::live::wait_until("Phosphene's input on the sender", || match watcher.try_next() {
        Some(PortEvent::InputOpened { name, messages, .. }) if name == "phos-timed:out" => Some(messages),
        _ => None,
    });
    go.store(true, Ordering::Release);
    let mut got = Vec::new();
    common::live::wait_until("the timed events", || {
        while let Ok(m) = messages.pop() {
            got.push(m);
        }
        (got.len() >= TIMED.len()).then_some(())
    });
    // Each message's moment is its own frame's on JACK's clock: spaced as the frames were,
    // within the same cycle and across cycles, to well under a millisecond.
    let frame_of = |k: usize| {
        f64::from(
            sent[k]
                .load(Ordering::Acquire)
                .wrapping_sub(sent[0].load(Ordering::Acquire)),
        )
    };
    for (k, m) in got.iter().enumerate().skip(1) {
        assert_eq!(m.data(), &[0xB0, 16, TIMED[k].2], "{k}");
        let apart = m.at.duration_since(got[0].at).as_secs_f64();
        let frames = frame_of(k);
        assert!(
            (apart * 48_000.0 - frames).abs() < 5.0,
            "event {k}: {frames} frames after the first, stamped {:.1} frames after",
            apart * 48_000.0
        );
    }
}
