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

    /// Damping (1 / Q): the band-pass weight an all-pass built from this section uses.
    #[inline(always)]
    pub fn k(&self) -> f32 {
        self.k
    }
}

/// Per-lane coefficients, for sections side by side whose settings differ (one deck's filter
/// per lane pair).
#[derive(Debug, Clone, Copy)]
pub struct LaneCoefs<const N: usize> {
    k: [f32; N],
    a1: [f32; N],
    a2: [f32; N],
    a3: [f32; N],
}

impl<const N: usize> Default for LaneCoefs<N> {
    /// Pass-through coefficients (g = 0) in every lane.
    fn default() -> Self {
        Self {
            k: [1.0; N],
            a1: [1.0; N],
            a2: [0.0; N],
            a3: [0.0; N],
        }
    }
}

impl<const N: usize> LaneCoefs<N> {
    /// Gives lane `lane` the coefficients `c`.
    pub fn set(&mut self, lane: usize, c: &SvfCoefs) {
        self.k[lane] = c.k;
        self.a1[lane] = c.a1;
        self.a2[lane] = c.a2;
        self.a3[lane] = c.a3;
    }
}

/// Coefficients as a lane of [`Svf::tick`] sees them: one set shared by all lanes, or one per
/// lane.
pub trait Coefs {
    /// `(k, a1, a2, a3)` of lane `lane`.
    fn lane(&self, lane: usize) -> (f32, f32, f32, f32);
}

impl Coefs for SvfCoefs {
    #[inline(always)]
    fn lane(&self, _: usize) -> (f32, f32, f32, f32) {
        (self.k, self.a1, self.a2, self.a3)
    }
}

impl<const N: usize> Coefs for LaneCoefs<N> {
    #[inline(always)]
    fn lane(&self, lane: usize) -> (f32, f32, f32, f32) {
        (self.k[lane], self.a1[lane], self.a2[lane], self.a3[lane])
    }
}

/// A stereo pair of samples; both channels run through the same coefficients side by side,
/// which the compiler turns into one SIMD lane pair.
pub type Stereo = [f32; 2];

/// The simultaneous outputs of one SVF step, per lane.
#[derive(Debug, Clone, Copy)]
pub struct SvfOut<const N: usize = 2> {
    /// Low-pass output.
    pub low: [f32; N],
    /// Band-pass output.
    pub band: [f32; N],
    /// High-pass output.
    pub high: [f32; N],
}

/// State of `N` SVF lanes sharing one set of coefficients: a stereo section (2 lanes), or
/// independent stereo sections with equal coefficients run side by side (4 lanes fill one SSE
/// register; more give the CPU independent chains to overlap). Every lane computes exactly
/// what a lane of its own would.
#[derive(Debug, Clone, Copy)]
pub struct Svf<const N: usize = 2> {
    ic1: [f32; N],
    ic2: [f32; N],
}

impl<const N: usize> Default for Svf<N> {
    fn default() -> Self {
        Self {
            ic1: [0.0; N],
            ic2: [0.0; N],
        }
    }
}

impl<const N: usize> Svf<N> {
    /// Lanes `at..at + M` as a section of their own.
    pub fn lanes<const M: usize>(&self, at: usize) -> Svf<M> {
        Svf {
            ic1: std::array::from_fn(|k| self.ic1[at + k]),
            ic2: std::array::from_fn(|k| self.ic2[at + k]),
        }
    }

    /// Overwrites lanes `at..at + M` with the lanes of `part`.
    pub fn set_lanes<const M: usize>(&mut self, at: usize, part: &Svf<M>) {
        self.ic1[at..at + M].copy_from_slice(&part.ic1);
        self.ic2[at..at + M].copy_from_slice(&part.ic2);
    }

    /// Filters one frame of `N` lanes.
    #[inline(always)]
    #[allow(
        clippy::needless_range_loop,
        reason = "the lane index addresses five arrays at once; that is what lets it vectorise"
    )]
    pub fn tick(&mut self, c: &impl Coefs, x: [f32; N]) -> SvfOut<N> {
        let mut o = SvfOut {
            low: [0.0; N],
            band: [0.0; N],
            high: [0.0; N],
        };
        for k in 0..N {
            let (damping, a1, a2, a3) = c.lane(k);
            let v3 = x[k] - self.ic2[k];
            let v1 = a1 * self.ic1[k] + a2 * v3;
            let v2 = self.ic2[k] + a2 * self.ic1[k] + a3 * v3;
            self.ic1[k] = 2.0 * v1 - self.ic1[k];
            self.ic2[k] = 2.0 * v2 - self.ic2[k];
            o.low[k] = v2;
            o.band[k] = v1;
            o.high[k] = x[k] - damping * v1 - v2;
        }
        o
    }
}
