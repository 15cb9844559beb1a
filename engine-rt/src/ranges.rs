//! The one table of every value a performer, a file or a control source can set: its range,
//! default and unit, and the counts of things a deck has. The engine, the app, the UI and the
//! file formats all read it, so a range is written once.
//!
//! Two ways to apply a range, one per kind of source:
//! - [`Range::clamp`] for live sources (UI, keyboard, controllers): a value past an end is
//!   held at that end, because a knob turned too far means "as far as it goes".
//! - [`Range::check`] for files (sets, scripts, actions, recordings): a value out of range is
//!   refused with its place in the file, because a typo should be fixed, not guessed at.
//!
//! Both refuse non-finite values (NaN, infinities): nothing applies them, ever.

use serde::de::{Deserialize, Deserializer, Error as _};

/// Hot cue slots per deck.
pub const HOT_CUES: usize = 8;
/// Effect slots per deck.
pub const FX_SLOTS: usize = 3;

/// A closed range of a continuous value, with its default and unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// What the value is, for messages ("crossfader").
    pub name: &'static str,
    /// Lowest value.
    pub min: f64,
    /// Highest value.
    pub max: f64,
    /// The value a fresh deck, mixer or set starts with.
    pub default: f64,
    /// Unit for displays ("dB", "BPM"; empty for plain numbers).
    pub unit: &'static str,
}

/// A value that was refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueError {
    /// NaN or an infinity.
    NotFinite {
        /// What the value was for.
        what: &'static str,
    },
    /// Finite, but outside the range (only [`Range::check`] refuses these).
    OutOfRange {
        /// What the value was for.
        what: &'static str,
        /// The value given.
        value: f64,
        /// The lowest allowed.
        min: f64,
        /// The highest allowed.
        max: f64,
    },
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::NotFinite { what } => write!(f, "{what} must be a finite number"),
            Self::OutOfRange { what, value, min, max } => {
                write!(f, "{what} must be {min}..={max}, not {value}")
            }
        }
    }
}

impl std::error::Error for ValueError {}

impl ValueError {
    /// What the refused value was for.
    pub fn what(&self) -> &'static str {
        match *self {
            Self::NotFinite { what } | Self::OutOfRange { what, .. } => what,
        }
    }
}

impl Range {
    /// A range for a table of constants.
    pub const fn new(name: &'static str, min: f64, max: f64, default: f64, unit: &'static str) -> Self {
        Self {
            name,
            min,
            max,
            default,
            unit,
        }
    }

    /// Holds a finite value inside the range; refuses NaN and infinities.
    pub fn clamp(&self, v: f64) -> Result<f64, ValueError> {
        if v.is_finite() {
            Ok(v.clamp(self.min, self.max))
        } else {
            Err(ValueError::NotFinite { what: self.name })
        }
    }

    /// Accepts a finite value inside the range; refuses anything else.
    pub fn check(&self, v: f64) -> Result<f64, ValueError> {
        if !v.is_finite() {
            Err(ValueError::NotFinite { what: self.name })
        } else if v < self.min || v > self.max {
            Err(ValueError::OutOfRange {
                what: self.name,
                value: v,
                min: self.min,
                max: self.max,
            })
        } else {
            Ok(v)
        }
    }

    /// [`Range::clamp`] for single-precision values.
    pub fn clamp_f32(&self, v: f32) -> Result<f32, ValueError> {
        self.clamp(v as f64).map(|v| v as f32)
    }

    /// Reads a number with serde and [`Range::check`]s it, so a file's bad value is reported at
    /// its line and column (use from a `deserialize_with` function).
    pub fn read<'de, D, T>(&self, d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de> + Into<f64> + Copy,
    {
        let v = T::deserialize(d)?;
        self.check(v.into()).map_err(D::Error::custom)?;
        Ok(v)
    }

    /// Holds `v` inside the range without judging it: for values already checked where they
    /// entered (the DSP's last guard).
    #[inline]
    pub fn hold(&self, v: f64) -> f64 {
        v.clamp(self.min, self.max)
    }

    /// [`Range::hold`] for single-precision values.
    #[inline]
    pub fn hold_f32(&self, v: f32) -> f32 {
        v.clamp(self.min as f32, self.max as f32)
    }

    /// Where `v` sits in the range, 0 at `min` and 1 at `max` (for knobs and faders).
    pub fn fraction(&self, v: f64) -> f64 {
        ((v - self.min) / (self.max - self.min)).clamp(0.0, 1.0)
    }
}

