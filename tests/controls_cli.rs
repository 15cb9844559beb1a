//! The control map's commands: `phosphene controls`, `phosphene midi`, `--mappings` and
//! `import-mixxx`, as a performer runs them.

mod common;
use common::*;

use std::path::Path;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A second of the headless app with `--mappings FILE`, its config and data folders in `dir`
/// (so the performer's own global mappings never mix in).
fn run_with_mappings(dir: &Path, mappings: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_phosphene"))
        .args([
            "--headless",
            "--audio",
            "null",
            "--no-record",
            "--seconds",
            "1",
            "--mappings",
        ])
        .arg(mappings)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .output()
        .expect("run phosphene")
}

#[test]
fn controls_prints_one_control_a_line() {
    let o = phosphene(&["controls"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    for line in &lines {
        let parts: Vec<&str> = line.splitn(4, ' ').collect();
        assert_eq!(
            parts.len(),
            4,
            "<address> <kind> <range or choices> <description>: {line}"
        );
        assert!(parts[0].starts_with('/'), "{line}");
        assert!(
            ["continuous", "toggle", "trigger", "choice"].contains(&parts[1]),
            "{line}"
        );
        assert!(!parts[3].is_empty(), "{line}");
    }
    let line = |address: &str| {
        lines
            .iter()
            .find(|l| l.split(' ').next() == Some(address))
            .unwrap_or_else(|| panic!("{address} listed"))
    };
    assert!(line("/deck/2/filter").starts_with("/deck/2/filter continuous -1..1 "));
    assert!(line("/deck/focused/hotcue/8/delete").contains(" trigger - "));
    assert!(line("/mixer/crossfader").contains(" continuous -1..1 "));
    assert!(line("/visuals/post/strobe").contains(" continuous 0..1 "));
    assert!(line("/visuals/scene").contains("tunnel"), "the scenes are the choices");
    assert!(line("/transport/launch").contains(" choice now,beat,bar,"));
    for d in 1..=4 {
        line(&format!("/deck/{d}/play"));
    }
}

#[test]
fn midi_without_a_midi_system_says_so_and_succeeds() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_phosphene"))
        .arg("midi")
        .env("JACK_DEFAULT_SERVER", "phos-no-such-server")
        .output()
        .expect("run");
    assert!(o.status.success());
    assert!(text(&o.stderr).contains("no MIDI system"), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
}

#[test]
fn a_broken_mappings_file_is_named_and_the_show_goes_on() {
    let dir = temp_dir("mappings-flag");
    let bad = dir.join("bad.ron");
    std::fs::write(&bad, "(\n  bindings: [ (device: \"X\" to: \"/deck/1/filter\") ],\n)\n").expect("write");
    let o = run_with_mappings(&dir, &bad);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("bad.ron:2:"), "named with its line: {err}");
    assert!(text(&o.stdout).contains("callbacks="), "the show ran to the end");
}

#[test]
fn a_mixxx_mapping_imports_into_a_file_that_loads() {
    let dir = temp_dir("import-mixxx");
    let xml = Path::new(env!("CARGO_MANIFEST_DIR")).join("plugins/controls/tests/fixtures/Pioneer-DDJ-400.midi.xml");
    let out = dir.join("ddj-400.ron");
    let o = phosphene(&[
        "import-mixxx",
        xml.to_str().expect("path"),
        "--out",
        out.to_str().expect("path"),
    ]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("not carried over: line "), "{err}");
    assert!(err.contains("49 bindings"), "{err}");
    // The file loads with no problem named.
    let run = run_with_mappings(&dir, &out);
    let err = text(&run.stderr);
    assert!(run.status.success() && !err.contains("mapping:"), "{err}");
}
