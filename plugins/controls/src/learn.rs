//! Learn: click a control in the control window, then move or press anything on any device;
//! the binding is inferred from what moved (note or CC, a 14-bit pair, NRPN, pitch bend, a
//! relative encoder and its encoding, a gamepad axis or button, an OSC app's address, what a
//! camera sees: a hand raised, a wave in a zone, a swipe), learnt
//! on the layer held, checked for conflicts, saved to the set or the global file, and can be
//! undone.

use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::address::ControlId;
use crate::change::{ControlChange, ControlInput, InputEvent, Source};
use crate::devices::{DeviceClass, DeviceId, Devices};
use crate::input::{Gesture, HandFeature, MotionFeature, Region};
use crate::mapping::Mappings;
use crate::mapping::file::{Binding, Input, MappingFile};
use crate::mapping::load::{self, LEARNED_FILE};
use crate::midi::assemble::Event;
use crate::midi::learn::infer;
use crate::registry::Registry;
use crate::state::ControlState;

/// How long learn listens after the first move before it decides what moved.
pub const LISTEN: Duration = Duration::from_millis(600);
/// Messages after which learn decides at once (a knob turned briskly).
const ENOUGH: usize = 24;
/// How far a gamepad axis must move from rest to be learnt.
const AXIS_MOVE: f32 = 0.5;
/// How far (0..1) a camera feature must travel while learn listens to be learnt: a hand
/// raised or a wave in a zone, well beyond the sensor's noise.
const GESTURE_MOVE: f64 = 0.4;
/// Travel (0..1) within which two camera features count as a tie, settled by what they see.
const GESTURE_TIE: f64 = 0.1;

/// Where learnt bindings are saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LearnInto {
    /// The open set's mappings (saved with the set).
    #[default]
    Set,
    /// The global `learned.ron` in the mappings folder.
    Global,
}

/// Where learn is.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum LearnPhase {
    /// Not learning: controls act.
    #[default]
    Off,
    /// Waiting for the performer to click the control to bind.
    ChooseControl,
    /// Waiting for a device to move, to bind it to this control.
    Listening(ControlId),
}

/// What the control window asks of learn.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnCommand {
    /// Start learning: the next control clicked is the one to bind.
    Start,
    /// Stop learning.
    Stop,
    /// Undo the last learnt binding.
    Undo,
    /// Save learnt bindings here from now on.
    Into(LearnInto),
}

/// Learn mode's state, shown by the control window.
#[derive(Resource, Debug, Default)]
pub struct Learn {
    /// Where learn is.
    pub phase: LearnPhase,
    /// Where bindings go.
    pub into: LearnInto,
    /// What learn last did or warns of, for the control window.
    pub message: Option<String>,
    /// The device that moved first and its messages so far.
    heard: Option<(DeviceId, Instant, Vec<(u64, Event)>)>,
    /// Each camera feature's lowest and highest value since learn began listening.
    seen: Vec<(DeviceId, Gesture, f64, f64)>,
    /// When the first camera feature travelled far enough: learn decides [`LISTEN`] later,
    /// once the whole move has been seen.
    moved_at: Option<Instant>,
    /// Earlier contents of each file learn changed, newest last.
    undo: Vec<(LearnInto, MappingFile)>,
}

impl Learn {
    /// While choosing, a click in the control window picks its control instead of moving it:
    /// true when the change was taken.
    pub fn take(&mut self, change: &ControlChange) -> bool {
        if self.phase != LearnPhase::ChooseControl || change.source != Source::Ui {
            return false;
        }
        self.phase = LearnPhase::Listening(change.id);
        self.heard = None;
        self.seen.clear();
        self.moved_at = None;
        self.message = Some(format!(
            "{}: now move or press a control on a device",
            change.id.address()
        ));
        true
    }
}

