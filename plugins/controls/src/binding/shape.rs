//! Absolute and relative value shaping: from a hardware position to a control value and back.

use serde::{Deserialize, Serialize};

use super::curve::{Curve, unit};

/// Default encoder sensitivity: one step moves 1/128 of the travel, so 128 detents cover the range
/// like a 7-bit knob.
pub const DEFAULT_SENSITIVITY: f64 = 1.0 / 128.0;

/// How an absolute 0..1 input position becomes a control value.
///
/// Processing order in [`Shape::to_control`]: clamp → `deadzone` → `invert` → `detent` → `curve` →
/// `steps` → `range`. Deadzone comes first because it describes where the physical part rests;
/// quantisation comes after the curve so steps are evenly spaced in the control's own units.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Shape {
    /// Sub-range of the control to cover, in the control's units; `None` covers its full range.
    /// A reversed pair such as `(0.8, 0.2)` is allowed and runs the range backwards (like `invert`);
    /// equal ends are refused by [`Shape::validate`].
    pub range: Option<(f64, f64)>,
    /// Flips the input direction (a fader mounted upside down, a "reverse" crossfader).
    pub invert: bool,
    /// Response curve applied to the (deadzoned, inverted, detented) position.
    pub curve: Curve,
    /// Quantise the output to this many evenly spaced values over the range (at least 2).
    pub steps: Option<u32>,
    /// Width, in 0..1 input units, of a centre detent: input within ±width/2 of 0.5 gives the value that
    /// 0.5 maps to. The rest of the travel is rescaled so leaving the detent never jumps.
    pub detent: Option<f64>,
    /// Rest zone in 0..1 input units. Unipolar: input at or below it reads as 0. Bipolar (see
    /// `bipolar`): input within ±deadzone of 0.5 reads as 0.5. The remaining travel is rescaled so
    /// motion starts from rest without a jump.
    pub deadzone: f64,
    /// The input rests at its centre (a stick axis or spring-centred knob), so `deadzone` surrounds 0.5
    /// rather than sitting at 0.
    pub bipolar: bool,
}

impl Shape {
    /// Maps an absolute input position (0..1; clamped, NaN read as 0) to a control value.
    ///
    /// The result is clamped to the control's limits `spec_min..spec_max` (either order), so a `range`
    /// that sticks out of the control is cut off at runtime (see [`Shape::validate_for`]).
    pub fn to_control(&self, x01: f64, spec_min: f64, spec_max: f64) -> f64 {
        let mut x = self.deadzone_in(unit(x01));
        if self.invert {
            x = 1.0 - x;
        }
        let y = quantise(self.curve.apply(self.detent_in(x)), self.steps);
        let (lo, hi) = self.ends(spec_min, spec_max);
        clamp_between(lo + y * (hi - lo), spec_min, spec_max)
    }

    /// Inverse of [`Shape::to_control`]: the hardware position (0..1) that produces `value`.
    ///
    /// Used for takeover and LED-ring feedback. Values outside the range give 0 or 1, NaN gives the
    /// position of the range start. Inside a detent or deadzone the centre (or rest) position is
    /// returned; with `steps` the quantised value's own position is returned.
    pub fn from_control(&self, value: f64, spec_min: f64, spec_max: f64) -> f64 {
        let (lo, hi) = self.ends(spec_min, spec_max);
        let y = if hi != lo { unit((value - lo) / (hi - lo)) } else { 0.0 };
        let mut x = self.detent_out(self.curve.invert(y));
        if self.invert {
            x = 1.0 - x;
        }
        self.deadzone_out(x)
    }

