//! Control identities and their addresses: `/deck/2/filter`, `/mixer/crossfader`,
//! `/visuals/post/strobe`. An address is written in exactly one place, [`ControlId::address`];
//! reading one back goes through the [`crate::Registry`], which knows which exist.

use std::fmt;

use engine_rt::EqBand;
use phosphene_visuals::show::PostField;

/// Sizes a beat loop pad offers, in beats.
pub const LOOP_SIZES: [f64; 8] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
/// Sizes beat jump offers, in beats (the default is 4).
pub const JUMP_SIZES: [f64; 8] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
/// Addresses of the grid's tempo corrections, in the order of [`phosphene_decks::GRID_SCALES`].
const GRID_SCALE_NAMES: [&str; phosphene_decks::GRID_SCALES.len()] =
    ["grid/halve", "grid/double", "grid/two_thirds", "grid/three_halves"];
/// The beat jump size a deck starts with.
pub const DEFAULT_JUMP: usize = 4;

/// Which deck a control acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeckRef {
    /// A deck by its 0-based index (written 1-based in addresses).
    Index(usize),
    /// Whichever deck the performer focused (`/controls/focus`).
    Focused,
}

/// The controls of one deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeckControl {
    /// Play / pause (play lands on the launch quantization).
    Play,
    /// CDJ cue button.
    Cue,
    /// Stop and return to the cue point.
    Stop,
    /// Follow the master tempo.
    Sync,
    /// Tempo changes keep the pitch.
    KeyLock,
    /// Playback rate.
    Tempo,
    /// Pitch in semitones.
    Pitch,
    /// Temporary rate bend; 0 at rest.
    Nudge,
    /// Input trim.
    Gain,
    /// Channel fader.
    Volume,
    /// Band gain.
    Eq(EqBand),
    /// Band kill.
    Kill(EqBand),
    /// One-knob filter.
    Filter,
    /// Filter resonance.
    Resonance,
    /// Hot cue pad (0-based): jump, or store when empty.
    HotCue(usize),
    /// Store hot cue (0-based) at the playhead, replacing it.
    HotCueSet(usize),
    /// Delete hot cue (0-based).
    HotCueDelete(usize),
    /// Save the loop on hot-cue pad (0-based).
    HotCueLoop(usize),
    /// Beat loop of [`LOOP_SIZES`]`[i]` beats; again leaves it.
    BeatLoop(usize),
    /// Loop start at the playhead.
    LoopIn,
    /// Loop end at the playhead.
    LoopOut,
    /// Leave the loop.
    LoopExit,
    /// Jump forward by the beat jump size.
    JumpForward,
    /// Jump back by the beat jump size.
    JumpBack,
    /// Beat jump size, an index into [`JUMP_SIZES`].
    JumpSize,
    /// Loop roll of [`LOOP_SIZES`]`[i]` beats while on (hold); off returns to where the track
    /// would have been.
    LoopRoll(usize),
    /// Halve the loop.
    LoopHalve,
    /// Double the loop.
    LoopDouble,
    /// Move the loop forward by the beat jump size.
    LoopMoveForward,
    /// Move the loop back by the beat jump size.
    LoopMoveBack,
    /// Slip mode.
    Slip,
    /// Tap the grid's beats.
    GridTap,
    /// Scale the grid's tempo by [`phosphene_decks::GRID_SCALES`]`[i]`.
    GridScale(usize),
    /// Move the grid earlier by one nudge.
    GridEarlier,
    /// Move the grid later by one nudge.
    GridLater,
    /// Make the grid line nearest the playhead a downbeat.
    GridDownbeat,
    /// Put a downbeat at the playhead.
    GridBeatHere,
    /// Lock the grid.
    GridLock,
    /// Shift the pitch to a key compatible with another deck's.
    KeySync,
    /// Set the gain from the track's loudness.
    AutoGain,
    /// Effect in a slot (0-based).
    FxKind(usize),
    /// Wet/dry of a slot.
    FxAmount(usize),
    /// Main parameter of a slot.
    FxParam(usize),
    /// Crossfader side.
    Xfader,
    /// Headphone cue.
    Headphone,
    /// Playhead as a share of the track.
    Position,
    /// Remove the track.
    Eject,
}

