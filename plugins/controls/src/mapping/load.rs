//! Where mapping files come from, in the order later ones win: the mappings shipped with
//! Phosphene, the performer's global folder, the set's `mappings` field, then each
//! `--mappings FILE`. A file that cannot be read is reported with its place and skipped; the
//! others still load, and nothing here ever writes a file it read.

use std::path::{Path, PathBuf};

use engine_rt::ron_file;

use crate::mapping::file::MappingFile;

/// Where a mapping came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Shipped with Phosphene (`assets/mappings`).
    Shipped(PathBuf),
    /// The performer's global folder.
    Global(PathBuf),
    /// The open set's `mappings` field.
    Set,
    /// A `--mappings FILE` on the command line.
    Flag(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shipped(p) | Self::Global(p) | Self::Flag(p) => write!(f, "{}", p.display()),
            Self::Set => f.write_str("the set's mappings"),
        }
    }
}

/// One loaded mapping file.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// Where it came from.
    pub origin: Origin,
    /// What it holds.
    pub file: MappingFile,
}

/// The performer's global mappings folder: `$XDG_CONFIG_HOME/phosphene/mappings` (or
/// `~/.config/phosphene/mappings`). Every `.ron` file in it loads; learn saves to
/// [`LEARNED_FILE`] there.
pub fn global_dir() -> PathBuf {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    config.join("phosphene").join("mappings")
}

/// The file in the global folder learn writes.
pub const LEARNED_FILE: &str = "learned.ron";

/// Reads one mapping file; the error names the file, line and column.
pub fn read(path: &Path) -> Result<MappingFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    ron_file::parse(&text, path).map_err(|e| e.to_string())
}

/// Every `.ron` file of a folder, in name order, with the errors of those that did not read.
pub fn read_dir(dir: &Path, origin: fn(PathBuf) -> Origin) -> (Vec<Loaded>, Vec<String>) {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect(),
        // No folder is no mappings, not an error.
        Err(_) => return (Vec::new(), Vec::new()),
    };
    paths.sort();
    let (mut loaded, mut errors) = (Vec::new(), Vec::new());
    for path in paths {
        match read(&path) {
            Ok(file) => loaded.push(Loaded {
                origin: origin(path),
                file,
            }),
            Err(e) => errors.push(e),
        }
    }
    (loaded, errors)
}

/// Writes a mapping file atomically (a temporary file renamed over it), so a crash never
/// leaves half a file.
pub fn save(path: &Path, file: &MappingFile) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, ron_file::to_text(file, 4)).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}
