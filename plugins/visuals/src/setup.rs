//! The visuals' part of a set file: the scene on, each scene's control positions, post
//! settings, keystone, output size, the default transition, and optional timed cues (for
//! unattended shows and offline renders).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::keystone::Keystone;
use crate::show::ranges::{PARAM_POSITION, TRANSITION_BEATS};
use crate::show::{PostSettings, TransitionKind, VisualQuantize};

/// Default composition size.
pub const DEFAULT_SIZE: (u32, u32) = (1280, 720);

/// A scene change at a beat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisualCue {
    /// Clock beat the change starts at.
    pub beat: f64,
    /// Id of the scene to change to.
    pub scene: String,
    /// How the scenes blend.
    #[serde(default)]
    pub transition: TransitionKind,
    /// Length of the transition in beats.
    #[serde(default = "default_beats", deserialize_with = "transition_beats")]
    pub beats: f64,
}

fn default_beats() -> f64 {
    TRANSITION_BEATS.default
}

fn transition_beats<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    TRANSITION_BEATS.read(d)
}

/// The `visuals: ( .. )` section of a set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VisualSetup {
    /// Scene on when the set opens (the first in the library when `None`).
    pub scene: Option<String>,
    /// Control positions (0..1) per scene id.
    pub positions: BTreeMap<String, Vec<f32>>,
    /// Post effects; every value checked against [`crate::show::ranges`] as it is parsed.
    #[serde(deserialize_with = "engine_rt::ron_file::checked")]
    pub post: PostSettings,
    /// Corner placement on the projector.
    pub keystone: Keystone,
    /// Composition size in pixels, independent of any window.
    pub size: (u32, u32),
    /// How scene changes from the control surfaces happen.
    pub transition: TransitionKind,
    /// Default transition length in beats.
    #[serde(deserialize_with = "transition_beats")]
    pub transition_beats: f64,
    /// Where those changes start.
    pub quantize: VisualQuantize,
    /// Timed scene changes.
    pub cues: Vec<VisualCue>,
}

impl Default for VisualSetup {
    fn default() -> Self {
        Self {
            scene: None,
            positions: BTreeMap::new(),
            post: PostSettings::default(),
            keystone: Keystone::default(),
            size: DEFAULT_SIZE,
            transition: TransitionKind::Crossfade,
            transition_beats: TRANSITION_BEATS.default,
            quantize: VisualQuantize::Bar,
            cues: Vec::new(),
        }
    }
}

impl VisualSetup {
    /// Checks values a hand-edited set could get wrong; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        let (w, h) = self.size;
        if !(16..=8192).contains(&w) || !(16..=8192).contains(&h) {
            return Err(format!("visuals.size {w}x{h}: each side must be 16..8192 pixels"));
        }
        if !self.keystone.is_valid() {
            return Err("visuals.keystone: the corners must form a convex quad, in order".into());
        }
        if let Some(c) = self
            .cues
            .iter()
            .find(|c| engine_rt::ranges::SCRIPT_BEAT.check(c.beat).is_err())
        {
            return Err(format!("visuals.cues: cue at beat {} needs a beat >= 0", c.beat));
        }
        for (id, p) in &self.positions {
            if let Some(e) = p.iter().find_map(|v| PARAM_POSITION.check(*v as f64).err()) {
                return Err(format!("visuals.positions.{id}: {e}"));
            }
        }
        Ok(())
    }
}
