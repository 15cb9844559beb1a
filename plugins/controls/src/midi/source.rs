//! The MIDI source: ports come and go on the port thread; each frame every open input's
//! messages are parsed, assembled (14-bit pairs, NRPN) and written as [`ControlInput`]s with
//! the time they arrived. Malformed bytes are counted and named, never fatal.

use bevy::platform::cell::SyncCell;
use bevy::prelude::*;
use midir::MidiOutputConnection;

use crate::change::{ControlInput, InputEvent};
use crate::devices::{DeviceClass, DeviceEvent, DeviceId, Devices};
use crate::midi::assemble::Assembler;
use crate::midi::ports::{PortEvent, PortWatcher, RawMidi};
use crate::midi::wire::{DEFAULT_MAX_SYSEX, Parser};

/// One open input port.
struct OpenInput {
    device: DeviceId,
    name: String,
    ordinal: usize,
    messages: rtrb::Consumer<RawMidi>,
    parser: Parser,
    assembler: Assembler,
}

/// One open output port.
struct OpenOutput {
    name: String,
    connection: MidiOutputConnection,
}

/// The ports' thread and connections (not `Sync`: only the MIDI systems touch them).
#[derive(Default)]
struct Ports {
    watcher: Option<PortWatcher>,
    inputs: Vec<OpenInput>,
    outputs: Vec<OpenOutput>,
}

/// The MIDI system as the app sees it.
#[derive(Resource)]
pub struct Midi {
    ports: SyncCell<Ports>,
    /// Names of the open input ports.
    pub inputs: Vec<String>,
    /// Names of the open output ports.
    pub outputs: Vec<String>,
    /// Why there is no MIDI, when there is none (shown in the control window).
    pub notice: Option<String>,
    /// Malformed messages received so far.
    pub malformed: u64,
    /// The last malformed message, named.
    pub last_malformed: Option<String>,
}

impl Midi {
    /// Starts watching the ports; without a MIDI system the app runs on with a notice.
    pub fn start() -> Self {
        let (watcher, notice) = match PortWatcher::spawn() {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(e)),
        };
        Self {
            ports: SyncCell::new(Ports { watcher, ..default() }),
            inputs: Vec::new(),
            outputs: Vec::new(),
            notice,
            malformed: 0,
            last_malformed: None,
        }
    }

    /// Reads (on) or stops reading (off) CC `msb` and `msb + 32` of a device's channel
    /// (0-based) as one 14-bit value.
    pub fn set_14bit(&mut self, device: DeviceId, channel: u8, msb: u8, on: bool) {
        for i in self.ports.get().inputs.iter_mut().filter(|i| i.device == device) {
            i.assembler.set_14bit(channel, msb, on);
        }
    }

    /// Sends MIDI to a device: to the output port whose name contains `output` when given,
    /// else to the port paired with the device's input by name (the same name once the words
    /// that say a direction are left out: `capture`/`playback`, `in`/`out`). Each message goes
    /// as an event of its own. Returns whether a port took it.
    pub fn send(&mut self, device_name: &str, output: Option<&str>, bytes: &[u8]) -> bool {
        let want = pair_key(device_name);
        let ports = self.ports.get();
        let found = ports.outputs.iter_mut().find(|o| match output {
            Some(pattern) => o.name.to_lowercase().contains(&pattern.to_lowercase()),
            None => pair_key(&o.name) == want,
        });
        let Some(out) = found else { return false };
        split_messages(bytes).all(|m| out.connection.send(m).is_ok())
    }
}

/// A port's name without the words that say its direction, for pairing a device's input port
/// with its output port.
fn pair_key(name: &str) -> String {
    const DIRECTION: [&str; 6] = ["capture", "playback", "in", "out", "input", "output"];
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_')
        .filter(|w| !w.is_empty() && !DIRECTION.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whole messages of an encoded stream (a 14-bit value or an NRPN is several), each from its
/// status byte; a SysEx runs to its end.
fn split_messages(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = if rest[0] == 0xF0 {
            rest.iter().position(|&b| b == 0xF7).map_or(rest.len(), |i| i + 1)
        } else {
            rest.iter()
                .skip(1)
                .position(|&b| b >= 0x80)
                .map_or(rest.len(), |i| i + 1)
        };
        let (message, tail) = rest.split_at(end);
        rest = tail;
        Some(message)
    })
}

