//! The devices the control map knows: MIDI port pairs and gamepads, connected now or seen
//! earlier in the session (a device that comes back keeps its id, so its bindings, takeover and
//! feedback pick up where they were).

use bevy::prelude::*;

/// A device's id for this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub u32);

/// What sort of device it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceClass {
    /// A MIDI controller (an input port, and its output port when it has one).
    Midi,
    /// A game controller.
    Gamepad,
    /// OSC clients (controller apps on a phone or another machine), as one device.
    Osc,
    /// A camera (or a recorded file played as one), through the gestures plugin.
    Camera,
}

/// One device.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// Its id.
    pub id: DeviceId,
    /// The name the system gives it (a MIDI port's name, a pad's name).
    pub name: String,
    /// MIDI or gamepad.
    pub class: DeviceClass,
    /// Among devices of the same name, which one (0 for the first): two identical
    /// controllers stay apart.
    pub ordinal: usize,
    /// Connected now.
    pub connected: bool,
}

/// Every device seen this session.
#[derive(Resource, Debug, Clone, Default)]
pub struct Devices {
    list: Vec<Device>,
}

/// A device joined or left: feedback resends everything on a join; takeover re-arms.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceEvent {
    /// It is connected (again).
    Connected(DeviceId),
    /// It went away.
    Disconnected(DeviceId),
}

impl Devices {
    /// Marks the `ordinal`-th device of this name and class connected; the same id as before
    /// when it was seen earlier.
    pub fn connect(&mut self, name: &str, class: DeviceClass, ordinal: usize) -> DeviceId {
        if let Some(d) = self
            .list
            .iter_mut()
            .find(|d| d.name == name && d.class == class && d.ordinal == ordinal)
        {
            d.connected = true;
            return d.id;
        }
        let id = DeviceId(self.list.len() as u32);
        self.list.push(Device {
            id,
            name: name.to_string(),
            class,
            ordinal,
            connected: true,
        });
        id
    }

    /// Marks a device gone.
    pub fn disconnect(&mut self, id: DeviceId) {
        if let Some(d) = self.list.iter_mut().find(|d| d.id == id) {
            d.connected = false;
        }
    }

    /// A device by id.
    pub fn get(&self, id: DeviceId) -> Option<&Device> {
        self.list.iter().find(|d| d.id == id)
    }

    /// Every device seen, connected or not.
    pub fn iter(&self) -> impl Iterator<Item = &Device> {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_that_comes_back_keeps_its_id_and_twins_stay_apart() {
        let mut d = Devices::default();
        let a = d.connect("DDJ-FLX4 MIDI 1", DeviceClass::Midi, 0);
        let b = d.connect("DDJ-FLX4 MIDI 1", DeviceClass::Midi, 1);
        assert_ne!(a, b);
        d.disconnect(a);
        assert!(!d.get(a).is_some_and(|x| x.connected));
        assert_eq!(d.connect("DDJ-FLX4 MIDI 1", DeviceClass::Midi, 0), a);
    }
}
