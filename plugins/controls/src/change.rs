//! What flows through the control map: raw input from a device, and the control changes that
//! mappings (or the control window and the keyboard, directly) make of it.

use std::time::Instant;

use bevy::prelude::*;

use crate::address::ControlId;

/// Where a change came from: so feedback can skip the device that moved (no echo), and learn
/// can tell the control window's clicks from a device's moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The control window.
    Ui,
    /// The computer keyboard.
    Keyboard,
    /// A connected device (a MIDI port pair, a gamepad), by its [`crate::devices::DeviceId`].
    Device(crate::devices::DeviceId),
    /// An OSC client (or a mirrored instance), by the address its packets came from: feedback
    /// and mirroring skip it, so nothing echoes back.
    Osc(std::net::SocketAddr),
    /// A script or test.
    Script,
}

/// How a change moves its control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ControlValue {
    /// To this value: a continuous control in its units, a toggle 0 or 1, a choice's index; a
    /// trigger fires at 0.5 and above.
    Set(f64),
    /// By this much: continuous in its units, a choice by options (wrapping), a toggle flips.
    Step(f64),
    /// A button went down: a trigger fires, a toggle flips.
    Press,
    /// A button came up: ends a momentary move (e.g. a nudge returns to rest).
    Release,
}

/// One change of one control, from any source.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct ControlChange {
    /// Which control (a focused-deck control follows the focus when applied).
    pub id: ControlId,
    /// How it moves.
    pub value: ControlValue,
    /// Who moved it.
    pub source: Source,
    /// When the movement reached the machine, for a device: continuous changes are applied by
    /// the engine at the frame of this time plus one fixed latency, not at the next UI frame.
    pub at: Option<Instant>,
    /// The engine frame the change was scheduled for by its sender (an OSC bundle's timetag):
    /// it applies there, launches included, whatever `at` says.
    pub frame: Option<u64>,
    /// Where a launch (play, a hot cue, a beat loop) lands, when its binding sets it; `None`
    /// follows the performer's launch quantization.
    pub launch: Option<engine_rt::Quantize>,
}

impl ControlChange {
    /// A change with no arrival time (applied with the frame's other changes).
    pub fn new(id: ControlId, value: ControlValue, source: Source) -> Self {
        Self {
            id,
            value,
            source,
            at: None,
            frame: None,
            launch: None,
        }
    }
}

/// A control that moved, after its change was held to its kind and resolved against the
/// focus: what mirroring forwards and what feedback uses to skip the sender.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub struct ControlMoved {
    /// The control, never a focused-deck address.
    pub id: ControlId,
    /// The control as the change named it (a focused-deck address before the focus resolved
    /// it): the address feedback does not send back to the one who moved it.
    pub asked: ControlId,
    /// Its new value, or `None` for a trigger that fired.
    pub value: Option<f64>,
    /// Who moved it.
    pub source: Source,
}

/// What a device sent, before any mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum InputEvent {
    /// A MIDI event (notes, CCs with 14-bit pairs and NRPNs assembled, pitch bend, ...).
    Midi(crate::midi::assemble::Event),
    /// A gamepad axis, -1..1.
    Axis(crate::mapping::file::PadAxis, f32),
    /// A gamepad button, 0..1 (analog triggers give their pressure).
    Button(crate::mapping::file::PadButton, f32),
    /// A message to an OSC address outside the control map (a controller app's own, e.g.
    /// TouchOSC's `/1/fader1`), with its first argument as a number.
    Osc {
        /// The address it was sent to.
        address: String,
        /// Its first argument (an app's faders send 0..1).
        value: f64,
    },
    /// What a camera sees: a continuous feature 0..1, or a discrete gesture (1 on the frame it
    /// happens, 0 on the next).
    Gesture(crate::input::Gesture, f64),
}

/// Raw input from a device, stamped with the time it reached the machine.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct ControlInput {
    /// Which device.
    pub device: crate::devices::DeviceId,
    /// What it sent.
    pub event: InputEvent,
    /// When it arrived.
    pub at: Instant,
}
