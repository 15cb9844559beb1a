//! Rehearsal recorder: writes camera frames to a local y4m file (4:2:0) so
//! a rehearsal can be replayed through [`super::file::FileSource`]. Frames
//! go only to the file the performer named; nothing else is written or sent.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::y4m::Y4mWriter;
use super::{Frame, FrameError, Rate};

/// Before the first frame the size is unknown, so the header waits.
#[derive(Debug)]
enum State {
    Waiting(BufWriter<File>),
    Writing(Y4mWriter<BufWriter<File>>),
    /// The header could not be written; the recording is over.
    Failed,
}

/// Appends frames to a y4m file as they arrive.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    rate: Rate,
    state: State,
    frames: u64,
}

impl Recorder {
    /// Creates (or truncates) `path`; frames will be stamped as `rate`.
    pub fn create(path: impl AsRef<Path>, rate: Rate) -> Result<Recorder, FrameError> {
        let path = path.as_ref().to_path_buf();
        let file = File::create(&path).map_err(|e| FrameError::io(&path.display().to_string(), e))?;
        Ok(Recorder {
            path,
            rate,
            state: State::Waiting(BufWriter::new(file)),
            frames: 0,
        })
    }

    /// Appends a frame. The first frame fixes the size; frames of another
    /// size, or malformed ones, are refused and nothing is written.
    pub fn push(&mut self, frame: &Frame) -> Result<(), FrameError> {
        let what = self.path.display().to_string();
        if matches!(self.state, State::Waiting(_)) {
            frame.validate()?;
            if let State::Waiting(file) = std::mem::replace(&mut self.state, State::Failed) {
                self.state = State::Writing(Y4mWriter::new(
                    file,
                    frame.width,
                    frame.height,
                    self.rate,
                    what.clone(),
                )?);
            }
        }
        match &mut self.state {
            State::Writing(writer) => writer.write_frame(frame)?,
            State::Waiting(_) | State::Failed => {
                return Err(FrameError::Io {
                    what,
                    source: std::io::Error::other("the recording failed earlier"),
                });
            }
        }
        self.frames += 1;
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flushes the file and returns its path.
    pub fn finish(self) -> Result<PathBuf, FrameError> {
        if let State::Writing(writer) = self.state {
            writer.finish()?;
        }
        // A recording with no frames is left as an empty file.
        Ok(self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::file::{FileOptions, FileSource};
    use crate::frame::{FrameSource, Pixels};
    use std::time::Instant;

    use crate::frame::tests::gray;

    #[test]
    fn records_and_refuses_other_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rehearsal.y4m");
        let mut rec = Recorder::create(&path, Rate::fps(25)).unwrap();
        rec.push(&gray(8, 6, 10, 0)).unwrap();
        let err = rec.push(&gray(4, 4, 10, 1)).unwrap_err();
        assert!(err.to_string().contains("8x6"), "{err}");
        rec.push(&gray(8, 6, 200, 2)).unwrap();
        assert_eq!(rec.frames(), 2);
        rec.finish().unwrap();

        let options = FileOptions {
            paced: false,
            looping: false,
            ..FileOptions::default()
        };
        let mut src = FileSource::open(&path, options).unwrap();
        assert_eq!(src.next_frame().unwrap().luma()[0], 10);
        assert_eq!(src.next_frame().unwrap().luma()[0], 200);
        assert!(matches!(src.next_frame(), Err(FrameError::EndOfStream { .. })));
    }

    #[test]
    fn refuses_a_malformed_first_frame() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = Recorder::create(dir.path().join("r.y4m"), Rate::fps(25)).unwrap();
        let bad = Frame {
            width: 4,
            height: 4,
            pixels: Pixels::Gray(vec![0; 3]),
            captured: Instant::now(),
            index: 0,
        };
        assert!(rec.push(&bad).is_err());
        rec.push(&gray(4, 4, 1, 1)).unwrap();
    }
}
