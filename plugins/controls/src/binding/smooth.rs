//! Smoothing of a 0..1 position over time: the one-euro filter for jittery inputs, and slew limiting
//! for deliberate glides. Only the timestamps passed in drive it, never the wall clock.

use serde::{Deserialize, Serialize};

use super::curve::unit;

/// The output counts as settled once within this distance of the target (it is then snapped onto it).
/// 1e-4 of the travel is below a 13-bit step and inaudible on any control.
pub const SETTLE_EPSILON: f64 = 1e-4;

/// Longest interval the one-euro filter treats as one sample period, in µs (10 ms). Longer gaps are
/// filled with repeats of the held input, because MIDI sends nothing while a part is still: the value
/// really was held, and one long period would let the next sample through unfiltered.
const MAX_PERIOD_US: u64 = 10_000;

/// Bound on the held repeats computed at once (2.56 s of 10 ms periods); any remaining gap is covered
/// in one final period so a long silence costs bounded work.
const MAX_REPEATS: u32 = 256;

/// Tempo used by `SlewBeats` until [`Smoother::value`] has been given one (120 BPM).
const DEFAULT_SECONDS_PER_BEAT: f64 = 0.5;

fn default_min_cutoff() -> f64 {
    DEFAULT_MIN_CUTOFF
}

fn default_beta() -> f64 {
    DEFAULT_BETA
}

fn default_d_cutoff() -> f64 {
    DEFAULT_D_CUTOFF
}

/// Default one-euro cutoff at rest, in Hz (see [`Smoothing::OneEuro`]).
pub const DEFAULT_MIN_CUTOFF: f64 = 1.0;
/// Default one-euro `beta`, for speeds measured in travels per second (see [`Smoothing::OneEuro`]).
pub const DEFAULT_BETA: f64 = 10.0;
/// Default cutoff of the one-euro speed estimate, in Hz (see [`Smoothing::OneEuro`]).
pub const DEFAULT_D_CUTOFF: f64 = 1.0;

/// How a binding's position is smoothed over time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Smoothing {
    /// The output is the input.
    #[default]
    None,
    /// One-euro filter (Casiez, Roussel, Vogel, CHI 2012): a low-pass whose cutoff rises with speed, so
    /// a still part loses its jitter and a fast move keeps up. Written `OneEuro()` or e.g.
    /// `OneEuro(beta: 20.0)` in RON.
    OneEuro {
        /// Cutoff at rest, in Hz (default 1.0): lower removes more jitter but lags more on slow moves.
        #[serde(default = "default_min_cutoff")]
        min_cutoff: f64,
        /// How much the cutoff rises per unit of speed, speed being in travels per second (default 10).
        /// The paper's often-quoted 0.007 assumes pixel units and would do nothing on a 0..1 range.
        #[serde(default = "default_beta")]
        beta: f64,
        /// Cutoff of the speed estimate's own low-pass, in Hz (default 1.0).
        #[serde(default = "default_d_cutoff")]
        d_cutoff: f64,
    },
    /// Slew limit: the output moves toward the input at a rate that covers the full 0..1 travel in this
    /// many milliseconds (0 = no smoothing).
    SlewMs(f64),
    /// Like `SlewMs`, with the time for the full travel given in beats of the current tempo.
    SlewBeats(f64),
}

impl Smoothing {
    /// The one-euro filter with its default parameters (`OneEuro()` in RON).
    pub const ONE_EURO: Smoothing = Smoothing::OneEuro {
        min_cutoff: DEFAULT_MIN_CUTOFF,
        beta: DEFAULT_BETA,
        d_cutoff: DEFAULT_D_CUTOFF,
    };

