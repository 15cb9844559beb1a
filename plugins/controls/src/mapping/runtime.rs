//! Bindings at work: the loaded mapping files compiled against the registry, and each device
//! message turned into control changes through its binding's shape, takeover, smoothing and
//! button behaviour.

use std::collections::HashMap;
use std::time::Instant;

use crate::address::ControlId;
use crate::binding::button::{ButtonOut, ButtonState};
use crate::binding::shape::{Shape, Velocity};
use crate::binding::smooth::{Smoother, Smoothing};
use crate::binding::takeover::{Outcome, TakeoverState};
use crate::binding::{BindingOptions, Quantize};
use crate::change::{ControlChange, ControlValue, InputEvent, Source};
use crate::devices::{DeviceClass, DeviceId};
use crate::mapping::file::{Binding, DeviceKind, DeviceProfile, Feedback, Input, LedMode, PadAxis};
use crate::mapping::load::Loaded;
use crate::midi::assemble::Event;
use crate::midi::relative::{Accelerator, decode};
use crate::registry::{ControlKind, Registry};
use crate::state::Layer;

/// A binding ready to act.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Where it was written, for messages: `file: binding 3`.
    pub origin: String,
    /// The profile it belongs to (or the port name it listens to).
    pub device: String,
    /// MIDI or gamepad.
    pub kind: DeviceKind,
    /// Name patterns (lower case) a device's name contains; empty: any device of the kind.
    pub ports: Vec<String>,
    /// The message it reacts to.
    pub input: Input,
    /// The control it drives.
    pub target: ControlId,
    /// The control a hold (or double tap) drives.
    pub hold_target: Option<ControlId>,
    /// Its shift layer.
    pub layer: Layer,
    /// The options as written.
    pub options: BindingOptions,
    /// The options' shape, built once.
    pub shape: Shape,
    /// How the hardware shows the value.
    pub feedback: Feedback,
    /// How its light shows it.
    pub led: LedMode,
}

/// Whether a device of this name and class is of `kind` and its name contains one of `ports`
/// (ignoring case; no patterns: any device of the kind).
fn name_matches(kind: DeviceKind, ports: &[String], name: &str, class: DeviceClass) -> bool {
    let kind_ok = matches!(
        (kind, class),
        (DeviceKind::Midi, DeviceClass::Midi)
            | (DeviceKind::Gamepad, DeviceClass::Gamepad)
            | (DeviceKind::Osc, DeviceClass::Osc)
            | (DeviceKind::Camera, DeviceClass::Camera)
    );
    let name = name.to_lowercase();
    kind_ok && (ports.is_empty() || ports.iter().any(|p| name.contains(&p.to_lowercase())))
}

impl Compiled {
    /// Whether a device of this name and class is one this binding listens to.
    pub fn matches_device(&self, name: &str, class: DeviceClass) -> bool {
        name_matches(self.kind, &self.ports, name, class)
    }
}

/// One binding's moving parts on one device.
#[derive(Debug, Clone, Default)]
struct BindState {
    takeover: TakeoverState,
    button: ButtonState,
    smoother: Option<Smoother>,
    /// A button read from an absolute message (a CC that sends 127/0, a trigger pressure).
    held: bool,
    /// An accelerated encoder's speed.
    accelerator: Option<Accelerator>,
}

/// Where a binding's hardware sits against its control while soft takeover waits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waiting {
    /// The control.
    pub target: ControlId,
    /// The hardware position, 0..1.
    pub hardware: f64,
    /// The control's position, 0..1.
    pub control: f64,
}

/// What a device message means before it meets a control.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reading {
    /// A position, 0..1.
    Absolute(f64),
    /// Encoder steps.
    Steps(i32),
    /// A button (with its velocity, 0..1).
    Button { pressed: bool, velocity: f64 },
    /// An index (program change).
    Index(f64),
}

/// Threshold at which an analog button (a trigger) counts as pressed, and the lower one it must
/// fall below to count as released again (so a trigger held near the middle does not chatter).
const PRESS: f64 = 0.5;
const RELEASE: f64 = 0.35;

