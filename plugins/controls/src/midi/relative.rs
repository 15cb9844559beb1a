//! Relative (endless) encoder decoding and speed-based acceleration.
//!
//! Endless encoders send a Control Change whose value is a signed step count rather than a
//! position. Controllers disagree on how the sign is written; the variants below cover the
//! schemes offered by Mixxx, Traktor, Ableton Live, Bitwig, Reaper and the Mackie Control
//! protocol. Controllers with built-in acceleration simply send larger magnitudes, which
//! [`decode`] returns as they are; [`Acceleration`] adds speed-based scaling in software for
//! controllers that always send single steps.

use serde::{Deserialize, Serialize};

pub use crate::input::RelativeEncoding;

/// Decodes one CC value into signed steps. Values above 127 are masked to 7 bits first, so any
/// byte is accepted.
#[must_use]
pub fn decode(encoding: RelativeEncoding, value: u8) -> i32 {
    let v = i32::from(value & 0x7F);
    match encoding {
        RelativeEncoding::TwosComplement => {
            if v >= 64 {
                v - 128
            } else {
                v
            }
        }
        RelativeEncoding::SignMagnitude => {
            let magnitude = v & 0x3F;
            if v & 0x40 != 0 { -magnitude } else { magnitude }
        }
        RelativeEncoding::Offset64 => v - 64,
        RelativeEncoding::Increment => i32::from(v != 0),
        RelativeEncoding::Decrement => -i32::from(v != 0),
    }
}

/// Encodes signed steps as a CC value, the inverse of [`decode`]; steps beyond what the encoding
/// can carry are clamped (e.g. to -64..=63 for two's complement). The tests' simulated encoders
/// use it; feedback shows an encoder's control as an absolute ring value instead.
#[cfg(test)]
#[must_use]
pub(crate) fn encode(encoding: RelativeEncoding, steps: i32) -> u8 {
    match encoding {
        RelativeEncoding::TwosComplement => (steps.clamp(-64, 63) & 0x7F) as u8,
        RelativeEncoding::SignMagnitude => {
            let magnitude = steps.unsigned_abs().min(63) as u8;
            if steps < 0 { 0x40 | magnitude } else { magnitude }
        }
        RelativeEncoding::Offset64 => (steps.clamp(-64, 63) + 64) as u8,
        RelativeEncoding::Increment => {
            if steps > 0 {
                127
            } else {
                0
            }
        }
        RelativeEncoding::Decrement => {
            if steps < 0 {
                127
            } else {
                0
            }
        }
    }
}

/// Speed-dependent scaling of encoder steps: turning fast covers more range per detent.
///
/// Formula, with `rate` = ticks per second = 1 / (time since the previous tick):
///
/// ```text
/// factor = 1                                           if rate <= threshold_hz
/// factor = min(max_factor, (rate / threshold_hz) ^ exponent)   otherwise
/// delta  = steps * factor
/// ```
///
/// The rate counts messages, not steps, so controllers with hardware acceleration (which already
/// send larger step counts when turned fast) are not accelerated twice as steeply. With the
/// defaults (8 Hz, exponent 1, cap 8) a typical 24-detent encoder turned at one revolution per
/// second moves about 3x as far per detent, and slow, deliberate turns stay exact.
/// Nonsensical settings (non-positive or non-finite) fall back to no acceleration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Acceleration {
    /// Tick rate, in ticks per second, up to which every step counts exactly once.
    pub threshold_hz: f32,
    /// How steeply the factor grows above the threshold (1 = proportional to speed).
    pub exponent: f32,
    /// Largest multiplier applied to a step.
    pub max_factor: f32,
}

impl Default for Acceleration {
    fn default() -> Self {
        Acceleration {
            threshold_hz: 8.0,
            exponent: 1.0,
            max_factor: 8.0,
        }
    }
}

impl Acceleration {
    /// No acceleration: every step counts once (a binding without `acceleration` is this).
    #[cfg(test)]
    pub(crate) const NONE: Acceleration = Acceleration {
        threshold_hz: 8.0,
        exponent: 1.0,
        max_factor: 1.0,
    };

    /// The multiplier for a tick that came `interval_us` microseconds after the previous one
    /// (`None` for the first tick of a gesture). Always finite and at least 1.
    #[must_use]
    pub fn factor(&self, interval_us: Option<u64>) -> f32 {
        let Some(interval) = interval_us else { return 1.0 };
        let valid = |x: f32| x.is_finite() && x > 0.0;
        if !valid(self.threshold_hz) || !valid(self.exponent) || !valid(self.max_factor) {
            return 1.0;
        }
        // A zero interval (two ticks in one timestamp) is treated as 1 µs: maximal speed.
        let rate = 1_000_000.0 / interval.max(1) as f32;
        if rate <= self.threshold_hz {
            return 1.0;
        }
        let factor = (rate / self.threshold_hz).powf(self.exponent);
        if factor.is_finite() {
            factor.min(self.max_factor).max(1.0)
        } else {
            self.max_factor.max(1.0)
        }
    }

