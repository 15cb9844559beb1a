//! Decoded audio ready for the audio thread.

use std::path::PathBuf;

/// A decoded, resampled track: stereo frames at the engine rate plus its beat grid.
///
/// Memory: 8 bytes per frame, 384 KB per second at 48 kHz (23 MB a minute). The loader refuses
/// tracks longer than its configured limit so a set's memory stays bounded.
#[derive(Debug, Clone)]
pub struct Track {
    /// Display name (file stem).
    pub name: String,
    /// Where it was loaded from, if from a file.
    pub path: Option<PathBuf>,
    /// Sample rate of `frames` (always the engine rate).
    pub sample_rate: u32,
    /// Interleaved stereo frames; mono sources are duplicated.
    pub frames: Vec<[f32; 2]>,
    /// Tempo of the beat grid, if known.
    pub bpm: Option<f64>,
    /// Time of the first beat of the grid in seconds.
    pub first_beat: f64,
}

impl Track {
    /// Length in frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when the track holds no audio.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Duration in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames.len() as f64 / self.sample_rate as f64
    }

    /// Cubic (Catmull-Rom) read at a fractional frame; silence outside the track.
    #[inline(always)]
    pub fn read(&self, pos: f64) -> [f32; 2] {
        // Inside the track all four taps exist and truncation is the floor: one slice, no
        // per-tap bounds test. Edges, negative and non-finite positions take the general path.
        if pos >= 1.0 {
            let i = pos as i64;
            if let Some(taps) = self.frames.get(i as usize - 1..i as usize + 3) {
                let t = (pos - i as f64) as f32;
                return if t == 0.0 {
                    taps[1]
                } else {
                    catmull_rom([taps[0], taps[1], taps[2], taps[3]], t)
                };
            }
        }
        self.read_edge(pos)
    }

    /// [`Track::read`] where taps may fall outside the track (they read as silence).
    #[inline(never)]
    fn read_edge(&self, pos: f64) -> [f32; 2] {
        let n = self.frames.len() as i64;
        let i = pos.floor() as i64;
        if i < -2 || i > n + 1 {
            return [0.0; 2];
        }
        let t = (pos - i as f64) as f32;
        let at = |k: i64| {
            if k >= 0 && k < n {
                self.frames[k as usize]
            } else {
                [0.0; 2]
            }
        };
        if t == 0.0 {
            return at(i);
        }
        catmull_rom([at(i - 1), at(i), at(i + 1), at(i + 2)], t)
    }
}

/// Catmull-Rom interpolation between `p[1]` and `p[2]` at `t` in 0..1.
#[inline(always)]
fn catmull_rom(p: [[f32; 2]; 4], t: f32) -> [f32; 2] {
    let mut out = [0.0; 2];
    for c in 0..2 {
        let a = -0.5 * p[0][c] + 1.5 * p[1][c] - 1.5 * p[2][c] + 0.5 * p[3][c];
        let b = p[0][c] - 2.5 * p[1][c] + 2.0 * p[2][c] - 0.5 * p[3][c];
        let d = -0.5 * p[0][c] + 0.5 * p[2][c];
        out[c] = ((a * t + b) * t + d) * t + p[1][c];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> Track {
        Track {
            name: "ramp".into(),
            path: None,
            sample_rate: 48_000,
            frames: (0..100).map(|i| [i as f32, -(i as f32)]).collect(),
            bpm: Some(120.0),
            first_beat: 0.0,
        }
    }

    #[test]
    fn integer_reads_are_exact_and_cubic_is_linear_on_ramps() {
        let t = ramp();
        assert_eq!(t.read(10.0), [10.0, -10.0]);
        assert!((t.read(10.25)[0] - 10.25).abs() < 1e-5);
        assert_eq!(t.read(-10.0), [0.0, 0.0]);
    }
}
