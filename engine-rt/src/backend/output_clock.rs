//! Where the device is in the engine's frames, against the machine's clock: each callback
//! stamps the engine frame it hands the device and when. A control change stamped with its
//! arrival time becomes the engine frame of that moment (plus one fixed latency), so a knob's
//! moves land with the spacing they were made with, not bunched into UI frames.
//!
//! A callback runs late by however long the system took to wake it. Where the audio API says
//! when the buffer will be heard (JACK's and ALSA's playback timestamps, which follow the
//! device's own clock), the stamp's moment is that less the device latency reported for a
//! callback woken on time, so the lateness of the callback itself drops out. The moments then
//! go through a delay-locked loop (the filter JACK's own frame clock uses), which is all there
//! is for an output without such timestamps: the moment of each stamp is predicted from the
//! last one and the measured time per frame, and moved a little towards the measured one. A
//! stall, a stream restart or a counter that goes backwards starts it afresh rather than
//! bending it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering, fence};
use std::time::{Duration, Instant};

/// The moment all stamps count from (set on first use, from a control thread).
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Engine frames a latency window spans (0.34 s at 48 kHz).
const LATENCY_WINDOW_FRAMES: u64 = 16_384;
/// Full latency windows remembered (5.5 s at 48 kHz): a busy spell of seconds in which every
/// callback is woken late does not pass for a shorter latency.
const LATENCY_WINDOWS: usize = 16;

/// The last stamp, written by the audio callback (one writer) and read by the app: a sequence
/// lock of plain atomics, so neither side ever waits on the other.
#[derive(Debug, Default)]
pub struct OutputClock {
    /// Odd while a stamp is being written.
    seq: AtomicU64,
    frame: AtomicU64,
    /// Smoothed nanoseconds after [`epoch`] of the stamp (`f64` bits); 0 before the first.
    nanos: AtomicU64,
    /// Smoothed nanoseconds a frame lasts (`f64` bits; 0 until two stamps were seen). Only
    /// the callback reads it.
    per_frame: AtomicU64,
    /// Nanoseconds after [`epoch`] of the last stamp before smoothing.
    raw: AtomicU64,
    /// Nanoseconds between the last two stamps: how far ahead of the last stamp the device can
    /// be assumed to have moved on.
    period: AtomicU64,
    /// Nanoseconds from the last stamp to its first frame at the speaker, as the audio API
    /// reports it for a callback woken on time (0: not reported).
    latency: AtomicU64,
    /// The callback's own record of the reported latencies (see
    /// [`OutputClock::track_latency`]): the second longest report of each of the last
    /// [`LATENCY_WINDOWS`] full windows (0: none), the longest and second longest of the window
    /// filling now, the engine frame that window began at, and the windows filled so far.
    latency_windows: [AtomicU64; LATENCY_WINDOWS],
    latency_now: AtomicU64,
    latency_next: AtomicU64,
    latency_from: AtomicU64,
    latency_filled: AtomicU64,
}

/// One callback's stamp, as read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    /// The engine frame handed to the device.
    pub frame: u64,
    /// When it was handed (smoothed).
    pub moment: Instant,
    /// The time between the last two stamps (zero until there were two).
    pub period: Duration,
    /// From `moment` until that frame is heard, as the audio API reports it; `None` where it
    /// reports nothing.
    pub device_latency: Option<Duration>,
}

impl OutputClock {
    /// Sets the shared epoch from the thread that builds the output (not the callback's).
    pub fn new() -> Self {
        let _ = epoch();
        Self::default()
    }

    /// From the callback, before it fills the device's buffer: `frame` is the engine frame of
    /// the buffer's first sample; `heard_in`, when the audio API reports it, how long from now
    /// until that sample reaches the speaker. Never blocks, never allocates.
    #[inline]
    pub fn stamp(&self, frame: u64, heard_in: Option<Duration>) {
        self.stamp_at(frame, epoch().elapsed().as_nanos().max(1) as f64, heard_in);
    }

