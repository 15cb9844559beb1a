//! Camera gestures as a performer meets them, with no camera: clips with known truth, made
//! here and played through the file source as the camera, through the motion features and the
//! control map to the engine. A raised hand plays the filter (the `filter-hand` preset), a
//! swipe changes the scene and a still or strobing room changes nothing, learn binds what
//! moved, a camera that vanishes is said and comes back, bad files are said and the show goes
//! on, and the command line takes `--camera` and `--gestures`.

mod common;
use common::rig::ControlRig;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use phosphene_controls::address::{ControlId, DeckControl, DeckRef, VisualControl};
use phosphene_controls::input::{Gesture, HandFeature, MotionFeature, Region, Which};
use phosphene_controls::mapping::file::Input;
use phosphene_controls::{ControlMoved, Learn, MappingPaths, Mappings, Source};
use phosphene_gestures::frame::y4m::Y4mWriter;
use phosphene_gestures::frame::{Frame, Pixels, Rate};
use phosphene_gestures::motion::Zone;
use phosphene_gestures::motion::clip::{ClipSpec, Path as Move, StrobeArea};
use phosphene_gestures::{CameraChoice, CameraConfig, CameraSettings, CameraView, GesturesPlugin, HandsChoice};

/// The longest a test waits for what it expects (the clips play at their own 30 fps).
const BOUND: Duration = Duration::from_secs(90);
const W: usize = 320;
const H: usize = 240;

/// The control-map rig, played by a camera, with every control move kept.
type Rig = ControlRig;

/// Every control move, kept for the test to read.
#[derive(Resource, Default)]
struct Moves(Vec<ControlMoved>);

fn keep_moves(mut moved: MessageReader<ControlMoved>, mut log: ResMut<Moves>) {
    log.0.extend(moved.read().copied());
}

impl ControlRig {
    fn new(camera: CameraChoice, settings: CameraSettings, extra: Vec<PathBuf>) -> Self {
        Self::with_hands(camera, settings, extra, HandsChoice::Off)
    }

    fn with_hands(camera: CameraChoice, settings: CameraSettings, extra: Vec<PathBuf>, hands: HandsChoice) -> Self {
        let mappings = MappingPaths {
            shipped: Some(assets().join("mappings")),
            extra,
            ..default()
        };
        Self::build(mappings, |app| {
            app.add_plugins(GesturesPlugin {
                config: CameraConfig {
                    camera: Some(camera),
                    hands,
                    models: models(),
                    settings,
                    ..default()
                },
            })
            .init_resource::<Moves>()
            .add_systems(PostUpdate, keep_moves);
        })
    }

