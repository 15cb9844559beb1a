//! End-to-end tests on synthetic clips: tracking accuracy, swipes, false
//! triggers under strobes, zones, hold-still and absorption, bad input.
//! Nothing here depends on wall-clock speed.

use super::clip::{Clip, ClipSpec, Path, StrobeArea};
use super::detect::{GestureKind, Region};
use super::features::ENERGY_TRIGGER;
use super::{MotionError, MotionFrame, MotionTracker, Zone};

/// Still frames given to the model before anything moves (1.2 s at 30 fps).
const LEARN_FRAMES: usize = 36;
/// Largest centroid error accepted while tracking, in frame units (Euclidean).
const CENTROID_TOLERANCE: f32 = 0.05;
/// Latest a swipe may be reported after the truth's last swipe frame, frames.
const SWIPE_LATENCY_FRAMES: usize = 3;

/// Runs a tracker with `zones` over the clip and returns every frame's output.
fn run(clip: &Clip, zones: Vec<Zone>) -> Vec<MotionFrame> {
    let mut tracker = MotionTracker::new(zones).expect("valid zones");
    clip.frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            tracker
                .process(f, clip.width, clip.height, Clip::time(i))
                .expect("valid frame")
                .clone()
        })
        .collect()
}

fn is_swipe(k: GestureKind) -> bool {
    matches!(
        k,
        GestureKind::SwipeLeft | GestureKind::SwipeRight | GestureKind::SwipeUp | GestureKind::SwipeDown
    )
}

/// Largest and mean centroid error over frames where the shape is in view,
/// moving, and has been for a few frames.
fn centroid_error(clip: &Clip, out: &[MotionFrame], from: usize) -> (f32, f32) {
    let errors: Vec<f32> = (from..out.len())
        .filter(|&i| out[i].frame.moving)
        .filter_map(|i| {
            let (tx, ty) = clip.truth[i]?;
            let (x, y) = out[i].frame.centroid;
            Some((x - tx).hypot(y - ty))
        })
        .collect();
    assert!(errors.len() > 60, "too few tracked frames: {}", errors.len());
    let max = errors.iter().fold(0.0f32, |a, &e| a.max(e));
    (max, errors.iter().sum::<f32>() / errors.len() as f32)
}

#[test]
fn centroid_follows_linear_and_circular_paths() {
    for (w, h) in [(320, 240), (640, 480)] {
        let spec = ClipSpec::new(w, h, 7)
            .then(Path::Absent, LEARN_FRAMES)
            .then(
                Path::Linear {
                    from: (0.2, 0.35),
                    to: (0.8, 0.65),
                },
                60,
            )
            .then(
                Path::Circle {
                    centre: (0.5, 0.5),
                    radius: 0.25,
                    turns: 1.0,
                },
                90,
            )
            .then(
                Path::RandomWalk {
                    start: (0.5, 0.5),
                    step: 0.02,
                },
                30,
            );
        let clip = spec.render();
        let out = run(&clip, Vec::new());
        let (max, mean) = centroid_error(&clip, &out, LEARN_FRAMES + 2);
        println!("{w}x{h}: centroid error max {max:.4} mean {mean:.4} (frame units)");
        assert!(max <= CENTROID_TOLERANCE, "max error {max}");
    }
}

#[test]
fn swipes_fire_once_in_the_right_direction_soon_after_the_end() {
    let cases = [
        ((0.2, 0.5), (0.75, 0.5), GestureKind::SwipeRight),
        ((0.8, 0.5), (0.25, 0.5), GestureKind::SwipeLeft),
        ((0.5, 0.75), (0.5, 0.3), GestureKind::SwipeUp),
        ((0.5, 0.3), (0.5, 0.75), GestureKind::SwipeDown),
    ];
    for (from, to, kind) in cases {
        let spec = ClipSpec::new(320, 240, 11)
            .then(Path::Absent, LEARN_FRAMES)
            .then(Path::Still(from), 15)
            .then(Path::Linear { from, to }, 9)
            .then(Path::Still(to), 30);
        let end = spec.segment_end(2);
        let clip = spec.render();
        let out = run(&clip, Vec::new());
        let swipes: Vec<_> = out
            .iter()
            .flat_map(|f| &f.events)
            .filter(|e| is_swipe(e.kind))
            .collect();
        assert_eq!(swipes.len(), 1, "{kind:?}: {swipes:?}");
        assert_eq!((swipes[0].kind, swipes[0].region), (kind, Region::Frame));
        let at = (swipes[0].t * 30.0).round() as usize;
        println!("{kind:?}: detected {} frame(s) after the end", at as i64 - end as i64);
        assert!(at.abs_diff(end) <= SWIPE_LATENCY_FRAMES, "{kind:?} at {at}, end {end}");
    }
}

