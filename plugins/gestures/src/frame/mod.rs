//! Frame input for camera gestures: the [`Frame`] type every source yields,
//! the [`FrameSource`] trait, and the sources themselves (camera, y4m/MJPEG
//! files, synthetic patterns), plus the capture thread that keeps only the
//! newest frame and the rehearsal recorder.
//!
//! Nothing here depends on Bevy so that it can be tested on its own.

pub mod camera;
pub mod capture;
mod color;
pub mod file;
pub mod mjpeg;
pub mod recorder;
pub mod synthetic;
pub mod y4m;

use std::borrow::Cow;
use std::time::{Duration, Instant};

/// Largest accepted width or height. Bounds what a bad header or camera can
/// make us allocate (8192² RGB is 192 MiB).
pub const MAX_DIMENSION: u32 = 8192;

/// Pixel data in whatever layout the source produced, so that nothing is
/// converted until a consumer asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pixels {
    /// 8-bit luma, `width * height` bytes.
    Gray(Vec<u8>),
    /// Packed 8-bit RGB, `width * height * 3` bytes.
    Rgb(Vec<u8>),
    /// Planar 4:2:0: full-size `y`, and `u`/`v` of
    /// `ceil(width/2) * ceil(height/2)` bytes each.
    Yuv420 {
        /// Luma plane.
        y: Vec<u8>,
        /// Cb plane.
        u: Vec<u8>,
        /// Cr plane.
        v: Vec<u8>,
    },
    /// Packed YUYV 4:2:2 as cameras send it (Y0 U Y1 V), `width * height * 2`
    /// bytes; width must be even.
    Yuyv(Vec<u8>),
}

impl Pixels {
    /// Short name of the layout, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Pixels::Gray(_) => "gray",
            Pixels::Rgb(_) => "RGB",
            Pixels::Yuv420 { .. } => "YUV 4:2:0",
            Pixels::Yuyv(_) => "YUYV",
        }
    }
}

/// One captured image with its capture time and its position in the stream.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel data; see [`Frame::validate`] for the required sizes.
    pub pixels: Pixels,
    /// When the frame was captured (or, for files, when it was due).
    pub captured: Instant,
    /// Position in the source's stream; keeps increasing across file loops.
    pub index: u64,
}

impl Frame {
    /// Builds a frame, refusing buffers that do not match the dimensions.
    pub fn new(width: u32, height: u32, pixels: Pixels, captured: Instant, index: u64) -> Result<Frame, FrameError> {
        let frame = Frame {
            width,
            height,
            pixels,
            captured,
            index,
        };
        frame.validate()?;
        Ok(frame)
    }

    /// Checks the dimensions and that every buffer has exactly the length
    /// the layout needs, so later conversions can index without panicking.
    pub fn validate(&self) -> Result<(), FrameError> {
        let what = format!("frame {}", self.index);
        check_dimensions(self.width, self.height, &what)?;
        let (w, h) = (self.width as usize, self.height as usize);
        let chroma = color::half(w) * color::half(h);
        let ok = match &self.pixels {
            Pixels::Gray(p) => p.len() == w * h,
            Pixels::Rgb(p) => p.len() == w * h * 3,
            Pixels::Yuv420 { y, u, v } => y.len() == w * h && u.len() == chroma && v.len() == chroma,
            Pixels::Yuyv(p) => w % 2 == 0 && p.len() == w * h * 2,
        };
        if ok {
            return Ok(());
        }
        let sizes = match &self.pixels {
            Pixels::Yuv420 { y, u, v } => format!("{}/{}/{}", y.len(), u.len(), v.len()),
            Pixels::Gray(p) | Pixels::Rgb(p) | Pixels::Yuyv(p) => p.len().to_string(),
        };
        Err(FrameError::Format {
            what,
            detail: format!(
                "{} buffer of {sizes} bytes does not fit {}x{}",
                self.pixels.kind(),
                self.width,
                self.height
            ),
        })
    }

    /// The luma plane (`width * height` bytes, BT.601); borrowed for gray and
    /// 4:2:0 frames, computed for the others.
    pub fn luma(&self) -> Cow<'_, [u8]> {
        match &self.pixels {
            Pixels::Gray(p) => Cow::Borrowed(p),
            Pixels::Yuv420 { y, .. } => Cow::Borrowed(y),
            Pixels::Rgb(p) => Cow::Owned(color::rgb_to_luma(p)),
            Pixels::Yuyv(p) => Cow::Owned(p.iter().step_by(2).copied().collect()),
        }
    }

    /// Packed RGB (`width * height * 3` bytes); borrowed for RGB frames.
    pub fn rgb(&self) -> Cow<'_, [u8]> {
        let (w, h) = (self.width as usize, self.height as usize);
        match &self.pixels {
            Pixels::Rgb(p) => Cow::Borrowed(p),
            Pixels::Gray(p) => Cow::Owned(color::gray_to_rgb(p)),
            Pixels::Yuv420 { y, u, v } => Cow::Owned(color::yuv420_to_rgb(y, u, v, w, h)),
            Pixels::Yuyv(p) => Cow::Owned(color::yuyv_to_rgb(p)),
        }
    }
}

