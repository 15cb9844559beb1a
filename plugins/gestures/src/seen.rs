//! What the vision worker made of one frame, and the control-map input it becomes: every
//! continuous feature of every region and hand as a position 0..1, and each discrete gesture as
//! a one-frame press.

use std::time::Instant;

use phosphene_controls::input::{Gesture, HandFeature, MotionFeature, Region, Which};

/// Speed read as full scale (1.0): a region's (or the picture's) width travelled per second.
/// Four widths a second is a brisk sweep of the arm; faster reads 1.
pub const SPEED_FULL: f32 = 4.0;

/// Motion features of one region in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionSeen {
    /// The whole picture or a zone.
    pub region: Region,
    /// Where it is, `[x0, y0, x1, y1]` in 0..1 of the picture.
    pub rect: [f32; 4],
    /// Share of the region that moves, 0..1.
    pub energy: f32,
    /// Share of the region that differs from the learnt still scene, 0..1.
    pub presence: f32,
    /// Centre of the motion in the region, 0..1 from the left (held while nothing moves).
    pub x: f32,
    /// Centre of the motion in the region, 0..1 from the top, as images count.
    pub y: f32,
    /// Velocity of that centre, regions per second (x right, y down).
    pub velocity: [f32; 2],
    /// Box around the moving part, `[x0, y0, x1, y1]` in 0..1 of the region.
    pub bbox: Option<[f32; 4]>,
}

/// One tracked hand in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct HandSeen {
    /// The performer's left or right hand.
    pub side: Which,
    /// The 21 landmarks, `[x, y]` in 0..1 of the picture (images count y from the top).
    pub landmarks: Vec<[f32; 2]>,
    /// Palm centre, 0..1 of the picture.
    pub palm: [f32; 2],
    /// Palm velocity, pictures per second.
    pub velocity: [f32; 2],
    /// Fist (0) to open (1).
    pub openness: f32,
    /// Thumb and index apart (0) to touching (1).
    pub pinch: f32,
    /// Thumb and index pinched (with the tracker's hysteresis).
    pub pinched: bool,
    /// How sure the model is that this is a hand, 0..1.
    pub confidence: f32,
}

/// Where the hands of a frame come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandsFrom {
    /// The hand model.
    Model,
    /// No model runs (the reason is given): the picture's motion stands in for one hand, so
    /// bindings of `Hand(Any, X | Height | Speed)` still play.
    Motion(String),
}

/// Everything seen in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// When the frame was captured.
    pub captured: Instant,
    /// The frame's number since the source started.
    pub index: u64,
    /// The whole picture first, then each zone in the order drawn.
    pub regions: Vec<RegionSeen>,
    /// Tracked hands, the first seen first.
    pub hands: Vec<HandSeen>,
    /// Where the hands come from.
    pub hands_from: HandsFrom,
    /// Discrete gestures this frame.
    pub events: Vec<Gesture>,
}

fn speed(v: [f32; 2]) -> f64 {
    f64::from((v[0].hypot(v[1]) / SPEED_FULL).min(1.0))
}

impl RegionSeen {
    /// Its continuous features, as bindings name them.
    fn features(&self) -> [(MotionFeature, f64); 5] {
        [
            (MotionFeature::Energy, f64::from(self.energy)),
            (MotionFeature::Presence, f64::from(self.presence)),
            (MotionFeature::X, f64::from(self.x)),
            (MotionFeature::Height, f64::from(1.0 - self.y)),
            (MotionFeature::Speed, speed(self.velocity)),
        ]
    }
}

impl HandSeen {
    /// Its continuous features, as bindings name them.
    fn features(&self) -> [(HandFeature, f64); 5] {
        [
            (HandFeature::X, f64::from(self.palm[0])),
            (HandFeature::Height, f64::from(1.0 - self.palm[1])),
            (HandFeature::Openness, f64::from(self.openness)),
            (HandFeature::Pinch, f64::from(self.pinch)),
            (HandFeature::Speed, speed(self.velocity)),
        ]
    }
}

