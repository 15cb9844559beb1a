//! The control map as a performer meets it: device input through mapping files to the decks
//! and the engine, soft takeover, layers, relative encoders, gamepads, learn, bad mapping
//! files, and changes that land at the frame their input arrived. The app runs with
//! `MinimalPlugins` and a real engine rendered offline between frames; devices are fed through
//! the same messages the MIDI and gamepad sources write.

mod common;
use common::applied::AppliedLog;
use common::rig::{ControlRig, FRAME};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::input::InputPlugin;
use bevy::input::gamepad::{
    GamepadConnection, GamepadConnectionEvent, RawGamepadAxisChangedEvent, RawGamepadButtonChangedEvent,
    RawGamepadEvent,
};
use bevy::prelude::*;
use engine_rt::IntentKind;
use engine_rt::backend::CallbackStats;
use phosphene_controls::change::{ControlInput, InputEvent};
use phosphene_controls::devices::{DeviceClass, DeviceId};
use phosphene_controls::mapping::file::Input;
use phosphene_controls::mapping::load::{LEARNED_FILE, read};
use phosphene_controls::midi::assemble::Event;
use phosphene_controls::{
    ControlChange, ControlId, ControlState, ControlValue, DeckControl, DeckRef, Devices, Learn, LearnCommand,
    LearnInto, MappingPaths, Mappings, Source,
};
use phosphene_decks::DeckControls;
use phosphene_engine_bridge::EngineStatus;

/// The rig, with this file's devices: MIDI ports and gamepads written as messages.
type Rig = ControlRig;

impl ControlRig {
    fn new(mappings: MappingPaths) -> Self {
        // Gamepads arrive through Bevy's input plugin, as from gilrs.
        Self::build(mappings, |app| {
            app.add_plugins(InputPlugin);
        })
    }

    /// A rig whose only mappings are the text of one file given with `--mappings`.
    fn with_mapping(name: &str, text: &str) -> (Self, PathBuf) {
        let dir = common::temp_dir(name);
        let path = dir.join("test.ron");
        std::fs::write(&path, text).expect("write mapping");
        let rig = Self::new(MappingPaths {
            extra: vec![path],
            ..default()
        });
        (rig, dir)
    }

    /// A MIDI device plugged in under this name.
    fn midi_device(&mut self, name: &str) -> DeviceId {
        self.app
            .world_mut()
            .resource_mut::<Devices>()
            .connect(name, DeviceClass::Midi, 0)
    }

    fn midi(&mut self, device: DeviceId, event: Event) {
        self.midi_at(device, event, Instant::now());
    }

    fn midi_at(&mut self, device: DeviceId, event: Event, at: Instant) {
        self.app.world_mut().write_message(ControlInput {
            device,
            event: InputEvent::Midi(event),
            at,
        });
    }

    fn change(&mut self, id: ControlId, value: ControlValue, source: Source) {
        self.app
            .world_mut()
            .write_message(ControlChange::new(id, value, source));
    }
}

fn cc(cc: u8, value: u8) -> Event {
    Event::Cc { channel: 0, cc, value }
}

fn note(note: u8, on: bool) -> Event {
    Event::Note {
        channel: 0,
        note,
        velocity: if on { 100 } else { 0 },
        on,
    }
}

const KNOB: &str = r#"(
    bindings: [
        (device: "Test Controller", input: Cc(channel: 1, cc: 16), to: "/deck/1/filter",
         options: (takeover: None)),
    ],
)"#;

#[test]
fn a_knob_moves_its_control_and_the_engine_applies_it() {
    let (mut rig, _dir) = Rig::with_mapping("knob", KNOB);
    let dev = rig.midi_device("jack:Test Controller MIDI 1");
    rig.midi(dev, cc(16, 127));
    rig.steps(3);
    assert_eq!(rig.controls(0).filter, 1.0);
    assert_eq!(rig.applied_filters(0).last().map(|f| f.1), Some(1.0));
    rig.midi(dev, cc(16, 0));
    rig.steps(3);
    assert_eq!(rig.controls(0).filter, -1.0);
    // The same message from another device does nothing: the binding names its device.
    let other = rig.midi_device("Another Box");
    rig.midi(other, cc(16, 127));
    rig.steps(3);
    assert_eq!(rig.controls(0).filter, -1.0);
}

