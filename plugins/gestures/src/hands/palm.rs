//! Palm detector pre- and post-processing: letterboxing the frame into the
//! 192x192 input, decoding the SSD outputs against anchors generated here,
//! weighted non-maximum suppression, and the hand ROI for the landmark model.
//!
//! The anchor scheme is MediaPipe's SSD scheme for the 192x192 palm models:
//! feature maps with strides 8, 16, 16, 16 (two layers per map with
//! "interpolated scale" anchors, so 2 anchors per cell at stride 8 and
//! 6 per cell at stride 16), centre offset 0.5, aspect ratio 1 and a fixed
//! anchor size, which makes 24*24*2 + 12*12*6 = 2016 anchors — the number of
//! rows the model outputs.

use super::model::{PALM_ANCHORS, PALM_INPUT, PALM_VALUES};
use super::{Frame, Roi, upright_rotation};

/// Strides of the SSD layers of the palm models; consecutive equal strides
/// share one feature map.
const STRIDES: [usize; 4] = [8, 16, 16, 16];
/// Anchors per layer: aspect ratio 1 plus the interpolated-scale anchor.
const ANCHORS_PER_LAYER: usize = 2;
/// Raw scores are clipped before the sigmoid, as MediaPipe does.
const SCORE_CLIP: f32 = 100.0;
/// Keypoint 0 is the wrist, keypoint 2 the middle finger's MCP joint.
const WRIST: usize = 0;
const MIDDLE_MCP: usize = 2;
/// MediaPipe's palm-to-hand ROI: shift up half a box, square, scale 2.6.
const ROI_SHIFT_Y: f32 = -0.5;
const ROI_SCALE: f32 = 2.6;

/// Anchor centres (x, y) in 0..1 of the detector input, in output order.
pub fn anchors() -> Vec<(f32, f32)> {
    let mut out = Vec::with_capacity(PALM_ANCHORS);
    let mut layer = 0;
    while layer < STRIDES.len() {
        let stride = STRIDES[layer];
        let mut per_cell = 0;
        while layer < STRIDES.len() && STRIDES[layer] == stride {
            per_cell += ANCHORS_PER_LAYER;
            layer += 1;
        }
        let cells = PALM_INPUT.div_ceil(stride);
        for y in 0..cells {
            for x in 0..cells {
                let centre = ((x as f32 + 0.5) / cells as f32, (y as f32 + 0.5) / cells as f32);
                out.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
    }
    out
}

/// How a frame was fitted into the square detector input.
#[derive(Debug, Clone, Copy)]
pub struct Letterbox {
    scale: f32,
    pad_x: f32,
    pad_y: f32,
}

impl Letterbox {
    /// Maps detector-input pixels back to frame pixels.
    fn to_frame(self, x: f32, y: f32) -> (f32, f32) {
        ((x - self.pad_x) / self.scale, (y - self.pad_y) / self.scale)
    }
}

/// Letterboxes the frame into the detector's NCHW 0..1 input (black bars
/// keep the aspect ratio so the anchors see an undistorted hand).
pub fn preprocess(frame: &Frame) -> (Vec<f32>, Letterbox) {
    let side = PALM_INPUT as f32;
    let scale = side / frame.width().max(frame.height()) as f32;
    let pad_x = (side - frame.width() as f32 * scale) / 2.0;
    let pad_y = (side - frame.height() as f32 * scale) / 2.0;
    let lb = Letterbox { scale, pad_x, pad_y };
    let plane = PALM_INPUT * PALM_INPUT;
    let mut input = vec![0.0; 3 * plane];
    for y in 0..PALM_INPUT {
        let fy = (y as f32 + 0.5 - pad_y) / scale;
        if fy < 0.0 || fy >= frame.height() as f32 {
            continue;
        }
        for x in 0..PALM_INPUT {
            let fx = (x as f32 + 0.5 - pad_x) / scale;
            if fx < 0.0 || fx >= frame.width() as f32 {
                continue;
            }
            let rgb = frame.sample(fx, fy);
            for (c, v) in rgb.iter().enumerate() {
                input[c * plane + y * PALM_INPUT + x] = *v;
            }
        }
    }
    (input, lb)
}

/// One palm detection in frame pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct PalmDetection {
    /// Box centre and size (x, y, w, h).
    pub bbox: [f32; 4],
    /// The 7 palm keypoints (wrist first, middle-finger MCP third).
    pub keypoints: [(f32, f32); 7],
    /// Sigmoid score.
    pub score: f32,
}

impl PalmDetection {
    /// The rotated, enlarged square the landmark model should look at.
    pub fn hand_roi(&self) -> Roi {
        let rotation = upright_rotation(self.keypoints[WRIST], self.keypoints[MIDDLE_MCP]);
        let [cx, cy, w, h] = self.bbox;
        Roi::from_rect(cx, cy, w, h, rotation, ROI_SHIFT_Y, ROI_SCALE)
    }

    fn iou(&self, other: &Self) -> f32 {
        let span = |d: &Self, i: usize| (d.bbox[i] - d.bbox[i + 2] / 2.0, d.bbox[i] + d.bbox[i + 2] / 2.0);
        let overlap = |i: usize| {
            let (a0, a1) = span(self, i);
            let (b0, b1) = span(other, i);
            (a1.min(b1) - a0.max(b0)).max(0.0)
        };
        let inter = overlap(0) * overlap(1);
        let union = self.bbox[2] * self.bbox[3] + other.bbox[2] * other.bbox[3] - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }
}

/// Decodes detector outputs (`boxes`: 2016 x 18, `scores`: 2016 raw logits)
/// into detections above `min_score`, merged by weighted NMS and capped at
/// `max_detections`, best first.
pub fn decode(
    boxes: &[f32],
    scores: &[f32],
    anchors: &[(f32, f32)],
    letterbox: Letterbox,
    min_score: f32,
    max_detections: usize,
) -> Vec<PalmDetection> {
    let side = PALM_INPUT as f32;
    let mut candidates: Vec<PalmDetection> = Vec::new();
    for (i, (&raw, &(ax, ay))) in scores.iter().zip(anchors).enumerate() {
        let score = 1.0 / (1.0 + (-raw.clamp(-SCORE_CLIP, SCORE_CLIP)).exp());
        if score < min_score {
            continue;
        }
        let Some(r) = boxes.get(i * PALM_VALUES..(i + 1) * PALM_VALUES) else {
            break;
        };
        // Offsets are in input pixels relative to the anchor centre.
        let point = |dx: f32, dy: f32| letterbox.to_frame(dx + ax * side, dy + ay * side);
        let (cx, cy) = point(r[0], r[1]);
        let mut keypoints = [(0.0, 0.0); 7];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = point(r[4 + 2 * k], r[5 + 2 * k]);
        }
        let bbox = [cx, cy, r[2] / letterbox.scale, r[3] / letterbox.scale];
        candidates.push(PalmDetection { bbox, keypoints, score });
    }
    weighted_nms(candidates, max_detections)
}