/// The smoothing of a camera feature's binding that names none: one-euro, whose cutoff at rest
/// stills a hand's tremor and the sensor's noise while a fast move gets through.
pub const GESTURE_SMOOTHING: Smoothing = Smoothing::ONE_EURO;

/// Whether a message is the one `input` describes, and what it reads.
fn read(input: &Input, event: &InputEvent) -> Option<Reading> {
    let ch = |c: u8| c.checked_sub(1);
    let full14 = |v: u16| f64::from(v) / 16383.0;
    match (input, event) {
        (
            Input::Note { channel, note },
            InputEvent::Midi(Event::Note {
                channel: c,
                note: n,
                velocity,
                on,
            }),
        ) if ch(*channel) == Some(*c) && note == n => Some(Reading::Button {
            pressed: *on,
            velocity: f64::from(*velocity) / 127.0,
        }),
        (
            Input::Cc { channel, cc },
            InputEvent::Midi(Event::Cc {
                channel: c,
                cc: n,
                value,
            }),
        ) if ch(*channel) == Some(*c) && cc == n => Some(Reading::Absolute(f64::from(*value) / 127.0)),
        (
            Input::Encoder { channel, cc, encoding },
            InputEvent::Midi(Event::Cc {
                channel: c,
                cc: n,
                value,
            }),
        ) if ch(*channel) == Some(*c) && cc == n => Some(Reading::Steps(decode(*encoding, *value))),
        (
            Input::Cc14 { channel, msb },
            InputEvent::Midi(Event::Cc14 {
                channel: c,
                msb_cc,
                value,
            }),
        ) if ch(*channel) == Some(*c) && msb == msb_cc => Some(Reading::Absolute(full14(*value))),
        (
            Input::Nrpn { channel, param },
            InputEvent::Midi(Event::Nrpn {
                channel: c,
                param: p,
                value,
                ..
            }),
        )
        | (
            Input::Rpn { channel, param },
            InputEvent::Midi(Event::Rpn {
                channel: c,
                param: p,
                value,
                ..
            }),
        ) if ch(*channel) == Some(*c) && param == p => Some(Reading::Absolute(full14(*value))),
        (
            Input::Nrpn { channel, param },
            InputEvent::Midi(Event::NrpnIncrement {
                channel: c,
                param: p,
                delta,
            }),
        )
        | (
            Input::Rpn { channel, param },
            InputEvent::Midi(Event::RpnIncrement {
                channel: c,
                param: p,
                delta,
            }),
        ) if ch(*channel) == Some(*c) && param == p => Some(Reading::Steps(i32::from(*delta))),
        (Input::PitchBend { channel }, InputEvent::Midi(Event::PitchBend { channel: c, value }))
            if ch(*channel) == Some(*c) =>
        {
            Some(Reading::Absolute(full14(*value)))
        }
        (Input::Program { channel }, InputEvent::Midi(Event::Program { channel: c, program }))
            if ch(*channel) == Some(*c) =>
        {
            Some(Reading::Index(f64::from(*program)))
        }
        (
            Input::Aftertouch { channel, note },
            InputEvent::Midi(Event::Aftertouch {
                channel: c,
                note: n,
                value,
            }),
        ) if ch(*channel) == Some(*c) && note == n => Some(Reading::Absolute(f64::from(*value) / 127.0)),
        (Input::Axis(a), InputEvent::Axis(b, v)) if a == b => Some(Reading::Absolute((f64::from(*v) + 1.0) / 2.0)),
        (Input::Button(a), InputEvent::Button(b, v)) if a == b => Some(Reading::Absolute(f64::from(*v))),
        (Input::Osc(a), InputEvent::Osc { address, value }) if a == address => Some(Reading::Absolute(*value)),
        (Input::Gesture(a), InputEvent::Gesture(b, value)) if a == b => Some(if a.is_discrete() {
            Reading::Button {
                pressed: *value >= PRESS,
                velocity: 1.0,
            }
        } else {
            Reading::Absolute(*value)
        }),
        _ => None,
    }
}

