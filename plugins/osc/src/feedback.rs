//! OSC out for controls: every control that changed, whoever changed it, goes to the
//! destinations that take feedback (changes only, and everything again every few seconds),
//! never back to the sender it came from; OSCQuery listeners get the same. Mirroring forwards
//! each control move made here to the mirrored instance, and never one that came from it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use phosphene_controls::registry::ControlKind;
use phosphene_controls::{ControlId, ControlMoved, ControlValues, Registry, Source};
use rosc::{OscMessage, OscType};

use crate::inbound::value_args;
use crate::runtime::{OscRuntime, OscStatus};
use crate::wire::Timing;

/// What was last sent, so only changes go out.
#[derive(Default)]
pub(crate) struct Sent {
    values: HashMap<ControlId, f64>,
    last_resync: Option<Instant>,
}

/// Sends this frame's changed values to feedback destinations and OSCQuery listeners.
pub(crate) fn send_feedback(
    runtime: Res<OscRuntime>,
    mut status: ResMut<OscStatus>,
    registry: Res<Registry>,
    values: Res<ControlValues>,
    mut moved: MessageReader<ControlMoved>,
    mut sent: Local<Sent>,
) {
    // Who moved what this frame, under the address they used, so it is not echoed back to them
    // (an app on `/deck/focused/filter` still hears `/deck/1/filter`, which it did not send).
    let movers: HashMap<ControlId, SocketAddr> = moved
        .read()
        .filter_map(|m| match m.source {
            Source::Osc(from) => Some((m.asked, from)),
            _ => None,
        })
        .collect();
    let targets: Vec<SocketAddr> = runtime.targets(false).collect();
    if targets.is_empty() && runtime.query.is_none() {
        sent.values.clear();
        return;
    }
    let now = Instant::now();
    let every = runtime.running.as_ref().map_or(0.0, |s| s.resync_seconds);
    // New destinations (the runtime changed) get everything at once.
    let resync = runtime.is_changed()
        || (every > 0.0
            && sent
                .last_resync
                .is_none_or(|t| now.duration_since(t) >= Duration::from_secs_f64(every)));
    if resync {
        sent.last_resync = Some(now);
    }
    let mut changed: Vec<(ControlId, OscMessage)> = Vec::new();
    let mut all: Vec<OscMessage> = Vec::new();
    // A trigger's value (a lit pad) sent to its own address would fire it at a receiver that
    // echoes, or at a second instance: triggers are not fed back.
    for spec in registry.specs().iter().filter(|s| s.kind != ControlKind::Trigger) {
        let v = values.get(spec.id);
        let msg = || OscMessage {
            addr: spec.address.clone(),
            args: value_args(&spec.kind, v),
        };
        if sent.values.insert(spec.id, v) != Some(v) {
            changed.push((spec.id, msg()));
        }
        if resync {
            all.push(msg());
        }
    }
    if let Some(q) = &runtime.query {
        q.update_values(changed.iter().map(|(_, m)| (m.addr.clone(), m.args.clone())));
    }
    for to in targets {
        let messages: Vec<OscMessage> = if resync {
            all.clone()
        } else {
            changed
                .iter()
                .filter(|(id, _)| movers.get(id) != Some(&to))
                .map(|(_, m)| m.clone())
                .collect()
        };
        runtime.send_messages(&mut status, &[to], Timing::Immediately, messages);
    }
}

/// Forwards the moves made here to the mirrored instance.
pub(crate) fn send_mirror(
    runtime: Res<OscRuntime>,
    mut status: ResMut<OscStatus>,
    registry: Res<Registry>,
    mut moved: MessageReader<ControlMoved>,
) {
    let Some(mirror) = runtime.mirror else {
        moved.clear();
        return;
    };
    let messages: Vec<OscMessage> = moved
        .read()
        // Focus and shift layers are each performer's own.
        .filter(|m| m.source != Source::Osc(mirror) && !matches!(m.id, ControlId::Map(_)))
        .filter_map(|m| {
            let spec = registry.spec(m.id)?;
            Some(OscMessage {
                addr: spec.address.clone(),
                // Exact values, so both instances hold the same; a fired trigger fires there too.
                args: vec![OscType::Double(m.value.unwrap_or(1.0))],
            })
        })
        .collect();
    runtime.send_messages(&mut status, &[mirror], Timing::Immediately, messages);
}
