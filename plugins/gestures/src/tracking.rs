//! The hand model as the vision worker uses it: which files the settings ask for (and why
//! there are none), loading them, and the hands of a frame as the app sees them. Without the
//! `hands` feature each of these says there is no model.

use crate::seen::HandSeen;
use crate::settings::{CameraConfig, HandsChoice};

/// Where the model files are.
#[cfg(feature = "hands")]
pub type HandPaths = crate::hands::ModelPaths;
/// Where the model files are: nowhere, in a build without the `hands` feature.
#[cfg(not(feature = "hands"))]
pub type HandPaths = ();

/// A loaded hand tracker.
#[cfg(feature = "hands")]
pub type Tracker = crate::hands::HandTracker;
/// A loaded hand tracker: never, in a build without the `hands` feature.
#[cfg(not(feature = "hands"))]
pub type Tracker = std::convert::Infallible;

/// Thumb-to-index distance, in palm sizes, that reads as fully apart (pinch 0).
pub const PINCH_APART: f32 = 1.0;

/// The model files `config` asks for, when they are there, and a line saying what runs or
/// why not.
#[cfg(feature = "hands")]
pub fn paths(config: &CameraConfig) -> (Option<HandPaths>, String) {
    let full = match config.hands {
        HandsChoice::Off => return (None, "hands: off".into()),
        HandsChoice::Lite => false,
        HandsChoice::Full => true,
    };
    let paths = crate::hands::ModelPaths::in_dir(&config.models, full);
    let variant = if full { "full" } else { "lite" };
    let missing = [&paths.palm, &paths.landmark]
        .into_iter()
        .find(|p| !p.is_file())
        .map(|p| p.display().to_string());
    match missing {
        Some(missing) => (
            None,
            format!(
                "hands: no model ({} is missing; plugins/gestures/tools/fetch_hand_models.sh {} fetches it)",
                missing,
                config.models.display()
            ),
        ),
        None => (Some(paths), format!("hands: {variant} model on ONNX Runtime")),
    }
}

/// No model files: this build has no hand model.
#[cfg(not(feature = "hands"))]
pub fn paths(config: &CameraConfig) -> (Option<HandPaths>, String) {
    let why = match config.hands {
        HandsChoice::Off => "off",
        _ => "this build has no hand model (cargo feature `hands`)",
    };
    (None, format!("hands: {why}"))
}

/// Loads the models (on the worker thread: it takes a moment); why not when it cannot.
/// `mirrored`: the frames it will see are mirrored (which side a hand is depends on it).
#[cfg(feature = "hands")]
pub fn load(paths: HandPaths, mirrored: bool) -> Result<Tracker, String> {
    let config = crate::hands::TrackerConfig {
        mirrored,
        ..crate::hands::TrackerConfig::default()
    };
    crate::hands::HandModels::load(&paths, 1)
        .map(|m| crate::hands::HandTracker::new(m, config))
        .map_err(|e| e.to_string())
}

/// No model to load in this build.
#[cfg(not(feature = "hands"))]
pub fn load(_: HandPaths, _: bool) -> Result<Tracker, String> {
    Err("this build has no hand model".into())
}

/// The hands in a frame (`rgb`, `width` x `height`).
#[cfg(feature = "hands")]
pub fn track(tracker: &mut Tracker, rgb: &[u8], width: u32, height: u32) -> Result<Vec<HandSeen>, String> {
    use phosphene_controls::input::Which;
    let hands = tracker
        .process(rgb, width as usize, height as usize)
        .map_err(|e| e.to_string())?;
    Ok(hands
        .into_iter()
        // A hand whose landmarks are not numbers (a model's bad output) is not a hand.
        .filter(|h| h.landmarks.iter().flatten().all(|v| v.is_finite()) && h.openness.is_finite())
        .map(|h| HandSeen {
            side: match h.handedness.0 {
                crate::hands::Handedness::Left => Which::Left,
                crate::hands::Handedness::Right => Which::Right,
            },
            landmarks: h.landmarks.iter().map(|l| [l[0], l[1]]).collect(),
            palm: h.palm_centre,
            velocity: [0.0, 0.0],
            openness: h.openness,
            pinch: (1.0 - h.pinch / PINCH_APART).clamp(0.0, 1.0),
            pinched: h.pinched,
            confidence: h.confidence,
        })
        .collect())
}

/// No tracker exists in this build.
#[cfg(not(feature = "hands"))]
pub fn track(tracker: &mut Tracker, _: &[u8], _: u32, _: u32) -> Result<Vec<HandSeen>, String> {
    match *tracker {}
}
