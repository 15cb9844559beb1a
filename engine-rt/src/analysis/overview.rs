//! Waveform overview of a whole track: what a deck's waveform displays draw, computed once on
//! the loader thread so the UI never touches the samples.

use crate::track::Track;

/// Overview columns per second of audio: fine enough for a zoomed view of a few seconds,
/// small enough (400 bytes a second) for a whole set.
pub const BINS_PER_SECOND: f64 = 100.0;

/// Per column: peak level and the energies of the low (< 200 Hz), mid and high (> 2.5 kHz)
/// bands, each 0..255 on a square-root scale so quiet passages stay visible.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overview {
    /// Columns in time order, `[peak, low, mid, high]`.
    pub bins: Vec<[u8; 4]>,
}

impl Overview {
    /// Columns per second of audio.
    pub const BINS_PER_SECOND: f64 = BINS_PER_SECOND;

    /// Computes the overview of a decoded track.
    pub fn of(track: &Track) -> Self {
        let rate = track.sample_rate.max(1) as f32;
        let bin = (rate as f64 / BINS_PER_SECOND).round().max(1.0) as usize;
        // One-pole splits: cheap, and the display needs colour, not precision.
        let a_low = 1.0 - (-2.0 * std::f32::consts::PI * 200.0 / rate).exp();
        let a_high = 1.0 - (-2.0 * std::f32::consts::PI * 2500.0 / rate).exp();
        let (mut low, mut not_high) = (0.0f32, 0.0f32);
        let scale = |x: f32| (x.sqrt().min(1.0) * 255.0) as u8;
        let bins = track
            .frames
            .chunks(bin)
            .map(|chunk| {
                let mut peak = 0.0f32;
                let mut e = [0.0f32; 3];
                for f in chunk {
                    let x = (f[0] + f[1]) * 0.5;
                    peak = peak.max(f[0].abs()).max(f[1].abs());
                    low += a_low * (x - low);
                    not_high += a_high * (x - not_high);
                    let high = x - not_high;
                    let mid = not_high - low;
                    e[0] += low * low;
                    e[1] += mid * mid;
                    e[2] += high * high;
                }
                let n = chunk.len() as f32;
                // RMS, doubled so a full-scale sine reaches the top of the scale.
                let band = |s: f32| scale(2.0 * (s / n).sqrt());
                [scale(peak), band(e[0]), band(e[1]), band(e[2])]
            })
            .collect();
        Self { bins }
    }

    /// Duration the overview covers, in seconds.
    pub fn seconds(&self) -> f64 {
        self.bins.len() as f64 / BINS_PER_SECOND
    }

    /// Largest value of each field over `[from, to)` seconds: what one screen column shows when
    /// it spans several overview columns.
    pub fn max_over(&self, from: f64, to: f64) -> [u8; 4] {
        let a = (from.max(0.0) * BINS_PER_SECOND) as usize;
        let b = ((to.max(0.0) * BINS_PER_SECOND).ceil() as usize)
            .max(a + 1)
            .min(self.bins.len());
        self.bins.get(a..b).map_or([0; 4], |s| {
            s.iter().fold([0u8; 4], |m, v| std::array::from_fn(|i| m[i].max(v[i])))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f32, seconds: f32) -> Track {
        let rate = 48_000;
        let frames = (0..(seconds * rate as f32) as usize)
            .map(|i| {
                let x = (i as f32 * hz * std::f32::consts::TAU / rate as f32).sin() * 0.5;
                [x, x]
            })
            .collect();
        Track {
            name: "tone".into(),
            path: None,
            sample_rate: rate,
            frames,
            bpm: None,
            first_beat: 0.0,
        }
    }

    #[test]
    fn bands_follow_the_frequency() {
        let low = Overview::of(&tone(60.0, 1.0));
        let high = Overview::of(&tone(8000.0, 1.0));
        assert_eq!(low.bins.len(), 100);
        let [p, l, m, h] = low.bins[50];
        assert!(p > 170 && l > m && l > h, "60 Hz: {:?}", low.bins[50]);
        let [_, l, m, h] = high.bins[50];
        assert!(h > m && h > l, "8 kHz: {:?}", high.bins[50]);
        assert!((low.seconds() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn max_over_spans_columns_and_clamps() {
        let o = Overview {
            bins: vec![[1, 0, 0, 0], [9, 0, 0, 0], [3, 0, 0, 0]],
        };
        assert_eq!(o.max_over(0.0, 0.03)[0], 9);
        assert_eq!(o.max_over(0.025, 0.026)[0], 3);
        assert_eq!(o.max_over(5.0, 6.0), [0; 4]);
    }
}
