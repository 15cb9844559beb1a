//! Render-ahead: a worker thread runs the processor a few blocks ahead of the device and the
//! device callback only copies from a lock-free ring. The callback then never waits for DSP
//! (key-locked decks' Rubber Band work included); the price is `ahead` frames of extra output
//! latency, which clock maths must add to the device latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{CallbackStats, CallbackTimer};
use crate::EngineProcessor;

/// The callback's side: takes rendered frames out of the ring.
pub struct AheadOutput {
    ring: rtrb::Consumer<f32>,
    underruns: Arc<AtomicU64>,
    channels: usize,
    /// Samples taken from the ring so far: the engine's frames, without underrun silence.
    taken: u64,
}

impl AheadOutput {
    /// The engine frame of the next sample the device gets.
    pub fn frame(&self) -> u64 {
        self.taken / self.channels.max(1) as u64
    }

    /// Fills `out` from the ring; whatever the worker has not rendered yet is silence, counted
    /// as an underrun. Never blocks.
    pub fn fill(&mut self, out: &mut [f32]) {
        let n = out.len().min(self.ring.slots());
        if let Ok(chunk) = self.ring.read_chunk(n) {
            let (a, b) = chunk.as_slices();
            out[..a.len()].copy_from_slice(a);
            out[a.len()..n].copy_from_slice(b);
            chunk.commit_all();
            self.taken += n as u64;
        }
        if n < out.len() {
            out[n..].fill(0.0);
            self.underruns.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The worker thread that renders ahead. Dropping it stops the thread.
pub struct AheadWorker {
    stop: Arc<AtomicBool>,
    join: Option<JoinHandle<EngineProcessor>>,
    underruns: Arc<AtomicU64>,
    priority: Result<(), String>,
}

impl AheadWorker {
    /// Whether the worker got real-time priority, and why not if it did not.
    pub fn priority(&self) -> &Result<(), String> {
        &self.priority
    }

    /// Times the callback could not be filled completely.
    pub fn underruns(&self) -> u64 {
        self.underruns.load(Ordering::Relaxed)
    }

    /// Stops the worker and returns the processor.
    pub fn stop(mut self) -> Option<EngineProcessor> {
        self.stop.store(true, Ordering::Relaxed);
        self.join.take().and_then(|j| j.join().ok())
    }
}

impl Drop for AheadWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

/// Starts rendering `channels`-channel audio in blocks of `block` frames, keeping up to `ahead`
/// frames ready. `stats` records how long each block took the worker (as a fraction of the
/// block's duration).
pub fn start(
    mut processor: EngineProcessor,
    channels: usize,
    block: usize,
    ahead: usize,
    stats: Arc<CallbackStats>,
) -> std::io::Result<(AheadOutput, AheadWorker)> {
    let block = block.max(1);
    let (mut tx, ring) = rtrb::RingBuffer::new(ahead.max(block) * channels);
    let stop = Arc::new(AtomicBool::new(false));
    let underruns = Arc::new(AtomicU64::new(0));
    let stop2 = stop.clone();
    let mut buf = vec![0.0f32; block * channels];
    // Fill the ring before the device starts, so the first callbacks find audio ready.
    while tx.slots() >= buf.len() {
        processor.process(&mut buf, channels);
        let _ = tx.push_entire_slice(&buf);
    }
    let (priority_tx, priority_rx) = std::sync::mpsc::channel();
    let join = std::thread::Builder::new()
        .name("phosphene-render-ahead".into())
        .spawn(move || {
            // Like the device callback, this thread must not wait behind ordinary work.
            let _ = priority_tx.send(super::promote_to_realtime(super::WORKER_PRIORITY));
            let sr = processor.sample_rate();
            // Poll at a quarter of a block: often enough to refill in time, rarely enough to idle.
            let nap = Duration::from_secs_f64(block as f64 / sr as f64 / 4.0);
            while !stop2.load(Ordering::Relaxed) {
                if tx.slots() < buf.len() {
                    std::thread::sleep(nap);
                    continue;
                }
                {
                    let _t = CallbackTimer::start(&stats, block, sr);
                    processor.process(&mut buf, channels);
                }
                // Cannot fail: checked for room above and only this thread pushes.
                let _ = tx.push_entire_slice(&buf);
            }
            processor
        })?;
    let priority = priority_rx
        .recv()
        .unwrap_or_else(|_| Err("render-ahead worker did not start".into()));
    let out = AheadOutput {
        ring,
        underruns: underruns.clone(),
        channels,
        taken: 0,
    };
    Ok((
        out,
        AheadWorker {
            stop,
            join: Some(join),
            underruns,
            priority,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, EngineConfig, IntentKind, Quantize, Track};

    /// The ring delivers exactly what the processor rendered, in order, and counts a callback
    /// it cannot fill.
    #[test]
    fn output_is_the_processor_stream() {
        let render = || {
            let (mut h, p) = Engine::new(EngineConfig {
                analysis: crate::AnalysisMode::Off,
                ..EngineConfig::default()
            })
            .unwrap();
            let frames = (0..48_000).map(|i| [((i as f32) * 0.01).sin() * 0.5; 2]).collect();
            let t = Track {
                name: "s".into(),
                path: None,
                sample_rate: 48_000,
                frames,
                bpm: None,
                first_beat: 0.0,
            };
            let t = h.share(t);
            h.act(Quantize::Now, IntentKind::Load { deck: 0, track: t });
            h.act(Quantize::Now, IntentKind::Play { deck: 0 });
            (h, p)
        };
        let (_h1, mut direct) = render();
        let mut want = vec![0.0f32; 4_096 * 2];
        direct.process(&mut want, 2);
        let (_h2, p) = render();
        let (mut out, worker) = start(p, 2, 256, 1_024, CallbackStats::new()).unwrap();
        let mut got = Vec::new();
        let start = std::time::Instant::now();
        while got.len() < want.len() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the worker stopped rendering"
            );
            std::thread::sleep(Duration::from_millis(2));
            let mut cb = vec![0.0f32; 256 * 2];
            if out.ring.slots() >= cb.len() {
                out.fill(&mut cb);
                got.extend_from_slice(&cb);
            }
        }
        assert!(got == want);
        drop(worker.stop());
        let mut cb = vec![1.0f32; 64];
        while out.ring.slots() > 0 {
            out.fill(&mut cb);
        }
        out.fill(&mut cb);
        assert!(cb.iter().all(|&v| v == 0.0));
        assert!(out.underruns.load(Ordering::Relaxed) >= 1);
    }
}
