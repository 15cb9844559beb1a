//! Each translation of the importer, on small inline mappings.

use super::{ImportError, Imported, import};
use crate::binding::button::ButtonMode;
use crate::binding::takeover::Takeover;
use crate::mapping::file::{Binding, Feedback, HardwareControl, Input};
use crate::midi::relative::RelativeEncoding;
use crate::state::Layer;

/// A mapping with these `<control>` and `<output>` lines.
fn mapping(controls: &str, outputs: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<MixxxControllerPreset schemaVersion="1" mixxxVersion="2.4">
    <info><name>Test Deck</name></info>
    <controller id="TESTPORT">
        <scriptfiles><file functionprefix="Test" filename="Test-scripts.js"/></scriptfiles>
        <controls>{controls}</controls>
        <outputs>{outputs}</outputs>
    </controller>
</MixxxControllerPreset>"#
    )
}

fn control(group: &str, key: &str, status: &str, midino: &str, options: &str) -> String {
    format!(
        "<control><group>{group}</group><key>{key}</key><status>{status}</status><midino>{midino}</midino>\
         <options>{options}</options></control>\n"
    )
}

fn output(group: &str, key: &str, status: &str, midino: &str, extra: &str) -> String {
    format!(
        "<output><group>{group}</group><key>{key}</key><status>{status}</status><midino>{midino}</midino>\
         {extra}</output>\n"
    )
}

fn run(controls: &str, outputs: &str) -> Imported {
    import(&mapping(controls, outputs), "test.midi.xml").expect("imports")
}

/// The binding to `to`, and the control it names.
fn bound<'a>(imported: &'a Imported, to: &str) -> (&'a Binding, &'a HardwareControl) {
    let binding = imported
        .file
        .bindings
        .iter()
        .find(|b| b.to == to)
        .unwrap_or_else(|| panic!("no binding to {to}"));
    let name = binding.control.as_deref().expect("named control");
    let control = imported.file.devices[0]
        .controls
        .iter()
        .find(|c| c.name == name)
        .expect("control exists");
    (binding, control)
}

fn skipped_has(imported: &Imported, needle: &str) -> bool {
    imported.skipped.iter().any(|s| s.contains(needle))
}

#[test]
fn profile_takes_name_and_port() {
    let imported = run("", "");
    let device = &imported.file.devices[0];
    assert_eq!(device.name, "Test Deck");
    assert_eq!(device.ports, vec!["TESTPORT".to_owned()]);
    assert!(skipped_has(&imported, "script file Test-scripts.js"));
}

#[test]
fn notes_and_note_off_merge() {
    let imported = run(
        &(control("[Channel1]", "play", "0x90", "0x0B", "<normal/>")
            + &control("[Channel1]", "play", "0x80", "0x0B", "<normal/>")
            + &control("[Channel2]", "cue_default", "145", "12", "<Normal/>")),
        "",
    );
    let (binding, play) = bound(&imported, "/deck/1/play");
    assert_eq!(play.input, Input::Note { channel: 1, note: 0x0B });
    assert_eq!(binding.layer, Layer::Base);
    assert_eq!(binding.options.button, ButtonMode::Momentary);
    assert_eq!(
        imported.file.bindings.iter().filter(|b| b.to == "/deck/1/play").count(),
        1
    );
    let (_, cue) = bound(&imported, "/deck/2/cue");
    assert_eq!(cue.input, Input::Note { channel: 2, note: 12 });
    assert_eq!(imported.file.devices[0].controls.len(), 2);
}

#[test]
fn fourteen_bit_pairs_become_cc14() {
    let imported = run(
        &(control("[Channel1]", "rate", "0xB0", "0x00", "<fourteen-bit-msb/>")
            + &control("[Channel1]", "rate", "0xB0", "0x20", "<fourteen-bit-lsb/>")
            + &control(
                "[Master]",
                "crossfader",
                "0xB6",
                "0x1F",
                "<fourteen-bit-msb/><soft-takeover/>",
            )
            + &control(
                "[Master]",
                "crossfader",
                "0xB6",
                "0x3F",
                "<fourteen-bit-lsb/><soft-takeover/>",
            )),
        "",
    );
    let (rate, fader) = bound(&imported, "/deck/1/tempo");
    assert_eq!(fader.input, Input::Cc14 { channel: 1, msb: 0 });
    assert_eq!(rate.options.range, Some((0.92, 1.08)));
    assert_eq!(rate.options.takeover, Takeover::None);
    let (xfade, control) = bound(&imported, "/mixer/crossfader");
    assert_eq!(control.input, Input::Cc14 { channel: 7, msb: 0x1F });
    assert_eq!(xfade.options.takeover, Takeover::PickUp);
    assert!(
        imported
            .skipped
            .iter()
            .all(|s| !s.contains("rate") && !s.contains("crossfader")),
        "{:?}",
        imported.skipped
    );
}

