//! Offline rendering: the processor as fast as the CPU allows.
//!
//! Session scripts and recordings render through one loop, [`drive`]: block by block, each
//! block handed to a sink as soon as it exists (with the analysis it completed), so a render
//! of any length runs in bounded memory and can stop wherever the caller wants.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::script::ScriptError;
use crate::{AnalysisFrame, EngineHandle, EngineProcessor};

/// Renders `frames` stereo frames in blocks of `block` frames, appending to `out`
/// (interleaved). `between` runs before every block (to feed intents, for example).
pub fn render(
    processor: &mut EngineProcessor,
    frames: usize,
    block: usize,
    out: &mut Vec<f32>,
    mut between: impl FnMut(&mut EngineProcessor),
) {
    let block = block.max(1);
    let start = out.len();
    out.resize(start + frames * 2, 0.0);
    let mut done = 0;
    while done < frames {
        between(processor);
        let n = block.min(frames - done);
        processor.process(&mut out[start + done * 2..start + (done + n) * 2], 2);
        done += n;
    }
}

/// How an offline render of a script or a recording runs.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// Most frames per block. The output does not depend on it; the sink sees blocks no longer.
    pub block: usize,
    /// Analyse the audio as it renders (master and every deck, as live). Off, the render skips
    /// the analysis entirely: it costs about as much again as the audio.
    pub analysis: bool,
    /// Stop after this many frames even if the input goes on.
    pub max_frames: Option<u64>,
}

impl RenderOptions {
    /// Blocks of `block` frames, no analysis, the whole input.
    pub fn new(block: usize) -> Self {
        Self {
            block,
            analysis: false,
            max_frames: None,
        }
    }
}

/// One block of an offline render, handed to the sink as soon as it is rendered.
pub struct Block<'a> {
    /// The block's output, interleaved stereo.
    pub samples: &'a [f32],
    /// The analysis frames this block completed (none without analysis), in the order the
    /// analysis made them. Frames not taken are dropped with the block.
    pub analysis: std::vec::Drain<'a, AnalysisFrame>,
    /// Output frames rendered so far, this block included.
    pub rendered: u64,
    /// Frames the whole render should last: exact for a recording; for a script, at the tempo
    /// as it stands now (a tempo change ahead moves it).
    pub expected: u64,
}

/// Why a sink could not take a block (e.g. the WAV file could not be written); it ends the render.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// The sink of the in-memory renders: appends every block's samples to `out` and hands its
/// analysis frames, in order, to `frames`.
pub fn into_vec<'a>(
    out: &'a mut Vec<f32>,
    mut frames: impl FnMut(AnalysisFrame) + 'a,
) -> impl FnMut(Block<'_>) -> Result<(), SinkError> + 'a {
    move |b| {
        out.extend_from_slice(b.samples);
        b.analysis.for_each(&mut frames);
        Ok(())
    }
}

/// What an input allows next; its feeder tells [`drive`] before every block.
pub(crate) struct Next {
    /// Frames that may render before the feeder must run again (0: the input is over).
    pub frames: u64,
    /// Frames the whole input should last (see [`Block::expected`]).
    pub expected: u64,
}

/// The render loop: before every block `feed` queues what the input has due and says how far
/// the render may go, then the block renders, its analysis is collected, and `sink` takes it.
/// Returns the frames rendered.
pub(crate) fn drive(
    handle: &mut EngineHandle,
    processor: &mut EngineProcessor,
    options: &RenderOptions,
    mut feed: impl FnMut(&mut EngineHandle, &EngineProcessor) -> Result<Next, ScriptError>,
    mut sink: impl FnMut(Block<'_>) -> Result<(), SinkError>,
) -> Result<u64, ScriptError> {
    let block = options.block.max(1);
    let limit = options.max_frames.unwrap_or(u64::MAX);
    let mut samples = vec![0.0; block * 2];
    let mut analysis = Vec::new();
    loop {
        let next = feed(handle, processor)?;
        let n = next
            .frames
            .min(block as u64)
            .min(limit.saturating_sub(processor.frame())) as usize;
        if n == 0 {
            return Ok(processor.frame());
        }
        let out = &mut samples[..n * 2];
        processor.process(out, 2);
        // Between blocks, so the analysis tap never overflows and released memory is freed.
        handle.settle(|f| analysis.push(f));
        sink(Block {
            samples: out,
            analysis: analysis.drain(..),
            rendered: processor.frame(),
            expected: next.expected.min(limit),
        })
        .map_err(ScriptError::Output)?;
    }
}

/// A 32-bit float stereo WAV file written as the samples come: nothing is held in memory.
pub struct WavOut {
    writer: hound::WavWriter<BufWriter<File>>,
}

impl WavOut {
    /// Creates (or replaces) the file at `path`.
    pub fn create(path: &Path, sample_rate: u32) -> Result<Self, hound::Error> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        Ok(Self {
            writer: hound::WavWriter::create(path, spec)?,
        })
    }

    /// Appends interleaved stereo samples.
    pub fn write(&mut self, samples: &[f32]) -> Result<(), hound::Error> {
        samples.iter().try_for_each(|&s| self.writer.write_sample(s))
    }

    /// Completes the header with the final length and flushes the file.
    pub fn finish(self) -> Result<(), hound::Error> {
        self.writer.finalize()
    }
}

/// Writes interleaved stereo samples as a 32-bit float WAV file.
pub fn write_wav(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), hound::Error> {
    let mut w = WavOut::create(path, sample_rate)?;
    w.write(samples)?;
    w.finish()
}