    /// [`OutputClock::stamp`] at `now`, nanoseconds after [`epoch`].
    fn stamp_at(&self, frame: u64, now: f64, heard_in: Option<Duration>) {
        let before = Loop {
            frame: self.frame.load(Ordering::Relaxed),
            nanos: f64::from_bits(self.nanos.load(Ordering::Relaxed)),
            per_frame: f64::from_bits(self.per_frame.load(Ordering::Relaxed)),
        };
        if before.nanos > 0.0 && frame <= before.frame {
            // A restart: what was reported before may not hold for the new stream.
            self.forget_latency(frame);
        }
        let heard_in = heard_in.map(|h| h.as_nanos().min(u128::from(u64::MAX)) as u64);
        // A zero report before any other is an API that reports nothing.
        let heard_in = heard_in.filter(|&h| h > 0 || self.latency_in_memory() > 0);
        let (moment, latency, resync) = match heard_in {
            Some(h) => {
                let latency = self.track_latency(frame, h);
                // When the buffer is heard, less the latency of a callback woken on time: the
                // moment it would have run then. What is left is the device's own timing, so an
                // error past 2 ms is a real move (an xrun, a latency it changed).
                (now + h as f64 - latency as f64, latency, Loop::RESYNC_EXACT_NANOS)
            }
            None => (now, 0, Loop::RESYNC_NANOS),
        };
        let last = self.raw.load(Ordering::Relaxed);
        let after = before.update(frame, moment, resync);
        let moment = moment.max(1.0) as u64;
        self.seq.fetch_add(1, Ordering::AcqRel);
        fence(Ordering::Release);
        self.frame.store(after.frame, Ordering::Relaxed);
        self.nanos.store(after.nanos.to_bits(), Ordering::Relaxed);
        self.per_frame.store(after.per_frame.to_bits(), Ordering::Relaxed);
        self.raw.store(moment, Ordering::Relaxed);
        self.latency.store(latency, Ordering::Relaxed);
        if last > 0 {
            self.period.store(moment.saturating_sub(last), Ordering::Relaxed);
        }
        self.seq.fetch_add(1, Ordering::Release);
    }

    /// Follows the reported latency (`nanos`, at engine frame `frame`). A callback woken late
    /// reports that much less (its buffer is heard as soon as ever), so the latency is the
    /// longest report of the last few seconds: a callback woken on time. One report alone
    /// (a cycle around an xrun) cannot lengthen it: each window counts its second longest. A
    /// longer latency is taken from its second report. A shorter one (a device reconfigured,
    /// ports repatched) once a whole window stayed below it by more than half a callback
    /// period, which wakeup lateness alone does not do (a real-time callback woken that late,
    /// every time, for a third of a second). Returns it.
    fn track_latency(&self, frame: u64, nanos: u64) -> u64 {
        let (longest, next) = (
            self.latency_now.load(Ordering::Relaxed),
            self.latency_next.load(Ordering::Relaxed),
        );
        let (longest, next) = if nanos > longest {
            (nanos, longest)
        } else {
            (longest, next.max(nanos))
        };
        self.latency_now.store(longest, Ordering::Relaxed);
        self.latency_next.store(next, Ordering::Relaxed);
        let from = self.latency_from.load(Ordering::Relaxed);
        if frame.saturating_sub(from) < LATENCY_WINDOW_FRAMES {
            return self.latency_in_memory();
        }
        let window = if next > 0 { next } else { longest };
        let period = self.period.load(Ordering::Relaxed);
        if period > 0 && window.saturating_add(period / 2) < self.remembered() {
            self.forget_latency(frame);
        }
        let filled = self.latency_filled.load(Ordering::Relaxed);
        self.latency_windows[filled as usize % LATENCY_WINDOWS].store(window, Ordering::Relaxed);
        self.latency_filled.store(filled + 1, Ordering::Relaxed);
        self.latency_now.store(0, Ordering::Relaxed);
        self.latency_next.store(0, Ordering::Relaxed);
        self.latency_from.store(frame, Ordering::Relaxed);
        self.latency_in_memory()
    }

    /// The longest latency of the full windows remembered.
    fn remembered(&self) -> u64 {
        self.latency_windows
            .iter()
            .map(|w| w.load(Ordering::Relaxed))
            .max()
            .unwrap_or(0)
    }

    /// The latency now: the remembered windows' and the filling window's second longest report
    /// (its only one, while it has one).
    fn latency_in_memory(&self) -> u64 {
        let next = self.latency_next.load(Ordering::Relaxed);
        let filling = if next > 0 {
            next
        } else {
            self.latency_now.load(Ordering::Relaxed)
        };
        let remembered = self.remembered();
        if remembered > 0 { remembered.max(next) } else { filling }
    }

