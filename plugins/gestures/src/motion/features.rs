//! Per-region motion features measured from the background model's masks:
//! motion energy, presence, centroid, bounding box and centroid velocity.
//!
//! The centroid is where the *moving* thing is: the moving cells give a
//! robust box (trimmed quantiles, so stray noisy cells cannot stretch it) and
//! the centroid is taken over the foreground cells inside that box, i.e. the
//! body now rather than the union of where it was and where it is (the
//! frame difference alone lags by half a frame's travel).

use super::background::BackgroundModel;
use super::zones::{CellRect, Zone};

/// Share of a region's cells (0..1) that must be moving for energy to read 1;
/// a hand waving inside a zone moves roughly this share.
pub const ENERGY_FULL_SHARE: f32 = 0.04;
/// Energy (0..1) at or above which a region counts as moving: centroid and
/// velocity update and gesture detectors see motion.
pub const ENERGY_TRIGGER: f32 = 0.05;
/// Fewest moving cells for a region to count as moving, whatever its size.
pub const MIN_MOVING_CELLS: usize = 4;
/// Share of moving cells (0..1) trimmed from each side when taking the box.
pub const BBOX_TRIM: f32 = 0.02;
/// Cells added around the trimmed box before looking for the body in it.
pub const BBOX_MARGIN_CELLS: usize = 2;
/// Smoothing time constant of the velocity while moving, in seconds.
pub const VELOCITY_TAU_S: f32 = 0.05;
/// Decay time constant of the velocity once motion stops, in seconds.
pub const VELOCITY_DECAY_S: f32 = 0.1;
/// Speeds below this (zone widths per second) are snapped to zero.
pub const VELOCITY_EPSILON: f32 = 1e-3;

/// Motion features of one region (the whole frame or a zone) for one frame.
/// Positions are in 0..1 of the region, y down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Features {
    /// Motion energy, 0..1: share of moving cells scaled by [`ENERGY_FULL_SHARE`].
    pub energy: f32,
    /// Share of foreground (not background) cells, 0..1.
    pub presence: f32,
    /// Whether energy reached [`ENERGY_TRIGGER`] this frame.
    pub moving: bool,
    /// Where the moving body is; holds its last value while nothing moves.
    pub centroid: (f32, f32),
    /// Box `[x0, y0, x1, y1]` of the moving cells, `None` while nothing moves.
    pub bbox: Option<[f32; 4]>,
    /// Centroid velocity in region sizes per second; decays to 0 when still.
    pub velocity: (f32, f32),
    /// Magnitude of `velocity`.
    pub speed: f32,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            energy: 0.0,
            presence: 0.0,
            moving: false,
            centroid: (0.5, 0.5),
            bbox: None,
            velocity: (0.0, 0.0),
            speed: 0.0,
        }
    }
}

/// Scratch marginals of the moving cells, reused across regions.
#[derive(Debug, Default)]
pub(crate) struct Marginals {
    cols: Vec<u32>,
    rows: Vec<u32>,
}

/// The trimmed `[lo, hi)` range of a histogram holding `total` counts.
fn trimmed_range(hist: &[u32], total: u32) -> (usize, usize) {
    let cut = (BBOX_TRIM * total as f32) as u32;
    let mut acc = 0;
    let lo = hist
        .iter()
        .position(|&h| {
            acc += h;
            acc > cut
        })
        .unwrap_or(0);
    acc = 0;
    let hi = hist
        .iter()
        .rposition(|&h| {
            acc += h;
            acc > cut
        })
        .map_or(hist.len(), |i| i + 1);
    (lo, hi.max(lo + 1))
}

/// Tracks one region's features across frames.
#[derive(Debug)]
pub(crate) struct RegionTracker {
    /// The region in frame coordinates.
    zone: Zone,
    /// Latest features.
    features: Features,
}

impl RegionTracker {
    /// A tracker for `zone`, holding default features.
    pub fn new(zone: Zone) -> Self {
        Self {
            zone,
            features: Features::default(),
        }
    }

    /// Forgets the motion history (after a model reset).
    pub fn reset(&mut self) {
        self.features = Features::default();
    }

