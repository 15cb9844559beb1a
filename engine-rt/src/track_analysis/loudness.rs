//! Programme loudness after ITU-R BS.1770-4 / EBU R128 (integrated loudness, loudness range)
//! plus the sample peak, measured in one streaming pass for auto-gain.
//!
//! Memory is fixed: block loudnesses go into 0.01 LU histograms instead of a list, so an
//! evening-long mix costs the same as a jingle. The histogram only rounds where a gate cuts
//! through a bin, which moves the result by far less than 0.01 LU.

use serde::{Deserialize, Serialize};

use super::sanitize;

/// Loudness that ReplayGain 2.0 normalises to (EBU R128 itself uses -23 LUFS).
pub const REPLAYGAIN_TARGET_LUFS: f64 = -18.0;

/// Blocks quieter than this never count (BS.1770 absolute gate).
const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// Integrated loudness ignores blocks this far below the mean of the ungated ones.
const RELATIVE_GATE_LU: f64 = -10.0;
/// Loudness range ignores short-term blocks this far below their mean (EBU Tech 3342).
const RANGE_GATE_LU: f64 = -20.0;
/// Histogram span: the absolute gate up to the loudest a clamped ±16 signal can read.
const HIST_MIN: f64 = ABSOLUTE_GATE_LUFS;
const HIST_MAX: f64 = 40.0;
/// Histogram resolution in LU.
const HIST_STEP: f64 = 0.01;
const HIST_BINS: usize = ((HIST_MAX - HIST_MIN) / HIST_STEP) as usize;
/// Sub-blocks (100 ms) per momentary block (400 ms, 75 % overlap) and per short-term block (3 s).
const MOMENTARY_SUBS: usize = 4;
const SHORT_TERM_SUBS: usize = 30;

/// Result of a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Loudness {
    /// Gated integrated loudness in LUFS (BS.1770-4).
    pub integrated_lufs: f64,
    /// Largest absolute sample value, linear (1.0 = 0 dBFS; not oversampled true peak).
    pub peak: f32,
    /// EBU Tech 3342 loudness range in LU (0 when the track is shorter than one 3 s block).
    pub range_lu: f64,
}

impl Loudness {
    /// Gain in dB that brings the track to `target_lufs`, lowered where needed so the sample
    /// peak stays at or below 0 dBFS (auto-gain must never make a track clip).
    pub fn gain_db(&self, target_lufs: f64) -> f64 {
        let mut gain = target_lufs - self.integrated_lufs;
        if self.peak.is_finite() && self.peak > 0.0 {
            gain = gain.min(-20.0 * f64::from(self.peak).log10());
        }
        if gain.is_finite() { gain } else { 0.0 }
    }
}

/// One second-order section's coefficients (a0 = 1); f64 because the 38 Hz high-pass
/// has poles so close to z = 1 that f32 coefficients would shift its response at 96 kHz.
#[derive(Debug, Clone, Copy, Default)]
struct Biquad {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
}

/// The two K-weighting stages for `rate`, derived from their analog prototypes by the bilinear
/// transform with pre-warping at each stage's corner, so every sample rate gets the response
/// BS.1770 tabulates for 48 kHz (the table's coefficients reproduce to ~1e-8).
fn k_weighting(rate: f64) -> [Biquad; 2] {
    // Stage 1: high shelf, +4 dB above ~1.7 kHz, modelling the acoustic effect of the head.
    let (f0, gain_db, q) = (1_681.974_450_955_533, 3.999_843_853_973_347, 0.707_175_236_955_419_6);
    let k = (std::f64::consts::PI * f0 / rate).tan();
    let vh = 10f64.powf(gain_db / 20.0);
    let vb = vh.powf(0.499_666_774_154_541_6);
    let a0 = 1.0 + k / q + k * k;
    let shelf = Biquad {
        b0: (vh + vb * k / q + k * k) / a0,
        b1: 2.0 * (k * k - vh) / a0,
        b2: (vh - vb * k / q + k * k) / a0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / q + k * k) / a0,
    };
    // Stage 2: "RLB" second-order high-pass at ~38 Hz.
    let (f0, q) = (38.135_470_876_024_44, 0.500_327_037_323_877_3);
    let k = (std::f64::consts::PI * f0 / rate).tan();
    let a0 = 1.0 + k / q + k * k;
    let highpass = Biquad {
        b0: 1.0,
        b1: -2.0,
        b2: 1.0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / q + k * k) / a0,
    };
    [shelf, highpass]
}

