//! The app's side of OSC in: each frame takes what the socket queued (and what OSCQuery's
//! websocket clients sent), turns it into control changes, answers queries, and holds changes
//! timetagged ahead until they are due.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use bevy::prelude::*;
use phosphene_controls::change::{ControlInput, InputEvent};
use phosphene_controls::devices::{DeviceClass, DeviceId};
use phosphene_controls::mapping::file::Input;
use phosphene_controls::{ControlChange, ControlValues, Devices, Learn, LearnPhase, Mappings, Registry, Source};
use phosphene_engine_bridge::{CONTROL_MARGIN, EngineStatus};

use crate::inbound::{Request, interpret, value_args};
use crate::runtime::{OscRuntime, OscStatus};
use crate::socket::Packet;
use crate::wire::{self, Timing};

/// Messages taken from the socket in one frame at most; the rest wait (and, in a flood, are
/// shed at the socket), so a flood cannot stall the control window.
pub const MESSAGES_PER_FRAME: usize = 4096;
/// Changes timetagged ahead that wait at most; more are refused.
pub const PENDING_MAX: usize = 4096;
/// How far ahead a timetag may lie; a later one is refused (a clock that is wrong, not a plan).
pub const HORIZON: std::time::Duration = std::time::Duration::from_secs(60);
/// Changes taken in one frame above which a control set several times keeps only its latest
/// value: under a flood the engine gets one move per control, not thousands.
pub const COALESCE_ABOVE: usize = 256;
/// Name of the device OSC controller apps are, for bindings and learn.
pub const DEVICE_NAME: &str = "OSC";

/// Changes timetagged ahead, waiting until they are due.
#[derive(Default)]
pub(crate) struct Pending {
    changes: Vec<(Instant, ControlChange)>,
}

/// Where in the frame OSC in runs: the device it is, and its scratch space.
#[derive(Default)]
pub(crate) struct Inbox {
    device: Option<DeviceId>,
    packets: Vec<Packet>,
    requests: Vec<Request>,
    changes: Vec<ControlChange>,
    websocket: Vec<Vec<u8>>,
}

/// Takes this frame's OSC and turns it into changes, answers and raw input.
pub(crate) fn receive(
    runtime: Res<OscRuntime>,
    mut status: ResMut<OscStatus>,
    mut inbox: Local<Inbox>,
    mut pending: Local<Pending>,
    mut devices: ResMut<Devices>,
    registry: Res<Registry>,
    mappings: Res<Mappings>,
    learn: Res<Learn>,
    values: Res<ControlValues>,
    engine: Res<EngineStatus>,
    mut changes: MessageWriter<ControlChange>,
    mut inputs: MessageWriter<ControlInput>,
) {
    let inbox = &mut *inbox;
    let (now, wall) = (Instant::now(), SystemTime::now());
    release_due(&mut pending, &engine, now, &mut changes);
    inbox.packets.clear();
    let mut shed = 0;
    if let Some(socket) = runtime.socket.as_ref() {
        socket.drain(MESSAGES_PER_FRAME, &mut inbox.packets);
        status.received = socket.counters().received.load(std::sync::atomic::Ordering::Relaxed);
        shed += socket.counters().shed.load(std::sync::atomic::Ordering::Relaxed);
    }
    // What OSCQuery's websocket clients wrote comes in as if from its own address.
    if let Some(q) = runtime.query.as_ref() {
        inbox.websocket.clear();
        q.drain_incoming(&mut inbox.websocket);
        status.oscquery_clients = q.clients();
        shed += q.dropped_incoming();
        for bytes in inbox.websocket.drain(..) {
            let mut messages = Vec::new();
            let messages = wire::decode(&bytes, &mut messages)
                .map(|()| messages)
                .map_err(|e| e.to_string());
            inbox.packets.push(Packet {
                from: q.local_addr(),
                at: now,
                messages,
            });
        }
    }
    status.shed = shed;
    if inbox.packets.is_empty() {
        return;
    }
    let device = *inbox
        .device
        .get_or_insert_with(|| devices.connect(DEVICE_NAME, DeviceClass::Osc, 0));
    let listening = matches!(learn.phase, LearnPhase::Listening(_));
    let mut replies: Vec<(SocketAddr, rosc::OscMessage)> = Vec::new();
    for packet in inbox.packets.drain(..) {
        let messages = match packet.messages {
            Ok(m) => m,
            Err(e) => {
                status.refuse(packet.from, e);
                continue;
            }
        };
        for msg in messages {
            inbox.requests.clear();
            if let Err(e) = interpret(&msg, &registry, &mut inbox.requests) {
                status.refuse(packet.from, e);
                continue;
            }
            // A bundle timetagged ahead waits; one due or late applies on arrival.
            let due = match msg.timing {
                Timing::At(t) if t > wall => match t.duration_since(wall) {
                    Ok(ahead) if ahead <= HORIZON => Some(now + ahead),
                    _ => {
                        let why = format!("{}: the timetag lies more than {HORIZON:?} ahead", msg.address);
                        status.refuse(packet.from, why);
                        continue;
                    }
                },
                _ => None,
            };
            for r in inbox.requests.drain(..) {
                match r {
                    Request::Change(id, value) => {
                        let change = ControlChange {
                            at: Some(packet.at),
                            ..ControlChange::new(id, value, Source::Osc(packet.from))
                        };
                        match due {
                            Some(_) if pending.changes.len() >= PENDING_MAX => {
                                status.refuse(
                                    packet.from,
                                    format!("{}: too many changes scheduled ahead", msg.address),
                                );
                            }
                            Some(t) => pending.changes.push((t, change)),
                            None => inbox.changes.push(change),
                        }
                    }
                    Request::Query(id, address) => {
                        if let Some(spec) = registry.spec(id) {
                            let args = value_args(&spec.kind, values.get(id));
                            replies.push((packet.from, rosc::OscMessage { addr: address, args }));
                        }
                    }
                    Request::Foreign(address, value) => {
                        // A misspelt address is an error, unless learn is waiting for it or a
                        // binding knows it.
                        let bound = || {
                            mappings
                                .runtime
                                .bindings
                                .iter()
                                .any(|b| matches!(&b.input, Input::Osc(a) if *a == address))
                        };
                        if !listening && !bound() {
                            status.refuse(
                                packet.from,
                                format!("{address}: no control or binding has this address"),
                            );
                            continue;
                        }
                        inputs.write(ControlInput {
                            device,
                            event: InputEvent::Osc { address, value },
                            at: packet.at,
                        });
                    }
                }
            }
        }
    }
    if inbox.changes.len() > COALESCE_ABOVE {
        coalesce(&mut inbox.changes);
    }
    changes.write_batch(inbox.changes.drain(..));
    for (to, msg) in replies {
        match wire::encode_message(&msg.addr, msg.args) {
            Ok(bytes) => runtime.send(&mut status, &bytes, to),
            Err(e) => warn!("OSC answer to {to}: {e}"),
        }
    }
}

