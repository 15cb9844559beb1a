//! Reading and writing Phosphene's RON files (session scripts, recordings, sets) the same way:
//! `deck: 0` may stand for `deck: Some(0)`, and every error names the file, line and column.

use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};

use crate::ranges::{Range, ValueError};

/// An error at a line and column of a file: RON syntax and value errors here, WGSL errors in
/// the visuals. Displays as `path:line:column: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedError {
    /// The file.
    pub path: PathBuf,
    /// Line number from 1; 0 when the error has no place in the text (an unreadable file).
    pub line: usize,
    /// Column number from 1; 0 as for `line`.
    pub column: usize,
    /// What is wrong there.
    pub message: String,
}

impl std::fmt::Display for LocatedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for LocatedError {}

/// A value whose numbers have ranges (see [`crate::ranges`]): it can pass them through a
/// policy, [`Range::check`] for files or [`Range::clamp`] for live sources.
pub trait CheckValues: Sized {
    /// The value with every number passed through `policy`; `Err` names the first refused.
    fn checked_with(self, policy: crate::intent::Policy) -> Result<Self, ValueError>;
}

impl<T> CheckValues for crate::IntentKind<T> {
    fn checked_with(self, policy: crate::intent::Policy) -> Result<Self, ValueError> {
        crate::IntentKind::checked_with(self, policy)
    }
}

/// For `#[serde(deserialize_with = "checked")]`: parses the value, then [`Range::check`]s
/// every number in it, so a bad one is refused with the file's line and column and nothing
/// out of range is ever applied.
pub fn checked<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + CheckValues,
{
    T::deserialize(d)?.checked_with(Range::check).map_err(D::Error::custom)
}

fn options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Parses RON text; `path` names the file in errors.
pub fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, LocatedError> {
    options().from_str(text).map_err(|e| LocatedError {
        path: path.to_path_buf(),
        line: e.span.start.line,
        column: e.span.start.col,
        message: e.code.to_string(),
    })
}

/// Pretty RON with struct names, nested structures inline below `depth`.
pub fn to_text<T: Serialize>(value: &T, depth: usize) -> String {
    let pretty = ron::ser::PrettyConfig::new().depth_limit(depth).struct_names(true);
    // Plain data without maps keyed by non-strings cannot fail to serialise; say so if it does.
    options()
        .to_string_pretty(value, pretty)
        .unwrap_or_else(|e| format!("// cannot serialise: {e}\n"))
}