/// The bindings in force and their state.
#[derive(Debug, Clone, Default)]
pub struct Runtime {
    /// Compiled bindings, later files' bindings replacing earlier ones for the same input.
    pub bindings: Vec<Compiled>,
    /// Device profiles by name (later files win), for feedback and 14-bit pairs.
    pub profiles: Vec<DeviceProfile>,
    /// What did not compile, one line each, naming the file and the binding.
    pub errors: Vec<String>,
    states: HashMap<(usize, DeviceId), BindState>,
    /// Each gamepad stick's last reading, for the radial deadzone.
    sticks: HashMap<(DeviceId, bool), (f64, f64)>,
    /// Bindings whose hardware waits to pick up its control.
    pub waiting: HashMap<(usize, DeviceId), Waiting>,
    epoch: Option<Instant>,
}

fn describe(b: &Binding, i: usize) -> String {
    let what = b
        .control
        .clone()
        .or_else(|| b.input.as_ref().map(|x| format!("{x:?}")))
        .unwrap_or_default();
    format!("binding {} ({} {what} -> {})", i + 1, b.device, b.to)
}

impl Runtime {
    /// Compiles loaded files against the registry. A binding that names an address or a control
    /// that does not exist, or has options that do not hold, is left out with a message; the
    /// others act.
    pub fn compile(files: &[Loaded], registry: &Registry) -> Self {
        let mut rt = Self::default();
        for loaded in files {
            for p in &loaded.file.devices {
                rt.profiles.retain(|q| q.name != p.name);
                rt.profiles.push(p.clone());
            }
        }
        for loaded in files {
            for (i, b) in loaded.file.bindings.iter().enumerate() {
                match rt.compile_one(b, registry) {
                    Ok(c) => {
                        // A later file's binding of the same input on the same layer wins.
                        rt.bindings
                            .retain(|o| !(o.device == c.device && o.input == c.input && o.layer == c.layer));
                        rt.bindings.push(Compiled {
                            origin: format!("{}: {}", loaded.origin, describe(b, i)),
                            ..c
                        });
                    }
                    Err(e) => rt.errors.push(format!("{}: {}: {e}", loaded.origin, describe(b, i))),
                }
            }
        }
        rt
    }

    fn compile_one(&self, b: &Binding, registry: &Registry) -> Result<Compiled, String> {
        let profile = self.profiles.iter().find(|p| p.name == b.device);
        let (input, feedback) = match (&b.control, b.input.clone(), profile) {
            (Some(name), _, Some(p)) => {
                let c = p
                    .controls
                    .iter()
                    .find(|c| c.name == *name)
                    .ok_or_else(|| format!("the profile '{}' has no control named '{name}'", p.name))?;
                (c.input.clone(), c.feedback.clone())
            }
            (Some(name), _, None) => return Err(format!("no device profile '{}' to find '{name}' in", b.device)),
            (None, Some(input), p) => {
                let fb = p
                    .and_then(|p| p.controls.iter().find(|c| c.input == input))
                    .map(|c| c.feedback.clone());
                (input, fb.unwrap_or_default())
            }
            (None, None, _) => return Err("names neither a `control` of a profile nor an `input`".into()),
        };
        let lookup = |address: &str| {
            registry
                .lookup(address)
                .ok_or_else(|| format!("there is no control at {address}"))
        };
        let spec = lookup(&b.to)?;
        let hold_target = b.hold_to.as_deref().map(lookup).transpose()?.map(|s| s.id);
        let (lo, hi) = spec.kind.bounds();
        match spec.kind {
            ControlKind::Continuous(_) => b.options.validate_for(lo, hi)?,
            _ => b.options.validate()?,
        }
        let (kind, ports) = match profile {
            Some(p) => (p.kind, p.ports.iter().map(|s| s.to_lowercase()).collect()),
            None => {
                let kind = match input {
                    Input::Axis(_) | Input::Button(_) => DeviceKind::Gamepad,
                    Input::Osc(_) => DeviceKind::Osc,
                    Input::Gesture(_) => DeviceKind::Camera,
                    _ => DeviceKind::Midi,
                };
                (kind, vec![b.device.to_lowercase()])
            }
        };
        // A camera's features jitter with the sensor's noise: its knobs are smoothed unless the
        // binding says otherwise (`SlewMs(0.0)` for the raw feature).
        let mut options = b.options.clone();
        if matches!(&input, Input::Gesture(g) if !g.is_discrete()) && options.smoothing == Smoothing::None {
            options.smoothing = GESTURE_SMOOTHING;
        }
        // A zero slew is no smoothing: each move then keeps its arrival time.
        if matches!(options.smoothing, Smoothing::SlewMs(t) | Smoothing::SlewBeats(t) if t == 0.0) {
            options.smoothing = Smoothing::None;
        }
        Ok(Compiled {
            origin: String::new(),
            device: b.device.clone(),
            kind,
            ports,
            input,
            target: spec.id,
            hold_target,
            layer: b.layer,
            shape: options.shape(),
            options,
            feedback,
            led: b.led,
        })
    }

