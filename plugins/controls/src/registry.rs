//! The registry: every control a performer can touch, with its address, kind, range and a
//! one-line description. It is the one home of each control's range (read from
//! [`engine_rt::ranges`] and the visuals' ranges), and what `phosphene controls`,
//! docs/CONTROLS.md, learn and every source read.

use std::collections::HashMap;

use bevy::prelude::*;
use engine_rt::EqBand;
use engine_rt::ranges::{self, FX_SLOTS, HOT_CUES, Range};
use engine_rt::track_analysis::loudness::REPLAYGAIN_TARGET_LUFS;
use phosphene_decks::{GRID_NUDGE_SECONDS, GRID_SCALES};
use phosphene_visuals::show::{PostField, ranges as visual_ranges};
use phosphene_visuals::uniforms::PARAMS;

use crate::address::{
    ControlId, DeckControl, DeckRef, JUMP_SIZES, LOOP_SIZES, MapControl, MixerControl, TransportControl, VisualControl,
    band_name, beats_part,
};
use crate::choices::{self, names};

/// A deck's playhead as a share of its track, for `/deck/N/position`.
pub const POSITION_SHARE: Range = Range::new("position", 0.0, 1.0, 0.0, "");

/// What sort of value a control takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlKind {
    /// A number within a range (knobs, faders).
    Continuous(Range),
    /// On or off (0 or 1).
    Toggle,
    /// Fires when pressed; has no value of its own.
    Trigger,
    /// One of named options; the value is the option's index.
    Choice(Vec<String>),
}

impl ControlKind {
    /// Its word in `phosphene controls`.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Continuous(_) => "continuous",
            Self::Toggle => "toggle",
            Self::Trigger => "trigger",
            Self::Choice(_) => "choice",
        }
    }

    /// The range or the options, as one token: `-1..1`, `off,on`, `A,thru,B`, `-`.
    pub fn span(&self) -> String {
        match self {
            Self::Continuous(r) => format!("{}..{}", r.min, r.max),
            Self::Toggle => "off,on".into(),
            Self::Trigger => "-".into(),
            Self::Choice(options) => options.join(","),
        }
    }

    /// Lowest and highest value (a choice's indices, 0..1 for toggles and triggers).
    pub fn bounds(&self) -> (f64, f64) {
        match self {
            Self::Continuous(r) => (r.min, r.max),
            Self::Choice(o) => (0.0, o.len().saturating_sub(1) as f64),
            Self::Toggle | Self::Trigger => (0.0, 1.0),
        }
    }

    /// A value held to the kind: clamped, choices and toggles rounded; `None` if not finite.
    pub fn hold(&self, value: f64) -> Option<f64> {
        if !value.is_finite() {
            return None;
        }
        let (lo, hi) = self.bounds();
        let v = value.clamp(lo, hi);
        Some(match self {
            Self::Continuous(_) => v,
            Self::Choice(_) | Self::Toggle | Self::Trigger => v.round(),
        })
    }
}

/// One control: where it lives, what it takes, what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlSpec {
    /// Which control.
    pub id: ControlId,
    /// Its address.
    pub address: String,
    /// What sort of value it takes.
    pub kind: ControlKind,
    /// One line for the performer.
    pub description: String,
}

impl ControlSpec {
    /// Its line in `phosphene controls`: `<address> <kind> <range or choices> <description>`.
    pub fn line(&self) -> String {
        format!(
            "{} {} {} {}",
            self.address,
            self.kind.word(),
            self.kind.span(),
            self.description
        )
    }
}

/// Every control of the running instrument, by address. Rebuilt when the scene library
/// changes (the scene choice lists the scenes).
#[derive(Resource, Debug, Clone, Default)]
pub struct Registry {
    decks: usize,
    specs: Vec<ControlSpec>,
    by_address: HashMap<String, usize>,
    by_id: HashMap<ControlId, usize>,
}

fn continuous(range: Range, what: &str) -> (ControlKind, String) {
    let unit = if range.unit.is_empty() {
        String::new()
    } else {
        format!(" ({})", range.unit)
    };
    (ControlKind::Continuous(range), format!("{what}{unit}"))
}

