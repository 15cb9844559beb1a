//! What OSCQuery describes: every control of the registry (type, range, unit, description,
//! read-write) and every analysis leaf (read-only). When the registry changes (the scene
//! library, and with it the scene choice), the namespace is replaced and listeners are told.

use bevy::prelude::*;
use phosphene_controls::Registry;
use phosphene_controls::registry::ControlKind;

use crate::analysis_out;
use crate::inbound::osc_type;
use crate::oscquery::{Access, Leaf, Range};
use crate::runtime::OscRuntime;

/// The namespace for `registry`.
pub fn leaves(registry: &Registry) -> Vec<Leaf> {
    let mut out: Vec<Leaf> = registry
        .specs()
        .iter()
        .map(|s| {
            let (lo, hi) = s.kind.bounds();
            let (range, unit) = match &s.kind {
                ControlKind::Continuous(r) => (
                    Some(Range::MinMax(lo, hi)),
                    Some(r.unit.to_string()).filter(|u| !u.is_empty()),
                ),
                ControlKind::Trigger => (None, None),
                ControlKind::Toggle | ControlKind::Choice(_) => (Some(Range::MinMax(lo, hi)), None),
            };
            let description = match &s.kind {
                ControlKind::Choice(o) => {
                    format!("{} (0..{}: {})", s.description, o.len().saturating_sub(1), o.join(", "))
                }
                _ => s.description.clone(),
            };
            Leaf {
                path: s.address.clone(),
                type_tag: osc_type(&s.kind).into(),
                range,
                unit,
                description,
                // A trigger has no value to read: it only fires.
                access: if s.kind == ControlKind::Trigger {
                    Access::Write
                } else {
                    Access::ReadWrite
                },
            }
        })
        .collect();
    out.extend(
        analysis_out::leaves(registry.decks())
            .into_iter()
            .map(|(path, type_tag, description)| Leaf {
                path,
                type_tag,
                range: None,
                unit: None,
                description,
                access: Access::Read,
            }),
    );
    out
}

/// Replaces the namespace when the registry changed.
pub(crate) fn refresh_namespace(runtime: Res<OscRuntime>, registry: Res<Registry>) {
    // Unchanged leaves announce nothing, so the first frame's rebuild is free.
    if registry.is_changed()
        && let Some(q) = &runtime.query
    {
        q.set_leaves(leaves(&registry));
    }
}
