//! The hand model on a hand the test draws (a shaded open hand at three poses): the palm
//! detector finds it and the wrist and fingertips land within a tenth of the picture of where
//! they were drawn, on the detection frame and on the tracking frame after it. The models and
//! ONNX Runtime come from the setup and test commands (`fetch_hand_models.sh` into
//! `assets/models/hands`, or `PHOSPHENE_HAND_MODELS`); without them each test says why it skips.
#![cfg(feature = "hands")]

use std::path::PathBuf;

use phosphene_gestures::hands::synthetic::draw_hand;
use phosphene_gestures::hands::{HandModels, HandTracker, HandsError, ModelPaths, TrackerConfig};

/// Landmark error allowed, as a share of the picture's width or height: the lite model (the
/// app's default) and the full one. The full model follows a drawn hand's flat shading less
/// closely (up to 0.13 here, against at most 0.044 for the lite one).
const TOLERANCE: [f32; 2] = [0.1, 0.15];

fn model_dir() -> PathBuf {
    std::env::var_os("PHOSPHENE_HAND_MODELS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/models/hands"),
        PathBuf::from,
    )
}

fn tracker(full: bool) -> Option<HandTracker> {
    match HandModels::load(&ModelPaths::in_dir(&model_dir(), full), 1) {
        Ok(models) => Some(HandTracker::new(models, TrackerConfig::default())),
        Err(e) => {
            eprintln!("skipped: the hand model cannot be had here: {e}");
            None
        }
    }
}

fn landmarks_land_on_the_drawn_hand(full: bool) {
    let Some(mut tracker) = tracker(full) else { return };
    let (w, h) = (640, 480);
    for (angle, offset) in [(0.0f32, (0.0, 0.0)), (0.4, (-60.0, 10.0)), (-0.5, (80.0, -20.0))] {
        tracker.reset();
        let drawn = draw_hand(w, h, 1.0, angle, offset);
        // Two frames: the palm detector finds it, then the landmarks' own box follows it.
        for pass in ["detection", "tracking"] {
            let hands = tracker.process(&drawn.rgb, w, h).expect("process");
            assert_eq!(hands.len(), 1, "angle {angle}, {pass}: expected one hand");
            let hand = &hands[0];
            let err = |lm: usize, truth: (f32, f32)| {
                let p = hand.landmarks[lm];
                (p[0] - truth.0 / w as f32).abs().max((p[1] - truth.1 / h as f32).abs())
            };
            let mut worst = err(0, drawn.wrist);
            for (lm, tip) in [4, 8, 12, 16, 20].into_iter().zip(drawn.tips) {
                worst = worst.max(err(lm, tip));
            }
            eprintln!(
                "full {full}, angle {angle}, {pass}: worst error {worst:.3}, presence {:.2}, openness {:.2}",
                hand.confidence, hand.openness
            );
            let tolerance = TOLERANCE[usize::from(full)];
            assert!(worst < tolerance, "angle {angle}, {pass}: worst landmark error {worst}");
            assert!(hand.openness > 0.7, "an open hand reads open: {}", hand.openness);
        }
    }
}

#[test]
fn the_lite_model_puts_the_landmarks_on_the_drawn_hand() {
    landmarks_land_on_the_drawn_hand(false);
}

#[test]
fn the_full_model_puts_the_landmarks_on_the_drawn_hand() {
    landmarks_land_on_the_drawn_hand(true);
}

#[test]
fn an_empty_picture_has_no_hands_and_a_wrong_size_is_an_error() {
    let Some(mut tracker) = tracker(false) else { return };
    let grey = vec![90u8; 320 * 240 * 3];
    assert!(tracker.process(&grey, 320, 240).expect("process").is_empty());
    assert!(matches!(tracker.process(&grey, 320, 241), Err(HandsError::Frame(_))));
}

#[test]
fn missing_model_files_are_an_error_naming_them() {
    let paths = ModelPaths {
        onnxruntime: None,
        palm: PathBuf::from("/nonexistent/palm.onnx"),
        landmark: PathBuf::from("/nonexistent/landmark.onnx"),
    };
    let e = HandModels::load(&paths, 1).err().expect("an error");
    assert_eq!(e.to_string(), "hand model: /nonexistent/palm.onnx: no such file");
}