    /// Scales `steps` by [`Acceleration::factor`].
    #[must_use]
    pub fn apply(&self, steps: i32, interval_us: Option<u64>) -> f32 {
        steps as f32 * self.factor(interval_us)
    }
}

/// Per-control acceleration state: remembers when and in which direction the last tick came.
///
/// A change of direction restarts the gesture at factor 1, so reversing to fine-tune after a
/// fast sweep does not overshoot.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Accelerator {
    /// The curve to apply.
    pub config: Acceleration,
    last: Option<(u64, bool)>,
}

impl Accelerator {
    /// A fresh tracker using `config`.
    #[must_use]
    pub fn new(config: Acceleration) -> Self {
        Accelerator { config, last: None }
    }

    /// Feeds one decoded tick (`steps` from [`decode`]) received at `time_us` and returns the
    /// scaled delta. Zero steps (e.g. a button release) return 0 and leave the state alone;
    /// a timestamp earlier than the previous one restarts the gesture.
    pub fn tick(&mut self, time_us: u64, steps: i32) -> f32 {
        if steps == 0 {
            return 0.0;
        }
        let up = steps > 0;
        let interval = match self.last {
            Some((t, dir)) if dir == up => time_us.checked_sub(t),
            _ => None,
        };
        self.last = Some((time_us, up));
        self.config.apply(steps, interval)
    }

    /// Forgets the previous tick, so the next one counts at factor 1.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, MapDeserializer};

    use RelativeEncoding::*;

    #[test]
    fn twos_complement_both_directions() {
        assert_eq!(decode(TwosComplement, 0), 0);
        assert_eq!(decode(TwosComplement, 1), 1);
        assert_eq!(decode(TwosComplement, 5), 5);
        assert_eq!(decode(TwosComplement, 63), 63);
        assert_eq!(decode(TwosComplement, 127), -1);
        assert_eq!(decode(TwosComplement, 123), -5);
        assert_eq!(decode(TwosComplement, 65), -63);
        assert_eq!(decode(TwosComplement, 64), -64);
    }

    #[test]
    fn sign_magnitude_both_directions() {
        assert_eq!(decode(SignMagnitude, 0), 0);
        assert_eq!(decode(SignMagnitude, 1), 1);
        assert_eq!(decode(SignMagnitude, 63), 63);
        assert_eq!(decode(SignMagnitude, 64), 0);
        assert_eq!(decode(SignMagnitude, 65), -1);
        assert_eq!(decode(SignMagnitude, 70), -6);
        assert_eq!(decode(SignMagnitude, 127), -63);
    }

    #[test]
    fn offset64_both_directions() {
        assert_eq!(decode(Offset64, 64), 0);
        assert_eq!(decode(Offset64, 65), 1);
        assert_eq!(decode(Offset64, 70), 6);
        assert_eq!(decode(Offset64, 127), 63);
        assert_eq!(decode(Offset64, 63), -1);
        assert_eq!(decode(Offset64, 58), -6);
        assert_eq!(decode(Offset64, 0), -64);
    }

    #[test]
    fn increment_decrement_buttons() {
        assert_eq!(decode(Increment, 127), 1);
        assert_eq!(decode(Increment, 1), 1);
        assert_eq!(decode(Increment, 0), 0);
        assert_eq!(decode(Decrement, 127), -1);
        assert_eq!(decode(Decrement, 0), 0);
        assert_eq!(encode(Increment, 1), 127);
        assert_eq!(encode(Increment, -1), 0);
        assert_eq!(encode(Decrement, -1), 127);
        assert_eq!(encode(Decrement, 1), 0);
    }

    #[test]
    fn decode_masks_high_bit() {
        for enc in RelativeEncoding::VALUE_ENCODINGS {
            for v in 0..=127u8 {
                assert_eq!(decode(enc, v | 0x80), decode(enc, v));
            }
        }
    }

