//! Musical key estimation for harmonic mixing, and key names in the notations DJs use.
//!
//! Method, in one streaming pass: downsample to ~11-12 kHz (the key lives below 4 kHz; a lower
//! rate lets a long FFT resolve bass semitones cheaply), take 8192-point Hann STFT frames
//! (~0.7 s, 50 % overlap), keep only spectral peaks standing at least 2x above their local
//! spectral average (whitening: noise and drums, which have few prominent peaks, add almost
//! nothing), weight each by its magnitude relative to the frame's loudest peak, compressed
//! (^0.7, so loud bass does not outvote the rest), and add them at 10 cent resolution into
//! one pitch-class histogram for the whole track. At the end the tuning is read off that
//! histogram (circular mean of the peaks' offsets from equal temperament), the histogram is
//! folded into 12 pitch classes around it, and the chroma is correlated with 24 rotated key
//! profiles (Krumhansl-Kessler and Temperley, averaged), each spread over the first six
//! partials of its notes so that harmonics do not read as the dominant key.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use serde::{Deserialize, Serialize};

use super::sanitize;

/// A major or minor key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    /// Pitch class of the tonic: 0 = C, 1 = C♯/D♭, ..., 11 = B.
    pub tonic: u8,
    /// Minor (aeolian) rather than major.
    pub minor: bool,
}

/// Spellings as Mixxx's "traditional" notation shows them, with ASCII accidentals and one
/// token per key: Mixxx writes "F♯/G♭" and "D♯m/E♭m" for the two six-accidental keys; we pick
/// "F#" and "Ebm" (the spellings most DJ tags use; both parse either way).
const MAJOR_NAMES: [&str; 12] = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];
const MINOR_NAMES: [&str; 12] = [
    "Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm",
];

impl Key {
    /// A key from a tonic pitch class (taken modulo 12) and mode.
    pub fn new(tonic: u8, minor: bool) -> Self {
        Self {
            tonic: tonic % 12,
            minor,
        }
    }

    /// Usual DJ spelling, e.g. "C", "F#m", "Bbm", "Ab" (see [`MAJOR_NAMES`] for the choice).
    pub fn name(&self) -> String {
        let names = if self.minor { &MINOR_NAMES } else { &MAJOR_NAMES };
        names[usize::from(self.tonic % 12)].to_string()
    }

    /// Camelot wheel number 1..=12: one step is a fifth, relative major/minor share a number.
    pub fn camelot_number(&self) -> u8 {
        // C major is 8B and each fifth up adds one; a minor key sits with its relative major,
        // three semitones above its tonic.
        let major_tonic = u32::from(self.tonic % 12) + if self.minor { 3 } else { 0 };
        let n = (7 * major_tonic + 7) % 12;
        n as u8 + 1
    }

    /// Camelot code: "8B" = C major, "8A" = A minor, "1B" = B major, ...
    pub fn camelot(&self) -> String {
        format!("{}{}", self.camelot_number(), if self.minor { 'A' } else { 'B' })
    }

    /// Parses a key written as a name ("C", "F#m", "Bbm", "D♭", "A minor", "Amin", "a moll"),
    /// a Camelot code ("8A", "12b") or an Open Key code ("1d" = C major, "1m" = A minor).
    /// Letters are case-insensitive, so a bare "a" is A major, not the classical A minor.
    pub fn parse(s: &str) -> Option<Key> {
        let s = s.trim();
        let lower = s.to_lowercase();
        if lower.starts_with(|c: char| c.is_ascii_digit()) {
            let split = lower.find(|c: char| !c.is_ascii_digit())?;
            let (num, letter) = lower.split_at(split);
            let n: u8 = num.parse().ok().filter(|n| (1..=12).contains(n))?;
            let (camelot, minor) = match letter.trim() {
                "a" => (n, true),
                "b" => (n, false),
                // Open Key 1 is Camelot 8.
                "d" => ((n + 6) % 12 + 1, false),
                "m" => ((n + 6) % 12 + 1, true),
                _ => return None,
            };
            return Some(Self::from_camelot(camelot, minor));
        }
        let mut chars = lower.chars().peekable();
        let base: i32 = match chars.next()? {
            'c' => 0,
            'd' => 2,
            'e' => 4,
            'f' => 5,
            'g' => 7,
            'a' => 9,
            'b' => 11,
            _ => return None,
        };
        let mut tonic = base;
        while let Some(&c) = chars.peek() {
            match c {
                '#' | '♯' => tonic += 1,
                'b' | '♭' => tonic -= 1,
                _ => break,
            }
            chars.next();
        }
        let mode: String = chars.filter(|c| !c.is_whitespace() && *c != '-' && *c != '_').collect();
        let minor = match mode.as_str() {
            "" | "maj" | "major" | "dur" => false,
            "m" | "min" | "minor" | "moll" => true,
            _ => return None,
        };
        Some(Self::new(tonic.rem_euclid(12) as u8, minor))
    }

