//! The shipped mapping files: each reads, names only controls its profiles have, and compiles
//! against the real control map with no error.

use std::fs;
use std::path::{Path, PathBuf};

use phosphene_controls::Registry;
use phosphene_controls::binding::takeover::Takeover;
use phosphene_controls::mapping::file::{DeviceKind, Feedback, Input, MappingFile};
use phosphene_controls::mapping::load::{Loaded, Origin, read};
use phosphene_controls::mapping::runtime::Runtime;
use phosphene_controls::state::Layer;

fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mappings")
}

fn mapping_files() -> Vec<PathBuf> {
    let dir = shipped_dir();
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("mappings/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> MappingFile {
    let path = shipped_dir().join(name);
    read(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_mapping_file_is_valid() {
    let registry = Registry::new(4, &["tunnel".into()]);
    let files = mapping_files();
    assert_eq!(files.len(), 4, "{files:?}");
    for path in files {
        let text = fs::read_to_string(&path).expect("readable");
        assert!(text.starts_with("//"), "{}: starts with its comment", path.display());
        let file: MappingFile = read(&path).unwrap_or_else(|e| panic!("{e}"));
        // The camera's profile binds nothing: its bindings are the gesture presets' and learn's.
        let profile_only = file.devices.iter().all(|d| d.kind == DeviceKind::Camera);
        assert!(
            !file.devices.is_empty() && (profile_only || !file.bindings.is_empty()),
            "{}",
            path.display()
        );
        for device in &file.devices {
            let mut names: Vec<&str> = device.controls.iter().map(|c| c.name.as_str()).collect();
            names.sort_unstable();
            let count = names.len();
            names.dedup();
            assert_eq!(
                names.len(),
                count,
                "{}: duplicate control names in {}",
                path.display(),
                device.name
            );
            let inputs: Vec<Input> = device.controls.iter().map(|c| c.input.clone()).collect();
            for (i, input) in inputs.iter().enumerate() {
                assert!(
                    !inputs[i + 1..].contains(input),
                    "{}: {input:?} named twice",
                    path.display()
                );
            }
        }
        for binding in &file.bindings {
            let device = file
                .devices
                .iter()
                .find(|d| d.name == binding.device)
                .unwrap_or_else(|| panic!("{}: no profile {}", path.display(), binding.device));
            let control = binding
                .control
                .as_deref()
                .unwrap_or_else(|| panic!("{}: {binding:?}", path.display()));
            assert!(
                device.controls.iter().any(|c| c.name == control),
                "{}: {} has no control {control:?}",
                path.display(),
                device.name
            );
        }
        // Every address exists and every option holds for its control.
        let loaded = [Loaded {
            origin: Origin::Shipped(path.clone()),
            file,
        }];
        let runtime = Runtime::compile(&loaded, &registry);
        assert!(runtime.errors.is_empty(), "{}: {:#?}", path.display(), runtime.errors);
    }
}

#[test]
fn no_control_is_bound_twice_on_one_layer_to_one_address() {
    for path in mapping_files() {
        let file: MappingFile = read(&path).expect("reads");
        for (i, a) in file.bindings.iter().enumerate() {
            for b in &file.bindings[i + 1..] {
                assert!(
                    !(a.control == b.control && a.layer == b.layer && a.to == b.to),
                    "{}: {a:?} twice",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn flx4_covers_both_decks() {
    let file = load("pioneer-ddj-flx4.ron");
    for d in 1..=2 {
        for path in [
            "play",
            "cue",
            "sync",
            "tempo",
            "volume",
            "gain",
            "eq/low",
            "filter",
            "headphone",
        ] {
            let to = format!("/deck/{d}/{path}");
            assert!(file.bindings.iter().any(|b| b.to == to), "{to}");
        }
        for k in 1..=8 {
            let delete = format!("/deck/{d}/hotcue/{k}/delete");
            assert!(
                file.bindings.iter().any(|b| b.to == delete && b.layer == Layer::Shift),
                "{delete}"
            );
        }
    }
    for (address, lo, hi) in [("/deck/1/gain", -24.0, 12.0), ("/deck/2/eq/low", -26.0, 6.0)] {
        let binding = file.bindings.iter().find(|b| b.to == address).expect("bound");
        let centre = binding.options.shape().to_control(0.5, lo, hi);
        assert!(centre.abs() < 1e-9, "{address}: the centre click is 0 dB, not {centre}");
    }
    let device = &file.devices[0];
    let lit = device.controls.iter().filter(|c| c.feedback != Feedback::None).count();
    assert_eq!(
        lit,
        2 * (4 + 8 + 8),
        "play, cue, sync, headphone cue and 16 pads per deck"
    );
    assert_eq!(device.init.len(), 1);
}

#[test]
fn gamepad_is_idle_safe() {
    let file = load("gamepad-default.ron");
    let device = &file.devices[0];
    assert_eq!(device.kind, DeviceKind::Gamepad);
    assert!(device.ports.is_empty());
    let filter = file
        .bindings
        .iter()
        .find(|b| b.to == "/deck/focused/filter")
        .expect("filter on the left stick");
    assert_eq!(filter.options.takeover, Takeover::None);
    for binding in &file.bindings {
        for unsafe_end in ["/eject", "/stop", "/volume", "/mixer/"] {
            assert!(!binding.to.contains(unsafe_end), "{} on the gamepad", binding.to);
        }
        if binding.to.ends_with("/play") {
            assert_eq!(binding.layer, Layer::Shift, "play/pause only as a chord");
        }
    }
}