/// Keeps only the latest of several values set on one control (steps, presses and releases all
/// stay), in order.
fn coalesce(changes: &mut Vec<ControlChange>) {
    let mut seen = std::collections::HashSet::new();
    let mut keep: Vec<bool> = changes
        .iter()
        .rev()
        .map(|c| !matches!(c.value, phosphene_controls::ControlValue::Set(_)) || seen.insert(c.id))
        .collect();
    keep.reverse();
    let mut k = keep.into_iter();
    changes.retain(|_| k.next().unwrap_or(true));
}

/// Sends the changes whose time is near: early enough to reach the engine before their frame
/// is rendered, each scheduled at the frame heard at its time.
fn release_due(pending: &mut Pending, engine: &EngineStatus, now: Instant, out: &mut MessageWriter<ControlChange>) {
    if pending.changes.is_empty() {
        return;
    }
    // Released once the frame heard at its time is still ahead of what a change arriving now
    // can reach (output and device latency, the control margin), with room for a late UI frame.
    let rate = f64::from(engine.sample_rate.max(1));
    let latency = f64::from(engine.output_latency_frames + engine.device_latency_frames) / rate;
    let lead = std::time::Duration::from_secs_f64(latency + 3.0 * CONTROL_MARGIN);
    let horizon = now + lead;
    // Order of arrival is kept among those released together.
    let mut i = 0;
    while i < pending.changes.len() {
        if pending.changes[i].0 <= horizon {
            let (t, mut change) = pending.changes.remove(i);
            match engine.frame_heard_at(t) {
                Some(frame) => change.frame = Some(frame),
                // No device clock (an offline run): it applies when due.
                None if t > now => {
                    pending.changes.insert(i, (t, change));
                    i += 1;
                    continue;
                }
                None => {}
            }
            out.write(change);
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phosphene_controls::{ControlId, ControlValue, MixerControl};

    #[test]
    fn a_flood_keeps_the_latest_value_of_each_control_and_every_press() {
        let xf = ControlId::Mixer(MixerControl::Crossfader);
        let master = ControlId::Mixer(MixerControl::Master);
        let c = |id, v| ControlChange::new(id, v, Source::Script);
        let mut changes = vec![
            c(xf, ControlValue::Set(0.1)),
            c(master, ControlValue::Press),
            c(xf, ControlValue::Set(0.2)),
            c(master, ControlValue::Set(-3.0)),
            c(xf, ControlValue::Step(0.1)),
            c(xf, ControlValue::Set(0.3)),
        ];
        coalesce(&mut changes);
        let values: Vec<_> = changes.iter().map(|c| (c.id, c.value)).collect();
        assert_eq!(
            values,
            vec![
                (master, ControlValue::Press),
                (master, ControlValue::Set(-3.0)),
                (xf, ControlValue::Step(0.1)),
                (xf, ControlValue::Set(0.3)),
            ]
        );
    }
}