/// Controls of the mixer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MixerControl {
    /// Crossfader position.
    Crossfader,
    /// Crossfader law.
    Curve,
    /// Master gain.
    Master,
    /// Headphone cue/master mix.
    HeadphoneMix,
    /// Headphone level.
    HeadphoneGain,
}

/// Controls of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportControl {
    /// Master tempo.
    Tempo,
    /// Tap tempo.
    Tap,
    /// Where launches land.
    Launch,
    /// Ableton Link on or off.
    Link,
    /// Ableton Link's start/stop sync on or off.
    LinkStartStop,
}

/// Controls of the visuals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VisualControl {
    /// The scene on (or coming on).
    Scene,
    /// The next scene in the library.
    SceneNext,
    /// The previous scene in the library.
    ScenePrevious,
    /// How scenes blend.
    TransitionKind,
    /// Length of a transition.
    TransitionBeats,
    /// Where scene changes land.
    TransitionAt,
    /// A scene parameter (0-based slot).
    Param(usize),
    /// One post effect.
    Post(PostField),
}

/// Controls of the control map itself, shared by every source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapControl {
    /// The focused deck.
    Focus,
    /// Focus the next deck.
    FocusNext,
    /// Focus the previous deck.
    FocusPrevious,
    /// The shift layer, while held.
    Shift,
    /// The alt layer, while held.
    Alt,
}

/// One control a performer can touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ControlId {
    /// A deck's control.
    Deck(DeckRef, DeckControl),
    /// A mixer control.
    Mixer(MixerControl),
    /// A clock control.
    Transport(TransportControl),
    /// A visuals control.
    Visuals(VisualControl),
    /// Focus and layers.
    Map(MapControl),
}

/// A band's name in addresses and descriptions.
pub(crate) fn band_name(b: EqBand) -> &'static str {
    match b {
        EqBand::Low => "low",
        EqBand::Mid => "mid",
        EqBand::High => "high",
    }
}

/// Beats written as an address part: `0.25`, `4`.
pub fn beats_part(beats: f64) -> String {
    format!("{beats}")
}

impl ControlId {
    /// The control's address, e.g. `/deck/1/eq/low/kill`.
    pub fn address(&self) -> String {
        self.to_string()
    }

    /// The same control on the focused deck's concrete deck (`deck`), or itself.
    pub fn resolve_focus(self, deck: usize) -> Self {
        match self {
            Self::Deck(DeckRef::Focused, c) => Self::Deck(DeckRef::Index(deck), c),
            other => other,
        }
    }
}

