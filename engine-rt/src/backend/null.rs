//! A paced output with no device: renders in real time and discards the audio, so a machine
//! without a sound card runs the same engine with the same timing behaviour.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{CallbackStats, CallbackTimer, Feed};

/// A running null output. Dropping it stops the thread.
pub struct NullOutput {
    stop: Arc<AtomicBool>,
    join: Option<JoinHandle<()>>,
}

impl NullOutput {
    /// Starts rendering `buffer`-frame blocks of `channels` channels on a thread of its own,
    /// one block per buffer period.
    pub fn start(
        mut feed: Feed,
        sample_rate: u32,
        channels: usize,
        buffer: usize,
        stats: Arc<CallbackStats>,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let buffer = buffer.max(1);
        let join = std::thread::Builder::new()
            .name("phosphene-null-audio".into())
            .spawn(move || {
                let sr = sample_rate;
                let mut out = vec![0.0f32; buffer * channels];
                let period = Duration::from_secs_f64(buffer as f64 / sr as f64);
                let mut deadline = Instant::now();
                while !stop2.load(Ordering::Relaxed) {
                    {
                        let _t = CallbackTimer::start(&stats, buffer, sr);
                        feed.fill(&mut out, channels, &stats, None);
                    }
                    deadline += period;
                    let now = Instant::now();
                    if deadline > now {
                        std::thread::sleep(deadline - now);
                    } else if now - deadline > period * 4 {
                        // Fell far behind (machine suspended or overloaded): count it and resync.
                        stats.stream_error();
                        deadline = now;
                    }
                }
            })?;
        Ok(Self { stop, join: Some(join) })
    }
}

impl Drop for NullOutput {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}
