//! Offline rendering: the processor as fast as the CPU allows.

use std::path::Path;

use crate::EngineProcessor;

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

/// Writes interleaved stereo samples as a 32-bit float WAV file.
pub fn write_wav(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for &s in samples {
        w.write_sample(s)?;
    }
    w.finalize()
}