#[test]
fn unpaired_fourteen_bit_halves() {
    let imported = run(
        &(control("[Channel1]", "volume", "0xB0", "0x13", "<fourteen-bit-msb/>")
            + &control("[Channel1]", "volume", "0xB0", "0x40", "<fourteen-bit-lsb/>")
            + &control("[Channel2]", "volume", "0xB1", "0x13", "<fourteen-bit-msb/>")
            + &control("[Channel3]", "volume", "0xB2", "0x33", "<fourteen-bit-lsb/>")
            + &control("[Channel4]", "volume", "0xB3", "0x13", "<normal/>")
            + &control("[Channel4]", "volume", "0xB3", "0x33", "<fourteen-bit-lsb/>")),
        "",
    );
    assert_eq!(
        bound(&imported, "/deck/1/volume").1.input,
        Input::Cc { channel: 1, cc: 0x13 }
    );
    assert_eq!(
        bound(&imported, "/deck/2/volume").1.input,
        Input::Cc { channel: 2, cc: 0x13 }
    );
    assert!(skipped_has(&imported, "LSB half (0x40)"), "{:?}", imported.skipped);
    assert!(skipped_has(
        &imported,
        "[Channel3] volume (0xB2 0x33): a fourteen-bit-lsb line without"
    ));
    assert_eq!(
        bound(&imported, "/deck/4/volume").1.input,
        Input::Cc { channel: 4, cc: 0x13 }
    );
    assert!(skipped_has(
        &imported,
        "[Channel4] volume (0xB3 0x33): its MSB line is not marked fourteen-bit-msb"
    ));
}

#[test]
fn relative_options_become_encoders() {
    let imported = run(
        &(control("[Channel1]", "beatjump_size", "0xB0", "0x21", "<rot64/>")
            + &control("[Channel2]", "beatjump_size", "0xB1", "0x21", "<Rot64Inv/>")
            + &control("[Channel3]", "beatjump_size", "0xB2", "0x21", "<diff/>")
            + &control("[Channel4]", "beatjump_size", "0xB3", "0x21", "<selectknob/>")),
        "",
    );
    let (b1, c1) = bound(&imported, "/deck/1/beatjump/size");
    assert_eq!(
        c1.input,
        Input::Encoder {
            channel: 1,
            cc: 0x21,
            encoding: RelativeEncoding::Offset64
        }
    );
    assert!(!b1.options.invert);
    let (b2, c2) = bound(&imported, "/deck/2/beatjump/size");
    assert_eq!(
        c2.input,
        Input::Encoder {
            channel: 2,
            cc: 0x21,
            encoding: RelativeEncoding::Offset64
        }
    );
    assert!(b2.options.invert);
    for (deck, channel) in [(3, 3), (4, 4)] {
        let (_, c) = bound(&imported, &format!("/deck/{deck}/beatjump/size"));
        assert_eq!(
            c.input,
            Input::Encoder {
                channel,
                cc: 0x21,
                encoding: RelativeEncoding::TwosComplement
            }
        );
    }
}

#[test]
fn invert_and_button_modes() {
    let imported = run(
        &(control("[Channel1]", "volume", "0xB0", "0x13", "<invert/>")
            + &control("[Channel1]", "pfl", "0x90", "0x54", "<normal/>")
            + &control("[Channel2]", "pfl", "0x91", "0x54", "<switch/>")
            + &control("[Channel1]", "keylock", "0x90", "0x1A", "<button/>")
            + &control("[Channel1]", "sync_enabled", "0x90", "0x58", "")
            + &control("[Channel2]", "playposition", "0x91", "0x70", "<button/>")),
        "",
    );
    assert!(bound(&imported, "/deck/1/volume").0.options.invert);
    assert_eq!(
        bound(&imported, "/deck/1/headphone").0.options.button,
        ButtonMode::Toggle
    );
    assert_eq!(
        bound(&imported, "/deck/2/headphone").0.options.button,
        ButtonMode::Momentary
    );
    assert_eq!(bound(&imported, "/deck/1/keylock").0.options.button, ButtonMode::Toggle);
    assert_eq!(bound(&imported, "/deck/1/sync").0.options.button, ButtonMode::Toggle);
    assert_eq!(
        bound(&imported, "/deck/2/position").0.options.button,
        ButtonMode::Toggle
    );
}