impl fmt::Display for ControlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deck(d, c) => {
                match d {
                    DeckRef::Index(i) => write!(f, "/deck/{}/", i + 1)?,
                    DeckRef::Focused => f.write_str("/deck/focused/")?,
                }
                use DeckControl as C;
                match c {
                    C::Play => f.write_str("play"),
                    C::Cue => f.write_str("cue"),
                    C::Stop => f.write_str("stop"),
                    C::Sync => f.write_str("sync"),
                    C::KeyLock => f.write_str("keylock"),
                    C::Tempo => f.write_str("tempo"),
                    C::Pitch => f.write_str("pitch"),
                    C::Nudge => f.write_str("nudge"),
                    C::Gain => f.write_str("gain"),
                    C::Volume => f.write_str("volume"),
                    C::Eq(b) => write!(f, "eq/{}", band_name(*b)),
                    C::Kill(b) => write!(f, "eq/{}/kill", band_name(*b)),
                    C::Filter => f.write_str("filter"),
                    C::Resonance => f.write_str("resonance"),
                    C::HotCue(k) => write!(f, "hotcue/{}", k + 1),
                    C::HotCueSet(k) => write!(f, "hotcue/{}/set", k + 1),
                    C::HotCueDelete(k) => write!(f, "hotcue/{}/delete", k + 1),
                    C::HotCueLoop(k) => write!(f, "hotcue/{}/loop", k + 1),
                    C::BeatLoop(i) => write!(f, "loop/beats/{}", beats_part(LOOP_SIZES[*i])),
                    C::LoopIn => f.write_str("loop/in"),
                    C::LoopOut => f.write_str("loop/out"),
                    C::LoopExit => f.write_str("loop/exit"),
                    C::JumpForward => f.write_str("beatjump/forward"),
                    C::JumpBack => f.write_str("beatjump/back"),
                    C::JumpSize => f.write_str("beatjump/size"),
                    C::LoopRoll(i) => write!(f, "loop/roll/{}", beats_part(LOOP_SIZES[*i])),
                    C::LoopHalve => f.write_str("loop/halve"),
                    C::LoopDouble => f.write_str("loop/double"),
                    C::LoopMoveForward => f.write_str("loop/move/forward"),
                    C::LoopMoveBack => f.write_str("loop/move/back"),
                    C::Slip => f.write_str("slip"),
                    C::GridTap => f.write_str("grid/tap"),
                    C::GridScale(i) => f.write_str(GRID_SCALE_NAMES[*i]),
                    C::GridEarlier => f.write_str("grid/earlier"),
                    C::GridLater => f.write_str("grid/later"),
                    C::GridDownbeat => f.write_str("grid/downbeat"),
                    C::GridBeatHere => f.write_str("grid/beat_here"),
                    C::GridLock => f.write_str("grid/lock"),
                    C::KeySync => f.write_str("key/sync"),
                    C::AutoGain => f.write_str("gain/auto"),
                    C::FxKind(s) => write!(f, "fx/{}/kind", s + 1),
                    C::FxAmount(s) => write!(f, "fx/{}/amount", s + 1),
                    C::FxParam(s) => write!(f, "fx/{}/param", s + 1),
                    C::Xfader => f.write_str("xfader"),
                    C::Headphone => f.write_str("headphone"),
                    C::Position => f.write_str("position"),
                    C::Eject => f.write_str("eject"),
                }
            }
            Self::Mixer(m) => f.write_str(match m {
                MixerControl::Crossfader => "/mixer/crossfader",
                MixerControl::Curve => "/mixer/curve",
                MixerControl::Master => "/mixer/master",
                MixerControl::HeadphoneMix => "/mixer/headphone/mix",
                MixerControl::HeadphoneGain => "/mixer/headphone/gain",
            }),
            Self::Transport(t) => f.write_str(match t {
                TransportControl::Tempo => "/transport/tempo",
                TransportControl::Tap => "/transport/tap",
                TransportControl::Launch => "/transport/launch",
                TransportControl::Link => "/transport/link",
                TransportControl::LinkStartStop => "/transport/link/startstop",
            }),
            Self::Visuals(v) => match v {
                VisualControl::Scene => f.write_str("/visuals/scene"),
                VisualControl::SceneNext => f.write_str("/visuals/scene/next"),
                VisualControl::ScenePrevious => f.write_str("/visuals/scene/previous"),
                VisualControl::TransitionKind => f.write_str("/visuals/transition/kind"),
                VisualControl::TransitionBeats => f.write_str("/visuals/transition/beats"),
                VisualControl::TransitionAt => f.write_str("/visuals/transition/at"),
                VisualControl::Param(k) => write!(f, "/visuals/param/{}", k + 1),
                VisualControl::Post(p) => write!(f, "/visuals/post/{}", p.key()),
            },
            Self::Map(m) => f.write_str(match m {
                MapControl::Focus => "/controls/focus",
                MapControl::FocusNext => "/controls/focus/next",
                MapControl::FocusPrevious => "/controls/focus/previous",
                MapControl::Shift => "/controls/shift",
                MapControl::Alt => "/controls/alt",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_the_performer_sees_them() {
        let d = |c| ControlId::Deck(DeckRef::Index(1), c).address();
        assert_eq!(d(DeckControl::Filter), "/deck/2/filter");
        assert_eq!(d(DeckControl::Kill(EqBand::Low)), "/deck/2/eq/low/kill");
        assert_eq!(d(DeckControl::HotCueDelete(7)), "/deck/2/hotcue/8/delete");
        assert_eq!(d(DeckControl::BeatLoop(0)), "/deck/2/loop/beats/0.25");
        assert_eq!(d(DeckControl::BeatLoop(4)), "/deck/2/loop/beats/4");
        assert_eq!(
            ControlId::Deck(DeckRef::Focused, DeckControl::Play).address(),
            "/deck/focused/play"
        );
        assert_eq!(
            ControlId::Visuals(VisualControl::Param(2)).address(),
            "/visuals/param/3"
        );
        assert_eq!(
            ControlId::Visuals(VisualControl::Post(PostField::Strobe)).address(),
            "/visuals/post/strobe"
        );
    }
}
