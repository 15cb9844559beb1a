//! What the engine reported as applied, collected in a resource for tests that run the app.

use bevy::prelude::*;
use phosphene_engine_bridge::Applied;

/// Everything the engine reported as applied, in order.
#[derive(Resource, Default)]
pub struct AppliedLog(pub Vec<Applied>);

/// Collects this frame's `Applied` messages into [`AppliedLog`] (add it in `PostUpdate`).
pub fn collect(mut applied: MessageReader<Applied>, mut log: ResMut<AppliedLog>) {
    log.0.extend(applied.read().cloned());
}
