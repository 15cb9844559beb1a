//! Response curves: how a normalised 0..1 input position maps onto a normalised 0..1 output.
//!
//! Every curve is monotonic rising and invertible, because soft takeover and LED-ring feedback need to
//! go back from a control's value to the hardware position that would produce it.

use serde::{Deserialize, Serialize};

/// Base of the fixed `Exp`/`Log` shapes: 100 spans 40 dB, the usable range of an audio-taper pot.
const TAPER_BASE: f64 = 100.0;

/// A response curve from input position (0..1) to output (0..1).
///
/// All curves map 0 to 0 and 1 to 1 (except `Points`, which maps to its own end points) and rise
/// monotonically. Inputs outside 0..1 are clamped and NaN reads as 0, so `apply` and `invert` never
/// fail and never return a value outside 0..1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Curve {
    /// Output equals input.
    #[default]
    Linear,
    /// Logarithmic: rises fast then flattens, for fine control at the top. `ln(1 + 99x) / ln(100)`;
    /// half travel gives about 0.85. Exactly the inverse of `Exp`.
    Log,
    /// Exponential: starts slow then rises fast, what pot makers call an "audio" or "log" taper (the
    /// output is linear in decibels over its upper 40 dB). `(100^x - 1) / 99`; half travel gives
    /// about 0.09. Exactly the inverse of `Log`.
    Exp,
    /// Smoothstep `3x² - 2x³`: gentle at both ends, steep in the middle (crossfader-like).
    S,
    /// Piecewise linear through the given `(x, y)` points. Both coordinates lie in 0..1 and rise
    /// strictly from point to point, the first x is 0 and the last is 1 (see [`Curve::validate`]). An
    /// invalid list, which `validate` would refuse, behaves as `Linear` rather than failing at runtime.
    Points(Vec<(f64, f64)>),
}

impl Curve {
    /// Maps an input position in 0..1 to an output in 0..1 (input clamped, NaN read as 0).
    pub fn apply(&self, x: f64) -> f64 {
        let x = unit(x);
        let y = match self {
            Curve::Linear => x,
            Curve::Log => (1.0 + (TAPER_BASE - 1.0) * x).ln() / TAPER_BASE.ln(),
            Curve::Exp => (TAPER_BASE.powf(x) - 1.0) / (TAPER_BASE - 1.0),
            Curve::S => x * x * (3.0 - 2.0 * x),
            Curve::Points(points) => {
                if points_problem(points).is_some() {
                    x
                } else {
                    points_apply(points, x)
                }
            }
        };
        unit(y)
    }

    /// Maps an output in 0..1 back to the input position that produces it (clamped, NaN read as 0).
    ///
    /// For `Points`, outputs below the first point's y give 0 and above the last point's y give 1.
    pub fn invert(&self, y: f64) -> f64 {
        let y = unit(y);
        let x = match self {
            Curve::Linear => y,
            Curve::Log => (TAPER_BASE.powf(y) - 1.0) / (TAPER_BASE - 1.0),
            Curve::Exp => (1.0 + (TAPER_BASE - 1.0) * y).ln() / TAPER_BASE.ln(),
            // Closed-form inverse of smoothstep (the real root of the cubic that lies in 0..1).
            Curve::S => 0.5 - ((1.0 - 2.0 * y).asin() / 3.0).sin(),
            Curve::Points(points) => {
                if points_problem(points).is_some() {
                    y
                } else {
                    points_invert(points, y)
                }
            }
        };
        unit(x)
    }

    /// Checks a `Points` list (other curves are always valid), naming the first problem found.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Curve::Points(points) => match points_error(points) {
                Some(e) => Err(format!("curve Points: {e}")),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

/// Clamps to 0..1 and reads NaN as 0, so no later arithmetic can produce NaN from bad input.
pub(crate) fn unit(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

/// What is wrong with a point list, found without allocating because `apply` and `invert` check it
/// on every message; the index is 1-based, as a performer counts.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PointsProblem {
    TooFew(usize),
    NotFinite(usize),
    OutOfRange(usize),
    XNotRising(usize),
    YNotRising(usize),
    Ends,
}

fn points_problem(points: &[(f64, f64)]) -> Option<PointsProblem> {
    if points.len() < 2 {
        return Some(PointsProblem::TooFew(points.len()));
    }
    for (i, &(x, y)) in points.iter().enumerate() {
        if !x.is_finite() || !y.is_finite() {
            return Some(PointsProblem::NotFinite(i + 1));
        }
        if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
            return Some(PointsProblem::OutOfRange(i + 1));
        }
        if i > 0 {
            let (px, py) = points[i - 1];
            if x <= px {
                return Some(PointsProblem::XNotRising(i + 1));
            }
            if y <= py {
                return Some(PointsProblem::YNotRising(i + 1));
            }
        }
    }
    if points[0].0 != 0.0 || points[points.len() - 1].0 != 1.0 {
        return Some(PointsProblem::Ends);
    }
    None
}

/// The message for a problem found by [`points_problem`] (only built by `validate`).
fn points_error(points: &[(f64, f64)]) -> Option<String> {
    let point = |n: usize| {
        let (x, y) = points[n - 1];
        format!("point {n} ({x:?}, {y:?})")
    };
    let prev = |n: usize| points[n - 2];
    Some(match points_problem(points)? {
        PointsProblem::TooFew(n) => format!("at least 2 points are needed, got {n}"),
        PointsProblem::NotFinite(n) => format!("{} must be finite numbers", point(n)),
        PointsProblem::OutOfRange(n) => format!("{} must lie within 0..1 on both axes", point(n)),
        PointsProblem::XNotRising(n) => {
            format!("{}: x must be above the previous point's x ({:?})", point(n), prev(n).0)
        }
        PointsProblem::YNotRising(n) => format!(
            "{}: y must be above the previous point's y ({:?}); curves rise strictly so they can be \
             inverted (use `invert` for a falling response, `detent` or `deadzone` for a flat part)",
            point(n),
            prev(n).1
        ),
        PointsProblem::Ends => format!(
            "the first point must have x = 0 and the last x = 1 so the curve covers the whole travel \
             (got x from {:?} to {:?})",
            points[0].0,
            points[points.len() - 1].0
        ),
    })
}