impl Learn {
    /// A camera's reading while learn listens: the gesture to bind once one stands out. A
    /// button-like control takes the first discrete gesture (a swipe, a pinch); a knob the
    /// continuous feature that travelled furthest, where near ties go to a hand's over a
    /// zone's over the whole picture's (raising a hand moves the picture's motion as far; a
    /// wave in a zone fills the zone's energy more than the picture's). Speeds, and the whole
    /// picture's energy and presence, are not learnt: every move has them (a preset or a
    /// mapping file binds them).
    fn saw(&mut self, device: DeviceId, gesture: &Gesture, value: f64, discrete: bool, at: Instant) -> Option<Gesture> {
        if gesture.is_discrete() {
            return (discrete && value >= 0.5).then(|| gesture.clone());
        }
        if discrete
            || matches!(
                gesture,
                Gesture::Motion(_, MotionFeature::Speed)
                    | Gesture::Hand(_, HandFeature::Speed)
                    | Gesture::Motion(Region::Frame, MotionFeature::Energy | MotionFeature::Presence)
            )
        {
            return None;
        }
        match self.seen.iter_mut().find(|(d, g, ..)| *d == device && g == gesture) {
            Some((.., lo, hi)) => {
                *lo = lo.min(value);
                *hi = hi.max(value);
            }
            None => self.seen.push((device, gesture.clone(), value, value)),
        }
        if !self.seen.iter().any(|(.., lo, hi)| hi - lo >= GESTURE_MOVE) {
            return None;
        }
        let moved_at = *self.moved_at.get_or_insert(at);
        if at.saturating_duration_since(moved_at) < LISTEN {
            return None;
        }
        let score = |(_, g, lo, hi): &(DeviceId, Gesture, f64, f64)| {
            let rank = match g {
                Gesture::Hand(..) => 2.0,
                Gesture::Motion(Region::Zone(_), _) => 1.0,
                _ => 0.0,
            };
            hi - lo + rank * GESTURE_TIE
        };
        let best = self
            .seen
            .iter()
            .max_by(|a, b| score(a).total_cmp(&score(b)))
            .map(|(_, g, ..)| g.clone());
        self.seen.clear();
        self.moved_at = None;
        best
    }
}

/// Learn's commands, and device input while it listens.
pub(crate) fn run_learn(
    mut commands: MessageReader<LearnCommand>,
    mut inputs: MessageReader<ControlInput>,
    mut learn: ResMut<Learn>,
    mut mappings: ResMut<Mappings>,
    devices: Res<Devices>,
    registry: Res<Registry>,
    state: Res<ControlState>,
) {
    for c in commands.read() {
        match c {
            LearnCommand::Start => {
                learn.phase = LearnPhase::ChooseControl;
                learn.message = Some("learn: click the control to bind".into());
            }
            LearnCommand::Stop => {
                learn.phase = LearnPhase::Off;
                learn.heard = None;
                learn.seen.clear();
                learn.moved_at = None;
                learn.message = None;
            }
            LearnCommand::Into(into) => learn.into = *into,
            LearnCommand::Undo => undo(&mut learn, &mut mappings),
        }
    }
    let LearnPhase::Listening(target) = learn.phase else {
        inputs.clear();
        return;
    };
    let now = Instant::now();
    for input in inputs.read() {
        // A gamepad moves one axis or button at a time, an OSC app names its control: either
        // is learnt at once; a camera once one of its features stands out.
        let at_once = match &input.event {
            InputEvent::Axis(axis, v) if v.abs() >= AXIS_MOVE => Some(Input::Axis(*axis)),
            InputEvent::Button(button, v) if *v >= 0.5 => Some(Input::Button(*button)),
            InputEvent::Osc { address, .. } => Some(Input::Osc(address.clone())),
            InputEvent::Gesture(gesture, value) => {
                let discrete = registry
                    .spec(target)
                    .is_some_and(|s| !matches!(s.kind, crate::registry::ControlKind::Continuous(_)));
                learn
                    .saw(input.device, gesture, *value, discrete, input.at)
                    .map(Input::Gesture)
            }
            _ => None,
        };
        if let Some(input_learnt) = at_once {
            return bind(
                &mut learn,
                &mut mappings,
                &devices,
                &registry,
                &state,
                input.device,
                target,
                input_learnt,
            );
        }
        if let InputEvent::Midi(e) = &input.event {
            let (device, first, events) = learn.heard.get_or_insert_with(|| (input.device, input.at, Vec::new()));
            if *device == input.device {
                let us = input.at.saturating_duration_since(*first).as_micros() as u64;
                events.push((us, e.clone()));
            }
        }
    }
    let Some((device, first, events)) = &learn.heard else {
        return;
    };
    let a_note = events.iter().any(|(_, e)| matches!(e, Event::Note { .. }));
    if !(a_note || events.len() >= ENOUGH || now.saturating_duration_since(*first) >= LISTEN) {
        return;
    }
    let device = *device;
    let inference = infer(events);
    learn.heard = None;
    match inference {
        Some(i) => {
            if i.ambiguous {
                info!("learn: {}", i.explanation);
            }
            bind(
                &mut learn,
                &mut mappings,
                &devices,
                &registry,
                &state,
                device,
                target,
                i.learned,
            );
        }
        None => {
            learn.message = Some("learn: could not tell what moved; move one control again".into());
        }
    }
}