#[test]
fn deck_keys() {
    let cases = [
        ("stop", "/deck/1/stop"),
        ("eject", "/deck/1/eject"),
        ("pregain", "/deck/1/gain"),
        ("orientation", "/deck/1/xfader"),
        ("loop_in", "/deck/1/loop/in"),
        ("loop_out", "/deck/1/loop/out"),
        ("reloop_toggle", "/deck/1/loop/exit"),
        ("beatjump_forward", "/deck/1/beatjump/forward"),
        ("beatjump_backward", "/deck/1/beatjump/back"),
        ("hotcue_3_activate", "/deck/1/hotcue/3"),
        ("hotcue_3_clear", "/deck/1/hotcue/3/delete"),
        ("hotcue_8_set", "/deck/1/hotcue/8/set"),
        ("beatloop_0.25_toggle", "/deck/1/loop/beats/0.25"),
        ("beatloop_32_activate", "/deck/1/loop/beats/32"),
        ("beatloop_4_toggle", "/deck/1/loop/beats/4"),
        ("filterLowKill", "/deck/1/eq/low/kill"),
    ];
    let controls: String = cases
        .iter()
        .enumerate()
        .map(|(i, (key, _))| control("[Channel1]", key, "0x90", &i.to_string(), ""))
        .collect();
    let imported = run(&controls, "");
    for (key, address) in cases {
        assert!(
            imported.file.bindings.iter().any(|b| b.to == address),
            "{key} -> {address}: {:?}",
            imported.skipped
        );
    }
    assert!(
        imported.skipped.iter().all(|s| !s.contains("[Channel1]")),
        "{:?}",
        imported.skipped
    );
    let bend = run(&control("[Channel2]", "rate_temp_down", "0x91", "0x10", ""), "");
    assert_eq!(bound(&bend, "/deck/2/nudge").0.options.range, Some((0.0, -0.04)));
}

#[test]
fn rack_and_master_groups() {
    let imported = run(
        &(control("[EqualizerRack1_[Channel2]_Effect1]", "parameter1", "0xB1", "0x0F", "")
            + &control("[EqualizerRack1_[Channel2]_Effect1]", "parameter3", "0xB1", "0x07", "")
            + &control(
                "[EqualizerRack1_[Channel2]_Effect1]",
                "button_parameter2",
                "0x91",
                "0x30",
                "",
            )
            + &control("[QuickEffectRack1_[Channel3]]", "super1", "0xB6", "0x19", "")
            + &control("[EffectRack1_EffectUnit2]", "mix", "0xB4", "0x02", "")
            + &control("[EffectRack1_EffectUnit1]", "super1", "0xB4", "0x03", "")
            + &control("[Master]", "gain", "0xB6", "0x08", "")
            + &control("[Master]", "headMix", "0xB6", "0x0C", "")
            + &control("[Mixer]", "headGain", "0xB6", "0x0D", "")),
        "",
    );
    for address in [
        "/deck/2/eq/low",
        "/deck/2/eq/high",
        "/deck/2/eq/mid/kill",
        "/deck/3/filter",
        "/deck/focused/fx/2/amount",
        "/deck/focused/fx/1/param",
        "/mixer/master",
        "/mixer/headphone/mix",
        "/mixer/headphone/gain",
    ] {
        assert!(
            imported.file.bindings.iter().any(|b| b.to == address),
            "{address}: {:?}",
            imported.skipped
        );
    }
    assert_eq!(
        bound(&imported, "/deck/2/eq/mid/kill").0.options.button,
        ButtonMode::Toggle
    );
    assert!(
        imported.skipped.len() == 1,
        "only the script file: {:?}",
        imported.skipped
    );
}

