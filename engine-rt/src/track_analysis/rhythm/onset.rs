//! Streaming front end: samples in, compact per-frame features out (about 100 frames a second).
//!
//! Why this shape: beat trackers need *where energy rises*, not the spectrum itself, so only a
//! few numbers per frame are kept (spectral flux, low-band flux, and a coarse band profile at a
//! quarter of the frame rate for downbeats). A 3-hour file therefore costs a few tens of MB,
//! whatever the sample rate, and every `push` does work proportional to its chunk only.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// Target rate of the onset envelope in frames per second (10 ms hop).
pub const TARGET_FPS: f64 = 100.0;
/// Rate the input is decimated to before the FFT: onsets are well described below 11 kHz,
/// and a smaller FFT keeps analysis far below real time.
const TARGET_RATE: f64 = 22_050.0;
/// Mel-spaced bands (fewer where FFT bins are wider than a band).
const BANDS: usize = 40;
/// Lowest band edge.
const BAND_LOW_HZ: f64 = 30.0;
/// Highest band edge (capped at Nyquist).
const BAND_HIGH_HZ: f64 = 11_000.0;
/// Bands whose top edge is at or below this count as the "low" (kick / bass) band.
const LOW_BAND_HZ: f64 = 160.0;
/// Bands whose top edge is at or below this (and above [`LOW_BAND_HZ`]) form the "mid" band:
/// snare body, toms, bass notes and chords, without the cymbals above.
const MID_BAND_HZ: f64 = 2_000.0;
/// Log compression `ln(1 + GAMMA * magnitude)`, magnitudes scaled so a full-scale sine is 1:
/// compresses loud partials so soft onsets still register (as in most onset detectors).
const GAMMA: f32 = 1000.0;
/// Flux compares a frame with the one this many frames earlier (20 ms): with a 46 ms window
/// consecutive frames overlap so much that a one-frame difference under-reads attacks.
const FLUX_LAG: usize = 2;
/// Frames averaged into one coarse band profile (for downbeats: harmonic / timbre change).
pub const PROFILE_DECIM: usize = 4;
/// Largest magnitude a sanitised sample may have; beyond that it is clipped.
const SAMPLE_LIMIT: f32 = 16.0;

/// Per-frame features collected while streaming.
#[derive(Debug, Default, Clone)]
pub struct Features {
    /// Frames per second of `flux` and `low_flux`.
    pub fps: f64,
    /// Seconds from the start of the input to the centre of frame 0's window.
    pub frame0: f64,
    /// Log-compressed spectral flux over all bands (onset strength).
    pub flux: Vec<f32>,
    /// The same over the low bands only (kick drum / bass onsets).
    pub low_flux: Vec<f32>,
    /// The same over the mid bands (snare body, toms, chords; no cymbals).
    pub mid_flux: Vec<f32>,
    /// Coarse log band profile, `n_bands` values per entry, one entry every
    /// [`PROFILE_DECIM`] frames, quantised to u8 (1/16 ln units) to stay compact.
    pub profile: Vec<u8>,
    /// Bands per profile entry.
    pub n_bands: usize,
}

/// Incremental feature extractor.
pub struct Frontend {
    decim: usize,
    acc: f32,
    acc_n: usize,
    /// Decimated samples not yet consumed; the next frame starts at `pos`.
    pending: Vec<f32>,
    /// Sanitised input block (scratch).
    clean: Vec<f32>,
    pos: usize,
    fft_len: usize,
    hop: usize,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    scratch_in: Vec<f32>,
    scratch_out: Vec<realfft::num_complex::Complex<f32>>,
    scratch_fft: Vec<realfft::num_complex::Complex<f32>>,
    /// Band edges as FFT bin indices (`n_bands + 1` of them).
    edges: Vec<usize>,
    low_bands: usize,
    mid_bands: usize,
    mag_scale: f32,
    /// Last `FLUX_LAG + 1` band log-magnitude frames, newest last.
    history: Vec<Vec<f32>>,
    profile_acc: Vec<f32>,
    profile_n: usize,
    /// Features so far.
    pub feats: Features,
}