    /// Refuses non-finite or out-of-range parameters, naming which.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Smoothing::None => Ok(()),
            Smoothing::OneEuro {
                min_cutoff,
                beta,
                d_cutoff,
            } => {
                if !(min_cutoff.is_finite() && min_cutoff > 0.0) {
                    Err(format!(
                        "smoothing OneEuro: min_cutoff {min_cutoff:?} must be above 0 Hz"
                    ))
                } else if !(beta.is_finite() && beta >= 0.0) {
                    Err(format!("smoothing OneEuro: beta {beta:?} must be 0 or more"))
                } else if !(d_cutoff.is_finite() && d_cutoff > 0.0) {
                    Err(format!("smoothing OneEuro: d_cutoff {d_cutoff:?} must be above 0 Hz"))
                } else {
                    Ok(())
                }
            }
            Smoothing::SlewMs(ms) if !(ms.is_finite() && ms >= 0.0) => Err(format!(
                "smoothing SlewMs({ms:?}): the time must be 0 or more milliseconds"
            )),
            Smoothing::SlewBeats(beats) if !(beats.is_finite() && beats >= 0.0) => Err(format!(
                "smoothing SlewBeats({beats:?}): the time must be 0 or more beats"
            )),
            _ => Ok(()),
        }
    }
}

/// Smoothing state of one binding, over a 0..1 position.
///
/// Feed readings with [`Smoother::input`]; read the output with [`Smoother::value`] (each frame or
/// tick) until [`Smoother::settled`]. Nothing allocates.
#[derive(Clone, Debug)]
pub struct Smoother {
    mode: Smoothing,
    /// Latest input; `None` before the first.
    target: Option<f64>,
    out: f64,
    /// Time up to which `out` has been computed.
    at: u64,
    /// One-euro: the filtered speed, in travels per second.
    speed: f64,
    seconds_per_beat: f64,
}

impl Smoother {
    /// A smoother with no input yet.
    pub fn new(mode: Smoothing) -> Self {
        Smoother {
            mode,
            target: None,
            out: 0.0,
            at: 0,
            speed: 0.0,
            seconds_per_beat: DEFAULT_SECONDS_PER_BEAT,
        }
    }

    /// Changes the smoothing mode, keeping the current output (so a glide continues from where it is).
    pub fn set_mode(&mut self, mode: Smoothing) {
        self.mode = mode;
        self.speed = 0.0;
    }

    /// Starts from a known position (the control's current value), so the first input glides from it
    /// instead of jumping there. Without a seed, the first input is output as it is.
    pub fn seed(&mut self, x: f64, now_us: u64) {
        let x = unit(x);
        (self.target, self.out, self.at, self.speed) = (Some(x), x, now_us, 0.0);
    }

    /// Takes a new reading (clamped to 0..1; NaN is ignored). Readings should come in time order; an
    /// older timestamp is treated as the same instant as the last one.
    pub fn input(&mut self, x: f64, now_us: u64) {
        if x.is_nan() {
            return;
        }
        let x = unit(x);
        let Some(held) = self.target else {
            self.seed(x, now_us);
            return;
        };
        match self.mode {
            Smoothing::None => self.out = x,
            Smoothing::OneEuro {
                min_cutoff,
                beta,
                d_cutoff,
            } => {
                let gap = now_us.saturating_sub(self.at);
                if gap > 0 {
                    // The previous input was held until just before this one.
                    self.euro_hold(held, gap.saturating_sub(MAX_PERIOD_US), min_cutoff, beta, d_cutoff);
                    let period = gap.min(MAX_PERIOD_US) as f64 * 1e-6;
                    self.euro_step(held, x, period, min_cutoff, beta, d_cutoff);
                }
            }
            Smoothing::SlewMs(_) | Smoothing::SlewBeats(_) => self.slew(held, now_us),
        }
        self.at = self.at.max(now_us);
        self.target = Some(x);
        self.snap();
    }

    /// The smoothed output at `now_us`, or `None` before any input. `seconds_per_beat` sets the tempo
    /// for `SlewBeats` (and is remembered for the next `input`); a non-finite or non-positive tempo
    /// keeps the previous one.
    pub fn value(&mut self, now_us: u64, seconds_per_beat: f64) -> Option<f64> {
        if seconds_per_beat.is_finite() && seconds_per_beat > 0.0 {
            self.seconds_per_beat = seconds_per_beat;
        }
        let target = self.target?;
        match self.mode {
            Smoothing::None => self.out = target,
            Smoothing::OneEuro {
                min_cutoff,
                beta,
                d_cutoff,
            } => self.euro_hold(target, now_us.saturating_sub(self.at), min_cutoff, beta, d_cutoff),
            Smoothing::SlewMs(_) | Smoothing::SlewBeats(_) => self.slew(target, now_us),
        }
        self.at = self.at.max(now_us);
        self.snap();
        Some(self.out)
    }

