//! What a device sends, as mapping files and learn describe it: MIDI messages (channels written
//! 1..16, as makers' charts print them), relative encodings, gamepad axes and buttons, an OSC
//! controller app's own addresses, and what a camera sees (motion and hands, see [`Gesture`]).

use serde::{Deserialize, Serialize};

/// A message a device sends. MIDI channels are written 1..16, as makers' charts print them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Input {
    /// A note (pads, buttons): on with velocity, off.
    Note {
        /// MIDI channel, 1..16.
        channel: u8,
        /// Note number, 0..127.
        note: u8,
    },
    /// A 7-bit control change (knobs, faders, buttons that send 127/0).
    Cc {
        /// MIDI channel, 1..16.
        channel: u8,
        /// Controller number, 0..127.
        cc: u8,
    },
    /// A 14-bit control change: `msb` (0..31) and `msb + 32`.
    Cc14 {
        /// MIDI channel, 1..16.
        channel: u8,
        /// Controller number of the coarse half, 0..31.
        msb: u8,
    },
    /// A non-registered parameter (CC 99/98 select, 6/38 data).
    Nrpn {
        /// MIDI channel, 1..16.
        channel: u8,
        /// Parameter number, 0..16383.
        param: u16,
    },
    /// A registered parameter (CC 101/100 select, 6/38 data).
    Rpn {
        /// MIDI channel, 1..16.
        channel: u8,
        /// Parameter number, 0..16383.
        param: u16,
    },
    /// The pitch-bend wheel (14 bits, centre 8192).
    PitchBend {
        /// MIDI channel, 1..16.
        channel: u8,
    },
    /// Program change: the program number is the value.
    Program {
        /// MIDI channel, 1..16.
        channel: u8,
    },
    /// Pressure: of one key (`note`) or of the whole channel (`None`).
    Aftertouch {
        /// MIDI channel, 1..16.
        channel: u8,
        /// The key, for polyphonic pressure.
        note: Option<u8>,
    },
    /// A relative encoder (jog wheels, endless knobs) sending steps on a CC.
    Encoder {
        /// MIDI channel, 1..16.
        channel: u8,
        /// Controller number, 0..127.
        cc: u8,
        /// How the steps are written.
        encoding: RelativeEncoding,
    },
    /// A gamepad axis.
    Axis(PadAxis),
    /// A gamepad button (analog triggers too: their pressure is the value).
    Button(PadButton),
    /// An OSC address outside the control map, as a controller app sends it (`/1/fader1`):
    /// its first argument, 0..1, is the value.
    Osc(String),
    /// Something a camera sees: a continuous feature (0..1) or a discrete gesture (a press).
    Gesture(Gesture),
}

/// What a camera sees, as a binding names it, e.g. `Gesture(Hand(Any, Height))`,
/// `Gesture(Motion(Zone("left"), Energy))` or `Gesture(Swipe(Frame, Right))`.
///
/// Continuous features are read as a position 0..1 (a knob); discrete gestures as a button
/// pressed for one frame (a pad). Left and right are the performer's: the picture is measured
/// as in a mirror (unless the camera runs unmirrored, when they are the camera's).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gesture {
    /// A motion feature of a region (no model needed).
    Motion(Region, MotionFeature),
    /// A feature of a tracked hand (needs the hand model).
    Hand(Which, HandFeature),
    /// A fast straight move across a region.
    Swipe(Region, Direction),
    /// Something in a region came to rest after moving and stays still.
    Hold(Region),
    /// A hand opened, closed or pinched.
    HandDid(Which, HandEvent),
}

impl Gesture {
    /// Whether it is a momentary event (a button) rather than a continuous feature (a knob).
    pub fn is_discrete(&self) -> bool {
        !matches!(self, Gesture::Motion(..) | Gesture::Hand(..))
    }
}

/// Where in the camera's picture motion is measured.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Region {
    /// The whole picture.
    Frame,
    /// A zone the performer drew on the camera preview, by name.
    Zone(String),
}

/// A continuous motion feature of a region, each 0..1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MotionFeature {
    /// How much of the region moves (0 still, 1 all of it).
    Energy,
    /// How much of the region differs from the learnt still scene (someone is there).
    Presence,
    /// Where the motion is, left (0) to right (1) of the region.
    X,
    /// How high the motion is in the region, bottom (0) to top (1).
    Height,
    /// How fast the motion's centre travels (1: the region's width in a quarter second).
    Speed,
}

