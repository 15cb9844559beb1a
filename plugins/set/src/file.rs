//! The set file format: RON via serde. Values are checked while parsing, so a bad value is
//! reported at its line and column like a syntax error.

use std::path::{Path, PathBuf};

use engine_rt::ranges::{self, de};
use engine_rt::ron_file::checked;
use phosphene_controls::mapping::file::MappingFile;
use phosphene_decks::{DeckControls, HOT_CUES, HotCue, LaunchQuantize, MixerState};
use phosphene_gestures::CameraSettings;
use phosphene_osc::OscSettings;
use phosphene_visuals::setup::VisualSetup;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

/// Format version written by this build.
pub const SET_VERSION: u32 = 1;

fn version() -> u32 {
    SET_VERSION
}

fn quantum() -> f64 {
    ranges::QUANTUM.default
}

/// The camera's settings, refused (with the file's line) when a zone is out of the picture.
fn camera<'de, D: Deserializer<'de>>(d: D) -> Result<CameraSettings, D::Error> {
    let settings = CameraSettings::deserialize(d)?;
    settings.validate().map_err(D::Error::custom)?;
    Ok(settings)
}

/// Reads the `mappings` field: a mapping file, or the empty list sets held before mappings
/// existed.
fn mappings<'de, D: Deserializer<'de>>(d: D) -> Result<MappingFile, D::Error> {
    struct Field;
    impl<'de> serde::de::Visitor<'de> for Field {
        type Value = MappingFile;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a mapping file, `(devices: [...], bindings: [...])`")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<MappingFile, A::Error> {
            match seq.next_element::<serde::de::IgnoredAny>()? {
                None => Ok(MappingFile::default()),
                Some(_) => Err(A::Error::custom(
                    "mappings: expected a mapping file, `(devices: [...], bindings: [...])`",
                )),
            }
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<MappingFile, A::Error> {
            MappingFile::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }

        fn visit_newtype_struct<E: Deserializer<'de>>(self, d: E) -> Result<MappingFile, E::Error> {
            MappingFile::deserialize(d)
        }
    }
    d.deserialize_any(Field)
}

/// A whole set: what a performer opens to play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetFile {
    /// Format version (1).
    #[serde(default = "version")]
    pub version: u32,
    /// Master tempo.
    #[serde(deserialize_with = "de::bpm")]
    pub bpm: f64,
    /// Beats per bar.
    #[serde(default = "quantum", deserialize_with = "de::quantum")]
    pub quantum: f64,
    /// Where launches land.
    #[serde(default)]
    pub launch: LaunchQuantize,
    /// Ableton Link on: loading the set switches Link on (a set saved with it off leaves a
    /// running Link as it is, so loading a set mid-show never drops the sync).
    #[serde(default)]
    pub link: bool,
    /// Link's start/stop sync on (synced decks start and stop with the session); like `link`,
    /// a set saved with it off leaves it as it is.
    #[serde(default)]
    pub link_start_stop: bool,
    /// Decks in order; missing decks start empty.
    #[serde(default)]
    pub decks: Vec<DeckEntry>,
    /// The mixer's controls.
    #[serde(default, deserialize_with = "checked")]
    pub mixer: MixerState,
    /// The visuals: scene, controls, post, keystone, output size, cues.
    #[serde(default)]
    pub visuals: VisualSetup,
    /// The set's own controller mappings (device profiles and bindings), on top of the shipped
    /// and global ones. Sets written before mappings existed hold `[]` here, read as none.
    #[serde(default, deserialize_with = "mappings")]
    pub mappings: MappingFile,
    /// OSC: the server's port, destinations, OSCQuery, the mirrored instance.
    #[serde(default)]
    pub osc: OscSettings,
    /// The camera: the zones drawn on its preview.
    #[serde(default, deserialize_with = "camera")]
    pub camera: CameraSettings,
}

