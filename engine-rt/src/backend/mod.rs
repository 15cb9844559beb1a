//! Backends: thin adapters that call [`crate::EngineProcessor::process`].
//!
//! - [`offline`]: as fast as possible into memory or a WAV file (tests, exports).
//! - [`null`]: paced in real time with no device, for machines without audio hardware.
//! - [`cpal`]: a real device through cpal (ALSA, JACK, ...).
//! - [`ahead`]: optional render-ahead between the processor and a device callback.

pub mod ahead;
pub mod cpal;
pub mod null;
pub mod offline;
pub mod output_clock;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Real-time priority of the render-ahead worker: below a typical audio server's callback (JACK
/// runs its clients at 70..90 by default), above everything else.
pub const WORKER_PRIORITY: i32 = 60;

/// Gives the calling thread SCHED_FIFO real-time priority `priority` (1..99). Fails where the
/// process lacks the right (no `rtprio` limit or CAP_SYS_NICE); the thread then keeps running at
/// normal priority.
pub fn promote_to_realtime(priority: i32) -> Result<(), String> {
    #[cfg(unix)]
    {
        let param = libc::sched_param {
            sched_priority: priority,
        };
        // SAFETY: plain FFI call on the current thread with a valid, initialised parameter.
        let rc = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
        if rc == 0 {
            Ok(())
        } else {
            Err(format!(
                "real-time priority {priority} refused: {}",
                std::io::Error::from_raw_os_error(rc)
            ))
        }
    }
    #[cfg(not(unix))]
    {
        Err(format!(
            "real-time priority {priority} is not supported on this platform"
        ))
    }
}

/// What a device callback renders from: the processor itself, or a render-ahead ring that a
/// worker thread keeps filled (see [`ahead`]).
pub enum Feed {
    /// The processor runs inside the callback: lowest latency.
    Direct(Box<crate::EngineProcessor>),
    /// The callback only copies what the render-ahead worker prepared.
    Ahead(ahead::AheadOutput),
}

impl Feed {
    /// Fills an interleaved buffer of `channels` channels, first stamping on `stats`' output
    /// clock which engine frame the buffer starts with and when (`heard_in`: how long until
    /// its first frame is heard, when the audio API says).
    #[inline]
    pub fn fill(&mut self, out: &mut [f32], channels: usize, stats: &CallbackStats, heard_in: Option<Duration>) {
        match self {
            Feed::Direct(p) => {
                stats.clock.stamp(p.frame(), heard_in);
                p.process(out, channels);
            }
            Feed::Ahead(a) => {
                stats.clock.stamp(a.frame(), heard_in);
                a.fill(out);
            }
        }
    }
}

/// Histogram resolution: bins per whole buffer period.
const BINS_PER_PERIOD: usize = 1000;
/// Histogram range in buffer periods (longer callbacks land in the last bin).
const PERIODS: usize = 4;

/// How long callbacks take compared to the time they have (their buffer's duration). Updated
/// from the audio thread with relaxed atomics only.
#[derive(Debug)]
pub struct CallbackStats {
    callbacks: AtomicU64,
    /// Largest fraction seen, as f64 bits.
    max_bits: AtomicU64,
    histogram: Box<[AtomicU64]>,
    stream_errors: AtomicU64,
    /// Where the device is in engine frames, stamped each callback.
    pub clock: output_clock::OutputClock,
}

impl Default for CallbackStats {
    fn default() -> Self {
        Self {
            callbacks: AtomicU64::new(0),
            max_bits: AtomicU64::new(0),
            histogram: (0..BINS_PER_PERIOD * PERIODS).map(|_| AtomicU64::new(0)).collect(),
            stream_errors: AtomicU64::new(0),
            clock: output_clock::OutputClock::new(),
        }
    }
}

impl CallbackStats {
    /// A shared, empty set of statistics.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Records one callback that took `elapsed_s` for a buffer lasting `period_s`.
    #[inline]
    pub fn record(&self, elapsed_s: f64, period_s: f64) {
        let f = if period_s > 0.0 { elapsed_s / period_s } else { 0.0 };
        self.callbacks.fetch_add(1, Ordering::Relaxed);
        self.max_bits.fetch_max(f.to_bits(), Ordering::Relaxed);
        let bin = ((f * BINS_PER_PERIOD as f64) as usize).min(self.histogram.len() - 1);
        self.histogram[bin].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a stream error (xrun, device loss) reported by the host.
    pub fn stream_error(&self) {
        self.stream_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Callbacks recorded.
    pub fn callbacks(&self) -> u64 {
        self.callbacks.load(Ordering::Relaxed)
    }

    /// Largest fraction of the buffer period spent in a callback.
    pub fn max_fraction(&self) -> f64 {
        // Non-negative f64 bit patterns order like the values, so fetch_max works.
        f64::from_bits(self.max_bits.load(Ordering::Relaxed))
    }

    /// Fraction below which `q` (0..1) of the callbacks stayed (upper edge of its bin).
    pub fn quantile_fraction(&self, q: f64) -> f64 {
        let total = self.callbacks();
        if total == 0 {
            return 0.0;
        }
        let want = (q * total as f64).ceil() as u64;
        let mut seen = 0;
        for (i, b) in self.histogram.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= want {
                return ((i + 1) as f64 / BINS_PER_PERIOD as f64).min(self.max_fraction());
            }
        }
        self.max_fraction()
    }

    /// Stream errors reported by the host.
    pub fn stream_errors(&self) -> u64 {
        self.stream_errors.load(Ordering::Relaxed)
    }
}

/// Times one callback; records when dropped.
pub struct CallbackTimer<'a> {
    stats: &'a CallbackStats,
    start: Instant,
    period_s: f64,
}

impl<'a> CallbackTimer<'a> {
    /// Starts timing a callback that renders `frames` at `sample_rate`.
    #[inline]
    pub fn start(stats: &'a CallbackStats, frames: usize, sample_rate: u32) -> Self {
        Self {
            stats,
            start: Instant::now(),
            period_s: frames as f64 / sample_rate as f64,
        }
    }
}

impl Drop for CallbackTimer<'_> {
    fn drop(&mut self) {
        self.stats.record(self.start.elapsed().as_secs_f64(), self.period_s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_max() {
        let s = CallbackStats::default();
        for i in 0..1000 {
            s.record(if i == 999 { 0.9 } else { 0.1 }, 1.0);
        }
        assert_eq!(s.callbacks(), 1000);
        assert!((s.max_fraction() - 0.9).abs() < 1e-12);
        assert!((s.quantile_fraction(0.5) - 0.101).abs() < 1e-9);
        assert!((s.quantile_fraction(0.9995) - 0.9).abs() < 1e-9);
    }
}
