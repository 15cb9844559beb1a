//! Plays a recorded clip (y4m or MJPEG) as a frame source, at the clip's own
//! rate, looping, so gestures can be rehearsed and tested without a camera.
//!
//! The format is chosen by content, not extension. The file is streamed,
//! never read whole, and re-opened on each loop so that a deleted file is
//! noticed ([`FrameError::Gone`]) and a re-recorded one is picked up.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::mjpeg::MjpegReader;
use super::y4m::{self, Y4mReader};
use super::{Frame, FrameError, FrameSource, Pacer, Rate};

/// How a [`FileSource`] plays.
#[derive(Clone, Copy, Debug)]
pub struct FileOptions {
    /// Deliver frames at the clip's rate; when false (tests, benchmarks)
    /// frames come as fast as they decode, stamped with the current time.
    pub paced: bool,
    /// Start again at the end instead of returning [`FrameError::EndOfStream`].
    pub looping: bool,
    /// Rate for MJPEG files, which carry none.
    pub mjpeg_rate: Rate,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            paced: true,
            looping: true,
            mjpeg_rate: Rate::fps(30),
        }
    }
}

/// The open clip, by container.
#[derive(Debug)]
enum Reader {
    Y4m(Y4mReader<BufReader<File>>),
    Mjpeg(MjpegReader<BufReader<File>>),
}

impl Reader {
    fn read_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        match self {
            Reader::Y4m(r) => r.read_frame(),
            Reader::Mjpeg(r) => r.read_frame(),
        }
    }
}

/// Opens `path` and picks the reader from its first bytes.
fn open_reader(path: &Path, options: &FileOptions) -> Result<(Reader, Rate), FrameError> {
    let what = path.display().to_string();
    let file = File::open(path).map_err(|e| FrameError::io(&what, e))?;
    let mut reader = BufReader::new(file);
    let head = reader.fill_buf().map_err(|e| FrameError::io(&what, e))?;
    if head.starts_with(y4m::MAGIC) {
        let reader = Y4mReader::new(reader, what)?;
        let rate = reader.header().rate;
        Ok((Reader::Y4m(reader), rate))
    } else if head.starts_with(&[0xFF, 0xD8]) {
        Ok((Reader::Mjpeg(MjpegReader::new(reader, what)), options.mjpeg_rate))
    } else {
        let detail = if head.is_empty() {
            "the file is empty".to_owned()
        } else {
            "not a y4m (YUV4MPEG2) or MJPEG (concatenated JPEG) file".to_owned()
        };
        Err(FrameError::Format { what, detail })
    }
}

/// A looping, paced player for a y4m or MJPEG file.
#[derive(Debug)]
pub struct FileSource {
    path: PathBuf,
    options: FileOptions,
    reader: Reader,
    pacer: Pacer,
    next_index: u64,
    /// Whether this pass through the file has produced a good frame; a pass
    /// without one means looping would only repeat the errors.
    good_this_pass: bool,
    /// First error of the current pass, kept for the "unplayable" report.
    first_error: Option<String>,
    /// Set once the file proved unplayable; returned on every later call.
    unplayable: Option<String>,
}

impl FileSource {
    /// Opens a clip; fails if it is missing, unreadable, or neither y4m
    /// nor MJPEG.
    pub fn open(path: impl AsRef<Path>, options: FileOptions) -> Result<FileSource, FrameError> {
        let path = path.as_ref().to_path_buf();
        let (reader, rate) = open_reader(&path, &options)?;
        Ok(FileSource {
            path,
            options,
            reader,
            pacer: Pacer::new(rate, options.paced),
            next_index: 0,
            good_this_pass: false,
            first_error: None,
            unplayable: None,
        })
    }

    fn what(&self) -> String {
        self.path.display().to_string()
    }
}

impl FrameSource for FileSource {
    fn next_frame(&mut self) -> Result<Frame, FrameError> {
        loop {
            if let Some(detail) = &self.unplayable {
                let err = FrameError::Corrupt {
                    what: self.what(),
                    detail: detail.clone(),
                };
                // Hold callers that retry at once to the clip's pace.
                self.pacer.idle();
                return Err(err);
            }
            match self.reader.read_frame() {
                Ok(Some(mut frame)) => {
                    self.good_this_pass = true;
                    frame.index = self.next_index;
                    frame.captured = self.pacer.wait(self.next_index);
                    self.next_index += 1;
                    return Ok(frame);
                }
                Ok(None) if !self.options.looping => {
                    return Err(FrameError::EndOfStream { what: self.what() });
                }
                Ok(None) if !self.good_this_pass => {
                    let cause = self.first_error.take().unwrap_or_else(|| "it has no frames".to_owned());
                    self.unplayable = Some(format!("no playable frame ({cause})"));
                }
                Ok(None) => {
                    self.reader = open_reader(&self.path, &self.options)?.0;
                    self.good_this_pass = false;
                    self.first_error = None;
                }
                Err(e) => {
                    if self.first_error.is_none() {
                        self.first_error = Some(e.to_string());
                    }
                    return Err(e);
                }
            }
        }
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
