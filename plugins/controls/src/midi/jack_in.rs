//! A JACK MIDI input of our own: midir's JACK backend stamps every message of a JACK cycle
//! with the moment its callback ran and drops the message's frame within the cycle, which
//! leaves a period of jitter (5.3 ms at 256 frames). Here each message is stamped with the
//! moment of its own frame on JACK's clock, so a knob's moves keep their spacing to the frame.
//! midir still lists the ports and sends.

use std::time::{Duration, Instant};

use crate::midi::ports::{CLIENT, RawMidi};

/// The process callback's type (a closure cannot be named).
type Process = Box<dyn FnMut(&jack::Client, &jack::ProcessScope) -> jack::Control + Send>;

/// An open input: its own client, connected from the source port; dropping it closes both.
pub struct JackInput {
    _client: jack::AsyncClient<(), jack::contrib::ClosureProcessHandler<(), Process>>,
}

/// Opens a client with one MIDI input, connects `source` (a JACK port name) to it, and hands
/// every message it receives to `ring`, stamped (a full ring drops the message).
pub fn open(source: &str, mut ring: rtrb::Producer<RawMidi>) -> Result<JackInput, String> {
    let fail = |e: jack::Error| format!("{source}: {e}");
    let (client, _) = jack::Client::new(&format!("{CLIENT}-in"), jack::ClientOptions::NO_START_SERVER).map_err(fail)?;
    let port = client.register_port("in", jack::MidiIn::default()).map_err(fail)?;
    let ours = port.name().map_err(fail)?;
    let rate = f64::from(client.sample_rate().max(1));
    let process: Process = Box::new(move |client, scope| {
        // On JACK's process thread: no allocation, no lock.
        let mut events = port.iter(scope).peekable();
        if events.peek().is_none() {
            return jack::Control::Continue;
        }
        let (now, now_us) = (Instant::now(), client.time());
        let cycle = scope.cycle_times().ok();
        for event in events {
            let at = match cycle {
                Some(c) => {
                    let frames = f64::from(scope.n_frames().max(1));
                    let per_frame = (c.next_usecs.saturating_sub(c.current_usecs)) as f64 / frames;
                    let event_us = c.current_usecs as f64 + f64::from(event.time) * per_frame;
                    shift(now, now_us as f64 - event_us)
                }
                // No cycle times (an old server): the frame within the cycle still counts.
                None => {
                    let frames_ago = f64::from(scope.frames_since_cycle_start()) - f64::from(event.time);
                    shift(now, frames_ago * 1e6 / rate)
                }
            };
            let _ = ring.push(RawMidi::new(at, event.bytes));
        }
        jack::Control::Continue
    });
    let active = client
        .activate_async((), jack::contrib::ClosureProcessHandler::new(process))
        .map_err(fail)?;
    active.as_client().connect_ports_by_name(source, &ours).map_err(fail)?;
    Ok(JackInput { _client: active })
}

/// `now` moved back by `micros_ago` microseconds (forward when negative).
fn shift(now: Instant, micros_ago: f64) -> Instant {
    let d = Duration::from_secs_f64(micros_ago.abs() * 1e-6);
    let moved = if micros_ago >= 0.0 {
        now.checked_sub(d)
    } else {
        now.checked_add(d)
    };
    moved.unwrap_or(now)
}