#[test]
fn pick_up_takeover_waits_for_the_knob_to_reach_the_control() {
    let text = KNOB.replace("options: (takeover: None)", "options: (takeover: PickUp)");
    let (mut rig, _dir) = Rig::with_mapping("pickup", &text);
    let dev = rig.midi_device("Test Controller");
    // The filter sits at its centre; the knob starts far below it and is not picked up.
    rig.midi(dev, cc(16, 10));
    rig.steps(2);
    assert_eq!(rig.controls(0).filter, 0.0);
    let waiting: Vec<_> = rig
        .app
        .world()
        .resource::<Mappings>()
        .runtime
        .waiting
        .values()
        .copied()
        .collect();
    assert_eq!(waiting.len(), 1, "the window shows the knob waiting");
    assert!(waiting[0].hardware < waiting[0].control);
    // Turned up slowly through the control's value, it picks up and follows.
    for v in [30, 50, 60, 64, 70, 90] {
        rig.midi(dev, cc(16, v));
        rig.steps(1);
    }
    rig.steps(2);
    let expected = 90.0 / 127.0 * 2.0 - 1.0;
    assert!(
        (rig.controls(0).filter - expected).abs() < 1e-4,
        "{}",
        rig.controls(0).filter
    );
    assert!(rig.app.world().resource::<Mappings>().runtime.waiting.is_empty());
}

#[test]
fn scale_takeover_moves_the_control_without_a_jump() {
    let text = KNOB.replace("options: (takeover: None)", "options: (takeover: Scale)");
    let (mut rig, _dir) = Rig::with_mapping("scale", &text);
    let dev = rig.midi_device("Test Controller");
    rig.midi(dev, cc(16, 0));
    rig.steps(2);
    rig.midi(dev, cc(16, 32));
    rig.steps(2);
    let f = rig.controls(0).filter;
    // A quarter of the knob's travel moves the control a quarter of the way from centre to
    // the top: no jump to the knob's own position (-0.5).
    assert!(f > 0.0 && f < 0.5, "{f}");
    rig.midi(dev, cc(16, 127));
    rig.steps(2);
    assert_eq!(rig.controls(0).filter, 1.0);
}

#[test]
fn a_shift_layer_gives_a_button_a_second_job() {
    let text = r#"(
        bindings: [
            (device: "Pads", input: Note(channel: 1, note: 11), to: "/deck/1/sync"),
            (device: "Pads", input: Note(channel: 1, note: 11), to: "/deck/1/keylock", layer: Shift),
            (device: "Pads", input: Note(channel: 1, note: 63), to: "/controls/shift"),
        ],
    )"#;
    let (mut rig, _dir) = Rig::with_mapping("shift", text);
    let dev = rig.midi_device("Pads");
    // Momentary (the default): the toggle follows the button.
    rig.midi(dev, note(11, true));
    rig.steps(2);
    assert!(rig.controls(0).sync);
    rig.midi(dev, note(11, false));
    rig.steps(2);
    assert!(!rig.controls(0).sync);
    rig.midi(dev, note(63, true));
    rig.steps(2);
    assert!(rig.app.world().resource::<ControlState>().shift);
    rig.midi(dev, note(11, true));
    rig.steps(2);
    let c = rig.controls(0);
    assert!(c.keylock && !c.sync, "shift + pad: key lock, not sync");
    rig.midi(dev, note(11, false));
    rig.midi(dev, note(63, false));
    rig.steps(2);
    assert!(!rig.app.world().resource::<ControlState>().shift);
}