/// Master tempo and track grids.
pub const BPM: Range = Range::new("bpm", 20.0, 999.0, 120.0, "BPM");
/// Beats per bar (the launch quantum).
pub const QUANTUM: Range = Range::new("quantum (beats per bar)", 1.0, 16.0, 4.0, "beats");
/// Length of a ramp (tempo, rate or a parameter glide).
pub const RAMP_BEATS: Range = Range::new("ramp_beats", 0.0, 1024.0, 0.0, "beats");
/// Grid of a quantized launch (`Quantize::NextMultiple`).
pub const LAUNCH_GRID: Range = Range::new("launch grid", 1.0 / 16.0, 1024.0, 4.0, "beats");
/// A position in a track (cues, loops, seeks, grids), up to a day.
pub const POSITION: Range = Range::new("a position in seconds", 0.0, 24.0 * 3600.0, 0.0, "s");
/// A beat of a script, recording or actions file.
pub const SCRIPT_BEAT: Range = Range::new("beat", 0.0, 1.0e9, 0.0, "beats");
/// Input trim.
pub const TRIM_DB: Range = Range::new("trim", -24.0, 12.0, 0.0, "dB");
/// Channel fader (audio taper applied by the engine).
pub const VOLUME: Range = Range::new("volume", 0.0, 1.0, 1.0, "");
/// EQ band gain (-26 dB is the isolator's floor; kills mute fully).
pub const EQ_DB: Range = Range::new("EQ gain", -26.0, 6.0, 0.0, "dB");
/// One-knob filter: low-pass left of centre, high-pass right.
pub const FILTER: Range = Range::new("filter", -1.0, 1.0, 0.0, "");
/// Filter resonance.
pub const RESONANCE: Range = Range::new("resonance", 0.0, 1.0, 0.3, "");
/// Wet/dry amount of an FX slot.
pub const FX_AMOUNT: Range = Range::new("FX amount", 0.0, 1.0, 0.0, "");
/// The main parameter of an FX slot (echo feedback, reverb size, crusher depth).
pub const FX_PARAM: Range = Range::new("FX parameter", 0.0, 1.0, 0.5, "");
/// Echo delay.
pub const ECHO_BEATS: Range = Range::new("echo beats", 1.0 / 16.0, 4.0, 0.5, "beats");
/// Playback rate (1 = the track's own tempo).
pub const RATE: Range = Range::new("rate", 0.25, 4.0, 1.0, "x");
/// Temporary rate bend while a nudge is held, as a fraction of the rate.
pub const NUDGE: Range = Range::new("nudge", -0.5, 0.5, 0.0, "");
/// Pitch shift.
pub const PITCH: Range = Range::new("pitch", -12.0, 12.0, 0.0, "semitones");
/// Beat loop length.
pub const BEAT_LOOP: Range = Range::new("beat loop", 1.0 / 8.0, 32.0, 4.0, "beats");
/// Beat jump and loop move, back (negative) or forward.
pub const BEAT_JUMP: Range = Range::new("beat jump", -32.0, 32.0, 4.0, "beats");
/// Loop length change: 0.5 halves, 2 doubles.
pub const LOOP_SCALE: Range = Range::new("loop scale", 0.5, 2.0, 2.0, "x");
/// Tempo factor of a grid correction (halve, double, x2/3, x3/2).
pub const GRID_SCALE: Range = Range::new("grid scale", 0.5, 2.0, 1.0, "x");
/// One move of a grid correction.
pub const GRID_SHIFT: Range = Range::new("grid shift", -1.0, 1.0, 0.0, "s");
/// Crossfader: -1 is side A, 1 side B.
pub const CROSSFADER: Range = Range::new("crossfader", -1.0, 1.0, 0.0, "");
/// Master gain.
pub const MASTER_GAIN_DB: Range = Range::new("master gain", -60.0, 12.0, 0.0, "dB");
/// Headphone mix: 0 is the cue bus only, 1 the master only.
pub const CUE_MIX: Range = Range::new("cue mix", 0.0, 1.0, 0.0, "");
/// Headphone level.
pub const CUE_GAIN_DB: Range = Range::new("cue gain", -60.0, 12.0, 0.0, "dB");

