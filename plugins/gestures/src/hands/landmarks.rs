//! Landmark model pre- and post-processing: cropping the rotated hand ROI
//! out of the frame into the 224x224 input, mapping the 21 predicted points
//! back to the frame, and the next frame's ROI from those points (tracking).
//!
//! Handedness: MediaPipe assumes mirrored (selfie-view) input and calls the
//! model's handedness score "Left"; so for an unmirrored camera frame the
//! score is the probability of a right hand (checked on the drawn right
//! hand: 0.96). The tracker's `mirrored` flag picks the convention.

use super::model::{LANDMARK_INPUT, LandmarkOutput};
use super::{Frame, Roi, upright_rotation};

/// Number of hand landmarks.
pub const LANDMARKS: usize = 21;
/// Wrist and middle-finger MCP: their direction sets the ROI rotation.
const WRIST: usize = 0;
const MIDDLE_MCP: usize = 9;
/// Landmarks on the palm and the finger bases, which stay put when fingers
/// curl, so the ROI does not shrink when the hand closes (MediaPipe's choice).
const ROI_POINTS: [usize; 12] = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18];
/// MediaPipe's landmarks-to-ROI transform: shift up 0.1, square, scale 2.
const ROI_SHIFT_Y: f32 = -0.1;
const ROI_SCALE: f32 = 2.0;

/// Samples the ROI into the landmark model's NCHW 0..1 input.
pub fn crop(frame: &Frame, roi: &Roi) -> Vec<f32> {
    let plane = LANDMARK_INPUT * LANDMARK_INPUT;
    let mut input = vec![0.0; 3 * plane];
    let side = LANDMARK_INPUT as f32;
    for y in 0..LANDMARK_INPUT {
        let v = (y as f32 + 0.5) / side - 0.5;
        for x in 0..LANDMARK_INPUT {
            let u = (x as f32 + 0.5) / side - 0.5;
            let (fx, fy) = roi.to_frame(u, v);
            let rgb = frame.sample(fx, fy);
            for (c, val) in rgb.iter().enumerate() {
                input[c * plane + y * LANDMARK_INPUT + x] = *val;
            }
        }
    }
    input
}

/// Maps the model's crop-pixel landmarks to frame pixels; z is scaled like
/// x (pixels), relative to the wrist depth as the model predicts it.
pub fn to_frame(output: &LandmarkOutput, roi: &Roi) -> [[f32; 3]; LANDMARKS] {
    let side = LANDMARK_INPUT as f32;
    let mut out = [[0.0; 3]; LANDMARKS];
    for (i, p) in out.iter_mut().enumerate() {
        let raw = &output.landmarks[i * 3..i * 3 + 3];
        let (x, y) = roi.to_frame(raw[0] / side - 0.5, raw[1] / side - 0.5);
        *p = [x, y, raw[2] / side * roi.width];
    }
    out
}

/// The ROI for the next frame from this frame's landmarks (frame pixels):
/// rotation from wrist to middle MCP, the rotated bounding box of the palm
/// points, shifted, squared and enlarged.
pub fn next_roi(points: &[[f32; 3]; LANDMARKS]) -> Roi {
    let at = |i: usize| (points[i][0], points[i][1]);
    let rotation = upright_rotation(at(WRIST), at(MIDDLE_MCP));
    let (s, c) = rotation.sin_cos();
    // Express the points in the ROI's axes (inverse rotation) to get its extent.
    let (mut min, mut max) = ((f32::MAX, f32::MAX), (f32::MIN, f32::MIN));
    for &i in &ROI_POINTS {
        let (x, y) = at(i);
        let (u, v) = (x * c + y * s, -x * s + y * c);
        min = (min.0.min(u), min.1.min(v));
        max = (max.0.max(u), max.1.max(v));
    }
    let (mu, mv) = ((min.0 + max.0) / 2.0, (min.1 + max.1) / 2.0);
    let (cx, cy) = (mu * c - mv * s, mu * s + mv * c);
    Roi::from_rect(cx, cy, max.0 - min.0, max.1 - min.1, rotation, ROI_SHIFT_Y, ROI_SCALE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_of_axis_aligned_roi_reads_the_frame() {
        // Left half red, right half blue.
        let (w, h) = (40usize, 40usize);
        let mut rgb = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let o = (y * w + x) * 3;
                if x < w / 2 { rgb[o] = 255 } else { rgb[o + 2] = 255 }
            }
        }
        let frame = Frame::new(&rgb, w, h).expect("valid frame");
        let roi = Roi {
            cx: 20.0,
            cy: 20.0,
            width: 40.0,
            height: 40.0,
            rotation: 0.0,
        };
        let input = crop(&frame, &roi);
        let plane = LANDMARK_INPUT * LANDMARK_INPUT;
        assert!(input[10] > 0.99 && input[2 * plane + 10] < 0.01);
        assert!(input[LANDMARK_INPUT - 10] < 0.01 && input[2 * plane + LANDMARK_INPUT - 10] > 0.99);
    }

    #[test]
    fn landmarks_round_trip_through_the_roi() {
        let roi = Roi {
            cx: 100.0,
            cy: 80.0,
            width: 50.0,
            height: 50.0,
            rotation: 0.3,
        };
        let mut lm = vec![0.0; 63];
        lm[0] = 112.0;
        lm[1] = 112.0;
        let out = LandmarkOutput {
            landmarks: lm,
            presence: 1.0,
            handedness: 1.0,
        };
        let p = to_frame(&out, &roi);
        assert!((p[0][0] - 100.0).abs() < 1e-3 && (p[0][1] - 80.0).abs() < 1e-3);
    }

    #[test]
    fn next_roi_is_upright_square_around_upright_hand() {
        let mut pts = [[0.0f32; 3]; LANDMARKS];
        for (i, p) in pts.iter_mut().enumerate() {
            // A vertical line of points from y = 100 (wrist) up to y = 60.
            *p = [50.0 + (i % 3) as f32 * 10.0, 100.0 - 2.0 * i as f32, 0.0];
        }
        let roi = next_roi(&pts);
        assert!(roi.rotation.abs() < 0.2);
        assert_eq!(roi.width, roi.height);
    }
}
