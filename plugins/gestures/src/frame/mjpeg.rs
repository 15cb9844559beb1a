//! Motion-JPEG: files of concatenated JPEG images (as `ffmpeg -f mjpeg`
//! writes them) and the JPEG decoding shared with MJPEG cameras.
//!
//! Images are delimited by walking the JPEG marker structure rather than by
//! searching for `FF D9`, because an EOI can legitimately appear inside an
//! APP segment (an embedded EXIF thumbnail). Damage is confined to one
//! image: the reader reports it once and resumes at the next `FF D8`.

use std::io::{BufRead, Read};
use std::time::Instant;

use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

use super::{Frame, FrameError, MAX_DIMENSION, Pixels};

/// Largest single JPEG accepted; far above any sane 8K frame, and it keeps
/// a file without an EOI from being buffered whole.
const MAX_JPEG_BYTES: usize = 32 << 20;

/// Decodes one JPEG into an RGB frame (gray for grayscale JPEGs).
pub fn decode_jpeg(data: &[u8], what: &str, captured: Instant, index: u64) -> Result<Frame, FrameError> {
    let bad = |e: zune_jpeg::errors::DecodeErrors| FrameError::Corrupt {
        what: what.to_owned(),
        detail: format!("JPEG does not decode: {e}"),
    };
    let limit = MAX_DIMENSION as usize;
    let options = DecoderOptions::default().set_max_width(limit).set_max_height(limit);
    // Read the headers first to learn whether the image is grayscale, so
    // gray cameras stay one byte per pixel.
    let mut probe = JpegDecoder::new_with_options(ZCursor::new(data), options);
    probe.decode_headers().map_err(bad)?;
    let gray = probe.input_colorspace() == Some(ColorSpace::Luma);
    let (width, height) = probe
        .info()
        .map(|i| (u32::from(i.width), u32::from(i.height)))
        .unwrap_or_default();
    let out = if gray { ColorSpace::Luma } else { ColorSpace::RGB };
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(data), options.jpeg_set_out_colorspace(out));
    let bytes = decoder.decode().map_err(bad)?;
    let pixels = if gray { Pixels::Gray(bytes) } else { Pixels::Rgb(bytes) };
    Frame::new(width, height, pixels, captured, index)
}

/// A buffered reader that can be handed back bytes it already gave out.
#[derive(Debug)]
struct Unread<R> {
    inner: R,
    back: Vec<u8>,
    pos: usize,
}

impl<R> Unread<R> {
    /// Makes `bytes` the next bytes read, ahead of anything unread so far.
    fn unread(&mut self, mut bytes: Vec<u8>) {
        bytes.extend_from_slice(&self.back[self.pos..]);
        self.back = bytes;
        self.pos = 0;
    }
}

impl<R: Read> Read for Unread<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos < self.back.len() {
            let n = out.len().min(self.back.len() - self.pos);
            out[..n].copy_from_slice(&self.back[self.pos..self.pos + n]);
            self.consume_back(n);
            return Ok(n);
        }
        self.inner.read(out)
    }
}

impl<R> Unread<R> {
    fn consume_back(&mut self, n: usize) {
        self.pos += n;
        if self.pos >= self.back.len() {
            self.back = Vec::new();
            self.pos = 0;
        }
    }
}

impl<R: BufRead> BufRead for Unread<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos < self.back.len() {
            return Ok(&self.back[self.pos..]);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if self.pos < self.back.len() {
            self.consume_back(n);
        } else {
            self.inner.consume(n);
        }
    }
}

/// Streams JPEG images out of a byte stream and decodes them.
#[derive(Debug)]
pub struct MjpegReader<R> {
    reader: Unread<R>,
    what: String,
    /// JPEGs seen so far, good or bad; numbers them in errors.
    images: u64,
    /// The previous image was damaged: skip quietly to the next SOI.
    resync: bool,
}

impl<R: BufRead> MjpegReader<R> {
    /// A reader over `reader`; `what` names the stream in errors.
    pub fn new(reader: R, what: impl Into<String>) -> Self {
        MjpegReader {
            reader: Unread {
                inner: reader,
                back: Vec::new(),
                pos: 0,
            },
            what: what.into(),
            images: 0,
            resync: false,
        }
    }