impl Frontend {
    /// A front end for input at `sample_rate` Hz (clamped to 1 kHz..1 MHz to stay sane).
    pub fn new(sample_rate: u32) -> Self {
        let sr = f64::from(sample_rate.clamp(1_000, 1_000_000));
        let decim = ((sr / TARGET_RATE).round() as usize).max(1);
        let rate = sr / decim as f64;
        let hop = ((rate / TARGET_FPS).round() as usize).max(1);
        // About 46 ms, a power of two for the FFT.
        let fft_len = ((rate * 0.046) as usize).next_power_of_two().max(64);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(fft_len);
        let window: Vec<f32> = (0..fft_len)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / fft_len as f32).cos())
            .collect();
        let nyq = rate / 2.0;
        let bin_hz = rate / fft_len as f64;
        let mut edges = vec![];
        let top = BAND_HIGH_HZ.min(nyq * 0.95);
        let mut low_bands = 0;
        let mut mid_bands = 0;
        // Mel spacing: nearly linear below 1 kHz, logarithmic above, so bass, kick and snare
        // body get as many bands as the cymbals (log spacing lets hi-hats dominate the sum).
        let mel = |f: f64| 2595.0 * (1.0 + f / 700.0).log10();
        let hz = |m: f64| 700.0 * (10f64.powf(m / 2595.0) - 1.0);
        let (m0, m1) = (mel(BAND_LOW_HZ), mel(top.max(BAND_LOW_HZ * 2.0)));
        for k in 0..=BANDS {
            let f = hz(m0 + (m1 - m0) * k as f64 / BANDS as f64);
            let b = ((f / bin_hz).round() as usize).max(1);
            if edges.last().is_none_or(|&l| b > l) {
                edges.push(b);
                if f <= LOW_BAND_HZ {
                    low_bands = edges.len().saturating_sub(1);
                }
                if f <= MID_BAND_HZ {
                    mid_bands = edges.len().saturating_sub(1);
                }
            }
        }
        if edges.len() < 2 {
            edges = vec![1, fft_len / 2];
        }
        let n_bands = edges.len() - 1;
        let scratch_out = fft.make_output_vec();
        let scratch_fft = fft.make_scratch_vec();
        Frontend {
            decim,
            acc: 0.0,
            acc_n: 0,
            pending: Vec::with_capacity(4 * fft_len),
            clean: Vec::with_capacity(4096 * decim),
            pos: 0,
            fft_len,
            hop,
            window,
            scratch_in: vec![0.0; fft_len],
            scratch_out,
            scratch_fft,
            fft,
            edges,
            low_bands: low_bands.max(1),
            mid_bands: mid_bands.max(low_bands.max(1) + 1),
            // Hann window sums to N/2; a sine's peak bin holds amplitude * N/4.
            mag_scale: 4.0 / fft_len as f32,
            history: Vec::with_capacity(FLUX_LAG + 1),
            profile_acc: vec![0.0; n_bands],
            profile_n: 0,
            feats: Features {
                fps: rate / hop as f64,
                // Frame k's window ends at sample (k * hop + fft_len) (decimated); its centre
                // is half a window earlier.
                frame0: (fft_len as f64 / 2.0) / rate,
                n_bands,
                ..Features::default()
            },
        }
    }

    /// Feeds mono samples; non-finite samples count as silence, huge ones are clipped.
    pub fn push(&mut self, mono: &[f32]) {
        // Non-finite samples count as silence, huge ones are clipped (branch-free, so the loop
        // vectorises).
        let clean = |s: f32| {
            if s.is_finite() {
                s.clamp(-SAMPLE_LIMIT, SAMPLE_LIMIT)
            } else {
                0.0
            }
        };
        let d = self.decim;
        let mut rest = mono;
        while !rest.is_empty() {
            // Finish a decimation group left open by the previous push.
            while self.acc_n > 0 && !rest.is_empty() {
                self.acc += clean(rest[0]);
                rest = &rest[1..];
                self.acc_n += 1;
                if self.acc_n == d {
                    self.pending.push(self.acc / d as f32);
                    self.acc = 0.0;
                    self.acc_n = 0;
                }
            }
            let take = rest.len().min(4096 * d);
            let (block, tail) = rest.split_at(take);
            rest = tail;
            // Box-car decimation: its aliasing only folds energy, whose *timing* is what
            // matters for onsets.
            // Sanitise into scratch first (a branch-free map the compiler vectorises), then sum
            // groups; fixed group sizes for the common rates keep that loop tight too.
            self.clean.clear();
            self.clean.extend(block.iter().map(|&s| clean(s)));
            let inv = 1.0 / d as f32;
            let groups = self.clean.len() / d;
            let body = &self.clean[..groups * d];
            match d {
                1 => self.pending.extend_from_slice(body),
                2 => self.pending.extend(body.chunks_exact(2).map(|g| (g[0] + g[1]) * inv)),
                4 => self
                    .pending
                    .extend(body.chunks_exact(4).map(|g| (g[0] + g[1] + g[2] + g[3]) * inv)),
                _ => self
                    .pending
                    .extend(body.chunks_exact(d).map(|g| g.iter().sum::<f32>() * inv)),
            }
            for &s in &self.clean[groups * d..] {
                self.acc += s;
                self.acc_n += 1;
            }
            while self.pos + self.fft_len <= self.pending.len() {
                self.frame();
                self.pos += self.hop;
            }
            // Keep the buffer short: drop what no future frame needs.
            if self.pos >= self.fft_len {
                self.pending.drain(..self.pos);
                self.pos = 0;
            }
        }
    }

    fn frame(&mut self) {
        let seg = &self.pending[self.pos..self.pos + self.fft_len];
        for ((o, &x), &w) in self.scratch_in.iter_mut().zip(seg).zip(&self.window) {
            *o = x * w;
        }
        if self
            .fft
            .process_with_scratch(&mut self.scratch_in, &mut self.scratch_out, &mut self.scratch_fft)
            .is_err()
        {
            return;
        }
        let mut bands = if self.history.len() > FLUX_LAG {
            // Reuse the oldest frame's allocation.
            self.history.remove(0)
        } else {
            vec![0.0; self.edges.len() - 1]
        };
        for (b, w) in self.edges.windows(2).enumerate() {
            let hi = w[1].min(self.scratch_out.len());
            let e: f32 = self.scratch_out[w[0].min(hi)..hi].iter().map(|c| c.norm_sqr()).sum();
            let mag = e.sqrt() * self.mag_scale;
            bands[b] = fast_ln(1.0 + GAMMA * mag);
        }
        let (mut flux, mut low, mut mid) = (0.0f32, 0.0f32, 0.0f32);
        if self.history.len() >= FLUX_LAG {
            let old = &self.history[self.history.len() - FLUX_LAG];
            for (b, (&x, &y)) in bands.iter().zip(old).enumerate() {
                let d = (x - y).max(0.0);
                flux += d;
                if b < self.low_bands {
                    low += d;
                } else if b < self.mid_bands {
                    mid += d;
                }
            }
        }
        for (a, &x) in self.profile_acc.iter_mut().zip(&bands) {
            *a += x;
        }
        self.profile_n += 1;
        if self.profile_n == PROFILE_DECIM {
            for a in self.profile_acc.iter_mut() {
                let q = (*a / PROFILE_DECIM as f32 * 16.0).clamp(0.0, 255.0);
                self.feats.profile.push(q as u8);
                *a = 0.0;
            }
            self.profile_n = 0;
        }
        self.history.push(bands);
        // Finite by construction (sanitised input, ln_1p of a finite non-negative value), but
        // a guard costs nothing.
        self.feats.flux.push(if flux.is_finite() { flux } else { 0.0 });
        self.feats.low_flux.push(if low.is_finite() { low } else { 0.0 });
        self.feats.mid_flux.push(if mid.is_finite() { mid } else { 0.0 });
    }
}

