//! Light normalisation: estimates, per cell, the brightness gain between the
//! current frame and the learnt background, so that a projector strobe or an
//! exposure jump is divided out before anything is compared.
//!
//! Method. Under a change of lighting every surface's luma is multiplied by
//! the same factor (reflectance model; gamma keeps it multiplicative), while a
//! moving body changes cells by unrelated factors. So:
//! 1. each cell's ratio `r = current / background mean` is taken;
//! 2. the global gain is the median ratio (robust while the performer covers
//!    less than half the frame);
//! 3. the frame is cut into a coarse grid of blocks; a block whose ratios
//!    agree (small median absolute deviation) has a *light-like* gain, which
//!    is accepted if it matches the global gain or is shared by a large share
//!    of the blocks (a lit area, not a body);
//! 4. each cell may explain its ratio by any gain in the span of the accepted
//!    gains of its own and the 8 neighbouring blocks (the global gain when
//!    none is accepted there): its gain is its ratio clamped to that span.
//!
//! Limits: a lit area smaller than [`LIGHT_MIN_BLOCK_SHARE`] of the frame
//! reads as motion; near a light edge during a partial change, a body whose
//! brightness ratio falls between the two light levels is hidden for those
//! frames; a uniform body on a uniform wall changing many blocks by one
//! factor is indistinguishable from light; clipped (saturated) pixels break
//! the multiplicative model.

/// Nominal number of gain blocks across the frame.
pub const LIGHT_BLOCKS_X: usize = 8;
/// Nominal number of gain blocks down the frame.
pub const LIGHT_BLOCKS_Y: usize = 6;
/// Background means below this (luma levels, 0..255) give ratios too noisy to
/// estimate a gain from; such cells only receive one.
pub const DARK_CELL_LUMA: f32 = 24.0;
/// Floor on the background mean when forming a ratio (luma levels), so black
/// cells cannot divide by zero.
pub const RATIO_MEAN_FLOOR: f32 = 4.0;
/// A block's gain is light-like when its ratios' median absolute deviation is
/// at most this fraction of its median gain (unitless).
pub const BLOCK_MAX_SPREAD: f32 = 0.1;
/// Two gains match when they differ by at most this fraction (unitless).
pub const GAIN_MATCH: f32 = 0.06;
/// A gain that differs from the global one is accepted as light only when at
/// least this share of all blocks (0..1) shows it.
pub const LIGHT_MIN_BLOCK_SHARE: f32 = 0.15;
/// Fewest usable cells for a block's gain to count.
const BLOCK_MIN_CELLS: usize = 8;

/// Median of `v` (reordered in place), or `None` when empty.
fn median(v: &mut [f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f32::total_cmp);
    Some(*m)
}

/// Per-cell gain estimator with reusable scratch buffers.
#[derive(Debug, Default)]
pub(crate) struct LightNormaliser {
    /// Block index of each grid column.
    col_block: Vec<usize>,
    /// Block index of each grid row.
    row_block: Vec<usize>,
    /// Blocks across and down.
    blocks_x: usize,
    blocks_y: usize,
    /// Usable ratios of all cells (scratch for the global median).
    all: Vec<f32>,
    /// Usable ratios per block (scratch).
    per_block: Vec<Vec<f32>>,
    /// Light-like gain of each block, if its ratios agree.
    block_gain: Vec<Option<f32>>,
    /// Span of gains each block's cells may use.
    span: Vec<(f32, f32)>,
}

impl LightNormaliser {
    /// Lays out the blocks for a `cols` x `rows` grid.
    pub fn resize(&mut self, cols: usize, rows: usize) {
        self.blocks_x = LIGHT_BLOCKS_X.min(cols).max(1);
        self.blocks_y = LIGHT_BLOCKS_Y.min(rows).max(1);
        self.col_block = (0..cols).map(|c| c * self.blocks_x / cols).collect();
        self.row_block = (0..rows).map(|r| r * self.blocks_y / rows).collect();
        let n = self.blocks_x * self.blocks_y;
        self.per_block = vec![Vec::new(); n];
        self.block_gain = vec![None; n];
        self.span = vec![(1.0, 1.0); n];
    }