    /// The next decoded image (index = position in this stream, captured =
    /// now), `None` at the end, or an error for one damaged image after
    /// which reading continues with the next image.
    pub fn read_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        let n = self.images;
        match self.skip_to_soi()? {
            None => return Ok(None),
            // Junk after a clean image is damage worth reporting; after a
            // damaged one it is just that image's remains.
            Some(skipped) if skipped > 0 && !self.resync => {
                self.reader.unread(vec![0xFF, 0xD8]);
                return Err(self.corrupt(format!("{skipped} bytes of non-JPEG data before JPEG #{n}")));
            }
            Some(_) => {}
        }
        self.resync = false;
        self.images += 1;
        let mut buf = vec![0xFF, 0xD8];
        match self.read_jpeg(n, &mut buf) {
            Ok(()) => decode_jpeg(&buf, &format!("{} (JPEG #{n})", self.what), Instant::now(), n).map(Some),
            Err(e) => {
                // Damaged length fields may have swallowed the start of the
                // next image, so rescan everything after this image's SOI.
                buf.drain(..2);
                self.reader.unread(buf);
                self.resync = true;
                Err(e)
            }
        }
    }

    fn corrupt(&self, detail: String) -> FrameError {
        FrameError::Corrupt {
            what: self.what.clone(),
            detail,
        }
    }

    fn io(&self, e: std::io::Error) -> FrameError {
        FrameError::io(&self.what, e)
    }

    /// One byte; `None` at the end of the stream.
    fn byte(&mut self) -> Result<Option<u8>, FrameError> {
        let mut b = [0u8];
        match self.reader.read(&mut b) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(b[0])),
            Err(e) => Err(self.io(e)),
        }
    }

    fn byte_in_image(&mut self, n: u64) -> Result<u8, FrameError> {
        self.byte()?
            .ok_or_else(|| self.corrupt(format!("JPEG #{n} is truncated at the end of the file")))
    }

    /// Consumes input up to and including the next SOI; returns how many
    /// bytes came before it, or `None` if the input ends first.
    fn skip_to_soi(&mut self) -> Result<Option<usize>, FrameError> {
        let mut skipped = 0;
        loop {
            let chunk = self.reader.fill_buf().map_err(|e| FrameError::io(&self.what, e))?;
            if chunk.is_empty() {
                return Ok(None);
            }
            let Some(i) = chunk.iter().position(|&b| b == 0xFF) else {
                let len = chunk.len();
                self.reader.consume(len);
                skipped += len;
                continue;
            };
            self.reader.consume(i + 1);
            skipped += i;
            let next = self.reader.fill_buf().map_err(|e| FrameError::io(&self.what, e))?;
            match next.first() {
                None => return Ok(None),
                Some(0xD8) => {
                    self.reader.consume(1);
                    return Ok(Some(skipped));
                }
                // Leave a following FF in place: it may start the SOI.
                Some(_) => skipped += 1,
            }
        }
    }

    /// Appends the rest of a JPEG whose SOI has been consumed to `buf`.
    fn read_jpeg(&mut self, n: u64, buf: &mut Vec<u8>) -> Result<(), FrameError> {
        let mut pending = None;
        loop {
            let marker = match pending.take() {
                Some(m) => m,
                None => self.read_marker(n)?,
            };
            match marker {
                0xD9 => {
                    buf.extend([0xFF, 0xD9]);
                    return Ok(());
                }
                0xD8 => {
                    buf.extend([0xFF, 0xD8]);
                    return Err(self.corrupt(format!("JPEG #{n} is cut short by the next image")));
                }
                0x01 | 0xD0..=0xD7 => buf.extend([0xFF, marker]),
                _ => {
                    self.read_segment(n, marker, buf)?;
                    if marker == 0xDA {
                        pending = Some(self.read_entropy(n, buf)?);
                    }
                }
            }
            self.check_size(n, buf)?;
        }
    }

    fn check_size(&self, n: u64, buf: &[u8]) -> Result<(), FrameError> {
        if buf.len() > MAX_JPEG_BYTES {
            return Err(self.corrupt(format!("JPEG #{n} exceeds {} MiB", MAX_JPEG_BYTES >> 20)));
        }
        Ok(())
    }

    /// Reads `FF xx` (skipping fill bytes) and returns `xx`.
    fn read_marker(&mut self, n: u64) -> Result<u8, FrameError> {
        let b = self.byte_in_image(n)?;
        if b != 0xFF {
            return Err(self.corrupt(format!("JPEG #{n}: expected a marker, found byte {b:#04x}")));
        }
        loop {
            match self.byte_in_image(n)? {
                0xFF => continue,
                m => return Ok(m),
            }
        }
    }

    /// Copies a length-prefixed marker segment into `buf`.
    fn read_segment(&mut self, n: u64, marker: u8, buf: &mut Vec<u8>) -> Result<(), FrameError> {
        let len = u16::from_be_bytes([self.byte_in_image(n)?, self.byte_in_image(n)?]);
        if len < 2 {
            return Err(self.corrupt(format!("JPEG #{n}: marker {marker:#04x} has length {len}")));
        }
        buf.extend([0xFF, marker]);
        buf.extend(len.to_be_bytes());
        let body = usize::from(len) - 2;
        let start = buf.len();
        (&mut self.reader)
            .take(body as u64)
            .read_to_end(buf)
            .map_err(|e| FrameError::io(&self.what, e))?;
        if buf.len() - start < body {
            return Err(self.corrupt(format!("JPEG #{n} is truncated at the end of the file")));
        }
        Ok(())
    }

    /// Copies entropy-coded data (where `FF` is stuffed as `FF 00` and
    /// restart markers may appear) and returns the marker that ends it.
    fn read_entropy(&mut self, n: u64, buf: &mut Vec<u8>) -> Result<u8, FrameError> {
        loop {
            let chunk = self.reader.fill_buf().map_err(|e| FrameError::io(&self.what, e))?;
            if chunk.is_empty() {
                return Err(self.corrupt(format!("JPEG #{n} is truncated at the end of the file")));
            }
            let Some(i) = chunk.iter().position(|&b| b == 0xFF) else {
                buf.extend_from_slice(chunk);
                let len = chunk.len();
                self.reader.consume(len);
                self.check_size(n, buf)?;
                continue;
            };
            buf.extend_from_slice(&chunk[..i]);
            self.reader.consume(i + 1);
            let mut next = self.byte_in_image(n)?;
            while next == 0xFF {
                next = self.byte_in_image(n)?;
            }
            if next == 0x00 || (0xD0..=0xD7).contains(&next) {
                buf.extend([0xFF, next]);
            } else {
                return Ok(next);
            }
        }
    }
}

#[cfg(test)]
#[path = "mjpeg_tests.rs"]
pub(crate) mod tests;
