//! Test audio files written with hound.

use std::path::Path;

/// Writes `frames` stereo frames at 48 kHz as 32-bit floats, frame `i` being `sample(i)`
/// (left, right).
pub fn write_wav(path: &Path, frames: usize, sample: impl Fn(usize) -> (f32, f32)) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for i in 0..frames {
        let (left, right) = sample(i);
        w.write_sample(left).expect("write");
        w.write_sample(right).expect("write");
    }
    w.finalize().expect("finish wav");
}
