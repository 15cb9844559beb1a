//! Reading an audio file block by block with symphonia, at its own rate. The loader collects
//! and resamples the blocks for a deck; the track analyser reads them once and keeps nothing,
//! so a three-hour file costs no more memory than a short one.

use std::path::{Path, PathBuf};

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::loader::{LoadError, LoadErrorKind};

/// File extensions of the formats the decoder reads (for folder listings).
pub const AUDIO_EXTENSIONS: [&str; 7] = ["wav", "flac", "mp3", "ogg", "oga", "m4a", "aac"];

/// True for files the decoder reads, by extension.
pub fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Damaged packets skipped before a file is given up as corrupt.
const MAX_DECODE_ERRORS: usize = 100;

/// One decoded block: the front pair of channels (mono duplicated), planar, at `rate`.
pub struct Block<'a> {
    /// Sample rate of this block (a stream may change it).
    pub rate: u32,
    /// Left channel.
    pub left: &'a [f32],
    /// Right channel.
    pub right: &'a [f32],
}

/// An open audio file, read block by block.
pub struct AudioReader {
    path: PathBuf,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    expected: Option<u64>,
    rate: u32,
    decoded: u64,
    decode_errors: usize,
    last_error: String,
    planar: [Vec<f32>; 2],
    surround: Vec<f32>,
}

impl AudioReader {
    /// Opens and probes a file; fails with a [`LoadError`] naming it.
    pub fn open(path: &Path) -> Result<Self, LoadError> {
        let err = |kind| LoadError {
            path: path.to_path_buf(),
            kind,
        };
        let file = std::fs::File::open(path).map_err(|e| err(LoadErrorKind::Io(e.to_string())))?;
        if file.metadata().is_ok_and(|m| m.len() == 0) {
            return Err(err(LoadErrorKind::Empty));
        }
        let mss = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format = symphonia::default::get_probe()
            .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
            .map_err(|e| err(classify(e)))?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or_else(|| err(LoadErrorKind::Unsupported("no audio track".into())))?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| err(LoadErrorKind::Unsupported("no audio codec parameters".into())))?
            .clone();
        let (track_id, expected) = (track.id, track.num_frames);
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| err(classify(e)))?;
        Ok(Self {
            path: path.to_path_buf(),
            format,
            decoder,
            track_id,
            expected,
            rate: params.sample_rate.unwrap_or(0),
            decoded: 0,
            decode_errors: 0,
            last_error: String::new(),
            planar: [Vec::new(), Vec::new()],
            surround: Vec::new(),
        })
    }

    /// Frames the header announces, if it does.
    pub fn expected_frames(&self) -> Option<u64> {
        self.expected.filter(|&t| t > 0)
    }

    /// Seconds decoded so far.
    pub fn decoded_seconds(&self) -> f64 {
        self.decoded as f64 / self.rate.max(1) as f64
    }

    /// Share of the announced length decoded so far, when the header announces one.
    pub fn fraction(&self) -> Option<f32> {
        self.expected_frames()
            .map(|total| (self.decoded as f32 / total as f32).min(1.0))
    }

    fn error(&self, kind: LoadErrorKind) -> LoadError {
        LoadError {
            path: self.path.clone(),
            kind,
        }
    }

    /// The next block, or `None` at the end of the stream. Damaged packets are skipped (up to
    /// [`MAX_DECODE_ERRORS`]); a stream cut off mid-packet simply ends, and [`Self::finish`]
    /// reports it.
    pub fn next_block(&mut self) -> Result<Option<Block<'_>>, LoadError> {
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.last_error = e.to_string();
                    return Ok(None);
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let buf = match self.decoder.decode(&packet) {
                Ok(b) => b,
                Err(SymphoniaError::DecodeError(e)) => {
                    self.decode_errors += 1;
                    self.last_error = e.to_string();
                    if self.decode_errors > MAX_DECODE_ERRORS {
                        return Ok(None);
                    }
                    continue;
                }
                Err(e) => return Err(self.error(classify(e))),
            };
            let spec = buf.spec();
            self.rate = spec.rate();
            let ch = spec.channels().count().max(1);
            let n = buf.frames();
            for p in self.planar.iter_mut() {
                p.resize(n, 0.0);
            }
            let [l, r] = &mut self.planar;
            match ch {
                1 => {
                    buf.copy_to_slice_planar(&mut [&mut l[..]]);
                    r.copy_from_slice(l);
                }
                2 => buf.copy_to_slice_planar(&mut [&mut l[..], &mut r[..]]),
                // More channels: keep the front pair.
                _ => {
                    self.surround.resize(n * ch, 0.0);
                    buf.copy_to_slice_interleaved(&mut self.surround);
                    for (i, f) in self.surround.chunks_exact(ch).enumerate() {
                        l[i] = f[0];
                        r[i] = f[1];
                    }
                }
            }
            self.decoded += n as u64;
            return Ok(Some(Block {
                rate: self.rate,
                left: &self.planar[0],
                right: &self.planar[1],
            }));
        }
    }

    /// Checks the stream once it ended: some audio was decoded at a known rate, and no less
    /// than the header announced (a file cut short decodes fine up to the cut).
    pub fn finish(&self) -> Result<(), LoadError> {
        if self.decoded == 0 {
            return Err(self.error(if self.last_error.is_empty() {
                LoadErrorKind::Empty
            } else {
                LoadErrorKind::Corrupt(self.last_error.clone())
            }));
        }
        if self.rate == 0 {
            return Err(self.error(LoadErrorKind::Unsupported("unknown sample rate".into())));
        }
        if let Some(total) = self.expected_frames()
            && self.decoded + self.decoded / 100 + 4_096 < total
        {
            return Err(self.error(LoadErrorKind::Truncated {
                decoded_seconds: self.decoded as f64 / self.rate as f64,
                expected_seconds: total as f64 / self.rate as f64,
            }));
        }
        Ok(())
    }
}

fn classify(e: SymphoniaError) -> LoadErrorKind {
    match e {
        SymphoniaError::IoError(e) => LoadErrorKind::Corrupt(e.to_string()),
        SymphoniaError::Unsupported(m) => LoadErrorKind::Unsupported(m.to_string()),
        SymphoniaError::DecodeError(m) => LoadErrorKind::Corrupt(m.to_string()),
        other => LoadErrorKind::Corrupt(other.to_string()),
    }
}
