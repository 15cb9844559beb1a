//! Hand tracking with the MediaPipe hand models (palm detector + 21 hand
//! landmarks), run on the CPU through ONNX Runtime.
//!
//! The models are the MediaPipe `.tflite` files converted to ONNX by
//! `tools/tflite_to_onnx.py` (fetched by `fetch_hand_models.sh`); nothing is
//! downloaded at run time. Missing models or a missing ONNX Runtime library
//! are reported as [`HandsError`] so the app can carry on without hands.

pub mod landmarks;
pub mod model;
pub mod palm;
pub mod synthetic;
pub mod tracker;

use std::fmt;

pub use model::{HandModels, ModelPaths};
pub use tracker::{Hand, HandTracker, Handedness, TrackerConfig};

/// Everything that can go wrong in hand tracking; each message says what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandsError {
    /// The ONNX Runtime library could not be found or loaded.
    Runtime(String),
    /// A model file is missing, unreadable or not what we expect.
    Model(String),
    /// The frame handed in does not match its stated size.
    Frame(String),
    /// ONNX Runtime failed while running a model.
    Inference(String),
}

impl fmt::Display for HandsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Runtime(m) => write!(f, "ONNX Runtime: {m}"),
            Self::Model(m) => write!(f, "hand model: {m}"),
            Self::Frame(m) => write!(f, "frame: {m}"),
            Self::Inference(m) => write!(f, "inference: {m}"),
        }
    }
}

impl std::error::Error for HandsError {}

/// An RGB frame borrowed from the caller: `rgb.len() == width * height * 3`.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    rgb: &'a [u8],
    width: usize,
    height: usize,
}

impl<'a> Frame<'a> {
    /// Wraps `rgb` (row-major, 3 bytes per pixel), checking its size.
    pub fn new(rgb: &'a [u8], width: usize, height: usize) -> Result<Self, HandsError> {
        let expected = width.checked_mul(height).and_then(|n| n.checked_mul(3));
        if width == 0 || height == 0 || expected != Some(rgb.len()) {
            return Err(HandsError::Frame(format!(
                "{width}x{height} RGB needs {} bytes, got {}",
                expected.map_or("too many".to_string(), |n| n.to_string()),
                rgb.len()
            )));
        }
        Ok(Self { rgb, width, height })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Bilinear sample at pixel coordinates (pixel centres at +0.5), edges
    /// replicated, scaled to 0..1 as the models expect.
    fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let fx = (x - 0.5).clamp(0.0, (self.width - 1) as f32);
        let fy = (y - 0.5).clamp(0.0, (self.height - 1) as f32);
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let px = |xx: usize, yy: usize, c: usize| f32::from(self.rgb[(yy * self.width + xx) * 3 + c]);
        let mut out = [0.0; 3];
        for (c, o) in out.iter_mut().enumerate() {
            let top = px(x0, y0, c) * (1.0 - tx) + px(x1, y0, c) * tx;
            let bottom = px(x0, y1, c) * (1.0 - tx) + px(x1, y1, c) * tx;
            *o = (top * (1.0 - ty) + bottom * ty) / 255.0;
        }
        out
    }
}

/// A rotated rectangle in frame pixels: the region a hand model looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    /// Centre x in pixels.
    pub cx: f32,
    /// Centre y in pixels.
    pub cy: f32,
    /// Width in pixels (before rotation).
    pub width: f32,
    /// Height in pixels (before rotation).
    pub height: f32,
    /// Rotation in radians, clockwise in image coordinates (y down).
    pub rotation: f32,
}

impl Roi {
    /// Maps a point given relative to the ROI (-0.5..0.5 on each axis) to frame pixels.
    pub fn to_frame(&self, u: f32, v: f32) -> (f32, f32) {
        let (s, c) = self.rotation.sin_cos();
        let (dx, dy) = (u * self.width, v * self.height);
        (self.cx + dx * c - dy * s, self.cy + dx * s + dy * c)
    }

    /// Builds the ROI MediaPipe uses from a rough hand rectangle: the rotation
    /// makes the `from -> to` keypoint direction point up, then the rectangle
    /// is shifted along its own axes, made square on its long side and scaled.
    pub fn from_rect(cx: f32, cy: f32, width: f32, height: f32, rotation: f32, shift_y: f32, scale: f32) -> Self {
        let (s, c) = rotation.sin_cos();
        // Shift in the rotated frame (MediaPipe's RectTransformation, x shift 0).
        let (sx, sy) = (-height * shift_y * s, height * shift_y * c);
        let side = width.max(height) * scale;
        Self {
            cx: cx + sx,
            cy: cy + sy,
            width: side,
            height: side,
            rotation,
        }
    }
}

/// Rotation that turns the `from -> to` direction (pixels) to point straight
/// up, normalised to -pi..pi (MediaPipe: target angle 90 degrees).
pub fn upright_rotation(from: (f32, f32), to: (f32, f32)) -> f32 {
    let angle = std::f32::consts::FRAC_PI_2 - (-(to.1 - from.1)).atan2(to.0 - from.0);
    let two_pi = std::f32::consts::TAU;
    angle - two_pi * ((angle + std::f32::consts::PI) / two_pi).floor()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_size_is_checked() {
        assert!(Frame::new(&[0; 12], 2, 2).is_ok());
        assert!(matches!(Frame::new(&[0; 11], 2, 2), Err(HandsError::Frame(_))));
        assert!(Frame::new(&[], 0, 0).is_err());
    }

    #[test]
    fn upright_hand_has_no_rotation() {
        // Wrist below the middle finger: already upright.
        assert!(upright_rotation((10.0, 20.0), (10.0, 5.0)).abs() < 1e-6);
        // Finger pointing right: rotate by +90 degrees.
        let r = upright_rotation((0.0, 0.0), (10.0, 0.0));
        assert!((r - std::f32::consts::FRAC_PI_2).abs() < 1e-6);
    }

    #[test]
    fn roi_maps_corners() {
        let roi = Roi {
            cx: 50.0,
            cy: 40.0,
            width: 20.0,
            height: 10.0,
            rotation: 0.0,
        };
        assert_eq!(roi.to_frame(0.5, 0.5), (60.0, 45.0));
    }
}
