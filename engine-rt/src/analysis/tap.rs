//! The audio thread's side of analysis: copies mono mixes of the master and every deck into a
//! lock-free ring, one stamped block per `process` pass, for the analysis thread.
//!
//! Wire format of a block (all `f32` slots): `[frame_lo, frame_hi, frames, beat_lo, beat_hi,
//! bpm]` followed by `frames * width` samples, interleaved master, deck 0, deck 1, ... The
//! integer and `f64` fields travel as raw bits.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::stats::EngineStats;

/// Slots in a block header.
pub const HEADER: usize = 6;

/// Block stamp decoded from a header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockStamp {
    /// Output frame of the block's first sample.
    pub frame: u64,
    /// Frames in the block.
    pub frames: usize,
    /// Clock beat at `frame`.
    pub beat: f64,
    /// Clock tempo at `frame`, in beats per minute.
    pub bpm: f32,
}

fn split(v: u64) -> [f32; 2] {
    [f32::from_bits(v as u32), f32::from_bits((v >> 32) as u32)]
}

fn join(lo: f32, hi: f32) -> u64 {
    lo.to_bits() as u64 | ((hi.to_bits() as u64) << 32)
}

impl BlockStamp {
    /// Encodes the header.
    pub fn encode(&self) -> [f32; HEADER] {
        let [f0, f1] = split(self.frame);
        let [b0, b1] = split(self.beat.to_bits());
        [f0, f1, f32::from_bits(self.frames as u32), b0, b1, self.bpm]
    }

    /// Decodes a header.
    pub fn decode(h: &[f32]) -> Self {
        Self {
            frame: join(h[0], h[1]),
            frames: h[2].to_bits() as usize,
            beat: f64::from_bits(join(h[3], h[4])),
            bpm: h[5],
        }
    }
}

/// Writer held by the processor.
pub struct TapWriter {
    producer: rtrb::Producer<f32>,
    block: Box<[f32]>,
    width: usize,
    len: usize,
    stamp: BlockStamp,
    stats: Arc<EngineStats>,
}

impl TapWriter {
    /// A writer for `width` mono channels and blocks of up to `max_block` frames.
    pub fn new(producer: rtrb::Producer<f32>, width: usize, max_block: usize, stats: Arc<EngineStats>) -> Self {
        Self {
            producer,
            block: vec![0.0; HEADER + width * max_block].into(),
            width,
            len: 0,
            stamp: BlockStamp {
                frame: 0,
                frames: 0,
                beat: 0.0,
                bpm: 0.0,
            },
            stats,
        }
    }

    /// Most frames one block holds.
    pub fn capacity(&self) -> usize {
        (self.block.len() - HEADER) / self.width
    }

    /// Starts a block at `frame`.
    pub fn begin(&mut self, frame: u64, beat: f64, bpm: f64) {
        self.len = 0;
        self.stamp = BlockStamp {
            frame,
            frames: 0,
            beat,
            bpm: bpm as f32,
        };
    }

    /// Writes channel `ch` (0 = master, 1.. = decks) of the current frame.
    #[inline]
    pub fn channel(&mut self, ch: usize, v: f32) {
        self.block[HEADER + self.len * self.width + ch] = v;
    }

    /// Finishes the current frame.
    #[inline]
    pub fn next_frame(&mut self) {
        self.len += 1;
    }

    /// Sends the block; when the ring is full the block is dropped and counted in
    /// [`EngineStats::analysis_dropped`].
    pub fn flush(&mut self) {
        if self.len == 0 {
            return;
        }
        self.stamp.frames = self.len;
        self.block[..HEADER].copy_from_slice(&self.stamp.encode());
        let total = HEADER + self.len * self.width;
        if self.producer.push_entire_slice(&self.block[..total]).is_err() {
            self.stats
                .analysis_dropped
                .fetch_add(self.len as u64, Ordering::Relaxed);
        }
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let s = BlockStamp {
            frame: (7u64 << 40) + 12345,
            frames: 512,
            beat: 1234.5678,
            bpm: 128.0,
        };
        assert_eq!(BlockStamp::decode(&s.encode()), s);
    }
}
