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

/// Linkwitz-Riley 4 crossover state (stereo).
#[derive(Debug, Clone, Copy, Default)]
struct Crossover {
    first: Svf,
    low2: Svf,
    high2: Svf,
}

impl Crossover {
    #[inline(always)]
    fn split(&mut self, c: &SvfCoefs, x: Stereo) -> (Stereo, Stereo) {
        let o = self.first.tick(c, x);
        (self.low2.tick(c, o.low).low, self.high2.tick(c, o.high).high)
    }
}

/// All filter state of the isolator; `Copy` so a buffer can run on a local copy held in
/// registers instead of going through memory every sample.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    low_mid: Crossover,
    mid_high: Crossover,
    /// Matches the low band's phase to the mid/high split so the bands sum flat.
    low_align: Svf,
}

impl State {
    #[inline(always)]
    fn tick(&mut self, c_low: &SvfCoefs, c_high: &SvfCoefs, x: Stereo, g: [f32; 3]) -> Stereo {
        let (low, rest) = self.low_mid.split(c_low, x);
        let (mid, high) = self.mid_high.split(c_high, rest);
        let low = self.low_align.allpass(c_high, low);
        [
            low[0] * g[0] + mid[0] * g[1] + high[0] * g[2],
            low[1] * g[0] + mid[1] * g[1] + high[1] * g[2],
        ]
    }
}

/// Stereo three-band isolator with smoothed gains and kills.
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
            for f in buf.iter_mut() {
                let g = [self.gains[0].tick(), self.gains[1].tick(), self.gains[2].tick()];
                *f = st.tick(&c_low, &c_high, *f, g);
            }
        } else {
            let g = [self.gains[0].value(), self.gains[1].value(), self.gains[2].value()];
            for f in buf.iter_mut() {
                *f = st.tick(&c_low, &c_high, *f, g);
            }
        }
        self.state = st;
    }
}
