//! The options of every choice control, each list written once: the control map, the control
//! window's selectors and the docs all read them from here.

use engine_rt::{FxKind, XfaderCurve, XfaderSide};
use phosphene_decks::LaunchQuantize;
use phosphene_visuals::show::{TransitionKind, VisualQuantize};

/// What an FX slot can hold, with the name a choice shows.
pub const FX_KINDS: [(Option<FxKind>, &str); 5] = [
    (None, "none"),
    (Some(FxKind::Echo { beats: 0.5 }), "echo-1/2"),
    (Some(FxKind::Echo { beats: 0.75 }), "echo-3/4"),
    (Some(FxKind::Reverb), "reverb"),
    (Some(FxKind::Bitcrusher), "crusher"),
];

/// Crossfader sides.
pub const XFADER_SIDES: [(XfaderSide, &str); 3] =
    [(XfaderSide::A, "A"), (XfaderSide::Thru, "thru"), (XfaderSide::B, "B")];

/// Crossfader laws.
pub const CURVES: [(XfaderCurve, &str); 3] = [
    (XfaderCurve::Smooth, "smooth"),
    (XfaderCurve::Linear, "linear"),
    (XfaderCurve::Sharp, "sharp"),
];

/// Launch quantizations.
pub const LAUNCHES: [(LaunchQuantize, &str); 6] = [
    (LaunchQuantize::None, "now"),
    (LaunchQuantize::Beat, "beat"),
    (LaunchQuantize::Bar, "bar"),
    (LaunchQuantize::Bars(2), "2-bars"),
    (LaunchQuantize::Bars(4), "4-bars"),
    (LaunchQuantize::Bars(8), "8-bars"),
];

/// Scene transitions.
pub const TRANSITIONS: [(TransitionKind, &str); 3] = [
    (TransitionKind::Cut, "cut"),
    (TransitionKind::Crossfade, "crossfade"),
    (TransitionKind::Wipe, "wipe"),
];

/// Where scene changes land.
pub const SCENE_QUANTIZE: [(VisualQuantize, &str); 4] = [
    (VisualQuantize::Now, "now"),
    (VisualQuantize::Beat, "beat"),
    (VisualQuantize::Bar, "bar"),
    (VisualQuantize::Phrase, "phrase"),
];

/// The index of `value` in an option list (the first when absent).
pub fn index_of<T: PartialEq>(options: &[(T, &str)], value: &T) -> usize {
    options.iter().position(|(v, _)| v == value).unwrap_or(0)
}

/// The names of an option list.
pub fn names<T>(options: &[(T, &'static str)]) -> Vec<String> {
    options.iter().map(|(_, n)| n.to_string()).collect()
}