/// Kind and description of a deck control (`deck` names it: "deck 2" or "the focused deck").
fn deck_spec(c: DeckControl, deck: &str) -> (ControlKind, String) {
    use ControlKind::{Toggle, Trigger};
    use DeckControl as C;
    let t = |s: String| (Trigger, s);
    match c {
        C::Play => t(format!("play or pause {deck} (play lands on the launch quantization)")),
        C::Cue => t(format!("cue button of {deck} (CDJ style)")),
        C::Stop => t(format!("stop {deck} and return to its cue point")),
        C::Sync => (Toggle, format!("{deck} follows the master tempo")),
        C::KeyLock => (Toggle, format!("tempo changes on {deck} keep the pitch")),
        C::Tempo => continuous(ranges::RATE, &format!("playback rate of {deck}, 1 = original tempo")),
        C::Pitch => continuous(ranges::PITCH, &format!("pitch of {deck}")),
        C::Nudge => continuous(ranges::NUDGE, &format!("temporary tempo bend of {deck}, 0 at rest")),
        C::Gain => continuous(ranges::TRIM_DB, &format!("input gain of {deck}")),
        C::Volume => continuous(ranges::VOLUME, &format!("channel fader of {deck}")),
        C::Eq(b) => continuous(ranges::EQ_DB, &format!("{} EQ of {deck}", band_name(b))),
        C::Kill(b) => (Toggle, format!("kill the {} band of {deck}", band_name(b))),
        C::Filter => continuous(
            ranges::FILTER,
            &format!("filter of {deck}: low-pass left of centre, high-pass right"),
        ),
        C::Resonance => continuous(ranges::RESONANCE, &format!("filter resonance of {deck}")),
        C::HotCue(k) => t(format!(
            "hot cue {} of {deck}: jump (quantized), or store when empty",
            k + 1
        )),
        C::HotCueSet(k) => t(format!("store hot cue {} of {deck} at the playhead", k + 1)),
        C::HotCueDelete(k) => t(format!("delete hot cue {} of {deck}", k + 1)),
        C::HotCueLoop(k) => t(format!(
            "save the loop of {deck} on hot cue {}: the pad then jumps to the loop and engages it",
            k + 1
        )),
        C::BeatLoop(i) => t(format!(
            "loop {} beats on {deck} (quantized); again leaves it",
            beats_part(LOOP_SIZES[i])
        )),
        C::LoopIn => t(format!("loop start of {deck} at the playhead")),
        C::LoopOut => t(format!("loop end of {deck} at the playhead; starts looping")),
        C::LoopExit => t(format!("leave the loop on {deck}")),
        C::JumpForward => t(format!("jump {deck} forward by the beat jump size (keeps the phase)")),
        C::JumpBack => t(format!("jump {deck} back by the beat jump size (keeps the phase)")),
        C::JumpSize => (
            ControlKind::Choice(JUMP_SIZES.iter().map(|b| beats_part(*b)).collect()),
            format!("beat jump size of {deck}, in beats"),
        ),
        C::LoopRoll(i) => (
            Toggle,
            format!(
                "loop roll of {} beats on {deck} while on (bind a button as Momentary); off returns to where the track would have been",
                beats_part(LOOP_SIZES[i])
            ),
        ),
        C::LoopHalve => t(format!("halve the loop of {deck}")),
        C::LoopDouble => t(format!("double the loop of {deck}")),
        C::LoopMoveForward => t(format!("move the loop of {deck} forward by the beat jump size")),
        C::LoopMoveBack => t(format!("move the loop of {deck} back by the beat jump size")),
        C::Slip => (
            Toggle,
            format!("slip mode of {deck}: loops, rolls and jumps play over the track running on underneath"),
        ),
        C::GridTap => t(format!("tap the beats of {deck}'s track: four taps set its grid")),
        C::GridScale(i) => t(format!(
            "multiply the grid tempo of {deck} by {}",
            ["1/2", "2", "2/3", "3/2"][i]
        )),
        C::GridEarlier => t(format!(
            "move the grid of {deck} {:.0} ms earlier",
            GRID_NUDGE_SECONDS * 1e3
        )),
        C::GridLater => t(format!(
            "move the grid of {deck} {:.0} ms later",
            GRID_NUDGE_SECONDS * 1e3
        )),
        C::GridDownbeat => t(format!("make the beat nearest the playhead of {deck} a downbeat")),
        C::GridBeatHere => t(format!("put a downbeat of {deck}'s grid exactly at the playhead")),
        C::GridLock => (Toggle, format!("lock the grid of {deck} against edits and re-analysis")),
        C::AutoGain => t(format!(
            "auto-gain: set the gain of {deck} from its track's loudness (to {REPLAYGAIN_TARGET_LUFS} LUFS)"
        )),
        C::KeySync => t(format!(
            "key sync: shift {deck} to a key compatible with another deck's (key lock on)"
        )),
        C::FxKind(s) => (
            ControlKind::Choice(names(&choices::FX_KINDS)),
            format!("effect in FX slot {} of {deck}", s + 1),
        ),
        C::FxAmount(s) => continuous(ranges::FX_AMOUNT, &format!("wet/dry of FX slot {} of {deck}", s + 1)),
        C::FxParam(s) => continuous(
            ranges::FX_PARAM,
            &format!("main parameter of FX slot {} of {deck}", s + 1),
        ),
        C::Xfader => (
            ControlKind::Choice(names(&choices::XFADER_SIDES)),
            format!("crossfader side of {deck}"),
        ),
        C::Headphone => (Toggle, format!("send {deck} to the headphones")),
        C::Position => continuous(
            POSITION_SHARE,
            &format!("playhead of {deck} as a share of the track (seeks)"),
        ),
        C::Eject => t(format!("remove the track from {deck}")),
    }
}

