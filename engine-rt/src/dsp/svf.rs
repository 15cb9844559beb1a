//! State-variable filter in the trapezoidal (zero-delay feedback) form: stays stable and quiet
//! while its cutoff is modulated every sample, which one-knob filters and EQ sweeps need.

use std::f32::consts::PI;

/// Coefficients of one SVF section.
#[derive(Debug, Clone, Copy)]
pub struct SvfCoefs {
    k: f32,
    a1: f32,
    a2: f32,
    a3: f32,
}

impl SvfCoefs {
    /// Coefficients for cutoff `hz` and quality `q` at `sample_rate`.
    pub fn new(hz: f32, q: f32, sample_rate: f32) -> Self {
        let hz = hz.clamp(5.0, sample_rate * 0.49);
        let g = (PI * hz / sample_rate).tan();
        let k = 1.0 / q.max(0.05);
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        Self { k, a1, a2, a3 }
    }
}

/// The simultaneous outputs of one SVF step.
#[derive(Debug, Clone, Copy)]
pub struct SvfOut {
    pub low: f32,
    pub band: f32,
    pub high: f32,
}

/// State of one SVF section for one channel.
#[derive(Debug, Clone, Copy, Default)]
pub struct Svf {
    ic1: f32,
    ic2: f32,
}

impl Svf {
    /// Filters one sample.
    #[inline]
    pub fn tick(&mut self, c: &SvfCoefs, x: f32) -> SvfOut {
        let v3 = x - self.ic2;
        let v1 = c.a1 * self.ic1 + c.a2 * v3;
        let v2 = self.ic2 + c.a2 * self.ic1 + c.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        SvfOut {
            low: v2,
            band: v1,
            high: x - c.k * v1 - v2,
        }
    }

    /// Second-order all-pass with this section's cutoff and Q.
    #[inline]
    pub fn allpass(&mut self, c: &SvfCoefs, x: f32) -> f32 {
        let o = self.tick(c, x);
        x - 2.0 * c.k * o.band
    }

    /// Clears the state (silence in, silence out).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}
