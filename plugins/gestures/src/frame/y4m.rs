//! YUV4MPEG2 (y4m) reading and writing.
//!
//! y4m is the simplest uncompressed video container: a text header, then
//! `FRAME` lines each followed by raw planes. We read 4:2:0 (all chroma
//! sitings), mono and 4:4:4 at 8 bits, and write 4:2:0 (`C420jpeg`) for
//! rehearsal recordings and test clips. Reading streams frame by frame, so
//! long recordings never sit in memory whole.

use std::borrow::Cow;
use std::io::{BufRead, Read, Write};
use std::time::Instant;

use super::{Frame, FrameError, Pixels, Rate, check_dimensions, color};

/// The stream magic, including the separating space.
pub const MAGIC: &[u8] = b"YUV4MPEG2 ";

/// Longest header or `FRAME` line we accept; real ones are well under 100
/// bytes, and the cap stops a file without newlines being read whole.
const MAX_LINE: u64 = 4096;

/// Sample layouts we can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Y4mColorspace {
    /// 4:2:0 in any chroma siting (`420jpeg`, `420paldv`, `420mpeg2`, `420`).
    Yuv420,
    /// Luma only (`mono`).
    Mono,
    /// Full-resolution chroma (`444`); converted to RGB on reading.
    Yuv444,
}

/// The parameters of a y4m stream that matter to us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Y4mHeader {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frame rate (`F`).
    pub rate: Rate,
    /// Sample layout (`C`, default 4:2:0).
    pub colorspace: Y4mColorspace,
}

impl Y4mHeader {
    /// Bytes of plane data in one frame.
    fn frame_bytes(&self) -> usize {
        let (w, h) = (self.width as usize, self.height as usize);
        match self.colorspace {
            Y4mColorspace::Yuv420 => w * h + 2 * color::half(w) * color::half(h),
            Y4mColorspace::Mono => w * h,
            Y4mColorspace::Yuv444 => 3 * w * h,
        }
    }
}

/// Reads one `\n`-terminated line of at most [`MAX_LINE`] bytes; `None` at a
/// clean end of input.
fn read_line<R: BufRead>(reader: &mut R, what: &str, line_name: &str) -> Result<Option<Vec<u8>>, FrameError> {
    let mut line = Vec::new();
    reader
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .map_err(|e| FrameError::io(what, e))?;
    if line.is_empty() {
        return Ok(None);
    }
    if line.pop() != Some(b'\n') {
        return Err(corrupt(what, format!("{line_name} line is truncated or too long")));
    }
    Ok(Some(line))
}

fn corrupt(what: &str, detail: String) -> FrameError {
    FrameError::Corrupt {
        what: what.to_owned(),
        detail,
    }
}

