//! Camera gestures: a webcam (or a recorded file played as one) sees the performer, and what it
//! sees plays any control through the control map, with the same bindings, curves, smoothing
//! and learn as a knob.
//!
//! - [`frame`]: frames in (a camera through nokhwa, y4m and MJPEG files, synthetic frames), each
//!   captured on a thread of its own that keeps only the latest; the rehearsal recorder.
//! - [`motion`]: the CPU features: an adaptive background, motion energy, presence, centre,
//!   velocity per region, and swipes and holds.
//! - [`hands`]: palm detection and hand landmarks with the MediaPipe models (feature `hands`).
//! - [`vision`]: the worker thread that runs them on each frame; [`tracking`] the hand model as
//!   it uses it; [`hand_gestures`] a hand's open, close and pinch; [`seen`] what it saw, and the
//!   control-map input that becomes; [`entities`] the same as ECS entities; [`view`] what the
//!   control window shows.
//! - [`settings`]: which camera, the hand model, the zones; [`presets`]: shipped bindings.

pub mod entities;
pub mod frame;
pub mod hand_gestures;
#[cfg(feature = "hands")]
pub mod hands;
pub mod motion;
pub mod presets;
pub mod seen;
pub mod settings;
pub mod tracking;
pub mod view;
pub mod vision;

use bevy::prelude::*;
use phosphene_controls::ControlSet;
use phosphene_controls::change::{ControlInput, InputEvent};
use phosphene_controls::devices::{DeviceClass, DeviceEvent, DeviceId, Devices};

pub use entities::{GestureRegion, RegionMotion, TrackedHand};
pub use settings::{CameraChoice, CameraConfig, CameraSettings, HandsChoice};
pub use view::CameraView;
pub use vision::Vision;

/// Stages of the camera in the frame.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GestureSet {
    /// `Update`, before [`ControlSet::Map`]: the camera is (re)started when its settings
    /// change, and what it saw since the last frame becomes control input and entities.
    Read,
}

/// Camera gestures, with the command line's choices (a set's zones come with the set).
pub struct GesturesPlugin {
    /// What to start with.
    pub config: CameraConfig,
}

impl Plugin for GesturesPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.config.clone())
            .init_resource::<CameraView>()
            .configure_sets(Update, GestureSet::Read.before(ControlSet::Map))
            .add_systems(Update, (restart, read).chain().in_set(GestureSet::Read));
    }
}

/// The camera's device in the control map, while one runs.
#[derive(Resource, Debug, Clone, Copy)]
struct CameraDevice(DeviceId);

/// (Re)starts the vision worker when the camera settings change; stops it when no camera is
/// chosen. The old worker is stopped before a new one starts, and what it saw (the region and
/// hand entities) goes with it.
fn restart(
    mut commands: Commands,
    config: Res<CameraConfig>,
    vision: Option<ResMut<Vision>>,
    device: Option<Res<CameraDevice>>,
    mut devices: ResMut<Devices>,
    mut device_events: MessageWriter<DeviceEvent>,
    mut view: ResMut<CameraView>,
    seen: Query<Entity, Or<(With<GestureRegion>, With<TrackedHand>)>>,
) {
    if !config.is_changed() {
        return;
    }
    if let Some(mut v) = vision {
        if v.follows(&config) {
            v.set_zones(&config.settings.zones);
            return;
        }
        v.stop();
        commands.remove_resource::<Vision>();
    }
    for e in &seen {
        commands.entity(e).despawn();
    }
    if let Some(d) = device {
        devices.disconnect(d.0);
        device_events.write(DeviceEvent::Disconnected(d.0));
        commands.remove_resource::<CameraDevice>();
    }
    let Some(choice) = config.camera.clone() else {
        *view = CameraView::default();
        return;
    };
    let vision = Vision::start(&choice, &config);
    let id = devices.connect(&choice.to_string(), DeviceClass::Camera, 0);
    device_events.write(DeviceEvent::Connected(id));
    *view = CameraView::starting(&choice, vision.hands_note());
    commands.insert_resource(vision);
    commands.insert_resource(CameraDevice(id));
}

/// What the worker saw since the last frame: control input (stamped with each frame's capture
/// time), the region and hand entities, and the control window's view.
fn read(
    mut commands: Commands,
    vision: Option<ResMut<Vision>>,
    device: Option<Res<CameraDevice>>,
    mut view: ResMut<CameraView>,
    mut inputs: MessageWriter<ControlInput>,
    mut regions: Query<(Entity, &mut GestureRegion, &mut RegionMotion)>,
    mut hands: Query<(Entity, &mut TrackedHand)>,
) {
    let (Some(mut vision), Some(device)) = (vision, device) else {
        return;
    };
    let mut last = None;
    while let Some(seen) = vision.next_seen() {
        for (gesture, value) in seen.inputs() {
            inputs.write(ControlInput {
                device: device.0,
                event: InputEvent::Gesture(gesture, value),
                at: seen.captured,
            });
        }
        last = Some(seen);
    }
    if let Some(seen) = &last {
        entities::sync(&mut commands, seen, &mut regions, &mut hands);
    }
    vision.update_view(&mut view, last.as_ref());
}
