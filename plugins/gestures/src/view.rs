//! What the control window shows of the camera: the source and its state, notices (a camera
//! that vanished, a file that does not read), why the hand model does or does not run, and the
//! latest picture, small, for the preview the zones are drawn on.

use std::sync::Arc;

use bevy::prelude::*;

use crate::settings::CameraChoice;

/// Longest side of the preview picture, in pixels: enough to draw zones on, cheap to upload
/// (the control window writes it into its texture pixel by pixel).
pub const PREVIEW_SIDE: u32 = 240;
/// Notices kept for the control window, newest last.
pub const NOTICES_KEPT: usize = 6;

/// The latest picture, scaled down for the control window.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// RGB bytes, row by row.
    pub rgb: Arc<Vec<u8>>,
    /// The frame it came from.
    pub index: u64,
}

/// The camera as the control window shows it.
#[derive(Resource, Debug, Clone, Default)]
pub struct CameraView {
    /// What runs (`camera 0`, `file rehearsal.y4m`); `None` when no camera is chosen.
    pub source: Option<String>,
    /// Running, or waiting to retry and why.
    pub state: String,
    /// Frames a second, as the capture thread measures them (smoothed).
    pub fps: f32,
    /// Frames the source delivered.
    pub frames: u64,
    /// Frames measured whose findings the app did not take in time (its frames stalled).
    pub skipped: u64,
    /// Milliseconds from a frame's capture to its control input, the last frame's.
    pub latency_ms: f32,
    /// Whether the hand model runs, and which, or why not.
    pub hands: String,
    /// What went wrong lately, newest last.
    pub notices: Vec<String>,
    /// The latest picture.
    pub preview: Option<Preview>,
    /// Where the rehearsal recording goes, while one runs.
    pub recording: Option<String>,
}

impl CameraView {
    /// The view of a camera that is starting.
    pub fn starting(choice: &CameraChoice, hands: String) -> Self {
        Self {
            source: Some(choice.to_string()),
            state: "starting".into(),
            hands,
            ..default()
        }
    }

    /// Keeps a notice for the control window (and logs it).
    pub fn notice(&mut self, text: String) {
        warn!("camera: {text}");
        self.notices.push(text);
        if self.notices.len() > NOTICES_KEPT {
            self.notices.remove(0);
        }
    }
}

/// A picture of `channels` bytes a pixel (1: grey, 3: RGB), `width` x `height`, scaled down
/// by whole steps so its longest side is at most [`PREVIEW_SIDE`], as RGB (nearest pixel: a
/// preview, not a picture to keep).
pub fn preview(pixels: &[u8], width: u32, height: u32, channels: usize, index: u64) -> Preview {
    let step = width.max(height).div_ceil(PREVIEW_SIDE).max(1);
    let (w, h) = (width / step, height / step);
    let mut out = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        let row = (y * step * width) as usize;
        for x in 0..w {
            let i = (row + (x * step) as usize) * channels;
            match pixels.get(i..i + channels) {
                Some(&[v]) => out.extend_from_slice(&[v, v, v]),
                Some(rgb) => out.extend_from_slice(rgb),
                None => out.extend_from_slice(&[0, 0, 0]),
            }
        }
    }
    Preview {
        width: w,
        height: h,
        rgb: Arc::new(out),
        index,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_is_at_most_its_side_and_keeps_the_picture() {
        let (w, h) = (640u32, 480u32);
        let rgb: Vec<u8> = (0..w * h).flat_map(|i| [(i % w) as u8, (i / w) as u8, 7]).collect();
        let p = preview(&rgb, w, h, 3, 3);
        assert_eq!((p.width, p.height), (213, 160));
        assert_eq!(&p.rgb[..3], &[0, 0, 7]);
        let i = (10 * 213 + 20) * 3;
        assert_eq!(&p.rgb[i..i + 3], &[60, 30, 7]);
        let small = preview(&rgb[..30], 10, 1, 3, 0);
        let grey = preview(&[9, 8], 2, 1, 1, 0);
        assert_eq!(&grey.rgb[..], &[9, 9, 9, 8, 8, 8]);
        assert_eq!((small.width, small.height, small.rgb.len()), (10, 1, 30));
    }
}
