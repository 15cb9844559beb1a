//! The shared clock as the world sees it, and the mixer's controls.

use bevy::prelude::*;
use engine_rt::intent::Policy;
use engine_rt::ranges::{self, ValueError};
use engine_rt::ron_file::CheckValues;
use engine_rt::{MasterParam, Quantize, XfaderCurve};
use phosphene_engine_bridge::AbletonLink;
use serde::{Deserialize, Serialize};

/// Where launches (play, hot cues, loops) land.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LaunchQuantize {
    /// At once.
    None,
    /// On the next beat.
    Beat,
    /// On the next bar.
    #[default]
    Bar,
    /// On the next multiple of this many bars (2, 4 or 8).
    Bars(u8),
}

impl LaunchQuantize {
    /// The engine quantization for a launch with this setting.
    pub fn quantize(self, quantum: f64) -> Quantize {
        match self {
            Self::None => Quantize::Now,
            Self::Beat => Quantize::NextBeat,
            Self::Bar => Quantize::NextBar,
            Self::Bars(n) => Quantize::NextMultiple(n.max(1) as f64 * quantum),
        }
    }

    /// Short label for selectors.
    pub fn label(self) -> String {
        match self {
            Self::None => "off".into(),
            Self::Beat => "1 beat".into(),
            Self::Bar => "1 bar".into(),
            Self::Bars(n) => format!("{n} bars"),
        }
    }
}

/// The clock: tempo and position from the engine, plus the launch setting and tap tempo.
#[derive(Resource, Debug, Clone)]
pub struct Transport {
    /// Tempo in beats per minute (as last reported, or as last asked for).
    pub bpm: f64,
    /// Beat position at the last report.
    pub beat: f64,
    /// Beats per bar.
    pub quantum: f64,
    /// Where launches land.
    pub launch: LaunchQuantize,
    /// Ableton Link asked on (the clock then follows the Link session; see docs/LINK.md).
    pub link: bool,
    /// Link's start/stop sync asked on (synced decks start and stop with the session).
    pub link_start_stop: bool,
    /// Times (seconds of app time) of recent taps.
    pub taps: Vec<f64>,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            bpm: ranges::BPM.default,
            beat: 0.0,
            quantum: ranges::QUANTUM.default,
            launch: LaunchQuantize::Bar,
            link: false,
            link_start_stop: false,
            taps: Vec::new(),
        }
    }
}

/// Switches Ableton Link and its start/stop sync when [`Transport::link`] or
/// [`Transport::link_start_stop`] changes (by any control, a set or the command line).
pub(crate) fn switch_link(transport: Res<Transport>, link: Option<ResMut<AbletonLink>>) {
    let Some(mut link) = link else { return };
    if !transport.is_changed() {
        return;
    }
    if link.wanted() != transport.link {
        link.set_enabled(transport.link);
    }
    if link.start_stop_sync() != transport.link_start_stop {
        link.set_start_stop_sync(transport.link_start_stop);
    }
}

/// Taps further apart than this start a new count.
const TAP_RESET_SECONDS: f64 = 2.0;
/// Taps averaged for the tempo.
const TAPS_KEPT: usize = 8;

impl Transport {
    /// Position within the beat, 0..1.
    pub fn beat_phase(&self) -> f64 {
        self.beat.rem_euclid(1.0)
    }

    /// Position within the bar, 0..1.
    pub fn bar_phase(&self) -> f64 {
        (self.beat / self.quantum).rem_euclid(1.0)
    }

    /// The engine quantization launches use now.
    pub fn launch_quantize(&self) -> Quantize {
        self.launch.quantize(self.quantum)
    }

    /// Registers a tap at `now` seconds; returns the tempo once two taps are close enough.
    pub fn tap(&mut self, now: f64) -> Option<f64> {
        if self
            .taps
            .last()
            .is_some_and(|&t| now - t > TAP_RESET_SECONDS || now < t)
        {
            self.taps.clear();
        }
        self.taps.push(now);
        if self.taps.len() > TAPS_KEPT {
            self.taps.remove(0);
        }
        let (first, last) = (*self.taps.first()?, *self.taps.last()?);
        let intervals = self.taps.len() - 1;
        (intervals > 0 && last > first).then(|| ranges::BPM.hold(60.0 * intervals as f64 / (last - first)))
    }
}

/// The mixer's controls as the performer left them.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MixerState {
    /// -1 (side A) .. 1 (side B).
    pub crossfader: f32,
    /// Crossfader gain law.
    pub curve: XfaderCurve,
    /// Master gain in dB.
    pub master_gain_db: f32,
    /// Headphones: 0 = cue bus only, 1 = master only.
    pub cue_mix: f32,
    /// Headphone level in dB.
    pub cue_gain_db: f32,
}

impl Default for MixerState {
    fn default() -> Self {
        let d = |p: MasterParam| p.range().default as f32;
        Self {
            crossfader: d(MasterParam::Crossfader),
            curve: XfaderCurve::Smooth,
            master_gain_db: d(MasterParam::GainDb),
            cue_mix: d(MasterParam::CueMix),
            cue_gain_db: d(MasterParam::CueGainDb),
        }
    }
}

impl CheckValues for MixerState {
    fn checked_with(mut self, policy: Policy) -> Result<Self, ValueError> {
        for (param, v) in [
            (MasterParam::Crossfader, &mut self.crossfader),
            (MasterParam::GainDb, &mut self.master_gain_db),
            (MasterParam::CueMix, &mut self.cue_mix),
            (MasterParam::CueGainDb, &mut self.cue_gain_db),
        ] {
            *v = policy(param.range(), *v as f64)? as f32;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tap_tempo_averages_and_resets() {
        let mut t = Transport::default();
        assert_eq!(t.tap(10.0), None);
        assert!((t.tap(10.5).unwrap() - 120.0).abs() < 1e-9);
        assert!((t.tap(11.0).unwrap() - 120.0).abs() < 1e-9);
        // A long pause starts over.
        assert_eq!(t.tap(20.0), None);
        assert!((t.tap(20.4).unwrap() - 150.0).abs() < 1e-9);
    }

    #[test]
    fn launch_settings_map_to_engine_quantize() {
        assert_eq!(LaunchQuantize::Bars(2).quantize(4.0), Quantize::NextMultiple(8.0));
        assert_eq!(LaunchQuantize::Bar.quantize(3.0), Quantize::NextBar);
        assert_eq!(LaunchQuantize::None.quantize(4.0), Quantize::Now);
    }
}
