//! The beat clock: maps output frames to beats. Behind a trait so Ableton Link can drive it.

/// A source of musical time for the engine. All methods are called on the audio thread and
/// must not allocate or block.
pub trait BeatClock: Send {
    /// Called before each block is rendered, `frame` being its first frame: a clock fed from
    /// outside (Ableton Link) takes its reading for the block here, so every answer within the
    /// block agrees. The engine's own clock needs none.
    fn begin_block(&mut self, _frame: u64) {}
    /// Beats by which the timeline moved at the last [`BeatClock::begin_block`] against where
    /// the reading before it was heading (a Link session changed tempo or phase), then 0 until
    /// it moves again. Synced decks follow it. The engine's own clock never moves on its own.
    fn take_jump(&mut self) -> f64 {
        0.0
    }
    /// Beat position at an absolute output frame (may be fractional).
    fn beat_at(&self, frame: f64) -> f64;
    /// Frame at which a beat is reached (inverse of [`BeatClock::beat_at`]).
    fn frame_at(&self, beat: f64) -> f64;
    /// Tempo at a frame in beats per minute.
    fn bpm_at(&self, frame: f64) -> f64;
    /// Tempo at each of the frames `frame`, `frame + 1`, … into `out`. The default asks
    /// [`BeatClock::bpm_at`] frame by frame; a clock that knows its tempo is steady fills the
    /// slice at once.
    fn bpm_over(&self, frame: f64, out: &mut [f64]) {
        for (i, bpm) in out.iter_mut().enumerate() {
            *bpm = self.bpm_at(frame + i as f64);
        }
    }
    /// Beats per bar.
    fn quantum(&self) -> f64;
    /// Changes the tempo from `frame` on, reaching `bpm` after `ramp_frames` (0 = at once).
    fn set_tempo(&mut self, frame: f64, bpm: f64, ramp_frames: f64);
    /// Whether a transport shared with other players (Ableton Link's start/stop sync) is
    /// playing; `None` where there is none to follow. The engine's own clock has none.
    fn transport(&self) -> Option<bool> {
        None
    }
    /// A start or stop of the shared transport that another player made, read at the last
    /// [`BeatClock::begin_block`]; then `None` until the next one. Synced decks follow it.
    fn take_transport(&mut self) -> Option<TransportChange> {
        None
    }
    /// Tells the other players that Phosphene's transport starts or stops at `beat` (its
    /// first synced deck started, or its last stopped).
    fn publish_transport(&mut self, _playing: bool, _beat: f64) {}
}

/// A start or stop of a shared transport ([`BeatClock::take_transport`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransportChange {
    /// Whether it starts (or stops).
    pub playing: bool,
    /// The clock's beat at the moment the other player gave for it.
    pub beat: f64,
}

/// The engine's own clock: piecewise constant tempo with optional linear ramps.
#[derive(Debug, Clone)]
pub struct InternalClock {
    sample_rate: f64,
    quantum: f64,
    /// Frame and beat where the current segment starts.
    anchor_frame: f64,
    anchor_beat: f64,
    /// Tempo at the anchor and at the end of the ramp.
    bpm_from: f64,
    bpm_to: f64,
    ramp_frames: f64,
}

impl InternalClock {
    /// A clock at `bpm` with beat 0 on frame 0.
    pub fn new(sample_rate: u32, bpm: f64, quantum: f64) -> Self {
        Self {
            sample_rate: sample_rate as f64,
            quantum,
            anchor_frame: 0.0,
            anchor_beat: 0.0,
            bpm_from: bpm,
            bpm_to: bpm,
            ramp_frames: 0.0,
        }
    }

    /// Carries on from `beat` at `frame` at a steady `bpm` (taking over from another clock
    /// without a jump).
    pub fn restart(&mut self, frame: f64, beat: f64, bpm: f64) {
        self.anchor_frame = frame;
        self.anchor_beat = beat;
        self.bpm_from = bpm;
        self.bpm_to = bpm;
        self.ramp_frames = 0.0;
    }

    /// The tempo a ramp in progress at `frame` is heading for and the frames it has left.
    pub fn ramp_left(&self, frame: f64) -> Option<(f64, f64)> {
        let left = self.anchor_frame + self.ramp_frames - frame;
        (self.ramp_frames > 0.0 && frame >= self.anchor_frame && left > 0.0).then_some((self.bpm_to, left))
    }

    fn beats_per_frame(&self, bpm: f64) -> f64 {
        bpm / (60.0 * self.sample_rate)
    }

    /// Beats covered by the whole ramp.
    fn ramp_beats(&self) -> f64 {
        0.5 * (self.beats_per_frame(self.bpm_from) + self.beats_per_frame(self.bpm_to)) * self.ramp_frames
    }
}