#[test]
fn still_scene_and_strobes_trigger_nothing() {
    // 320x240 with light edges falling inside 2x2-pixel cells (x = 181 px,
    // y = 25 px), so half-lit cells occur.
    let still = || ClipSpec::new(320, 240, 3).then(Path::Absent, 300);
    let flashes = [40, 41, 90, 150, 151, 152, 220, 280];
    let global = flashes
        .iter()
        .fold(still(), |s, &f| s.strobe(f, 1.6, StrobeArea::Global));
    let partial = flashes.iter().fold(still(), |s, &f| {
        s.strobe(f, 1.6, StrobeArea::Rect([0.0, 0.105, 0.568, 1.0]))
    });
    for (name, spec) in [("still", still()), ("global", global), ("partial", partial)] {
        let out = run(&spec.render(), Vec::new());
        let max = out.iter().map(|f| f.frame.energy).fold(0.0f32, f32::max);
        println!("{name}: max energy {max:.4}");
        assert!(max < ENERGY_TRIGGER, "{name}: energy {max}");
        assert!(out.iter().all(|f| f.events.is_empty()), "{name}: events");
    }
}

#[test]
fn motion_in_one_zone_leaves_the_other_still() {
    let zones = vec![
        Zone::new("left", 0.0, 0.0, 0.5, 1.0),
        Zone::new("right", 0.5, 0.0, 1.0, 1.0),
    ];
    let spec = ClipSpec::new(320, 240, 5).then(Path::Absent, LEARN_FRAMES).then(
        Path::Circle {
            centre: (0.25, 0.55),
            radius: 0.1,
            turns: 2.0,
        },
        60,
    );
    let out = run(&spec.render(), zones);
    let peak = |z: usize| out.iter().map(|f| f.zones[z].energy).fold(0.0f32, f32::max);
    println!("left peak energy {:.3}, right {:.3}", peak(0), peak(1));
    assert!(peak(0) > 0.9);
    assert!(peak(1) < ENERGY_TRIGGER);
}

#[test]
fn hold_still_fires_and_a_still_performer_is_absorbed() {
    let spec = ClipSpec::new(160, 120, 9)
        .then(Path::Absent, LEARN_FRAMES)
        .then(
            Path::Linear {
                from: (0.3, 0.5),
                to: (0.6, 0.5),
            },
            15,
        )
        .then(Path::Still((0.6, 0.5)), 30 * 30);
    let stop = spec.segment_end(1);
    let out = run(&spec.render(), Vec::new());
    let holds: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, f)| f.events.iter().any(|e| e.kind == GestureKind::HoldStill))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert!((stop + 30..=stop + 36).contains(&holds[0]), "hold at {}", holds[0]);
    let present = |i: usize| out[i].frame.presence >= super::detect::HOLD_MIN_PRESENCE;
    assert!(present(stop + 90), "absorbed within 3 s");
    let gone = (stop..out.len()).find(|&i| !present(i)).expect("absorbed");
    println!("absorbed {:.1} s after stopping", (gone - stop) as f64 / 30.0);
    assert!(gone - stop <= 25 * 30);
}

#[test]
fn bad_input_is_refused_and_size_changes_reset() {
    let mut t = MotionTracker::new(Vec::new()).expect("no zones");
    assert_eq!(
        t.process(&[0; 10], 4, 4, 0.0).err(),
        Some(MotionError::BufferLength { expected: 16, got: 10 })
    );
    assert_eq!(t.process(&[], 0, 4, 0.0).err(), Some(MotionError::ZeroSize));
    assert_eq!(t.process(&[], usize::MAX, 2, 0.0).err(), Some(MotionError::TooLarge));
    assert_eq!(
        t.process(&[0; 16], 4, 4, f64::NAN).err(),
        Some(MotionError::NonFiniteTime)
    );
    assert!(t.process(&[0; 16], 4, 4, 1.0).is_ok());
    assert!(matches!(
        t.process(&[0; 16], 4, 4, 1.0),
        Err(MotionError::TimeNotIncreasing { .. })
    ));
    let clip = ClipSpec::new(320, 240, 1)
        .then(Path::Absent, 10)
        .then(
            Path::Linear {
                from: (0.2, 0.5),
                to: (0.8, 0.5),
            },
            10,
        )
        .render();
    for (i, f) in clip.frames.iter().enumerate() {
        assert!(t.process(f, 320, 240, 2.0 + Clip::time(i)).is_ok());
    }
    // Odd and tiny sizes, then a new size: each resets, nothing panics, and
    // the first frame after a reset reports no motion.
    let sizes = [(1, 1), (7, 3), (3, 700), (641, 479), (640, 480)];
    for (k, (w, h)) in sizes.into_iter().enumerate() {
        let frame = vec![128u8; w * h];
        let at = 10.0 + k as f64;
        let out = t.process(&frame, w, h, at).expect("any size");
        assert_eq!(out.frame.energy, 0.0);
        assert!(t.process(&frame, w, h, at + 0.5).is_ok());
    }
    assert!(MotionTracker::new(vec![Zone::new("bad", 0.5, 0.0, 0.2, 1.0)]).is_err());
    assert!(t.set_zones(vec![Zone::new("nan", 0.0, 0.0, f32::NAN, 1.0)]).is_err());
}