/// Parses a header line (without its newline).
pub fn parse_header(line: &[u8], what: &str) -> Result<Y4mHeader, FrameError> {
    let text = std::str::from_utf8(line).map_err(|_| corrupt(what, "header is not text".into()))?;
    let mut tokens = text.split(' ').filter(|t| !t.is_empty());
    if tokens.next() != Some("YUV4MPEG2") {
        return Err(corrupt(what, "missing YUV4MPEG2 magic".into()));
    }
    let (mut width, mut height, mut rate) = (None, None, None);
    let mut colorspace = Y4mColorspace::Yuv420;
    for token in tokens {
        let (tag, value) = token.split_at(1);
        let bad = || corrupt(what, format!("bad header parameter {token:?}"));
        match tag {
            "W" => width = Some(value.parse::<u32>().map_err(|_| bad())?),
            "H" => height = Some(value.parse::<u32>().map_err(|_| bad())?),
            "F" => {
                let (n, d) = value.split_once(':').ok_or_else(bad)?;
                let (n, d) = (n.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
                rate = Some(Rate::new(n, d).ok_or_else(bad)?);
            }
            "C" => {
                colorspace = match value {
                    "420jpeg" | "420paldv" | "420mpeg2" | "420" => Y4mColorspace::Yuv420,
                    "mono" => Y4mColorspace::Mono,
                    "444" => Y4mColorspace::Yuv444,
                    other => {
                        return Err(FrameError::Format {
                            what: what.to_owned(),
                            detail: format!(
                                "y4m colorspace C{other} (accepted: C420jpeg, C420paldv, C420mpeg2, C420, Cmono, C444, all 8-bit)"
                            ),
                        });
                    }
                }
            }
            // Interlacing, aspect ratio and comments do not change the bytes.
            _ => {}
        }
    }
    let missing = |p: &str| corrupt(what, format!("header has no {p} parameter"));
    let width = width.ok_or_else(|| missing("W (width)"))?;
    let height = height.ok_or_else(|| missing("H (height)"))?;
    let rate = rate.ok_or_else(|| missing("F (frame rate)"))?;
    check_dimensions(width, height, what)?;
    Ok(Y4mHeader {
        width,
        height,
        rate,
        colorspace,
    })
}

/// Streams frames out of a y4m byte stream.
#[derive(Debug)]
pub struct Y4mReader<R> {
    reader: R,
    what: String,
    header: Y4mHeader,
    frames_read: u64,
    /// After damage we cannot find the next frame boundary reliably, so the
    /// rest of the stream reads as ended.
    broken: bool,
}

impl<R: BufRead> Y4mReader<R> {
    /// Reads and checks the header; `what` names the stream in errors.
    pub fn new(mut reader: R, what: impl Into<String>) -> Result<Self, FrameError> {
        let what = what.into();
        let line = read_line(&mut reader, &what, "header")?.ok_or_else(|| corrupt(&what, "file is empty".into()))?;
        let header = parse_header(&line, &what)?;
        Ok(Y4mReader {
            reader,
            what,
            header,
            frames_read: 0,
            broken: false,
        })
    }

    /// The stream's header.
    pub fn header(&self) -> Y4mHeader {
        self.header
    }

    /// The next frame (index = position in this stream, captured = now), or
    /// `None` at the end. After a corrupt frame the stream reads as ended.
    pub fn read_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if self.broken {
            return Ok(None);
        }
        let result = self.read_planes();
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    fn read_planes(&mut self) -> Result<Option<Frame>, FrameError> {
        let n = self.frames_read;
        let Some(line) = read_line(&mut self.reader, &self.what, "FRAME")? else {
            return Ok(None);
        };
        if !(line.starts_with(b"FRAME") && matches!(line.get(5), None | Some(b' '))) {
            return Err(corrupt(&self.what, format!("frame {n}: expected a FRAME marker")));
        }
        let size = self.header.frame_bytes();
        // Grow the buffer as data arrives rather than trusting the header up
        // front, so a short file claiming huge frames allocates little.
        let mut data = Vec::with_capacity(size.min(1 << 20));
        (&mut self.reader)
            .take(size as u64)
            .read_to_end(&mut data)
            .map_err(|e| FrameError::io(&self.what, e))?;
        if data.len() < size {
            return Err(corrupt(
                &self.what,
                format!("frame {n} is truncated ({} of {size} bytes)", data.len()),
            ));
        }
        let (w, h) = (self.header.width as usize, self.header.height as usize);
        let pixels = match self.header.colorspace {
            Y4mColorspace::Mono => Pixels::Gray(data),
            Y4mColorspace::Yuv420 => {
                let c = color::half(w) * color::half(h);
                let v = data.split_off(w * h + c);
                let u = data.split_off(w * h);
                Pixels::Yuv420 { y: data, u, v }
            }
            Y4mColorspace::Yuv444 => {
                let (y, rest) = data.split_at(w * h);
                let (u, v) = rest.split_at(w * h);
                Pixels::Rgb(color::yuv444_to_rgb(y, u, v))
            }
        };
        self.frames_read += 1;
        Frame::new(self.header.width, self.header.height, pixels, Instant::now(), n).map(Some)
    }
}

/// Writes frames of one size as a `C420jpeg` y4m stream.
#[derive(Debug)]
pub struct Y4mWriter<W: Write> {
    writer: W,
    what: String,
    width: u32,
    height: u32,
}

impl<W: Write> Y4mWriter<W> {
    /// Writes the header for `width`x`height` frames at `rate`.
    pub fn new(
        mut writer: W,
        width: u32,
        height: u32,
        rate: Rate,
        what: impl Into<String>,
    ) -> Result<Self, FrameError> {
        let what = what.into();
        check_dimensions(width, height, &what)?;
        writeln!(
            writer,
            "YUV4MPEG2 W{width} H{height} F{}:{} Ip A1:1 C420jpeg",
            rate.num, rate.den
        )
        .map_err(|e| FrameError::io(&what, e))?;
        Ok(Y4mWriter {
            writer,
            what,
            width,
            height,
        })
    }

    /// Appends one frame, converting it to 4:2:0. Frames of another size or
    /// with malformed buffers are refused.
    pub fn write_frame(&mut self, frame: &Frame) -> Result<(), FrameError> {
        frame.validate()?;
        if (frame.width, frame.height) != (self.width, self.height) {
            return Err(FrameError::Format {
                what: self.what.clone(),
                detail: format!(
                    "frame {} is {}x{}, but this stream is {}x{}",
                    frame.index, frame.width, frame.height, self.width, self.height
                ),
            });
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let planes: [Cow<'_, [u8]>; 3] = match &frame.pixels {
            Pixels::Yuv420 { y, u, v } => [Cow::Borrowed(y), Cow::Borrowed(u), Cow::Borrowed(v)],
            Pixels::Gray(y) => {
                let neutral = vec![128; color::half(w) * color::half(h)];
                [Cow::Borrowed(y), Cow::Owned(neutral.clone()), Cow::Owned(neutral)]
            }
            Pixels::Rgb(_) | Pixels::Yuyv(_) => {
                let (y, u, v) = color::rgb_to_yuv420(&frame.rgb(), w, h);
                [Cow::Owned(y), Cow::Owned(u), Cow::Owned(v)]
            }
        };
        let io = |e| FrameError::io(&self.what, e);
        self.writer.write_all(b"FRAME\n").map_err(io)?;
        for plane in planes {
            self.writer.write_all(&plane).map_err(io)?;
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W, FrameError> {
        self.writer.flush().map_err(|e| FrameError::io(&self.what, e))?;
        Ok(self.writer)
    }
}

#[cfg(test)]
#[path = "y4m_tests.rs"]
mod tests;
