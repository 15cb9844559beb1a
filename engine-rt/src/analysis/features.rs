//! Per-source feature extraction: spectrum, bands, levels, spectral-flux onsets, pitch.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::pitch::Yin;
use super::{AnalysisFrame, BANDS, FFT_SIZE, HOP, SPECTRUM_BINS, Source, WAVEFORM_LEN};

/// Band edges of bass / mid / high in Hz.
const BASS_MID_HZ: f32 = 250.0;
const MID_HIGH_HZ: f32 = 4_000.0;
const TOP_HZ: f32 = 16_000.0;
/// Lowest edge of the 16 log-spaced bands.
const LOG_LOW_HZ: f32 = 30.0;
/// Flux history used for the adaptive onset threshold (~0.7 s at 94 hops/s).
const FLUX_HISTORY: usize = 64;
/// Shortest gap between two onsets of one detector, in hops (~50 ms).
const REFRACTORY_HOPS: u32 = 5;

/// Maps a magnitude to 0..1 on a -60..0 dB scale, the range shaders receive.
#[inline]
pub fn level_01(mag: f32) -> f32 {
    ((20.0 * mag.max(1e-9).log10() + 60.0) / 60.0).clamp(0.0, 1.0)
}

/// Adaptive-threshold peak picker on a spectral-flux signal.
#[derive(Debug, Clone)]
struct OnsetDetector {
    history: [f32; FLUX_HISTORY],
    at: usize,
    since: u32,
}

impl OnsetDetector {
    fn new() -> Self {
        Self {
            history: [0.0; FLUX_HISTORY],
            at: 0,
            since: REFRACTORY_HOPS,
        }
    }

    /// Returns (onset, strength above threshold).
    fn push(&mut self, flux: f32) -> (bool, f32) {
        let mean = self.history.iter().sum::<f32>() / FLUX_HISTORY as f32;
        let var = self.history.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / FLUX_HISTORY as f32;
        let threshold = mean + 1.5 * var.sqrt() + 1e-4;
        self.history[self.at] = flux;
        self.at = (self.at + 1) % FLUX_HISTORY;
        self.since = self.since.saturating_add(1);
        let onset = flux > threshold && self.since > REFRACTORY_HOPS;
        if onset {
            self.since = 0;
        }
        (onset, ((flux - threshold) / threshold).max(0.0))
    }
}

/// Analyzer of one mono source; owns its FFT plan and scratch buffers.
pub struct Analyzer {
    source: Source,
    sample_rate: f32,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    window_sum: f32,
    ring: Vec<f32>,
    ring_at: usize,
    since_hop: usize,
    fft_in: Vec<f32>,
    fft_out: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    prev_mag: Vec<f32>,
    band_edges: [usize; BANDS + 1],
    split: [usize; 4],
    onset: OnsetDetector,
    band_onsets: [OnsetDetector; 3],
    yin: Option<Yin>,
}

