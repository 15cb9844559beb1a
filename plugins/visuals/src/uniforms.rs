//! What every scene receives: the uniform block (mirrors `Phosphene` in
//! `shaders/core/prelude.wgsl`) and the spectrum/waveform rows, built from analysis frames by
//! [`AudioFeatures`].

use bytemuck::{Pod, Zeroable};
use engine_rt::AnalysisFrame;
use engine_rt::analysis::features::level_01;
use engine_rt::analysis::{FFT_SIZE, SPECTRUM_BINS, WAVEFORM_LEN};

/// Points of the spectrum texture's rows (log-frequency).
pub const SPECTRUM_POINTS: usize = 256;
/// Lowest and highest frequency of the spectrum texture.
const SPECTRUM_LOW_HZ: f32 = 30.0;
const SPECTRUM_HIGH_HZ: f32 = 12_000.0;
/// Decks whose levels the uniforms carry.
pub const UNIFORM_DECKS: usize = 4;
/// User parameters every scene can read.
pub const PARAMS: usize = 8;
/// Time constant of the smoothed levels, seconds.
const SMOOTH_SECONDS: f32 = 0.15;
/// Time constant of the hit decays, seconds.
const DECAY_SECONDS: f32 = 0.25;
/// `time` and `beat` wrap here, so an installation running for weeks keeps f32 precision in
/// the shaders (4096 is a whole number of bars and phrases in 4/4).
pub const WRAP: f64 = 4096.0;

/// The uniform block, laid out exactly as the WGSL struct (groups of four floats).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct Uniforms {
    /// Size of the target in pixels (width, height).
    pub resolution: [f32; 2],
    /// Seconds of audio heard.
    pub time: f32,
    /// Video frames drawn.
    pub frame: f32,
    /// Clock beat heard, wrapped at [`WRAP`].
    pub beat: f32,
    /// Position within the beat, 0..1.
    pub beat_phase: f32,
    /// Position within the bar, 0..1.
    pub bar_phase: f32,
    /// Clock tempo in beats per minute.
    pub bpm: f32,
    /// Master RMS level, 0..1 on a -60..0 dB scale.
    pub level: f32,
    /// Master peak, 0..1 on a -60..0 dB scale.
    pub peak: f32,
    /// Seconds since the previous video frame.
    pub delta: f32,
    /// Strength of the newest onset, 0..1.
    pub onset_strength: f32,
    /// Master bass energy, 0..1 ([`engine_rt::AnalysisFrame::bass`]).
    pub bass: f32,
    /// Master mid energy, 0..1 ([`engine_rt::AnalysisFrame::mid`]).
    pub mid: f32,
    /// Master high energy, 0..1 ([`engine_rt::AnalysisFrame::high`]).
    pub high: f32,
    /// Seconds since the scene became active.
    pub scene_time: f32,
    /// Smoothed bass, mid, high, level.
    pub smoothed: [f32; 4],
    /// Bass, mid, high, onset: 1 on the first video frame after a hit.
    pub hits: [f32; 4],
    /// The same, decaying after each hit.
    pub decays: [f32; 4],
    /// Levels of decks 1..4.
    pub decks: [f32; UNIFORM_DECKS],
    /// User parameters scaled to the scene's ranges.
    pub params: [f32; PARAMS],
}

/// Everything a video frame's scenes read that comes from the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameInputs {
    /// Audio fields filled; resolution, frame, scene time and params are the renderer's.
    pub uniforms: Uniforms,
    /// Row 0: spectrum now; row 1: smoothed (log-frequency, 0..1).
    pub spectrum: [[f32; SPECTRUM_POINTS]; 2],
    /// The newest analysis window, -1..1.
    pub waveform: [f32; WAVEFORM_LEN],
}

impl Default for FrameInputs {
    fn default() -> Self {
        Self {
            uniforms: Uniforms::default(),
            spectrum: [[0.0; SPECTRUM_POINTS]; 2],
            waveform: [0.0; WAVEFORM_LEN],
        }
    }
}

