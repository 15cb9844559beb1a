//! MIDI clock out, from the engine clock: 24 ticks a beat, with a song position and Continue at
//! the bar it starts on and Stop when it ends. Off unless asked for (`--midi-clock PORT`).
//!
//! A thread of its own times each tick to the moment the device plays the frame of its beat: the
//! engine clock gives the beat's frame, the output clock (stamped by every audio callback) gives
//! when that frame reaches the device. On JACK the tick is queued a little ahead and our own
//! output client (`jack_out`) writes it at that moment's frame, so ticks are spaced to the frame;
//! through midir (the ALSA sequencer) the thread sleeps until the moment and sends. The app only
//! shares the clock's latest position through atomics; nothing waits on anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use engine_rt::backend::CallbackStats;
use midir::MidiOutput;
use phosphene_engine_bridge::EngineStatus;

use super::ports::CLIENT;

/// Ticks a beat (MIDI clock's fixed resolution).
pub const PPQN: f64 = 24.0;
/// How often a missing port is looked for again.
const RETRY: Duration = Duration::from_secs(1);
/// The longest the port stays open after Stop, waiting for the MIDI system to send what is
/// queued.
const STOP_FLUSH: Duration = Duration::from_secs(1);
/// The longest the thread sleeps at once (so it notices a stop or a tempo change in time).
const NAP: Duration = Duration::from_millis(5);

/// The engine clock's position as the app last saw it, shared with the clock thread.
#[derive(Debug, Default)]
struct Position {
    frame: AtomicU64,
    beat: AtomicU64,
    bpm: AtomicU64,
    quantum: AtomicU64,
    stop: AtomicBool,
}

/// The running MIDI clock; dropping it sends Stop and ends the thread.
#[derive(Resource)]
pub struct MidiClock {
    position: Arc<Position>,
    thread: Option<JoinHandle<()>>,
}

impl MidiClock {
    /// Starts sending clock to the first output port whose name contains `port` (ignoring case),
    /// timed by the device callback's output clock.
    pub fn start(port: String, output: Arc<CallbackStats>, sample_rate: u32) -> Self {
        let position = Arc::new(Position::default());
        let shared = position.clone();
        let thread = std::thread::Builder::new()
            .name("phosphene-midi-clock".into())
            .spawn(move || run(&port, &shared, &output, sample_rate))
            .ok();
        Self { position, thread }
    }
}

