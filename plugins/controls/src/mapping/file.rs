//! The mapping file format (RON): device profiles (what a piece of hardware sends and how to
//! recognise it) kept apart from bindings (which of its controls drives which address).
//!
//! ```ron
//! (
//!     devices: [(
//!         name: "Korg nanoKONTROL2",
//!         ports: ["nanoKONTROL2"],
//!         controls: [
//!             (name: "knob 1", input: Cc(channel: 1, cc: 16)),
//!             (name: "play", input: Cc(channel: 1, cc: 41), feedback: Same),
//!         ],
//!     )],
//!     bindings: [
//!         (device: "Korg nanoKONTROL2", control: "knob 1", to: "/deck/focused/filter",
//!          options: (curve: S, takeover: PickUp)),
//!         (device: "Korg nanoKONTROL2", control: "play", to: "/deck/focused/play"),
//!     ],
//! )
//! ```

use serde::{Deserialize, Serialize};

use crate::binding::BindingOptions;
pub use crate::input::{Input, PadAxis, PadButton};
use crate::state::Layer;

/// One mapping file: profiles and bindings. Either part may be empty (a set's `mappings`
/// field often holds only bindings for a profile that ships with Phosphene).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MappingFile {
    /// Hardware this file describes.
    pub devices: Vec<DeviceProfile>,
    /// What each piece of hardware drives.
    pub bindings: Vec<Binding>,
}

/// What a device is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceKind {
    /// A MIDI controller (ports matched by name).
    #[default]
    Midi,
    /// A game controller (matched by the name the OS gives it).
    Gamepad,
    /// OSC controller apps (addresses outside the control map, bound with `Osc("/1/fader1")`).
    Osc,
    /// A camera: what it sees, bound with `Gesture(...)` (see docs/GESTURES.md).
    Camera,
}

/// A piece of hardware: how to recognise it and what its controls send.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceProfile {
    /// The name bindings refer to.
    pub name: String,
    /// MIDI or gamepad.
    pub kind: DeviceKind,
    /// Recognised when a port (or pad) name contains one of these, ignoring case. Empty: any
    /// device of its kind.
    pub ports: Vec<String>,
    /// Its physical controls, by name.
    pub controls: Vec<HardwareControl>,
    /// Raw MIDI messages sent when the device connects (e.g. SysEx that selects a mode).
    pub init: Vec<Vec<u8>>,
    /// The output port feedback goes to, when it is not the one named like the input (part of
    /// its name, ignoring case); by default the output port paired with the input by name.
    pub output: Option<String>,
    /// Sticks of a gamepad: radial deadzone and outer livezone.
    pub sticks: Option<crate::binding::shape::StickShape>,
    /// A gamepad that can rumble does on the beat or the bar (off unless asked for).
    pub rumble: Rumble,
}

/// When a gamepad rumbles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rumble {
    /// Never.
    #[default]
    Off,
    /// A short pulse on every beat.
    Beat,
    /// A short pulse on every bar line.
    Bar,
}

/// One physical control of a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareControl {
    /// Its name, e.g. `deck 1 play` or `knob 3`.
    pub name: String,
    /// What it sends.
    pub input: Input,
    /// How it shows a value (LED, ring, motor fader, pad colour).
    #[serde(default)]
    pub feedback: Feedback,
}

/// How a control shows its value back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Feedback {
    /// It cannot (plain knobs).
    #[default]
    None,
    /// The same message it sends, with the value (LEDs on buttons, rings, motor faders).
    Same,
    /// Another message (an LED with its own note, a ring on another CC).
    To(Input),
    /// A SysEx message (e.g. a pad colour): `template` with the value written at `at`.
    SysEx {
        /// The whole message, F0 .. F7.
        template: Vec<u8>,
        /// Index of the byte that carries the value (0..127).
        at: usize,
    },
}

/// Which message drives which address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    /// The profile (or, for a device without one, the port name) it listens to.
    pub device: String,
    /// A named control of the profile ...
    #[serde(default)]
    pub control: Option<String>,
    /// ... or the message itself (what learn writes).
    #[serde(default)]
    pub input: Option<Input>,
    /// The control's address, e.g. `/deck/1/filter` or `/deck/focused/play`.
    pub to: String,
    /// The shift layer it acts on.
    #[serde(default)]
    pub layer: Layer,
    /// For a button in `HoldTap` or `DoubleTap` mode: the address a hold (or a double tap)
    /// drives, while a tap drives `to` (e.g. tap jumps to a hot cue, hold deletes it).
    #[serde(default)]
    pub hold_to: Option<String>,
    /// How its light shows the control's value.
    #[serde(default)]
    pub led: LedMode,
    /// Curve, range, takeover, smoothing, button behaviour.
    #[serde(default)]
    pub options: BindingOptions,
}

/// How a light shows its control (lights follow the engine's beat clock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedMode {
    /// Lit while on; rings and faders show the value.
    #[default]
    Value,
    /// Blinks on each beat (lit for its first half) while on.
    BlinkOnBeat,
    /// Blinks on each beat while off, lit while on: "press me" (e.g. play while paused).
    BlinkWhenOff,
}