/// Counts and summed mean-square energies of blocks per 0.01 LU of loudness.
#[derive(Debug, Clone)]
struct Histogram {
    count: Vec<u32>,
    energy: Vec<f64>,
}

impl Histogram {
    fn new() -> Self {
        Self {
            count: vec![0; HIST_BINS],
            energy: vec![0.0; HIST_BINS],
        }
    }

    /// Adds a block if it passes the absolute gate.
    fn add(&mut self, energy: f64) {
        let lufs = energy_to_lufs(energy);
        // NaN fails this too.
        if lufs.is_nan() || lufs <= ABSOLUTE_GATE_LUFS {
            return;
        }
        let i = (((lufs - HIST_MIN) / HIST_STEP) as usize).min(HIST_BINS - 1);
        self.count[i] = self.count[i].saturating_add(1);
        self.energy[i] += energy;
    }

    /// Mean energy of the blocks above `gate_lufs` (a bin counts when its mean is above) and
    /// the first bin included; None when no block is.
    fn mean_above(&self, gate_lufs: f64) -> Option<(f64, usize)> {
        let gate = lufs_to_energy(gate_lufs);
        let first = self
            .count
            .iter()
            .zip(&self.energy)
            .position(|(&n, &e)| n > 0 && e / f64::from(n) > gate)?;
        let n: f64 = self.count[first..].iter().map(|&n| f64::from(n)).sum();
        let e: f64 = self.energy[first..].iter().sum();
        Some((e / n, first))
    }
}

fn energy_to_lufs(energy: f64) -> f64 {
    -0.691 + 10.0 * energy.max(1e-30).log10()
}

fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

/// Streaming BS.1770-4 meter for one stereo track.
///
/// K-weighted energy is summed per 100 ms sub-block; 400 ms momentary blocks (for integrated
/// loudness) and 3 s short-term blocks (for the range) are sums of the last 4 and 30 of them,
/// which is exactly the standard's 75 % (resp. 10 Hz) block overlap.
#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    rate: f64,
    stages: [Biquad; 2],
    /// Filter memories per channel: last two inputs, first-stage and second-stage outputs.
    state: [[f64; 6]; 2],
    /// Frames pushed so far.
    frames: u64,
    /// Sub-blocks completed so far; sub-block `i` ends at frame `floor((i + 1) * rate / 10)`,
    /// so rates not divisible by 10 do not drift.
    subs_done: u64,
    next_boundary: u64,
    /// Summed L² + R² of the sub-block being filled.
    acc: f64,
    /// Energy sums and frame counts of the last [`SHORT_TERM_SUBS`] sub-blocks (ring).
    ring: [(f64, u32); SHORT_TERM_SUBS],
    momentary: Histogram,
    short_term: Histogram,
    peak: f32,
}

impl LoudnessMeter {
    /// A meter for audio at `sample_rate` Hz (0 is treated as 48 kHz rather than dividing by 0).
    pub fn new(sample_rate: u32) -> Self {
        let rate = if sample_rate == 0 {
            48_000.0
        } else {
            f64::from(sample_rate)
        };
        let mut m = Self {
            rate,
            stages: k_weighting(rate),
            state: [[0.0; 6]; 2],
            frames: 0,
            subs_done: 0,
            next_boundary: 0,
            acc: 0.0,
            ring: [(0.0, 0); SHORT_TERM_SUBS],
            momentary: Histogram::new(),
            short_term: Histogram::new(),
            peak: 0.0,
        };
        m.next_boundary = m.boundary(1);
        m
    }

