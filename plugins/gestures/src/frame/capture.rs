//! The capture thread: runs a [`FrameSource`] on its own thread and keeps
//! only the newest frame for the UI, which must never wait on a camera.
//!
//! A source that fails is dropped and re-made with backoff, and every such
//! event becomes a notice for the UI. Dropping [`Capture`] never hangs:
//! camera reads can block forever (nokhwa issues #111, #165, #227), so the
//! thread is joined only if it stops within [`STOP_GRACE`], else detached.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Frame, FrameError, FrameSource};

/// First wait before re-making a failed source.
pub const MIN_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long dropping [`Capture`] waits for the thread before detaching it.
pub const STOP_GRACE: Duration = Duration::from_millis(500);
/// Corrupt/format errors in a row after which the source is re-made; a
/// single bad frame is skipped, a source that only fails is not spun on.
const MAX_CONSECUTIVE_ERRORS: u32 = 8;
/// Notices kept when the UI does not collect them.
const MAX_NOTICES: usize = 64;

/// What the capture thread is doing.
#[derive(Clone, Debug, PartialEq)]
pub enum CaptureStatus {
    /// Making the source.
    Starting,
    /// Delivering frames.
    Running {
        /// Recent frames per second (smoothed).
        fps: f32,
    },
    /// The source failed; another attempt is scheduled.
    Retrying {
        /// Why the last attempt failed.
        reason: String,
        /// When the next attempt starts.
        next_attempt: Instant,
    },
    /// The thread has ended.
    Stopped,
}

/// Frame counters since the capture started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureCounters {
    /// Frames the source delivered.
    pub captured: u64,
    /// Frames overwritten by a newer one before [`Capture::latest`] took them.
    pub dropped: u64,
}

/// State shared between the capture thread and its owner.
struct Shared {
    slot: Mutex<Option<Frame>>,
    /// Signalled when a frame is published, for [`Capture::wait_latest`].
    fresh: Condvar,
    status: Mutex<CaptureStatus>,
    notices: Mutex<VecDeque<String>>,
    stop: AtomicBool,
    /// Wakes the thread from a backoff sleep when stopping.
    wake: Condvar,
    wake_lock: Mutex<()>,
    captured: AtomicU64,
    dropped: AtomicU64,
}

