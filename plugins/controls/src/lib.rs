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
pub mod feedback;
pub mod gamepad;
pub mod input;
pub mod learn;
pub mod mapping;
pub mod midi;
pub mod mixxx;
pub mod registry;
pub mod state;
pub mod values;

use bevy::prelude::*;
use phosphene_decks::DeckSet;
use phosphene_visuals::{Scenes, VisualSet};

pub use address::{ControlId, DeckControl, DeckRef, MapControl, MixerControl, TransportControl, VisualControl};
pub use change::{ControlChange, ControlMoved, ControlValue, Source};
pub use devices::{DeviceEvent, DeviceId, Devices};
pub use learn::{Learn, LearnCommand, LearnInto, LearnPhase};
pub use mapping::{MappingPaths, Mappings};
pub use midi::source::Midi;
pub use registry::{ControlKind, ControlSpec, Registry};
pub use state::{ControlState, Layer};
pub use values::ControlValues;

/// Stages of the control map, in frame order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlSet {
    /// `Update`: devices' messages are read; learn listens; mappings turn the rest into
    /// control changes.
    Map,
    /// `Update`, after [`ControlSet::Map`] and before [`DeckSet::Actions`] and
    /// [`VisualSet::Control`]: control changes become actions and visual commands. Sources that
    /// write [`ControlChange`]s directly (the control window, the keyboard) run before it.
    Apply,
    /// `PostUpdate`: every control's value is read back; feedback goes out to devices.
    Values,
}

/// The control map for an instrument with `decks` decks.
pub struct ControlsPlugin {
    /// Decks the instrument has.
    pub decks: usize,
    /// Read MIDI ports (off in tests that feed input themselves).
    pub midi: bool,
    /// Where mapping files come from.
    pub mappings: MappingPaths,
}

impl Plugin for ControlsPlugin {
    fn build(&self, app: &mut App) {
        // Bevy's input plugin and the visuals register these where they run; registering them
        // here too keeps a run without them (headless, a test) from failing.
        app.add_message::<bevy::input::gamepad::GamepadEvent>()
            .add_message::<bevy::input::gamepad::GamepadRumbleRequest>()
            .add_message::<phosphene_visuals::VisualCommand>();
        app.add_message::<ControlChange>()
            .add_message::<change::ControlMoved>()
            .add_message::<change::ControlInput>()
            .add_message::<DeviceEvent>()
            .add_message::<LearnCommand>()
            .insert_resource(Registry::new(self.decks, &[]))
            .insert_resource(ControlState::new(self.decks))
            .insert_resource(Mappings::new(self.mappings.clone()))
            .init_resource::<ControlValues>()
            .init_resource::<Devices>()
            .init_resource::<Learn>()
            .init_resource::<gamepad::Pads>()
            .init_resource::<feedback::FeedbackSent>()
            .configure_sets(
                Update,
                (ControlSet::Map, ControlSet::Apply)
                    .chain()
                    .before(DeckSet::Actions)
                    .before(VisualSet::Control),
            )
            .add_systems(
                Update,
                (
                    midi::source::read_midi.run_if(resource_exists::<Midi>),
                    gamepad::read_gamepads,
                    mapping::read_mappings,
                    learn::run_learn,
                    mapping::map_inputs,
                )
                    .chain()
                    .in_set(ControlSet::Map),
            )
            .add_systems(
                Update,
                (rebuild_registry, apply::apply_changes)
                    .chain()
                    .in_set(ControlSet::Apply),
            )
            .add_systems(
                PostUpdate,
                (
                    values::refresh_values,
                    feedback::send_feedback.run_if(resource_exists::<Midi>),
                    gamepad::rumble_on_beat,
                    midi::clock::share_position.run_if(resource_exists::<midi::clock::MidiClock>),
                )
                    .chain()
                    .in_set(ControlSet::Values),
            );
        if self.midi {
            app.insert_resource(Midi::start());
        }
    }
}

/// Lists the scenes in the registry when the library changes.
fn rebuild_registry(scenes: Option<Res<Scenes>>, state: Res<ControlState>, mut registry: ResMut<Registry>) {
    let Some(scenes) = scenes.filter(|s| s.is_changed()) else {
        return;
    };
    let ids: Vec<String> = scenes.0.scenes().map(|s| s.id.clone()).collect();
    *registry = Registry::new(state.decks, &ids);
}
