//! The current value of every control, read from the world once a frame after the frame's
//! changes landed: what feedback sends to devices, what relative moves and toggles start from,
//! and what soft takeover compares the hardware with.

use std::collections::HashMap;

use bevy::prelude::*;
use phosphene_decks::{
    BeatGrid, Deck, DeckControls, DeckLoop, DeckPlayback, DeckTrack, HotCue, MixerState, Transport, loop_beats,
};
use phosphene_visuals::{Scenes, Visuals};

use crate::address::{
    ControlId, DeckControl, DeckRef, LOOP_SIZES, MapControl, MixerControl, TransportControl, VisualControl,
};
use crate::choices::{self, index_of};
use crate::registry::Registry;
use crate::state::ControlState;

/// Every control's value now (triggers read 0, or 1 where they light a pad: a stored hot cue).
#[derive(Resource, Debug, Clone, Default)]
pub struct ControlValues {
    values: HashMap<ControlId, f64>,
}

impl ControlValues {
    /// A control's value (0 for one not read yet).
    pub fn get(&self, id: ControlId) -> f64 {
        self.values.get(&id).copied().unwrap_or(0.0)
    }

    /// Sets a value ahead of the next read (a change just applied), so a second relative move
    /// in the same frame starts from the first one's result.
    pub fn set(&mut self, id: ControlId, value: f64) {
        self.values.insert(id, value);
    }

    /// Every value, by control.
    pub fn iter(&self) -> impl Iterator<Item = (ControlId, f64)> + '_ {
        self.values.iter().map(|(k, v)| (*k, *v))
    }
}

/// The parts of a deck a value reads.
pub(crate) type DeckView<'a> = (
    Entity,
    &'a Deck,
    &'a DeckControls,
    &'a DeckPlayback,
    &'a DeckTrack,
    &'a DeckLoop,
    Option<&'a BeatGrid>,
);

fn flag(b: bool) -> f64 {
    b as u8 as f64
}

/// A deck control's value.
fn deck_value(c: DeckControl, d: &DeckView, cues: &[usize], state: &ControlState) -> f64 {
    let (_, deck, k, play, track, lp, grid) = d;
    use DeckControl as C;
    match c {
        C::Play => flag(play.playing),
        C::Sync => flag(k.sync),
        C::KeyLock => flag(k.keylock),
        C::Tempo => k.rate,
        C::Pitch => k.pitch,
        C::Gain => k.trim_db as f64,
        C::Volume => k.volume as f64,
        C::Eq(b) => k.eq_db[b.index()] as f64,
        C::Kill(b) => flag(k.kills[b.index()]),
        C::Filter => k.filter as f64,
        C::Resonance => k.resonance as f64,
        C::HotCue(s) | C::HotCueSet(s) | C::HotCueDelete(s) | C::HotCueLoop(s) => flag(cues.contains(&s)),
        C::BeatLoop(i) => flag(lp.active && grid.is_some_and(|g| loop_beats(lp, g) == Some(LOOP_SIZES[i]))),
        C::LoopExit => flag(lp.active),
        C::JumpSize => state.jump.get(deck.index).copied().unwrap_or(0) as f64,
        C::LoopRoll(i) => flag(lp.roll == Some(LOOP_SIZES[i])),
        C::Slip => flag(k.slip),
        C::GridLock => flag(grid.is_some_and(|g| g.locked)),
        C::FxKind(s) => index_of(&choices::FX_KINDS, &k.fx[s].fx) as f64,
        C::FxAmount(s) => k.fx[s].amount as f64,
        C::FxParam(s) => k.fx[s].param as f64,
        C::Xfader => index_of(&choices::XFADER_SIDES, &k.xfader) as f64,
        C::Headphone => flag(k.cue_monitor),
        C::Position => track
            .info
            .as_ref()
            .map_or(0.0, |i| (play.position / i.seconds.max(1e-9)).clamp(0.0, 1.0)),
        C::Cue
        | C::Stop
        | C::Nudge
        | C::LoopIn
        | C::LoopOut
        | C::JumpForward
        | C::JumpBack
        | C::LoopHalve
        | C::LoopDouble
        | C::LoopMoveForward
        | C::LoopMoveBack
        | C::GridTap
        | C::GridScale(_)
        | C::GridEarlier
        | C::GridLater
        | C::GridDownbeat
        | C::GridBeatHere
        | C::KeySync
        | C::AutoGain
        | C::Eject => 0.0,
    }
}