/// Turns the analysis frames heard at each video frame into [`FrameInputs`]: smoothing, hit
/// pulses and decays depend only on the frames and the video frame interval, so offline
/// renders are deterministic.
#[derive(Debug, Default)]
pub struct AudioFeatures {
    inputs: FrameInputs,
    /// Sample time of the master frame used last, so hits in skipped frames still count.
    last_time: Option<u64>,
    /// Seconds and beat heard, unwrapped.
    seconds: f64,
    beat: f64,
}

impl AudioFeatures {
    /// Seconds of audio heard at the last frame (full precision).
    pub fn seconds(&self) -> f64 {
        self.seconds
    }

    /// Clock beat heard at the last frame (full precision).
    pub fn beat(&self) -> f64 {
        self.beat
    }

    /// Advances one video frame of `dt` seconds. `master` is the frame matching the audio
    /// heard now; `passed` holds every master frame since the previous video frame (for hits);
    /// `decks` the matching frame of each deck. `sample_rate` converts sample times.
    pub fn advance<'a>(
        &mut self,
        master: Option<&AnalysisFrame>,
        passed: impl IntoIterator<Item = &'a AnalysisFrame>,
        decks: [Option<&AnalysisFrame>; UNIFORM_DECKS],
        dt: f32,
        sample_rate: u32,
    ) -> &FrameInputs {
        let smooth_k = 1.0 - (-dt / SMOOTH_SECONDS).exp();
        let decay_k = (-dt / DECAY_SECONDS).exp();
        let mut hit = [false; 4];
        let mut strength = 0.0f32;
        for f in passed {
            if self.last_time.is_some_and(|t| f.sample_time <= t) {
                continue;
            }
            for (h, fh) in hit.iter_mut().zip(f.hits) {
                *h |= fh;
            }
            hit[3] |= f.onset;
            if f.onset {
                strength = strength.max(f.onset_strength);
            }
        }
        let inputs = &mut self.inputs;
        let u = &mut inputs.uniforms;
        u.delta = dt;
        if let Some(m) = master {
            self.last_time = Some(m.sample_time);
            self.seconds = m.sample_time as f64 / sample_rate.max(1) as f64;
            self.beat = m.beat;
            u.time = (self.seconds % WRAP) as f32;
            u.beat = (self.beat.rem_euclid(WRAP)) as f32;
            u.beat_phase = m.beat_phase;
            u.bar_phase = m.bar_phase;
            u.bpm = m.bpm;
            u.level = level_01(m.rms);
            u.peak = level_01(m.peak);
            u.bass = m.bass;
            u.mid = m.mid;
            u.high = m.high;
            log_spectrum(&m.spectrum, sample_rate, &mut inputs.spectrum[0]);
            inputs.waveform = m.waveform;
        } else {
            u.level = 0.0;
            u.peak = 0.0;
            u.bass = 0.0;
            u.mid = 0.0;
            u.high = 0.0;
            inputs.spectrum[0] = [0.0; SPECTRUM_POINTS];
            inputs.waveform = [0.0; WAVEFORM_LEN];
        }
        if hit[3] {
            u.onset_strength = strength.clamp(0.0, 1.0);
        }
        let target = [u.bass, u.mid, u.high, u.level];
        for (s, t) in u.smoothed.iter_mut().zip(target) {
            *s += (t - *s) * smooth_k;
        }
        let [now, smooth] = &mut inputs.spectrum;
        for (s, t) in smooth.iter_mut().zip(now.iter()) {
            *s += (t - *s) * smooth_k;
        }
        for ((pulse, decay), h) in u.hits.iter_mut().zip(u.decays.iter_mut()).zip(hit) {
            *pulse = f32::from(u8::from(h));
            *decay = if h { 1.0 } else { *decay * decay_k };
        }
        for (level, d) in u.decks.iter_mut().zip(decks) {
            *level = d.map_or(0.0, |f| level_01(f.rms));
        }
        &self.inputs
    }
}

