//! The running show, independent of the GPU: which scene is on, the transition to the next one
//! (started on a beat boundary, like an audio intent), each scene's control positions, and the
//! post settings. The same state drives the projector and offline renders.

use std::collections::HashMap;

use engine_rt::intent::Policy;
use engine_rt::ranges::{Range, ValueError};
use engine_rt::ron_file::CheckValues;
use serde::{Deserialize, Serialize};

use crate::gpu::LayerSpec;
use crate::uniforms::PARAMS;

/// How one scene gives way to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TransitionKind {
    /// Instantly, on the boundary.
    Cut,
    /// Mixed over the transition's length.
    #[default]
    Crossfade,
    /// Swept left to right.
    Wipe,
}

/// Where a scene change lands (the visual twin of the engine's `Quantize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VisualQuantize {
    /// On the next video frame.
    Now,
    /// On the next beat.
    Beat,
    /// On the next bar (the set's quantum).
    #[default]
    Bar,
    /// On the next phrase: four bars.
    Phrase,
}

/// Bars in a phrase.
pub const PHRASE_BARS: f64 = 4.0;

impl VisualQuantize {
    /// The first boundary at or after `beat` (`quantum` beats per bar).
    pub fn boundary(self, beat: f64, quantum: f64) -> f64 {
        let grid = match self {
            Self::Now => return beat,
            Self::Beat => 1.0,
            Self::Bar => quantum,
            Self::Phrase => quantum * PHRASE_BARS,
        };
        // A change asked for a hair after a boundary still waits for the next one; one asked
        // exactly on it lands there.
        (beat / grid - 1e-9).ceil() * grid
    }
}

/// Post effects, applied to the composition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PostSettings {
    /// Gain (1 = unchanged).
    pub brightness: f32,
    /// Contrast around mid-grey (1 = unchanged).
    pub contrast: f32,
    /// 0 = grey, 1 = unchanged, 2 = doubled.
    pub saturation: f32,
    /// Hue rotation in turns.
    pub hue: f32,
    /// Share of the last composition kept as trails (0 = none).
    pub feedback: f32,
    /// Zoom of the trails per frame (1 = still).
    pub feedback_zoom: f32,
    /// Strength of the white flash on bass hits (0 = off).
    pub strobe: f32,
    /// Fade to black (over [`BLACKOUT_SECONDS`]).
    pub blackout: bool,
    /// Hold the current image.
    pub freeze: bool,
}

/// The ranges of the visuals' values: the one home the post settings, the set format and the
/// control window read.
pub mod ranges {
    use engine_rt::ranges::Range;

    /// Gain of the composition.
    pub const BRIGHTNESS: Range = Range::new("brightness", 0.0, 2.0, 1.0, "");
    /// Contrast around mid-grey.
    pub const CONTRAST: Range = Range::new("contrast", 0.0, 2.0, 1.0, "");
    /// Saturation: 0 grey, 1 unchanged, 2 doubled.
    pub const SATURATION: Range = Range::new("saturation", 0.0, 2.0, 1.0, "");
    /// Hue rotation in turns.
    pub const HUE: Range = Range::new("hue", -0.5, 0.5, 0.0, "turns");
    /// Share of the last composition kept as trails (below 1, so trails always fade).
    pub const FEEDBACK: Range = Range::new("feedback", 0.0, 0.98, 0.0, "");
    /// Zoom of the trails per frame.
    pub const FEEDBACK_ZOOM: Range = Range::new("feedback zoom", 0.95, 1.05, 1.01, "");
    /// Strength of the flash on bass hits.
    pub const STROBE: Range = Range::new("strobe", 0.0, 1.0, 0.0, "");
    /// Length of a scene transition.
    pub const TRANSITION_BEATS: Range = Range::new("transition beats", 0.0, 64.0, 4.0, "beats");
    /// A scene parameter's position within its own range.
    pub const PARAM_POSITION: Range = Range::new("parameter position", 0.0, 1.0, 0.5, "");
}