#[test]
fn relative_encoders_step_their_control_in_each_encoding() {
    let text = r#"(
        bindings: [
            (device: "Encoders", input: Encoder(channel: 1, cc: 1, encoding: Offset64), to: "/deck/1/volume"),
            (device: "Encoders", input: Encoder(channel: 1, cc: 2, encoding: TwosComplement), to: "/deck/2/volume"),
            (device: "Encoders", input: Encoder(channel: 1, cc: 3, encoding: SignMagnitude), to: "/controls/focus"),
        ],
    )"#;
    let (mut rig, _dir) = Rig::with_mapping("encoders", text);
    let dev = rig.midi_device("Encoders");
    let start = (rig.controls(0).volume, rig.controls(1).volume);
    for _ in 0..8 {
        rig.midi(dev, cc(1, 63)); // offset 64: one step down
        rig.midi(dev, cc(2, 1)); // two's complement: one step up
    }
    rig.steps(3);
    let (a, b) = (rig.controls(0).volume, rig.controls(1).volume);
    assert!((a - (start.0 - 8.0 / 128.0)).abs() < 1e-4, "{a}");
    assert!((b - (start.1 + 8.0 / 128.0).min(1.0)).abs() < 1e-4, "{b}");
    // A relative encoder on a choice moves by options: sign-magnitude 65 is one step back.
    // (Accelerated encoders are checked in `an_accelerated_encoder_moves_further_when_turned_fast`.)
    rig.midi(dev, cc(3, 65));
    rig.steps(2);
    assert_eq!(
        rig.app.world().resource::<ControlState>().focus,
        1,
        "focus wraps from deck 1 to deck 2"
    );
}

#[test]
fn fourteen_bit_and_nrpn_controls_use_their_full_resolution() {
    let text = r#"(
        bindings: [
            (device: "Fine", input: Cc14(channel: 1, msb: 0), to: "/deck/1/tempo",
             options: (range: (0.92, 1.08), takeover: None)),
            (device: "Fine", input: Nrpn(channel: 2, param: 300), to: "/deck/2/filter", options: (takeover: None)),
        ],
    )"#;
    let (mut rig, _dir) = Rig::with_mapping("fine", text);
    let dev = rig.midi_device("Fine");
    rig.midi(
        dev,
        Event::Cc14 {
            channel: 0,
            msb_cc: 0,
            value: 8192 + 1,
        },
    );
    rig.midi(
        dev,
        Event::Nrpn {
            channel: 1,
            param: 300,
            value: 4096,
            fine: true,
        },
    );
    rig.steps(3);
    let rate = rig.controls(0).rate;
    assert!((rate - (0.92 + 0.16 * 8193.0 / 16383.0)).abs() < 1e-9, "{rate}");
    let filter = rig.controls(1).filter;
    assert!(
        (filter - (4096.0 / 16383.0 * 2.0 - 1.0) as f32).abs() < 1e-5,
        "{filter}"
    );
}

