//! Scenes: a WGSL file in `shaders/scenes/` that starts with a `/* phosphene ( .. ) */` header
//! (RON: name, description, parameters with ranges and defaults, particle count), compiled
//! after the prelude. Checking happens here, before the GPU sees the code, so every mistake
//! comes back as a [`ShaderError`] naming the file, line and column.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::uniforms::PARAMS;

/// The prelude every scene is compiled after (the full-screen triangle, then the prelude).
pub const PRELUDE: &str = concat!(
    include_str!("../../../shaders/core/fullscreen.wgsl"),
    include_str!("../../../shaders/core/prelude.wgsl")
);
/// Most particles a scene may ask for.
pub const MAX_PARTICLES: u32 = 1 << 20;
/// Fragment entry point of every scene.
pub const FRAGMENT_ENTRY: &str = "fs_main";
/// Compute entry point of particle scenes.
pub const COMPUTE_ENTRY: &str = "cs_main";
/// Vertex entry point of particle scenes.
pub const PARTICLE_VERTEX_ENTRY: &str = "vs_particle";
/// Fragment entry point of particle scenes.
pub const PARTICLE_FRAGMENT_ENTRY: &str = "fs_particle";
/// Opening of the metadata header.
const HEADER: &str = "/* phosphene";

/// A parameter a scene declares; user parameter `i` is the scene's `i`-th.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ParamSpec {
    /// Label of the control.
    pub name: String,
    /// Value at control position 0.
    pub min: f32,
    /// Value at control position 1.
    pub max: f32,
    /// Value when the scene first comes on.
    pub default: f32,
}

impl ParamSpec {
    /// The value a 0..1 control position stands for.
    pub fn value(&self, position: f32) -> f32 {
        self.min + (self.max - self.min) * position.clamp(0.0, 1.0)
    }

    /// The control position (0..1) of the default.
    pub fn default_position(&self) -> f32 {
        ((self.default - self.min) / (self.max - self.min)).clamp(0.0, 1.0)
    }
}

/// A scene's header.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SceneMeta {
    /// Display name.
    pub name: String,
    /// What the scene shows (the scene list's hover text).
    #[serde(default)]
    pub description: String,
    /// User parameters in slot order, at most [`PARAMS`].
    #[serde(default)]
    pub params: Vec<ParamSpec>,
    /// Particles simulated by the scene's compute pass (0: no compute pass).
    #[serde(default)]
    pub particles: u32,
}

/// A checked scene, ready to compile.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// The file stem, e.g. `tunnel`: how sets and controls name the scene.
    pub id: String,
    /// The scene file.
    pub path: PathBuf,
    /// Its header.
    pub meta: SceneMeta,
    /// Prelude and scene, as compiled.
    pub source: String,
}

/// A scene that cannot be used, and where: line and column count in the scene file (0 when
/// unknown or inside the prelude).
pub type ShaderError = engine_rt::ron_file::LocatedError;

impl Scene {
    /// Reads and checks a scene file.
    pub fn load(path: &Path) -> Result<Self, ShaderError> {
        let text = std::fs::read_to_string(path).map_err(|e| ShaderError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Checks scene text (`path` names it in errors): header, WGSL syntax and validity,
    /// entry points.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ShaderError> {
        let err = |line: usize, column: usize, message: String| ShaderError {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        let meta = parse_header(path, text)?;
        if meta.params.len() > PARAMS {
            return Err(err(
                1,
                1,
                format!("{} parameters declared; at most {PARAMS}", meta.params.len()),
            ));
        }
        if let Some(p) = meta.params.iter().find(|p| {
            p.min.partial_cmp(&p.max) != Some(std::cmp::Ordering::Less) || !(p.min..=p.max).contains(&p.default)
        }) {
            return Err(err(
                1,
                1,
                format!("parameter '{}': needs min < max and min <= default <= max", p.name),
            ));
        }
        if meta.particles > MAX_PARTICLES {
            return Err(err(
                1,
                1,
                format!("{} particles; at most {MAX_PARTICLES}", meta.particles),
            ));
        }
        let source = format!("{PRELUDE}\n{text}");
        let prelude_lines = PRELUDE.lines().count() + 1;
        // naga's own report carries the most precise position ("wgsl:LINE:COL"); lines inside
        // the prelude are reported as line 0 of the scene.
        let at = |report: String| {
            let (line, column) = report_position(&report).unwrap_or((0, 0));
            (line.saturating_sub(prelude_lines), column)
        };
        let module = naga::front::wgsl::parse_str(&source).map_err(|e| {
            let (line, column) = at(e.emit_to_string(&source));
            err(line, column, e.message().to_string())
        })?;
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default(),
        )
        .validate(&module)
        .map_err(|e| {
            let (line, column) = at(e.emit_to_string(&source));
            err(line, column, error_chain(e.as_inner()))
        })?;
        let mut needed = vec![(FRAGMENT_ENTRY, naga::ShaderStage::Fragment)];
        if meta.particles > 0 {
            needed.extend([
                (COMPUTE_ENTRY, naga::ShaderStage::Compute),
                (PARTICLE_VERTEX_ENTRY, naga::ShaderStage::Vertex),
                (PARTICLE_FRAGMENT_ENTRY, naga::ShaderStage::Fragment),
            ]);
        }
        for (name, stage) in needed {
            if !module.entry_points.iter().any(|e| e.name == name && e.stage == stage) {
                return Err(err(0, 0, format!("no {stage:?} entry point `{name}`")));
            }
        }
        let id = path
            .file_stem()
            .map_or_else(|| "scene".to_string(), |s| s.to_string_lossy().into_owned());
        Ok(Self {
            id,
            path: path.to_path_buf(),
            meta,
            source,
        })
    }

    /// The value of user parameter `slot` for a 0..1 control position (the position itself
    /// when the scene does not declare that slot).
    pub fn param_value(&self, slot: usize, position: f32) -> f32 {
        self.meta.params.get(slot).map_or(position, |p| p.value(position))
    }
}

fn parse_header(path: &Path, text: &str) -> Result<SceneMeta, ShaderError> {
    let missing = || ShaderError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("the file must start with a `{HEADER} ( name: .. ) */` header"),
    };
    let start = text
        .find(HEADER)
        .filter(|&i| text[..i].trim().is_empty())
        .ok_or_else(missing)?
        + HEADER.len();
    let end = text[start..].find("*/").ok_or_else(missing)? + start;
    let lines_before = text[..start].matches('\n').count();
    engine_rt::ron_file::parse(&text[start..end], path).map_err(|e| ShaderError {
        path: path.to_path_buf(),
        line: e.line + lines_before,
        column: e.column,
        message: format!("header: {}", e.message),
    })
}