/// Resamples a linear magnitude spectrum onto [`SPECTRUM_POINTS`] log-spaced points (the
/// loudest bin under each point), as 0..1 levels.
fn log_spectrum(mags: &[f32; SPECTRUM_BINS], sample_rate: u32, out: &mut [f32; SPECTRUM_POINTS]) {
    let hz_per_bin = sample_rate as f32 / FFT_SIZE as f32;
    let ratio = (SPECTRUM_HIGH_HZ / SPECTRUM_LOW_HZ).ln();
    let bin_at = |i: usize| {
        let hz = SPECTRUM_LOW_HZ * (ratio * i as f32 / SPECTRUM_POINTS as f32).exp();
        ((hz / hz_per_bin) as usize).min(SPECTRUM_BINS - 1)
    };
    for (i, o) in out.iter_mut().enumerate() {
        let (a, b) = (bin_at(i), bin_at(i + 1).max(bin_at(i) + 1).min(SPECTRUM_BINS));
        let peak = mags[a..b].iter().fold(0.0f32, |m, &x| m.max(x));
        *o = level_01(peak);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_rt::Source;
    use engine_rt::analysis::BANDS;

    fn frame(time: u64, bass_hit: bool) -> AnalysisFrame {
        AnalysisFrame {
            source: Source::Master,
            sample_time: time,
            beat: 0.0,
            bpm: 120.0,
            beat_phase: 0.0,
            bar_phase: 0.0,
            rms: 0.5,
            peak: 0.9,
            bass: 0.8,
            mid: 0.2,
            high: 0.1,
            bands: [0.0; BANDS],
            onset: bass_hit,
            onset_strength: 0.5,
            hits: [bass_hit, false, false],
            pitch: None,
            spectrum: [0.0; SPECTRUM_BINS],
            waveform: [0.0; WAVEFORM_LEN],
        }
    }

    #[test]
    fn layout_matches_the_wgsl_block() {
        // 6 groups of four scalars/vec4s plus two vec4s of params.
        assert_eq!(std::mem::size_of::<Uniforms>(), 4 * 4 * 10);
    }

    #[test]
    fn a_hit_between_video_frames_still_pulses_once_then_decays() {
        let mut a = AudioFeatures::default();
        let (hit, after) = (frame(512, true), frame(1024, false));
        let u = a
            .advance(Some(&after), [&hit, &after], [None; 4], 1.0 / 60.0, 48_000)
            .uniforms;
        assert_eq!(u.hits[0], 1.0);
        assert_eq!(u.decays[0], 1.0);
        assert_eq!(u.hits[3], 1.0);
        let later = frame(1536, false);
        let u2 = a
            .advance(Some(&later), [&hit, &after, &later], [None; 4], 1.0 / 60.0, 48_000)
            .uniforms;
        assert_eq!(u2.hits[0], 0.0, "the same hit is not counted twice");
        assert!(u2.decays[0] < 1.0 && u2.decays[0] > 0.8);
    }

    #[test]
    fn time_and_beat_wrap_for_long_installations() {
        let mut a = AudioFeatures::default();
        let mut f = frame(48_000 * 5000, false);
        f.beat = 10_000.5;
        let u = a.advance(Some(&f), [&f], [None; 4], 1.0 / 60.0, 48_000).uniforms;
        assert_eq!(a.seconds(), 5000.0);
        assert_eq!(a.beat(), 10_000.5);
        assert_eq!(u.time, (5000.0 - WRAP) as f32);
        assert_eq!(u.beat, (10_000.5 - 2.0 * WRAP) as f32);
    }

    #[test]
    fn a_full_scale_sine_lights_its_spectrum_point() {
        let mut mags = [0.0; SPECTRUM_BINS];
        // 1 kHz at 48 kHz: bin 1000 / 23.4 = 42.
        mags[42] = 1.0;
        let mut out = [0.0; SPECTRUM_POINTS];
        log_spectrum(&mags, 48_000, &mut out);
        let (loudest, level) = out
            .iter()
            .enumerate()
            .fold((0, 0.0), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
        assert_eq!(level, 1.0);
        let hz = SPECTRUM_LOW_HZ
            * ((SPECTRUM_HIGH_HZ / SPECTRUM_LOW_HZ).ln() * loudest as f32 / SPECTRUM_POINTS as f32).exp();
        assert!((hz - 1000.0).abs() < 40.0, "{hz} Hz");
    }
}