/// MediaPipe's weighted NMS: each kept detection is the score-weighted mean
/// of the candidates overlapping the best one (IoU > 0.3), which steadies
/// the box from frame to frame compared with plain NMS.
fn weighted_nms(mut candidates: Vec<PalmDetection>, max_detections: usize) -> Vec<PalmDetection> {
    const MIN_IOU: f32 = 0.3;
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept = Vec::new();
    while !candidates.is_empty() && kept.len() < max_detections {
        let best = candidates[0].clone();
        let (group, rest): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|c| best.iou(c) > MIN_IOU);
        candidates = rest;
        let total: f32 = group.iter().map(|c| c.score).sum();
        let mut merged = PalmDetection {
            bbox: [0.0; 4],
            keypoints: [(0.0, 0.0); 7],
            score: best.score,
        };
        for c in &group {
            let w = c.score / total;
            for (m, v) in merged.bbox.iter_mut().zip(c.bbox) {
                *m += v * w;
            }
            for (m, v) in merged.keypoints.iter_mut().zip(c.keypoints) {
                m.0 += v.0 * w;
                m.1 += v.1 * w;
            }
        }
        kept.push(merged);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_count_matches_model_output() {
        let a = anchors();
        assert_eq!(a.len(), PALM_ANCHORS);
        assert_eq!(a[0], (0.5 / 24.0, 0.5 / 24.0));
        assert_eq!(a[24 * 24 * 2], (0.5 / 12.0, 0.5 / 12.0));
    }

    #[test]
    fn nms_merges_overlaps_and_keeps_separate_boxes() {
        let det = |x: f32, score: f32| PalmDetection {
            bbox: [x, 50.0, 20.0, 20.0],
            keypoints: [(x, 50.0); 7],
            score,
        };
        let out = weighted_nms(vec![det(10.0, 0.9), det(12.0, 0.9), det(100.0, 0.6)], 5);
        assert_eq!(out.len(), 2);
        assert!((out[0].bbox[0] - 11.0).abs() < 1e-4);
        assert_eq!(out[1].bbox[0], 100.0);
        assert_eq!(weighted_nms(vec![det(10.0, 0.9), det(100.0, 0.6)], 1).len(), 1);
    }

    #[test]
    fn letterbox_round_trips() {
        let rgb = vec![0u8; 64 * 32 * 3];
        let frame = Frame::new(&rgb, 64, 32).expect("valid frame");
        let (input, lb) = preprocess(&frame);
        assert_eq!(input.len(), 3 * PALM_INPUT * PALM_INPUT);
        let (x, y) = lb.to_frame(96.0, 96.0);
        assert!((x - 32.0).abs() < 1e-4 && (y - 16.0).abs() < 1e-4);
    }
}
