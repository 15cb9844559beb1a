//! Three-band DJ isolator EQ. Linkwitz-Riley (4th order) crossovers split the signal into
//! bands that sum back flat, so a kill removes its band completely and 0 dB is transparent.

use super::smooth::Smoothed;
use super::svf::{Stereo, Svf, SvfCoefs};

/// Crossover between low and mid in Hz (as on common DJ mixers).
pub const LOW_MID_HZ: f32 = 250.0;
/// Crossover between mid and high in Hz.
pub const MID_HIGH_HZ: f32 = 2_500.0;
/// Lowest band gain short of a kill, in dB.
pub const MIN_DB: f32 = -26.0;
/// Highest band boost in dB.
pub const MAX_DB: f32 = 6.0;

const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Two stereo frames side by side, for sections that share coefficients.
#[inline(always)]
fn pair(a: Stereo, b: Stereo) -> [f32; 4] {
    [a[0], a[1], b[0], b[1]]
}

/// All filter state of the isolator; `Copy` so a buffer can run on a local copy held in
/// registers instead of going through memory every sample.
///
/// The isolator is two Linkwitz-Riley 4 crossovers (a 2nd-order split, then a second low-pass
/// on the low side and a second high-pass on the high side) and an all-pass that gives the low
/// band the mid/high split's phase. Sections with equal coefficients and no dependency between
/// them run side by side as one 4-lane SVF: seven stereo sections in four steps.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    /// Low/mid split, first section.
    low_mid_first: Svf,
    /// Low/mid split, second sections: low-pass of the low side (lanes 0-1), high-pass of the
    /// rest (lanes 2-3).
    low_mid_second: Svf<4>,
    /// Mid/high split, first section (lanes 0-1), beside the low band's all-pass (lanes 2-3).
    mid_high_first_and_align: Svf<4>,
    /// Mid/high split, second sections: mid (lanes 0-1), high (lanes 2-3).
    mid_high_second: Svf<4>,
}

/// Frames the EQ runs each of its stages over before moving to the next.
const CHUNK: usize = 64;

impl State {
    /// Filters a run of frames stage by stage: every stage's recurrence runs over the whole run
    /// before the next starts, so the four dependency chains of a frame no longer wait on each
    /// other. Each frame sees exactly the arithmetic of a frame-by-frame pass.
    #[inline(always)]
    fn run(&mut self, c_low: &SvfCoefs, c_high: &SvfCoefs, buf: &mut [Stereo], mut gain: impl FnMut() -> [f32; 3]) {
        let n = buf.len();
        let mut a = [[0.0f32; 4]; CHUNK];
        let mut low = [[0.0f32; 2]; CHUNK];
        for (f, a) in buf.iter().zip(a.iter_mut()) {
            let o = self.low_mid_first.tick(c_low, *f);
            *a = pair(o.low, o.high);
        }
        for (a, low) in a[..n].iter_mut().zip(low.iter_mut()) {
            let s = self.low_mid_second.tick(c_low, *a);
            *low = [s.low[0], s.low[1]];
            *a = pair([s.high[2], s.high[3]], *low);
        }
        for (a, low) in a[..n].iter_mut().zip(low.iter_mut()) {
            let t = self.mid_high_first_and_align.tick(c_high, *a);
            *low = [
                low[0] - 2.0 * c_high.k() * t.band[2],
                low[1] - 2.0 * c_high.k() * t.band[3],
            ];
            *a = pair([t.low[0], t.low[1]], [t.high[0], t.high[1]]);
        }
        for ((f, a), low) in buf.iter_mut().zip(a.iter()).zip(low.iter()) {
            let u = self.mid_high_second.tick(c_high, *a);
            let (mid, high) = ([u.low[0], u.low[1]], [u.high[2], u.high[3]]);
            let g = gain();
            *f = [
                low[0] * g[0] + mid[0] * g[1] + high[0] * g[2],
                low[1] * g[0] + mid[1] * g[1] + high[1] * g[2],
            ];
        }
    }
}

#[derive(Debug, Clone)]
pub struct Eq3 {
    c_low: SvfCoefs,
    c_high: SvfCoefs,
    state: State,
    gains: [Smoothed; 3],
    db: [f32; 3],
    kill: [bool; 3],
}

impl Eq3 {
    /// A flat EQ.
    pub fn new(sample_rate: u32, smoothing_ms: f32) -> Self {
        let sr = sample_rate as f32;
        Self {
            c_low: SvfCoefs::new(LOW_MID_HZ, BUTTERWORTH_Q, sr),
            c_high: SvfCoefs::new(MID_HIGH_HZ, BUTTERWORTH_Q, sr),
            state: State::default(),
            gains: std::array::from_fn(|_| Smoothed::new(1.0, smoothing_ms, sample_rate)),
            db: [0.0; 3],
            kill: [false; 3],
        }
    }

    /// Sets a band's gain in dB (clamped to -26..+6), ramped over `ramp_frames`.
    pub fn set_db(&mut self, band: usize, db: f32, ramp_frames: u32) {
        self.db[band] = db.clamp(MIN_DB, MAX_DB);
        self.update(band, ramp_frames);
    }

    /// Kills or restores a band.
    pub fn set_kill(&mut self, band: usize, on: bool) {
        self.kill[band] = on;
        self.update(band, 0);
    }

    fn update(&mut self, band: usize, ramp_frames: u32) {
        let g = if self.kill[band] {
            0.0
        } else {
            super::db_to_gain(self.db[band])
        };
        self.gains[band].set(g, ramp_frames);
    }

    /// Processes a buffer of stereo frames in place.
    pub fn process(&mut self, buf: &mut [Stereo]) {
        let (c_low, c_high) = (self.c_low, self.c_high);
        let mut st = self.state;
        if self.gains.iter().any(Smoothed::is_moving) {
            let gains = &mut self.gains;
            for run in buf.chunks_mut(CHUNK) {
                st.run(&c_low, &c_high, run, || {
                    [gains[0].tick(), gains[1].tick(), gains[2].tick()]
                });
            }
        } else {
            let g = [self.gains[0].value(), self.gains[1].value(), self.gains[2].value()];
            for run in buf.chunks_mut(CHUNK) {
                st.run(&c_low, &c_high, run, || g);
            }
        }
        self.state = st;
    }
}
