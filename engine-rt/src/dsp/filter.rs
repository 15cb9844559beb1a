//! One-knob DJ filter: low-pass left of centre, high-pass right, flat (bypassed) at centre.

use super::smooth::Smoothed;
use super::svf::{LaneCoefs, Stereo, Svf, SvfCoefs};
use super::{GROUP_LANES as S, Members, in_lanes};

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
        self.knob.set(crate::ranges::FILTER.hold_f32(value), ramp_frames);
    }

    /// Sets the resonance (0..1).
    pub fn set_resonance(&mut self, value: f32, ramp_frames: u32) {
        self.resonance
            .set(crate::ranges::RESONANCE.hold_f32(value), ramp_frames);
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

    /// Processes up to [`GROUP`](super::GROUP) decks' buffers of stereo frames in place (all of
    /// the same length). Filters whose knob sits still run side by side, a lane pair each; a
    /// moving knob runs on its own, frame by frame; a centred, settled knob costs nothing.
    pub fn process_group(mut members: Members<'_, DjFilter>) {
        let mut coefs = LaneCoefs::<S>::default();
        let mut st = Svf::<S>::default();
        let mut wet = [0.0f32; S];
        let mut low_pass = [false; S];
        let mut n = None;
        for (g, m) in members.iter_mut().enumerate() {
            let Some((f, buf)) = m else { continue };
            if f.knob.is_moving() || f.resonance.is_moving() {
                for x in buf.iter_mut() {
                    *x = f.tick(*x);
                }
                *m = None;
                continue;
            }
            let knob = f.knob.value();
            let w = Self::wet(knob);
            if w == 0.0 {
                f.state = Svf::default();
                *m = None;
                continue;
            }
            f.update_coefs(knob, f.resonance.value());
            for lane in 2 * g..2 * g + 2 {
                coefs.set(lane, &f.coefs);
                wet[lane] = w;
                low_pass[lane] = knob < 0.0;
            }
            st.set_lanes(2 * g, &f.state);
            n = Some(buf.len());
        }
        let Some(n) = n else {
            return;
        };
        in_lanes(&mut members, n, |_, x| run_group(&mut st, &coefs, &wet, &low_pass, x));
        for (g, m) in members.iter_mut().enumerate() {
            if let Some((f, _)) = m {
                f.state = st.lanes(2 * g);
            }
        }
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

super::wide_kernel! {
    /// Settled filters side by side: lane `k` low-passes when `low_pass[k]`, else high-passes,
    /// and mixes the result in at `wet[k]`.
    fn run_group(st: &mut Svf<S>, coefs: &LaneCoefs<S>, wet: &[f32; S], low_pass: &[bool; S], x: &mut [[f32; S]]) {
        for x in x.iter_mut() {
            let o = st.tick(coefs, *x);
            for k in 0..S {
                let y = if low_pass[k] { o.low[k] } else { o.high[k] };
                x[k] += (y - x[k]) * wet[k];
            }
        }
    }
}