    /// Drops every remembered latency report; the next window begins at `frame`.
    fn forget_latency(&self, frame: u64) {
        for w in self
            .latency_windows
            .iter()
            .chain([&self.latency_now, &self.latency_next])
        {
            w.store(0, Ordering::Relaxed);
        }
        self.latency_from.store(frame, Ordering::Relaxed);
    }

    /// Callbacks stamped so far.
    pub fn stamps(&self) -> u64 {
        self.seq.load(Ordering::Acquire) / 2
    }

    /// The last stamp whole (every field from the same callback); `None` before the first.
    pub fn last_stamp(&self) -> Option<Stamp> {
        // A writer is never preempted for long; a few tries always find a whole stamp.
        for _ in 0..64 {
            let before = self.seq.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let frame = self.frame.load(Ordering::Relaxed);
            let nanos = f64::from_bits(self.nanos.load(Ordering::Relaxed)).max(0.0) as u64;
            let period = self.period.load(Ordering::Relaxed);
            let latency = self.latency.load(Ordering::Relaxed);
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != before {
                continue;
            }
            if nanos == 0 {
                return None;
            }
            let d = Duration::from_nanos;
            return Some(Stamp {
                frame,
                moment: epoch() + d(nanos),
                period: d(period),
                device_latency: (latency > 0).then(|| d(latency)),
            });
        }
        None
    }

    /// The engine frame the device was handing out at `at` (extrapolated from the last stamp
    /// at `sample_rate`, by at most two callback periods: a device whose callbacks stall does
    /// not move on), or `None` before the first callback.
    pub fn frame_at(&self, at: Instant, sample_rate: u32) -> Option<f64> {
        let s = self.last_stamp()?;
        let mut since = seconds_between(s.moment, at);
        if !s.period.is_zero() {
            since = since.min(2.0 * s.period.as_secs_f64());
        }
        Some(s.frame as f64 + since * f64::from(sample_rate))
    }
}

/// The delay-locked loop's state: the smoothed moment of a stamped frame and the time a frame
/// lasts. Its gains give it a bandwidth of about 1 Hz at a 5 ms callback: a callback woken a
/// millisecond late moves the clock by 50 µs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Loop {
    frame: u64,
    nanos: f64,
    per_frame: f64,
}

impl Loop {
    /// How far the predicted moment moves towards the measured one.
    const TIME_GAIN: f64 = 0.05;
    /// How far the time per frame moves (per frame of the error).
    const RATE_GAIN: f64 = 0.0012;
    /// An error beyond this (a stall, a restart) starts the loop afresh.
    const RESYNC_NANOS: f64 = 50e6;
    /// The same for moments the device's own timestamps made, which carry no wakeup lateness:
    /// a larger error is the device moving (an xrun, a latency it changed).
    const RESYNC_EXACT_NANOS: f64 = 2e6;

