//! Tracking mode: per frame, each tracked hand's landmarks are predicted in
//! the ROI derived from its previous landmarks; the (costlier) palm detector
//! runs only when fewer than `max_hands` hands are tracked, and then at most
//! every `redetect_interval` frames while at least one hand is tracked.
//! Also derives the gesture features the app uses (openness, pinch).

use super::landmarks::{self, LANDMARKS};
use super::model::HandModels;
use super::palm::{self, PalmDetection};
use super::{Frame, HandsError, Roi};

/// Which hand, as seen by the person in front of the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handedness {
    /// The person's left hand.
    Left,
    /// The person's right hand.
    Right,
}

/// One tracked hand in a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Hand {
    /// 21 landmarks (x, y in 0..1 of the frame, z relative depth in units of the frame width).
    pub landmarks: [[f32; 3]; LANDMARKS],
    /// Centre of the palm (mean of wrist and the four finger MCPs), 0..1.
    pub palm_centre: [f32; 2],
    /// 0 for a fist .. 1 for an open hand.
    pub openness: f32,
    /// Thumb tip to index tip distance divided by the palm size.
    pub pinch: f32,
    /// Pinch state with hysteresis, stable against jitter.
    pub pinched: bool,
    /// Left or right hand, and the model's confidence in that.
    pub handedness: (Handedness, f32),
    /// The landmark model's hand-presence probability.
    pub confidence: f32,
}

/// Tracker settings.
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    /// Most hands to track at once.
    pub max_hands: usize,
    /// Minimum palm-detector score for a new hand.
    pub min_detection: f32,
    /// A tracked hand is dropped when its presence falls below this.
    pub min_presence: f32,
    /// While some hands are tracked, look for more every this many frames
    /// (1 = every frame, as MediaPipe does; larger saves CPU).
    pub redetect_interval: u32,
    /// True when the frame is already mirrored (selfie view); handedness is
    /// swapped otherwise, as the model assumes mirrored input.
    pub mirrored: bool,
    /// Pinch ratio below which a pinch starts.
    pub pinch_on: f32,
    /// Pinch ratio above which a pinch ends.
    pub pinch_off: f32,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            max_hands: 2,
            min_detection: 0.5,
            min_presence: 0.5,
            redetect_interval: 10,
            mirrored: false,
            pinch_on: 0.25,
            pinch_off: 0.4,
        }
    }
}

struct Track {
    roi: Roi,
    pinched: bool,
}

/// Tracks hands across frames.
pub struct HandTracker {
    models: HandModels,
    config: TrackerConfig,
    anchors: Vec<(f32, f32)>,
    tracks: Vec<Track>,
    frames_since_detection: u32,
}

impl HandTracker {
    /// A tracker over loaded models.
    pub fn new(models: HandModels, config: TrackerConfig) -> Self {
        Self {
            models,
            config,
            anchors: palm::anchors(),
            tracks: Vec::new(),
            frames_since_detection: 0,
        }
    }

    /// Forgets tracked hands, so the next frame runs the palm detector.
    pub fn reset(&mut self) {
        self.tracks.clear();
    }

    /// Runs only the palm detector on a frame (for diagnostics and benches).
    pub fn detect_palms(&mut self, rgb: &[u8], width: usize, height: usize) -> Result<Vec<PalmDetection>, HandsError> {
        let frame = Frame::new(rgb, width, height)?;
        self.palms(&frame)
    }

    fn palms(&mut self, frame: &Frame) -> Result<Vec<PalmDetection>, HandsError> {
        let (input, letterbox) = palm::preprocess(frame);
        let (boxes, scores) = self.models.run_palm(input)?;
        let max = self.config.max_hands;
        Ok(palm::decode(
            &boxes,
            &scores,
            &self.anchors,
            letterbox,
            self.config.min_detection,
            max,
        ))
    }

