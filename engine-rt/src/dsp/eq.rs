//! Three-band DJ isolator EQ. Linkwitz-Riley (4th order) crossovers split the signal into
//! bands that sum back flat, so a kill removes its band completely and 0 dB is transparent.

use super::smooth::Smoothed;
use super::svf::{Svf, SvfCoefs};

/// Crossover between low and mid in Hz (as on common DJ mixers).
pub const LOW_MID_HZ: f32 = 250.0;
/// Crossover between mid and high in Hz.
pub const MID_HIGH_HZ: f32 = 2_500.0;
/// Lowest band gain short of a kill, in dB.
pub const MIN_DB: f32 = -26.0;
/// Highest band boost in dB.
pub const MAX_DB: f32 = 6.0;

const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Linkwitz-Riley 4 crossover state for one channel.
#[derive(Debug, Clone, Copy, Default)]
struct Crossover {
    first: Svf,
    low2: Svf,
    high2: Svf,
}

impl Crossover {
    #[inline]
    fn split(&mut self, c: &SvfCoefs, x: f32) -> (f32, f32) {
        let o = self.first.tick(c, x);
        (self.low2.tick(c, o.low).low, self.high2.tick(c, o.high).high)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Channel {
    low_mid: Crossover,
    mid_high: Crossover,
    /// Matches the low band's phase to the mid/high split so the bands sum flat.
    low_align: Svf,
}

/// Stereo three-band isolator with smoothed gains and kills.
#[derive(Debug, Clone)]
pub struct Eq3 {
    c_low: SvfCoefs,
    c_high: SvfCoefs,
    ch: [Channel; 2],
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
            ch: [Channel::default(); 2],
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

    /// Processes one stereo frame.
    #[inline]
    pub fn tick(&mut self, l: f32, r: f32) -> (f32, f32) {
        let gl = self.gains[0].tick();
        let gm = self.gains[1].tick();
        let gh = self.gains[2].tick();
        let mut out = [l, r];
        for (ch, x) in self.ch.iter_mut().zip(out.iter_mut()) {
            let (low, rest) = ch.low_mid.split(&self.c_low, *x);
            let (mid, high) = ch.mid_high.split(&self.c_high, rest);
            let low = ch.low_align.allpass(&self.c_high, low);
            *x = low * gl + mid * gm + high * gh;
        }
        (out[0], out[1])
    }
}
