//! A thin adapter from a `nokhwa` (V4L2) camera to [`FrameSource`].
//!
//! We ask the camera for MJPEG or YUYV and do the conversion ourselves:
//! YUYV stays raw ([`Pixels::Yuyv`]) and MJPEG goes through the same
//! `zune-jpeg` path as MJPEG files, so nokhwa's own decoding (mozjpeg, a C
//! build) stays switched off.

use std::time::Instant;

use nokhwa::Camera;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution,
};

use super::mjpeg::decode_jpeg;
use super::{Frame, FrameError, FrameSource, Pixels};

/// A camera the system offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CameraInfo {
    /// Index to pass to [`CameraSource::open`].
    pub index: u32,
    /// Human-readable name.
    pub name: String,
    /// Backend's description (e.g. the device path).
    pub description: String,
}

/// Which stream format to ask the camera for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CameraFormatChoice {
    /// MJPEG if offered (less USB bandwidth at high resolutions), else YUYV.
    #[default]
    Auto,
    /// Compressed frames, decoded on the capture thread.
    Mjpeg,
    /// Uncompressed 4:2:2, kept raw.
    Yuyv,
}

impl std::str::FromStr for CameraFormatChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "mjpeg" => Ok(Self::Mjpeg),
            "yuyv" => Ok(Self::Yuyv),
            _ => Err(format!("'{s}': expected auto, mjpeg or yuyv")),
        }
    }
}

/// Lists the cameras V4L2 can see; an empty list when there are none.
pub fn list_cameras() -> Result<Vec<CameraInfo>, FrameError> {
    let cameras = nokhwa::query(ApiBackend::Video4Linux).map_err(|e| FrameError::Gone {
        what: "camera list".to_owned(),
        detail: e.to_string(),
    })?;
    Ok(cameras
        .into_iter()
        .filter_map(|info| {
            Some(CameraInfo {
                index: info.index().as_index().ok()?,
                name: info.human_name(),
                description: info.description().to_owned(),
            })
        })
        .collect())
}

/// A streaming camera.
pub struct CameraSource {
    camera: Camera,
    what: String,
    index: u64,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource").field("what", &self.what).finish()
    }
}

impl CameraSource {
    /// Opens camera `index` in the format closest to `width`x`height` at
    /// `fps`, and starts streaming. Failures are [`FrameError::Gone`] so the
    /// capture thread retries (the camera may be plugged in later).
    pub fn open(
        index: u32,
        format: CameraFormatChoice,
        (width, height): (u32, u32),
        fps: u32,
    ) -> Result<CameraSource, FrameError> {
        let what = format!("camera {index}");
        let formats: &[FrameFormat] = match format {
            CameraFormatChoice::Auto => &[FrameFormat::MJPEG, FrameFormat::YUYV],
            CameraFormatChoice::Mjpeg => &[FrameFormat::MJPEG],
            CameraFormatChoice::Yuyv => &[FrameFormat::YUYV],
        };
        let gone = |e: nokhwa::NokhwaError| FrameError::Gone {
            what: what.clone(),
            detail: e.to_string(),
        };
        // `Closest` only matches formats the camera offers, so try each
        // acceptable format in order of preference.
        let mut last_error = None;
        for &frame_format in formats {
            let wanted = CameraFormat::new(Resolution::new(width, height), frame_format, fps);
            let only = [frame_format];
            let request = RequestedFormat::with_formats(RequestedFormatType::Closest(wanted), &only);
            match Camera::new(CameraIndex::Index(index), request) {
                Ok(mut camera) => {
                    camera.open_stream().map_err(gone)?;
                    let what = format!("{what} ({})", camera.info().human_name());
                    return Ok(CameraSource { camera, what, index: 0 });
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(match last_error {
            Some(e) => gone(e),
            None => FrameError::Format {
                what,
                detail: "no stream format requested".to_owned(),
            },
        })
    }
}

/// Turns one camera buffer into a frame, refusing sizes that do not match.
fn to_frame(
    data: &[u8],
    format: FrameFormat,
    (width, height): (u32, u32),
    what: &str,
    index: u64,
) -> Result<Frame, FrameError> {
    let captured = Instant::now();
    let pixels = match format {
        FrameFormat::MJPEG => return decode_jpeg(data, what, captured, index),
        FrameFormat::YUYV => Pixels::Yuyv(data.to_vec()),
        FrameFormat::GRAY => Pixels::Gray(data.to_vec()),
        FrameFormat::RAWRGB => Pixels::Rgb(data.to_vec()),
        other => {
            return Err(FrameError::Format {
                what: what.to_owned(),
                detail: format!("camera sent {other} frames (accepted: MJPEG, YUYV, GRAY, RAWRGB)"),
            });
        }
    };
    Frame::new(width, height, pixels, captured, index)
}

impl FrameSource for CameraSource {
    fn next_frame(&mut self) -> Result<Frame, FrameError> {
        let buffer = self.camera.frame().map_err(|e| FrameError::Gone {
            what: self.what.clone(),
            detail: e.to_string(),
        })?;
        let res = buffer.resolution();
        let frame = to_frame(
            buffer.buffer(),
            buffer.source_frame_format(),
            (res.width(), res.height()),
            &self.what,
            self.index,
        )?;
        self.index += 1;
        Ok(frame)
    }

    fn describe(&self) -> String {
        self.what.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_without_cameras_does_not_panic() {
        // This machine has no camera: either an empty list or a clean error.
        if let Err(e) = list_cameras() {
            assert!(e.to_string().contains("camera list"), "{e}");
        }
    }

    #[test]
    fn opening_a_missing_camera_is_gone() {
        let err = CameraSource::open(97, CameraFormatChoice::Auto, (640, 480), 30).unwrap_err();
        assert!(matches!(err, FrameError::Gone { .. }), "{err}");
        assert!(err.to_string().contains("camera 97"), "{err}");
    }

    #[test]
    fn wrong_size_buffers_are_refused() {
        let err = to_frame(&[0; 10], FrameFormat::YUYV, (4, 4), "camera 0", 0).unwrap_err();
        assert!(matches!(err, FrameError::Format { .. }), "{err}");
        let ok = to_frame(&[0; 32], FrameFormat::YUYV, (4, 4), "camera 0", 0).unwrap();
        assert_eq!(ok.luma().len(), 16);
        let err = to_frame(&[1, 2, 3], FrameFormat::MJPEG, (4, 4), "camera 0", 0).unwrap_err();
        assert!(matches!(err, FrameError::Corrupt { .. }), "{err}");
        let err = to_frame(&[0; 24], FrameFormat::NV12, (4, 4), "camera 0", 0).unwrap_err();
        assert!(matches!(err, FrameError::Format { .. }), "{err}");
    }
}
