//! MIDI clock out, from the engine clock: 24 ticks a beat, with a song position and Continue at
//! the bar it starts on and Stop when it ends. Off unless asked for (`--midi-clock PORT`).
//!
//! A thread of its own sends each tick when the device plays the frame of its beat: the engine
//! clock gives the beat's frame, the output clock (stamped by every audio callback) gives when
//! that frame reaches the device, and the thread sleeps until then. The app only shares the
//! clock's latest position through atomics; nothing waits on anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use engine_rt::backend::CallbackStats;
use midir::{MidiOutput, MidiOutputConnection};
use phosphene_engine_bridge::EngineStatus;

use super::ports::CLIENT;

/// Ticks a beat (MIDI clock's fixed resolution).
pub const PPQN: f64 = 24.0;
/// How often a missing port is looked for again.
const RETRY: Duration = Duration::from_secs(1);
/// The longest the port stays open after Stop, waiting for the device's callbacks to show the
/// MIDI system has run a cycle since (JACK sends on its next cycle).
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

fn open(pattern: &str) -> Option<MidiOutputConnection> {
    let out = MidiOutput::new(&format!("{CLIENT}-clock")).ok()?;
    let port = out.ports().into_iter().find(|p| {
        out.port_name(p)
            .is_ok_and(|n| n.to_lowercase().contains(&pattern.to_lowercase()))
    })?;
    out.connect(&port, "clock").ok()
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
    let mut conn: Option<MidiOutputConnection> = None;
    let mut next_try = Instant::now();
    // The next tick (a count of 24ths of a beat), whether Continue went out, ticks sent.
    let mut next_tick: Option<i64> = None;
    let mut started = false;
    let mut sent_ticks = 0u64;
    let sr = f64::from(sample_rate);
    while !p.stop.load(Ordering::Relaxed) {
        if conn.is_none() && Instant::now() >= next_try {
            conn = open(pattern);
            next_try = Instant::now() + RETRY;
            (next_tick, started) = (None, false);
        }
        let (Some(c), Some((beat_now, frames_per_beat))) = (conn.as_mut(), device_beat(p, output, sample_rate)) else {
            std::thread::sleep(NAP);
            continue;
        };
        let tick = *next_tick.get_or_insert_with(|| {
            // Join on the next bar line: its song position now, Continue when it comes.
            let quantum = f64::from_bits(p.quantum.load(Ordering::Relaxed)).max(1.0);
            let bar = (beat_now / quantum).ceil() * quantum;
            if c.send(&song_position(bar)).is_err() {
                next_try = Instant::now();
            }
            (bar * PPQN).round() as i64
        });
        let due_ticks = tick as f64 - beat_now * PPQN;
        if due_ticks > 0.0 {
            let seconds = due_ticks / PPQN * frames_per_beat / sr;
            std::thread::sleep(Duration::from_secs_f64(seconds).min(NAP));
            continue;
        }
        // A late tick (a stalled machine) still goes out, at once: receivers count ticks for
        // their position, so a skipped one would leave them behind for good.
        let sent = if started {
            c.send(&[0xF8])
        } else {
            c.send(&[0xFB]).and_then(|()| c.send(&[0xF8]))
        };
        if sent.is_err() {
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
    if let Some(mut tick) = next_tick.filter(|_| started) {
        while (tick as f64) <= end * PPQN && c.send(&[0xF8]).is_ok() {
            tick += 1;
            sent_ticks += 1;
        }
    }
    let _ = c.send(&[0xFC]);
    eprintln!("midi clock: stopped at beat {end:.3} after {sent_ticks} ticks");
    // The MIDI system sends on its next cycle: the port stays open until the device's
    // callbacks show two more cycles ran (closing at once would lose Stop).
    let (stamped, since) = (output.clock.stamps(), Instant::now());
    while output.clock.stamps() < stamped + 2 && since.elapsed() < STOP_FLUSH {
        std::thread::sleep(NAP);
    }
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