    /// The state after a callback stamped `frame` at `now` (nanoseconds after the epoch); an
    /// error beyond `resync` nanoseconds starts it afresh.
    fn update(self, frame: u64, now: f64, resync: f64) -> Self {
        let fresh = |per_frame| Self {
            frame,
            nanos: now,
            per_frame,
        };
        if self.nanos <= 0.0 || frame <= self.frame {
            // The first stamp, or a counter that stood still or went back (a restart).
            return fresh(self.per_frame);
        }
        let frames = (frame - self.frame) as f64;
        if self.per_frame <= 0.0 {
            return fresh((now - self.nanos) / frames);
        }
        let predicted = self.nanos + frames * self.per_frame;
        let error = now - predicted;
        if error.abs() > resync {
            return fresh(self.per_frame);
        }
        let per_frame = self.per_frame + Self::RATE_GAIN * error / frames;
        Self {
            frame,
            nanos: predicted + Self::TIME_GAIN * error,
            // A time per frame that is not positive is nonsense: measure it again.
            per_frame: if per_frame > 0.0 { per_frame } else { 0.0 },
        }
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

    #[test]
    fn a_moment_maps_to_the_frame_the_device_was_at() {
        let clock = OutputClock::new();
        let t0 = Instant::now();
        assert_eq!(clock.frame_at(t0, 48_000), None);
        clock.stamp(96_000, None);
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

    #[test]
    fn the_loop_smooths_late_wakeups_and_survives_stalls_and_restarts() {
        // 256-frame callbacks at 48 kHz, each woken 0 to 2 ms late.
        let period = 256.0 / 48_000.0 * 1e9;
        let mut rng: u64 = 1;
        let mut late = || {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (rng >> 33) as f64 / f64::from(u32::MAX >> 1) * 2e6
        };
        let mut l = Loop {
            frame: 0,
            nanos: 0.0,
            per_frame: 0.0,
        };
        let mut worst: f64 = 0.0;
        for n in 1..4000u64 {
            let ideal = 1e9 + n as f64 * period;
            l = l.update(n * 256, ideal + late(), Loop::RESYNC_NANOS);
            if n > 2000 {
                // Once settled, within a fraction of the wakeup jitter of the true moment
                // (plus the mean lateness, a constant).
                worst = worst.max((l.nanos - ideal - 1e6).abs());
            }
        }
        assert!(worst < 0.35e6, "worst {worst} ns");
        // A 200 ms stall starts it afresh at the late callback; a restart at frame 0 too.
        let t = l.nanos + 200e6;
        let after = l.update(l.frame + 256, t, Loop::RESYNC_NANOS);
        assert_eq!(after.nanos, t);
        let restarted = after.update(0, t + 1e6, Loop::RESYNC_NANOS);
        assert_eq!((restarted.frame, restarted.nanos), (0, t + 1e6));
    }

    /// 256-frame callbacks at 48 kHz from callback `from` to `to`, each woken `late(n)`
    /// nanoseconds late, the audio API reporting each buffer heard `latency` after its cycle
    /// began; returns the spread (nanoseconds) of the stamps' offsets from the cycles' starts
    /// over the last `settled` callbacks.
    fn run(clock: &OutputClock, from: u64, to: u64, latency: f64, settled: u64, late: impl Fn(u64) -> f64) -> f64 {
        let period = 256.0 / 48_000.0 * 1e9;
        let (mut low, mut high) = (f64::MAX, f64::MIN);
        for n in from..to {
            let cycle = 1e9 + n as f64 * period;
            let heard_in = Duration::from_nanos((latency - late(n)).max(0.0) as u64);
            clock.stamp_at(n * 256, cycle + late(n), Some(heard_in));
            if n >= to - settled {
                let offset = f64::from_bits(clock.nanos.load(Ordering::Relaxed)) - cycle;
                low = low.min(offset);
                high = high.max(offset);
            }
        }
        high - low
    }

    /// A pseudo-random lateness of 0 to `max` nanoseconds for callback `n`.
    fn jitter(n: u64, max: f64) -> f64 {
        let r = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (r >> 33) as f64 / f64::from(u32::MAX >> 1) * max
    }

    #[test]
    fn a_reported_playback_moment_cancels_late_wakeups() {
        let clock = OutputClock::new();
        let latency = 10.67e6;
        // Woken 0 to 3 ms late; then a busy spell of 2.7 s in which every callback is at least
        // 2 ms late; then one report 3 ms too long (a cycle around an xrun): the stamps keep
        // one offset from the cycles' true starts throughout.
        let spread = run(&clock, 1, 4000, latency, 1000, |n| match n {
            3200..3700 => 2e6 + jitter(n, 1e6),
            3800 => -3e6,
            _ => jitter(n, 3e6),
        });
        assert!(spread < 0.2e6, "spread {spread} ns");
        let reported = clock.last_stamp().and_then(|s| s.device_latency).expect("reported");
        let reported = reported.as_nanos() as f64;
        assert!(reported <= latency && reported > latency - 0.5e6, "{reported}");
    }

    #[test]
    fn a_shorter_latency_is_taken_within_two_windows() {
        let clock = OutputClock::new();
        run(&clock, 1, 2000, 10.67e6, 1, |n| jitter(n, 1e6));
        // The ports were repatched: every buffer is heard 5.33 ms sooner from now on.
        let spread = run(&clock, 2000, 2400, 5.33e6, 200, |n| jitter(n, 1e6));
        assert!(spread < 0.2e6, "spread {spread} ns");
        let reported = clock.last_stamp().and_then(|s| s.device_latency).expect("reported");
        assert!(reported.as_nanos() as f64 <= 5.33e6, "{reported:?}");
    }
}