/// One post setting, so that each source changes only the effect it moves (two sources moving
/// different effects in one frame both land).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PostField {
    /// [`PostSettings::strobe`].
    Strobe,
    /// [`PostSettings::feedback`].
    Feedback,
    /// [`PostSettings::feedback_zoom`].
    FeedbackZoom,
    /// [`PostSettings::brightness`].
    Brightness,
    /// [`PostSettings::contrast`].
    Contrast,
    /// [`PostSettings::saturation`].
    Saturation,
    /// [`PostSettings::hue`].
    Hue,
    /// [`PostSettings::blackout`] (0 or 1).
    Blackout,
    /// [`PostSettings::freeze`] (0 or 1).
    Freeze,
}

impl PostField {
    /// Every post setting, in the control window's order.
    pub const ALL: [Self; 9] = [
        Self::Strobe,
        Self::Feedback,
        Self::FeedbackZoom,
        Self::Brightness,
        Self::Contrast,
        Self::Saturation,
        Self::Hue,
        Self::Blackout,
        Self::Freeze,
    ];

    /// Its range; `None` for the on/off ones.
    pub fn range(self) -> Option<&'static Range> {
        Some(match self {
            Self::Strobe => &ranges::STROBE,
            Self::Feedback => &ranges::FEEDBACK,
            Self::FeedbackZoom => &ranges::FEEDBACK_ZOOM,
            Self::Brightness => &ranges::BRIGHTNESS,
            Self::Contrast => &ranges::CONTRAST,
            Self::Saturation => &ranges::SATURATION,
            Self::Hue => &ranges::HUE,
            Self::Blackout | Self::Freeze => return None,
        })
    }

    /// Its name in addresses and files, e.g. `feedback_zoom`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Strobe => "strobe",
            Self::Feedback => "feedback",
            Self::FeedbackZoom => "feedback_zoom",
            Self::Brightness => "brightness",
            Self::Contrast => "contrast",
            Self::Saturation => "saturation",
            Self::Hue => "hue",
            Self::Blackout => "blackout",
            Self::Freeze => "freeze",
        }
    }
}

impl PostSettings {
    /// The value of one setting (on/off ones as 0 or 1).
    pub fn get(&self, field: PostField) -> f32 {
        match field {
            PostField::Strobe => self.strobe,
            PostField::Feedback => self.feedback,
            PostField::FeedbackZoom => self.feedback_zoom,
            PostField::Brightness => self.brightness,
            PostField::Contrast => self.contrast,
            PostField::Saturation => self.saturation,
            PostField::Hue => self.hue,
            PostField::Blackout => self.blackout as u8 as f32,
            PostField::Freeze => self.freeze as u8 as f32,
        }
    }

    /// Sets one setting, held to its range (on/off ones: on above 0.5).
    pub fn set(&mut self, field: PostField, value: f32) {
        let held = field.range().map_or(value, |r| r.hold_f32(value));
        match field {
            PostField::Strobe => self.strobe = held,
            PostField::Feedback => self.feedback = held,
            PostField::FeedbackZoom => self.feedback_zoom = held,
            PostField::Brightness => self.brightness = held,
            PostField::Contrast => self.contrast = held,
            PostField::Saturation => self.saturation = held,
            PostField::Hue => self.hue = held,
            PostField::Blackout => self.blackout = value > 0.5,
            PostField::Freeze => self.freeze = value > 0.5,
        }
    }

    /// The continuous settings with their ranges, for controls and checks.
    pub fn sliders(&mut self) -> [(&'static Range, &mut f32); 7] {
        [
            (&ranges::STROBE, &mut self.strobe),
            (&ranges::FEEDBACK, &mut self.feedback),
            (&ranges::FEEDBACK_ZOOM, &mut self.feedback_zoom),
            (&ranges::BRIGHTNESS, &mut self.brightness),
            (&ranges::CONTRAST, &mut self.contrast),
            (&ranges::SATURATION, &mut self.saturation),
            (&ranges::HUE, &mut self.hue),
        ]
    }
}

impl CheckValues for PostSettings {
    fn checked_with(mut self, policy: Policy) -> Result<Self, ValueError> {
        for (range, v) in self.sliders() {
            *v = policy(range, *v as f64)? as f32;
        }
        Ok(self)
    }
}

impl Default for PostSettings {
    fn default() -> Self {
        let d = |r: Range| r.default as f32;
        Self {
            brightness: d(ranges::BRIGHTNESS),
            contrast: d(ranges::CONTRAST),
            saturation: d(ranges::SATURATION),
            hue: d(ranges::HUE),
            feedback: d(ranges::FEEDBACK),
            feedback_zoom: d(ranges::FEEDBACK_ZOOM),
            strobe: d(ranges::STROBE),
            blackout: false,
            freeze: false,
        }
    }
}

/// Seconds a blackout takes to fade in or out.
pub const BLACKOUT_SECONDS: f32 = 0.25;

/// A scene change waiting for its boundary or under way.
#[derive(Debug, Clone, PartialEq)]
struct Change {
    scene: String,
    kind: TransitionKind,
    beats: f64,
    /// Beat it starts on.
    at: f64,
    /// Audio time it started, once it has.
    began: Option<f64>,
}

/// The show's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Show {
    scene: Option<String>,
    /// Audio time the current scene came on.
    since: f64,
    change: Option<Change>,
    /// Control positions (0..1) per scene id.
    positions: HashMap<String, [f32; PARAMS]>,
    /// Post settings in effect.
    pub post: PostSettings,
    blackout_level: f32,
}

