//! The real Mixxx mapping in fixtures/ imports, and agrees with the shipped DDJ-FLX4 mapping where
//! both map the same address (the DDJ-400 and DDJ-FLX4 send the same messages for those).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use phosphene_controls::Registry;
use phosphene_controls::mapping::file::{Feedback, Input, MappingFile};
use phosphene_controls::mapping::load::{Loaded, Origin, read};
use phosphene_controls::mapping::runtime::Runtime;
use phosphene_controls::mixxx::{Imported, import};
use phosphene_controls::state::Layer;

const FIXTURE: &str = "Pioneer-DDJ-400.midi.xml";

fn fixture_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(FIXTURE);
    fs::read_to_string(&path).expect("fixture readable")
}

fn fixture() -> Imported {
    import(&fixture_text(), FIXTURE).expect("fixture imports")
}

/// Every address a file binds, with the inputs bound to it (any layer).
fn inputs_by_address(file: &MappingFile) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for binding in &file.bindings {
        let name = binding.control.as_deref().expect("named control");
        let input = &file.devices[0]
            .controls
            .iter()
            .find(|c| c.name == name)
            .expect("control exists")
            .input;
        // A 7-bit CC and a 14-bit CC on the same number are the same fader read at two resolutions.
        let key = match input {
            &Input::Cc14 { channel, msb } => format!("{:?}", Input::Cc { channel, cc: msb }),
            other => format!("{other:?}"),
        };
        map.entry(binding.to.clone()).or_default().insert(key);
    }
    map
}

#[test]
fn fixture_is_kept_verbatim() {
    let text = fixture_text();
    assert_eq!(text.len(), 33_478, "the fixture is the upstream file, byte for byte");
    assert!(text.starts_with("<?xml version='1.0' encoding='utf-8'?>\n<MixxxControllerPreset"));
}

#[test]
fn fixture_imports() {
    let imported = fixture();
    let file = &imported.file;
    assert_eq!(file.devices.len(), 1);
    assert_eq!(file.devices[0].name, "Pioneer DDJ-400");
    assert_eq!(file.devices[0].ports, vec!["DDJ-400".to_owned()]);
    assert_eq!(file.bindings.len(), 49);

    for binding in &file.bindings {
        assert_eq!(binding.layer, Layer::Base);
    }
    // What was carried over compiles against the real control map with no error.
    let loaded = [Loaded {
        origin: Origin::Flag(FIXTURE.into()),
        file: file.clone(),
    }];
    let runtime = Runtime::compile(&loaded, &Registry::new(4, &[]));
    assert!(runtime.errors.is_empty(), "{:#?}", runtime.errors);

    let by_address = inputs_by_address(file);
    let play1 = format!("{:?}", Input::Note { channel: 1, note: 0x0B });
    let play2 = format!("{:?}", Input::Note { channel: 2, note: 0x0B });
    assert_eq!(by_address["/deck/1/play"], BTreeSet::from([play1]));
    assert_eq!(by_address["/deck/2/play"], BTreeSet::from([play2]));
    let tempo = file
        .bindings
        .iter()
        .find(|b| b.to == "/deck/1/tempo")
        .expect("rate fader");
    assert_eq!(tempo.options.range, Some((0.92, 1.08)));

    // LEDs: play and cue of both decks, hot cue and beat loop pads of deck 1.
    let lit = file.devices[0]
        .controls
        .iter()
        .filter(|c| c.feedback == Feedback::Same)
        .count();
    assert_eq!(lit, 4 + 8 + 8);
}

#[test]
fn fixture_skipped_list() {
    let imported = fixture();
    let skipped = &imported.skipped;
    for needle in [
        "line 355: [Channel1] beatjump_1_backward (0x97 0x20): a fixed beat jump (1 beat)",
        "line 423: [Channel1] pregain (0xB0 0x24): its MSB line is not marked fourteen-bit-msb",
        "line 561: [Library] MoveVertical (0xB6 0x40): group [Library] has no Phosphene counterpart",
        "line 570: [Channel1] LoadSelectedTrack (0x96 0x46): key LoadSelectedTrack of [Channel1]",
        "line 615: [Channel1] sync_master (0x90 0x5C): key sync_master of [Channel1]",
        "line 705: output [Channel1] play_indicator (0x90 0x47): /deck/1/play already shows on the LED of",
        "line 751: output [Channel2] hotcue_1_enabled (0x99 0x00): no carried input drives /deck/2/hotcue/1",
    ] {
        assert!(
            skipped.iter().any(|s| s.starts_with(needle)),
            "missing {needle:?} in {skipped:#?}"
        );
    }
    // 8 fixed beat jumps, library + 2 loads, sync_master, 2 pregain LSBs; 2 shifted play LEDs,
    // 16 LEDs of deck 2 pads that the file has no inputs for.
    assert_eq!(skipped.len(), 8 + 3 + 1 + 2 + 2 + 16, "{skipped:#?}");
    let lines: Vec<u32> = skipped
        .iter()
        .map(|s| s["line ".len()..].split(':').next().unwrap().parse().unwrap())
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "in file order");
}

#[test]
fn fixture_agrees_with_the_shipped_flx4_mapping() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mappings/pioneer-ddj-flx4.ron");
    let ours: MappingFile = read(&path).expect("reads");
    let ours = inputs_by_address(&ours);
    let theirs = inputs_by_address(&fixture().file);
    let mut compared = 0;
    for (address, their_inputs) in &theirs {
        let Some(our_inputs) = ours.get(address) else { continue };
        assert!(
            !our_inputs.is_disjoint(their_inputs),
            "{address}: Mixxx's DDJ-400 file sends {their_inputs:?}, ours expects {our_inputs:?}"
        );
        compared += 1;
    }
    assert!(compared >= 40, "compared {compared} addresses");
}