    /// Relative move for an encoder: `steps` detents, each moving `sensitivity` of the travel
    /// (non-finite or non-positive sensitivity falls back to [`DEFAULT_SENSITIVITY`]).
    ///
    /// The move happens in curve-input space, so an encoder feels like a knob with the same curve;
    /// `invert` reverses direction, `range` limits the travel, and the result is clamped. Deadzone and
    /// detent are ignored: they describe where an absolute part rests, and an encoder has no rest.
    /// With `steps`, every non-zero move changes the value by at least one step, so small
    /// sensitivities cannot leave the encoder stuck between steps.
    pub fn step(&self, current: f64, steps: i32, spec_min: f64, spec_max: f64, sensitivity: f64) -> f64 {
        let (lo, hi) = self.ends(spec_min, spec_max);
        if steps == 0 || hi == lo {
            return clamp_between(if current.is_nan() { lo } else { current }, spec_min, spec_max);
        }
        let sensitivity = if sensitivity.is_finite() && sensitivity > 0.0 {
            sensitivity
        } else {
            DEFAULT_SENSITIVITY
        };
        let delta = f64::from(steps) * sensitivity * if self.invert { -1.0 } else { 1.0 };
        let norm = unit((current - lo) / (hi - lo));
        let mut y = self.curve.apply(self.curve.invert(norm) + delta);
        if let Some(n) = self.steps.filter(|&n| n >= 2) {
            let last = f64::from(n - 1);
            let was = (norm * last).round();
            let mut now = (y * last).round();
            if now == was {
                now = (was + delta.signum()).clamp(0.0, last);
            }
            y = now / last;
        }
        clamp_between(lo + y * (hi - lo), spec_min, spec_max)
    }

    /// Checks the options on their own (NaN/inf refused, equal range ends, steps, detent, deadzone,
    /// curve points), naming the first problem.
    pub fn validate(&self) -> Result<(), String> {
        check_shape(
            self.range,
            &self.curve,
            self.steps,
            self.detent,
            self.deadzone,
            self.bipolar,
        )
    }

    /// Like [`Shape::validate`], and also checks that `range` lies within the control's limits.
    pub fn validate_for(&self, spec_min: f64, spec_max: f64) -> Result<(), String> {
        self.validate()?;
        check_range_within(self.range, spec_min, spec_max)
    }

    /// The two ends of the travel: the range if given and finite, else the control's limits.
    fn ends(&self, spec_min: f64, spec_max: f64) -> (f64, f64) {
        match self.range {
            Some((a, b)) if a.is_finite() && b.is_finite() => (a, b),
            _ => (spec_min, spec_max),
        }
    }

    /// Deadzone width made safe for arithmetic: NaN or negative reads as none, and it always leaves
    /// some travel outside it.
    fn dz(&self) -> f64 {
        let cap = if self.bipolar { 0.49 } else { 0.99 };
        if self.deadzone.is_nan() {
            0.0
        } else {
            self.deadzone.clamp(0.0, cap)
        }
    }

    fn deadzone_in(&self, x: f64) -> f64 {
        let dz = self.dz();
        if dz == 0.0 {
            return x;
        }
        if self.bipolar {
            let d = x - 0.5;
            if d.abs() <= dz {
                0.5
            } else {
                0.5 + d.signum() * (d.abs() - dz) / (0.5 - dz) * 0.5
            }
        } else if x <= dz {
            0.0
        } else {
            (x - dz) / (1.0 - dz)
        }
    }

    fn deadzone_out(&self, x: f64) -> f64 {
        let dz = self.dz();
        if dz == 0.0 {
            return x;
        }
        if self.bipolar {
            let d = x - 0.5;
            if d == 0.0 {
                0.5
            } else {
                0.5 + d.signum() * (dz + d.abs() / 0.5 * (0.5 - dz))
            }
        } else if x <= 0.0 {
            0.0
        } else {
            dz + x * (1.0 - dz)
        }
    }

    /// Half-width of the travel left on each side of the detent, or `None` without a usable detent.
    fn detent_edge(&self) -> Option<f64> {
        match self.detent {
            Some(w) if w.is_finite() && w > 0.0 => Some(0.5 - w.min(0.98) / 2.0),
            _ => None,
        }
    }

    fn detent_in(&self, x: f64) -> f64 {
        let Some(edge) = self.detent_edge() else { return x };
        if x < edge {
            x / edge * 0.5
        } else if x > 1.0 - edge {
            0.5 + (x - (1.0 - edge)) / edge * 0.5
        } else {
            0.5
        }
    }

    fn detent_out(&self, x: f64) -> f64 {
        let Some(edge) = self.detent_edge() else { return x };
        if x < 0.5 {
            x / 0.5 * edge
        } else if x > 0.5 {
            1.0 - edge + (x - 0.5) / 0.5 * edge
        } else {
            0.5
        }
    }
}