impl Default for SetFile {
    fn default() -> Self {
        Self {
            version: SET_VERSION,
            bpm: 120.0,
            quantum: 4.0,
            launch: LaunchQuantize::default(),
            link: false,
            link_start_stop: false,
            decks: Vec::new(),
            mixer: MixerState::default(),
            visuals: VisualSetup::default(),
            mappings: MappingFile::default(),
            osc: OscSettings::default(),
            camera: CameraSettings::default(),
        }
    }
}

/// One deck of a set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeckEntry {
    /// The track on the deck; `None` leaves it empty.
    #[serde(default)]
    pub track: Option<TrackEntry>,
    /// Stored hot cues, at most one per pad.
    #[serde(default, deserialize_with = "hot_cues")]
    pub hot_cues: Vec<HotCue>,
    /// The stored loop (`loop` in the file).
    #[serde(default, rename = "loop")]
    pub loop_region: Option<LoopEntry>,
    /// The deck's controls.
    #[serde(default, deserialize_with = "checked")]
    pub controls: DeckControls,
}

fn hot_cues<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<HotCue>, D::Error> {
    let cues = Vec::<HotCue>::deserialize(d)?;
    for (i, c) in cues.iter().enumerate() {
        if c.slot >= HOT_CUES {
            return Err(D::Error::custom(format!(
                "hot cue {i} uses slot {}, but slots are 0..={}",
                c.slot,
                HOT_CUES - 1
            )));
        }
        ranges::POSITION
            .check(c.seconds)
            .map_err(|e| D::Error::custom(format!("hot cue {i}: {e}")))?;
        if let Some(end) = c.end {
            ranges::POSITION
                .check(end)
                .map_err(|e| D::Error::custom(format!("hot cue {i}'s loop end: {e}")))?;
            if end <= c.seconds {
                return Err(D::Error::custom(format!(
                    "hot cue {i}'s loop ends at {end} s, not after its start at {} s",
                    c.seconds
                )));
            }
        }
        if cues[..i].iter().any(|o| o.slot == c.slot) {
            return Err(D::Error::custom(format!("slot {} holds two hot cues", c.slot)));
        }
    }
    Ok(cues)
}

/// A track on a deck: its file (relative to the set) and beat grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackEntry {
    /// The audio file, relative to the set's folder (or absolute).
    pub file: PathBuf,
    /// Tempo of the beat grid.
    #[serde(default, deserialize_with = "de::opt_bpm")]
    pub bpm: Option<f64>,
    /// First beat of the grid in seconds.
    #[serde(default, deserialize_with = "de::position")]
    pub first_beat: f64,
    /// The performer locked the grid.
    #[serde(default)]
    pub grid_locked: bool,
}

/// A stored loop in seconds of the track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoopEntry {
    /// Loop start in seconds of the track.
    pub start: f64,
    /// Loop end in seconds of the track.
    pub end: f64,
    /// Whether the loop is engaged when the set opens.
    #[serde(default)]
    pub active: bool,
}

impl<'de> Deserialize<'de> for LoopEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "LoopEntry")]
        struct Raw {
            #[serde(deserialize_with = "de::position")]
            start: f64,
            #[serde(deserialize_with = "de::position")]
            end: f64,
            #[serde(default)]
            active: bool,
        }
        let r = Raw::deserialize(d)?;
        if r.end <= r.start {
            return Err(D::Error::custom(format!(
                "loop ends at {} s, not after its start at {} s",
                r.end, r.start
            )));
        }
        Ok(Self {
            start: r.start,
            end: r.end,
            active: r.active,
        })
    }
}

/// Why a set could not be read or written.
#[derive(Debug, Clone, PartialEq)]
pub enum SetError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: String,
    },
    /// Syntax or value error at a line and column.
    Parse(engine_rt::ron_file::LocatedError),
    /// Well-formed, but the set asks for something this app cannot give.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What cannot be given.
        message: String,
    },
}

impl std::fmt::Display for SetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io { path, error } => write!(f, "set '{}': {error}", path.display()),
            Self::Parse(e) => e.fmt(f),
            Self::Invalid { path, message } => write!(f, "set '{}': {message}", path.display()),
        }
    }
}