/// A continuous feature of a hand, each 0..1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HandFeature {
    /// The palm centre, left (0) to right (1) of the picture.
    X,
    /// The palm centre, bottom (0) to top (1) of the picture.
    Height,
    /// Fist (0) to open hand (1).
    Openness,
    /// Thumb and index apart (0) to touching (1).
    Pinch,
    /// How fast the palm travels (1: the picture's width in a quarter second).
    Speed,
}

/// Which hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Which {
    /// The hand seen first (the only one, when one is up).
    Any,
    /// The performer's left hand.
    Left,
    /// The performer's right hand.
    Right,
}

/// A swipe's direction: the performer's left and right (see [`Gesture`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// Towards the performer's left.
    Left,
    /// Towards the performer's right.
    Right,
    /// Upwards.
    Up,
    /// Downwards.
    Down,
}

/// A discrete hand gesture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HandEvent {
    /// A fist opened.
    Open,
    /// An open hand closed into a fist.
    Close,
    /// Thumb and index met.
    Pinch,
}

/// Gamepad axes, named as Bevy names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PadAxis {
    /// Left stick, left (-1) to right (1).
    LeftStickX,
    /// Left stick, down (-1) to up (1).
    LeftStickY,
    /// Right stick, left to right.
    RightStickX,
    /// Right stick, down to up.
    RightStickY,
    /// A third left axis some pads have.
    LeftZ,
    /// A third right axis some pads have.
    RightZ,
}

/// Gamepad buttons, named by position as Bevy names them (South is A on Xbox, Cross on PlayStation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PadButton {
    /// Bottom face button.
    South,
    /// Right face button.
    East,
    /// Top face button.
    North,
    /// Left face button.
    West,
    /// Left shoulder.
    LeftShoulder,
    /// Right shoulder.
    RightShoulder,
    /// Left analog trigger (0..1).
    LeftTrigger,
    /// Right analog trigger (0..1).
    RightTrigger,
    /// Select / back / share.
    Select,
    /// Start / options.
    Start,
    /// The logo button.
    Mode,
    /// Left stick pressed.
    LeftThumb,
    /// Right stick pressed.
    RightThumb,
    /// D-pad up.
    DPadUp,
    /// D-pad down.
    DPadDown,
    /// D-pad left.
    DPadLeft,
    /// D-pad right.
    DPadRight,
}

/// How a relative encoder writes a signed step count into a 7-bit CC value.
///
/// Direction conventions vary even within one scheme (some devices send "up" for
/// counter-clockwise); a mapping that feels reversed should negate the decoded steps rather than
/// pick another encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RelativeEncoding {
    /// 7-bit two's complement: 1..=63 are +1..=+63, 127..=65 are -1..=-63, 64 is -64.
    /// Ableton/Bitwig "2's complement", Reaper "Relative 1", Traktor "7Fh/01h", Mixxx `selectknob`,
    /// Faderfox "CCr1"; the most common scheme.
    TwosComplement,
    /// Bit 6 is the sign, bits 0..=5 the magnitude: 1 is +1, 65 is -1 (0 and 64 are zero).
    /// Ableton/Bitwig "Signed Bit", Reaper "Relative 3", Mackie Control V-Pots.
    SignMagnitude,
    /// Binary offset around 64: 65 is +1, 63 is -1, 64 is no movement.
    /// Ableton/Bitwig "Binary Offset", Reaper "Relative 2", Traktor "3Fh/41h", Faderfox "CCr2",
    /// most DJ-controller jog wheels.
    Offset64,
    /// One half of an increment/decrement button pair: any non-zero value (a press) is one step
    /// up, zero (the release) is no movement. Bind the partner button with [`RelativeEncoding::Decrement`].
    Increment,
    /// The other half of an increment/decrement button pair: a press is one step down.
    Decrement,
}

impl RelativeEncoding {
    /// The encodings that carry a signed value in one CC, i.e. those [`learn`](crate::midi::learn) can detect
    /// from a stream of values (button pairs are two separate controls).
    pub const VALUE_ENCODINGS: [RelativeEncoding; 3] = [
        RelativeEncoding::TwosComplement,
        RelativeEncoding::SignMagnitude,
        RelativeEncoding::Offset64,
    ];
}