/// The first `wgsl:LINE:COL` position in a naga report.
fn report_position(report: &str) -> Option<(usize, usize)> {
    let rest = &report[report.find("wgsl:")? + 5..];
    let mut numbers = rest.split(|c: char| !c.is_ascii_digit());
    let line = numbers.next()?.parse().ok()?;
    let column = numbers.next()?.parse().ok()?;
    Some((line, column))
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "/* phosphene\n(\n    name: \"Flat\",\n    params: [(name: \"grey\", min: 0.0, max: 1.0, default: 0.5)],\n)\n*/\n@fragment\nfn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {\n    return vec4<f32>(vec3<f32>(param(0)), 1.0);\n}\n";

    #[test]
    fn a_good_scene_parses_with_its_parameters() {
        let s = Scene::parse(Path::new("flat.wgsl"), GOOD).unwrap();
        assert_eq!(s.id, "flat");
        assert_eq!(s.meta.name, "Flat");
        assert_eq!(s.meta.params[0].default_position(), 0.5);
        assert_eq!(s.param_value(0, 1.0), 1.0);
    }

    #[test]
    fn a_wgsl_error_names_the_scene_line_and_column() {
        let broken = GOOD.replace(
            "return vec4<f32>(vec3<f32>(param(0)), 1.0);",
            "return vec4<f32>(nope, 1.0);",
        );
        let e = Scene::parse(Path::new("flat.wgsl"), &broken).unwrap_err();
        assert_eq!((e.line, e.column), (9, 22), "{e}");
        assert!(e.to_string().starts_with("flat.wgsl:9:22:"), "{e}");
        assert!(e.message.contains("nope"), "{e}");
    }

    #[test]
    fn a_type_error_is_caught_before_the_gpu() {
        let broken = GOOD.replace("return vec4<f32>(vec3<f32>(param(0)), 1.0);", "return 1.0;");
        let e = Scene::parse(Path::new("flat.wgsl"), &broken).unwrap_err();
        assert_eq!((e.line, e.column), (9, 12), "{e}");
    }

    #[test]
    fn header_mistakes_are_reported() {
        let e = Scene::parse(Path::new("x.wgsl"), "@fragment fn fs_main() {}").unwrap_err();
        assert!(e.message.contains("header"), "{e}");
        let e = Scene::parse(Path::new("x.wgsl"), &GOOD.replace("name: \"Flat\",", "name: 3,")).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = Scene::parse(Path::new("x.wgsl"), &GOOD.replace("default: 0.5", "default: 2.0")).unwrap_err();
        assert!(e.message.contains("grey"), "{e}");
    }

    #[test]
    fn a_particle_scene_needs_its_entry_points() {
        let e = Scene::parse(
            Path::new("p.wgsl"),
            &GOOD.replace("name: \"Flat\",", "name: \"P\", particles: 64,"),
        )
        .unwrap_err();
        assert!(e.message.contains("cs_main"), "{e}");
    }
}