    /// Runs frames until `done` holds; fails naming `what` after [`BOUND`].
    fn until(&mut self, what: &str, mut done: impl FnMut(&mut Self) -> bool) {
        let end = Instant::now() + BOUND;
        while !done(self) {
            assert!(Instant::now() < end, "timed out waiting for {what}");
            self.step();
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn view(&self) -> &CameraView {
        self.app.world().resource::<CameraView>()
    }

    fn filters(&self, deck: usize) -> Vec<f32> {
        self.applied_filters(deck).into_iter().map(|(_, f)| f).collect()
    }

    fn scene_changes(&self) -> usize {
        let next = ControlId::Visuals(VisualControl::SceneNext);
        self.app
            .world()
            .resource::<Moves>()
            .0
            .iter()
            .filter(|m| m.id == next && matches!(m.source, Source::Device(_)))
            .count()
    }
}

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

fn models() -> PathBuf {
    assets().join("models").join("hands")
}

fn preset(name: &str) -> PathBuf {
    phosphene_gestures::presets::resolve(name, &assets().join("gestures")).expect("preset")
}

/// Writes a clip's luma frames as a y4m file (30 fps).
fn write_clip(path: &Path, spec: ClipSpec) {
    let clip = spec.render();
    let file = std::io::BufWriter::new(std::fs::File::create(path).expect("create clip"));
    let mut w = Y4mWriter::new(file, W as u32, H as u32, Rate::fps(30), "clip").expect("y4m");
    for (i, luma) in clip.frames.into_iter().enumerate() {
        let frame = Frame::new(W as u32, H as u32, Pixels::Gray(luma), Instant::now(), i as u64).expect("frame");
        w.write_frame(&frame).expect("write frame");
    }
    w.finish().expect("finish clip");
}

/// One second of an empty room (the background is learnt), then a hand rising from low in
/// the picture to high in it over two seconds, then held high.
fn rising_hand() -> ClipSpec {
    ClipSpec::new(W, H, 7)
        .then(Move::Absent, 30)
        .then(
            Move::Linear {
                from: (0.5, 0.85),
                to: (0.5, 0.15),
            },
            60,
        )
        .then(Move::Still((0.5, 0.15)), 20)
}

#[test]
fn a_hand_raised_in_a_recorded_clip_plays_the_filter_with_the_filter_hand_preset() {
    let dir = common::temp_dir("gesture-filter");
    let clip = dir.join("hand.y4m");
    write_clip(&clip, rising_hand());
    let mut rig = Rig::new(
        CameraChoice::File(clip),
        CameraSettings::default(),
        vec![preset("filter-hand")],
    );
    rig.until("the filter to open towards high-pass", |r| {
        r.filters(0).iter().any(|f| *f > 0.5)
    });
    let filters = rig.filters(0);
    let low = filters.iter().position(|f| *f < -0.2);
    let high = filters.iter().position(|f| *f > 0.5);
    assert!(
        matches!((low, high), (Some(l), Some(h)) if l < h),
        "the hand low first closed the filter, then high opened it: {filters:?}"
    );
    assert!(
        rig.view().hands.contains("the picture's motion stands in for the hand"),
        "without the model the picture's motion plays the hand: {}",
        rig.view().hands
    );
    let deck = rig
        .app
        .world_mut()
        .query::<&phosphene_decks::Deck>()
        .iter(rig.app.world())
        .count();
    assert_eq!(deck, 2);
}

#[cfg(feature = "hands")]
#[test]
fn a_hand_raised_plays_the_filter_through_the_hand_model() {
    use phosphene_gestures::hands::synthetic::draw_hand;
    if !models().join("hand_landmark_lite.onnx").is_file() {
        eprintln!(
            "skipped: no hand model in {} (the test command fetches it)",
            models().display()
        );
        return;
    }
    let dir = common::temp_dir("gesture-model");
    let clip = dir.join("hand.y4m");
    let (w, h) = (640u32, 480u32);
    let file = std::io::BufWriter::new(std::fs::File::create(&clip).expect("create clip"));
    let mut y4m = Y4mWriter::new(file, w, h, Rate::fps(30), "clip").expect("y4m");
    // The hand held low for a second, then raised over two seconds and held high.
    for i in 0..120u64 {
        let rise = (i.saturating_sub(30) as f32 / 60.0).min(1.0);
        let rgb = draw_hand(w as usize, h as usize, 0.8, 0.0, (0.0, 110.0 - 220.0 * rise)).rgb;
        let frame = Frame::new(w, h, Pixels::Rgb(rgb), Instant::now(), i).expect("frame");
        y4m.write_frame(&frame).expect("write frame");
    }
    y4m.finish().expect("finish clip");
    let mut rig = Rig::with_hands(
        CameraChoice::File(clip),
        CameraSettings::default(),
        vec![preset("filter-hand")],
        HandsChoice::Lite,
    );
    rig.until("the hand model to run", |r| {
        r.view().hands.contains("lite model") || !r.view().notices.is_empty()
    });
    assert!(
        rig.view().hands.contains("lite model"),
        "{} {:?}",
        rig.view().hands,
        rig.view().notices
    );
    rig.until("the filter to open towards high-pass", |r| {
        r.filters(0).iter().any(|f| *f > 0.3)
    });
    let hands = rig
        .app
        .world_mut()
        .query::<&phosphene_gestures::TrackedHand>()
        .iter(rig.app.world())
        .count();
    assert_eq!(hands, 1, "the hand is an entity");
}

#[test]
fn a_swipe_changes_the_scene_and_a_still_or_strobing_room_changes_nothing() {
    let dir = common::temp_dir("gesture-swipe");
    // A still room with a visitor standing, lit by a strobe now and then, over the whole
    // picture and over half of it.
    let still = dir.join("still.y4m");
    let mut spec = ClipSpec::new(W, H, 11)
        .then(Move::Absent, 30)
        .then(Move::Still((0.3, 0.5)), 120);
    for f in (40..150).step_by(9) {
        let area = if f % 2 == 0 {
            StrobeArea::Global
        } else {
            StrobeArea::Rect([0.0, 0.0, 0.6, 1.0])
        };
        spec = spec.strobe(f, 1.6, area);
    }
    write_clip(&still, spec);
    let mut rig = Rig::new(
        CameraChoice::File(still),
        CameraSettings::default(),
        vec![preset("swipe-scenes")],
    );
    rig.until("two passes of the still clip", |r| r.view().frames >= 300);
    assert_eq!(rig.scene_changes(), 0, "no false triggers");
    drop(rig);

    // A swipe to the performer's right: towards the camera's left, the mirrored picture's right.
    let swipe = dir.join("swipe.y4m");
    write_clip(
        &swipe,
        ClipSpec::new(W, H, 12)
            .then(Move::Absent, 30)
            .then(Move::Still((0.85, 0.5)), 10)
            .then(
                Move::Linear {
                    from: (0.85, 0.5),
                    to: (0.15, 0.5),
                },
                8,
            )
            .then(Move::Still((0.15, 0.5)), 30),
    );
    let mut rig = Rig::new(
        CameraChoice::File(swipe),
        CameraSettings::default(),
        vec![preset("swipe-scenes")],
    );
    rig.until("a swipe to change the scene", |r| r.scene_changes() > 0);
}

/// Learn, with the filter of deck 1 clicked, while `clip` plays; the input it bound.
fn learn_while(clip: ClipSpec, settings: CameraSettings, name: &str) -> Input {
    let dir = common::temp_dir(name);
    let path = dir.join("clip.y4m");
    write_clip(&path, clip);
    let mut rig = Rig::new(CameraChoice::File(path), settings, Vec::new());
    rig.learn(ControlId::Deck(DeckRef::Index(0), DeckControl::Filter));
    rig.until("learn to bind what moved", |r| {
        r.app
            .world()
            .resource::<Learn>()
            .message
            .as_ref()
            .is_some_and(|m| m.starts_with("learnt"))
    });
    let mappings = rig.app.world().resource::<Mappings>();
    let binding = mappings.set_file().bindings.last().cloned().expect("a binding");
    assert_eq!(binding.to, "/deck/1/filter");
    assert_eq!(
        binding.device, "Camera",
        "bound to any camera, through the shipped profile"
    );
    binding.input.expect("an input")
}

#[test]
fn raising_a_hand_while_learning_binds_the_hands_height() {
    let input = learn_while(rising_hand(), CameraSettings::default(), "learn-hand");
    assert_eq!(input, Input::Gesture(Gesture::Hand(Which::Any, HandFeature::Height)));
}

#[test]
fn waving_in_a_zone_while_learning_binds_the_zones_energy() {
    let settings = CameraSettings {
        zones: vec![Zone::new("pad", 0.5, 0.0, 1.0, 1.0)],
    };
    // A wave on the camera's left: the mirrored picture's right, where the zone is drawn.
    let clip = ClipSpec::new(W, H, 9).then(Move::Absent, 30).then(
        Move::Circle {
            centre: (0.25, 0.5),
            radius: 0.12,
            turns: 3.0,
        },
        90,
    );
    let input = learn_while(clip, settings, "learn-zone");
    assert_eq!(
        input,
        Input::Gesture(Gesture::Motion(Region::Zone("pad".into()), MotionFeature::Energy))
    );
}

#[test]
fn a_camera_that_vanishes_is_said_and_comes_back() {
    let dir = common::temp_dir("gesture-vanish");
    let clip = dir.join("camera.y4m");
    write_clip(&clip, ClipSpec::new(W, H, 3).then(Move::Absent, 20));
    let mut rig = Rig::new(CameraChoice::File(clip.clone()), CameraSettings::default(), Vec::new());
    rig.until("frames", |r| r.view().frames > 10);
    std::fs::remove_file(&clip).expect("unplug");
    rig.until("a notice that the camera is gone", |r| {
        r.view().notices.iter().any(|n| n.contains("camera.y4m"))
    });
    let before = rig.view().frames;
    write_clip(&clip, ClipSpec::new(W, H, 3).then(Move::Absent, 20));
    rig.until("frames again", |r| r.view().frames > before + 10);
}

#[test]
fn stopping_the_camera_and_choosing_it_again_restarts_it_cleanly() {
    let dir = common::temp_dir("gesture-restart");
    let clip = dir.join("room.y4m");
    write_clip(&clip, rising_hand());
    let mut rig = Rig::new(CameraChoice::File(clip.clone()), CameraSettings::default(), Vec::new());
    let regions = |r: &mut Rig| {
        let world = r.app.world_mut();
        world.query::<&phosphene_gestures::GestureRegion>().iter(world).count()
    };
    rig.until("the picture's region", |r| regions(r) == 1);
    // Stop, as the camera window's button does: the camera and what it saw go.
    rig.app.world_mut().resource_mut::<CameraConfig>().camera = None;
    rig.steps(3);
    assert_eq!(rig.view().source, None);
    assert_eq!(regions(&mut rig), 0, "the entities of a stopped camera go with it");
    // Chosen again, with a zone drawn meanwhile: it runs, and measures the zone.
    let mut config = rig.app.world_mut().resource_mut::<CameraConfig>();
    config.camera = Some(CameraChoice::File(clip));
    config.settings.zones.push(Zone::new("pad", 0.0, 0.0, 0.5, 1.0));
    rig.until("the picture and the zone again", |r| {
        regions(r) == 2 && r.view().frames > 10
    });
}

#[test]
fn a_truncated_or_foreign_file_is_said_and_the_show_goes_on() {
    let dir = common::temp_dir("gesture-bad");
    let good = dir.join("good.y4m");
    write_clip(&good, ClipSpec::new(W, H, 5).then(Move::Absent, 10));
    let bytes = std::fs::read(&good).expect("read");
    let cut = dir.join("cut.y4m");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4 + 17]).expect("write");
    let foreign = dir.join("notes.y4m");
    std::fs::write(&foreign, "shopping list: milk, eggs").expect("write");
    for (file, says) in [(cut, "cut.y4m"), (foreign, "notes.y4m")] {
        let mut rig = Rig::new(
            CameraChoice::File(file),
            CameraSettings::default(),
            vec![preset("filter-hand")],
        );
        rig.until("a notice naming the file", |r| {
            r.view().notices.iter().any(|n| n.contains(says))
        });
        // The app and the audio go on: a hundred more frames, the engine rendering each.
        for _ in 0..100 {
            rig.step();
        }
    }
}

