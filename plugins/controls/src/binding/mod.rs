//! Per-binding value transforms for controller mappings: curves and shaping from hardware position to
//! control value (and back), soft takeover, button behaviours, smoothing, and the serde options a
//! mapping file gives for one binding.
//!
//! Everything here is pure and clock-free: time arrives as `u64` microseconds with each event, so the
//! state machines are deterministic and testable. The per-message paths (`apply`, `press`, `release`,
//! `tick`, `input`, `value`, `to_control`, `from_control`, `step`) never allocate and never panic.

pub mod button;
pub mod curve;
pub mod shape;
pub mod smooth;
pub mod takeover;

use serde::{Deserialize, Serialize};

use button::ButtonMode;
use curve::Curve;
use shape::{DEFAULT_SENSITIVITY, Shape, Velocity};
use smooth::Smoothing;
use takeover::Takeover;

/// When a triggered action lands, relative to the beat grid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Quantize {
    /// The performer's global launch quantization.
    #[default]
    Default,
    /// Immediately.
    Now,
    /// On the next beat.
    Beat,
    /// On the next bar.
    Bar,
    /// On the next multiple of this many beats (fractions allowed, e.g. `Beats(0.5)` for eighths).
    Beats(f64),
}

impl Quantize {
    /// Refuses a non-finite or non-positive number of beats.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Quantize::Beats(b) if !(b.is_finite() && b > 0.0) => {
                Err(format!("quantize Beats({b:?}): the number of beats must be above 0"))
            }
            _ => Ok(()),
        }
    }
}

/// Everything a mapping file can say about one binding's value handling, as one flat struct so RON
/// reads naturally: `(curve: Exp, takeover: Scale)`. Every field is optional and unknown fields are
/// refused (a misspelt option must not silently do nothing).
///
/// The shaping fields (`range` .. `bipolar`) are those of [`Shape`]; build one with
/// [`BindingOptions::shape`] when the binding is compiled, not per message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BindingOptions {
    /// See [`Shape::range`]: sub-range in control units; a reversed pair runs backwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<(f64, f64)>,
    /// See [`Shape::invert`].
    #[serde(skip_serializing_if = "is_default")]
    pub invert: bool,
    /// See [`Shape::curve`].
    #[serde(skip_serializing_if = "is_default")]
    pub curve: Curve,
    /// See [`Shape::steps`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
    /// See [`Shape::detent`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detent: Option<f64>,
    /// See [`Shape::deadzone`].
    #[serde(skip_serializing_if = "is_default")]
    pub deadzone: f64,
    /// See [`Shape::bipolar`].
    #[serde(skip_serializing_if = "is_default")]
    pub bipolar: bool,
    /// Share of the travel one encoder step moves (relative inputs only); default 1/128.
    #[serde(skip_serializing_if = "is_default_sensitivity")]
    pub sensitivity: f64,
    /// Soft takeover for absolute knobs and faders; default `PickUp`. Ignored for encoders and buttons.
    #[serde(skip_serializing_if = "is_default")]
    pub takeover: Takeover,
    /// Button behaviour (buttons and pads only); default `Momentary`.
    #[serde(skip_serializing_if = "is_default")]
    pub button: ButtonMode,
    /// What note velocity does (buttons and pads only); default `Ignore`.
    #[serde(skip_serializing_if = "is_default")]
    pub velocity: Velocity,
    /// Smoothing of the position over time; default `None`.
    #[serde(skip_serializing_if = "is_default")]
    pub smoothing: Smoothing,
    /// Beat quantization of triggered actions; default: the performer's launch quantization.
    #[serde(skip_serializing_if = "is_default")]
    pub quantize: Quantize,
    /// For an encoder: turned faster, each step moves further (`Some(())` for the defaults,
    /// or `Some((threshold_hz: 8, exponent: 1, max_factor: 8))`); default: none.
    #[serde(skip_serializing_if = "is_default")]
    pub acceleration: Option<crate::midi::relative::Acceleration>,
}

impl Default for BindingOptions {
    fn default() -> Self {
        BindingOptions {
            range: None,
            invert: false,
            curve: Curve::Linear,
            steps: None,
            detent: None,
            deadzone: 0.0,
            bipolar: false,
            sensitivity: DEFAULT_SENSITIVITY,
            takeover: Takeover::PickUp,
            button: ButtonMode::Momentary,
            velocity: Velocity::Ignore,
            smoothing: Smoothing::None,
            quantize: Quantize::Default,
            acceleration: None,
        }
    }
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn is_default_sensitivity(v: &f64) -> bool {
    *v == DEFAULT_SENSITIVITY
}

impl BindingOptions {
    /// The shaping part as a [`Shape`] (clones the curve: call once when compiling the binding).
    pub fn shape(&self) -> Shape {
        Shape {
            range: self.range,
            invert: self.invert,
            curve: self.curve.clone(),
            steps: self.steps,
            detent: self.detent,
            deadzone: self.deadzone,
            bipolar: self.bipolar,
        }
    }