/// What the show wants drawn at one video frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// As [`crate::gpu::FrameSpec::layers`].
    pub layers: Vec<LayerSpec>,
    /// As [`crate::gpu::FrameSpec::transition`].
    pub transition: f32,
    /// As [`crate::gpu::FrameSpec::transition_kind`].
    pub transition_kind: TransitionKind,
    /// As [`crate::gpu::FrameSpec::blackout`].
    pub blackout: f32,
}

impl Show {
    /// The scene on now.
    pub fn scene(&self) -> Option<&str> {
        self.scene.as_deref()
    }

    /// The scene waiting to come on or coming on, and the beat it starts on.
    pub fn pending(&self) -> Option<(&str, f64)> {
        self.change.as_ref().map(|c| (c.scene.as_str(), c.at))
    }

    /// Control positions of a scene (its defaults until moved).
    pub fn positions(&self, scene: &str, defaults: impl FnOnce() -> [f32; PARAMS]) -> [f32; PARAMS] {
        self.positions.get(scene).copied().unwrap_or_else(defaults)
    }

    /// Sets one control position of a scene.
    pub fn set_position(&mut self, scene: &str, slot: usize, position: f32, defaults: impl FnOnce() -> [f32; PARAMS]) {
        if slot < PARAMS {
            let p = self.positions.entry(scene.to_string()).or_insert_with(defaults);
            p[slot] = position.clamp(0.0, 1.0);
        }
    }

    /// All stored control positions, for saving.
    pub fn all_positions(&self) -> &HashMap<String, [f32; PARAMS]> {
        &self.positions
    }

    /// Puts a scene on at once, with no transition (set loading, first frame).
    pub fn start(&mut self, scene: &str, time: f64) {
        self.scene = Some(scene.to_string());
        self.since = time;
        self.change = None;
    }

    /// Asks for `scene` to come on at the next `at` boundary after `beat`, over `beats` beats;
    /// returns that boundary. A newer request replaces one still waiting; one under way
    /// finishes first.
    pub fn request(
        &mut self,
        scene: &str,
        kind: TransitionKind,
        beats: f64,
        at: VisualQuantize,
        beat: f64,
        quantum: f64,
    ) -> f64 {
        let start = at.boundary(beat, quantum);
        self.request_at(scene, kind, beats, start, beat);
        start
    }

    /// Asks for `scene` to come on at beat `start` (`beat` is now).
    pub fn request_at(&mut self, scene: &str, kind: TransitionKind, beats: f64, start: f64, beat: f64) {
        if self.scene.is_none() {
            self.scene = Some(scene.to_string());
            return;
        }
        let change = Change {
            scene: scene.to_string(),
            kind,
            beats: if kind == TransitionKind::Cut {
                0.0
            } else {
                beats.max(0.0)
            },
            at: start,
            began: None,
        };
        match &self.change {
            Some(c) if c.at <= beat => {}
            _ => self.change = Some(change),
        }
    }

