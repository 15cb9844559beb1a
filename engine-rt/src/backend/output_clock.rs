//! Where the device is in the engine's frames, against the machine's clock: each callback
//! stamps the engine frame it hands the device and when. A control change stamped with its
//! arrival time becomes the engine frame of that moment (plus one fixed latency), so a knob's
//! moves land with the spacing they were made with, not bunched into UI frames.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering, fence};
use std::time::Instant;

/// The moment all stamps count from (set on first use, from a control thread).
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// The last stamp, written by the audio callback (one writer) and read by the app: a sequence
/// lock of plain atomics, so neither side ever waits on the other.
#[derive(Debug, Default)]
pub struct OutputClock {
    /// Odd while a stamp is being written.
    seq: AtomicU64,
    frame: AtomicU64,
    /// Nanoseconds after [`epoch`] of the stamp; 0 before the first.
    nanos: AtomicU64,
    /// Nanoseconds between the last two stamps: how far ahead of the last stamp the device can
    /// be assumed to have moved on.
    period: AtomicU64,
}

impl OutputClock {
    /// Sets the shared epoch from the thread that builds the output (not the callback's).
    pub fn new() -> Self {
        let _ = epoch();
        Self::default()
    }

    /// From the callback, before it fills the device's buffer: `frame` is the engine frame of
    /// the buffer's first sample. Never blocks, never allocates.
    #[inline]
    pub fn stamp(&self, frame: u64) {
        let nanos = epoch().elapsed().as_nanos().max(1) as u64;
        let last = self.nanos.load(Ordering::Relaxed);
        self.seq.fetch_add(1, Ordering::AcqRel);
        self.frame.store(frame, Ordering::Relaxed);
        self.nanos.store(nanos, Ordering::Relaxed);
        if last > 0 {
            self.period.store(nanos.saturating_sub(last), Ordering::Relaxed);
        }
        self.seq.fetch_add(1, Ordering::Release);
    }

    /// Callbacks stamped so far.
    pub fn stamps(&self) -> u64 {
        self.seq.load(Ordering::Acquire) / 2
    }

    /// The last stamp: the engine frame handed to the device, the moment it was, and the
    /// time between the last two stamps (zero until there were two); `None` before the first.
    pub fn last_stamp(&self) -> Option<(u64, Instant, std::time::Duration)> {
        // A writer is never preempted for long; a few tries always find a whole stamp.
        for _ in 0..64 {
            let before = self.seq.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let frame = self.frame.load(Ordering::Relaxed);
            let nanos = self.nanos.load(Ordering::Relaxed);
            let period = self.period.load(Ordering::Relaxed);
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != before {
                continue;
            }
            if nanos == 0 {
                return None;
            }
            let d = std::time::Duration::from_nanos;
            return Some((frame, epoch() + d(nanos), d(period)));
        }
        None
    }

    /// The engine frame the device was handing out at `at` (extrapolated from the last stamp
    /// at `sample_rate`, by at most two callback periods: a device whose callbacks stall does
    /// not move on), or `None` before the first callback.
    pub fn frame_at(&self, at: Instant, sample_rate: u32) -> Option<f64> {
        let (frame, stamped, period) = self.last_stamp()?;
        let mut since = seconds_between(stamped, at);
        if !period.is_zero() {
            since = since.min(2.0 * period.as_secs_f64());
        }
        Some(frame as f64 + since * f64::from(sample_rate))
    }
}

/// Seconds from `a` to `b`, negative when `b` is earlier.
pub fn seconds_between(a: Instant, b: Instant) -> f64 {
    match b.checked_duration_since(a) {
        Some(d) => d.as_secs_f64(),
        None => -a.saturating_duration_since(b).as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_moment_maps_to_the_frame_the_device_was_at() {
        let clock = OutputClock::new();
        let t0 = Instant::now();
        assert_eq!(clock.frame_at(t0, 48_000), None);
        clock.stamp(96_000);
        let stamped = clock.frame_at(Instant::now(), 48_000).expect("stamped");
        assert!(stamped >= 96_000.0);
        // Ten milliseconds later is 480 frames later, whenever it is asked.
        let later = Instant::now() + Duration::from_millis(10);
        let a = clock.frame_at(later, 48_000).expect("stamped");
        let b = clock
            .frame_at(later + Duration::from_millis(10), 48_000)
            .expect("stamped");
        assert!((b - a - 480.0).abs() < 1e-3, "{a} {b}");
    }
}