    /// Processes one frame (`rgb`: width*height*3 bytes) and returns the hands in it.
    pub fn process(&mut self, rgb: &[u8], width: usize, height: usize) -> Result<Vec<Hand>, HandsError> {
        let frame = Frame::new(rgb, width, height)?;
        let mut hands = Vec::new();
        let mut kept = Vec::new();
        for track in std::mem::take(&mut self.tracks) {
            if let Some((hand, next)) = self.landmarks(&frame, &track.roi, track.pinched)? {
                hands.push(hand);
                kept.push(next);
            }
        }
        self.tracks = kept;
        self.frames_since_detection = self.frames_since_detection.saturating_add(1);
        let want_more = self.tracks.len() < self.config.max_hands;
        let due = self.tracks.is_empty() || self.frames_since_detection >= self.config.redetect_interval;
        if want_more && due {
            self.frames_since_detection = 0;
            for det in self.palms(&frame)? {
                let roi = det.hand_roi();
                if self.tracks.len() >= self.config.max_hands || self.tracks.iter().any(|t| overlaps(&t.roi, &roi)) {
                    continue;
                }
                if let Some((hand, next)) = self.landmarks(&frame, &roi, false)? {
                    hands.push(hand);
                    self.tracks.push(next);
                }
            }
        }
        Ok(hands)
    }

    /// Runs the landmark model in `roi`; `None` when no hand is there.
    fn landmarks(&mut self, frame: &Frame, roi: &Roi, was_pinched: bool) -> Result<Option<(Hand, Track)>, HandsError> {
        let output = self.models.run_landmarks(landmarks::crop(frame, roi))?;
        if output.presence < self.config.min_presence {
            return Ok(None);
        }
        let points = landmarks::to_frame(&output, roi);
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        let mut normalised = points;
        for p in &mut normalised {
            *p = [p[0] / w, p[1] / h, p[2] / w];
        }
        let (pinch, openness) = features(&points);
        let pinched = if was_pinched {
            pinch < self.config.pinch_off
        } else {
            pinch < self.config.pinch_on
        };
        let right = if self.config.mirrored {
            1.0 - output.handedness
        } else {
            output.handedness
        };
        let handedness = if right >= 0.5 {
            (Handedness::Right, right)
        } else {
            (Handedness::Left, 1.0 - right)
        };
        let centre = [0, 5, 9, 13, 17].iter().fold([0.0, 0.0], |acc, &i| {
            [acc[0] + normalised[i][0] / 5.0, acc[1] + normalised[i][1] / 5.0]
        });
        let hand = Hand {
            landmarks: normalised,
            palm_centre: centre,
            openness,
            pinch,
            pinched,
            handedness,
            confidence: output.presence,
        };
        Ok(Some((
            hand,
            Track {
                roi: landmarks::next_roi(&points),
                pinched,
            },
        )))
    }
}

/// (pinch ratio, openness) from frame-pixel landmarks. The palm size is the
/// wrist to middle-MCP distance, which does not change as fingers move.
fn features(p: &[[f32; 3]; LANDMARKS]) -> (f32, f32) {
    let dist = |a: usize, b: usize| (p[a][0] - p[b][0]).hypot(p[a][1] - p[b][1]);
    let palm = dist(0, 9).max(1e-3);
    let pinch = dist(4, 8) / palm;
    // Fingertip-to-wrist over palm size: ~0.9 curled into a fist, ~1.9 straight.
    const FIST: f32 = 0.9;
    const OPEN: f32 = 1.8;
    let reach = [8, 12, 16, 20].iter().map(|&t| dist(0, t) / palm).sum::<f32>() / 4.0;
    (pinch, ((reach - FIST) / (OPEN - FIST)).clamp(0.0, 1.0))
}

/// Whether two ROIs cover the same hand: each centre inside the other's half-size.
fn overlaps(a: &Roi, b: &Roi) -> bool {
    let d = (a.cx - b.cx).hypot(a.cy - b.cy);
    d < a.width.min(b.width) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hand(tip_scale: f32, pinch_gap: f32) -> [[f32; 3]; LANDMARKS] {
        let mut p = [[0.0f32; 3]; LANDMARKS];
        p[9] = [0.0, -100.0, 0.0];
        for t in [8, 12, 16, 20] {
            p[t] = [0.0, -100.0 * tip_scale, 0.0];
        }
        p[4] = [pinch_gap, -100.0 * tip_scale, 0.0];
        p
    }

    #[test]
    fn openness_spans_fist_to_open() {
        assert_eq!(features(&hand(0.8, 50.0)).1, 0.0);
        assert_eq!(features(&hand(2.0, 50.0)).1, 1.0);
        assert!((features(&hand(2.0, 20.0)).0 - 0.2).abs() < 1e-5);
    }
}