/// Every range above, for documentation and checks.
pub const ALL: &[&Range] = &[
    &BPM,
    &QUANTUM,
    &LAUNCH_GRID,
    &RAMP_BEATS,
    &POSITION,
    &SCRIPT_BEAT,
    &TRIM_DB,
    &VOLUME,
    &EQ_DB,
    &FILTER,
    &RESONANCE,
    &FX_AMOUNT,
    &FX_PARAM,
    &ECHO_BEATS,
    &RATE,
    &NUDGE,
    &PITCH,
    &BEAT_LOOP,
    &BEAT_JUMP,
    &LOOP_SCALE,
    &GRID_SCALE,
    &GRID_SHIFT,
    &CROSSFADER,
    &MASTER_GAIN_DB,
    &CUE_MIX,
    &CUE_GAIN_DB,
];

/// A range as one row of the table in docs/ENGINE.md.
pub fn doc_row(r: &Range) -> String {
    format!("| {} | {} | {} | {} | {} |", r.name, r.min, r.max, r.default, r.unit)
}

/// Refuses a slot number past `count`, as a [`ValueError::OutOfRange`] naming `what`.
fn check_slot(what: &'static str, slot: usize, count: usize) -> Result<usize, ValueError> {
    if slot < count {
        Ok(slot)
    } else {
        Err(ValueError::OutOfRange {
            what,
            value: slot as f64,
            min: 0.0,
            max: (count - 1) as f64,
        })
    }
}

/// Refuses a hot-cue slot a deck does not have (0..[`HOT_CUES`]).
pub fn hot_cue_slot(slot: usize) -> Result<usize, ValueError> {
    check_slot("hot cue slot", slot, HOT_CUES)
}

/// Refuses an FX slot a deck does not have (0..[`FX_SLOTS`]).
pub fn fx_slot(slot: usize) -> Result<usize, ValueError> {
    check_slot("FX slot", slot, FX_SLOTS)
}

/// `deserialize_with` functions for the file formats' fields, each [`Range::check`]ing one
/// range, so every format refuses the same values with their line and column.
pub mod de {
    use serde::de::{Deserialize, Deserializer, Error as _};

    /// A tempo ([`super::BPM`]).
    pub fn bpm<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        super::BPM.read(d)
    }

    /// An optional tempo ([`super::BPM`]), e.g. a track's grid.
    pub fn opt_bpm<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<f64>::deserialize(d)?
            .map(|v| super::BPM.check(v))
            .transpose()
            .map_err(D::Error::custom)
    }

    /// Beats per bar ([`super::QUANTUM`]).
    pub fn quantum<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        super::QUANTUM.read(d)
    }

    /// A position in a track in seconds ([`super::POSITION`]).
    pub fn position<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        super::POSITION.read(d)
    }

    /// The beat of a scripted event ([`super::SCRIPT_BEAT`]).
    pub fn beat<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        super::SCRIPT_BEAT.read(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_holds_ends_and_refuses_non_finite() {
        assert_eq!(CROSSFADER.clamp(3.0), Ok(1.0));
        assert_eq!(CROSSFADER.clamp(-0.25), Ok(-0.25));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(CROSSFADER.clamp(bad), Err(ValueError::NotFinite { what: "crossfader" }));
        }
        assert_eq!(
            MASTER_GAIN_DB.clamp_f32(f32::NAN),
            Err(ValueError::NotFinite { what: "master gain" })
        );
    }

    #[test]
    fn check_refuses_what_clamp_would_hold() {
        assert_eq!(BPM.check(128.0), Ok(128.0));
        let e = BPM.check(1000.0).unwrap_err();
        assert_eq!(e.to_string(), "bpm must be 20..=999, not 1000");
        assert!(BPM.check(f64::NAN).is_err());
        assert_eq!(
            hot_cue_slot(8).unwrap_err().to_string(),
            "hot cue slot must be 0..=7, not 8"
        );
    }

    #[test]
    fn every_default_lies_in_its_range() {
        for r in ALL {
            assert_eq!(r.check(r.default), Ok(r.default), "{}", r.name);
        }
    }

    /// The engine reference lists every range exactly as the table holds it.
    #[test]
    fn the_engine_reference_matches_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ENGINE.md");
        let doc = std::fs::read_to_string(path).expect("docs/ENGINE.md");
        for r in ALL {
            let row = doc_row(r);
            assert!(doc.contains(&row), "docs/ENGINE.md lacks the row\n{row}");
        }
    }
}