/// Every control of one deck, in the order the registry lists them.
pub fn deck_controls() -> Vec<DeckControl> {
    use DeckControl as C;
    let mut v = vec![
        C::Play,
        C::Cue,
        C::Stop,
        C::Sync,
        C::KeyLock,
        C::Tempo,
        C::Pitch,
        C::Nudge,
        C::Gain,
        C::Volume,
    ];
    for b in EqBand::ALL {
        v.extend([C::Eq(b), C::Kill(b)]);
    }
    v.extend([C::Filter, C::Resonance]);
    for k in 0..HOT_CUES {
        v.extend([C::HotCue(k), C::HotCueSet(k), C::HotCueDelete(k), C::HotCueLoop(k)]);
    }
    v.extend((0..LOOP_SIZES.len()).map(C::BeatLoop));
    v.extend([
        C::LoopIn,
        C::LoopOut,
        C::LoopExit,
        C::JumpForward,
        C::JumpBack,
        C::JumpSize,
    ]);
    v.extend((0..LOOP_SIZES.len()).map(C::LoopRoll));
    v.extend([
        C::LoopHalve,
        C::LoopDouble,
        C::LoopMoveForward,
        C::LoopMoveBack,
        C::Slip,
        C::GridTap,
    ]);
    v.extend((0..GRID_SCALES.len()).map(C::GridScale));
    v.extend([
        C::GridEarlier,
        C::GridLater,
        C::GridDownbeat,
        C::GridBeatHere,
        C::GridLock,
        C::KeySync,
        C::AutoGain,
    ]);
    for s in 0..FX_SLOTS {
        v.extend([C::FxKind(s), C::FxAmount(s), C::FxParam(s)]);
    }
    v.extend([C::Xfader, C::Headphone, C::Position, C::Eject]);
    v
}

impl Registry {
    /// The registry of an instrument with `decks` decks and these scenes (ids, in library order).
    pub fn new(decks: usize, scenes: &[String]) -> Self {
        let mut r = Self {
            decks,
            ..Self::default()
        };
        let refs = (0..decks).map(DeckRef::Index).chain([DeckRef::Focused]);
        for d in refs {
            let name = match d {
                DeckRef::Index(i) => format!("deck {}", i + 1),
                DeckRef::Focused => "the focused deck".to_string(),
            };
            for c in deck_controls() {
                let (kind, description) = deck_spec(c, &name);
                r.add(ControlId::Deck(d, c), kind, description);
            }
        }
        let mixer = |m| ControlId::Mixer(m);
        let (k, d) = continuous(ranges::CROSSFADER, "crossfader: -1 all A, 1 all B");
        r.add(mixer(MixerControl::Crossfader), k, d);
        r.add(
            mixer(MixerControl::Curve),
            ControlKind::Choice(names(&choices::CURVES)),
            "crossfader law".into(),
        );
        let (k, d) = continuous(ranges::MASTER_GAIN_DB, "master gain");
        r.add(mixer(MixerControl::Master), k, d);
        let (k, d) = continuous(ranges::CUE_MIX, "headphone mix: 0 cue only, 1 master only");
        r.add(mixer(MixerControl::HeadphoneMix), k, d);
        let (k, d) = continuous(ranges::CUE_GAIN_DB, "headphone level");
        r.add(mixer(MixerControl::HeadphoneGain), k, d);
        let (k, d) = continuous(ranges::BPM, "master tempo");
        r.add(ControlId::Transport(TransportControl::Tempo), k, d);
        r.add(
            ControlId::Transport(TransportControl::Tap),
            ControlKind::Trigger,
            "tap tempo: taps on the beat set the master tempo".into(),
        );
        r.add(
            ControlId::Transport(TransportControl::Launch),
            ControlKind::Choice(names(&choices::LAUNCHES)),
            "where launches (play, hot cues, loops) land".into(),
        );
        r.add(
            ControlId::Transport(TransportControl::Link),
            ControlKind::Toggle,
            "Ableton Link: the clock follows the Link session (docs/LINK.md)".into(),
        );
        r.add(
            ControlId::Transport(TransportControl::LinkStartStop),
            ControlKind::Toggle,
            "Link start/stop sync: synced decks start and stop with the session (docs/LINK.md)".into(),
        );
        let v = ControlId::Visuals;
        r.add(
            v(VisualControl::Scene),
            ControlKind::Choice(scenes.to_vec()),
            "the scene on (changes on the transition's quantization)".into(),
        );
        r.add(
            v(VisualControl::SceneNext),
            ControlKind::Trigger,
            "the next scene of the library".into(),
        );
        r.add(
            v(VisualControl::ScenePrevious),
            ControlKind::Trigger,
            "the previous scene of the library".into(),
        );
        r.add(
            v(VisualControl::TransitionKind),
            ControlKind::Choice(names(&choices::TRANSITIONS)),
            "how scenes blend".into(),
        );
        let (k, d) = continuous(visual_ranges::TRANSITION_BEATS, "length of a scene transition");
        r.add(v(VisualControl::TransitionBeats), k, d);
        r.add(
            v(VisualControl::TransitionAt),
            ControlKind::Choice(names(&choices::SCENE_QUANTIZE)),
            "where scene changes land".into(),
        );
        for k in 0..PARAMS {
            let (kind, d) = continuous(
                visual_ranges::PARAM_POSITION,
                &format!("scene parameter {} (0..1 of the scene's own range)", k + 1),
            );
            r.add(v(VisualControl::Param(k)), kind, d);
        }
        for f in PostField::ALL {
            let (kind, d) = match f.range() {
                Some(range) => continuous(*range, &format!("post effect: {}", range.name)),
                None => (ControlKind::Toggle, format!("post effect: {}", f.key())),
            };
            r.add(v(VisualControl::Post(f)), kind, d);
        }
        let m = ControlId::Map;
        r.add(
            m(MapControl::Focus),
            ControlKind::Choice((1..=decks).map(|d| d.to_string()).collect()),
            "the focused deck, which `/deck/focused/...` drives".into(),
        );
        r.add(
            m(MapControl::FocusNext),
            ControlKind::Trigger,
            "focus the next deck".into(),
        );
        r.add(
            m(MapControl::FocusPrevious),
            ControlKind::Trigger,
            "focus the previous deck".into(),
        );
        r.add(
            m(MapControl::Shift),
            ControlKind::Toggle,
            "shift layer: bindings on the Shift layer act while it is on".into(),
        );
        r.add(
            m(MapControl::Alt),
            ControlKind::Toggle,
            "alt layer: bindings on the Alt layer act while it is on".into(),
        );
        r
    }

