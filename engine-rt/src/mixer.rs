//! Master section: crossfader, master gain and the headphone cue bus.

use crate::dsp::db_to_gain;
use crate::dsp::smooth::Smoothed;
use crate::intent::{MasterParam, XfaderCurve, XfaderSide};

/// Gains of side A and side B for a crossfader position (-1..1) under a curve.
pub fn crossfader_gains(x: f32, curve: XfaderCurve) -> (f32, f32) {
    let t = ((x.clamp(-1.0, 1.0) + 1.0) * 0.5).clamp(0.0, 1.0);
    match curve {
        XfaderCurve::Smooth => {
            let a = t * std::f32::consts::FRAC_PI_2;
            (a.cos(), a.sin())
        }
        XfaderCurve::Linear => (1.0 - t, t),
        XfaderCurve::Sharp => (((1.0 - t) * 20.0).min(1.0), (t * 20.0).min(1.0)),
    }
}

/// Mixer state.
#[derive(Debug, Clone)]
pub struct Mixer {
    crossfader: Smoothed,
    /// Active crossfader curve.
    pub curve: XfaderCurve,
    master_gain: Smoothed,
    cue_mix: Smoothed,
    cue_gain: Smoothed,
    gains: (f32, f32),
    gains_at: f32,
}

/// Per-frame gains the mixer hands to the summing loop.
#[derive(Debug, Clone, Copy)]
pub struct MixGains {
    /// Linear gain of decks on crossfader side A.
    pub a: f32,
    /// Linear gain of decks on crossfader side B.
    pub b: f32,
    /// Linear master gain.
    pub master: f32,
    /// Headphone mix, 0 (cue bus only) to 1 (master only).
    pub cue_mix: f32,
    /// Linear headphone gain.
    pub cue: f32,
}

impl MixGains {
    /// Gain of a deck on the crossfader side it is assigned to.
    #[inline]
    pub fn side(&self, side: XfaderSide) -> f32 {
        match side {
            XfaderSide::A => self.a,
            XfaderSide::B => self.b,
            XfaderSide::Thru => 1.0,
        }
    }
}

impl Mixer {
    /// Crossfader centred, unity gains, headphones on the cue bus.
    pub fn new(sample_rate: u32, smoothing_ms: f32) -> Self {
        let s = |v| Smoothed::new(v, smoothing_ms, sample_rate);
        Self {
            crossfader: s(0.0),
            curve: XfaderCurve::default(),
            master_gain: s(1.0),
            cue_mix: s(0.0),
            cue_gain: s(1.0),
            gains: crossfader_gains(0.0, XfaderCurve::default()),
            gains_at: 0.0,
        }
    }

    /// Sets a master parameter, ramped over `ramp` frames.
    pub fn set(&mut self, p: MasterParam, v: f32, ramp: u32) {
        match p {
            MasterParam::Crossfader => self.crossfader.set(p.range().hold_f32(v), ramp),
            MasterParam::GainDb => self.master_gain.set(db_to_gain(p.range().hold_f32(v)), ramp),
            MasterParam::CueMix => self.cue_mix.set(p.range().hold_f32(v), ramp),
            MasterParam::CueGainDb => self.cue_gain.set(db_to_gain(p.range().hold_f32(v)), ramp),
        }
    }

    /// Advances one frame.
    #[inline]
    pub fn tick(&mut self) -> MixGains {
        let x = self.crossfader.tick();
        if x != self.gains_at || self.crossfader.is_moving() {
            self.gains = crossfader_gains(x, self.curve);
            self.gains_at = x;
        }
        MixGains {
            a: self.gains.0,
            b: self.gains.1,
            master: self.master_gain.tick(),
            cue_mix: self.cue_mix.tick(),
            cue: self.cue_gain.tick(),
        }
    }

    /// Forces the crossfader gains to be recomputed (after a curve change).
    pub fn curve_changed(&mut self) {
        self.gains = crossfader_gains(self.gains_at, self.curve);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves() {
        let (a, b) = crossfader_gains(0.0, XfaderCurve::Smooth);
        assert!((a * a + b * b - 1.0).abs() < 1e-6, "equal power");
        assert_eq!(crossfader_gains(-1.0, XfaderCurve::Linear), (1.0, 0.0));
        assert_eq!(crossfader_gains(0.0, XfaderCurve::Sharp), (1.0, 1.0));
        let (a, b) = crossfader_gains(1.0, XfaderCurve::Sharp);
        assert_eq!((a, b), (0.0, 1.0));
    }
}
