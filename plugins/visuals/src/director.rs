//! One video frame's plan, from the analysis frames heard and the show: the part of the
//! visuals that is the same live and offline. The renderer then draws the plan.

use engine_rt::AnalysisFrame;

use crate::gpu::{FrameSpec, LayerSpec};
use crate::library::SceneLibrary;
use crate::setup::VisualCue;
use crate::setup::VisualSetup;
use crate::show::{PostSettings, Show, TransitionKind};
use crate::uniforms::{AudioFeatures, FrameInputs, PARAMS, UNIFORM_DECKS};

/// How hard the strobe follows the bass decay (higher = shorter flashes).
const STROBE_SHARPNESS: i32 = 4;

/// Everything the renderer needs for one frame (owned, so it can cross to the render world).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// As [`FrameSpec::inputs`].
    pub inputs: FrameInputs,
    /// As [`FrameSpec::layers`].
    pub layers: Vec<LayerSpec>,
    /// As [`FrameSpec::transition`].
    pub transition: f32,
    /// As [`FrameSpec::transition_kind`].
    pub transition_kind: TransitionKind,
    /// As [`FrameSpec::post`].
    pub post: PostSettings,
    /// As [`FrameSpec::strobe`].
    pub strobe: f32,
    /// As [`FrameSpec::blackout`].
    pub blackout: f32,
    /// As [`FrameSpec::frame`].
    pub frame: u64,
}

impl Plan {
    /// The plan as the renderer takes it.
    pub fn spec(&self) -> FrameSpec<'_> {
        FrameSpec {
            inputs: &self.inputs,
            layers: &self.layers,
            transition: self.transition,
            transition_kind: self.transition_kind,
            post: &self.post,
            strobe: self.strobe,
            blackout: self.blackout,
            frame: self.frame,
        }
    }
}

/// The show plus the audio features it reacts to and the cues it follows.
#[derive(Debug, Default)]
pub struct Director {
    /// The scenes, transitions and post settings being played.
    pub show: Show,
    features: AudioFeatures,
    frames: u64,
    /// Timed scene changes by beat, and the next one to fire.
    cues: Vec<VisualCue>,
    next_cue: usize,
}

/// How far ahead of its beat a cue is handed to the show (so it lands on the beat exactly).
const CUE_LOOKAHEAD_BEATS: f64 = 1.0;

/// A scene's default control positions (0.5 for slots it does not declare).
pub fn default_positions(library: &SceneLibrary, scene: &str) -> [f32; PARAMS] {
    let mut p = [0.5; PARAMS];
    if let Some(s) = library.get(scene) {
        for (slot, spec) in p.iter_mut().zip(&s.meta.params) {
            *slot = spec.default_position();
        }
    }
    p
}

impl Director {
    /// The clock beat heard at the last planned frame.
    pub fn beat(&self) -> f64 {
        self.features.beat()
    }

    /// A director starting from a set's visuals: its scene (or the library's first), control
    /// positions, post settings and cues.
    pub fn from_setup(setup: &VisualSetup, library: &SceneLibrary) -> Self {
        let mut d = Self::default();
        d.apply(setup, library);
        d
    }

    /// Takes on a set's visuals (opening another set).
    pub fn apply(&mut self, setup: &VisualSetup, library: &SceneLibrary) {
        let first = library.scenes().next().map(|s| s.id.clone());
        if let Some(scene) = setup.scene.clone().filter(|s| library.get(s).is_some()).or(first) {
            self.show.start(&scene, self.features.seconds());
        }
        for (id, positions) in &setup.positions {
            for (slot, p) in positions.iter().enumerate() {
                self.show.set_position(id, slot, *p, || default_positions(library, id));
            }
        }
        self.show.post = setup.post.clone();
        self.cues = setup.cues.clone();
        self.cues.sort_by(|a, b| a.beat.total_cmp(&b.beat));
        self.next_cue = 0;
    }

    /// Plans the next video frame, `dt` seconds after the last: `master` is the frame heard
    /// now, `passed` every master frame since the last video frame.
    pub fn plan<'a>(
        &mut self,
        library: &SceneLibrary,
        master: Option<&AnalysisFrame>,
        passed: impl IntoIterator<Item = &'a AnalysisFrame>,
        decks: [Option<&AnalysisFrame>; UNIFORM_DECKS],
        dt: f32,
        sample_rate: u32,
    ) -> Plan {
        let inputs = self.features.advance(master, passed, decks, dt, sample_rate).clone();
        let (beat, time) = (self.features.beat(), self.features.seconds());
        while let Some(c) = self
            .cues
            .get(self.next_cue)
            .filter(|c| c.beat <= beat + CUE_LOOKAHEAD_BEATS)
        {
            self.show
                .request_at(&c.scene, c.transition, c.beats, c.beat.max(beat), beat);
            self.next_cue += 1;
        }
        let frame = self.show.advance(beat, time, dt, |s| default_positions(library, s));
        self.frames += 1;
        let post = self.show.post.clone();
        Plan {
            strobe: post.strobe * inputs.uniforms.decays[0].powi(STROBE_SHARPNESS),
            inputs,
            layers: frame.layers,
            transition: frame.transition,
            transition_kind: frame.transition_kind,
            post,
            blackout: frame.blackout,
            frame: self.frames,
        }
    }
}
