//! What a deck entity is made of.

use std::path::PathBuf;
use std::sync::Arc;

use bevy::prelude::*;
use engine_rt::intent::Policy;
use engine_rt::ranges::{self, Range, ValueError};
use engine_rt::ron_file::CheckValues;
use engine_rt::{FxKind, XfaderSide};
use phosphene_engine_bridge::TrackInfo;
use serde::{Deserialize, Serialize};

pub use engine_rt::ranges::{FX_SLOTS, HOT_CUES};

/// A deck; `index` is the engine's deck number (0-based).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[require(DeckPlayback, DeckTrack, DeckControls, DeckLoop, crate::grid::GridTaps)]
pub struct Deck {
    /// The engine's deck number (0-based).
    pub index: usize,
}

/// What the engine last reported about the deck's playback.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct DeckPlayback {
    /// Whether the deck is playing.
    pub playing: bool,
    /// Audible playhead in seconds of the track.
    pub position: f64,
    /// Playback rate (1.0 = original tempo).
    pub rate: f64,
    /// Pre-fader peak of the last report period (linear).
    pub peak: f32,
    /// The track played to its end and stopped.
    pub ended: bool,
}

/// The track on the deck, and any load in progress or failed.
#[derive(Component, Debug, Clone, Default)]
pub struct DeckTrack {
    /// The track the engine has on the deck.
    pub info: Option<Arc<TrackInfo>>,
    /// A file being decoded for this deck, and how far along (0..1).
    pub loading: Option<(PathBuf, f32)>,
    /// Why the last load failed.
    pub error: Option<String>,
}

/// The deck's beat grid: the tempo the track was made at and where its bars begin.
#[derive(Component, Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BeatGrid {
    /// Tempo the track was made at, in beats per minute.
    pub bpm: f64,
    /// A downbeat, in seconds into the track: the first of the grid's bars.
    pub first_beat: f64,
    /// The performer locked it: edits and re-analysis leave it as it is.
    #[serde(default)]
    pub locked: bool,
}

/// Beats in a bar of a track's grid (downbeats fall every this many beats).
pub const BAR_BEATS: f64 = 4.0;

impl BeatGrid {
    /// Seconds per beat.
    pub fn beat_seconds(&self) -> f64 {
        60.0 / self.bpm
    }

    /// The grid line nearest to `seconds`.
    pub fn snap(&self, seconds: f64) -> f64 {
        let b = self.beat_seconds();
        self.first_beat + ((seconds - self.first_beat) / b).round() * b
    }

    /// A grid at `bpm` with a downbeat at `downbeat`, written with its earliest downbeat at
    /// or after the track's start.
    pub fn through(bpm: f64, downbeat: f64, locked: bool) -> Self {
        let bar = BAR_BEATS * 60.0 / bpm;
        Self {
            bpm,
            first_beat: downbeat.rem_euclid(bar),
            locked,
        }
    }
}

/// One FX slot as the performer set it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FxSlotState {
    /// The effect in the slot; `None` when empty.
    pub fx: Option<FxKind>,
    /// Wet/dry 0..1.
    pub amount: f32,
    /// The effect's main parameter 0..1.
    pub param: f32,
}

impl Default for FxSlotState {
    fn default() -> Self {
        Self {
            fx: None,
            amount: ranges::FX_AMOUNT.default as f32,
            param: ranges::FX_PARAM.default as f32,
        }
    }
}

impl CheckValues for FxSlotState {
    fn checked_with(self, policy: Policy) -> Result<Self, ValueError> {
        let f = |r: &Range, v: f32| policy(r, v as f64).map(|v| v as f32);
        Ok(Self {
            fx: match self.fx {
                Some(FxKind::Echo { beats }) => Some(FxKind::Echo {
                    beats: f(&ranges::ECHO_BEATS, beats)?,
                }),
                other => other,
            },
            amount: f(&ranges::FX_AMOUNT, self.amount)?,
            param: f(&ranges::FX_PARAM, self.param)?,
        })
    }
}