    /// Re-arms every binding's soft takeover (at start, on a set change and on a layer change:
    /// the hardware no longer sits where the control is).
    pub fn arm_all(&mut self) {
        for s in self.states.values_mut() {
            s.takeover.arm();
        }
        self.waiting.clear();
    }

    /// Microseconds of `at` since the runtime's first input (the transforms' clock).
    fn micros(&mut self, at: Instant) -> u64 {
        let epoch = *self.epoch.get_or_insert(at);
        at.saturating_duration_since(epoch).as_micros() as u64
    }

    /// The `(channel, msb)` 14-bit pairs (0-based channels) the bindings of a device read.
    pub fn pairs_14bit(&self, name: &str) -> Vec<(u8, u8)> {
        self.bindings
            .iter()
            .filter(|b| b.matches_device(name, DeviceClass::Midi))
            .filter_map(|b| match b.input {
                Input::Cc14 { channel, msb } => Some((channel.checked_sub(1)?, msb)),
                _ => None,
            })
            .collect()
    }

    /// Turns one device message into control changes. `value` reads a control's current value;
    /// `sticks` is the device's stick shape when its profile gives one.
    pub fn input(
        &mut self,
        device: (DeviceId, &str, DeviceClass),
        event: &InputEvent,
        at: Instant,
        layer: Layer,
        registry: &Registry,
        value: impl Fn(ControlId) -> f64,
        out: &mut Vec<ControlChange>,
    ) {
        let (id, name, class) = device;
        let now = self.micros(at);
        // Values set by earlier messages of this batch, so that eight encoder ticks read in one
        // frame move eight steps, not one.
        let current = |target: ControlId, out: &[ControlChange]| {
            out.iter()
                .rev()
                .find_map(|c| match c.value {
                    ControlValue::Set(v) if c.id == target => Some(v),
                    _ => None,
                })
                .unwrap_or_else(|| value(target))
        };
        let event = self.shape_stick(id, name, class, event);
        // Bindings of the layer held now; an input with none there falls back to the base layer.
        let mut hits: Vec<(usize, Reading)> = Vec::new();
        for want in [layer, Layer::Base] {
            for (i, b) in self.bindings.iter().enumerate() {
                if b.layer == want
                    && b.matches_device(name, class)
                    && let Some(r) = read(&b.input, &event)
                {
                    hits.push((i, r));
                }
            }
            if !hits.is_empty() || want == Layer::Base {
                break;
            }
        }
        for (i, reading) in hits {
            let b = &self.bindings[i];
            let Some(spec) = registry.spec(b.target) else {
                continue;
            };
            let kind = spec.kind.clone();
            let (target, hold_target, options, shape) = (b.target, b.hold_target, b.options.clone(), b.shape.clone());
            let state = self.states.entry((i, id)).or_default();
            let launch = launch_of(options.quantize);
            let change = |value: ControlValue| ControlChange {
                id: target,
                value,
                source: Source::Device(id),
                at: Some(at),
                frame: None,
                launch,
            };
            match (&kind, reading) {
                (ControlKind::Continuous(_), Reading::Absolute(x)) => {
                    let (lo, hi) = kind.bounds();
                    let current = shape.from_control(current(target, out), lo, hi);
                    match state.takeover.apply(options.takeover, x, current, now) {
                        Outcome::Apply(x) => {
                            self.waiting.remove(&(i, id));
                            if options.smoothing == Smoothing::None {
                                out.push(change(ControlValue::Set(shape.to_control(x, lo, hi))));
                            } else {
                                let s = state.smoother.get_or_insert_with(|| {
                                    let mut s = Smoother::new(options.smoothing);
                                    s.seed(current, now);
                                    s
                                });
                                s.input(x, now);
                            }
                        }
                        Outcome::Waiting { hardware, control } => {
                            self.waiting.insert(
                                (i, id),
                                Waiting {
                                    target,
                                    hardware,
                                    control,
                                },
                            );
                        }
                    }
                }
                (ControlKind::Continuous(_), Reading::Steps(n)) => {
                    let (lo, hi) = kind.bounds();
                    // Turned fast, an accelerated encoder's step counts for more (never for none).
                    let n = match options.acceleration {
                        Some(a) => {
                            let moved = state
                                .accelerator
                                .get_or_insert_with(|| Accelerator::new(a))
                                .tick(now, n);
                            (moved.abs().round() as i32).max(1) * n.signum()
                        }
                        None => n,
                    };
                    let next = shape.step(current(target, out), n, lo, hi, options.sensitivity);
                    out.push(change(ControlValue::Set(next)));
                }
                (ControlKind::Continuous(_), Reading::Button { pressed, velocity }) => {
                    // A pad on a knob: its velocity (or full travel) while held; a nudge returns to rest.
                    if pressed {
                        let x = match options.velocity {
                            Velocity::Ignore => Some(1.0),
                            ref v => v.apply(velocity),
                        };
                        if let Some(x) = x {
                            let (lo, hi) = kind.bounds();
                            out.push(change(ControlValue::Set(shape.to_control(x, lo, hi))));
                        }
                    } else {
                        out.push(change(ControlValue::Release));
                    }
                }
                (ControlKind::Choice(options_list), Reading::Absolute(x)) => {
                    let n = options_list.len().saturating_sub(1) as f64;
                    out.push(change(ControlValue::Set((x.clamp(0.0, 1.0) * n).round())));
                }
                (_, Reading::Index(i)) => out.push(change(ControlValue::Set(i))),
                (ControlKind::Choice(_), Reading::Steps(n)) => out.push(change(ControlValue::Step(f64::from(n)))),
                (ControlKind::Toggle | ControlKind::Trigger, Reading::Steps(n)) if n != 0 => {
                    out.push(change(ControlValue::Press));
                }
                (_, Reading::Steps(_)) => {}
                (_, Reading::Absolute(x)) => {
                    // A CC button (127/0) or an analog trigger on a button control.
                    let pressed = if state.held { x >= RELEASE } else { x >= PRESS };
                    if pressed != state.held {
                        state.held = pressed;
                        let outs = if pressed {
                            state.button.press(options.button, now)
                        } else {
                            state.button.release(options.button, now)
                        };
                        button_changes(&outs, &kind, target, hold_target, |v, t| {
                            out.push(ControlChange {
                                id: t,
                                value: v,
                                launch,
                                ..change(ControlValue::Press)
                            })
                        });
                    }
                }
                (_, Reading::Button { pressed, .. }) => {
                    let outs = if pressed {
                        state.button.press(options.button, now)
                    } else {
                        state.button.release(options.button, now)
                    };
                    button_changes(&outs, &kind, target, hold_target, |v, t| {
                        out.push(ControlChange {
                            id: t,
                            value: v,
                            launch,
                            ..change(ControlValue::Press)
                        })
                    });
                }
            }
        }
    }

