//! Adaptive background model on a downsampled cell grid.
//!
//! Why a grid: per-pixel models cost ~10 ms at 640x480; averaging blocks of
//! pixels into about [`GRID_TARGET_COLS`] columns keeps the cost well under a
//! millisecond, averages sensor noise down, and gives both camera sizes the
//! same grid (and so the same behaviour).
//!
//! Per cell the model keeps a running mean and variance of the
//! light-normalised luma (see [`super::light`]). It yields two masks:
//! *foreground* (`|x - mean| > K_FOREGROUND * sigma`: something present that
//! is not the learnt scene) and *moving* (`|x - previous x| > K_MOTION *
//! sigma`: change since the last frame), since energy must answer to movement
//! while presence answers to what stands in view.

use super::light::LightNormaliser;

/// Grid columns aimed at; a cell is `width / GRID_TARGET_COLS` pixels square
/// (at least 1), so 320 and 640 wide frames both give 160 columns.
pub const GRID_TARGET_COLS: usize = 160;
/// Floor on a cell's standard deviation, in luma levels (0..255): camera noise
/// and compression the learnt variance may underestimate.
pub const SIGMA_FLOOR: f32 = 4.0;
/// A cell is foreground when it differs from the background mean by more than
/// this many standard deviations.
pub const K_FOREGROUND: f32 = 3.0;
/// A cell is moving when it differs from the previous frame by more than this
/// many standard deviations.
pub const K_MOTION: f32 = 3.0;
/// Seconds after a reset during which every cell learns at the cumulative
/// (fast) rate, so a still scene is learnt within about this long.
pub const WARMUP_S: f32 = 1.0;
/// Time constant of background cells' learning after warm-up, in seconds
/// (follows slow light drift).
pub const TAU_BACKGROUND_S: f32 = 3.0;
/// Time constant of foreground cells' learning, in seconds: a performer who
/// stands still is absorbed after roughly 2-3 times this.
pub const TAU_FOREGROUND_S: f32 = 6.0;

/// Learning-rate weight of one step of `dt` seconds for time constant `tau`.
fn rate(dt: f32, tau: f32) -> f32 {
    1.0 - (-dt / tau).exp()
}

/// The background model and its per-frame masks.
#[derive(Debug, Default)]
pub(crate) struct BackgroundModel {
    /// Frame size in pixels this model is laid out for.
    width: usize,
    height: usize,
    /// Cell edge in pixels.
    cell: usize,
    /// Grid size in cells.
    cols: usize,
    rows: usize,
    /// Whether the first frame after a reset has been taken.
    initialised: bool,
    /// Seconds learnt since the first frame after a reset.
    elapsed: f32,
    /// Current frame's cell averages.
    cur: Vec<f32>,
    /// Per-cell light gain of the current frame.
    gain: Vec<f32>,
    /// Learnt background mean (normalised luma).
    mean: Vec<f32>,
    /// Learnt background variance.
    var: Vec<f32>,
    /// Previous frame, normalised.
    prev: Vec<f32>,
    /// Per-cell foreground flags of the latest frame.
    foreground: Vec<bool>,
    /// Per-cell moving flags of the latest frame.
    moving: Vec<bool>,
    /// Row of pixel sums being accumulated (scratch).
    row_sums: Vec<u32>,
    /// Light gain estimator.
    light: LightNormaliser,
}

impl BackgroundModel {
    /// The frame size the model is laid out for, `(0, 0)` before any frame.
    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Grid columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Grid rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Cell edge in pixels.
    pub fn cell(&self) -> usize {
        self.cell
    }

    /// Foreground flags of the latest frame, row-major.
    pub fn foreground(&self) -> &[bool] {
        &self.foreground
    }

    /// Moving flags of the latest frame, row-major.
    pub fn moving(&self) -> &[bool] {
        &self.moving
    }

    /// Lays the model out for `width` x `height` frames (both non-zero) and
    /// forgets everything learnt.
    pub fn reset(&mut self, width: usize, height: usize) {
        self.width = width;
        self.height = height;
        self.cell = (width / GRID_TARGET_COLS).clamp(1, height.max(1));
        self.cols = width / self.cell;
        self.rows = height / self.cell;
        let n = self.cols * self.rows;
        for v in [&mut self.cur, &mut self.gain, &mut self.mean, &mut self.prev] {
            v.clear();
            v.resize(n, 0.0);
        }
        self.var.clear();
        self.var.resize(n, SIGMA_FLOOR * SIGMA_FLOOR);
        for m in [&mut self.foreground, &mut self.moving] {
            m.clear();
            m.resize(n, false);
        }
        self.row_sums.clear();
        self.row_sums.resize(self.cols, 0);
        self.light.resize(self.cols, self.rows);
        self.initialised = false;
        self.elapsed = 0.0;
    }