    /// The key with Camelot number `n` (1..=12) and letter A (`minor`) or B.
    fn from_camelot(n: u8, minor: bool) -> Self {
        // Inverse of camelot_number: 7 is its own inverse modulo 12.
        let major_tonic = (7 * (u32::from(n) + 4)) % 12;
        let tonic = if minor { (major_tonic + 9) % 12 } else { major_tonic };
        Self::new(tonic as u8, minor)
    }

    /// Smallest pitch shift in semitones (-5..=6) after which this key is compatible with
    /// `other`: the same key or its relative major/minor, i.e. the same Camelot number. Each
    /// semitone moves seven Camelot steps, so exactly one shift in any octave works; a tritone
    /// apart it returns +6 (-6 would do as well).
    pub fn shift_to(&self, other: &Key) -> i8 {
        let d = i32::from(other.camelot_number()) - i32::from(self.camelot_number());
        let s = (7 * d).rem_euclid(12);
        (if s > 6 { s - 12 } else { s }) as i8
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// What [`KeyAnalyser::finish`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyEstimate {
    /// The most likely key.
    pub key: Key,
    /// 0..1: the profile correlation of the winner, scaled down when the chroma is flat (noise)
    /// or when the runner-up key is almost as good. Results under [`MIN_CONFIDENCE`] are None.
    pub confidence: f64,
    /// Tuning of the track relative to A = 440 Hz, in cents (-50..50).
    pub tuning_cents: f64,
}

/// Estimates below this confidence are not reported (silence, noise, most drums-only loops;
/// pitched drums such as tuned toms or 808s can still read 0.25-0.45).
pub const MIN_CONFIDENCE: f64 = 0.25;

/// Rate the analysis runs at, at least (decimation keeps it in 11025..22050 Hz).
const TARGET_RATE: u32 = 11_025;
/// Spectral peaks from this frequency up count (below, an 8192 FFT cannot separate semitones).
const MIN_HZ: f64 = 50.0;
/// ... up to this one (harmonics above add little key information, and a lower limit lets the
/// decimation filter be short).
const MAX_HZ: f64 = 4_000.0;
/// Histogram resolution: bins per semitone.
const FINE: usize = 10;
/// A peak must stand this many times above its local spectral average to count.
const PROMINENCE: f32 = 2.0;
/// Peaks more than this far below the frame's strongest (linear, -60 dB) are ignored, so
/// numerical noise between the partials of a clean recording cannot count as prominent.
const FLOOR: f32 = 1e-3;

/// Exponent applied to peak magnitudes (1 = linear, 0 = every peak equal).
const COMPRESSION: f32 = 0.7;
/// Weight of each further partial in the harmonic key templates. Without them every note's
/// third and sixth partials push the estimate a fifth up (measured: on rendered Bach chorales,
/// 0.8 brings exact matches from 36 % to 92 %, fifth errors from 49 % to 2 %).
const HARMONIC_DECAY: f64 = 0.8;
/// Krumhansl-Kessler probe-tone ratings (1982), C major / C minor.
const KK_MAJOR: [f64; 12] = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const KK_MINOR: [f64; 12] = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];
/// Temperley's pitch-class frequencies from the Kostka-Payne corpus (2007), C major / C minor.
const TEMPERLEY_MAJOR: [f64; 12] = [
    0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400,
];
const TEMPERLEY_MINOR: [f64; 12] = [
    0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330,
];

/// Streaming key estimator for one track (mono; mix stereo down before pushing).
pub struct KeyAnalyser {
    decimation: usize,
    /// Analysis rate after decimation.
    rate: f64,
    /// Low-pass FIR applied before decimation (empty when not decimating).
    taps: Vec<f32>,
    /// Input not yet consumed by the decimator (less than one filter length between pushes).
    input: Vec<f32>,
    /// Decimated samples not yet covered by a complete frame.
    frame: Vec<f32>,
    /// Decimated samples that no frame has analysed yet (for the zero-padded last frame).
    unanalysed: usize,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    fft_in: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    mags: Vec<f32>,
    prefix: Vec<f64>,
    /// Pitch-class histogram at [`FINE`] bins per semitone, bin 0 centred on C at A = 440 Hz.
    chroma: [f64; 12 * FINE],
    /// How many FFT bins of the analysed range fall in each histogram bin: what noise, whose
    /// peaks are spread evenly over the bins, would add (more per semitone high in an octave).
    density: [f64; 12 * FINE],
}

