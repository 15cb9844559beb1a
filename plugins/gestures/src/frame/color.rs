//! Pixel-format conversions (BT.601, full "JFIF" range) shared by frames,
//! readers and writers.
//!
//! Full range is used throughout so that our own y4m writer and reader round
//! trip exactly and so that camera YUYV and decoded JPEG agree; gesture
//! detection only needs consistent luma, not broadcast-exact levels.
//! Fixed-point (16.16) arithmetic keeps the per-pixel cost low.

/// Clamps an intermediate value into a byte.
fn clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// BT.601 luma of one RGB pixel.
pub(crate) fn luma(r: u8, g: u8, b: u8) -> u8 {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    clamp((19595 * r + 38470 * g + 7471 * b + 32768) >> 16)
}

/// BT.601 (Cb, Cr) of one RGB pixel, offset by 128.
fn chroma(r: u8, g: u8, b: u8) -> (i32, i32) {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let cb = (-11059 * r - 21709 * g + 32768 * b + (128 << 16) + 32768) >> 16;
    let cr = (32768 * r - 27439 * g - 5329 * b + (128 << 16) + 32768) >> 16;
    (cb, cr)
}

/// One Y'CbCr sample to RGB.
pub(crate) fn ycc_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let y = i32::from(y);
    let cb = i32::from(cb) - 128;
    let cr = i32::from(cr) - 128;
    [
        clamp(y + ((91881 * cr + 32768) >> 16)),
        clamp(y + ((-22554 * cb - 46802 * cr + 32768) >> 16)),
        clamp(y + ((116130 * cb + 32768) >> 16)),
    ]
}

/// Luma plane of a packed RGB buffer.
pub(crate) fn rgb_to_luma(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3).map(|p| luma(p[0], p[1], p[2])).collect()
}

/// Gray to packed RGB (each sample repeated).
pub(crate) fn gray_to_rgb(gray: &[u8]) -> Vec<u8> {
    gray.iter().flat_map(|&g| [g, g, g]).collect()
}

/// Width (or height) of a 4:2:0 chroma plane for a luma width (or height).
pub(crate) fn half(n: usize) -> usize {
    n.div_ceil(2)
}

/// Planar 4:2:0 to packed RGB; each chroma sample covers a 2x2 block.
pub(crate) fn yuv420_to_rgb(y: &[u8], u: &[u8], v: &[u8], w: usize, h: usize) -> Vec<u8> {
    let cw = half(w);
    let mut out = Vec::with_capacity(w * h * 3);
    for row in 0..h {
        let crow = (row / 2) * cw;
        for col in 0..w {
            let c = crow + col / 2;
            out.extend_from_slice(&ycc_to_rgb(y[row * w + col], u[c], v[c]));
        }
    }
    out
}

/// Planar 4:4:4 to packed RGB.
pub(crate) fn yuv444_to_rgb(y: &[u8], u: &[u8], v: &[u8]) -> Vec<u8> {
    y.iter()
        .zip(u)
        .zip(v)
        .flat_map(|((&y, &u), &v)| ycc_to_rgb(y, u, v))
        .collect()
}

/// Packed YUYV (Y0 U Y1 V per pixel pair) to packed RGB.
pub(crate) fn yuyv_to_rgb(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2 * 3);
    for q in data.chunks_exact(4) {
        out.extend_from_slice(&ycc_to_rgb(q[0], q[1], q[3]));
        out.extend_from_slice(&ycc_to_rgb(q[2], q[1], q[3]));
    }
    out
}

/// Packed RGB to planar 4:2:0; chroma is the average over each 2x2 block
/// (partial blocks at odd edges average what exists).
pub(crate) fn rgb_to_yuv420(rgb: &[u8], w: usize, h: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let y = rgb_to_luma(rgb);
    let (cw, ch) = (half(w), half(h));
    let mut u = Vec::with_capacity(cw * ch);
    let mut v = Vec::with_capacity(cw * ch);
    for by in 0..ch {
        for bx in 0..cw {
            let (mut su, mut sv, mut n) = (0, 0, 0);
            for row in (by * 2)..(by * 2 + 2).min(h) {
                for col in (bx * 2)..(bx * 2 + 2).min(w) {
                    let p = &rgb[(row * w + col) * 3..][..3];
                    let (cb, cr) = chroma(p[0], p[1], p[2]);
                    su += cb;
                    sv += cr;
                    n += 1;
                }
            }
            u.push(clamp((su + n / 2) / n));
            v.push(clamp((sv + n / 2) / n));
        }
    }
    (y, u, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primaries_round_trip_within_rounding() {
        for rgb in [
            [0u8, 0, 0],
            [255, 255, 255],
            [255, 0, 0],
            [0, 255, 0],
            [0, 0, 255],
            [12, 200, 99],
        ] {
            let y = luma(rgb[0], rgb[1], rgb[2]);
            let (cb, cr) = chroma(rgb[0], rgb[1], rgb[2]);
            let back = ycc_to_rgb(y, clamp(cb), clamp(cr));
            for c in 0..3 {
                assert!(
                    (i32::from(back[c]) - i32::from(rgb[c])).abs() <= 2,
                    "{rgb:?} -> {back:?}"
                );
            }
        }
    }

    #[test]
    fn odd_sizes_have_rounded_up_chroma() {
        let rgb = vec![128u8; 3 * 3 * 3];
        let (y, u, v) = rgb_to_yuv420(&rgb, 3, 3);
        assert_eq!((y.len(), u.len(), v.len()), (9, 4, 4));
        assert!(u.iter().chain(&v).all(|&c| c == 128));
    }
}
