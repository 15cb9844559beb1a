//! OSC: every control of the control map under its address, from any OSC client, and out
//! again to any number of destinations; analysis out in time with the sound; OSCQuery for
//! tools that browse; two instances mirroring each other.
//!
//! - [`socket`]: the UDP socket and its receiving thread (bounded; floods are shed).
//! - [`wire`], [`pattern`], [`args`]: packets, OSC 1.0 address patterns, lenient arguments.
//! - [`inbound`]: what a message asks of the control map; [`receive`] does it each frame.
//! - [`feedback`]: changes out, and mirroring; [`analysis_out`]: analysis bundles and events.
//! - [`oscquery`] serves [`query`]'s namespace over HTTP and a websocket.
//! - [`settings`] are the set's (and the command line's); [`runtime`] holds what is open.

pub mod analysis_out;
pub mod args;
pub mod docs;
pub mod feedback;
pub mod inbound;
pub mod oscquery;
pub mod pattern;
pub mod query;
pub mod receive;
pub mod runtime;
pub mod settings;
pub mod socket;
pub mod wire;

use bevy::prelude::*;
use phosphene_controls::ControlSet;

pub use runtime::{OscConfig, OscStatus};
pub use settings::{Destination, Endpoint, OscOverrides, OscSettings};

/// Stages of OSC in the frame.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OscSet {
    /// `Update`, before [`ControlSet::Map`]: settings applied, packets taken and turned into
    /// control changes, raw input and answers.
    Receive,
    /// `PostUpdate`, after [`ControlSet::Values`]: feedback, mirroring, analysis and
    /// OSCQuery's values go out.
    Send,
}

/// OSC for the control map, with the command line's settings (a set's come with the set).
pub struct OscPlugin {
    /// Settings that win over any set's.
    pub overrides: OscOverrides,
}

impl Plugin for OscPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(OscConfig::new(self.overrides.clone()))
            .init_resource::<runtime::OscRuntime>()
            .init_resource::<OscStatus>()
            .configure_sets(Update, OscSet::Receive.before(ControlSet::Map))
            .configure_sets(PostUpdate, OscSet::Send.after(ControlSet::Values))
            .add_systems(
                Update,
                (runtime::reconfigure, receive::receive).chain().in_set(OscSet::Receive),
            )
            .add_systems(
                PostUpdate,
                (
                    feedback::send_feedback,
                    feedback::send_mirror,
                    analysis_out::send_analysis,
                    analysis_out::send_events,
                    query::refresh_namespace,
                )
                    .chain()
                    .in_set(OscSet::Send),
            )
            .add_systems(Last, report_at_exit);
    }
}

/// What OSC did, on stderr when the app ends (the tests and the benchmarks read it).
fn report_at_exit(mut exit: MessageReader<AppExit>, status: Res<OscStatus>) {
    if exit.read().next().is_some() && status.listening.is_some() {
        eprintln!(
            "osc: received={} shed={} refused={} sent={} send_errors={}",
            status.received, status.shed, status.refused, status.sent, status.send_errors
        );
    }
}