impl KeyAnalyser {
    /// An analyser for audio at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        let sample_rate = sample_rate.max(8_000);
        let decimation = (sample_rate / TARGET_RATE).max(1) as usize;
        let rate = f64::from(sample_rate) / decimation as f64;
        let taps = if decimation > 1 {
            lowpass(f64::from(sample_rate), rate)
        } else {
            Vec::new()
        };
        // ~0.7 s frames: 1.3-1.5 Hz bins, a third of a semitone at 50 Hz.
        let n = if rate < 16_000.0 { 8192 } else { 16_384 };
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let window = (0..n)
            .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()) as f32)
            .collect();
        let mut a = Self {
            decimation,
            rate,
            taps,
            input: Vec::new(),
            frame: Vec::with_capacity(n + 4096),
            unanalysed: 0,
            fft_in: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            mags: vec![0.0; n / 2 + 1],
            prefix: vec![0.0; n / 2 + 2],
            fft,
            window,
            chroma: [0.0; 12 * FINE],
            density: [0.0; 12 * FINE],
        };
        let bin_hz = a.rate / n as f64;
        let (lo, hi) = a.bin_range();
        for k in lo..=hi {
            let x = pitch_class(k as f64 * bin_hz) * FINE as f64;
            a.density[(x.round() as usize) % (12 * FINE)] += 1.0;
        }
        a
    }

    /// FFT bins searched for peaks: [`MIN_HZ`] up to [`MAX_HZ`] or just under Nyquist.
    fn bin_range(&self) -> (usize, usize) {
        let bin_hz = self.rate / self.frame_len() as f64;
        let lo = ((MIN_HZ / bin_hz).floor() as usize).max(2);
        let hi = ((MAX_HZ.min(0.45 * self.rate) / bin_hz).ceil() as usize).min(self.mags.len() - 2);
        (lo, hi)
    }

    fn frame_len(&self) -> usize {
        self.window.len()
    }

    /// Feeds mono samples (any block size).
    pub fn push(&mut self, mono: &[f32]) {
        // Bounded chunks keep the decimator's buffer small whatever the caller passes.
        for chunk in mono.chunks(16_384) {
            if self.taps.is_empty() {
                self.frame.extend(chunk.iter().map(|&x| sanitize(x)));
                self.unanalysed += chunk.len();
            } else {
                self.input.extend(chunk.iter().map(|&x| sanitize(x)));
                self.decimate();
            }
            self.run_frames();
        }
    }

    /// Filters and keeps every `decimation`-th sample, only computing the kept ones.
    fn decimate(&mut self) {
        let (l, d) = (self.taps.len(), self.decimation);
        let mut pos = 0;
        while pos + l <= self.input.len() {
            let w = &self.input[pos..pos + l];
            // Four partial sums let the compiler vectorise the dot product.
            let mut acc = [0.0f32; 4];
            for (x4, t4) in w.chunks_exact(4).zip(self.taps.chunks_exact(4)) {
                for k in 0..4 {
                    acc[k] += x4[k] * t4[k];
                }
            }
            let rem = l - l % 4;
            let tail: f32 = w[rem..].iter().zip(&self.taps[rem..]).map(|(x, t)| x * t).sum();
            self.frame.push(acc.iter().sum::<f32>() + tail);
            self.unanalysed += 1;
            pos += d;
        }
        self.input.drain(..pos.min(self.input.len()));
    }

    fn run_frames(&mut self) {
        let n = self.frame_len();
        while self.frame.len() >= n {
            self.analyse_frame();
            self.unanalysed = self.unanalysed.saturating_sub(n / 2).min(n / 2);
            self.frame.drain(..n / 2);
        }
    }

    /// Adds one frame's prominent spectral peaks to the pitch-class histogram.
    fn analyse_frame(&mut self) {
        let n = self.frame_len();
        let mut energy = 0.0f64;
        for ((o, &x), &w) in self.fft_in.iter_mut().zip(&self.frame).zip(&self.window) {
            *o = x * w;
            energy += f64::from(*o) * f64::from(*o);
        }
        // Frames under about -80 dBFS hold no music worth weighing.
        if energy < 1e-8 * n as f64 * 0.375 {
            return;
        }
        if self
            .fft
            .process_with_scratch(&mut self.fft_in, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            return;
        }
        for (m, c) in self.mags.iter_mut().zip(&self.spectrum) {
            let v = c.norm();
            *m = if v.is_finite() { v } else { 0.0 };
        }
        let bin_hz = self.rate / n as f64;
        let (lo, hi) = self.bin_range();
        let mags = &self.mags;
        let loudest = mags[lo..=hi].iter().copied().fold(0.0f32, f32::max);
        if loudest.is_nan() || loudest <= 0.0 {
            return;
        }
        let mut run = 0.0f64;
        self.prefix[0] = 0.0;
        for (i, &m) in mags.iter().enumerate() {
            run += f64::from(m);
            self.prefix[i + 1] = run;
        }
        for k in lo..=hi {
            let (a, b, c) = (mags[k - 1], mags[k], mags[k + 1]);
            if !(b > a && b >= c) || b < loudest * FLOOR {
                continue;
            }
            // Local average over about ±2 semitones (at least ±12 bins so a bass peak's own
            // main lobe does not dominate its neighbourhood).
            let h = ((k as f64 * 0.12) as usize).max(12);
            let (s, e) = (k.saturating_sub(h), (k + h + 1).min(mags.len()));
            let local = ((self.prefix[e] - self.prefix[s]) / (e - s) as f64) as f32;
            let ratio = b / (PROMINENCE * local.max(loudest * FLOOR));
            if ratio.is_nan() || ratio <= 1.0 {
                continue;
            }
            // Compressed magnitude relative to the frame's loudest peak: each frame counts by
            // how much prominent tonal content it has, not by its level, and the compression
            // keeps loud bass from drowning the rest.
            let weight = f64::from((b / loudest).powf(COMPRESSION));
            // Parabola through the log magnitudes: the peak's true frequency between bins.
            let (la, lb, lc) = (a.max(1e-20).ln(), b.ln(), c.max(1e-20).ln());
            let den = la - 2.0 * lb + lc;
            let delta = if den < 0.0 {
                (0.5 * (la - lc) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            let hz = (k as f64 + f64::from(delta)) * bin_hz;
            let x = pitch_class(hz) * FINE as f64;
            if !x.is_finite() || !weight.is_finite() {
                continue;
            }
            let i = x.floor();
            let frac = x - i;
            let i = i as usize % (12 * FINE);
            self.chroma[i] += weight * (1.0 - frac);
            self.chroma[(i + 1) % (12 * FINE)] += weight * frac;
        }
    }

    /// Analyses what is left and returns the key, or None when nothing tonal was heard
    /// (silence, noise, unpitched drums) or no key stands out.
    pub fn finish(mut self) -> Option<KeyEstimate> {
        // The tail that no full frame covered, zero-padded, if it is a sizeable part.
        let n = self.frame_len();
        if self.unanalysed >= n / 4 && !self.frame.is_empty() {
            self.frame.resize(n, 0.0);
            self.analyse_frame();
        }
        estimate(&self.chroma, &self.density)
    }
}

/// Semitones above C (at A = 440 Hz), folded into one octave: 0.0..12.0.
fn pitch_class(hz: f64) -> f64 {
    (12.0 * (hz / 440.0).log2() + 9.0).rem_euclid(12.0)
}

/// Folds a fine histogram into 12 pitch classes centred `offset` semitones off the grid;
/// entries far off the grid count less (cosine taper), as they are more likely inharmonic.
fn fold(fine: &[f64; 12 * FINE], offset: f64) -> [f64; 12] {
    let mut chroma = [0.0f64; 12];
    for (b, &w) in fine.iter().enumerate() {
        let y = b as f64 / FINE as f64 - offset;
        let c = y.round();
        chroma[(c as i64).rem_euclid(12) as usize] += w * (std::f64::consts::PI * (y - c)).cos();
    }
    chroma
}

/// Standard deviation over mean: 0 for a flat vector.
fn contrast(v: &[f64; 12]) -> f64 {
    let mean = v.iter().sum::<f64>() / 12.0;
    if mean.is_nan() || mean <= 0.0 {
        return 0.0;
    }
    (v.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / 12.0).sqrt() / mean
}

/// Windowed-sinc low-pass for decimating from `from` to `to` Hz: flat to [`MAX_HZ`], and
/// stopping what would alias back below it (above `to - MAX_HZ`), with a Hamming window (~53 dB).
fn lowpass(from: f64, to: f64) -> Vec<f32> {
    let pass = MAX_HZ.min(0.4 * to);
    let stop = to - pass;
    let len = ((3.3 * from / (stop - pass)).ceil() as usize) | 1;
    let cutoff = 0.5 * (pass + stop) / from;
    let mid = (len / 2) as f64;
    let mut taps: Vec<f64> = (0..len)
        .map(|i| {
            let t = i as f64 - mid;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * t).sin() / (std::f64::consts::PI * t)
            };
            let w = 0.54 - 0.46 * (2.0 * std::f64::consts::PI * i as f64 / (len - 1) as f64).cos();
            sinc * w
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter_mut().for_each(|t| *t /= sum);
    taps.into_iter().map(|t| t as f32).collect()
}

/// A profile as its notes' harmonics would show it: each pitch class also adds to those of
/// its 2nd..6th partials (octave, fifth, octave, major third, fifth), partial h with weight
/// `decay^(h-1)`.
fn harmonic(profile: &[f64; 12], decay: f64) -> [f64; 12] {
    const OFFSETS: [usize; 6] = [0, 0, 7, 0, 4, 7];
    let mut out = [0.0; 12];
    for (pc, &p) in profile.iter().enumerate() {
        let mut w = 1.0;
        for off in OFFSETS {
            out[(pc + off) % 12] += p * w;
            w *= decay;
        }
    }
    out
}

/// Pearson correlation of two 12-vectors, `b` read rotated by `shift`.
fn correlate(a: &[f64; 12], b: &[f64; 12], shift: usize) -> f64 {
    let ma = a.iter().sum::<f64>() / 12.0;
    let mb = b.iter().sum::<f64>() / 12.0;
    let (mut num, mut da, mut db) = (0.0, 0.0, 0.0);
    for i in 0..12 {
        let x = a[(i + shift) % 12] - ma;
        let y = b[i] - mb;
        num += x * y;
        da += x * x;
        db += y * y;
    }
    let den = (da * db).sqrt();
    if den > 0.0 { num / den } else { 0.0 }
}

/// Tuning, chroma and key from the fine pitch-class histogram.
fn estimate(fine: &[f64; 12 * FINE], density: &[f64; 12 * FINE]) -> Option<KeyEstimate> {
    let total: f64 = fine.iter().sum();
    if total.is_nan() || total <= 1e-6 {
        return None;
    }
    // Circular mean of the offsets from the semitone grid: the tuning.
    let (mut re, mut im) = (0.0, 0.0);
    for (b, &w) in fine.iter().enumerate() {
        let phase = 2.0 * std::f64::consts::PI * (b % FINE) as f64 / FINE as f64;
        re += w * phase.cos();
        im += w * phase.sin();
    }
    let offset = if re.hypot(im) > 1e-9 * total {
        im.atan2(re) / (2.0 * std::f64::consts::PI)
    } else {
        0.0
    };
    let chroma = fold(fine, offset);
    // How far the chroma stands from what noise alone would give (its bin-density tilt
    // divided out): 0.05-0.16 for noise, 0.45-1 for tonal music.
    let noise = fold(density, offset);
    let contrast = contrast(&std::array::from_fn(|i| {
        if noise[i] > 0.0 { chroma[i] / noise[i] } else { 0.0 }
    }));
    let mut scores = [(0.0f64, Key::new(0, false)); 24];
    for tonic in 0..12u8 {
        for minor in [false, true] {
            let (kk, tp) = if minor {
                (&KK_MINOR, &TEMPERLEY_MINOR)
            } else {
                (&KK_MAJOR, &TEMPERLEY_MAJOR)
            };
            let (kk, tp) = (&harmonic(kk, HARMONIC_DECAY), &harmonic(tp, HARMONIC_DECAY));
            let shift = usize::from(tonic);
            let r = 0.5 * (correlate(&chroma, kk, shift) + correlate(&chroma, tp, shift));
            scores[usize::from(tonic) * 2 + usize::from(minor)] = (r, Key::new(tonic, minor));
        }
    }
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (best, key) = scores[0];
    let runner_up = scores[1].0;
    let margin = ((best - runner_up) / 0.1).clamp(0.0, 1.0);
    // Noise and unpitched drums read 0.05-0.16 here; anything with a key reads 0.45 and up.
    let tonal = ((contrast - 0.2) / 0.25).clamp(0.0, 1.0);
    let confidence = (best.max(0.0) * tonal * (0.5 + 0.5 * margin)).clamp(0.0, 1.0);
    (confidence.is_finite() && confidence >= MIN_CONFIDENCE).then_some(KeyEstimate {
        key,
        confidence,
        tuning_cents: offset * 100.0,
    })
}

#[cfg(test)]
mod tests;