    /// True when the output has reached the latest input (or there is none): ticking can stop until
    /// the next input.
    pub fn settled(&self) -> bool {
        self.target.is_none_or(|t| t == self.out)
    }

    fn snap(&mut self) {
        if let Some(t) = self.target
            && (t - self.out).abs() <= SETTLE_EPSILON
        {
            self.out = t;
        }
    }

    /// Moves `out` toward `target` by the allowed slew over the time since `at`.
    fn slew(&mut self, target: f64, now_us: u64) {
        let full_travel_s = match self.mode {
            Smoothing::SlewMs(ms) => ms * 1e-3,
            Smoothing::SlewBeats(beats) => beats * self.seconds_per_beat,
            _ => 0.0,
        };
        let elapsed_s = now_us.saturating_sub(self.at) as f64 * 1e-6;
        if !(full_travel_s.is_finite() && full_travel_s > 0.0) {
            self.out = target;
            return;
        }
        let max_move = elapsed_s / full_travel_s;
        let gap = target - self.out;
        self.out = if gap.abs() <= max_move {
            target
        } else {
            self.out + gap.signum() * max_move
        };
    }

    /// Runs the one-euro filter over `span_us` of a held input, in periods of at most `MAX_PERIOD_US`.
    fn euro_hold(&mut self, held: f64, span_us: u64, min_cutoff: f64, beta: f64, d_cutoff: f64) {
        let mut left = span_us;
        let mut repeats = 0;
        while left > 0 && self.out != held {
            let period = if repeats < MAX_REPEATS {
                left.min(MAX_PERIOD_US)
            } else {
                left
            };
            self.euro_step(held, held, period as f64 * 1e-6, min_cutoff, beta, d_cutoff);
            left -= period;
            repeats += 1;
        }
        if self.out == held {
            // Settled: the speed estimate would only have decayed further.
            self.speed = 0.0;
        }
    }

    /// One filter step (Casiez et al. 2012): estimate the speed from the raw signal, low-pass it at
    /// `d_cutoff`, raise the cutoff by `beta * |speed|`, and low-pass the value at that cutoff.
    fn euro_step(&mut self, prev_raw: f64, x: f64, period_s: f64, min_cutoff: f64, beta: f64, d_cutoff: f64) {
        if period_s <= 0.0 {
            return;
        }
        let raw_speed = (x - prev_raw) / period_s;
        self.speed += smoothing_factor(d_cutoff, period_s) * (raw_speed - self.speed);
        let beta = if beta.is_finite() && beta > 0.0 { beta } else { 0.0 };
        let cutoff = min_cutoff + beta * self.speed.abs();
        self.out += smoothing_factor(cutoff, period_s) * (x - self.out);
    }
}