/// Quantises a 0..1 value to `n` evenly spaced values; fewer than 2 steps means no quantisation.
fn quantise(y: f64, steps: Option<u32>) -> f64 {
    match steps {
        Some(n) if n >= 2 => {
            let last = f64::from(n - 1);
            (y * last).round() / last
        }
        _ => y,
    }
}

/// Clamps `v` between `a` and `b` in either order without ever panicking (unlike `f64::clamp`, which
/// panics on reversed or NaN bounds). NaN `v` gives the lower bound.
pub(crate) fn clamp_between(v: f64, a: f64, b: f64) -> f64 {
    let (lo, hi) = (a.min(b), a.max(b));
    if v.is_nan() { lo } else { v.max(lo).min(hi) }
}

/// Shared by [`Shape::validate`] and the flat binding options, which hold the same fields.
pub(crate) fn check_shape(
    range: Option<(f64, f64)>,
    curve: &Curve,
    steps: Option<u32>,
    detent: Option<f64>,
    deadzone: f64,
    bipolar: bool,
) -> Result<(), String> {
    if let Some((a, b)) = range {
        if !a.is_finite() || !b.is_finite() {
            return Err(format!("range ({a:?}, {b:?}): both ends must be finite numbers"));
        }
        if a == b {
            return Err(format!(
                "range ({a:?}, {b:?}): the ends are equal, so the binding would have no travel"
            ));
        }
    }
    curve.validate()?;
    if let Some(n) = steps
        && n < 2
    {
        return Err(format!("steps {n}: at least 2 steps are needed"));
    }
    if let Some(w) = detent
        && !(w.is_finite() && (0.0..0.98).contains(&w))
    {
        return Err(format!(
            "detent {w:?}: the width must be a number from 0 up to (not including) 0.98"
        ));
    }
    let dz_max = if bipolar { 0.49 } else { 0.99 };
    if !(deadzone.is_finite() && deadzone >= 0.0 && deadzone < dz_max) {
        let kind = if bipolar {
            "bipolar (around the centre)"
        } else {
            "unipolar (from 0)"
        };
        return Err(format!(
            "deadzone {deadzone:?}: must be at least 0 and below {dz_max} for a {kind} input"
        ));
    }
    Ok(())
}

/// Checks that a range lies within the control's limits (either order of both pairs).
pub(crate) fn check_range_within(range: Option<(f64, f64)>, spec_min: f64, spec_max: f64) -> Result<(), String> {
    let (lo, hi) = (spec_min.min(spec_max), spec_min.max(spec_max));
    if let Some((a, b)) = range
        && (a.min(b) < lo || a.max(b) > hi)
    {
        return Err(format!(
            "range ({a:?}, {b:?}) lies outside the control's limits ({lo:?} .. {hi:?})"
        ));
    }
    Ok(())
}

/// What a note's velocity does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Velocity {
    /// Velocity carries no value; the button behaviour alone decides (a press is full on).
    #[default]
    Ignore,
    /// Velocity (0..1) is the input position, which then goes through the shape.
    ToValue,
    /// Like `ToValue`, with the velocity first passed through this curve (a velocity response).
    Curve(Curve),
}

impl Velocity {
    /// The input position a press of this velocity sets, or `None` when velocity is ignored.
    /// Velocity is clamped to 0..1 and NaN reads as 0.
    pub fn apply(&self, velocity: f64) -> Option<f64> {
        match self {
            Velocity::Ignore => None,
            Velocity::ToValue => Some(unit(velocity)),
            Velocity::Curve(c) => Some(c.apply(velocity)),
        }
    }

    /// Checks the velocity curve, if any.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Velocity::Curve(c) => c.validate().map_err(|e| format!("velocity: {e}")),
            _ => Ok(()),
        }
    }
}