/// Refuses zero and absurd dimensions before anything is allocated for them.
pub fn check_dimensions(width: u32, height: u32, what: &str) -> Result<(), FrameError> {
    if width == 0 || height == 0 || width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(FrameError::Format {
            what: what.to_owned(),
            detail: format!("size {width}x{height} is outside 1x1..{MAX_DIMENSION}x{MAX_DIMENSION}"),
        });
    }
    Ok(())
}

/// Why a source could not deliver a frame. `what` names the file or device.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The device vanished or the file was deleted; worth retrying later.
    #[error("{what} is gone: {detail}")]
    Gone {
        /// File path or device name.
        what: String,
        /// What happened.
        detail: String,
    },
    /// Data that should have been a frame is damaged or truncated.
    #[error("{what} is corrupt: {detail}")]
    Corrupt {
        /// File path or device name.
        what: String,
        /// What is wrong, and where.
        detail: String,
    },
    /// Well-formed data in a layout or size we do not accept.
    #[error("{what}: unsupported format: {detail}")]
    Format {
        /// File path, device name or frame.
        what: String,
        /// What is unsupported, and what would be.
        detail: String,
    },
    /// An I/O error other than the file or device disappearing.
    #[error("{what}: I/O error: {source}")]
    Io {
        /// File path or device name.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A non-looping source has no more frames.
    #[error("{what}: end of stream")]
    EndOfStream {
        /// File path or device name.
        what: String,
    },
}

impl FrameError {
    /// Wraps an I/O error, reporting a missing file as [`FrameError::Gone`].
    pub fn io(what: &str, source: std::io::Error) -> FrameError {
        if source.kind() == std::io::ErrorKind::NotFound {
            FrameError::Gone {
                what: what.to_owned(),
                detail: "no such file".to_owned(),
            }
        } else {
            FrameError::Io {
                what: what.to_owned(),
                source,
            }
        }
    }
}

/// Something that yields frames: a camera, a file, a generator.
pub trait FrameSource: Send {
    /// Blocks until the next frame is due or available and returns it.
    fn next_frame(&mut self) -> Result<Frame, FrameError>;
    /// Human-readable name for notices ("camera 0 (…)", a path).
    fn describe(&self) -> String;
}

/// A frame rate as an exact ratio (y4m's `F30000:1001`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Frames…
    pub num: u32,
    /// …per this many seconds.
    pub den: u32,
}

impl Rate {
    /// A rate of `num/den` frames per second; both must be non-zero.
    pub fn new(num: u32, den: u32) -> Option<Rate> {
        (num > 0 && den > 0).then_some(Rate { num, den })
    }

    /// A whole number of frames per second (0 is treated as 1).
    pub fn fps(fps: u32) -> Rate {
        Rate {
            num: fps.max(1),
            den: 1,
        }
    }

    /// Time from the first frame to frame `index` (exact, no drift).
    pub fn offset(self, index: u64) -> Duration {
        let nanos = u128::from(index) * u128::from(self.den) * 1_000_000_000 / u128::from(self.num);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Duration of one frame.
    pub fn period(self) -> Duration {
        self.offset(1)
    }
}

/// Paces a stream: frame `i` is due at `start + rate.offset(i)`.
#[derive(Debug)]
pub(crate) struct Pacer {
    rate: Rate,
    paced: bool,
    start: Option<Instant>,
}

/// If a paced source falls this far behind (a stalled thread, a suspended
/// laptop) it re-anchors instead of bursting frames to catch up.
const MAX_LAG: Duration = Duration::from_secs(1);

impl Pacer {
    /// A pacer; when `paced` is false frames are never delayed.
    pub(crate) fn new(rate: Rate, paced: bool) -> Pacer {
        Pacer {
            rate,
            paced,
            start: None,
        }
    }

    /// Sleeps until frame `index` is due and returns its capture stamp (the
    /// due time, or now if later). Unpaced: returns now.
    pub(crate) fn wait(&mut self, index: u64) -> Instant {
        let now = Instant::now();
        if !self.paced {
            return now;
        }
        let offset = self.rate.offset(index);
        let start = *self.start.get_or_insert_with(|| now.checked_sub(offset).unwrap_or(now));
        let due = start + offset;
        if now > due + MAX_LAG {
            self.start = now.checked_sub(offset);
            return now;
        }
        if due > now {
            std::thread::sleep(due - now);
        }
        due.max(now)
    }

    /// Sleeps one frame period when paced, so a source that can only
    /// report errors does not make its caller spin.
    pub(crate) fn idle(&self) {
        if self.paced {
            std::thread::sleep(self.rate.period());
        }
    }
}

#[cfg(test)]
mod tests;