#[test]
fn a_gamepad_plays_the_focused_deck_with_the_shipped_mapping() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mappings");
    let mut rig = Rig::new(MappingPaths {
        shipped: Some(shipped),
        ..default()
    });
    let pad = rig.app.world_mut().spawn_empty().id();
    // What gilrs writes for a pad plugged in: the connection, raw and as its own message.
    let connection = |rig: &mut Rig, c: GamepadConnection| {
        let event = GamepadConnectionEvent::new(pad, c);
        rig.app
            .world_mut()
            .write_message(RawGamepadEvent::Connection(event.clone()));
        rig.app.world_mut().write_message(event);
        rig.steps(2);
    };
    connection(
        &mut rig,
        GamepadConnection::Connected {
            name: "Test Pad".into(),
            vendor_id: None,
            product_id: None,
        },
    );
    assert!(
        rig.app
            .world()
            .resource::<Devices>()
            .iter()
            .any(|d| d.name == "Test Pad" && d.connected)
    );
    let axis = |rig: &mut Rig, v: f32| {
        let e = RawGamepadAxisChangedEvent::new(pad, GamepadAxis::LeftStickX, v);
        rig.app.world_mut().write_message(RawGamepadEvent::Axis(e));
        rig.steps(2);
    };
    // Left stick right: the focused deck's filter opens towards high-pass.
    axis(&mut rig, 1.0);
    assert!(rig.controls(0).filter > 0.9, "{}", rig.controls(0).filter);
    axis(&mut rig, 0.0);
    assert_eq!(rig.controls(0).filter, 0.0, "back to flat at rest");
    // The right shoulder focuses the next deck; the stick then plays deck 2.
    let press = |rig: &mut Rig, button: GamepadButton, v: f32| {
        let e = RawGamepadButtonChangedEvent::new(pad, button, v);
        rig.app.world_mut().write_message(RawGamepadEvent::Button(e));
        rig.steps(2);
    };
    press(&mut rig, GamepadButton::RightTrigger, 1.0);
    press(&mut rig, GamepadButton::RightTrigger, 0.0);
    assert_eq!(rig.app.world().resource::<ControlState>().focus, 1);
    axis(&mut rig, -1.0);
    assert!(rig.controls(1).filter < -0.9 && rig.controls(0).filter == 0.0);
    connection(&mut rig, GamepadConnection::Disconnected);
    assert!(rig.app.world().resource::<Devices>().iter().all(|d| !d.connected));
}

#[test]
fn the_control_window_and_devices_share_one_focus() {
    let text = r#"(bindings: [(device: "Knobs", input: Cc(channel: 1, cc: 7), to: "/deck/focused/volume",
                                options: (takeover: None))])"#;
    let (mut rig, _dir) = Rig::with_mapping("focus", text);
    let dev = rig.midi_device("Knobs");
    rig.change(
        ControlId::Map(phosphene_controls::MapControl::Focus),
        ControlValue::Set(1.0),
        Source::Ui,
    );
    rig.steps(2);
    rig.midi(dev, cc(7, 0));
    rig.steps(2);
    assert_eq!(rig.controls(1).volume, 0.0);
    assert_eq!(rig.controls(0).volume, DeckControls::default().volume);
}

#[test]
fn learn_binds_what_moved_saves_it_and_it_works_after_a_restart() {
    let dir = common::temp_dir("learn");
    let paths = MappingPaths {
        global: Some(dir.clone()),
        ..default()
    };
    let mut rig = Rig::new(paths.clone());
    let dev = rig.midi_device("jack:Learn Box MIDI 1");
    let w = rig.app.world_mut();
    w.write_message(LearnCommand::Into(LearnInto::Global));
    w.write_message(LearnCommand::Start);
    rig.steps(1);
    // Click the control in the window: it is chosen, not moved.
    let filter = ControlId::Deck(DeckRef::Index(0), DeckControl::Filter);
    rig.change(filter, ControlValue::Set(0.7), Source::Ui);
    rig.steps(1);
    assert_eq!(rig.controls(0).filter, 0.0);
    // Turn a knob: a sweep of CC 21.
    let t0 = Instant::now();
    for (i, v) in (40..80u8).enumerate() {
        rig.midi_at(
            dev,
            Event::Cc {
                channel: 2,
                cc: 21,
                value: v,
            },
            t0 + Duration::from_millis(5 * i as u64),
        );
    }
    rig.steps(2);
    let message = rig.app.world().resource::<Learn>().message.clone().unwrap_or_default();
    assert!(message.starts_with("learnt"), "{message}");
    assert_eq!(
        rig.controls(0).filter,
        0.0,
        "what moved while learning is learnt, not played"
    );
    let saved = read(&dir.join(LEARNED_FILE)).expect("saved");
    let b = &saved.bindings[0];
    assert_eq!(
        (b.input.clone(), b.to.as_str()),
        (Some(Input::Cc { channel: 3, cc: 21 }), "/deck/1/filter")
    );
    assert_eq!(b.device, "Learn Box MIDI 1", "bound by the device's name, not its port");
    // A new session reads it back and the knob plays the filter (after picking it up).
    drop(rig);
    let mut rig = Rig::new(paths);
    let dev = rig.midi_device("jack:Learn Box MIDI 1");
    for v in [64, 100, 127] {
        rig.midi(
            dev,
            Event::Cc {
                channel: 2,
                cc: 21,
                value: v,
            },
        );
        rig.steps(1);
    }
    rig.steps(1);
    assert_eq!(rig.controls(0).filter, 1.0);
    // Undo takes the binding back out of the file.
    rig.app.world_mut().write_message(LearnCommand::Undo);
    rig.steps(1);
    let message = rig.app.world().resource::<Learn>().message.clone().unwrap_or_default();
    assert_eq!(message, "learn: nothing to undo", "this session learnt nothing");
}