    fn boundary(&self, sub: u64) -> u64 {
        ((sub as f64 * self.rate / 10.0).floor() as u64).max(sub)
    }

    /// Feeds interleaved stereo frames (mono sources: the same sample on both sides; BS.1770
    /// weights a mono file played on two speakers the same way).
    pub fn push(&mut self, stereo: &[[f32; 2]]) {
        let mut rest = stereo;
        while !rest.is_empty() {
            let room = (self.next_boundary - self.frames) as usize;
            let (chunk, tail) = rest.split_at(room.min(rest.len()));
            self.filter(chunk);
            self.frames += chunk.len() as u64;
            rest = tail;
            if self.frames == self.next_boundary {
                self.close_sub_block();
            }
        }
    }

    /// K-weights a chunk inside one sub-block, adding its energy and tracking the peak.
    ///
    /// Direct form I, with the second stage reading the first stage's output history as its
    /// input history. Each channel's state is copied into named locals so it stays in
    /// registers: the loop is bound by the latency of the recursive terms, and per sample only
    /// one multiply-add per stage sits on that path.
    fn filter(&mut self, chunk: &[[f32; 2]]) {
        let [s1, s2] = self.stages;
        let [
            [mut lx1, mut lx2, mut ly1, mut ly2, mut lv1, mut lv2],
            [mut rx1, mut rx2, mut ry1, mut ry2, mut rv1, mut rv2],
        ] = self.state;
        let (mut acc_l, mut acc_r) = (0.0f64, 0.0f64);
        let mut peak = self.peak;
        for frame in chunk {
            let (l, r) = (sanitize(frame[0]), sanitize(frame[1]));
            peak = peak.max(l.abs()).max(r.abs());
            let (l, r) = (f64::from(l), f64::from(r));
            let ly = s1.b0 * l + s1.b1 * lx1 + s1.b2 * lx2 - s1.a2 * ly2 - s1.a1 * ly1;
            let ry = s1.b0 * r + s1.b1 * rx1 + s1.b2 * rx2 - s1.a2 * ry2 - s1.a1 * ry1;
            // The high-pass numerator is exactly 1, -2, 1.
            let lv = (ly - 2.0 * ly1 + ly2) - s2.a2 * lv2 - s2.a1 * lv1;
            let rv = (ry - 2.0 * ry1 + ry2) - s2.a2 * rv2 - s2.a1 * rv1;
            (lx2, lx1, ly2, ly1, lv2, lv1) = (lx1, l, ly1, ly, lv1, lv);
            (rx2, rx1, ry2, ry1, rv2, rv1) = (rx1, r, ry1, ry, rv1, rv);
            acc_l += lv * lv;
            acc_r += rv * rv;
        }
        let mut st = [[lx1, lx2, ly1, ly2, lv1, lv2], [rx1, rx2, ry1, ry2, rv1, rv2]];
        let mut acc = acc_l + acc_r;
        // A filter fed garbage earlier cannot recover by itself; reset it instead of spreading NaN.
        if !st.iter().flatten().all(|v| v.is_finite()) || !acc.is_finite() {
            st = [[0.0; 6]; 2];
            acc = 0.0;
        }
        self.state = st;
        self.acc += acc;
        self.peak = peak;
    }

    fn close_sub_block(&mut self) {
        let len = (self.next_boundary - self.boundary(self.subs_done)) as u32;
        self.ring[(self.subs_done % SHORT_TERM_SUBS as u64) as usize] = (self.acc, len);
        self.acc = 0.0;
        self.subs_done += 1;
        self.next_boundary = self.boundary(self.subs_done + 1);
        let block = |n: usize, ring: &[(f64, u32)], done: u64| {
            let (e, len) = (0..n)
                .map(|i| ring[((done - 1 - i as u64) % SHORT_TERM_SUBS as u64) as usize])
                .fold((0.0, 0u64), |(e, l), (se, sl)| (e + se, l + u64::from(sl)));
            e / len.max(1) as f64
        };
        if self.subs_done >= MOMENTARY_SUBS as u64 {
            self.momentary.add(block(MOMENTARY_SUBS, &self.ring, self.subs_done));
        }
        if self.subs_done >= SHORT_TERM_SUBS as u64 {
            self.short_term.add(block(SHORT_TERM_SUBS, &self.ring, self.subs_done));
        }
    }