    /// Writes into `gain` the light gain of each cell of `cur` against `mean`
    /// (both row-major, `cols` wide, same length as `gain`).
    pub fn gains(&mut self, cur: &[f32], mean: &[f32], cols: usize, gain: &mut [f32]) {
        self.all.clear();
        self.per_block.iter_mut().for_each(Vec::clear);
        for (i, (&x, &m)) in cur.iter().zip(mean).enumerate() {
            let r = x / m.max(RATIO_MEAN_FLOOR);
            gain[i] = r;
            if m >= DARK_CELL_LUMA {
                self.all.push(r);
                let b = self.block_of(i, cols);
                self.per_block[b].push(r);
            }
        }
        let global = median(&mut self.all).unwrap_or(1.0);
        self.block_gains();
        self.spans(global);
        for (i, g) in gain.iter_mut().enumerate() {
            let (lo, hi) = self.span[self.block_of(i, cols)];
            *g = g.clamp(lo, hi);
        }
    }

    /// Block index of cell `i` on a grid `cols` wide.
    fn block_of(&self, i: usize, cols: usize) -> usize {
        self.row_block[i / cols] * self.blocks_x + self.col_block[i % cols]
    }

    /// Fills `block_gain` with each block's median ratio where its ratios agree.
    fn block_gains(&mut self) {
        for (ratios, out) in self.per_block.iter_mut().zip(&mut self.block_gain) {
            *out = None;
            if ratios.len() < BLOCK_MIN_CELLS {
                continue;
            }
            let Some(med) = median(ratios) else { continue };
            ratios.iter_mut().for_each(|r| *r = (*r - med).abs());
            let spread = median(ratios).unwrap_or(f32::INFINITY);
            if med > 0.0 && spread <= BLOCK_MAX_SPREAD * med {
                *out = Some(med);
            }
        }
    }

    /// Fills `span` for each block from the accepted gains around it.
    fn spans(&mut self, global: f32) {
        let matches = |a: f32, b: f32| (a - b).abs() <= GAIN_MATCH * a.max(b);
        let n = self.block_gain.len();
        let min_support = (LIGHT_MIN_BLOCK_SHARE * n as f32).ceil() as usize;
        let accepted: Vec<Option<f32>> = self
            .block_gain
            .iter()
            .map(|g| {
                g.filter(|&g| {
                    matches(g, global)
                        || self.block_gain.iter().flatten().filter(|&&o| matches(g, o)).count() >= min_support
                })
            })
            .collect();
        let (bx, by) = (self.blocks_x, self.blocks_y);
        for j in 0..by {
            for i in 0..bx {
                let mut span: Option<(f32, f32)> = None;
                for nj in j.saturating_sub(1)..(j + 2).min(by) {
                    for ni in i.saturating_sub(1)..(i + 2).min(bx) {
                        if let Some(g) = accepted[nj * bx + ni] {
                            span = Some(span.map_or((g, g), |(lo, hi)| (lo.min(g), hi.max(g))));
                        }
                    }
                }
                // No usable gain around (a body covers the neighbourhood):
                // fall back on the global gain.
                self.span[j * bx + i] = span.unwrap_or((global, global));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured background and a grid layout for the tests.
    fn scene(cols: usize, rows: usize) -> (Vec<f32>, LightNormaliser) {
        let mean = (0..cols * rows).map(|i| 40.0 + ((i * 37) % 100) as f32).collect();
        let mut n = LightNormaliser::default();
        n.resize(cols, rows);
        (mean, n)
    }

    #[test]
    fn global_gain_is_divided_out() {
        let (mean, mut n) = scene(40, 30);
        let cur: Vec<f32> = mean.iter().map(|m| m * 1.6).collect();
        let mut gain = vec![0.0; cur.len()];
        n.gains(&cur, &mean, 40, &mut gain);
        assert!(gain.iter().all(|g| (g - 1.6).abs() < 1e-3));
    }

    #[test]
    fn partial_light_is_explained_but_a_small_body_is_not() {
        let (cols, rows) = (40, 30);
        let (mean, mut n) = scene(cols, rows);
        // Left ~55 % lit; a bright 4x4-cell body sits in the unlit part.
        let body = |i: usize| (30..34).contains(&(i % cols)) && (10..14).contains(&(i / cols));
        let cur: Vec<f32> = mean
            .iter()
            .enumerate()
            .map(|(i, m)| match (i % cols < 22, body(i)) {
                (_, true) => 230.0,
                (true, _) => m * 1.6,
                _ => *m,
            })
            .collect();
        let mut gain = vec![0.0; cur.len()];
        n.gains(&cur, &mean, cols, &mut gain);
        for (i, g) in gain.iter().enumerate() {
            let normalised = cur[i] / g;
            if body(i) {
                assert!(normalised - mean[i] > 50.0, "body hidden at {i}");
            } else {
                assert!((normalised - mean[i]).abs() < 1.0, "light left at {i}");
            }
        }
    }
}