/// Natural logarithm for finite `x >= 1`, accurate to about 1e-4 (plenty for a compressed
/// magnitude, and several times faster than `ln`, which dominated the per-frame cost).
#[inline]
fn fast_ln(x: f32) -> f32 {
    let bits = x.max(1.0).to_bits();
    // x = m * 2^e with m in [1, 2).
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    // ln(m) on [1, 2) via ln((1+u)/(1-u)) = 2(u + u^3/3 + u^5/5 + u^7/7), u = (m-1)/(m+1).
    let u = (m - 1.0) / (m + 1.0);
    let u2 = u * u;
    let ln_m = 2.0 * u * (1.0 + u2 * (1.0 / 3.0 + u2 * (0.2 + u2 * (1.0 / 7.0))));
    ln_m + e as f32 * std::f32::consts::LN_2
}

#[cfg(test)]
mod tests {
    use super::{Frontend, fast_ln};

    /// Total low and mid flux of a tone at `hz` (-26 dBFS: a loud tone leaks into every band
    /// through the log compression) entering half-way through 2 s.
    fn band_flux(hz: f32) -> (f32, f32) {
        let sr = 44_100;
        let mut front = Frontend::new(sr);
        let buf: Vec<f32> = (0..2 * sr as usize)
            .map(|i| {
                let t = i as f32 / sr as f32;
                // A 50 ms fade-in: a step would splash into every band.
                let gain = ((t - 1.0) / 0.05).clamp(0.0, 1.0);
                0.05 * gain * (std::f32::consts::TAU * hz * t).sin()
            })
            .collect();
        front.push(&buf);
        let f = &front.feats;
        (f.low_flux.iter().sum(), f.mid_flux.iter().sum())
    }

    #[test]
    fn low_and_mid_bands_split_at_160_hz() {
        let (bass, tom, cymbal) = (band_flux(60.0), band_flux(500.0), band_flux(6_000.0));
        assert!(
            bass.0 > 5.0 * tom.0 && bass.0 > 5.0 * cymbal.0,
            "low: {bass:?} {tom:?} {cymbal:?}"
        );
        assert!(
            tom.1 > 3.0 * bass.1 && tom.1 > 3.0 * cymbal.1,
            "mid: {bass:?} {tom:?} {cymbal:?}"
        );
    }

    #[test]
    fn fast_ln_matches_ln() {
        for i in 0..10_000 {
            let x = 1.0 + i as f32 * 0.37 + (i as f32 * 0.01).exp().min(1e30);
            assert!((fast_ln(x) - x.ln()).abs() < 2e-4, "{x}");
        }
    }
}