fn phosphene() -> Command {
    Command::new(env!("CARGO_BIN_EXE_phosphene"))
}

#[test]
fn the_command_line_plays_a_file_as_the_camera_with_a_preset() {
    let dir = common::temp_dir("gesture-cli");
    let clip = dir.join("hand.y4m");
    write_clip(&clip, rising_hand());
    let out = phosphene()
        .args([
            "--headless",
            "--audio",
            "null",
            "--no-record",
            "--seconds",
            "4",
            "--hands",
            "off",
        ])
        .arg("--camera")
        .arg(&clip)
        .args(["--gestures", "filter-hand"])
        .env("PHOSPHENE_CACHE_DIR", &dir)
        .env("XDG_DATA_HOME", &dir)
        .output()
        .expect("run phosphene");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let bad = phosphene()
        .args(["--headless", "--audio", "null", "--no-record", "--seconds", "1"])
        .args(["--gestures", "filter-foot"])
        .output()
        .expect("run phosphene");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && stderr.contains("filter-hand"), "{stderr}");
    let missing = phosphene()
        .args(["--headless", "--camera", "/no/such/clip.y4m"])
        .output()
        .expect("run phosphene");
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        !missing.status.success() && stderr.contains("/no/such/clip.y4m"),
        "{stderr}"
    );
}