    /// A stick axis with the device's radial deadzone applied (both axes of a stick together).
    fn shape_stick(&mut self, id: DeviceId, name: &str, class: DeviceClass, event: &InputEvent) -> InputEvent {
        let InputEvent::Axis(axis, v) = *event else {
            return event.clone();
        };
        let left = matches!(axis, PadAxis::LeftStickX | PadAxis::LeftStickY);
        let is_x = matches!(axis, PadAxis::LeftStickX | PadAxis::RightStickX);
        if matches!(axis, PadAxis::LeftZ | PadAxis::RightZ) {
            return event.clone();
        }
        let shape = self
            .profiles
            .iter()
            .find(|p| p.kind == DeviceKind::Gamepad && p.matches(name, class))
            .and_then(|p| p.sticks.clone())
            .unwrap_or_default();
        let stick = self.sticks.entry((id, left)).or_insert((0.0, 0.0));
        if is_x {
            stick.0 = f64::from(v);
        } else {
            stick.1 = f64::from(v);
        }
        let (x, y) = shape.apply(stick.0, stick.1);
        InputEvent::Axis(axis, if is_x { x } else { y } as f32)
    }

    /// Time-driven work: smoothed bindings glide on, held buttons become holds, double-tap
    /// windows close. `beat_seconds` sets the tempo for slews in beats.
    pub fn tick(&mut self, at: Instant, beat_seconds: f64, registry: &Registry, out: &mut Vec<ControlChange>) {
        let now = self.micros(at);
        for ((i, device), state) in &mut self.states {
            let Some(b) = self.bindings.get(*i) else { continue };
            let source = Source::Device(*device);
            if let Some(s) = state.smoother.as_mut().filter(|s| !s.settled())
                && let Some(x) = s.value(now, beat_seconds)
                && let Some(spec) = registry.spec(b.target)
            {
                let (lo, hi) = spec.kind.bounds();
                let value = ControlValue::Set(b.shape.to_control(x, lo, hi));
                out.push(ControlChange {
                    id: b.target,
                    value,
                    source,
                    at: None,
                    frame: None,
                    launch: None,
                });
            }
            if state.button.next_deadline(b.options.button).is_some() {
                let outs = state.button.tick(b.options.button, now);
                let kind = registry
                    .spec(b.target)
                    .map(|s| s.kind.clone())
                    .unwrap_or(ControlKind::Trigger);
                let launch = launch_of(b.options.quantize);
                button_changes(&outs, &kind, b.target, b.hold_target, |v, t| {
                    out.push(ControlChange {
                        id: t,
                        value: v,
                        source,
                        at: None,
                        frame: None,
                        launch,
                    })
                });
            }
        }
    }
}