impl std::error::Error for SetError {}

impl SetFile {
    /// Parses a set; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SetError> {
        let set: Self = engine_rt::ron_file::parse(text, path).map_err(SetError::Parse)?;
        if set.version > SET_VERSION {
            return Err(SetError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "written by a newer Phosphene (format {}, this build reads up to {SET_VERSION})",
                    set.version
                ),
            });
        }
        set.visuals.check().map_err(|message| SetError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(set)
    }

    /// Reads and parses a set file.
    pub fn load(path: &Path) -> Result<Self, SetError> {
        let text = std::fs::read_to_string(path).map_err(|e| SetError::Io {
            path: path.to_path_buf(),
            error: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    /// The set as RON text.
    pub fn to_text(&self) -> String {
        engine_rt::ron_file::to_text(self, 6)
    }

    /// Writes the set atomically: a temporary file beside it is renamed over the target, so a
    /// crash mid-write never leaves a half-written set.
    pub fn save(&self, path: &Path) -> Result<(), SetError> {
        let io = |e: std::io::Error| SetError::Io {
            path: path.to_path_buf(),
            error: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, self.to_text()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SetFile, SetError> {
        SetFile::parse(text, Path::new("t.set.ron"))
    }

    #[test]
    fn mappings_read_as_a_mapping_file_and_old_sets_still_open() {
        let old = parse("SetFile(bpm: 128.0, mappings: [])").unwrap();
        assert!(old.mappings.bindings.is_empty());
        let text = r#"SetFile(bpm: 128.0, mappings: (bindings: [
            (device: "Box", input: Cc(channel: 1, cc: 1), to: "/deck/1/filter"),
        ]))"#;
        let set = parse(text).unwrap();
        assert_eq!(set.mappings.bindings[0].to, "/deck/1/filter");
        let again = parse(&set.to_text()).unwrap();
        assert_eq!(again.mappings, set.mappings, "written back as read");
        let e = parse("SetFile(bpm: 128.0, mappings: [1])").unwrap_err().to_string();
        assert!(e.contains("expected a mapping file"), "{e}");
    }

    #[test]
    fn camera_zones_are_checked_where_they_are_and_written_back() {
        let text = "SetFile(bpm: 120.0, camera: (zones: [(name: \"pad\", x0: 0.5, y0: 0.0, x1: 1.0, y1: 1.0)]))";
        let set = parse(text).unwrap();
        assert_eq!(set.camera.zones[0].name, "pad");
        assert_eq!(
            parse(&set.to_text()).unwrap().camera,
            set.camera,
            "written back as read"
        );
        let e = parse("SetFile(bpm: 120.0,\n camera: (zones: [(name: \"off\", x0: 0.5, y0: 0.0, x1: 1.5, y1: 1.0)]))")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.set.ron:2:") && e.contains("zone 'off'"), "{e}");
    }

    #[test]
    fn osc_settings_are_checked_where_they_are_and_written_back() {
        let text = "SetFile(bpm: 120.0, osc: (port: Some(9000), destinations: [(to: \"127.0.0.1:9001\")]))";
        let set = parse(text).unwrap();
        assert_eq!(set.osc.port, Some(9000));
        assert!(set.osc.destinations[0].feedback && set.osc.destinations[0].analysis);
        assert_eq!(parse(&set.to_text()).unwrap().osc, set.osc, "written back as read");
        let e = parse("SetFile(bpm: 120.0,\n osc: (destinations: [(to: \"studio\")]))").unwrap_err();
        let e = e.to_string();
        assert!(
            e.starts_with("t.set.ron:2:") && e.contains("`studio` is not HOST:PORT"),
            "{e}"
        );
        let e = parse("SetFile(bpm: 120.0, osc: (analysis_rate: 1000.0))")
            .unwrap_err()
            .to_string();
        assert!(e.contains("analysis_rate 1000"), "{e}");
    }

    #[test]
    fn minimal_set_takes_defaults() {
        let s = parse("SetFile(bpm: 128.0)").unwrap();
        assert_eq!(s.quantum, 4.0);
        assert!(s.decks.is_empty());
        assert_eq!(s.launch, LaunchQuantize::Bar);
    }

    #[test]
    fn bad_values_are_reported_where_they_are() {
        let e = parse("SetFile(\n  bpm: 128.0,\n  decks: [(hot_cues: [(slot: 9, seconds: 1.0)])],\n)").unwrap_err();
        match e {
            SetError::Parse(e) => {
                assert_eq!(e.line, 3, "{e}");
                assert!(e.message.contains("slot 9"), "{e}");
            }
            e => panic!("{e:?}"),
        }
        let e = parse("SetFile(bpm: -3.0)").unwrap_err().to_string();
        assert!(e.starts_with("t.set.ron:1:") && e.contains("bpm must be"), "{e}");
        let e = parse("SetFile(bpm: 120.0, decks: [(loop: (start: 4.0, end: 2.0))])")
            .unwrap_err()
            .to_string();
        assert!(e.contains("loop ends at 2 s"), "{e}");
        let e = parse("SetFile(bpm: 120.0, decks: [(hot_cues: [(slot: 1, seconds: 4.0, end: Some(3.0))])])")
            .unwrap_err()
            .to_string();
        assert!(e.contains("hot cue 0's loop ends at 3 s"), "{e}");
        let e = parse("SetFile(bpm: 120.0, version: 99)").unwrap_err().to_string();
        assert!(e.contains("newer Phosphene"), "{e}");
    }

    #[test]
    fn non_finite_and_out_of_range_controls_are_refused_where_they_are() {
        let cases = [
            ("mixer: (crossfader: NaN)", "crossfader must be a finite number"),
            ("mixer: (master_gain_db: inf)", "master gain must be a finite number"),
            ("mixer: (cue_mix: 2.0)", "cue mix must be 0..=1, not 2"),
            ("decks: [(controls: (filter: -inf))]", "filter must be a finite number"),
            (
                "decks: [(controls: (eq_db: (0.0, NaN, 0.0)))]",
                "EQ gain must be a finite number",
            ),
            ("decks: [(controls: (rate: 9.0))]", "rate must be 0.25..=4, not 9"),
            (
                "decks: [(controls: (fx: ((fx: Some(Echo(beats: NaN)), amount: 0.0, param: 0.5), (fx: None, amount: 0.0, param: 0.5), (fx: None, amount: 0.0, param: 0.5))))]",
                "echo beats",
            ),
            (
                "decks: [(hot_cues: [(slot: 1, seconds: NaN)])]",
                "a position in seconds must be",
            ),
            ("quantum: NaN", "quantum"),
            (
                "visuals: (post: (brightness: NaN))",
                "brightness must be a finite number",
            ),
            (
                "visuals: (transition_beats: inf)",
                "transition beats must be a finite number",
            ),
        ];
        for (field, message) in cases {
            let text = format!("SetFile(\n  bpm: 120.0,\n  {field},\n)");
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.starts_with("t.set.ron:3:") && e.contains(message), "{field}: {e}");
        }
    }

    #[test]
    fn text_round_trips() {
        let mut s = SetFile::default();
        s.decks.push(DeckEntry {
            track: Some(TrackEntry {
                file: "a.flac".into(),
                bpm: Some(124.0),
                first_beat: 0.05,
                grid_locked: true,
            }),
            hot_cues: vec![HotCue {
                slot: 2,
                seconds: 7.5,
                name: "drop".into(),
                colour: [1, 2, 3],
                end: Some(9.5),
            }],
            loop_region: Some(LoopEntry {
                start: 1.0,
                end: 3.0,
                active: true,
            }),
            controls: DeckControls::default(),
        });
        let back = parse(&s.to_text()).unwrap();
        assert_eq!(back, s);
    }
}