/// Saves a binding of `input` on `device` to `target`, replacing any binding of the same
/// input on the same layer, and reports what it replaced.
fn bind(
    learn: &mut Learn,
    mappings: &mut Mappings,
    devices: &Devices,
    registry: &Registry,
    state: &ControlState,
    device: DeviceId,
    target: ControlId,
    input: Input,
) {
    let Some(d) = devices.get(device) else { return };
    // A device with a profile is named by it, so the binding follows the hardware's name.
    let profile = mappings
        .runtime
        .profiles
        .iter()
        .find(|p| p.matches(&d.name, d.class))
        .map(|p| p.name.clone());
    let device_name = profile.unwrap_or_else(|| port_pattern(&d.name, d.class));
    let layer = state.layer();
    let replaced: Vec<String> = mappings
        .runtime
        .bindings
        .iter()
        .filter(|b| b.input == input && b.layer == layer && b.matches_device(&d.name, d.class))
        .map(|b| b.target.address())
        .collect();
    let binding = Binding {
        device: device_name.clone(),
        control: None,
        input: Some(input.clone()),
        to: target.address(),
        layer,
        hold_to: None,
        led: Default::default(),
        options: Default::default(),
    };
    // The learnt binding takes the place of any of the same input on the same layer.
    let replace = |file: &mut MappingFile| {
        file.bindings
            .retain(|b| !(b.device == device_name && b.input.as_ref() == Some(&input) && b.layer == layer));
        file.bindings.push(binding);
    };
    let into = learn.into;
    let result = match into {
        LearnInto::Set => {
            let before = mappings.set_file().clone();
            let mut file = before.clone();
            replace(&mut file);
            mappings.use_set(file);
            Ok(before)
        }
        LearnInto::Global => save_global(mappings, replace),
    };
    match result {
        Ok(before) => {
            learn.undo.push((into, before));
            let what = registry
                .spec(target)
                .map_or_else(|| target.address(), |s| s.address.clone());
            let mut msg = format!("learnt: {device_name} {input:?} on {layer:?} -> {what}");
            if !replaced.is_empty() {
                msg.push_str(&format!(" (replaces its binding to {})", replaced.join(", ")));
            }
            info!("{msg}");
            learn.message = Some(msg);
            learn.phase = LearnPhase::ChooseControl;
        }
        Err(e) => {
            error!("learn: {e}");
            learn.message = Some(format!("learn: {e}"));
        }
    }
}

/// A port's name as a binding names it: JACK and ALSA put a client and a port number before
/// the device's own name, which can change between sessions; the part after the last `:` stays.
fn port_pattern(name: &str, class: DeviceClass) -> String {
    match class {
        DeviceClass::Midi => name.rsplit(':').next().unwrap_or(name).trim().to_string(),
        DeviceClass::Gamepad | DeviceClass::Osc | DeviceClass::Camera => name.to_string(),
    }
}

