//! One-knob DJ filter: low-pass left of centre, high-pass right, flat (bypassed) at centre.

use super::smooth::Smoothed;
use super::svf::{Stereo, Svf, SvfCoefs};

/// Knob range around the centre that is fully dry.
const DEAD_ZONE: f32 = 0.02;
/// Knob travel over which the filter fades in after the dead zone, avoiding a click.
const FADE_IN: f32 = 0.05;

/// Stereo resonant filter driven by one bipolar knob.
#[derive(Debug, Clone)]
pub struct DjFilter {
    sample_rate: f32,
    knob: Smoothed,
    resonance: Smoothed,
    coefs: SvfCoefs,
    coef_knob: f32,
    coef_res: f32,
    state: Svf,
}

impl DjFilter {
    /// A filter at centre (flat).
    pub fn new(sample_rate: u32, smoothing_ms: f32) -> Self {
        let sr = sample_rate as f32;
        Self {
            sample_rate: sr,
            knob: Smoothed::new(0.0, smoothing_ms, sample_rate),
            resonance: Smoothed::new(0.3, smoothing_ms, sample_rate),
            coefs: SvfCoefs::new(1_000.0, 0.7, sr),
            coef_knob: f32::NAN,
            coef_res: f32::NAN,
            state: Svf::default(),
        }
    }

    /// Sets the knob (-1..1), ramped over `ramp_frames`.
    pub fn set_knob(&mut self, value: f32, ramp_frames: u32) {
        self.knob.set(value.clamp(-1.0, 1.0), ramp_frames);
    }

    /// Sets the resonance (0..1).
    pub fn set_resonance(&mut self, value: f32, ramp_frames: u32) {
        self.resonance.set(value.clamp(0.0, 1.0), ramp_frames);
    }

    /// Cutoff in Hz for a knob position: exponential sweep, 20 kHz..60 Hz for the low-pass and
    /// 20 Hz..12 kHz for the high-pass.
    pub fn cutoff_hz(knob: f32) -> f32 {
        let t = ((knob.abs() - DEAD_ZONE) / (1.0 - DEAD_ZONE)).clamp(0.0, 1.0);
        if knob < 0.0 {
            20_000.0 * (60.0f32 / 20_000.0).powf(t)
        } else {
            20.0 * (12_000.0f32 / 20.0).powf(t)
        }
    }

    /// Processes a buffer of stereo frames in place; a centred, settled knob costs nothing.
    pub fn process(&mut self, buf: &mut [Stereo]) {
        if self.knob.is_moving() || self.resonance.is_moving() {
            for f in buf.iter_mut() {
                *f = self.tick(*f);
            }
            return;
        }
        // Settled: one wet amount and one set of coefficients for the whole buffer.
        let knob = self.knob.value();
        let wet = Self::wet(knob);
        if wet == 0.0 {
            self.state = Svf::default();
            return;
        }
        self.update_coefs(knob, self.resonance.value());
        let (c, mut st) = (self.coefs, self.state);
        for f in buf.iter_mut() {
            let o = st.tick(&c, *f);
            let y = if knob < 0.0 { o.low } else { o.high };
            *f = [f[0] + (y[0] - f[0]) * wet, f[1] + (y[1] - f[1]) * wet];
        }
        self.state = st;
    }

    fn wet(knob: f32) -> f32 {
        ((knob.abs() - DEAD_ZONE) / FADE_IN).clamp(0.0, 1.0)
    }

    fn update_coefs(&mut self, knob: f32, res: f32) {
        if knob != self.coef_knob || res != self.coef_res {
            let q = 0.707 + res * res * 5.0;
            self.coefs = SvfCoefs::new(Self::cutoff_hz(knob), q, self.sample_rate);
            self.coef_knob = knob;
            self.coef_res = res;
        }
    }

    /// Processes one stereo frame while the knob moves.
    #[inline]
    fn tick(&mut self, x: Stereo) -> Stereo {
        let knob = self.knob.tick();
        let res = self.resonance.tick();
        let wet = Self::wet(knob);
        if wet == 0.0 {
            // Bypassed: clear the state so re-engaging starts clean instead of ringing old audio.
            self.state = Svf::default();
            return x;
        }
        self.update_coefs(knob, res);
        let o = self.state.tick(&self.coefs, x);
        let y = if knob < 0.0 { o.low } else { o.high };
        [x[0] + (y[0] - x[0]) * wet, x[1] + (y[1] - x[1]) * wet]
    }
}