/// Every control of a deck as the performer left it: the UI shows it, the set file stores it,
/// and loading a set replays it into the engine.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeckControls {
    /// Input trim in dB ([`ranges::TRIM_DB`]).
    pub trim_db: f32,
    /// Channel fader ([`ranges::VOLUME`]).
    pub volume: f32,
    /// Low, mid, high gains in dB ([`ranges::EQ_DB`]).
    pub eq_db: [f32; 3],
    /// Low, mid, high kills.
    pub kills: [bool; 3],
    /// One-knob filter -1 (low-pass) .. 0 (flat) .. 1 (high-pass).
    pub filter: f32,
    /// Filter resonance 0..1.
    pub resonance: f32,
    /// The FX slots, in order.
    pub fx: [FxSlotState; FX_SLOTS],
    /// Playback rate the tempo fader asks for (1.0 = original tempo).
    pub rate: f64,
    /// Follow the master tempo.
    pub sync: bool,
    /// Keep the pitch when the tempo changes.
    pub keylock: bool,
    /// Pitch shift in semitones.
    pub pitch: f64,
    /// Crossfader side.
    pub xfader: XfaderSide,
    /// Sent to the headphone cue bus.
    pub cue_monitor: bool,
    /// Slip mode: loops, rolls and jumps play over the track running on underneath.
    pub slip: bool,
}

impl Default for DeckControls {
    fn default() -> Self {
        Self {
            trim_db: ranges::TRIM_DB.default as f32,
            volume: ranges::VOLUME.default as f32,
            eq_db: [ranges::EQ_DB.default as f32; 3],
            kills: [false; 3],
            filter: ranges::FILTER.default as f32,
            resonance: ranges::RESONANCE.default as f32,
            fx: [FxSlotState::default(); FX_SLOTS],
            rate: ranges::RATE.default,
            sync: false,
            keylock: false,
            pitch: ranges::PITCH.default,
            xfader: XfaderSide::Thru,
            cue_monitor: false,
            slip: false,
        }
    }
}

impl CheckValues for DeckControls {
    fn checked_with(mut self, policy: Policy) -> Result<Self, ValueError> {
        let f = |r: &Range, v: f32| policy(r, v as f64).map(|v| v as f32);
        self.trim_db = f(&ranges::TRIM_DB, self.trim_db)?;
        self.volume = f(&ranges::VOLUME, self.volume)?;
        for db in &mut self.eq_db {
            *db = f(&ranges::EQ_DB, *db)?;
        }
        self.filter = f(&ranges::FILTER, self.filter)?;
        self.resonance = f(&ranges::RESONANCE, self.resonance)?;
        for s in &mut self.fx {
            *s = s.checked_with(policy)?;
        }
        self.rate = policy(&ranges::RATE, self.rate)?;
        self.pitch = policy(&ranges::PITCH, self.pitch)?;
        Ok(self)
    }
}

/// The deck's loop: the stored region (track seconds) and whether it is engaged.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct DeckLoop {
    /// Stored loop as (start, end) in seconds of the track; `None` when none is stored.
    pub region: Option<(f64, f64)>,
    /// Whether the loop is engaged.
    pub active: bool,
    /// The loop roll held now, in beats.
    pub roll: Option<f64>,
}

/// A hot cue: a child entity of its deck.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotCue {
    /// Pad 0..8.
    pub slot: usize,
    /// Position in seconds of the track.
    pub seconds: f64,
    /// Label shown on the pad; may be empty.
    #[serde(default)]
    pub name: String,
    /// Pad colour (sRGB).
    #[serde(default)]
    pub colour: [u8; 3],
    /// A saved loop's end, in seconds of the track: the pad then jumps to `seconds` and loops
    /// from there to here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<f64>,
}

/// Default pad colours, one per slot.
pub const PAD_COLOURS: [[u8; 3]; HOT_CUES] = [
    [230, 60, 60],
    [240, 150, 40],
    [235, 215, 50],
    [80, 200, 90],
    [50, 200, 200],
    [60, 120, 235],
    [150, 80, 230],
    [230, 80, 180],
];
