//! A JACK MIDI output of our own, for messages that must go out at a moment (MIDI clock):
//! midir's JACK backend writes every message at the start of the next JACK cycle, a period of
//! jitter (5.3 ms at 256 frames). Here each message is queued ahead with the moment it is due
//! and written at that moment's frame of the cycle it falls in, on JACK's clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use engine_rt::backend::output_clock::seconds_between;

use crate::midi::ports::CLIENT;

/// Messages queued at once (a few periods of clock ticks and their transport messages).
const RING: usize = 256;
/// Bytes a timed message holds: MIDI clock and transport messages are at most three.
const MAX_BYTES: usize = 3;

/// One message and the moment it is due at the output port.
#[derive(Debug, Clone, Copy)]
struct Timed {
    at: Instant,
    len: u8,
    bytes: [u8; MAX_BYTES],
}

/// The process callback's type (a closure cannot be named).
type Process = Box<dyn FnMut(&jack::Client, &jack::ProcessScope) -> jack::Control + Send>;

/// An open output: its own client, connected to the destination port; dropping it closes both.
pub struct JackOutput {
    ring: rtrb::Producer<Timed>,
    /// Cycles the process callback has run.
    cycles: Arc<AtomicU64>,
    /// How long a JACK cycle lasts.
    period: Duration,
    client: jack::AsyncClient<(), jack::contrib::ClosureProcessHandler<(), Process>>,
}

impl JackOutput {
    /// Opens a client with one MIDI output and connects it to `destination` (a JACK port name).
    pub fn open(destination: &str) -> Result<Self, String> {
        let fail = |e: jack::Error| format!("{destination}: {e}");
        let (client, _) =
            jack::Client::new(&format!("{CLIENT}-clock"), jack::ClientOptions::NO_START_SERVER).map_err(fail)?;
        let mut port = client.register_port("out", jack::MidiOut::default()).map_err(fail)?;
        let ours = port.name().map_err(fail)?;
        let rate = f64::from(client.sample_rate().max(1));
        let period = Duration::from_secs_f64(f64::from(client.buffer_size().max(1)) / rate);
        let (ring, mut queued) = rtrb::RingBuffer::<Timed>::new(RING);
        let cycles = Arc::new(AtomicU64::new(0));
        let counted = cycles.clone();
        let process: Process = Box::new(move |client, scope| {
            // On JACK's process thread: no allocation, no lock. The writer clears the port's
            // buffer, which JACK needs every cycle.
            let mut writer = port.writer(scope);
            let frames = scope.n_frames().max(1);
            let (now, now_us) = (Instant::now(), client.time() as f64);
            // This cycle's first frame and frame length on JACK's clock (by the sample rate
            // on an old server without cycle times).
            let (start_us, per_frame_us) = match scope.cycle_times() {
                Ok(c) => (
                    c.current_usecs as f64,
                    c.next_usecs.saturating_sub(c.current_usecs) as f64 / f64::from(frames),
                ),
                Err(_) => (
                    now_us - f64::from(scope.frames_since_cycle_start()) * 1e6 / rate,
                    1e6 / rate,
                ),
            };
            let mut last = 0;
            while let Ok(m) = queued.peek() {
                let due_us = now_us + seconds_between(now, m.at) * 1e6;
                let frame = ((due_us - start_us) / per_frame_us).floor();
                if frame >= f64::from(frames) {
                    break; // a later cycle's
                }
                // A late message goes out at once; events within a cycle must not go back.
                let frame = (frame.max(0.0) as u32).max(last);
                let bytes = &m.bytes[..usize::from(m.len)];
                let _ = writer.write(&jack::RawMidi { time: frame, bytes });
                last = frame;
                let _ = queued.pop();
            }
            counted.fetch_add(1, Ordering::Release);
            jack::Control::Continue
        });
        let active = client
            .activate_async((), jack::contrib::ClosureProcessHandler::new(process))
            .map_err(fail)?;
        active
            .as_client()
            .connect_ports_by_name(&ours, destination)
            .map_err(fail)?;
        Ok(Self {
            ring,
            cycles,
            period,
            client: active,
        })
    }

    /// Queues `bytes` (at most three) to go out at `at`; false when the queue is full.
    pub fn send_at(&mut self, at: Instant, bytes: &[u8]) -> bool {
        let len = bytes.len().min(MAX_BYTES);
        let mut m = Timed {
            at,
            len: len as u8,
            bytes: [0; MAX_BYTES],
        };
        m.bytes[..len].copy_from_slice(&bytes[..len]);
        self.ring.push(m).is_ok()
    }

    /// How long a JACK cycle lasts.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Whether every queued message went out and a cycle has run since (JACK delivers a
    /// cycle's events within it).
    pub fn flushed(&self, cycles_when_queued: u64) -> bool {
        self.ring.slots() == self.ring.buffer().capacity() && self.cycles() > cycles_when_queued + 1
    }

    /// Cycles the output has run.
    pub fn cycles(&self) -> u64 {
        self.cycles.load(Ordering::Acquire)
    }

    /// Whether the JACK graph has a port named `name` (the destination, still plugged in).
    pub fn has_port(&self, name: &str) -> bool {
        self.client.as_client().port_by_name(name).is_some()
    }
}
