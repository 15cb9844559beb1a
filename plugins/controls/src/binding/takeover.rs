//! Soft takeover: stops an absolute knob or fader from making a control jump when the hardware and
//! the control disagree (after a set change, a layer change, or the control being moved elsewhere).

use serde::{Deserialize, Serialize};

use super::curve::unit;

/// Distance (in 0..1 position) within which hardware and control count as meeting. About four 7-bit
/// steps: a jump this small is inaudible, and a 7-bit knob cannot step over it in one message.
pub const PICKUP_THRESHOLD: f64 = 0.03;

/// A fast move passes through `PickUp` when the hardware travels at least this far in one direction
/// within [`FAST_MOVE_WINDOW_US`]. One tenth of the travel is far more than jitter or an accidental
/// brush, and covering it that quickly (about two full travels per second) is a deliberate gesture.
pub const FAST_MOVE_DISTANCE: f64 = 0.1;

/// Time window for [`FAST_MOVE_DISTANCE`], in microseconds (50 ms). A gap longer than this between
/// two readings also ends the gesture, so a jump after a pause (a touch strip tapped elsewhere) waits.
pub const FAST_MOVE_WINDOW_US: u64 = 50_000;

/// How an absolute input takes over a control whose value differs from the hardware position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Takeover {
    /// Always apply the hardware position (the control may jump).
    None,
    /// Ignore the hardware until it reaches the control's value (comes within [`PICKUP_THRESHOLD`],
    /// crosses it between two readings, or moves fast: see [`FAST_MOVE_DISTANCE`]), then follow it.
    #[default]
    PickUp,
    /// Move the control proportionally so it meets the hardware at the end of its travel, then follow
    /// the hardware directly. The control reacts at once and never jumps.
    Scale,
}

/// What to do with one hardware reading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// Set the control to this normalised position (0..1).
    Apply(f64),
    /// Leave the control alone; the UI can show where the hardware sits against the control.
    Waiting {
        /// The hardware position (0..1).
        hardware: f64,
        /// The control's current position (0..1).
        control: f64,
    },
}

#[derive(Clone, Copy, Debug)]
struct Reading {
    hw: f64,
    control: f64,
    at: u64,
}

/// Takeover state of one binding. Positions are normalised 0..1 in hardware space: pass the raw
/// input position as `hw` and the control's value mapped back with `Shape::from_control` as `current`.
#[derive(Clone, Debug)]
pub struct TakeoverState {
    armed: bool,
    prev: Option<Reading>,
    /// Start of the current one-direction gesture, for fast-move detection.
    stroke_hw: f64,
    stroke_at: u64,
    stroke_dir: i8,
    /// `Scale` anchor: hardware and control positions when scaling began.
    anchor: Option<(f64, f64)>,
}

impl Default for TakeoverState {
    fn default() -> Self {
        Self::new()
    }
}

impl TakeoverState {
    /// A new state, already armed: at start-up the hardware position is unknown to the control.
    pub fn new() -> Self {
        TakeoverState {
            armed: true,
            prev: None,
            stroke_hw: 0.0,
            stroke_at: 0,
            stroke_dir: 0,
            anchor: None,
        }
    }

    /// Requires the hardware to take over again. Call at start, on set and layer changes, and whenever
    /// the control is changed by anything other than this binding (UI, another binding, automation).
    /// Forgets the previous reading, since on another layer the part may have moved without this
    /// binding seeing it, and a crossing measured from a stale reading would jump.
    pub fn arm(&mut self) {
        *self = Self::new();
    }

    /// Whether the binding is still waiting to take over (or scaling towards the hardware).
    pub fn is_armed(&self) -> bool {
        self.armed
    }

    /// Processes one hardware reading. `hw` and `current` are clamped to 0..1; a NaN in either is
    /// refused: the reading is ignored (state unchanged) and `Waiting` is returned.
    pub fn apply(&mut self, mode: Takeover, hw: f64, current: f64, now_us: u64) -> Outcome {
        if hw.is_nan() || current.is_nan() {
            return Outcome::Waiting {
                hardware: unit(hw),
                control: unit(current),
            };
        }
        let (hw, control) = (unit(hw), unit(current));
        let fast = self.track_stroke(hw, now_us);
        let prev = self.prev.replace(Reading {
            hw,
            control,
            at: now_us,
        });
        if !self.armed || mode == Takeover::None {
            self.armed = false;
            return Outcome::Apply(hw);
        }
        let near = (hw - control).abs() <= PICKUP_THRESHOLD;
        match mode {
            Takeover::PickUp => {
                let crossed = prev.is_some_and(|p| {
                    let (before, after) = (p.hw - p.control, hw - control);
                    (before <= 0.0 && after >= 0.0) || (before >= 0.0 && after <= 0.0)
                });
                if near || crossed || fast {
                    self.armed = false;
                    Outcome::Apply(hw)
                } else {
                    Outcome::Waiting { hardware: hw, control }
                }
            }
            _ => {
                if near {
                    self.armed = false;
                    return Outcome::Apply(hw);
                }
                let Some((hw0, c0)) = self.anchor else {
                    // The first reading only anchors the scaling: nothing has moved yet.
                    self.anchor = Some((hw, control));
                    return Outcome::Waiting { hardware: hw, control };
                };
                let out = scaled(hw0, c0, hw);
                if (out - hw).abs() <= PICKUP_THRESHOLD {
                    self.armed = false;
                    self.anchor = None;
                    Outcome::Apply(hw)
                } else {
                    Outcome::Apply(out)
                }
            }
        }
    }

