//! Corner-pin keystone: the output image is drawn into the quad whose corners the performer
//! drags onto the projection surface. The quad is a projective map (homography) of the unit
//! square; the projector pass samples the image through its inverse.

use serde::{Deserialize, Serialize};

/// Where the image's corners land on the projector, in output coordinates (0..1, y down):
/// top-left, top-right, bottom-right, bottom-left.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Keystone {
    /// The four corners as (x, y), in the order above.
    pub corners: [[f32; 2]; 4],
}

/// The untouched corners.
pub const IDENTITY_CORNERS: [[f32; 2]; 4] = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];

impl Default for Keystone {
    fn default() -> Self {
        Self {
            corners: IDENTITY_CORNERS,
        }
    }
}

/// A 3x3 projective matrix, row-major: `(x, y, w) = M (u, v, 1)`.
pub type Mat3 = [[f64; 3]; 3];

impl Keystone {
    /// True when the corners are where they started.
    pub fn is_identity(&self) -> bool {
        self.corners == IDENTITY_CORNERS
    }

    /// True when the quad is convex and not folded over (every turn the same way): only such
    /// quads are projective images of the square.
    pub fn is_valid(&self) -> bool {
        let c = self.corners.map(|p| [p[0] as f64, p[1] as f64]);
        let turns: Vec<f64> = (0..4)
            .map(|i| {
                let (a, b, d) = (c[i], c[(i + 1) % 4], c[(i + 2) % 4]);
                (b[0] - a[0]) * (d[1] - b[1]) - (b[1] - a[1]) * (d[0] - b[0])
            })
            .collect();
        turns.iter().all(|&t| t > 1e-9) || turns.iter().all(|&t| t < -1e-9)
    }

    /// Moves corner `i` to `to`, unless that would fold the quad; true if it moved.
    pub fn drag(&mut self, i: usize, to: [f32; 2]) -> bool {
        let mut next = *self;
        next.corners[i % 4] = [to[0].clamp(-0.5, 1.5), to[1].clamp(-0.5, 1.5)];
        let ok = next.is_valid();
        if ok {
            *self = next;
        }
        ok
    }

    /// The homography taking the unit square's corners to [`Keystone::corners`].
    pub fn square_to_quad(&self) -> Mat3 {
        let [p0, p1, p2, p3] = self.corners.map(|p| [p[0] as f64, p[1] as f64]);
        let (dx1, dx2, dx3) = (p1[0] - p2[0], p3[0] - p2[0], p0[0] - p1[0] + p2[0] - p3[0]);
        let (dy1, dy2, dy3) = (p1[1] - p2[1], p3[1] - p2[1], p0[1] - p1[1] + p2[1] - p3[1]);
        let (g, h) = if dx3.abs() < 1e-12 && dy3.abs() < 1e-12 {
            (0.0, 0.0)
        } else {
            let den = dx1 * dy2 - dx2 * dy1;
            ((dx3 * dy2 - dx2 * dy3) / den, (dx1 * dy3 - dx3 * dy1) / den)
        };
        [
            [p1[0] - p0[0] + g * p1[0], p3[0] - p0[0] + h * p3[0], p0[0]],
            [p1[1] - p0[1] + g * p1[1], p3[1] - p0[1] + h * p3[1], p0[1]],
            [g, h, 1.0],
        ]
    }

    /// The inverse map, output position to image position: what the projector pass uses.
    pub fn quad_to_square(&self) -> Mat3 {
        invert(&self.square_to_quad())
    }
}

/// Applies a homography to a point.
pub fn apply(m: &Mat3, p: [f64; 2]) -> [f64; 2] {
    let w = m[2][0] * p[0] + m[2][1] * p[1] + m[2][2];
    [
        (m[0][0] * p[0] + m[0][1] * p[1] + m[0][2]) / w,
        (m[1][0] * p[0] + m[1][1] * p[1] + m[1][2]) / w,
    ]
}

/// Inverse through the adjugate (the scale does not matter for a homography).
fn invert(m: &Mat3) -> Mat3 {
    let c = |r0: usize, r1: usize, c0: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    [
        [c(1, 2, 1, 2), -c(0, 2, 1, 2), c(0, 1, 1, 2)],
        [-c(1, 2, 0, 2), c(0, 2, 0, 2), -c(0, 1, 0, 2)],
        [c(1, 2, 0, 1), -c(0, 2, 0, 1), c(0, 1, 0, 1)],
    ]
}

/// The matrix as three WGSL `vec4` columns (`mat3x3<f32>` layout in a uniform block).
pub fn to_gpu(m: &Mat3) -> [[f32; 4]; 3] {
    std::array::from_fn(|col| [m[0][col] as f32, m[1][col] as f32, m[2][col] as f32, 0.0])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: [[f64; 2]; 4] = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];

    fn close(a: [f64; 2], b: [f32; 2]) -> bool {
        (a[0] - b[0] as f64).abs() < 1e-9 && (a[1] - b[1] as f64).abs() < 1e-9
    }

    #[test]
    fn untouched_is_the_identity() {
        let k = Keystone::default();
        assert!(k.is_identity());
        for m in [k.square_to_quad(), k.quad_to_square()] {
            for p in [[0.3, 0.7], [0.0, 1.0], [0.5, 0.5]] {
                let q = apply(&m, p);
                assert!((q[0] - p[0]).abs() < 1e-12 && (q[1] - p[1]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn corners_map_exactly_both_ways() {
        let k = Keystone {
            corners: [[0.1, 0.05], [0.93, 0.12], [0.85, 0.97], [0.02, 0.88]],
        };
        let (fwd, back) = (k.square_to_quad(), k.quad_to_square());
        for (s, c) in SQUARE.iter().zip(k.corners) {
            assert!(close(apply(&fwd, *s), c), "{s:?} -> {:?}, want {c:?}", apply(&fwd, *s));
            let b = apply(&back, [c[0] as f64, c[1] as f64]);
            assert!((b[0] - s[0]).abs() < 1e-6 && (b[1] - s[1]).abs() < 1e-6, "{b:?}");
        }
    }

    #[test]
    fn an_affine_quad_keeps_straight_midpoints() {
        // A parallelogram: no perspective, so the centre maps to the centre.
        let k = Keystone {
            corners: [[0.2, 0.1], [0.9, 0.1], [0.8, 0.9], [0.1, 0.9]],
        };
        let c = apply(&k.square_to_quad(), [0.5, 0.5]);
        assert!((c[0] - 0.5).abs() < 1e-6 && (c[1] - 0.5).abs() < 1e-6, "{c:?}");
    }

    #[test]
    fn a_drag_that_folds_the_quad_is_refused() {
        let mut k = Keystone::default();
        assert!(k.drag(0, [0.1, 0.1]));
        assert!(!k.drag(0, [1.2, 1.2]), "top-left past bottom-right folds the quad");
        assert_eq!(k.corners[0], [0.1, 0.1]);
    }

    #[test]
    fn gpu_layout_is_column_major() {
        let m = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]];
        assert_eq!(to_gpu(&m)[0], [1.0, 4.0, 7.0, 0.0]);
    }
}
