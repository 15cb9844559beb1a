//! Motion features and discrete gestures from webcam luma frames, on the CPU
//! and without any model.
//!
//! Files:
//! - [`tracker`]: [`MotionTracker`], the entry point: checks each frame, runs
//!   the background model, measures every region and runs its detectors;
//! - `background`: adaptive per-cell background model on a downsampled grid,
//!   giving foreground (presence) and moving (frame difference) masks;
//! - `light`: per-cell light-gain estimate so strobes do not read as motion;
//! - [`features`]: per-region energy, presence, centroid, box and velocity;
//! - [`zones`]: named normalised rectangles and their validation;
//! - [`detect`]: swipe and hold-still detectors and the gesture event types;
//! - [`clip`]: deterministic synthetic test clips (textured scene, hand-like
//!   shape on a path, strobes) with the shape's true position.

mod background;
pub mod clip;
pub mod detect;
pub mod features;
mod light;
#[cfg(test)]
mod tests;
pub mod tracker;
pub mod zones;

pub use detect::{GestureDetector, GestureEvent, GestureKind, Region};
pub use features::Features;
pub use tracker::{MotionFrame, MotionTracker};
pub use zones::{MAX_ZONES, Zone};

use std::fmt;

/// Why a frame or a zone list was refused. Nothing is changed by a refused call.
#[derive(Clone, Debug, PartialEq)]
pub enum MotionError {
    /// Width or height is zero.
    ZeroSize,
    /// `width * height` overflows.
    TooLarge,
    /// The luma buffer does not hold `width * height` bytes.
    BufferLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// The frame time is not finite.
    NonFiniteTime,
    /// The frame time is not after the previous frame's.
    TimeNotIncreasing {
        /// Previous frame time, seconds.
        previous: f64,
        /// Offending frame time, seconds.
        got: f64,
    },
    /// More zones than [`MAX_ZONES`].
    TooManyZones {
        /// Most accepted.
        max: usize,
        /// Given.
        got: usize,
    },
    /// A zone rectangle is unusable.
    InvalidZone {
        /// The zone's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for MotionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroSize => write!(f, "frame width and height must be non-zero"),
            Self::TooLarge => write!(f, "frame size overflows"),
            Self::BufferLength { expected, got } => {
                write!(f, "luma buffer holds {got} bytes, expected {expected}")
            }
            Self::NonFiniteTime => write!(f, "frame time is not finite"),
            Self::TimeNotIncreasing { previous, got } => {
                write!(f, "frame time {got} s is not after the previous {previous} s")
            }
            Self::TooManyZones { max, got } => write!(f, "{got} zones given, at most {max}"),
            Self::InvalidZone { name, reason } => write!(f, "zone '{name}': {reason}"),
        }
    }
}

impl std::error::Error for MotionError {}
