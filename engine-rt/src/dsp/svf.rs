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

/// A stereo pair of samples; both channels run through the same coefficients side by side,
/// which the compiler turns into one SIMD lane pair.
pub type Stereo = [f32; 2];

/// The simultaneous outputs of one SVF step, per channel.
#[derive(Debug, Clone, Copy)]
pub struct SvfOut {
    pub low: Stereo,
    pub band: Stereo,
    pub high: Stereo,
}

/// State of one stereo SVF section.
#[derive(Debug, Clone, Copy, Default)]
pub struct Svf {
    ic1: Stereo,
    ic2: Stereo,
}

impl Svf {
    /// Filters one stereo frame.
    #[inline(always)]
    // The lane index addresses five arrays at once; that is what lets it vectorise.
    #[allow(clippy::needless_range_loop)]
    pub fn tick(&mut self, c: &SvfCoefs, x: Stereo) -> SvfOut {
        let mut o = SvfOut {
            low: [0.0; 2],
            band: [0.0; 2],
            high: [0.0; 2],
        };
        for k in 0..2 {
            let v3 = x[k] - self.ic2[k];
            let v1 = c.a1 * self.ic1[k] + c.a2 * v3;
            let v2 = self.ic2[k] + c.a2 * self.ic1[k] + c.a3 * v3;
            self.ic1[k] = 2.0 * v1 - self.ic1[k];
            self.ic2[k] = 2.0 * v2 - self.ic2[k];
            o.low[k] = v2;
            o.band[k] = v1;
            o.high[k] = x[k] - c.k * v1 - v2;
        }
        o
    }

    /// Second-order all-pass with this section's cutoff and Q.
    #[inline(always)]
    pub fn allpass(&mut self, c: &SvfCoefs, x: Stereo) -> Stereo {
        let o = self.tick(c, x);
        [x[0] - 2.0 * c.k * o.band[0], x[1] - 2.0 * c.k * o.band[1]]
    }
}