/// Reads every registered control's value into [`ControlValues`].
pub(crate) fn refresh_values(
    registry: Res<Registry>,
    state: Res<ControlState>,
    decks: Query<DeckView>,
    cues: Query<(&HotCue, &ChildOf)>,
    mixer: Res<MixerState>,
    transport: Res<Transport>,
    visuals: Option<Res<Visuals>>,
    scenes: Option<Res<Scenes>>,
    mut values: ResMut<ControlValues>,
) {
    let views: Vec<DeckView> = decks.iter().collect();
    let stored: Vec<Vec<usize>> = views
        .iter()
        .map(|d| {
            cues.iter()
                .filter(|(_, p)| p.parent() == d.0)
                .map(|(c, _)| c.slot)
                .collect()
        })
        .collect();
    let scene_ids: Vec<&str> = scenes
        .as_ref()
        .map_or_else(Vec::new, |s| s.0.scenes().map(|s| s.id.as_str()).collect());
    for spec in registry.specs() {
        let v = match spec.id {
            ControlId::Deck(r, c) => {
                let index = match r {
                    DeckRef::Index(i) => i,
                    DeckRef::Focused => state.focus,
                };
                let Some(i) = views.iter().position(|d| d.1.index == index) else {
                    continue;
                };
                deck_value(c, &views[i], &stored[i], &state)
            }
            ControlId::Mixer(m) => match m {
                MixerControl::Crossfader => mixer.crossfader as f64,
                MixerControl::Curve => index_of(&choices::CURVES, &mixer.curve) as f64,
                MixerControl::Master => mixer.master_gain_db as f64,
                MixerControl::HeadphoneMix => mixer.cue_mix as f64,
                MixerControl::HeadphoneGain => mixer.cue_gain_db as f64,
            },
            ControlId::Transport(t) => match t {
                TransportControl::Tempo => transport.bpm,
                TransportControl::Launch => index_of(&choices::LAUNCHES, &transport.launch) as f64,
                TransportControl::Tap => 0.0,
                TransportControl::Link => f64::from(u8::from(transport.link)),
                TransportControl::LinkStartStop => f64::from(u8::from(transport.link_start_stop)),
            },
            ControlId::Visuals(vc) => {
                let Some(vis) = visuals.as_deref() else { continue };
                let show = vis.show();
                let setup = vis.setup();
                match vc {
                    VisualControl::Scene => {
                        let on = show.pending().map(|p| p.0).or(show.scene());
                        on.and_then(|id| scene_ids.iter().position(|s| *s == id)).unwrap_or(0) as f64
                    }
                    VisualControl::TransitionKind => index_of(&choices::TRANSITIONS, &setup.transition) as f64,
                    VisualControl::TransitionBeats => setup.transition_beats,
                    VisualControl::TransitionAt => index_of(&choices::SCENE_QUANTIZE, &setup.quantize) as f64,
                    VisualControl::Param(k) => {
                        let on = show.scene();
                        let stored = on.and_then(|id| show.all_positions().get(id)).map(|p| p[k]);
                        let default = on
                            .and_then(|id| scenes.as_ref()?.0.scenes().find(|s| s.id == id))
                            .and_then(|s| s.meta.params.get(k).map(|p| p.default_position()));
                        stored.or(default).unwrap_or(0.5) as f64
                    }
                    VisualControl::Post(f) => show.post.get(f) as f64,
                    VisualControl::SceneNext | VisualControl::ScenePrevious => 0.0,
                }
            }
            ControlId::Map(m) => match m {
                MapControl::Focus => state.focus as f64,
                MapControl::Shift => flag(state.shift),
                MapControl::Alt => flag(state.alt),
                MapControl::FocusNext | MapControl::FocusPrevious => 0.0,
            },
        };
        values.values.insert(spec.id, v);
    }
}