impl Drop for MidiClock {
    fn drop(&mut self) {
        self.position.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Shares the engine clock's latest report with the clock thread.
pub(crate) fn share_position(
    status: Res<EngineStatus>,
    transport: Res<phosphene_decks::Transport>,
    clock: Res<MidiClock>,
) {
    let p = &clock.position;
    p.frame.store(status.frame, Ordering::Relaxed);
    p.beat.store(status.beat.to_bits(), Ordering::Relaxed);
    p.bpm.store(status.bpm.to_bits(), Ordering::Relaxed);
    p.quantum.store(transport.quantum.to_bits(), Ordering::Relaxed);
}

/// The name of the first MIDI output port whose name contains `pattern` (ignoring case).
fn find(pattern: &str) -> Option<String> {
    let out = MidiOutput::new(&format!("{CLIENT}-clock")).ok()?;
    let pattern = pattern.to_lowercase();
    out.ports()
        .iter()
        .filter_map(|p| out.port_name(p).ok())
        .find(|n| n.to_lowercase().contains(&pattern))
}

/// Where the clock's messages go: our own JACK client, which writes each at its moment's frame.
#[cfg(feature = "jack-midi")]
struct ClockPort {
    out: super::jack_out::JackOutput,
    destination: String,
}

#[cfg(feature = "jack-midi")]
impl ClockPort {
    fn open(pattern: &str) -> Option<Self> {
        let destination = find(pattern)?;
        let out = super::jack_out::JackOutput::open(&destination)
            .map_err(|e| eprintln!("midi clock: {e}"))
            .ok()?;
        Some(Self { out, destination })
    }

    /// How long before its moment a message is handed over: two cycles and a little, so it is
    /// queued before the cycle it falls in runs.
    fn lead(&self) -> Duration {
        2 * self.out.period() + Duration::from_millis(2)
    }

    /// Queues `bytes` for `at`; false when the port is gone or the queue full.
    fn send_at(&mut self, at: Instant, bytes: &[u8]) -> bool {
        self.out.send_at(at, bytes)
    }

    /// Whether the destination port is still there.
    fn connected(&self) -> bool {
        self.out.has_port(&self.destination)
    }

    /// Waits (at most [`STOP_FLUSH`]) until every queued message went out.
    fn flush(&self, _output: &CallbackStats) {
        let (cycles, since) = (self.out.cycles(), Instant::now());
        while !self.out.flushed(cycles) && since.elapsed() < STOP_FLUSH {
            std::thread::sleep(NAP);
        }
    }
}

/// Where the clock's messages go: a midir connection, each message sent when due.
#[cfg(not(feature = "jack-midi"))]
struct ClockPort(midir::MidiOutputConnection);

#[cfg(not(feature = "jack-midi"))]
impl ClockPort {
    fn open(pattern: &str) -> Option<Self> {
        let name = find(pattern)?;
        let out = MidiOutput::new(&format!("{CLIENT}-clock")).ok()?;
        let port = out
            .ports()
            .into_iter()
            .find(|p| out.port_name(p).is_ok_and(|n| n == name))?;
        out.connect(&port, "clock").ok().map(Self)
    }

    /// Sent when due: nothing is handed over ahead.
    fn lead(&self) -> Duration {
        Duration::ZERO
    }

    /// Sends `bytes` now (the thread waited for `at`); false when the port is gone.
    fn send_at(&mut self, _at: Instant, bytes: &[u8]) -> bool {
        self.0.send(bytes).is_ok()
    }

    /// A send to a port that is gone fails: that is how it is noticed.
    fn connected(&self) -> bool {
        true
    }

    /// The MIDI system sends on its next cycle: waits (at most [`STOP_FLUSH`]) until the
    /// device's callbacks show two more cycles ran (closing at once would lose Stop).
    fn flush(&self, output: &CallbackStats) {
        let (stamped, since) = (output.clock.stamps(), Instant::now());
        while output.clock.stamps() < stamped + 2 && since.elapsed() < STOP_FLUSH {
            std::thread::sleep(NAP);
        }
    }
}

/// The song position pointer (sixteenths) for a beat, and its message.
pub fn song_position(beat: f64) -> [u8; 3] {
    let sixteenths = (beat.max(0.0) * 4.0).round().min(16383.0) as u16;
    [0xF2, (sixteenths & 0x7F) as u8, (sixteenths >> 7) as u8]
}

/// The beat the device plays now (from the engine's last report, carried forward to the device
/// frame the output clock gives) and the frames a beat lasts; `None` before both are known.
fn device_beat(p: &Position, output: &CallbackStats, sample_rate: u32) -> Option<(f64, f64)> {
    let (frame, beat, bpm) = (
        p.frame.load(Ordering::Relaxed) as f64,
        f64::from_bits(p.beat.load(Ordering::Relaxed)),
        f64::from_bits(p.bpm.load(Ordering::Relaxed)),
    );
    let device = output.clock.frame_at(Instant::now(), sample_rate)?;
    let frames_per_beat = (bpm > 0.0).then(|| 60.0 / bpm * f64::from(sample_rate))?;
    Some((beat + (device - frame) / frames_per_beat, frames_per_beat))
}

fn run(pattern: &str, p: &Position, output: &CallbackStats, sample_rate: u32) {
    let mut conn: Option<ClockPort> = None;
    let mut next_try = Instant::now();
    // The next tick (a count of 24ths of a beat), whether Continue went out, ticks sent.
    let mut next_tick: Option<i64> = None;
    let mut started = false;
    let mut sent_ticks = 0u64;
    let sr = f64::from(sample_rate);
    while !p.stop.load(Ordering::Relaxed) {
        if Instant::now() >= next_try {
            if conn.as_ref().is_some_and(|c| !c.connected()) {
                eprintln!("midi clock: the port went away; looking for it again");
                conn = None;
            }
            if conn.is_none() {
                conn = ClockPort::open(pattern);
                (next_tick, started) = (None, false);
            }
            next_try = Instant::now() + RETRY;
        }
        let (Some(c), Some((beat_now, frames_per_beat))) = (conn.as_mut(), device_beat(p, output, sample_rate)) else {
            std::thread::sleep(NAP);
            continue;
        };
        let tick = *next_tick.get_or_insert_with(|| {
            // Join on the next bar line: its song position now, Continue when it comes.
            let quantum = f64::from_bits(p.quantum.load(Ordering::Relaxed)).max(1.0);
            let bar = (beat_now / quantum).ceil() * quantum;
            if !c.send_at(Instant::now(), &song_position(bar)) {
                next_try = Instant::now();
            }
            (bar * PPQN).round() as i64
        });
        let now = Instant::now();
        // A late tick (a stalled machine) still goes out, at once: receivers count ticks for
        // their position, so a skipped one would leave them behind for good.
        let due_in = Duration::from_secs_f64(((tick as f64 / PPQN - beat_now) * frames_per_beat / sr).max(0.0));
        if due_in > c.lead() {
            std::thread::sleep((due_in - c.lead()).min(NAP));
            continue;
        }
        let at = now + due_in;
        let sent = if started {
            c.send_at(at, &[0xF8])
        } else {
            c.send_at(at, &[0xFB]) && c.send_at(at, &[0xF8])
        };
        if !sent {
            conn = None;
            continue;
        }
        started = true;
        sent_ticks += 1;
        next_tick = Some(tick + 1);
    }
    let Some(c) = conn.as_mut() else { return };
    // The ticks due up to where the engine stopped go out before Stop, so receivers end where
    // it did however late this thread ran.
    let end = device_beat(p, output, sample_rate).map_or(0.0, |(b, _)| b);
    let now = Instant::now();
    if let Some(mut tick) = next_tick.filter(|_| started) {
        while (tick as f64) <= end * PPQN && c.send_at(now, &[0xF8]) {
            tick += 1;
            sent_ticks += 1;
        }
    }
    let _ = c.send_at(now, &[0xFC]);
    eprintln!("midi clock: stopped at beat {end:.3} after {sent_ticks} ticks");
    c.flush(output);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn song_position_counts_sixteenths() {
        assert_eq!(song_position(0.0), [0xF2, 0, 0]);
        assert_eq!(song_position(8.0), [0xF2, 32, 0]);
        // 1000 beats = 4000 sixteenths = 31 * 128 + 32.
        assert_eq!(song_position(1000.0), [0xF2, 32, 31]);
    }
}