impl Seen {
    /// The control-map input of this frame: every continuous feature (each hand under its side
    /// and the first one also as `Any`; without a model, the picture's motion as `Any`), then
    /// each discrete gesture as a press and a release. A feature that is not a number (a
    /// model's bad output) is left out, and every value is held to 0..1, before any binding
    /// sees it.
    pub fn inputs(&self) -> Vec<(Gesture, f64)> {
        let mut out = Vec::with_capacity(self.regions.len() * 5 + self.hands.len() * 10 + 8);
        for r in &self.regions {
            out.extend(r.features().map(|(f, v)| (Gesture::Motion(r.region.clone(), f), v)));
        }
        for (i, h) in self.hands.iter().enumerate() {
            // Two hands read as one side (a tracker's mistake) would fight over a control:
            // the first of each side plays it.
            let side_taken = self.hands[..i].iter().any(|o| o.side == h.side);
            for (f, v) in h.features() {
                if !side_taken {
                    out.push((Gesture::Hand(h.side, f), v));
                }
                if i == 0 {
                    out.push((Gesture::Hand(Which::Any, f), v));
                }
            }
        }
        if let (HandsFrom::Motion(_), Some(frame)) = (&self.hands_from, self.regions.first()) {
            // Only the features motion can tell; openness and pinch need the model.
            let stand_in = frame.features();
            for (hand, motion) in [
                (HandFeature::X, MotionFeature::X),
                (HandFeature::Height, MotionFeature::Height),
                (HandFeature::Speed, MotionFeature::Speed),
            ] {
                if let Some((_, v)) = stand_in.iter().find(|(f, _)| *f == motion) {
                    out.push((Gesture::Hand(Which::Any, hand), *v));
                }
            }
        }
        for e in &self.events {
            out.push((e.clone(), 1.0));
            out.push((e.clone(), 0.0));
        }
        out.retain(|(_, v)| v.is_finite());
        for (_, v) in &mut out {
            *v = v.clamp(0.0, 1.0);
        }
        out
    }
}

/// The 21 landmarks' bones, as pairs of landmark indices (0 the wrist, 4 the thumb tip, 8, 12,
/// 16 and 20 the other fingertips), for drawing a hand.
pub const HAND_BONES: [(usize, usize); 21] = [
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 4),
    (0, 5),
    (5, 6),
    (6, 7),
    (7, 8),
    (5, 9),
    (9, 10),
    (10, 11),
    (11, 12),
    (9, 13),
    (13, 14),
    (14, 15),
    (15, 16),
    (13, 17),
    (17, 18),
    (18, 19),
    (19, 20),
    (0, 17),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn region(energy: f32, y: f32) -> RegionSeen {
        RegionSeen {
            region: Region::Frame,
            rect: [0.0, 0.0, 1.0, 1.0],
            energy,
            presence: 0.0,
            x: 0.5,
            y,
            velocity: [0.0, 0.0],
            bbox: None,
        }
    }

    #[test]
    fn values_that_are_not_numbers_never_reach_a_binding_and_the_rest_are_held_to_0_1() {
        let seen = Seen {
            captured: Instant::now(),
            index: 0,
            regions: vec![region(f32::NAN, 1.5)],
            hands: Vec::new(),
            hands_from: HandsFrom::Motion("off".into()),
            events: Vec::new(),
        };
        let inputs = seen.inputs();
        let energy = Gesture::Motion(Region::Frame, MotionFeature::Energy);
        assert!(!inputs.iter().any(|(g, _)| *g == energy), "{inputs:?}");
        assert!(inputs.iter().all(|(_, v)| (0.0..=1.0).contains(v)), "{inputs:?}");
        let height = Gesture::Hand(Which::Any, HandFeature::Height);
        assert!(
            inputs.contains(&(height, 0.0)),
            "the stand-in hand, held to the picture"
        );
    }
}
