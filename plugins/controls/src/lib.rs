//! The control map: every control a performer can touch, under one address each, and the one
//! path every input source takes to reach it.
//!
//! - [`Registry`]: each control's address, kind, range and description (the one home of its
//!   range); `phosphene controls` prints it and docs/CONTROLS.md is generated from it.
//! - Sources (the control window, the keyboard, MIDI, gamepads) write [`ControlChange`]s; in
//!   [`ControlSet::Apply`] they are held to their control's kind and range, resolved against
//!   the focus and become deck [`phosphene_decks::Action`]s and
//!   [`phosphene_visuals::VisualCommand`]s.
//! - [`ControlState`] holds the focused deck and the modifier layers every source shares;
//!   [`ControlValues`] every control's value, read back each frame for feedback and relative moves.

pub mod address;
pub mod apply;
pub mod binding;
pub mod change;
pub mod choices;
pub mod devices;
pub mod docs;
pub mod gamepad;
pub mod learn;
pub mod mapping;
pub mod midi;
pub mod registry;
pub mod state;
pub mod values;

use bevy::prelude::*;
use phosphene_decks::DeckSet;
use phosphene_visuals::{Scenes, VisualSet};

pub use address::{ControlId, DeckControl, DeckRef, MapControl, MixerControl, TransportControl, VisualControl};
pub use change::{ControlChange, ControlValue, Source};
pub use devices::{DeviceEvent, DeviceId, Devices};
pub use learn::{Learn, LearnPhase};
pub use registry::{ControlKind, ControlSpec, Registry};
pub use state::{ControlState, Layer};
pub use values::ControlValues;

/// Stages of the control map, in frame order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlSet {
    /// `Update`: device input becomes control changes through the mappings.
    Map,
    /// `Update`, after [`ControlSet::Map`] and before [`DeckSet::Actions`] and
    /// [`VisualSet::Control`]: control changes become actions and visual commands.
    Apply,
    /// `PostUpdate`: every control's value is read back; feedback goes out to devices.
    Values,
}

/// The control map for an instrument with `decks` decks.
pub struct ControlsPlugin {
    /// Decks the instrument has.
    pub decks: usize,
}

impl Plugin for ControlsPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<ControlChange>()
            .add_message::<DeviceEvent>()
            .insert_resource(Registry::new(self.decks, &[]))
            .insert_resource(ControlState::new(self.decks))
            .init_resource::<ControlValues>()
            .init_resource::<Devices>()
            .init_resource::<Learn>()
            .configure_sets(
                Update,
                (ControlSet::Map, ControlSet::Apply).chain().before(DeckSet::Actions).before(VisualSet::Control),
            )
            .add_systems(Update, (rebuild_registry, apply::apply_changes).chain().in_set(ControlSet::Apply))
            .add_systems(PostUpdate, values::refresh_values.in_set(ControlSet::Values));
    }
}

/// Lists the scenes in the registry when the library changes.
fn rebuild_registry(scenes: Option<Res<Scenes>>, state: Res<ControlState>, mut registry: ResMut<Registry>) {
    let Some(scenes) = scenes.filter(|s| s.is_changed()) else { return };
    let ids: Vec<String> = scenes.0.scenes().map(|s| s.id.clone()).collect();
    *registry = Registry::new(state.decks, &ids);
}
