//! Smoothed parameters: one-pole glide towards a target, optionally after a linear ramp.

/// A continuous parameter as the audio thread sees it.
#[derive(Debug, Clone)]
pub struct Smoothed {
    value: f32,
    target: f32,
    coef: f32,
    ramp_step: f32,
    ramp_left: u32,
}

impl Smoothed {
    /// A parameter resting at `value`, gliding with time constant `tau_ms`.
    pub fn new(value: f32, tau_ms: f32, sample_rate: u32) -> Self {
        let coef = 1.0 - (-1000.0 / (tau_ms.max(0.01) * sample_rate as f32)).exp();
        Self {
            value,
            target: value,
            coef,
            ramp_step: 0.0,
            ramp_left: 0,
        }
    }

    /// Glides to `target`, linearly over `ramp_frames` first when that is non-zero. A target
    /// that is not a finite number is ignored: values are checked where they enter, and this
    /// keeps one that slipped through from ever holding the parameter.
    pub fn set(&mut self, target: f32, ramp_frames: u32) {
        if !target.is_finite() {
            return;
        }
        if ramp_frames == 0 {
            self.target = target;
            self.ramp_left = 0;
        } else {
            self.ramp_step = (target - self.target) / ramp_frames as f32;
            self.ramp_left = ramp_frames;
        }
    }

    /// Jumps to `value` with no glide (for initial state and resets); ignored unless finite.
    pub fn reset(&mut self, value: f32) {
        if !value.is_finite() {
            return;
        }
        self.value = value;
        self.target = value;
        self.ramp_left = 0;
    }

    /// Advances one frame and returns the new value.
    #[inline]
    pub fn tick(&mut self) -> f32 {
        if self.ramp_left > 0 {
            self.ramp_left -= 1;
            self.target += self.ramp_step;
        }
        let next = self.value + (self.target - self.value) * self.coef;
        // Snap once the glide no longer moves the value (float resolution), so it settles
        // exactly; a value that somehow is not finite resets to the (always finite) target
        // instead of holding the parameter forever.
        self.value = if next == self.value || !next.is_finite() {
            self.target
        } else {
            next
        };
        self.value
    }

    /// Current value.
    #[inline]
    pub fn value(&self) -> f32 {
        self.value
    }

    /// The value the parameter is heading for (end of ramp included).
    pub fn final_target(&self) -> f32 {
        self.target + self.ramp_step * self.ramp_left as f32
    }

    /// True while the value still changes.
    #[inline]
    pub fn is_moving(&self) -> bool {
        self.ramp_left > 0 || self.value != self.target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glides_and_settles_exactly() {
        let mut p = Smoothed::new(0.0, 5.0, 48_000);
        p.set(1.0, 0);
        let after_5ms = (0..240).map(|_| p.tick()).last().unwrap();
        assert!((after_5ms - 0.632).abs() < 0.01, "{after_5ms}");
        for _ in 0..48_000 {
            p.tick();
        }
        assert_eq!(p.value(), 1.0);
        assert!(!p.is_moving());
    }

    #[test]
    fn never_holds_a_non_finite_value() {
        let mut p = Smoothed::new(0.5, 5.0, 48_000);
        p.set(f32::NAN, 0);
        p.set(f32::INFINITY, 100);
        p.reset(f32::NEG_INFINITY);
        assert_eq!((p.tick(), p.final_target()), (0.5, 0.5));
        // Even a value forced to NaN (a bug elsewhere) resets to the target on the next tick.
        p.value = f32::NAN;
        p.set(0.25, 0);
        assert_eq!(p.tick(), 0.25);
    }

    #[test]
    fn ramp_reaches_target_on_time() {
        let mut p = Smoothed::new(0.0, 0.01, 48_000);
        p.set(1.0, 100);
        let v: Vec<f32> = (0..100).map(|_| p.tick()).collect();
        assert!((v[49] - 0.5).abs() < 0.02);
        assert!((v[99] - 1.0).abs() < 3e-3);
        assert!((p.final_target() - 1.0).abs() < 1e-6);
    }
}
