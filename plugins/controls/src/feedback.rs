//! Feedback: every bound control shows its value on the hardware that can (LEDs, rings, motor
//! faders, pad colours), whoever moved it. Only changes are sent; everything is sent again when
//! a device (re)connects or the layer changes. Blinking follows the engine's beat clock.

use std::collections::HashMap;

use bevy::prelude::*;
use phosphene_decks::Transport;

use crate::devices::{DeviceClass, DeviceEvent, DeviceId, Devices};
use crate::mapping::Mappings;
use crate::mapping::file::{Feedback, Input, LedMode};
use crate::mapping::runtime::Compiled;
use crate::midi::assemble::{encode_cc14, encode_nrpn, encode_rpn};
use crate::midi::source::Midi;
use crate::midi::wire::{MidiMessage, encode};
use crate::registry::{ControlKind, Registry};
use crate::state::ControlState;
use crate::values::ControlValues;

/// What was last sent to each device for each input, so only changes go out.
#[derive(Resource, Debug, Default)]
pub struct FeedbackSent {
    sent: HashMap<(DeviceId, Input), Vec<u8>>,
}

/// The position (0..1) a binding's hardware should show for its control's value now.
pub fn shown(b: &Compiled, kind: &ControlKind, value: f64, beat: f64) -> f64 {
    match kind {
        ControlKind::Continuous(_) => {
            let (lo, hi) = kind.bounds();
            b.shape.from_control(value, lo, hi)
        }
        ControlKind::Choice(o) => value / o.len().saturating_sub(1).max(1) as f64,
        ControlKind::Toggle | ControlKind::Trigger => {
            let on = value >= 0.5;
            let first_half = beat.rem_euclid(1.0) < 0.5;
            let lit = match b.led {
                LedMode::Value => on,
                LedMode::BlinkOnBeat => on && first_half,
                LedMode::BlinkWhenOff => on || first_half,
            };
            f64::from(u8::from(lit))
        }
    }
}

/// The bytes that show `x` (0..1) on the hardware of `input`, or `None` when it cannot.
pub fn message(input: &Input, feedback: &Feedback, x: f64) -> Option<Vec<u8>> {
    let x = x.clamp(0.0, 1.0);
    let v7 = (x * 127.0).round() as u8;
    let v14 = (x * 16383.0).round() as u16;
    let target = match feedback {
        Feedback::None => return None,
        Feedback::Same => input,
        Feedback::To(other) => other,
        Feedback::SysEx { template, at } => {
            let mut bytes = template.clone();
            *bytes.get_mut(*at)? = v7;
            return Some(bytes);
        }
    };
    let mut out = Vec::with_capacity(6);
    let ch = |c: u8| c.saturating_sub(1) & 0x0F;
    match *target {
        // OSC apps get their feedback from the OSC plugin.
        Input::Osc(_) | Input::Gesture(_) => return None,
        Input::Note { channel, note } => {
            encode(
                &MidiMessage::NoteOn {
                    channel: ch(channel),
                    note,
                    velocity: v7,
                },
                &mut out,
            );
        }
        Input::Cc { channel, cc } | Input::Encoder { channel, cc, .. } => {
            encode(
                &MidiMessage::ControlChange {
                    channel: ch(channel),
                    cc,
                    value: v7,
                },
                &mut out,
            );
        }
        Input::Cc14 { channel, msb } => encode_cc14(ch(channel), msb, v14, &mut out),
        Input::Nrpn { channel, param } => encode_nrpn(ch(channel), param, v14, &mut out),
        Input::Rpn { channel, param } => encode_rpn(ch(channel), param, v14, &mut out),
        Input::PitchBend { channel } => encode(
            &MidiMessage::PitchBend {
                channel: ch(channel),
                value: v14,
            },
            &mut out,
        ),
        Input::Program { .. } | Input::Aftertouch { .. } | Input::Axis(_) | Input::Button(_) => return None,
    }
    Some(out)
}

/// Sends every bound control's value to the MIDI devices that show it, when it changed.
pub(crate) fn send_feedback(
    mut events: MessageReader<DeviceEvent>,
    mappings: Res<Mappings>,
    registry: Res<Registry>,
    values: Res<ControlValues>,
    state: Res<ControlState>,
    devices: Res<Devices>,
    transport: Res<Transport>,
    mut midi: ResMut<Midi>,
    mut sent: ResMut<FeedbackSent>,
    mut last_layer: Local<Option<crate::state::Layer>>,
) {
    // A device that (re)connects gets its profile's set-up messages, then everything again;
    // so does every device on a new layer.
    for e in events.read() {
        if let DeviceEvent::Connected(id) = e {
            sent.sent.retain(|(d, _), _| d != id);
            let Some(d) = devices.get(*id) else { continue };
            for p in mappings.runtime.profiles.iter().filter(|p| p.matches(&d.name, d.class)) {
                for message in &p.init {
                    midi.send(&d.name, p.output.as_deref(), message);
                }
            }
        }
    }
    if *last_layer != Some(state.layer()) {
        *last_layer = Some(state.layer());
        sent.sent.clear();
    }
    let layer = state.layer();
    for d in devices.iter().filter(|d| d.connected && d.class == DeviceClass::Midi) {
        let output = mappings
            .runtime
            .profiles
            .iter()
            .find(|p| p.matches(&d.name, d.class))
            .and_then(|p| p.output.clone());
        let bound: Vec<&Compiled> = mappings
            .runtime
            .bindings
            .iter()
            .filter(|b| b.feedback != Feedback::None && b.matches_device(&d.name, d.class))
            .collect();
        for b in &bound {
            // The layer held now shows its bindings; an input with none there shows the base.
            let on_layer = b.layer == layer
                || (b.layer == crate::state::Layer::Base
                    && !bound.iter().any(|o| o.input == b.input && o.layer == layer));
            if !on_layer {
                continue;
            }
            let Some(spec) = registry.spec(b.target) else { continue };
            let x = shown(b, &spec.kind, values.get(b.target), transport.beat);
            let Some(bytes) = message(&b.input, &b.feedback, x) else {
                continue;
            };
            let key = (d.id, b.input.clone());
            if sent.sent.get(&key) == Some(&bytes) {
                continue;
            }
            if midi.send(&d.name, output.as_deref(), &bytes) {
                sent.sent.insert(key, bytes);
            }
        }
    }
}