impl DeviceProfile {
    /// Whether a device of this name and class is this profile's hardware.
    pub fn matches(&self, name: &str, class: DeviceClass) -> bool {
        name_matches(self.kind, &self.ports, name, class)
    }
}

/// Where a binding's launches land: its own quantization, or `None` for the performer's.
fn launch_of(q: Quantize) -> Option<engine_rt::Quantize> {
    Some(match q {
        Quantize::Default => return None,
        Quantize::Now => engine_rt::Quantize::Now,
        Quantize::Beat => engine_rt::Quantize::NextBeat,
        Quantize::Bar => engine_rt::Quantize::NextBar,
        Quantize::Beats(b) => engine_rt::Quantize::NextMultiple(b),
    })
}

/// What a button's behaviour produced, as control changes: a trigger fires on a press (or a
/// tap), a toggle follows `Set` or flips on a press, a hold goes to the hold target.
fn button_changes(
    outs: &crate::binding::button::ButtonOuts,
    kind: &ControlKind,
    target: ControlId,
    hold_target: Option<ControlId>,
    mut emit: impl FnMut(ControlValue, ControlId),
) {
    for o in outs {
        match (o, kind) {
            (ButtonOut::Set(on), ControlKind::Toggle) => emit(ControlValue::Set(f64::from(u8::from(*on))), target),
            (ButtonOut::Set(true), _) => emit(ControlValue::Press, target),
            (ButtonOut::Set(false), _) => emit(ControlValue::Release, target),
            (ButtonOut::Fire | ButtonOut::Tap, _) => emit(ControlValue::Press, target),
            (ButtonOut::Hold | ButtonOut::DoubleTap, _) => emit(ControlValue::Press, hold_target.unwrap_or(target)),
            (ButtonOut::HoldEnd, _) => emit(ControlValue::Release, hold_target.unwrap_or(target)),
        }
    }
}