    /// The measurement, or None when no 400 ms block rose above -70 LUFS (silence, or under
    /// 0.4 s of audio).
    pub fn finish(self) -> Option<Loudness> {
        let (ungated, _) = self.momentary.mean_above(f64::NEG_INFINITY)?;
        let (gated, _) = self.momentary.mean_above(energy_to_lufs(ungated) + RELATIVE_GATE_LU)?;
        let integrated_lufs = energy_to_lufs(gated);
        let range_lu = self.range().unwrap_or(0.0);
        integrated_lufs.is_finite().then_some(Loudness {
            integrated_lufs,
            peak: self.peak,
            range_lu,
        })
    }

    /// Loudness range: spread between the 10th and 95th percentiles of the gated short-term
    /// loudness distribution.
    fn range(&self) -> Option<f64> {
        let h = &self.short_term;
        let (mean, _) = h.mean_above(f64::NEG_INFINITY)?;
        let gate = energy_to_lufs(mean) + RANGE_GATE_LU;
        let first = ((gate - HIST_MIN) / HIST_STEP).ceil().max(0.0) as usize;
        let counts = h.count.get(first..)?;
        let total: u64 = counts.iter().map(|&n| u64::from(n)).sum();
        if total == 0 {
            return None;
        }
        let percentile = |p: f64| {
            let want = (p * total as f64).max(1.0);
            let mut seen = 0u64;
            for (i, &n) in counts.iter().enumerate() {
                seen += u64::from(n);
                if seen as f64 >= want {
                    return HIST_MIN + (first + i) as f64 * HIST_STEP + HIST_STEP / 2.0;
                }
            }
            HIST_MAX
        };
        let lra = percentile(0.95) - percentile(0.10);
        lra.is_finite().then_some(lra.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(rate: u32, frames: impl Iterator<Item = [f32; 2]>) -> Option<Loudness> {
        let mut m = LoudnessMeter::new(rate);
        let buf: Vec<[f32; 2]> = frames.collect();
        // Odd block sizes exercise the sub-block bookkeeping.
        for chunk in buf.chunks(1234) {
            m.push(chunk);
        }
        m.finish()
    }

    fn sine(rate: u32, hz: f64, amp: f64, seconds: f64) -> impl Iterator<Item = [f32; 2]> {
        let n = (seconds * f64::from(rate)) as usize;
        (0..n).map(move |i| {
            let x = (amp * (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin()) as f32;
            [x, x]
        })
    }

    #[test]
    fn coefficients_match_the_48k_table() {
        let [s, h] = k_weighting(48_000.0);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-7;
        assert!(close(s.b0, 1.535_124_859_586_97) && close(s.b1, -2.691_696_189_406_38));
        assert!(close(s.b2, 1.198_392_810_852_85) && close(s.a1, -1.690_659_293_182_41));
        assert!(close(s.a2, 0.732_480_774_215_85));
        assert!(close(h.a1, -1.990_047_454_833_98) && close(h.a2, 0.990_072_250_366_21));
    }

    /// EBU Tech 3341 case 1 scaled: a 1 kHz sine of peak -20 dBFS in both channels has a mean
    /// square of 0.005 per channel; the -0.691 offset cancels K-weighting's +0.691 dB at 1 kHz,
    /// so it reads 10·log10(2 · 0.005) = -20.0 LUFS, and -23.0 LUFS in one channel only.
    #[test]
    fn sine_1k_reads_minus_20_stereo_at_all_rates() {
        for rate in [22_050, 44_100, 48_000, 96_000, 192_000] {
            let l = measure(rate, sine(rate, 1000.0, 0.1, 10.0)).expect("loud enough");
            // The bilinear transform bends the shelf a little (0.04 dB at 22.05 kHz), and the analog
            // prototype itself reads 0.02 dB under the 48 kHz table at 1 kHz.
            let tol = if rate < 44_100 { 0.05 } else { 0.03 };
            assert!((l.integrated_lufs + 20.0).abs() < tol, "{rate}: {l:?}");
            assert!((l.peak - 0.1).abs() < 1e-3);
            assert!(l.range_lu < 0.1);
            let mono = measure(rate, sine(rate, 1000.0, 0.1, 10.0).map(|[l, _]| [l, 0.0])).expect("loud");
            // One channel is exactly 10·log10(2) = 3.01 dB below two.
            assert!(
                (mono.integrated_lufs - l.integrated_lufs + 3.0103).abs() < 1e-3,
                "{rate}: {mono:?}"
            );
        }
    }

    #[test]
    fn silence_and_short_input_give_none() {
        assert!(measure(48_000, std::iter::repeat_n([0.0; 2], 480_000)).is_none());
        assert!(measure(48_000, sine(48_000, 1000.0, 0.5, 0.3)).is_none());
        assert!(measure(48_000, sine(48_000, 1000.0, 1e-5, 5.0)).is_none());
        assert!(LoudnessMeter::new(0).finish().is_none());
    }

    #[test]
    fn relative_gate_ignores_quiet_parts() {
        // 10 s at -20 LUFS then 10 s 30 dB quieter: the quiet half falls under the gate (only
        // the blocks straddling the step count, hence not exactly -20).
        let rate = 48_000;
        let l = measure(
            rate,
            sine(rate, 1000.0, 0.1, 10.0).chain(sine(rate, 1000.0, 0.1 / 31.62, 10.0)),
        )
        .expect("loud");
        assert!((l.integrated_lufs + 20.0).abs() < 0.1, "{l:?}");
        // 20 dB apart in 10 s halves: both within the range gate, LRA close to 20.
        let l = measure(
            rate,
            sine(rate, 1000.0, 0.1, 20.0).chain(sine(rate, 1000.0, 0.01, 20.0)),
        )
        .expect("loud");
        assert!((l.range_lu - 20.0).abs() < 1.0, "{l:?}");
    }

    #[test]
    fn garbage_samples_stay_finite() {
        let rate = 44_100;
        let mut frames: Vec<[f32; 2]> = sine(rate, 440.0, 0.5, 5.0).collect();
        frames[1000] = [f32::NAN, f32::INFINITY];
        frames[2000] = [f32::NEG_INFINITY, 1e30];
        frames[3000] = [f32::MAX, f32::MIN];
        let l = measure(rate, frames.into_iter()).expect("loud");
        assert!(l.integrated_lufs.is_finite() && l.range_lu.is_finite() && l.peak.is_finite());
        assert!(l.peak <= 16.0);
        let g = l.gain_db(REPLAYGAIN_TARGET_LUFS);
        assert!(g.is_finite() && g <= -20.0 * 16f64.log10() + 1e-9);
        let mut m = LoudnessMeter::new(rate);
        m.push(&vec![[f32::NAN; 2]; 100_000]);
        assert!(m.finish().is_none());
    }

    #[test]
    fn gain_is_peak_limited() {
        let l = Loudness {
            integrated_lufs: -30.0,
            peak: 0.5,
            range_lu: 0.0,
        };
        assert!((l.gain_db(-18.0) - 6.0206).abs() < 1e-3);
        let l = Loudness {
            integrated_lufs: -30.0,
            peak: 0.1,
            range_lu: 0.0,
        };
        assert!((l.gain_db(-18.0) - 12.0).abs() < 1e-9);
        let l = Loudness {
            integrated_lufs: -10.0,
            peak: 1.0,
            range_lu: 0.0,
        };
        assert!((l.gain_db(-18.0) + 8.0).abs() < 1e-9);
    }
}