    /// Updates the current one-direction gesture and reports whether it counts as a fast move.
    fn track_stroke(&mut self, hw: f64, now: u64) -> bool {
        match self.prev {
            None => {
                (self.stroke_hw, self.stroke_at, self.stroke_dir) = (hw, now, 0);
            }
            Some(p) => {
                let dir: i8 = if hw > p.hw {
                    1
                } else if hw < p.hw {
                    -1
                } else {
                    0
                };
                let reversed = dir != 0 && self.stroke_dir != 0 && dir != self.stroke_dir;
                let stale = now.saturating_sub(p.at) > FAST_MOVE_WINDOW_US
                    || now.saturating_sub(self.stroke_at) > FAST_MOVE_WINDOW_US;
                if reversed || stale {
                    // Restart the gesture at the previous reading: the motion since then is the new one.
                    (self.stroke_hw, self.stroke_at, self.stroke_dir) = (p.hw, p.at, dir);
                } else if dir != 0 {
                    self.stroke_dir = dir;
                }
            }
        }
        (hw - self.stroke_hw).abs() >= FAST_MOVE_DISTANCE && now.saturating_sub(self.stroke_at) <= FAST_MOVE_WINDOW_US
    }
}

/// The `Scale` mapping anchored at hardware `hw0` / control `c0`: `hw0..1` maps onto `c0..1` and
/// `0..hw0` onto `0..c0`, so both meet at either end of the travel and the control never jumps.
fn scaled(hw0: f64, c0: f64, hw: f64) -> f64 {
    if hw >= hw0 {
        if hw0 >= 1.0 {
            c0
        } else {
            c0 + (hw - hw0) * (1.0 - c0) / (1.0 - hw0)
        }
    } else if hw0 <= 0.0 {
        c0
    } else {
        c0 * hw / hw0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1000;

    fn applied(o: Outcome) -> Option<f64> {
        match o {
            Outcome::Apply(v) => Some(v),
            Outcome::Waiting { .. } => None,
        }
    }

    #[test]
    fn none_always_applies() {
        let mut s = TakeoverState::new();
        assert_eq!(s.apply(Takeover::None, 0.9, 0.1, 0), Outcome::Apply(0.9));
        s.arm();
        assert_eq!(s.apply(Takeover::None, 0.2, 0.7, MS), Outcome::Apply(0.2));
    }

    #[test]
    fn pickup_waits_then_picks_up_when_near() {
        let mut s = TakeoverState::new();
        assert_eq!(
            s.apply(Takeover::PickUp, 0.2, 0.5, 0),
            Outcome::Waiting {
                hardware: 0.2,
                control: 0.5
            }
        );
        // Slow approach from below: readings 100 ms apart.
        let mut t = 0;
        let mut hw = 0.2;
        while hw < 0.46 {
            hw += 0.02;
            t += 100 * MS;
            assert!(
                applied(s.apply(Takeover::PickUp, hw, 0.5, t)).is_none(),
                "jumped at {hw}"
            );
        }
        t += 100 * MS;
        assert_eq!(s.apply(Takeover::PickUp, 0.48, 0.5, t), Outcome::Apply(0.48));
        assert!(!s.is_armed());
        // Once picked up it follows, even far away.
        assert_eq!(s.apply(Takeover::PickUp, 0.1, 0.48, t + 100 * MS), Outcome::Apply(0.1));
    }

    #[test]
    fn pickup_catches_a_crossing_between_readings() {
        let mut s = TakeoverState::new();
        assert!(applied(s.apply(Takeover::PickUp, 0.3, 0.5, 0)).is_none());
        // Slowly (no fast move) jumps past 0.5 between two readings.
        assert_eq!(s.apply(Takeover::PickUp, 0.58, 0.5, 200 * MS), Outcome::Apply(0.58));
        // And from above.
        s.arm();
        assert!(applied(s.apply(Takeover::PickUp, 0.9, 0.5, 300 * MS)).is_none());
        assert!(applied(s.apply(Takeover::PickUp, 0.8, 0.5, 500 * MS)).is_none());
        assert_eq!(s.apply(Takeover::PickUp, 0.45, 0.5, 700 * MS), Outcome::Apply(0.45));
    }

    #[test]
    fn arming_forgets_the_previous_reading() {
        let mut s = TakeoverState::new();
        assert!(applied(s.apply(Takeover::PickUp, 0.2, 0.5, 0)).is_none());
        s.arm();
        // Would be a crossing against the pre-arm reading (0.2 -> 0.8 around 0.5), but that reading is
        // stale (the part may have moved on another layer), so this waits.
        assert!(applied(s.apply(Takeover::PickUp, 0.8, 0.5, 500 * MS)).is_none());
        assert!(s.is_armed());
    }

    #[test]
    fn fast_move_passes_through() {
        let mut s = TakeoverState::new();
        assert!(applied(s.apply(Takeover::PickUp, 0.1, 0.9, 0)).is_none());
        // 7-bit style readings, 1 ms apart, moving up by 2/127 each: 0.1 of travel in ~7 ms.
        let mut hw = 0.1;
        let mut t = 0;
        let mut picked = None;
        for _ in 0..20 {
            hw += 2.0 / 127.0;
            t += MS;
            if let Outcome::Apply(v) = s.apply(Takeover::PickUp, hw, 0.9, t) {
                picked = Some(v);
                break;
            }
        }
        let v = picked.expect("fast move should pass through");
        assert!((0.2..0.3).contains(&v), "picked at {v}");
    }

    #[test]
    fn slow_moves_and_jitter_do_not_pass_through() {
        let mut s = TakeoverState::new();
        let mut t = 0;
        // Jitter around 0.2 every millisecond for a second.
        for i in 0..1000 {
            let hw = if i % 2 == 0 { 0.2 } else { 0.2 + 1.0 / 127.0 };
            assert!(applied(s.apply(Takeover::PickUp, hw, 0.9, t)).is_none());
            t += MS;
        }
        // A slow deliberate move (one full travel per second, 8 ms per 7-bit step) up to 0.8.
        let mut hw = 0.2;
        while hw < 0.8 {
            hw += 1.0 / 127.0;
            t += 8 * MS;
            assert!(
                applied(s.apply(Takeover::PickUp, hw, 0.9, t)).is_none(),
                "passed at {hw}"
            );
        }
        // A single jump after a pause (touch strip tapped elsewhere) also waits.
        assert!(applied(s.apply(Takeover::PickUp, 0.3, 0.9, t + 500 * MS)).is_none());
    }

    #[test]
    fn scale_moves_proportionally_then_tracks() {
        let mut s = TakeoverState::new();
        // Hardware at 0.6, control at 0.2: the anchoring reading waits.
        assert_eq!(
            s.apply(Takeover::Scale, 0.6, 0.2, 0),
            Outcome::Waiting {
                hardware: 0.6,
                control: 0.2
            }
        );
        // Moving up: hw 0.6..1 maps onto control 0.2..1.
        let v = applied(s.apply(Takeover::Scale, 0.8, 0.2, 100 * MS)).unwrap();
        assert!((v - 0.6).abs() < 1e-9);
        // Back down past the anchor: hw 0..0.6 maps onto 0..0.2 (continuous, no jump at the anchor).
        let v = applied(s.apply(Takeover::Scale, 0.3, 0.6, 200 * MS)).unwrap();
        assert!((v - 0.1).abs() < 1e-9);
        assert!(s.is_armed());
        // Up to the top: they meet and tracking is direct from then on.
        let v = applied(s.apply(Takeover::Scale, 0.99, 0.1, 300 * MS)).unwrap();
        assert!((v - 0.99).abs() < 1e-9);
        assert!(!s.is_armed());
        assert_eq!(s.apply(Takeover::Scale, 0.5, 0.99, 400 * MS), Outcome::Apply(0.5));
    }

    #[test]
    fn scale_never_jumps() {
        for (hw0, c0) in [(0.6, 0.2), (0.1, 0.9), (1.0, 0.3), (0.0, 0.7)] {
            let mut s = TakeoverState::new();
            s.apply(Takeover::Scale, hw0, c0, 0);
            let mut last = c0;
            let mut hw = hw0;
            let dir = if hw0 >= 0.5 { -1.0 } else { 1.0 };
            for i in 1..=200 {
                hw = unit(hw + dir * 0.005);
                let v = applied(s.apply(Takeover::Scale, hw, last, i * 10 * MS)).unwrap();
                assert!(
                    (v - last).abs() <= PICKUP_THRESHOLD + 0.01,
                    "{hw0},{c0}: jump {last} -> {v}"
                );
                last = v;
            }
            assert!(!s.is_armed(), "{hw0},{c0} never met");
        }
    }

    #[test]
    fn scale_starting_near_applies_at_once() {
        let mut s = TakeoverState::new();
        assert_eq!(s.apply(Takeover::Scale, 0.51, 0.5, 0), Outcome::Apply(0.51));
        assert!(!s.is_armed());
    }

    #[test]
    fn nan_is_refused_and_bad_values_clamped() {
        let mut s = TakeoverState::new();
        assert!(matches!(
            s.apply(Takeover::None, f64::NAN, 0.5, 0),
            Outcome::Waiting { .. }
        ));
        assert!(s.is_armed());
        assert_eq!(s.apply(Takeover::PickUp, 7.0, 1.0, 0), Outcome::Apply(1.0));
        // Timestamps going backwards do not panic.
        let _ = s.apply(Takeover::PickUp, 0.5, 1.0, 0);
    }
}
