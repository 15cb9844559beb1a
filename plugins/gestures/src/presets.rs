//! Gesture presets: mapping files of camera bindings shipped in `assets/gestures`, picked with
//! `--gestures NAME` (or a path to one's own file), so the mission's uses play at once.

use std::path::{Path, PathBuf};

/// The preset file `name` stands for: a path to a file as given, else `NAME.ron` in `dir`. A
/// name that is neither says which presets there are.
pub fn resolve(name: &str, dir: &Path) -> Result<PathBuf, String> {
    let given = Path::new(name);
    if given.extension().is_some_and(|e| e == "ron") && given.is_file() {
        return Ok(given.to_path_buf());
    }
    let shipped = dir.join(format!("{name}.ron"));
    if shipped.is_file() {
        return Ok(shipped);
    }
    let known = list(dir);
    Err(if known.is_empty() {
        format!("no gesture preset '{name}': {} holds none", dir.display())
    } else {
        format!("no gesture preset '{name}'; the presets are: {}", known.join(", "))
    })
}

/// The names of the presets in `dir`, sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "ron").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use phosphene_controls::Registry;
    use phosphene_controls::mapping::load::{self, Loaded, Origin};
    use phosphene_controls::mapping::runtime::Runtime;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/gestures")
    }

    #[test]
    fn every_shipped_preset_reads_and_compiles_against_the_control_map() {
        let names = list(&shipped());
        for want in ["filter-hand", "fx-speed", "swipe-scenes", "performer", "installation"] {
            assert!(names.iter().any(|n| n == want), "{want} is missing from {names:?}");
        }
        let registry = Registry::new(4, &[]);
        for name in names {
            let path = resolve(&name, &shipped()).unwrap();
            let file = load::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!file.bindings.is_empty(), "{name} binds nothing");
            let rt = Runtime::compile(
                &[Loaded {
                    origin: Origin::Flag(path.clone()),
                    file: file.clone(),
                }],
                &registry,
            );
            assert!(rt.errors.is_empty(), "{name}: {:?}", rt.errors);
            assert_eq!(rt.bindings.len(), file.bindings.len(), "{name}: a binding was replaced");
        }
    }

    #[test]
    fn an_unknown_preset_lists_the_known_ones() {
        let e = resolve("filter-foot", &shipped()).unwrap_err();
        assert!(e.contains("filter-hand") && e.contains("installation"), "{e}");
    }
}