/// Changes the global learnt file; returns what it held before. A file that does not read is
/// never overwritten: the error says so.
fn save_global(mappings: &mut Mappings, change: impl FnOnce(&mut MappingFile)) -> Result<MappingFile, String> {
    let dir = mappings
        .paths
        .global
        .clone()
        .ok_or("there is no global mappings folder in this run")?;
    let path = dir.join(LEARNED_FILE);
    let before = if path.exists() {
        load::read(&path).map_err(|e| format!("{e}; fix or move it, it is not overwritten"))?
    } else {
        MappingFile::default()
    };
    let mut file = before.clone();
    change(&mut file);
    load::save(&path, &file)?;
    mappings.reload();
    Ok(before)
}

fn undo(learn: &mut Learn, mappings: &mut Mappings) {
    let Some((into, before)) = learn.undo.pop() else {
        learn.message = Some("learn: nothing to undo".into());
        return;
    };
    let result = match into {
        LearnInto::Set => {
            mappings.use_set(before);
            Ok(())
        }
        LearnInto::Global => save_global(mappings, |file| *file = before).map(|_| ()),
    };
    learn.message = Some(match result {
        Ok(()) => "learn: undone".into(),
        Err(e) => format!("learn: {e}"),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Direction, Which};

    /// Feeds `signals(phase)` every 33 ms, the phase going from 0 to 1 over `steps` frames and
    /// then held for as long again; what learn binds, if anything.
    fn learn_from(discrete: bool, steps: usize, signals: impl Fn(f64) -> Vec<(Gesture, f64)>) -> Option<Gesture> {
        let mut learn = Learn::default();
        let t0 = Instant::now();
        for i in 0..2 * steps {
            let at = t0 + Duration::from_millis(33 * i as u64);
            let phase = (i as f64 / steps as f64).min(1.0);
            for (g, v) in signals(phase) {
                if let Some(found) = learn.saw(DeviceId(0), &g, v, discrete, at) {
                    return Some(found);
                }
            }
        }
        None
    }

    #[test]
    fn raising_a_hand_binds_the_hands_height_not_the_pictures() {
        let found = learn_from(false, 60, |p| {
            vec![
                (Gesture::Hand(Which::Any, HandFeature::Height), 0.2 + 0.6 * p),
                (Gesture::Motion(Region::Frame, MotionFeature::Height), 0.2 + 0.6 * p),
                (Gesture::Motion(Region::Frame, MotionFeature::Energy), p),
                (Gesture::Hand(Which::Any, HandFeature::Speed), p),
            ]
        });
        assert_eq!(found, Some(Gesture::Hand(Which::Any, HandFeature::Height)));
    }

    #[test]
    fn waving_in_a_zone_binds_the_zones_energy() {
        let zone = || Region::Zone("pad".into());
        let found = learn_from(false, 60, |p| {
            let wave = (p * 40.0).sin();
            vec![
                (Gesture::Motion(zone(), MotionFeature::Energy), p.min(0.5) * 2.0),
                (Gesture::Motion(zone(), MotionFeature::X), 0.5 + 0.3 * wave),
                (Gesture::Hand(Which::Any, HandFeature::X), 0.7 + 0.1 * wave),
                (Gesture::Motion(Region::Frame, MotionFeature::Energy), p.min(0.5)),
            ]
        });
        assert_eq!(found, Some(Gesture::Motion(zone(), MotionFeature::Energy)));
    }

    #[test]
    fn a_button_learns_a_discrete_gesture_and_a_knob_never_does() {
        let swipe = Gesture::Swipe(Region::Frame, Direction::Right);
        let noise = |p: f64| {
            vec![
                (Gesture::Motion(Region::Frame, MotionFeature::X), p),
                (swipe.clone(), if p > 0.5 { 1.0 } else { 0.0 }),
            ]
        };
        assert_eq!(learn_from(true, 60, noise), Some(swipe.clone()));
        assert_eq!(
            learn_from(false, 60, noise),
            Some(Gesture::Motion(Region::Frame, MotionFeature::X))
        );
        let still = |_: f64| vec![(Gesture::Motion(Region::Frame, MotionFeature::X), 0.5)];
        assert_eq!(learn_from(false, 60, still), None, "noise alone binds nothing");
    }
}
