//! The control map's commands: `phosphene midi`, `phosphene cameras` and `phosphene import-mixxx`.

use std::path::Path;

use phosphene_controls::midi::ports;
use phosphene_controls::mixxx;

type BoxError = Box<dyn std::error::Error>;

/// `phosphene midi`: every MIDI port the system has, one a line. No MIDI system is a notice
/// on stderr, not a failure: a machine without MIDI is a normal machine.
pub fn midi() -> Result<(), BoxError> {
    match ports::list() {
        Ok(list) => {
            for name in &list.inputs {
                println!("input {name}");
            }
            for name in &list.outputs {
                println!("output {name}");
            }
        }
        Err(e) => eprintln!("phosphene: {e}"),
    }
    Ok(())
}

/// `phosphene cameras`: every camera the system has, one a line. No camera is a notice on
/// stderr, not a failure.
pub fn cameras() -> Result<(), BoxError> {
    match phosphene_gestures::frame::camera::list_cameras() {
        Ok(list) if list.is_empty() => eprintln!("phosphene: no camera found"),
        Ok(list) => {
            for c in list {
                println!("camera {} {}", c.index, c.name);
            }
        }
        Err(e) => eprintln!("phosphene: {e}"),
    }
    Ok(())
}

/// `phosphene import-mixxx FILE`: a Mixxx mapping as a Phosphene mapping file.
pub fn import_mixxx(xml: &Path, out: Option<&Path>) -> Result<(), BoxError> {
    let text = std::fs::read_to_string(xml).map_err(|e| format!("{}: {e}", xml.display()))?;
    let name = xml
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let imported = mixxx::import(&text, &name).map_err(|e| format!("{}: {e}", xml.display()))?;
    for line in &imported.skipped {
        eprintln!("not carried over: {line}");
    }
    match out {
        Some(path) => {
            phosphene_controls::mapping::load::save(path, &imported.file)?;
            eprintln!(
                "phosphene: wrote {} ({} bindings; {} lines not carried over)",
                path.display(),
                imported.file.bindings.len(),
                imported.skipped.len()
            );
        }
        None => print!("{}", engine_rt::ron_file::to_text(&imported.file, 4)),
    }
    Ok(())
}