    /// Measures the region on the model's latest masks, `dt` seconds after the
    /// previous frame, and returns the new features.
    pub fn update(&mut self, bg: &BackgroundModel, dt: f32, scratch: &mut Marginals) -> Features {
        let (cols, rows) = (bg.cols(), bg.rows());
        let rect = CellRect::of_zone(&self.zone, cols, rows);
        let (w, h) = (rect.cx1 - rect.cx0, rect.cy1 - rect.cy0);
        scratch.cols.clear();
        scratch.cols.resize(w, 0);
        scratch.rows.clear();
        scratch.rows.resize(h, 0);
        let (mut moving_n, mut fg_n) = (0u32, 0u32);
        for (y, row_n) in scratch.rows.iter_mut().enumerate() {
            let start = (rect.cy0 + y) * cols + rect.cx0;
            let cells = bg.moving()[start..start + w]
                .iter()
                .zip(&bg.foreground()[start..start + w]);
            for ((&mv, &fg), col_n) in cells.zip(scratch.cols.iter_mut()) {
                *col_n += u32::from(mv);
                *row_n += u32::from(mv);
                fg_n += u32::from(fg);
            }
            moving_n += *row_n;
        }
        let area = rect.area() as f32;
        let prev = self.features;
        let mut f = Features {
            energy: (moving_n as f32 / area / ENERGY_FULL_SHARE).min(1.0),
            presence: fg_n as f32 / area,
            ..prev
        };
        f.moving = f.energy >= ENERGY_TRIGGER && moving_n as usize >= MIN_MOVING_CELLS;
        if f.moving {
            let (x0, x1) = trimmed_range(&scratch.cols, moving_n);
            let (y0, y1) = trimmed_range(&scratch.rows, moving_n);
            let boxed = CellRect {
                cx0: rect.cx0 + x0,
                cx1: rect.cx0 + x1,
                cy0: rect.cy0 + y0,
                cy1: rect.cy0 + y1,
            };
            let to_frame = |cx: f32, cy: f32| {
                let c = bg.cell() as f32;
                let (fw, fh) = bg.size();
                (cx * c / fw as f32, cy * c / fh as f32)
            };
            let a = self.zone.to_zone(to_frame(boxed.cx0 as f32, boxed.cy0 as f32));
            let b = self.zone.to_zone(to_frame(boxed.cx1 as f32, boxed.cy1 as f32));
            f.bbox = Some([a.0, a.1, b.0, b.1]);
            let (cx, cy) = body_centre(bg, grow(boxed, rect));
            f.centroid = self.zone.to_zone(to_frame(cx, cy));
            if prev.moving && dt > 0.0 {
                let raw = (
                    (f.centroid.0 - prev.centroid.0) / dt,
                    (f.centroid.1 - prev.centroid.1) / dt,
                );
                let a = 1.0 - (-dt / VELOCITY_TAU_S).exp();
                f.velocity.0 += a * (raw.0 - f.velocity.0);
                f.velocity.1 += a * (raw.1 - f.velocity.1);
            }
        } else {
            // Nothing moves: keep the centroid where it was, let the velocity die.
            f.bbox = None;
            let k = (-dt / VELOCITY_DECAY_S).exp();
            f.velocity = (f.velocity.0 * k, f.velocity.1 * k);
        }
        f.speed = f.velocity.0.hypot(f.velocity.1);
        if f.speed < VELOCITY_EPSILON {
            f.velocity = (0.0, 0.0);
            f.speed = 0.0;
        }
        self.features = f;
        f
    }
}

/// `r` widened by [`BBOX_MARGIN_CELLS`] on each side, kept inside `bounds`.
fn grow(r: CellRect, bounds: CellRect) -> CellRect {
    CellRect {
        cx0: r.cx0.saturating_sub(BBOX_MARGIN_CELLS).max(bounds.cx0),
        cx1: (r.cx1 + BBOX_MARGIN_CELLS).min(bounds.cx1),
        cy0: r.cy0.saturating_sub(BBOX_MARGIN_CELLS).max(bounds.cy0),
        cy1: (r.cy1 + BBOX_MARGIN_CELLS).min(bounds.cy1),
    }
}

/// Centre (in cell units) of the foreground cells in `r`, or of its moving
/// cells when no foreground is there (a body that matches the background).
fn body_centre(bg: &BackgroundModel, r: CellRect) -> (f32, f32) {
    let mean_of = |mask: &[bool]| {
        let (mut n, mut sx, mut sy) = (0u32, 0u64, 0u64);
        for cy in r.cy0..r.cy1 {
            let row = &mask[cy * bg.cols() + r.cx0..cy * bg.cols() + r.cx1];
            for (dx, _) in row.iter().enumerate().filter(|(_, on)| **on) {
                n += 1;
                sx += (r.cx0 + dx) as u64;
                sy += cy as u64;
            }
        }
        (n > 0).then(|| (sx as f32 / n as f32 + 0.5, sy as f32 / n as f32 + 0.5))
    };
    mean_of(bg.foreground())
        .or_else(|| mean_of(bg.moving()))
        .unwrap_or(((r.cx0 + r.cx1) as f32 / 2.0, (r.cy0 + r.cy1) as f32 / 2.0))
}