impl BeatClock for InternalClock {
    fn beat_at(&self, frame: f64) -> f64 {
        let t = frame - self.anchor_frame;
        let k0 = self.beats_per_frame(self.bpm_from);
        if t <= 0.0 || self.ramp_frames <= 0.0 {
            let k = if t <= 0.0 {
                k0
            } else {
                self.beats_per_frame(self.bpm_to)
            };
            return self.anchor_beat + k * t;
        }
        let k1 = self.beats_per_frame(self.bpm_to);
        if t < self.ramp_frames {
            self.anchor_beat + k0 * t + 0.5 * (k1 - k0) * t * t / self.ramp_frames
        } else {
            self.anchor_beat + self.ramp_beats() + k1 * (t - self.ramp_frames)
        }
    }

    fn frame_at(&self, beat: f64) -> f64 {
        let b = beat - self.anchor_beat;
        let k0 = self.beats_per_frame(self.bpm_from);
        let k1 = self.beats_per_frame(self.bpm_to);
        if b <= 0.0 || self.ramp_frames <= 0.0 {
            let k = if b <= 0.0 { k0 } else { k1 };
            return self.anchor_frame + b / k;
        }
        let ramp_beats = self.ramp_beats();
        if b >= ramp_beats {
            return self.anchor_frame + self.ramp_frames + (b - ramp_beats) / k1;
        }
        // Solve 0.5*a*t^2 + k0*t - b = 0 with a = (k1-k0)/T, in the form stable for small a.
        let a = (k1 - k0) / self.ramp_frames;
        let disc = (k0 * k0 + 2.0 * a * b).max(0.0);
        self.anchor_frame + 2.0 * b / (k0 + disc.sqrt())
    }

    fn bpm_at(&self, frame: f64) -> f64 {
        let t = frame - self.anchor_frame;
        if t <= 0.0 {
            self.bpm_from
        } else if t >= self.ramp_frames {
            self.bpm_to
        } else {
            self.bpm_from + (self.bpm_to - self.bpm_from) * t / self.ramp_frames
        }
    }

    fn bpm_over(&self, frame: f64, out: &mut [f64]) {
        if frame - self.anchor_frame >= self.ramp_frames {
            out.fill(self.bpm_to);
        } else {
            for (i, bpm) in out.iter_mut().enumerate() {
                *bpm = self.bpm_at(frame + i as f64);
            }
        }
    }

    fn quantum(&self) -> f64 {
        self.quantum
    }

    fn set_tempo(&mut self, frame: f64, bpm: f64, ramp_frames: f64) {
        let beat = self.beat_at(frame);
        let from = self.bpm_at(frame);
        self.anchor_frame = frame;
        self.anchor_beat = beat;
        self.bpm_from = from;
        self.bpm_to = bpm;
        self.ramp_frames = ramp_frames.max(0.0);
        if self.ramp_frames == 0.0 {
            self.bpm_from = bpm;
        }
    }
}

/// The target beat of a quantization seen from `beat` (the clock's position now).
pub fn quantize_target(at: crate::Quantize, beat: f64, quantum: f64) -> f64 {
    use crate::Quantize;
    // Sub-nanobeat tolerance so a clock sitting on a grid line counts as on it.
    const EPS: f64 = 1e-9;
    let next_multiple = |m: f64| {
        let m = if m > 0.0 { m } else { 1.0 };
        ((beat - EPS) / m).ceil() * m
    };
    match at {
        Quantize::Now => beat,
        Quantize::NextBeat => next_multiple(1.0),
        Quantize::NextBar => next_multiple(quantum),
        Quantize::NextMultiple(m) => next_multiple(m),
        Quantize::Beat(b) => b.max(beat),
        // A frame needs the clock's tempo map: the processor resolves it (see
        // `EngineProcessor`); alone, it reads as now.
        Quantize::Frame(_) => beat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quantize;

    #[test]
    fn constant_tempo_round_trips() {
        let c = InternalClock::new(48_000, 120.0, 4.0);
        assert_eq!(c.beat_at(24_000.0), 1.0);
        assert_eq!(c.frame_at(4.0), 96_000.0);
    }

    #[test]
    fn ramp_is_continuous_and_invertible() {
        let mut c = InternalClock::new(48_000, 120.0, 4.0);
        c.set_tempo(48_000.0, 140.0, 96_000.0);
        assert!((c.beat_at(48_000.0) - 2.0).abs() < 1e-12);
        for f in [50_000.0, 100_000.0, 143_999.0, 144_000.0, 200_000.0] {
            let b = c.beat_at(f);
            assert!((c.frame_at(b) - f).abs() < 1e-6, "frame {f}");
        }
        assert!((c.bpm_at(96_000.0) - 130.0).abs() < 1e-9);
        assert_eq!(c.bpm_at(1e9), 140.0);
    }

    #[test]
    fn quantization_targets() {
        assert_eq!(quantize_target(Quantize::NextBeat, 2.3, 4.0), 3.0);
        assert_eq!(quantize_target(Quantize::NextBeat, 3.0, 4.0), 3.0);
        assert_eq!(quantize_target(Quantize::NextBar, 4.1, 4.0), 8.0);
        assert_eq!(quantize_target(Quantize::NextMultiple(8.0), 9.0, 4.0), 16.0);
        assert_eq!(quantize_target(Quantize::Beat(1.0), 5.0, 4.0), 5.0);
        assert_eq!(quantize_target(Quantize::Now, 5.5, 4.0), 5.5);
    }
}