    /// Advances to the video frame heard at `beat` / `time`, `dt` seconds after the last.
    pub fn advance(&mut self, beat: f64, time: f64, dt: f32, defaults: impl Fn(&str) -> [f32; PARAMS]) -> Frame {
        let step = dt / BLACKOUT_SECONDS;
        self.blackout_level = if self.post.blackout {
            (self.blackout_level + step).min(1.0)
        } else {
            (self.blackout_level - step).max(0.0)
        };
        let mut transition = 0.0;
        let mut kind = TransitionKind::Cut;
        let mut incoming = None;
        if let Some(c) = &mut self.change
            && beat >= c.at
        {
            c.began.get_or_insert(time);
            let progress = if c.beats > 0.0 { (beat - c.at) / c.beats } else { 1.0 };
            if progress >= 1.0 {
                let c = self.change.take().map(|c| c.scene);
                self.scene = c;
                self.since = time;
            } else {
                transition = progress as f32;
                kind = c.kind;
                incoming = Some((c.scene.clone(), c.began.unwrap_or(time)));
            }
        }
        let layer = |scene: &str, since: f64| LayerSpec {
            scene: scene.to_string(),
            positions: self.positions(scene, || defaults(scene)),
            scene_time: (time - since).max(0.0) as f32,
        };
        let mut layers: Vec<LayerSpec> = self.scene.iter().map(|s| layer(s, self.since)).collect();
        if let Some((s, began)) = incoming {
            layers.push(layer(&s, began));
        }
        Frame {
            layers,
            transition,
            transition_kind: kind,
            blackout: self.blackout_level,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(_: &str) -> [f32; PARAMS] {
        [0.5; PARAMS]
    }

    #[test]
    fn boundaries_follow_the_quantum() {
        assert_eq!(VisualQuantize::Beat.boundary(4.2, 4.0), 5.0);
        assert_eq!(VisualQuantize::Bar.boundary(4.2, 4.0), 8.0);
        assert_eq!(VisualQuantize::Bar.boundary(8.0, 4.0), 8.0);
        assert_eq!(VisualQuantize::Phrase.boundary(1.0, 4.0), 16.0);
        assert_eq!(VisualQuantize::Now.boundary(1.3, 4.0), 1.3);
    }

    #[test]
    fn a_crossfade_starts_on_the_bar_and_finishes_after_its_beats() {
        let mut show = Show::default();
        show.start("tunnel", 0.0);
        show.request("scope", TransitionKind::Crossfade, 2.0, VisualQuantize::Bar, 1.5, 4.0);
        let f = show.advance(3.9, 1.9, 0.02, defaults);
        assert_eq!(f.layers.len(), 1, "nothing before the bar");
        let f = show.advance(5.0, 2.5, 0.02, defaults);
        assert_eq!(f.layers.len(), 2);
        assert_eq!(f.layers[1].scene, "scope");
        assert!((f.transition - 0.5).abs() < 1e-6);
        let f = show.advance(6.0, 3.0, 0.02, defaults);
        assert_eq!(f.layers.len(), 1);
        assert_eq!(show.scene(), Some("scope"));
        assert_eq!(f.layers[0].scene_time, 0.0);
    }

    #[test]
    fn a_cut_lands_on_the_boundary() {
        let mut show = Show::default();
        show.start("a", 0.0);
        show.request("b", TransitionKind::Cut, 4.0, VisualQuantize::Beat, 0.2, 4.0);
        assert_eq!(show.advance(0.99, 0.5, 0.02, defaults).layers[0].scene, "a");
        let f = show.advance(1.0, 0.5, 0.02, defaults);
        assert_eq!((f.layers.len(), f.layers[0].scene.as_str()), (1, "b"));
    }

    #[test]
    fn blackout_fades_both_ways() {
        let mut show = Show::default();
        show.start("a", 0.0);
        show.post.blackout = true;
        let f = show.advance(0.0, 0.0, BLACKOUT_SECONDS / 2.0, defaults);
        assert!((f.blackout - 0.5).abs() < 1e-6);
        assert_eq!(show.advance(0.0, 0.0, 1.0, defaults).blackout, 1.0);
        show.post.blackout = false;
        assert_eq!(show.advance(0.0, 0.0, 1.0, defaults).blackout, 0.0);
    }

    #[test]
    fn positions_are_kept_per_scene() {
        let mut show = Show::default();
        show.set_position("a", 2, 0.9, || [0.1; PARAMS]);
        assert_eq!(show.positions("a", || [0.0; PARAMS])[2], 0.9);
        assert_eq!(show.positions("a", || [0.0; PARAMS])[0], 0.1);
        assert_eq!(show.positions("b", || [0.3; PARAMS])[0], 0.3);
    }
}