    /// Checks every option, returning the first problem as a message that names the option and value:
    /// non-finite numbers anywhere, equal range ends, bad curve points, steps below 2, detent or
    /// deadzone out of bounds, non-positive sensitivity, zero button windows, bad smoothing or
    /// quantize numbers. A reversed `range` is accepted (it runs the control backwards).
    pub fn validate(&self) -> Result<(), String> {
        self.shape().validate()?;
        if !(self.sensitivity.is_finite() && self.sensitivity > 0.0) {
            return Err(format!(
                "sensitivity {:?}: must be above 0 (the share of the travel one encoder step moves, default 1/128 = 0.0078125)",
                self.sensitivity
            ));
        }
        self.button.validate()?;
        self.velocity.validate()?;
        self.smoothing.validate()?;
        self.quantize.validate()
    }

    /// Like [`BindingOptions::validate`], and also checks that `range` lies within the bound
    /// control's limits (call when the target control is known).
    pub fn validate_for(&self, spec_min: f64, spec_max: f64) -> Result<(), String> {
        self.validate()?;
        shape::check_range_within(self.range, spec_min, spec_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> BindingOptions {
        ron::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn ron_with_only_some_fields() {
        let o = parse("(curve: Log, takeover: Scale)");
        assert_eq!(o.curve, Curve::Log);
        assert_eq!(o.takeover, Takeover::Scale);
        assert_eq!(o.sensitivity, DEFAULT_SENSITIVITY);
        assert_eq!(o.button, ButtonMode::Momentary);
        assert_eq!(parse("()"), BindingOptions::default());
        assert_eq!(BindingOptions::default().takeover, Takeover::PickUp);
    }

    #[test]
    fn ron_reads_every_option() {
        let o = parse(
            "(
                range: Some((-12, 6.0)),
                invert: true,
                curve: Points([(0, 0), (0.5, 0.8), (1, 1)]),
                steps: Some(8),
                detent: Some(0.06),
                deadzone: 0.02,
                bipolar: true,
                sensitivity: 0.01,
                takeover: None,
                button: HoldTap(hold_ms: 450),
                velocity: Curve(Exp),
                smoothing: OneEuro(beta: 20),
                quantize: Beats(0.5),
            )",
        );
        assert_eq!(o.range, Some((-12.0, 6.0)));
        assert_eq!(o.curve, Curve::Points(vec![(0.0, 0.0), (0.5, 0.8), (1.0, 1.0)]));
        assert_eq!(o.button, ButtonMode::HoldTap { hold_ms: 450 });
        assert_eq!(o.velocity, Velocity::Curve(Curve::Exp));
        assert_eq!(
            o.smoothing,
            Smoothing::OneEuro {
                min_cutoff: 1.0,
                beta: 20.0,
                d_cutoff: 1.0
            }
        );
        assert_eq!(o.quantize, Quantize::Beats(0.5));
        assert_eq!(o.takeover, Takeover::None);
        assert!(o.validate().is_ok());
        let s = o.shape();
        assert_eq!(
            (s.steps, s.detent, s.bipolar, s.invert),
            (Some(8), Some(0.06), true, true)
        );
    }

    #[test]
    fn ron_variant_defaults_and_forms() {
        assert_eq!(
            parse("(button: HoldTap())").button,
            ButtonMode::HoldTap { hold_ms: 300 }
        );
        assert_eq!(
            parse("(button: DoubleTap())").button,
            ButtonMode::DoubleTap { window_ms: 300 }
        );
        assert_eq!(
            parse("(button: DoubleTap(window_ms: 200))").button,
            ButtonMode::DoubleTap { window_ms: 200 }
        );
        assert_eq!(
            parse("(smoothing: OneEuro())").smoothing,
            Smoothing::OneEuro {
                min_cutoff: 1.0,
                beta: smooth::DEFAULT_BETA,
                d_cutoff: 1.0
            }
        );
        assert_eq!(parse("(smoothing: SlewMs(80))").smoothing, Smoothing::SlewMs(80.0));
        assert_eq!(
            parse("(smoothing: SlewBeats(0.25))").smoothing,
            Smoothing::SlewBeats(0.25)
        );
        assert_eq!(parse("(quantize: Bar, velocity: ToValue)").quantize, Quantize::Bar);
    }

    #[test]
    fn ron_refuses_unknown_and_misspelt_options() {
        assert!(ron::from_str::<BindingOptions>("(curv: Log)").is_err());
        assert!(ron::from_str::<BindingOptions>("(curve: Logarithmic)").is_err());
        assert!(ron::from_str::<BindingOptions>("(button: HoldTap(hold: 5))").is_err());
        assert!(ron::from_str::<BindingOptions>("(smoothing: OneEuro(betta: 5))").is_err());
        // A struct variant needs its parentheses.
        assert!(ron::from_str::<BindingOptions>("(button: HoldTap)").is_err());
    }

    #[test]
    fn ron_implicit_some_extension() {
        // Without the extension, options need Some(..); loaders may enable IMPLICIT_SOME for performers.
        assert!(ron::from_str::<BindingOptions>("(steps: 4)").is_err());
        let opts = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let o: BindingOptions = opts.from_str("(steps: 4, range: (0.2, 0.8), detent: 0.1)").unwrap();
        assert_eq!((o.steps, o.range, o.detent), (Some(4), Some((0.2, 0.8)), Some(0.1)));
    }

    #[test]
    fn ron_round_trip_writes_only_what_differs() {
        let o = BindingOptions {
            curve: Curve::S,
            range: Some((0.8, 0.2)),
            button: ButtonMode::DoubleTap { window_ms: 250 },
            smoothing: Smoothing::SlewBeats(1.0),
            ..BindingOptions::default()
        };
        let text = ron::to_string(&o).unwrap();
        assert!(!text.contains("takeover") && !text.contains("sensitivity"), "{text}");
        assert_eq!(parse(&text), o);
        let d = ron::to_string(&BindingOptions::default()).unwrap();
        assert_eq!(d, "()");
        let full = parse("(invert: true, deadzone: 0.1, sensitivity: 0.02, takeover: None, quantize: Now)");
        assert_eq!(parse(&ron::to_string(&full).unwrap()), full);
    }

    #[test]
    fn validation_messages_name_the_problem() {
        let err = |s: &str| parse(s).validate().unwrap_err();
        assert_eq!(
            err("(range: Some((0.5, 0.5)))"),
            "range (0.5, 0.5): the ends are equal, so the binding would have no travel"
        );
        assert!(err("(range: Some((NaN, 1)))").contains("finite"));
        assert!(err("(curve: Points([(0, 0)]))").starts_with("curve Points: at least 2 points"));
        assert!(err("(steps: Some(1))").starts_with("steps 1"));
        assert!(err("(detent: Some(inf))").starts_with("detent inf"));
        assert!(err("(deadzone: 0.5, bipolar: true)").starts_with("deadzone 0.5"));
        assert!(err("(deadzone: NaN)").starts_with("deadzone NaN"));
        assert!(err("(sensitivity: 0)").starts_with("sensitivity 0.0"));
        assert!(err("(button: HoldTap(hold_ms: 0))").contains("hold_ms"));
        assert!(err("(velocity: Curve(Points([(0, 0), (1, 1.5)])))").starts_with("velocity: curve Points"));
        assert!(err("(smoothing: SlewMs(-5))").starts_with("smoothing SlewMs(-5.0)"));
        assert!(err("(smoothing: OneEuro(min_cutoff: 0))").contains("min_cutoff"));
        assert!(err("(quantize: Beats(0))").starts_with("quantize Beats(0.0)"));
        // A reversed range is allowed: it runs the control backwards.
        assert!(parse("(range: Some((0.8, 0.2)))").validate().is_ok());
        let o = parse("(range: Some((-30, 6)))");
        assert!(o.validate().is_ok());
        assert!(
            o.validate_for(-26.0, 6.0)
                .unwrap_err()
                .contains("outside the control's limits")
        );
    }

    #[test]
    fn end_to_end_knob_with_takeover() {
        // An EQ knob (-26..+6 dB) with an S curve and pick-up, after a set change.
        let o = parse("(curve: S)");
        let shape = o.shape();
        let mut state = takeover::TakeoverState::new();
        let control_db = 0.0;
        let current = shape.from_control(control_db, -26.0, 6.0);
        let out = state.apply(o.takeover, 0.1, current, 0);
        assert!(matches!(out, takeover::Outcome::Waiting { .. }));
        let out = state.apply(o.takeover, current + 0.01, current, 200_000);
        let takeover::Outcome::Apply(x) = out else {
            panic!("{out:?}")
        };
        assert!((shape.to_control(x, -26.0, 6.0) - control_db).abs() < 1.0);
    }
}
