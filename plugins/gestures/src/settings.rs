//! What the camera is asked to do: which camera (or file), which hand model, the zones the
//! performer drew (kept in the set), and whether to record a rehearsal file.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use crate::frame::camera::CameraFormatChoice;
use crate::motion::Zone;

/// Which camera: the system's camera N, or a y4m / MJPEG file played as one (looping, at its
/// own rate), for rehearsal without the room and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraChoice {
    /// Camera N as the system lists it (`/dev/videoN` on Linux).
    Index(u32),
    /// A recorded file.
    File(PathBuf),
}

impl FromStr for CameraChoice {
    type Err = String;

    /// `N` (digits) is a camera, anything else a file, which must exist.
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(n) = s.parse::<u32>() {
            return Ok(CameraChoice::Index(n));
        }
        let path = PathBuf::from(s);
        if path.is_file() {
            Ok(CameraChoice::File(path))
        } else {
            Err(format!(
                "'{s}': expected a camera number (0, 1, ...) or a y4m/MJPEG file that exists"
            ))
        }
    }
}

impl fmt::Display for CameraChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CameraChoice::Index(n) => write!(f, "camera {n}"),
            CameraChoice::File(p) => write!(f, "file {}", p.display()),
        }
    }
}

/// Which hand model runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HandsChoice {
    /// None: motion features only.
    Off,
    /// The lite models (fastest).
    #[default]
    Lite,
    /// The full models (steadier landmarks, about twice the cost).
    Full,
}

impl FromStr for HandsChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => Ok(HandsChoice::Off),
            "lite" => Ok(HandsChoice::Lite),
            "full" => Ok(HandsChoice::Full),
            _ => Err(format!("'{s}': expected off, lite or full")),
        }
    }
}

/// The camera settings a set keeps: the zones drawn on the camera preview.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CameraSettings {
    /// Zones, in the order drawn; each measures its own motion (`Gesture(Motion(Zone("name"), ..))`).
    pub zones: Vec<Zone>,
}

impl CameraSettings {
    /// Refuses zones that are not inside the picture, are empty, share a name or are too many.
    pub fn validate(&self) -> Result<(), String> {
        crate::motion::zones::validate_zones(&self.zones).map_err(|e| e.to_string())
    }
}

/// Everything the camera runs with: the command line's choices and the set's zones.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct CameraConfig {
    /// The camera or file; `None`: no camera runs.
    pub camera: Option<CameraChoice>,
    /// The stream format asked of a live camera.
    pub format: CameraFormatChoice,
    /// The hand model.
    pub hands: HandsChoice,
    /// Measure and show the picture as the camera sees it. By default it is mirrored, as a
    /// performer facing the camera sees themselves: their right is the picture's right, a swipe
    /// to their right is `Swipe(.., Right)` and their right hand is `Right`.
    pub unmirrored: bool,
    /// Where the converted hand models and ONNX Runtime are (`assets/models/hands`, fetched by
    /// the setup command).
    pub models: PathBuf,
    /// The set's camera settings.
    pub settings: CameraSettings,
    /// Write what the camera sees to this y4m file (a rehearsal recording); off by default:
    /// frames never leave the process otherwise.
    pub record: Option<PathBuf>,
}