#[test]
fn what_is_skipped() {
    let imported = run(
        &(control("[Channel1]", "Test.shift", "0x90", "0x3F", "<script-binding/>")
            + &control("[Channel1]", "Test.jog", "0xB0", "0x21", "")
            + &control("[Channel5]", "play", "0x94", "0x0B", "")
            + &control("[Sampler1]", "play", "0x97", "0x30", "")
            + &control("[Channel1]", "quantize", "0x90", "0x68", "")
            + &control("[Channel1]", "hotcue_9_activate", "0x97", "0x08", "")
            + &control("[Channel1]", "beatloop_0.125_toggle", "0x97", "0x68", "")
            + &control("[Channel1]", "beatjump_4_forward", "0x97", "0x25", "")
            + &control("[EffectRack1_EffectUnit1_Effect2]", "enabled", "0x94", "0x48", "")
            + &control("[EffectRack1_EffectUnit4]", "mix", "0xB4", "0x04", "")
            + &control("[Channel1]", "play", "0xZZ", "0x0B", "")
            + &control("[Channel1]", "play", "0xA0", "0x0B", "")
            + &control("[Channel]", "shift", "0x90", "0x40", "")),
        "",
    );
    assert!(imported.file.bindings.is_empty(), "{:?}", imported.file.bindings);
    for needle in [
        "Test.shift (0x90 0x3F): script binding",
        "Test.jog (0xB0 0x21): script binding",
        "deck 5: Phosphene has decks 1 to 4",
        "group [Sampler1] has no Phosphene counterpart",
        "key quantize of [Channel1]",
        "hot cue 9",
        "a loop of 0.125 beats",
        "a fixed beat jump (4 beats)",
        "single effects of a unit",
        "effect unit 4",
        "(? 0x0B): status or midino missing",
        "message type 0xAn is not supported",
        "group [Channel] has no Phosphene counterpart",
    ] {
        assert!(
            skipped_has(&imported, needle),
            "missing {needle:?} in {:#?}",
            imported.skipped
        );
    }
    // 13 lines and the script file.
    assert_eq!(imported.skipped.len(), 14, "{:#?}", imported.skipped);
}

#[test]
fn outputs_set_feedback() {
    let imported = run(
        &(control("[Channel1]", "play", "0x90", "0x0B", "")
            + &control("[Channel1]", "cue_default", "0x90", "0x0C", "")
            + &control("[Channel1]", "hotcue_1_activate", "0x97", "0x00", "")
            + &control("[Channel1]", "hotcue_1_clear", "0x98", "0x00", "")
            + &control("[Channel1]", "pfl", "0x90", "0x54", "")),
        &(output("[Channel1]", "play_indicator", "0x90", "0x0B", "<minimum>0.5</minimum>")
            + &output("[Channel1]", "play_indicator", "0x90", "0x47", "")
            + &output(
                "[Channel1]",
                "cue_indicator",
                "0x90",
                "0x4C",
                "<on>0x7F</on><off>0x00</off>",
            )
            + &output("[Channel1]", "hotcue_1_status", "0x97", "0x00", "")
            + &output("[Channel1]", "hotcue_1_enabled", "0x98", "0x00", "")
            + &output("[Channel1]", "pfl", "0x90", "0x54", "<on>0x01</on>")
            + &output("[Channel2]", "play_indicator", "0x91", "0x0B", "")
            + &output("[Channel1]", "loop_enabled", "0x90", "0x10", "")),
    );
    assert_eq!(bound(&imported, "/deck/1/play").1.feedback, Feedback::Same);
    assert_eq!(
        bound(&imported, "/deck/1/cue").1.feedback,
        Feedback::To(Input::Note { channel: 1, note: 0x4C })
    );
    assert_eq!(bound(&imported, "/deck/1/hotcue/1").1.feedback, Feedback::Same);
    assert_eq!(bound(&imported, "/deck/1/hotcue/1/delete").1.feedback, Feedback::None);
    assert_eq!(bound(&imported, "/deck/1/headphone").1.feedback, Feedback::Same);
    for needle in [
        "output [Channel1] play_indicator (0x90 0x47): /deck/1/play already shows on the LED of ch1 note 0x0B",
        "output [Channel1] hotcue_1_enabled (0x98 0x00): /deck/1/hotcue/1 already shows on the LED of ch8 note 0x00",
        "output [Channel1] pfl (0x90 0x54): LED values on=0x01 off=0x00 not carried",
        "output [Channel2] play_indicator (0x91 0x0B): no carried input drives /deck/2/play",
        "output [Channel1] loop_enabled (0x90 0x10): key loop_enabled of [Channel1]",
    ] {
        assert!(
            skipped_has(&imported, needle),
            "missing {needle:?} in {:#?}",
            imported.skipped
        );
    }
}

#[test]
fn pitch_bend_and_program() {
    let imported = run(
        &(control("[Channel1]", "rate", "0xE0", "0x00", "")
            + &control("[Channel2]", "beatjump_size", "0xC1", "0x00", "")),
        "",
    );
    assert_eq!(
        bound(&imported, "/deck/1/tempo").1.input,
        Input::PitchBend { channel: 1 }
    );
    assert_eq!(
        bound(&imported, "/deck/2/beatjump/size").1.input,
        Input::Program { channel: 2 }
    );
}