    #[test]
    fn encode_inverts_decode() {
        for steps in -63..=63 {
            for enc in RelativeEncoding::VALUE_ENCODINGS {
                let v = encode(enc, steps);
                assert!(v <= 127);
                assert_eq!(decode(enc, v), steps, "{enc:?} {steps}");
            }
        }
        assert_eq!(encode(TwosComplement, 1000), 63);
        assert_eq!(encode(TwosComplement, -1000), 64);
        assert_eq!(encode(SignMagnitude, -1000), 127);
        assert_eq!(encode(Offset64, -1000), 0);
        assert_eq!(encode(Offset64, 1000), 127);
    }

    #[test]
    fn slow_ticks_are_not_accelerated() {
        let a = Acceleration::default();
        assert_eq!(a.factor(None), 1.0);
        // 5 ticks per second is under the 8 Hz threshold.
        assert_eq!(a.factor(Some(200_000)), 1.0);
        assert_eq!(a.apply(-3, Some(500_000)), -3.0);
    }

    #[test]
    fn fast_ticks_are_accelerated_and_capped() {
        let a = Acceleration::default();
        // 32 ticks per second = 4x the threshold.
        assert!((a.factor(Some(31_250)) - 4.0).abs() < 1e-3);
        assert!((a.apply(-2, Some(31_250)) + 8.0).abs() < 1e-2);
        assert_eq!(a.factor(Some(1_000)), 8.0);
        assert_eq!(a.factor(Some(0)), 8.0);
        // Monotone in speed.
        let mut last = 0.0;
        for interval in (1_000..400_000).rev().step_by(997) {
            let f = a.factor(Some(interval));
            assert!(f >= last);
            last = f;
        }
    }

    #[test]
    fn exponent_shapes_curve() {
        let a = Acceleration {
            exponent: 2.0,
            max_factor: 100.0,
            ..Acceleration::default()
        };
        assert!((a.factor(Some(31_250)) - 16.0).abs() < 1e-2);
    }

    #[test]
    fn bad_settings_disable_acceleration() {
        for a in [
            Acceleration {
                threshold_hz: 0.0,
                ..Acceleration::default()
            },
            Acceleration {
                threshold_hz: f32::NAN,
                ..Acceleration::default()
            },
            Acceleration {
                exponent: -1.0,
                ..Acceleration::default()
            },
            Acceleration {
                max_factor: f32::INFINITY,
                ..Acceleration::default()
            },
            Acceleration {
                max_factor: -2.0,
                ..Acceleration::default()
            },
            Acceleration::NONE,
        ] {
            let f = a.factor(Some(1));
            assert!(f.is_finite() && f >= 1.0, "{a:?} -> {f}");
        }
        assert_eq!(Acceleration::NONE.factor(Some(1)), 1.0);
        // max_factor below 1 never shrinks steps.
        let a = Acceleration {
            max_factor: 0.5,
            ..Acceleration::default()
        };
        assert_eq!(a.factor(Some(1_000)), 1.0);
    }

    #[test]
    fn accelerator_tracks_gesture() {
        let mut acc = Accelerator::new(Acceleration::default());
        assert_eq!(acc.tick(0, 1), 1.0);
        let fast = acc.tick(10_000, 1); // 100 Hz
        assert_eq!(fast, 8.0);
        // Reversal restarts at factor 1.
        assert_eq!(acc.tick(20_000, -1), -1.0);
        assert_eq!(acc.tick(30_000, -1), -8.0);
        // Zero steps do not touch the state.
        assert_eq!(acc.tick(31_000, 0), 0.0);
        assert_eq!(acc.tick(1_030_000, -1), -1.0);
        // Time going backwards restarts.
        assert_eq!(acc.tick(5, -1), -1.0);
        acc.reset();
        assert_eq!(acc.tick(6, -1), -1.0);
    }

    #[test]
    fn serde_defaults_fill_missing_fields() {
        let map = MapDeserializer::<_, DeError>::new(vec![("max_factor", 3.0f32)].into_iter());
        let a = Acceleration::deserialize(map).unwrap();
        assert_eq!(
            a,
            Acceleration {
                max_factor: 3.0,
                ..Acceleration::default()
            }
        );
        let empty = MapDeserializer::<_, DeError>::new(Vec::<(&str, f32)>::new().into_iter());
        assert_eq!(Acceleration::deserialize(empty).unwrap(), Acceleration::default());
    }

    #[test]
    fn encoding_deserializes_from_variant_name() {
        let de: serde::de::value::StrDeserializer<DeError> = "Offset64".into_deserializer();
        assert_eq!(RelativeEncoding::deserialize(de).unwrap(), Offset64);
        let de: serde::de::value::StrDeserializer<DeError> = "Sideways".into_deserializer();
        assert!(RelativeEncoding::deserialize(de).is_err());
    }
}