impl Analyzer {
    /// An analyzer for `source`; `pitch` turns the fundamental estimate on.
    pub fn new(source: Source, sample_rate: u32, pitch: bool) -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(FFT_SIZE);
        let window: Vec<f32> = (0..FFT_SIZE)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / FFT_SIZE as f32).cos())
            .collect();
        let sr = sample_rate as f32;
        let bin = |hz: f32| ((hz / sr * FFT_SIZE as f32).round() as usize).clamp(1, FFT_SIZE / 2);
        let top = TOP_HZ.min(sr * 0.45);
        let band_edges = std::array::from_fn(|i| bin(LOG_LOW_HZ * (top / LOG_LOW_HZ).powf(i as f32 / BANDS as f32)));
        Self {
            source,
            sample_rate: sr,
            window_sum: window.iter().sum(),
            window,
            ring: vec![0.0; FFT_SIZE],
            ring_at: 0,
            since_hop: 0,
            fft_in: fft.make_input_vec(),
            fft_out: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            prev_mag: vec![0.0; FFT_SIZE / 2 + 1],
            band_edges,
            split: [bin(20.0), bin(BASS_MID_HZ), bin(MID_HIGH_HZ), bin(top)],
            onset: OnsetDetector::new(),
            band_onsets: [OnsetDetector::new(), OnsetDetector::new(), OnsetDetector::new()],
            yin: pitch.then(|| Yin::new(sample_rate)),
        }
    }

    /// Feeds one sample; returns a frame every [`HOP`] samples. `time` is the sample's frame,
    /// `beat`/`bpm` the clock at that frame.
    pub fn push(&mut self, x: f32, time: u64, beat: f64, bpm: f32, quantum: f64) -> Option<AnalysisFrame> {
        self.ring[self.ring_at] = x;
        self.ring_at = (self.ring_at + 1) % FFT_SIZE;
        self.since_hop += 1;
        if self.since_hop < HOP {
            return None;
        }
        self.since_hop = 0;
        Some(self.analyse(time, beat, bpm, quantum))
    }

    fn analyse(&mut self, time: u64, beat: f64, bpm: f32, quantum: f64) -> AnalysisFrame {
        // Unroll the ring oldest-first.
        for i in 0..FFT_SIZE {
            self.fft_in[i] = self.ring[(self.ring_at + i) % FFT_SIZE];
        }
        let recent = &self.fft_in[FFT_SIZE - HOP..];
        let rms = (recent.iter().map(|v| v * v).sum::<f32>() / HOP as f32).sqrt();
        let peak = recent.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let mut waveform = [0.0; WAVEFORM_LEN];
        let step = FFT_SIZE / WAVEFORM_LEN;
        for (i, w) in waveform.iter_mut().enumerate() {
            *w = self.fft_in[i * step];
        }
        let pitch = self.yin.as_mut().and_then(|y| y.estimate(&self.fft_in, rms));
        for (v, w) in self.fft_in.iter_mut().zip(&self.window) {
            *v *= w;
        }
        // A failed transform (never for a fixed-size plan) leaves the previous spectrum.
        let _ = self
            .fft
            .process_with_scratch(&mut self.fft_in, &mut self.fft_out, &mut self.scratch);
        let norm = 2.0 / self.window_sum;
        let mut spectrum = [0.0; SPECTRUM_BINS];
        let mut flux = 0.0;
        let mut band_flux = [0.0f32; 3];
        let mut band_energy = [0.0f32; 3];
        for (k, c) in self.fft_out.iter().enumerate() {
            let m = c.norm() * norm;
            let rise = (m - self.prev_mag[k]).max(0.0);
            self.prev_mag[k] = m;
            if k < SPECTRUM_BINS {
                spectrum[k] = m;
            }
            if k >= self.split[0] && k < self.split[3] {
                flux += rise;
                let b = if k < self.split[1] {
                    0
                } else if k < self.split[2] {
                    1
                } else {
                    2
                };
                band_flux[b] += rise;
                band_energy[b] += m * m;
            }
        }
        let mut bands = [0.0; BANDS];
        for (i, b) in bands.iter_mut().enumerate() {
            let (lo, hi) = (self.band_edges[i], self.band_edges[i + 1].max(self.band_edges[i] + 1));
            let e: f32 = self.fft_out[lo..hi].iter().map(|c| (c.norm() * norm).powi(2)).sum();
            *b = level_01(e.sqrt());
        }
        let (onset, onset_strength) = self.onset.push(flux);
        let mut hits = [false; 3];
        for (i, h) in hits.iter_mut().enumerate() {
            *h = self.band_onsets[i].push(band_flux[i]).0;
        }
        // The frame describes the centre of its window.
        let sample_time = time.saturating_sub(FFT_SIZE as u64 / 2);
        let back = (time - sample_time) as f64 * bpm as f64 / (60.0 * self.sample_rate as f64);
        let beat = beat - back;
        AnalysisFrame {
            source: self.source,
            sample_time,
            beat,
            bpm,
            beat_phase: beat.rem_euclid(1.0) as f32,
            bar_phase: (beat.rem_euclid(quantum) / quantum) as f32,
            rms,
            peak,
            bass: level_01(band_energy[0].sqrt()),
            mid: level_01(band_energy[1].sqrt()),
            high: level_01(band_energy[2].sqrt()),
            bands,
            onset,
            onset_strength,
            hits,
            pitch,
            spectrum,
            waveform,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(a: &mut Analyzer, signal: impl Fn(usize) -> f32, n: usize) -> Vec<AnalysisFrame> {
        (0..n)
            .filter_map(|i| a.push(signal(i), i as u64, i as f64 / 24_000.0, 120.0, 4.0))
            .collect()
    }

    #[test]
    fn sine_lands_in_its_bin_and_band() {
        let mut a = Analyzer::new(Source::Master, 48_000, false);
        let f = run(
            &mut a,
            |i| 0.5 * (2.0 * std::f32::consts::PI * 1_000.0 * i as f32 / 48_000.0).sin(),
            8192,
        );
        let last = f.last().unwrap();
        let peak_bin = (0..SPECTRUM_BINS)
            .max_by(|&x, &y| last.spectrum[x].total_cmp(&last.spectrum[y]))
            .unwrap();
        let hz = peak_bin as f32 * 48_000.0 / FFT_SIZE as f32;
        assert!((hz - 1_000.0).abs() < 30.0, "{hz}");
        assert!(
            (last.spectrum[peak_bin] - 0.5).abs() < 0.15,
            "{}",
            last.spectrum[peak_bin]
        );
        assert!(last.mid > last.bass && last.mid > last.high);
        assert!((last.rms - 0.5 / 2f32.sqrt()).abs() < 0.01);
    }

    #[test]
    fn clicks_are_onsets_and_silence_is_not() {
        let mut a = Analyzer::new(Source::Master, 48_000, false);
        let period = 24_000;
        let f = run(
            &mut a,
            |i| {
                if i % period < 200 {
                    0.8 * ((i % 50) as f32 / 25.0 - 1.0)
                } else {
                    0.0
                }
            },
            48_000 * 4,
        );
        let onsets: Vec<u64> = f.iter().filter(|fr| fr.onset).map(|fr| fr.sample_time).collect();
        assert!(onsets.len() >= 6 && onsets.len() <= 9, "{onsets:?}");
        let mut b = Analyzer::new(Source::Master, 48_000, false);
        assert!(run(&mut b, |_| 0.0, 48_000).iter().all(|fr| !fr.onset));
    }
}
