//! Zones: named, normalised rectangles of the camera frame in which features
//! and gestures are measured separately, plus their validation and their
//! mapping onto the background model's cell grid.
//!
//! Coordinates are in 0..1 of the frame, x to the right and y down (image
//! convention), so a zone is independent of the camera's resolution.

use serde::{Deserialize, Serialize};

use super::MotionError;

/// Most zones a tracker accepts; bounds the per-frame cost (each zone walks
/// its own cells).
pub const MAX_ZONES: usize = 16;

/// A named rectangle of the frame, in normalised 0..1 coordinates (y down).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    /// Name used by mappings and in error messages.
    pub name: String,
    /// Left edge, 0..1 of the frame width.
    pub x0: f32,
    /// Top edge, 0..1 of the frame height.
    pub y0: f32,
    /// Right edge, 0..1 of the frame width; greater than `x0`.
    pub x1: f32,
    /// Bottom edge, 0..1 of the frame height; greater than `y0`.
    pub y1: f32,
}

impl Zone {
    /// A zone from its name and edges (not validated; see [`Zone::validate`]).
    pub fn new(name: impl Into<String>, x0: f32, y0: f32, x1: f32, y1: f32) -> Self {
        Self {
            name: name.into(),
            x0,
            y0,
            x1,
            y1,
        }
    }

    /// The whole frame, used for the frame-wide region.
    pub fn full_frame() -> Self {
        Self::new("frame", 0.0, 0.0, 1.0, 1.0)
    }

    /// Checks that the edges are finite, inside 0..1 and span a non-empty area.
    pub fn validate(&self) -> Result<(), MotionError> {
        let invalid = |reason: &str| MotionError::InvalidZone {
            name: self.name.clone(),
            reason: reason.to_owned(),
        };
        let edges = [self.x0, self.y0, self.x1, self.y1];
        if edges.iter().any(|v| !v.is_finite()) {
            return Err(invalid("edges must be finite"));
        }
        if edges.iter().any(|v| !(0.0..=1.0).contains(v)) {
            return Err(invalid("edges must lie in 0..1"));
        }
        if self.x1 <= self.x0 || self.y1 <= self.y0 {
            return Err(invalid("x1 must exceed x0 and y1 must exceed y0"));
        }
        Ok(())
    }

    /// Its edges, `[x0, y0, x1, y1]`.
    pub fn rect(&self) -> [f32; 4] {
        [self.x0, self.y0, self.x1, self.y1]
    }

    /// Maps a point in frame coordinates to this zone's 0..1 coordinates,
    /// clamped to the zone.
    pub fn to_zone(&self, (x, y): (f32, f32)) -> (f32, f32) {
        (
            ((x - self.x0) / (self.x1 - self.x0)).clamp(0.0, 1.0),
            ((y - self.y0) / (self.y1 - self.y0)).clamp(0.0, 1.0),
        )
    }
}

/// Validates a zone list: its length and every rectangle.
pub fn validate_zones(zones: &[Zone]) -> Result<(), MotionError> {
    if zones.len() > MAX_ZONES {
        return Err(MotionError::TooManyZones {
            max: MAX_ZONES,
            got: zones.len(),
        });
    }
    zones.iter().try_for_each(Zone::validate)
}

/// A zone's extent on the cell grid: half-open ranges of cell columns and rows,
/// never empty for a valid zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CellRect {
    /// First column.
    pub cx0: usize,
    /// One past the last column.
    pub cx1: usize,
    /// First row.
    pub cy0: usize,
    /// One past the last row.
    pub cy1: usize,
}

impl CellRect {
    /// The cells whose area overlaps `zone` on a `cols` x `rows` grid; at
    /// least one cell so that a tiny zone still measures something.
    pub fn of_zone(zone: &Zone, cols: usize, rows: usize) -> Self {
        let span = |lo: f32, hi: f32, n: usize| {
            let n_f = n as f32;
            // Float-to-int `as` saturates, so out-of-range values cannot wrap.
            let a = ((lo * n_f).floor() as usize).min(n.saturating_sub(1));
            let b = ((hi * n_f).ceil() as usize).clamp(a + 1, n.max(a + 1));
            (a, b)
        };
        let (cx0, cx1) = span(zone.x0, zone.x1, cols);
        let (cy0, cy1) = span(zone.y0, zone.y1, rows);
        Self { cx0, cx1, cy0, cy1 }
    }

    /// Number of cells covered.
    pub fn area(&self) -> usize {
        (self.cx1 - self.cx0) * (self.cy1 - self.cy0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_rectangles() {
        assert!(Zone::new("ok", 0.0, 0.0, 0.5, 1.0).validate().is_ok());
        for z in [
            Zone::new("nan", f32::NAN, 0.0, 0.5, 1.0),
            Zone::new("inf", 0.0, 0.0, f32::INFINITY, 1.0),
            Zone::new("out", -0.1, 0.0, 0.5, 1.0),
            Zone::new("empty", 0.5, 0.0, 0.5, 1.0),
            Zone::new("flipped", 0.0, 0.8, 1.0, 0.2),
        ] {
            let err = z.validate().expect_err(&z.name);
            assert!(err.to_string().contains(&z.name), "{err}");
        }
        let many = vec![Zone::full_frame(); MAX_ZONES + 1];
        assert!(matches!(validate_zones(&many), Err(MotionError::TooManyZones { .. })));
    }

    #[test]
    fn cell_rect_covers_zone_and_is_never_empty() {
        let r = CellRect::of_zone(&Zone::new("l", 0.0, 0.0, 0.5, 1.0), 160, 120);
        assert_eq!((r.cx0, r.cx1, r.cy0, r.cy1), (0, 80, 0, 120));
        let tiny = CellRect::of_zone(&Zone::new("t", 1.0, 1.0, 1.0, 1.0), 4, 3);
        assert_eq!(tiny.area(), 1);
        assert_eq!((tiny.cx0, tiny.cy0), (3, 2));
    }
}