/// Locks ignoring poison: the data behind these locks is always consistent
/// (each critical section is a single assignment).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    fn set_status(&self, status: CaptureStatus) {
        *lock(&self.status) = status;
    }

    fn notice(&self, text: String) {
        let mut notices = lock(&self.notices);
        if notices.len() == MAX_NOTICES {
            notices.pop_front();
        }
        notices.push_back(text);
    }

    fn publish(&self, frame: Frame) {
        // The lock is held only for the swap; the old frame is freed after.
        let old = lock(&self.slot).replace(frame);
        self.fresh.notify_one();
        self.captured.fetch_add(1, Ordering::Relaxed);
        if old.is_some() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Sleeps up to `duration`, returning early when asked to stop.
    fn sleep(&self, duration: Duration) {
        let deadline = Instant::now() + duration;
        let mut guard = lock(&self.wake_lock);
        while !self.stopping() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            guard = self
                .wake
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// A running capture thread; see the module docs.
pub struct Capture {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    /// Starts a thread named `name` that makes a source with `make_source`
    /// (again after each failure) and captures from it until dropped.
    pub fn start(
        make_source: impl FnMut() -> Result<Box<dyn FrameSource>, FrameError> + Send + 'static,
        name: &str,
    ) -> Result<Capture, FrameError> {
        let shared = Arc::new(Shared {
            slot: Mutex::new(None),
            fresh: Condvar::new(),
            status: Mutex::new(CaptureStatus::Starting),
            notices: Mutex::new(VecDeque::new()),
            stop: AtomicBool::new(false),
            wake: Condvar::new(),
            wake_lock: Mutex::new(()),
            captured: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        });
        let thread_shared = Arc::clone(&shared);
        let label = name.to_owned();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || run(&thread_shared, make_source, &label))
            .map_err(|source| FrameError::Io {
                what: format!("capture thread {name}"),
                source,
            })?;
        Ok(Capture {
            shared,
            thread: Some(thread),
        })
    }

    /// The newest frame not yet taken, if any. Never blocks: if the capture
    /// thread is mid-swap this returns `None` and the frame waits.
    pub fn latest(&self) -> Option<Frame> {
        match self.shared.slot.try_lock() {
            Ok(mut slot) => slot.take(),
            Err(TryLockError::Poisoned(p)) => p.into_inner().take(),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// The newest frame not yet taken, waiting up to `timeout` for one: for a worker thread
    /// that processes every frame it can (the UI uses [`Capture::latest`]).
    pub fn wait_latest(&self, timeout: Duration) -> Option<Frame> {
        let slot = lock(&self.shared.slot);
        let (mut slot, _) = self
            .shared
            .fresh
            .wait_timeout_while(slot, timeout, |s| s.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        slot.take()
    }

    /// What the thread is doing now.
    pub fn status(&self) -> CaptureStatus {
        lock(&self.shared.status).clone()
    }

    /// Takes the notices (failures, retries) gathered since the last call.
    pub fn take_notices(&self) -> Vec<String> {
        lock(&self.shared.notices).drain(..).collect()
    }

    /// Frames captured and dropped so far.
    pub fn counters(&self) -> CaptureCounters {
        CaptureCounters {
            captured: self.shared.captured.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        {
            let _guard = lock(&self.shared.wake_lock);
            self.shared.wake.notify_all();
        }
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = Instant::now() + STOP_GRACE;
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if thread.is_finished() {
            // The thread never panics on its own; a panic inside a source
            // has already been reported by the panic hook.
            let _ = thread.join();
        }
        // Otherwise the handle is dropped, detaching a thread stuck in a
        // blocking read; it exits when the read returns.
    }
}

/// The thread body: make a source, capture until it fails, back off, repeat.
fn run(shared: &Shared, mut make_source: impl FnMut() -> Result<Box<dyn FrameSource>, FrameError>, name: &str) {
    let mut backoff = MIN_BACKOFF;
    while !shared.stopping() {
        shared.set_status(CaptureStatus::Starting);
        let reason = match make_source() {
            Ok(mut source) => {
                let (delivered, failure) = capture_from(shared, source.as_mut());
                let Some(failure) = failure else { break };
                if delivered {
                    backoff = MIN_BACKOFF;
                }
                format!("{name}: {} failed: {failure}", source.describe())
            }
            Err(e) => format!("{name}: could not open source: {e}"),
        };
        let next_attempt = Instant::now() + backoff;
        shared.notice(format!("{reason}; retrying in {:.1} s", backoff.as_secs_f32()));
        shared.set_status(CaptureStatus::Retrying { reason, next_attempt });
        shared.sleep(backoff);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    shared.set_status(CaptureStatus::Stopped);
}

/// Captures until stopped (`None`) or until the source fails (`Some`);
/// also says whether any frame was delivered.
fn capture_from(shared: &Shared, source: &mut dyn FrameSource) -> (bool, Option<FrameError>) {
    let mut delivered = false;
    let mut consecutive_errors = 0;
    let mut last: Option<Instant> = None;
    let mut mean_interval = 0.0f32;
    while !shared.stopping() {
        let error = match source.next_frame().and_then(|f| f.validate().map(|()| f)) {
            Ok(frame) => {
                let now = Instant::now();
                if let Some(last) = last {
                    let dt = (now - last).as_secs_f32();
                    mean_interval = if mean_interval == 0.0 {
                        dt
                    } else {
                        0.9 * mean_interval + 0.1 * dt
                    };
                }
                last = Some(now);
                let fps = if mean_interval > 0.0 { 1.0 / mean_interval } else { 0.0 };
                shared.set_status(CaptureStatus::Running { fps });
                shared.publish(frame);
                delivered = true;
                consecutive_errors = 0;
                continue;
            }
            Err(e) => e,
        };
        match error {
            FrameError::Corrupt { .. } | FrameError::Format { .. }
                if consecutive_errors + 1 < MAX_CONSECUTIVE_ERRORS =>
            {
                consecutive_errors += 1;
                shared.notice(format!("{}: skipped a frame: {error}", source.describe()));
            }
            _ => return (delivered, Some(error)),
        }
    }
    (delivered, None)
}

#[cfg(test)]
#[path = "capture_tests.rs"]
mod tests;