#[test]
fn learn_undo_restores_the_file() {
    let dir = common::temp_dir("learn-undo");
    let mut rig = Rig::new(MappingPaths {
        global: Some(dir.clone()),
        ..default()
    });
    let dev = rig.midi_device("Pads");
    let w = rig.app.world_mut();
    w.write_message(LearnCommand::Into(LearnInto::Global));
    w.write_message(LearnCommand::Start);
    rig.steps(1);
    rig.change(
        ControlId::Deck(DeckRef::Index(1), DeckControl::Play),
        ControlValue::Press,
        Source::Ui,
    );
    rig.steps(1);
    rig.midi(dev, note(36, true));
    rig.steps(2);
    let learnt = read(&dir.join(LEARNED_FILE)).expect("saved");
    let b = &learnt.bindings[0];
    assert_eq!(
        (b.input.clone(), b.to.as_str()),
        (Some(Input::Note { channel: 1, note: 36 }), "/deck/2/play")
    );
    rig.app.world_mut().write_message(LearnCommand::Undo);
    rig.steps(2);
    assert!(read(&dir.join(LEARNED_FILE)).expect("still there").bindings.is_empty());
}

#[test]
fn a_broken_mapping_file_is_named_left_alone_and_the_others_still_load() {
    let dir = common::temp_dir("broken");
    let broken = "(\n    bindings: [\n        (device: \"X\", input: Cc(channel: 1, cc: 1), to: ),\n    ],\n)\n";
    std::fs::write(dir.join("broken.ron"), broken).expect("write");
    std::fs::write(dir.join("good.ron"), KNOB).expect("write");
    let unknown = KNOB.replace("/deck/1/filter", "/deck/9/filter");
    std::fs::write(dir.join("unknown.ron"), unknown).expect("write");
    // Learn's own file is broken too: learning must not overwrite it.
    std::fs::write(dir.join(LEARNED_FILE), broken).expect("write");
    let mut rig = Rig::new(MappingPaths {
        global: Some(dir.clone()),
        ..default()
    });
    let errors = rig.app.world().resource::<Mappings>().errors.clone();
    assert!(
        errors.iter().any(|e| e.contains("broken.ron:3:")),
        "located: {errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("unknown.ron") && e.contains("no control at /deck/9/filter")),
        "{errors:#?}"
    );
    let dev = rig.midi_device("Test Controller");
    rig.midi(dev, cc(16, 127));
    rig.steps(2);
    assert_eq!(rig.controls(0).filter, 1.0, "the good file's binding acts");
    let w = rig.app.world_mut();
    w.write_message(LearnCommand::Into(LearnInto::Global));
    w.write_message(LearnCommand::Start);
    rig.steps(1);
    rig.change(
        ControlId::Deck(DeckRef::Index(0), DeckControl::Play),
        ControlValue::Press,
        Source::Ui,
    );
    rig.steps(1);
    rig.midi(dev, note(40, true));
    rig.steps(2);
    let message = rig.app.world().resource::<Learn>().message.clone().unwrap_or_default();
    assert!(message.contains("not overwritten"), "{message}");
    assert_eq!(std::fs::read_to_string(dir.join(LEARNED_FILE)).expect("kept"), broken);
}