    /// Takes one frame (`luma` already checked to match the laid-out size)
    /// taken `dt` seconds after the previous one.
    pub fn update(&mut self, luma: &[u8], dt: f32) {
        self.downsample(luma);
        if !self.initialised {
            self.mean.copy_from_slice(&self.cur);
            self.prev.copy_from_slice(&self.cur);
            self.initialised = true;
            return;
        }
        self.light.gains(&self.cur, &self.mean, self.cols, &mut self.gain);
        // Cumulative averaging while young learns a still scene in ~WARMUP_S;
        // afterwards foreground cells learn slowly so a still performer stays
        // visible for a while but is absorbed in the end.
        let cumulative = dt / (self.elapsed + dt).max(f32::EPSILON);
        let a_bg = cumulative.max(rate(dt, TAU_BACKGROUND_S));
        let a_fg = if self.elapsed < WARMUP_S {
            a_bg
        } else {
            rate(dt, TAU_FOREGROUND_S)
        };
        self.elapsed += dt;
        let cells = self
            .cur
            .iter()
            .zip(&self.gain)
            .zip(self.mean.iter_mut().zip(self.var.iter_mut()))
            .zip(self.prev.iter_mut())
            .zip(self.foreground.iter_mut().zip(self.moving.iter_mut()));
        for ((((&x, &g), (m, v)), p), (fg, mv)) in cells {
            let x = x / g;
            let sigma = v.sqrt().max(SIGMA_FLOOR);
            let d = x - *m;
            *fg = d.abs() > K_FOREGROUND * sigma;
            // Two noisy samples differ with sqrt(2) times one sample's sigma.
            *mv = (x - *p).abs() > K_MOTION * std::f32::consts::SQRT_2 * sigma;
            if *fg {
                *m += a_fg * d;
            } else {
                *m += a_bg * d;
                *v += a_bg * (d * d - *v);
            }
            *p = x;
        }
    }

    /// Averages each cell's pixels into `cur`.
    fn downsample(&mut self, luma: &[u8]) {
        let (c, w) = (self.cell, self.width);
        let inv_area = 1.0 / (c * c) as f32;
        for (cy, out) in self.cur.chunks_exact_mut(self.cols).enumerate() {
            self.row_sums.fill(0);
            for py in cy * c..(cy + 1) * c {
                let row = &luma[py * w..py * w + self.cols * c];
                for (sum, px) in self.row_sums.iter_mut().zip(row.chunks_exact(c)) {
                    *sum += px.iter().map(|&p| u32::from(p)).sum::<u32>();
                }
            }
            for (o, &s) in out.iter_mut().zip(&self.row_sums) {
                *o = s as f32 * inv_area;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_the_same_for_both_camera_sizes_and_never_empty() {
        let mut m = BackgroundModel::default();
        m.reset(320, 240);
        assert_eq!((m.cols(), m.rows(), m.cell()), (160, 120, 2));
        m.reset(640, 480);
        assert_eq!((m.cols(), m.rows(), m.cell()), (160, 120, 4));
        m.reset(1000, 1);
        assert_eq!((m.cols(), m.rows(), m.cell()), (1000, 1, 1));
    }

    #[test]
    fn still_scene_is_learnt_and_a_new_object_is_foreground() {
        let (w, h) = (64, 48);
        let scene: Vec<u8> = (0..w * h).map(|i| 50 + (i * 7 % 90) as u8).collect();
        let mut m = BackgroundModel::default();
        m.reset(w, h);
        for _ in 0..30 {
            m.update(&scene, 1.0 / 30.0);
        }
        assert!(!m.foreground().iter().any(|&f| f));
        let mut lit = scene.clone();
        lit[..w * 8].fill(250);
        m.update(&lit, 1.0 / 30.0);
        let fg = m.foreground().iter().filter(|&&f| f).count();
        assert_eq!(fg, m.cols() * 8 / m.cell());
    }
}