/// Ports opened and closed, and every input's messages, into control input.
pub(crate) fn read_midi(
    mut midi: ResMut<Midi>,
    mut devices: ResMut<Devices>,
    mut device_events: MessageWriter<DeviceEvent>,
    mut inputs: MessageWriter<ControlInput>,
) {
    let midi = &mut *midi;
    let ports = midi.ports.get();
    while let Some(event) = ports.watcher.as_ref().and_then(PortWatcher::try_next) {
        match event {
            PortEvent::InputOpened {
                name,
                ordinal,
                messages,
            } => {
                let device = devices.connect(&name, DeviceClass::Midi, ordinal);
                info!("MIDI input: {name}");
                midi.inputs.push(name.clone());
                ports.inputs.push(OpenInput {
                    device,
                    name,
                    ordinal,
                    messages,
                    parser: Parser::new(DEFAULT_MAX_SYSEX),
                    assembler: Assembler::new(),
                });
                device_events.write(DeviceEvent::Connected(device));
            }
            PortEvent::InputClosed { name, ordinal } => {
                if let Some(i) = ports.inputs.iter().position(|i| i.name == name && i.ordinal == ordinal) {
                    let gone = ports.inputs.remove(i);
                    if let Some(k) = midi.inputs.iter().position(|n| *n == name) {
                        midi.inputs.remove(k);
                    }
                    devices.disconnect(gone.device);
                    info!("MIDI input gone: {name}");
                    device_events.write(DeviceEvent::Disconnected(gone.device));
                }
            }
            PortEvent::OutputOpened { name, connection } => {
                info!("MIDI output: {name}");
                midi.outputs.push(name.clone());
                ports.outputs.push(OpenOutput { name, connection });
                // Feedback resends everything to the devices this port may belong to.
                for i in &ports.inputs {
                    device_events.write(DeviceEvent::Connected(i.device));
                }
            }
            PortEvent::OutputClosed { name } => {
                midi.outputs.retain(|o| *o != name);
                ports.outputs.retain(|o| o.name != name);
            }
            PortEvent::Unavailable(why) => {
                warn!("MIDI: {why}; running on without it (ports are looked for again)");
                midi.notice = Some(why);
            }
        }
    }
    if !midi.inputs.is_empty() {
        midi.notice = None;
    }
    let (mut malformed, mut last) = (0u64, None);
    for input in &mut ports.inputs {
        let (device, parser, assembler) = (input.device, &mut input.parser, &mut input.assembler);
        while let Ok(raw) = input.messages.pop() {
            let at = raw.at;
            let mut emit = |e| {
                inputs.write(ControlInput {
                    device,
                    event: InputEvent::Midi(e),
                    at,
                });
            };
            parser.feed(raw.data(), &mut |m| match m {
                Ok(m) => assembler.process(m, &mut emit),
                Err(e) => {
                    malformed += 1;
                    last = Some(format!("{}: {e}", input.name));
                }
            });
            if raw.cut {
                malformed += 1;
                last = Some(format!(
                    "{}: a SysEx message longer than {} bytes was cut",
                    input.name,
                    raw.bytes.len()
                ));
            }
        }
        // A coarse-only move on a 14-bit control lands this frame, not with the next message.
        assembler.flush(&mut |e| {
            inputs.write(ControlInput {
                device,
                event: InputEvent::Midi(e),
                at: std::time::Instant::now(),
            });
        });
    }
    if malformed > 0 {
        midi.malformed += malformed;
        if let Some(l) = &last {
            warn!("malformed MIDI: {l}");
        }
        midi.last_malformed = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_pair_by_name_without_their_direction() {
        let a = "a2j:DDJ-FLX4 [24] (capture): DDJ-FLX4 MIDI 1";
        let b = "a2j:DDJ-FLX4 [24] (playback): DDJ-FLX4 MIDI 1";
        assert_eq!(pair_key(a), pair_key(b));
        assert_eq!(pair_key("phos-sender:out"), pair_key("phos-sender:in"));
        assert_ne!(
            pair_key(a),
            pair_key("a2j:nanoKONTROL2 [28] (playback): nanoKONTROL2 MIDI 1")
        );
    }

    #[test]
    fn an_encoded_stream_splits_into_its_messages() {
        let stream = [0xB0, 99, 2, 0xB0, 98, 44, 0xF0, 1, 2, 0xF7, 0x90, 36, 127];
        let parts: Vec<&[u8]> = split_messages(&stream).collect();
        assert_eq!(
            parts,
            vec![
                &[0xB0, 99, 2][..],
                &[0xB0, 98, 44],
                &[0xF0, 1, 2, 0xF7],
                &[0x90, 36, 127]
            ]
        );
    }
}
