//! The scene library: every `*.wgsl` in the scenes folder, checked, and watched for edits. A
//! file that stops compiling keeps its last good version in the library (so the projector
//! keeps running it) and its error is listed until it is fixed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::scene::{Scene, ShaderError};

/// What changed in the library on a poll.
#[derive(Debug, Clone, PartialEq)]
pub enum LibraryChange {
    /// A scene is new or was edited and checks out.
    Updated(String),
    /// A scene file was edited and is broken; its last good version (if any) stays.
    Failed(ShaderError),
    /// A scene file was deleted; its scene stays loaded until restart.
    Removed(PathBuf),
}

/// Checked scenes by id, and the errors of files that do not check out.
#[derive(Debug, Default)]
pub struct SceneLibrary {
    dir: PathBuf,
    scenes: BTreeMap<String, Scene>,
    errors: BTreeMap<PathBuf, ShaderError>,
    stamps: HashMap<PathBuf, SystemTime>,
}

/// The folder the scenes are read from: `$PHOSPHENE_SHADERS/scenes`, `./shaders/scenes`, or
/// the source tree's.
pub fn scenes_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("PHOSPHENE_SHADERS").map(PathBuf::from),
        Some(PathBuf::from("shaders")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shaders")),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|d| d.join("scenes"))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| PathBuf::from("shaders/scenes"))
}

impl SceneLibrary {
    /// Reads every scene in `dir`.
    pub fn open(dir: &Path) -> Self {
        let mut library = Self {
            dir: dir.to_path_buf(),
            ..Self::default()
        };
        library.poll();
        library
    }

    /// The folder watched.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Checked scenes in id order.
    pub fn scenes(&self) -> impl Iterator<Item = &Scene> {
        self.scenes.values()
    }

    /// A scene by id.
    pub fn get(&self, id: &str) -> Option<&Scene> {
        self.scenes.get(id)
    }

    /// Files that do not check out now.
    pub fn errors(&self) -> impl Iterator<Item = &ShaderError> {
        self.errors.values()
    }

    /// Re-reads files whose modification time changed since the last poll.
    pub fn poll(&mut self) -> Vec<LibraryChange> {
        let mut changes = Vec::new();
        let files: Vec<(PathBuf, SystemTime)> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wgsl"))
            .filter_map(|p| {
                let t = std::fs::metadata(&p).and_then(|m| m.modified()).ok()?;
                Some((p, t))
            })
            .collect();
        for (path, stamp) in &files {
            if self.stamps.get(path) == Some(stamp) {
                continue;
            }
            self.stamps.insert(path.clone(), *stamp);
            match Scene::load(path) {
                Ok(scene) => {
                    self.errors.remove(path);
                    changes.push(LibraryChange::Updated(scene.id.clone()));
                    self.scenes.insert(scene.id.clone(), scene);
                }
                Err(e) => {
                    self.errors.insert(path.clone(), e.clone());
                    changes.push(LibraryChange::Failed(e));
                }
            }
        }
        let gone: Vec<PathBuf> = self
            .stamps
            .keys()
            .filter(|p| !files.iter().any(|(f, _)| f == *p))
            .cloned()
            .collect();
        for p in gone {
            self.stamps.remove(&p);
            self.errors.remove(&p);
            changes.push(LibraryChange::Removed(p));
        }
        changes
    }

    /// Records that the GPU rejected a scene that checked out (kept until the file changes).
    pub fn reject(&mut self, error: ShaderError) {
        self.errors.insert(error.path.clone(), error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENE: &str = "/* phosphene\n(name: \"Grey\")\n*/\n@fragment\nfn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {\n    return vec4<f32>(0.5, 0.5, 0.5, 1.0);\n}\n";

    fn touch_later(path: &Path, text: &str) {
        // Modification times can be coarse: make sure the edit looks newer.
        let before = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        std::fs::write(path, text).unwrap();
        let file = std::fs::File::options().write(true).open(path).unwrap();
        let later = before.unwrap_or(SystemTime::now()) + std::time::Duration::from_secs(2);
        file.set_modified(later).unwrap();
    }

    #[test]
    fn an_edit_that_breaks_a_scene_keeps_the_last_good_version() {
        let dir = std::env::temp_dir().join(format!("phosphene-library-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("grey.wgsl");
        std::fs::write(&path, SCENE).unwrap();
        let mut lib = SceneLibrary::open(&dir);
        assert_eq!(lib.scenes().count(), 1);
        assert!(lib.poll().is_empty(), "nothing changed");

        touch_later(&path, &SCENE.replace("0.5, 0.5, 0.5", "0.5, 0.5"));
        let changes = lib.poll();
        assert!(
            matches!(&changes[..], [LibraryChange::Failed(e)] if e.line == 6),
            "{changes:?}"
        );
        assert!(lib.get("grey").unwrap().source.contains("0.5, 0.5, 0.5"));
        assert_eq!(lib.errors().count(), 1);

        touch_later(&path, &SCENE.replace("0.5, 0.5, 0.5", "0.25, 0.5, 0.5"));
        assert_eq!(lib.poll(), vec![LibraryChange::Updated("grey".into())]);
        assert!(lib.get("grey").unwrap().source.contains("0.25"));
        assert_eq!(lib.errors().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
