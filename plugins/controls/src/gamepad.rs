//! Gamepads through Bevy's gilrs integration: any pad the OS sees, several at once, plugged in
//! and out at any time. Bevy's processed gamepad events become [`ControlInput`]s, so a test's
//! synthetic pad (raw events written into Bevy) takes the same path as a real one.

use std::time::Instant;

use bevy::input::gamepad::{GamepadConnection, GamepadEvent};
use bevy::prelude::*;

use crate::change::{ControlInput, InputEvent};
use crate::devices::{DeviceClass, DeviceEvent, DeviceId, Devices};
use crate::mapping::file::{PadAxis, PadButton};

/// Which device each connected pad entity is.
#[derive(Resource, Debug, Default)]
pub struct Pads {
    entities: Vec<(Entity, DeviceId)>,
}

fn axis(a: GamepadAxis) -> Option<PadAxis> {
    Some(match a {
        GamepadAxis::LeftStickX => PadAxis::LeftStickX,
        GamepadAxis::LeftStickY => PadAxis::LeftStickY,
        GamepadAxis::RightStickX => PadAxis::RightStickX,
        GamepadAxis::RightStickY => PadAxis::RightStickY,
        GamepadAxis::LeftZ => PadAxis::LeftZ,
        GamepadAxis::RightZ => PadAxis::RightZ,
        GamepadAxis::Other(_) => return None,
    })
}

fn button(b: GamepadButton) -> Option<PadButton> {
    use GamepadButton as G;
    Some(match b {
        G::South => PadButton::South,
        G::East => PadButton::East,
        G::North => PadButton::North,
        G::West => PadButton::West,
        G::LeftTrigger => PadButton::LeftShoulder,
        G::RightTrigger => PadButton::RightShoulder,
        G::LeftTrigger2 => PadButton::LeftTrigger,
        G::RightTrigger2 => PadButton::RightTrigger,
        G::Select => PadButton::Select,
        G::Start => PadButton::Start,
        G::Mode => PadButton::Mode,
        G::LeftThumb => PadButton::LeftThumb,
        G::RightThumb => PadButton::RightThumb,
        G::DPadUp => PadButton::DPadUp,
        G::DPadDown => PadButton::DPadDown,
        G::DPadLeft => PadButton::DPadLeft,
        G::DPadRight => PadButton::DPadRight,
        G::C | G::Z | G::Other(_) => return None,
    })
}

/// Pads joining and leaving, their sticks and buttons, into control input.
pub(crate) fn read_gamepads(
    mut events: MessageReader<GamepadEvent>,
    mut pads: ResMut<Pads>,
    mut devices: ResMut<Devices>,
    mut device_events: MessageWriter<DeviceEvent>,
    mut inputs: MessageWriter<ControlInput>,
) {
    let at = Instant::now();
    for event in events.read() {
        match event {
            GamepadEvent::Connection(c) => match &c.connection {
                GamepadConnection::Connected { name, .. } => {
                    let ordinal = pads
                        .entities
                        .iter()
                        .filter(|(_, d)| devices.get(*d).is_some_and(|x| x.name == *name && x.connected))
                        .count();
                    let id = devices.connect(name, DeviceClass::Gamepad, ordinal);
                    pads.entities.retain(|(e, _)| *e != c.gamepad);
                    pads.entities.push((c.gamepad, id));
                    info!("gamepad connected: {name}");
                    device_events.write(DeviceEvent::Connected(id));
                }
                GamepadConnection::Disconnected => {
                    if let Some(i) = pads.entities.iter().position(|(e, _)| *e == c.gamepad) {
                        let (_, id) = pads.entities.remove(i);
                        devices.disconnect(id);
                        device_events.write(DeviceEvent::Disconnected(id));
                    }
                }
            },
            GamepadEvent::Axis(a) => {
                let (Some(device), Some(ax)) = (pads.device(a.entity), axis(a.axis)) else {
                    continue;
                };
                inputs.write(ControlInput {
                    device,
                    event: InputEvent::Axis(ax, a.value),
                    at,
                });
            }
            GamepadEvent::Button(b) => {
                let (Some(device), Some(bt)) = (pads.device(b.entity), button(b.button)) else {
                    continue;
                };
                inputs.write(ControlInput {
                    device,
                    event: InputEvent::Button(bt, b.value),
                    at,
                });
            }
        }
    }
}

impl Pads {
    fn device(&self, entity: Entity) -> Option<DeviceId> {
        self.entities.iter().find(|(e, _)| *e == entity).map(|(_, d)| *d)
    }
}

/// How long a beat's rumble lasts.
const PULSE: std::time::Duration = std::time::Duration::from_millis(60);

/// Rumbles the pads whose profile asks for it on each beat or bar line of the engine clock.
pub(crate) fn rumble_on_beat(
    transport: Res<phosphene_decks::Transport>,
    pads: Res<Pads>,
    devices: Res<Devices>,
    mappings: Res<crate::mapping::Mappings>,
    mut last_beat: Local<Option<f64>>,
    mut requests: MessageWriter<bevy::input::gamepad::GamepadRumbleRequest>,
) {
    use crate::mapping::file::Rumble;
    use bevy::input::gamepad::{GamepadRumbleIntensity, GamepadRumbleRequest};
    let beat = transport.beat.floor();
    let bar = (transport.beat / transport.quantum.max(1.0)).floor();
    let Some(last) = last_beat.replace(beat).filter(|l| *l != beat) else {
        return;
    };
    let new_bar = (last / transport.quantum.max(1.0)).floor() != bar;
    for (entity, id) in &pads.entities {
        let Some(d) = devices.get(*id) else { continue };
        let profile = mappings.runtime.profiles.iter().find(|p| p.matches(&d.name, d.class));
        let pulse = match profile.map(|p| p.rumble) {
            Some(Rumble::Beat) => true,
            Some(Rumble::Bar) => new_bar,
            _ => false,
        };
        if pulse {
            requests.write(GamepadRumbleRequest::Add {
                duration: PULSE,
                intensity: GamepadRumbleIntensity::weak_motor(0.6),
                gamepad: *entity,
            });
        }
    }
}