/// Linear interpolation through validated points (x covers 0..1, both axes strictly rising).
fn points_apply(points: &[(f64, f64)], x: f64) -> f64 {
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if x <= x1 {
            return y0 + (x - x0) / (x1 - x0) * (y1 - y0);
        }
    }
    points[points.len() - 1].1
}

/// Inverse of [`points_apply`]: the validated points are strictly rising, so the inverse is unique.
fn points_invert(points: &[(f64, f64)], y: f64) -> f64 {
    if y <= points[0].1 {
        return 0.0;
    }
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if y <= y1 {
            return x0 + (y - y0) / (y1 - y0) * (x1 - x0);
        }
    }
    1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_curves() -> Vec<Curve> {
        vec![
            Curve::Linear,
            Curve::Log,
            Curve::Exp,
            Curve::S,
            Curve::Points(vec![(0.0, 0.0), (0.25, 0.5), (0.75, 0.6), (1.0, 1.0)]),
            Curve::Points(vec![(0.0, 0.2), (1.0, 0.8)]),
        ]
    }

    #[test]
    fn ends_map_to_ends() {
        for c in [Curve::Linear, Curve::Log, Curve::Exp, Curve::S] {
            assert!(c.apply(0.0).abs() < 1e-12, "{c:?}");
            assert!((c.apply(1.0) - 1.0).abs() < 1e-12, "{c:?}");
        }
    }

    #[test]
    fn each_curve_round_trips_and_is_monotonic() {
        for c in all_curves() {
            let mut prev = -1.0;
            for i in 0..=1000 {
                let x = i as f64 / 1000.0;
                let y = c.apply(x);
                assert!(y > prev, "{c:?} not rising at {x}");
                prev = y;
                let back = c.invert(y);
                // Smoothstep is flat at its ends, so the inverse is ill-conditioned there.
                let tol = if matches!(c, Curve::S) { 1e-6 } else { 1e-9 };
                assert!((back - x).abs() < tol, "{c:?}: invert(apply({x})) = {back}");
            }
        }
    }

    #[test]
    fn documented_shapes() {
        assert!((Curve::Exp.apply(0.5) - 0.0909).abs() < 1e-3);
        assert!((Curve::Log.apply(0.5) - 0.8517).abs() < 1e-3);
        assert!((Curve::S.apply(0.5) - 0.5).abs() < 1e-12);
        assert!(Curve::S.apply(0.1) < 0.1 && Curve::S.apply(0.9) > 0.9);
        for x in [0.1, 0.3, 0.7] {
            assert!((Curve::Log.apply(x) - Curve::Exp.invert(x)).abs() < 1e-12);
        }
    }

    #[test]
    fn out_of_range_and_nan_are_clamped() {
        for c in all_curves() {
            assert_eq!(c.apply(f64::NAN), c.apply(0.0));
            assert_eq!(c.apply(-3.0), c.apply(0.0));
            assert_eq!(c.apply(f64::INFINITY), c.apply(1.0));
            assert!((0.0..=1.0).contains(&c.invert(f64::NAN)));
            assert!((0.0..=1.0).contains(&c.invert(7.0)));
        }
    }

    #[test]
    fn points_interpolate_and_invert_outside_their_outputs() {
        let c = Curve::Points(vec![(0.0, 0.2), (0.5, 0.3), (1.0, 0.8)]);
        assert!((c.apply(0.25) - 0.25).abs() < 1e-12);
        assert!((c.apply(0.75) - 0.55).abs() < 1e-12);
        assert_eq!(c.invert(0.1), 0.0);
        assert_eq!(c.invert(0.9), 1.0);
        assert!((c.invert(0.55) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn points_validation_messages() {
        let err = |p: Vec<(f64, f64)>| Curve::Points(p).validate().unwrap_err();
        assert!(err(vec![(0.0, 0.0)]).contains("at least 2 points"));
        assert!(err(vec![]).contains("got 0"));
        assert!(
            err(vec![(0.0, 0.0), (0.5, 0.5), (0.4, 0.6), (1.0, 1.0)]).contains("point 3 (0.4, 0.6): x must be above")
        );
        assert!(err(vec![(0.0, 0.0), (0.5, 0.5), (1.0, 0.5)]).contains("y must be above"));
        assert!(err(vec![(0.0, 0.0), (1.0, 1.5)]).contains("within 0..1"));
        assert!(err(vec![(0.0, f64::NAN), (1.0, 1.0)]).contains("finite"));
        assert!(err(vec![(0.1, 0.0), (1.0, 1.0)]).contains("first point must have x = 0"));
        assert!(err(vec![(0.0, 0.0), (0.9, 1.0)]).contains("from 0.0 to 0.9"));
        assert!(Curve::Points(vec![(0.0, 0.0), (1.0, 1.0)]).validate().is_ok());
        assert!(Curve::Log.validate().is_ok());
    }

    #[test]
    fn invalid_points_fall_back_to_linear() {
        let c = Curve::Points(vec![(0.0, 1.0), (1.0, 0.0)]);
        assert_eq!(c.apply(0.3), 0.3);
        assert_eq!(c.invert(0.3), 0.3);
        assert_eq!(Curve::Points(vec![]).apply(0.7), 0.7);
    }
}