/// The paper's exponential-smoothing factor for a cutoff (Hz) and sample period (s):
/// `1 / (1 + tau / period)` with `tau = 1 / (2π cutoff)`. An unusable cutoff (which validation
/// refuses) passes the input through rather than freezing the output.
fn smoothing_factor(cutoff: f64, period_s: f64) -> f64 {
    if !(cutoff.is_finite() && cutoff > 0.0) {
        return 1.0;
    }
    let tau = 1.0 / (2.0 * std::f64::consts::PI * cutoff);
    1.0 / (1.0 + tau / period_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1000;

    fn euro() -> Smoothing {
        Smoothing::ONE_EURO
    }

    /// Deterministic noise in -1..1 (a small LCG), so tests need no dependencies.
    fn noise(seed: &mut u64) -> f64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    #[test]
    fn none_passes_through() {
        let mut s = Smoother::new(Smoothing::None);
        assert_eq!(s.value(0, 0.5), None);
        assert!(s.settled());
        s.input(0.3, 0);
        s.input(0.8, 1);
        assert_eq!(s.value(1, 0.5), Some(0.8));
        assert!(s.settled());
    }

    #[test]
    fn one_euro_noisy_constant_settles_close() {
        let mut s = Smoother::new(euro());
        let mut seed = 7;
        let mut worst: f64 = 0.0;
        for i in 0..400u64 {
            // ±2/127: a 7-bit pot wobbling by two steps, a reading every 5 ms for 2 s.
            s.input(0.5 + noise(&mut seed) * 2.0 / 127.0, i * 5 * MS);
            if i > 200 {
                worst = worst.max((s.value(i * 5 * MS, 0.5).unwrap() - 0.5).abs());
            }
        }
        assert!(worst < 0.004, "output wobbles by {worst}");
    }

    #[test]
    fn one_euro_fast_ramp_has_little_lag() {
        let mut s = Smoother::new(euro());
        s.seed(0.0, 0);
        // 0 → 1 in 250 ms, a reading every millisecond.
        let mut worst: f64 = 0.0;
        for i in 1..=250u64 {
            s.input(i as f64 / 250.0, i * MS);
            let lag = i as f64 / 250.0 - s.value(i * MS, 0.5).unwrap();
            if i >= 100 {
                worst = worst.max(lag);
            }
        }
        assert!(worst < 0.05, "lag {worst}");
        // For comparison, a plain 1 Hz low-pass (beta 0) trails by about half the travel.
        let mut plain = Smoother::new(Smoothing::OneEuro {
            min_cutoff: 1.0,
            beta: 0.0,
            d_cutoff: 1.0,
        });
        plain.seed(0.0, 0);
        for i in 1..=250u64 {
            plain.input(i as f64 / 250.0, i * MS);
        }
        assert!(plain.value(250 * MS, 0.5).unwrap() < 0.6);
        // After the move stops, it catches up quickly (ticks at 60 Hz, no new input).
        let mut t = 250 * MS;
        while t < 400 * MS {
            t += 16 * MS;
            s.value(t, 0.5);
        }
        assert!((s.value(t, 0.5).unwrap() - 1.0).abs() < 0.01, "{:?}", s.value(t, 0.5));
    }

    #[test]
    fn one_euro_reaches_target_and_settles_without_input() {
        let mut s = Smoother::new(euro());
        s.seed(0.2, 0);
        s.input(0.6, 10 * MS);
        assert!(!s.settled());
        let v = s.value(11 * MS, 0.5).unwrap();
        assert!(v > 0.2 && v < 0.6);
        // A long silence is computed with bounded work and ends settled exactly on target.
        assert_eq!(s.value(60_000_000 * MS, 0.5), Some(0.6));
        assert!(s.settled());
    }

    #[test]
    fn one_euro_tick_rate_barely_matters() {
        let run = |tick: u64| {
            let mut s = Smoother::new(euro());
            s.seed(0.0, 0);
            s.input(1.0, 0);
            let mut t = 0;
            while t < 200 * MS {
                t += tick;
                s.value(t, 0.5);
            }
            s.value(200 * MS, 0.5).unwrap()
        };
        let (fine, coarse) = (run(MS), run(50 * MS));
        assert!((fine - coarse).abs() < 0.05, "{fine} vs {coarse}");
    }

    #[test]
    fn slew_ms_reaches_target_after_the_stated_time() {
        let mut s = Smoother::new(Smoothing::SlewMs(100.0));
        s.seed(0.0, 0);
        s.input(1.0, 0);
        assert!((s.value(50 * MS, 0.5).unwrap() - 0.5).abs() < 1e-9);
        assert!(!s.settled());
        assert!((s.value(99 * MS, 0.5).unwrap() - 0.99).abs() < 1e-9);
        assert_eq!(s.value(100 * MS, 0.5), Some(1.0));
        assert!(s.settled());
        // Half the travel takes half the time, downwards too.
        s.input(0.5, 200 * MS);
        assert!((s.value(225 * MS, 0.5).unwrap() - 0.75).abs() < 1e-9);
        assert_eq!(s.value(250 * MS, 0.5), Some(0.5));
    }

    #[test]
    fn slew_input_advances_before_retargeting() {
        let mut s = Smoother::new(Smoothing::SlewMs(1000.0));
        s.seed(0.0, 0);
        s.input(1.0, 0);
        // No value() call in between: the new input at 400 ms first accounts for the motion so far.
        s.input(0.0, 400 * MS);
        assert!((s.value(500 * MS, 0.5).unwrap() - 0.3).abs() < 1e-9);
    }

    #[test]
    fn slew_beats_follows_tempo() {
        let mut s = Smoother::new(Smoothing::SlewBeats(2.0));
        s.seed(0.0, 0);
        s.input(1.0, 0);
        // 120 BPM: 2 beats = 1 s for the full travel.
        assert!((s.value(250 * MS, 0.5).unwrap() - 0.25).abs() < 1e-9);
        // Tempo doubles to 240 BPM: the remaining 0.75 takes 375 ms.
        assert!((s.value(375 * MS, 0.25).unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(s.value(625 * MS, 0.25), Some(1.0));
        // A bad tempo keeps the previous one.
        s.input(0.0, 625 * MS);
        assert!((s.value(750 * MS, f64::NAN).unwrap() - 0.75).abs() < 1e-9);
    }

    #[test]
    fn zero_slew_and_first_input_jump() {
        let mut s = Smoother::new(Smoothing::SlewMs(0.0));
        s.input(0.4, 0);
        assert_eq!(s.value(0, 0.5), Some(0.4));
        s.input(0.9, 1);
        assert_eq!(s.value(1, 0.5), Some(0.9));
        // Unseeded: the first input is output directly.
        let mut s = Smoother::new(Smoothing::SlewMs(100.0));
        s.input(0.7, 5);
        assert_eq!(s.value(5, 0.5), Some(0.7));
    }

    #[test]
    fn bad_inputs() {
        let mut s = Smoother::new(Smoothing::SlewMs(100.0));
        s.input(f64::NAN, 0);
        assert_eq!(s.value(0, 0.5), None);
        s.input(5.0, 0);
        assert_eq!(s.value(0, 0.5), Some(1.0));
        s.input(0.0, 0);
        // Time going backwards is treated as no time passing.
        assert_eq!(s.value(0, 0.5), Some(1.0));
        let mut e = Smoother::new(Smoothing::OneEuro {
            min_cutoff: f64::NAN,
            beta: -1.0,
            d_cutoff: 0.0,
        });
        e.input(0.1, 10);
        e.input(0.9, 5);
        e.input(0.5, 20);
        assert!(e.value(30, 0.5).unwrap().is_finite());
    }

    #[test]
    fn validation_messages() {
        let bad = Smoothing::OneEuro {
            min_cutoff: 0.0,
            beta: 1.0,
            d_cutoff: 1.0,
        };
        assert!(bad.validate().unwrap_err().contains("min_cutoff 0.0"));
        let bad = Smoothing::OneEuro {
            min_cutoff: 1.0,
            beta: f64::NAN,
            d_cutoff: 1.0,
        };
        assert!(bad.validate().unwrap_err().contains("beta NaN"));
        let bad = Smoothing::OneEuro {
            min_cutoff: 1.0,
            beta: 1.0,
            d_cutoff: -2.0,
        };
        assert!(bad.validate().unwrap_err().contains("d_cutoff -2.0"));
        assert!(Smoothing::SlewMs(-1.0).validate().unwrap_err().contains("SlewMs(-1.0)"));
        assert!(
            Smoothing::SlewBeats(f64::INFINITY)
                .validate()
                .unwrap_err()
                .contains("SlewBeats(inf)")
        );
        assert!(euro().validate().is_ok() && Smoothing::SlewMs(0.0).validate().is_ok());
    }
}