    fn add(&mut self, id: ControlId, kind: ControlKind, description: String) {
        let address = id.address();
        self.by_address.insert(address.clone(), self.specs.len());
        self.by_id.insert(id, self.specs.len());
        self.specs.push(ControlSpec {
            id,
            address,
            kind,
            description,
        });
    }

    /// Decks the instrument has.
    pub fn decks(&self) -> usize {
        self.decks
    }

    /// Every control, in registry order.
    pub fn specs(&self) -> &[ControlSpec] {
        &self.specs
    }

    /// The control at an address.
    pub fn lookup(&self, address: &str) -> Option<&ControlSpec> {
        self.by_address
            .get(address.trim_end_matches('/'))
            .map(|&i| &self.specs[i])
    }

    /// A control's spec.
    pub fn spec(&self, id: ControlId) -> Option<&ControlSpec> {
        self.by_id.get(&id).map(|&i| &self.specs[i])
    }

    /// The registry as `phosphene controls` prints it, one control a line.
    pub fn listing(&self) -> String {
        self.specs.iter().map(|s| s.line() + "\n").collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_is_unique_and_reads_back() {
        let r = Registry::new(4, &["tunnel".into(), "bloom".into()]);
        for s in r.specs() {
            assert_eq!(r.lookup(&s.address).map(|x| x.id), Some(s.id), "{}", s.address);
            assert_eq!(s.line().split(' ').next(), Some(s.address.as_str()));
        }
        let line = r.lookup("/deck/2/filter").map(ControlSpec::line);
        assert_eq!(
            line.as_deref(),
            Some("/deck/2/filter continuous -1..1 filter of deck 2: low-pass left of centre, high-pass right")
        );
        assert_eq!(
            r.lookup("/visuals/scene").map(|s| s.kind.span()).as_deref(),
            Some("tunnel,bloom")
        );
        assert!(r.lookup("/deck/5/filter").is_none());
    }

    #[test]
    fn kinds_hold_values_to_themselves() {
        let choice = ControlKind::Choice(vec!["a".into(), "b".into(), "c".into()]);
        assert_eq!(choice.hold(1.6), Some(2.0));
        assert_eq!(choice.hold(9.0), Some(2.0));
        assert_eq!(ControlKind::Continuous(ranges::FILTER).hold(-3.0), Some(-1.0));
        assert_eq!(ControlKind::Toggle.hold(f64::NAN), None);
    }
}