#[test]
fn changes_land_at_the_frames_their_input_arrived() {
    let (mut rig, _dir) = Rig::with_mapping("timed", KNOB);
    let dev = rig.midi_device("Test Controller");
    // A device clock: the callback's stamp, as an output device would make it.
    let stats = CallbackStats::new();
    rig.app.world_mut().resource_mut::<EngineStatus>().callback = Some(Arc::clone(&stats));
    rig.steps(2);
    stats.clock.stamp(rig.processor.frame(), None);
    // A burst of moves 3 ms apart, all reaching the app within one UI frame.
    let t0 = Instant::now();
    let spacing = Duration::from_millis(3);
    for i in 0..5u32 {
        rig.midi_at(dev, cc(16, 20 * i as u8), t0 + spacing * i);
    }
    rig.steps(6);
    let frames: Vec<u64> = rig.applied_filters(0).iter().map(|f| f.0).collect();
    assert_eq!(frames.len(), 5, "{frames:?}");
    for pair in frames.windows(2) {
        let gap = pair[1] as i64 - pair[0] as i64;
        assert!((gap - 144).abs() <= 1, "3 ms apart is 144 frames apart: {frames:?}");
    }
}

#[test]
fn a_binding_can_launch_on_its_own_quantization() {
    let text = r#"(
        bindings: [
            (device: "Pads", input: Note(channel: 1, note: 1), to: "/deck/1/play"),
            (device: "Pads", input: Note(channel: 1, note: 2), to: "/deck/2/play", options: (quantize: Now)),
        ],
    )"#;
    let (mut rig, _dir) = Rig::with_mapping("launch", text);
    let dev = rig.midi_device("Pads");
    rig.steps(2);
    rig.midi(dev, note(1, true));
    rig.midi(dev, note(2, true));
    rig.steps(3);
    let pushed = rig.processor.frame();
    // The performer's launch quantization (a bar) holds deck 1's play; deck 2's pad plays now.
    let bar = 4 * 24_000;
    while rig.processor.frame() < bar + 2 * FRAME as u64 {
        rig.step();
    }
    let log = &rig.app.world().resource::<AppliedLog>().0;
    let play = |deck: usize| {
        log.iter()
            .find(|a| matches!(a.kind, IntentKind::Play { deck: d } if d == deck))
            .map(|a| a.frame)
    };
    assert_eq!(play(0), Some(bar), "deck 1 launches on the bar");
    assert!(play(1).is_some_and(|f| f <= pushed), "deck 2 at once: {:?}", play(1));
}

#[test]
fn an_accelerated_encoder_moves_further_when_turned_fast() {
    let text = r#"(
        bindings: [
            (device: "Jog", input: Encoder(channel: 1, cc: 1, encoding: Offset64), to: "/deck/1/volume",
             options: (acceleration: Some(()))),
        ],
    )"#;
    let (mut rig, _dir) = Rig::with_mapping("accel", text);
    let dev = rig.midi_device("Jog");
    let start = rig.controls(0).volume;
    // Eight ticks slowly (a quarter second apart), then eight fast (5 ms apart).
    let t0 = Instant::now();
    for i in 0..8u64 {
        rig.midi_at(dev, cc(1, 63), t0 + Duration::from_millis(250 * i));
    }
    rig.steps(2);
    let slow = start - rig.controls(0).volume;
    assert!((slow - 8.0 / 128.0).abs() < 1e-4, "slow turns stay exact: {slow}");
    let t1 = t0 + Duration::from_secs(3);
    let before = rig.controls(0).volume;
    for i in 0..8u64 {
        rig.midi_at(dev, cc(1, 63), t1 + Duration::from_millis(5 * i));
    }
    rig.steps(2);
    let fast = before - rig.controls(0).volume;
    assert!(fast > 2.0 * slow, "fast turns go further: {fast} vs {slow}");
}