#[test]
fn xml_errors_carry_line_and_column() {
    let err = import(
        "<MixxxControllerPreset>\n  <controller id=\"x\">\n  </controls>\n",
        "broken.midi.xml",
    )
    .expect_err("malformed");
    match &err {
        ImportError::Xml {
            source, line, column, ..
        } => {
            assert_eq!(source, "broken.midi.xml");
            assert_eq!((*line, *column), (3, 3));
        }
        other => panic!("expected an XML error, got {other:?}"),
    }
    assert!(
        err.to_string().starts_with("broken.midi.xml: XML syntax error at 3:3"),
        "{err}"
    );
}

#[test]
fn not_a_mixxx_mapping() {
    let err = import("<MixxxControllerPreset><info/></MixxxControllerPreset>", "a.xml").expect_err("no controller");
    assert_eq!(err.to_string(), "a.xml: not a Mixxx mapping: no <controller> element");
    let err = import("<html><body/></html>", "b.xml").expect_err("wrong root");
    assert!(err.to_string().contains("the root element is <html>"), "{err}");
    assert!(import("", "c.xml").is_err());
}

#[test]
fn result_round_trips_through_ron() {
    let imported = run(
        &(control("[Channel1]", "play", "0x90", "0x0B", "")
            + &control("[Channel1]", "rate", "0xB0", "0x00", "<fourteen-bit-msb/>")
            + &control("[Channel1]", "rate", "0xB0", "0x20", "<fourteen-bit-lsb/>")),
        &output("[Channel1]", "play_indicator", "0x90", "0x0B", ""),
    );
    let text = ron::ser::to_string_pretty(&imported.file, ron::ser::PrettyConfig::default()).expect("serialises");
    let back: crate::mapping::file::MappingFile = ron::from_str(&text).expect("parses back");
    assert_eq!(back, imported.file);
}

#[test]
fn gain_knobs_centre_on_unity() {
    let imported = run(
        &(control("[Channel1]", "pregain", "0xB0", "0x04", "")
            + &control("[EqualizerRack1_[Channel1]_Effect1]", "parameter2", "0xB0", "0x0B", "")
            + &control("[Channel2]", "filterHigh", "0xB1", "0x07", "")
            + &control("[Master]", "gain", "0xB6", "0x08", "")
            + &control("[Master]", "headGain", "0xB6", "0x0D", "")),
        "",
    );
    for (address, lo, hi) in [
        ("/deck/1/gain", -24.0, 12.0),
        ("/deck/1/eq/mid", -26.0, 6.0),
        ("/deck/2/eq/high", -26.0, 6.0),
        ("/mixer/master", -60.0, 12.0),
        ("/mixer/headphone/gain", -60.0, 12.0),
    ] {
        let shape = bound(&imported, address).0.options.shape();
        assert!(shape.to_control(0.5, lo, hi).abs() < 1e-9, "{address} centre");
        assert_eq!(shape.to_control(0.0, lo, hi), lo, "{address} bottom");
        assert_eq!(shape.to_control(1.0, lo, hi), hi, "{address} top");
    }
}

#[test]
fn odd_lines_are_skipped_not_fatal() {
    let imported = run(
        "<control/>\
         <control><group>[Channel1]</group><key>play</key><status/><midino>0x0B</midino></control>\
         <control><group>[Channel1]</group><key>play</key><status>0x90</status><midino>0x100</midino></control>\
         <control><group>[Channel1]</group><key></key><status>0x90</status><midino>0x01</midino></control>\
         <control><group>[Channel1]</group><key>play</key><status>0x10</status><midino>0x01</midino></control>\
         <control><group>[Channel1]</group><key>play</key><status>0x91</status><midino>1</midino>\
         <options>text<normal/></options></control>\
         <control><group>[Channel99999999999]</group><key>play</key><status>0x90</status><midino>2</midino></control>\
         <control><group>[EffectRack1_EffectUnit999]</group><key>mix</key><status>0xB0</status><midino>2</midino>\
         </control>",
        "<output/><output><group>[Channel1]</group><key>play_indicator</key><status>0xF0</status>\
         <midino>0</midino></output>",
    );
    assert_eq!(imported.file.bindings.len(), 1, "{:#?}", imported.skipped);
    assert_eq!(
        bound(&imported, "/deck/1/play").1.input,
        Input::Note { channel: 2, note: 1 }
    );
    // 7 odd controls, 2 odd outputs, the script file.
    assert_eq!(imported.skipped.len(), 10, "{:#?}", imported.skipped);
    assert!(import("<MixxxControllerPreset><controller/></MixxxControllerPreset>", "x").is_ok());
    assert!(import("<?xml version=\"1.0\"?><!DOCTYPE x><MixxxControllerPreset/>", "x").is_err());
}