/// Two-axis shaping for a gamepad stick: radial deadzone, outer livezone and a curve per axis.
///
/// Axes are in -1..1. The deadzone is radial (a circle around the centre), which avoids the "sticky
/// axes" that per-axis deadzones cause on diagonals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StickShape {
    /// Radius (in -1..1 axis units) inside which the stick reads as centred; default 0.1.
    pub deadzone: f64,
    /// Radius beyond which the stick reads as fully deflected (worn sticks rarely reach 1); default 0.95.
    pub livezone: f64,
    /// Curve applied to the magnitude of the x axis (sign kept).
    pub curve_x: Curve,
    /// Curve applied to the magnitude of the y axis (sign kept).
    pub curve_y: Curve,
}

impl Default for StickShape {
    fn default() -> Self {
        StickShape {
            deadzone: 0.1,
            livezone: 0.95,
            curve_x: Curve::Linear,
            curve_y: Curve::Linear,
        }
    }
}

impl StickShape {
    /// Shapes a stick reading (each axis clamped to -1..1, NaN read as 0) into -1..1 per axis.
    ///
    /// The radius is rescaled from `deadzone..livezone` to `0..1`, so output starts at 0 just outside
    /// the deadzone (no jump) and reaches full deflection at the livezone. Direction is kept. An
    /// invalid deadzone/livezone pair (which `validate` refuses) uses the defaults.
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let axis = |v: f64| if v.is_nan() { 0.0 } else { v.clamp(-1.0, 1.0) };
        let (x, y) = (axis(x), axis(y));
        let (dz, live) = if self.zones_ok() {
            (self.deadzone, self.livezone)
        } else {
            (0.1, 0.95)
        };
        let r = x.hypot(y);
        if r <= dz {
            return (0.0, 0.0);
        }
        let m = ((r.min(live) - dz) / (live - dz)).min(1.0);
        let (ux, uy) = (x / r * m, y / r * m);
        (
            ux.signum() * self.curve_x.apply(ux.abs()),
            uy.signum() * self.curve_y.apply(uy.abs()),
        )
    }

    /// Checks `0 <= deadzone < livezone <= 1` (finite) and the curves.
    pub fn validate(&self) -> Result<(), String> {
        if !self.zones_ok() {
            return Err(format!(
                "stick deadzone {:?} / livezone {:?}: need 0 <= deadzone < livezone <= 1",
                self.deadzone, self.livezone
            ));
        }
        self.curve_x.validate().map_err(|e| format!("curve_x: {e}"))?;
        self.curve_y.validate().map_err(|e| format!("curve_y: {e}"))
    }

    fn zones_ok(&self) -> bool {
        self.deadzone.is_finite()
            && self.livezone.is_finite()
            && self.deadzone >= 0.0
            && self.deadzone < self.livezone
            && self.livezone <= 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn default_is_linear_over_full_range() {
        let s = Shape::default();
        assert!(close(s.to_control(0.0, -26.0, 6.0), -26.0));
        assert!(close(s.to_control(0.5, -26.0, 6.0), -10.0));
        assert!(close(s.to_control(1.0, -26.0, 6.0), 6.0));
        assert!(close(s.from_control(-10.0, -26.0, 6.0), 0.5));
    }

    #[test]
    fn bad_inputs_are_clamped() {
        let s = Shape::default();
        assert_eq!(s.to_control(f64::NAN, -1.0, 1.0), -1.0);
        assert_eq!(s.to_control(f64::INFINITY, -1.0, 1.0), 1.0);
        assert_eq!(s.to_control(-5.0, -1.0, 1.0), -1.0);
        assert_eq!(s.from_control(f64::NAN, -1.0, 1.0), 0.0);
        assert_eq!(s.from_control(9.0, -1.0, 1.0), 1.0);
        // Reversed or NaN control limits must not panic.
        assert!(close(s.to_control(0.25, 1.0, -1.0), 0.5));
        let _ = s.to_control(0.5, f64::NAN, f64::NAN);
        let _ = s.step(0.0, 3, f64::NAN, 1.0, f64::NAN);
    }

    #[test]
    fn range_and_reversed_range() {
        let s = Shape {
            range: Some((0.2, 0.6)),
            ..Shape::default()
        };
        assert!(close(s.to_control(0.0, 0.0, 1.0), 0.2));
        assert!(close(s.to_control(1.0, 0.0, 1.0), 0.6));
        assert!(close(s.from_control(0.4, 0.0, 1.0), 0.5));
        assert_eq!(s.from_control(0.9, 0.0, 1.0), 1.0);
        let r = Shape {
            range: Some((0.8, 0.2)),
            ..Shape::default()
        };
        assert!(close(r.to_control(0.0, 0.0, 1.0), 0.8));
        assert!(close(r.to_control(1.0, 0.0, 1.0), 0.2));
        assert!(close(r.from_control(0.35, 0.0, 1.0), 0.75));
        // A range sticking out of the control is clamped at runtime.
        let wide = Shape {
            range: Some((0.0, 2.0)),
            ..Shape::default()
        };
        assert_eq!(wide.to_control(1.0, 0.0, 1.0), 1.0);
    }

    #[test]
    fn invert_flips_and_round_trips() {
        let s = Shape {
            invert: true,
            curve: Curve::Exp,
            ..Shape::default()
        };
        assert!(close(s.to_control(0.0, -1.0, 1.0), 1.0));
        assert!(close(s.to_control(1.0, -1.0, 1.0), -1.0));
        for i in 0..=20 {
            let x = i as f64 / 20.0;
            assert!(close(s.from_control(s.to_control(x, -1.0, 1.0), -1.0, 1.0), x));
        }
    }

    #[test]
    fn curve_round_trip_through_shape() {
        for curve in [Curve::Linear, Curve::Log, Curve::Exp, Curve::S] {
            let s = Shape {
                curve: curve.clone(),
                range: Some((-20.0, 4.0)),
                ..Shape::default()
            };
            for i in 0..=50 {
                let x = i as f64 / 50.0;
                let back = s.from_control(s.to_control(x, -26.0, 6.0), -26.0, 6.0);
                assert!((back - x).abs() < 1e-6, "{curve:?} {x} -> {back}");
            }
        }
    }

    #[test]
    fn detent_snaps_centre_without_jumps() {
        let s = Shape {
            detent: Some(0.1),
            ..Shape::default()
        };
        for x in [0.45, 0.47, 0.5, 0.53, 0.55] {
            assert!(close(s.to_control(x, -1.0, 1.0), 0.0), "{x}");
        }
        assert!(close(s.to_control(0.0, -1.0, 1.0), -1.0));
        assert!(close(s.to_control(1.0, -1.0, 1.0), 1.0));
        // Continuous at the detent edges.
        assert!(s.to_control(0.4499, -1.0, 1.0).abs() < 1e-3);
        assert!(s.to_control(0.5501, -1.0, 1.0).abs() < 1e-3);
        assert!(close(s.to_control(0.225, -1.0, 1.0), -0.5));
        // Inverse lands outside the detent for off-centre values and on 0.5 for the centre.
        assert!(close(s.from_control(0.0, -1.0, 1.0), 0.5));
        assert!(close(s.from_control(-0.5, -1.0, 1.0), 0.225));
        assert!(close(s.from_control(0.5, -1.0, 1.0), 0.775));
    }

    #[test]
    fn unipolar_deadzone() {
        let s = Shape {
            deadzone: 0.1,
            ..Shape::default()
        };
        assert_eq!(s.to_control(0.05, 0.0, 1.0), 0.0);
        assert_eq!(s.to_control(0.1, 0.0, 1.0), 0.0);
        assert!(s.to_control(0.1001, 0.0, 1.0) < 1e-3);
        assert!(close(s.to_control(0.55, 0.0, 1.0), 0.5));
        assert!(close(s.to_control(1.0, 0.0, 1.0), 1.0));
        assert!(close(s.from_control(0.5, 0.0, 1.0), 0.55));
        assert_eq!(s.from_control(0.0, 0.0, 1.0), 0.0);
    }

    #[test]
    fn bipolar_deadzone() {
        let s = Shape {
            deadzone: 0.05,
            bipolar: true,
            ..Shape::default()
        };
        for x in [0.45, 0.48, 0.5, 0.52, 0.55] {
            assert!(close(s.to_control(x, -1.0, 1.0), 0.0), "{x}");
        }
        assert!(s.to_control(0.5501, -1.0, 1.0) > 0.0 && s.to_control(0.5501, -1.0, 1.0) < 1e-3);
        assert!(close(s.to_control(0.0, -1.0, 1.0), -1.0));
        assert!(close(s.to_control(1.0, -1.0, 1.0), 1.0));
        assert!(close(s.to_control(0.775, -1.0, 1.0), 0.5));
        assert!(close(s.from_control(0.5, -1.0, 1.0), 0.775));
        assert!(close(s.from_control(0.0, -1.0, 1.0), 0.5));
    }

    #[test]
    fn steps_quantise_evenly_in_control_units() {
        let s = Shape {
            steps: Some(5),
            ..Shape::default()
        };
        assert!(close(s.to_control(0.1, 0.0, 4.0), 0.0));
        assert!(close(s.to_control(0.2, 0.0, 4.0), 1.0));
        assert!(close(s.to_control(0.6, 0.0, 4.0), 2.0));
        assert!(close(s.to_control(0.9, 0.0, 4.0), 4.0));
        let stepped = Shape {
            steps: Some(3),
            curve: Curve::Exp,
            ..Shape::default()
        };
        for i in 0..=100 {
            let v = stepped.to_control(i as f64 / 100.0, 0.0, 1.0);
            assert!(close(v, 0.0) || close(v, 0.5) || close(v, 1.0));
        }
    }

    #[test]
    fn relative_steps() {
        let s = Shape::default();
        assert!(close(s.step(0.0, 1, 0.0, 1.0, DEFAULT_SENSITIVITY), 1.0 / 128.0));
        assert!(close(s.step(-1.0, 64, -1.0, 1.0, DEFAULT_SENSITIVITY), 0.0));
        assert_eq!(s.step(0.99, 10, 0.0, 1.0, DEFAULT_SENSITIVITY), 1.0);
        assert_eq!(s.step(0.01, -10, 0.0, 1.0, DEFAULT_SENSITIVITY), 0.0);
        assert!(close(s.step(0.5, 2, 0.0, 1.0, 0.1), 0.7));
        // Bad sensitivity falls back to the default; zero steps leave the value alone.
        assert!(close(s.step(0.0, 1, 0.0, 1.0, f64::NAN), 1.0 / 128.0));
        assert_eq!(s.step(0.3, 0, 0.0, 1.0, 0.1), 0.3);
        let inv = Shape {
            invert: true,
            ..Shape::default()
        };
        assert!(close(inv.step(0.5, 1, 0.0, 1.0, 0.1), 0.4));
        let ranged = Shape {
            range: Some((0.2, 0.4)),
            ..Shape::default()
        };
        assert!(close(ranged.step(0.3, 1, 0.0, 1.0, 0.25), 0.35));
        assert!(close(ranged.step(0.39, 100, 0.0, 1.0, 0.25), 0.4));
    }

    #[test]
    fn relative_steps_follow_the_curve() {
        let s = Shape {
            curve: Curve::Exp,
            ..Shape::default()
        };
        let mut v = 0.0;
        for _ in 0..64 {
            v = s.step(v, 1, 0.0, 1.0, DEFAULT_SENSITIVITY);
        }
        assert!((v - Curve::Exp.apply(0.5)).abs() < 1e-6);
    }

    #[test]
    fn relative_steps_never_stick_when_quantised() {
        let s = Shape {
            steps: Some(4),
            ..Shape::default()
        };
        let mut v = 0.0;
        let mut seen = vec![];
        for _ in 0..5 {
            v = s.step(v, 1, 0.0, 3.0, DEFAULT_SENSITIVITY);
            seen.push(v);
        }
        assert_eq!(seen, vec![1.0, 2.0, 3.0, 3.0, 3.0]);
        assert!(close(s.step(3.0, -1, 0.0, 3.0, DEFAULT_SENSITIVITY), 2.0));
        // A big sensitivity jumps several steps at once.
        assert!(close(s.step(0.0, 2, 0.0, 3.0, 1.0 / 3.0), 2.0));
    }

    #[test]
    fn velocity_modes() {
        assert_eq!(Velocity::Ignore.apply(0.7), None);
        assert_eq!(Velocity::ToValue.apply(0.7), Some(0.7));
        assert_eq!(Velocity::ToValue.apply(f64::NAN), Some(0.0));
        assert!(close(
            Velocity::Curve(Curve::Exp).apply(0.5).unwrap(),
            Curve::Exp.apply(0.5)
        ));
    }

    #[test]
    fn shape_validation_messages() {
        let err = |s: Shape| s.validate().unwrap_err();
        assert!(
            err(Shape {
                range: Some((0.5, 0.5)),
                ..Shape::default()
            })
            .contains("range (0.5, 0.5): the ends are equal")
        );
        assert!(
            err(Shape {
                range: Some((f64::NAN, 1.0)),
                ..Shape::default()
            })
            .contains("finite")
        );
        assert!(
            err(Shape {
                steps: Some(1),
                ..Shape::default()
            })
            .contains("steps 1")
        );
        assert!(
            err(Shape {
                detent: Some(1.5),
                ..Shape::default()
            })
            .contains("detent 1.5")
        );
        assert!(
            err(Shape {
                detent: Some(f64::INFINITY),
                ..Shape::default()
            })
            .contains("detent inf")
        );
        assert!(
            err(Shape {
                deadzone: -0.1,
                ..Shape::default()
            })
            .contains("deadzone -0.1")
        );
        assert!(
            err(Shape {
                deadzone: 0.6,
                bipolar: true,
                ..Shape::default()
            })
            .contains("bipolar")
        );
        assert!(
            err(Shape {
                curve: Curve::Points(vec![(0.0, 0.0)]),
                ..Shape::default()
            })
            .contains("curve Points")
        );
        assert!(
            Shape {
                range: Some((0.8, 0.2)),
                deadzone: 0.6,
                ..Shape::default()
            }
            .validate()
            .is_ok()
        );
        let wide = Shape {
            range: Some((-2.0, 1.0)),
            ..Shape::default()
        };
        assert!(wide.validate().is_ok());
        assert!(
            wide.validate_for(-1.0, 1.0)
                .unwrap_err()
                .contains("outside the control's limits (-1.0 .. 1.0)")
        );
        assert!(wide.validate_for(-2.0, 2.0).is_ok());
    }

    #[test]
    fn stick_radial_deadzone_is_continuous() {
        let s = StickShape::default();
        assert_eq!(s.apply(0.05, 0.05), (0.0, 0.0));
        assert_eq!(s.apply(0.1, 0.0), (0.0, 0.0));
        // Just outside the deadzone, in any direction, the output is tiny: no jump.
        for angle in [0.0f64, 0.7, 2.0, 4.0] {
            let r = 0.1 + 1e-6;
            let (x, y) = s.apply(r * angle.cos(), r * angle.sin());
            assert!(x.hypot(y) < 1e-4, "jump at angle {angle}");
        }
        // Livezone and beyond read as full deflection.
        assert!(close(s.apply(0.95, 0.0).0, 1.0));
        assert!(close(s.apply(-1.0, 0.0).0, -1.0));
        let (x, y) = s.apply(1.0, 1.0);
        assert!(close(x.hypot(y), 1.0) && close(x, y));
        // Direction is kept and the radius rescales linearly.
        let (x, y) = s.apply(0.0, -0.525);
        assert!(close(x, 0.0) && close(y, -0.5));
        // NaN reads as centred.
        assert_eq!(s.apply(f64::NAN, f64::NAN), (0.0, 0.0));
    }

    #[test]
    fn stick_per_axis_curves_and_validation() {
        let s = StickShape {
            curve_x: Curve::Exp,
            ..StickShape::default()
        };
        let (x, y) = s.apply(-0.525, 0.0);
        assert!(close(x, -Curve::Exp.apply(0.5)) && y == 0.0);
        let (_, y) = s.apply(0.0, 0.525);
        assert!(close(y, 0.5));
        assert!(
            StickShape {
                deadzone: 0.5,
                livezone: 0.4,
                ..StickShape::default()
            }
            .validate()
            .is_err()
        );
        assert!(StickShape::default().validate().is_ok());
        // Invalid zones fall back to the defaults rather than dividing by zero.
        let bad = StickShape {
            deadzone: 0.5,
            livezone: 0.5,
            ..StickShape::default()
        };
        assert!(bad.apply(1.0, 0.0).0.is_finite());
    }
}
