//! What OSCQuery describes: every control of the registry (type, range, unit, description,
//! read-write) and every analysis leaf (read-only). When the registry changes (the scene
//! library, and with it the scene choice), the namespace is replaced and listeners are told.

use bevy::prelude::*;
use phosphene_controls::Registry;
use phosphene_controls::registry::ControlKind;

use crate::analysis_out;
use crate::oscquery::{Access, Leaf, Range};
use crate::runtime::OscRuntime;

/// The namespace for `registry`.
pub fn leaves(registry: &Registry) -> Vec<Leaf> {
    let mut out: Vec<Leaf> = registry
        .specs()
        .iter()
        .map(|s| {
            let (type_tag, range, unit) = match &s.kind {
                ControlKind::Continuous(r) => (
                    "f",
                    Some(Range::MinMax(r.min, r.max)),
                    Some(r.unit.to_string()).filter(|u| !u.is_empty()),
                ),
                ControlKind::Toggle => ("i", Some(Range::MinMax(0.0, 1.0)), None),
                ControlKind::Trigger => ("N", None, None),
                ControlKind::Choice(o) => ("i", Some(Range::MinMax(0.0, o.len().saturating_sub(1) as f64)), None),
            };
            let description = match &s.kind {
                ControlKind::Choice(o) => format!("{} (0..{}: {})", s.description, o.len().saturating_sub(1), o.join(", ")),
                _ => s.description.clone(),
            };
            Leaf {
                path: s.address.clone(),
                type_tag: type_tag.into(),
                range,
                unit,
                description,
                access: Access::ReadWrite,
            }
        })
        .collect();
    out.extend(
        analysis_out::leaves(registry.decks()).into_iter().map(|(path, type_tag, description)| Leaf {
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
    if registry.is_changed()
        && !registry.is_added()
        && let Some(q) = &runtime.query
    {
        q.set_leaves(leaves(&registry));
    }
}
