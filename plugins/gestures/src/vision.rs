//! The vision worker: a thread that takes each newest frame from the capture thread, measures
//! motion (and hands, when the model runs) and sends what it saw to the app over a bounded
//! channel. Bevy never waits on it: the app drains the channel each frame.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use phosphene_controls::input::{Direction, Gesture, Region};

use crate::frame::camera::{CameraFormatChoice, CameraSource};
use crate::frame::capture::{Capture, CaptureStatus};
use crate::frame::file::{FileOptions, FileSource};
use crate::frame::recorder::Recorder;
use crate::frame::{FrameError, FrameSource, Rate};
use crate::hand_gestures::HandGestures;
use crate::motion::{GestureKind, MotionFrame, MotionTracker, Zone};
use crate::seen::{HandsFrom, RegionSeen, Seen};
use crate::settings::{CameraChoice, CameraConfig, HandsChoice};
use crate::tracking::{self, HandPaths};
use crate::view::{CameraView, Preview, preview};

/// Frames the channel to the app holds; older ones are dropped when the app stalls.
const QUEUE: usize = 8;
/// How long the worker waits for a frame before it looks at its stop flag again.
const POLL: Duration = Duration::from_millis(100);
/// The size asked of a live camera: enough for hands at a few metres, cheap to measure.
pub const CAMERA_SIZE: (u32, u32) = (640, 480);
/// The frame rate asked of a live camera.
pub const CAMERA_FPS: u32 = 30;
/// The rate a rehearsal recording is written at (a camera's usual rate).
const RECORD_RATE: u32 = 30;

/// What the worker shares with the app besides the frames it saw.
#[derive(Default)]
struct Shared {
    preview: Option<Preview>,
    notices: Vec<String>,
    state: String,
    fps: f32,
    frames: u64,
    skipped: u64,
    zones: Option<Vec<Zone>>,
}

/// The running vision worker (a resource while a camera runs).
#[derive(Resource)]
pub struct Vision {
    camera: CameraChoice,
    format: CameraFormatChoice,
    hands: HandsChoice,
    record: Option<std::path::PathBuf>,
    hands_note: String,
    /// The zones last sent to the worker.
    zones: Vec<Zone>,
    /// In a mutex only because a resource must be `Sync`; only the app's reading system locks it.
    seen: Mutex<Receiver<Seen>>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    latency_ms: f32,
}

fn lock(m: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Vision {
    /// Starts the capture and the worker for `camera`, with the rest of `config`. A camera
    /// that cannot open is retried by the capture thread and said in the view, never an error.
    pub fn start(camera: &CameraChoice, config: &CameraConfig) -> Self {
        let camera = camera.clone();
        let (hands, hands_note) = tracking::paths(config);
        let why_not = hands_note.clone();
        let (tx, rx) = sync_channel(QUEUE);
        let shared = Arc::new(Mutex::new(Shared {
            zones: Some(config.settings.zones.clone()),
            ..default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            tx,
            shared: shared.clone(),
            stop: stop.clone(),
            record: config.record.clone(),
        };
        let source = (camera.clone(), config.format);
        let thread = std::thread::Builder::new()
            .name("phosphene-vision".into())
            .spawn(move || worker.run(&source.0, source.1, hands, why_not))
            .map_err(|e| {
                lock(&shared)
                    .notices
                    .push(format!("the vision thread did not start: {e}"))
            })
            .ok();
        Self {
            camera,
            format: config.format,
            hands: config.hands,
            record: config.record.clone(),
            hands_note,
            zones: config.settings.zones.clone(),
            seen: Mutex::new(rx),
            shared,
            stop,
            thread,
            latency_ms: 0.0,
        }
    }

    /// Whether this worker already runs what `config` asks (only the zones may differ).
    pub fn follows(&self, config: &CameraConfig) -> bool {
        config.camera.as_ref() == Some(&self.camera)
            && config.format == self.format
            && config.hands == self.hands
            && config.record == self.record
    }

    /// Measures these zones from the next frame on (zones it measures already are left be:
    /// their gestures' histories go on).
    pub fn set_zones(&mut self, zones: &[Zone]) {
        if self.zones != zones {
            self.zones = zones.to_vec();
            lock(&self.shared).zones = Some(self.zones.clone());
        }
    }

    /// Whether the hand model runs, and which, or why not.
    pub fn hands_note(&self) -> String {
        self.hands_note.clone()
    }

    /// The next frame's findings, oldest first; `None` when the app has caught up.
    pub fn next_seen(&mut self) -> Option<Seen> {
        let seen = self
            .seen
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .try_recv()
            .ok()?;
        self.latency_ms = seen.captured.elapsed().as_secs_f32() * 1000.0;
        Some(seen)
    }

    /// Brings the control window's view up to date.
    pub fn update_view(&self, view: &mut CameraView, last: Option<&Seen>) {
        let mut shared = lock(&self.shared);
        for n in shared.notices.drain(..) {
            view.notice(n);
        }
        view.state = shared.state.clone();
        view.fps = shared.fps;
        view.frames = shared.frames;
        view.skipped = shared.skipped;
        if let Some(p) = shared.preview.take() {
            view.preview = Some(p);
        }
        if last.is_some() {
            view.latency_ms = self.latency_ms;
        }
        if let Some(s) = last {
            view.hands = match &s.hands_from {
                HandsFrom::Model => self.hands_note.clone(),
                HandsFrom::Motion(why) => format!("{why}; the picture's motion stands in for the hand"),
            };
        }
        view.recording = self.record.as_ref().map(|p| p.display().to_string());
    }
}

impl Drop for Vision {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // The worker never blocks longer than `POLL`; the capture thread it owns detaches
        // itself if its camera hangs.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The worker thread's end of things.
struct Worker {
    tx: SyncSender<Seen>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    record: Option<std::path::PathBuf>,
}

/// A source for the camera choice (called again by the capture thread after a failure).
fn open(choice: &CameraChoice, format: CameraFormatChoice) -> Result<Box<dyn FrameSource>, FrameError> {
    Ok(match choice {
        CameraChoice::Index(n) => Box::new(CameraSource::open(*n, format, CAMERA_SIZE, CAMERA_FPS)?),
        CameraChoice::File(path) => Box::new(FileSource::open(path, FileOptions::default())?),
    })
}

impl Worker {
    fn run(self, choice: &CameraChoice, format: CameraFormatChoice, hands: Option<HandPaths>, why_not: String) {
        let owned = choice.clone();
        match Capture::start(move || open(&owned, format), "phosphene-capture") {
            Ok(capture) => self.watch(&capture, hands, why_not),
            Err(e) => self.notice(format!("{choice}: {e}")),
        }
    }

    /// Says something to the performer, once (the same trouble on every frame is one notice).
    fn notice(&self, text: String) {
        let mut shared = lock(&self.shared);
        if shared.notices.last() != Some(&text) {
            shared.notices.push(text);
        }
    }

    /// Measures each newest frame until asked to stop.
    fn watch(&self, capture: &Capture, hands: Option<HandPaths>, why_not: String) {
        let mut motion = MotionTracker::default();
        let (mut tracker, mut hands_from) = match hands.map(tracking::load) {
            Some(Ok(t)) => (Some(t), HandsFrom::Model),
            Some(Err(why)) => {
                self.notice(format!("hand model: {why}"));
                (None, HandsFrom::Motion(why))
            }
            None => (None, HandsFrom::Motion(why_not)),
        };
        let mut hand_gestures = HandGestures::default();
        let mut recorder = self.record.as_ref().and_then(|p| {
            Recorder::create(p, Rate::fps(RECORD_RATE))
                .map_err(|e| self.notice(format!("rehearsal recording: {e}")))
                .ok()
        });
        let epoch = Instant::now();
        let mut rate = FrameRate::default();
        while !self.stop.load(Ordering::Acquire) {
            self.refresh(capture, &mut motion, rate.fps);
            let Some(frame) = capture.wait_latest(POLL) else {
                continue;
            };
            if let Some(r) = recorder.as_mut()
                && let Err(e) = r.push(&frame)
            {
                self.notice(format!("rehearsal recording stopped: {e}"));
                recorder = None;
            }
            let t = frame.captured.saturating_duration_since(epoch).as_secs_f64();
            rate.tick(t);
            let luma = frame.luma();
            let measured = match motion.process(&luma, frame.width as usize, frame.height as usize, t) {
                Ok(m) => m.clone(),
                Err(e) => {
                    self.notice(format!("frame {}: {e}", frame.index));
                    continue;
                }
            };
            // The model and the preview share one conversion to RGB.
            let rgb = tracker.is_some().then(|| frame.rgb());
            let mut hands = Vec::new();
            if let (Some(tr), Some(rgb)) = (tracker.as_mut(), rgb.as_deref()) {
                match tracking::track(tr, rgb, frame.width, frame.height) {
                    Ok(h) => hands = h,
                    Err(e) => {
                        // A model that fails at run time is put away: motion goes on.
                        self.notice(format!("hand model stopped: {e}"));
                        hands_from = HandsFrom::Motion(e);
                        tracker = None;
                    }
                }
            }
            let mut events = motion_events(&measured, motion.zones());
            events.extend(hand_gestures.update(&mut hands, t));
            let shown = match &rgb {
                Some(rgb) => preview(rgb, frame.width, frame.height, 3, frame.index),
                None => preview(&luma, frame.width, frame.height, 1, frame.index),
            };
            lock(&self.shared).preview = Some(shown);
            let seen = Seen {
                captured: frame.captured,
                index: frame.index,
                regions: regions(&measured, motion.zones()),
                hands,
                hands_from: hands_from.clone(),
                events,
            };
            match self.tx.try_send(seen) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => lock(&self.shared).skipped += 1,
                Err(TrySendError::Disconnected(_)) => break,
            }
        }
        if let Some(r) = recorder
            && let Err(e) = r.finish()
        {
            self.notice(format!("rehearsal recording: {e}"));
        }
    }

    /// New zones, the capture's notices and state, for the app.
    fn refresh(&self, capture: &Capture, motion: &mut MotionTracker, fps: f32) {
        let zones = lock(&self.shared).zones.take();
        if let Some(z) = zones
            && let Err(e) = motion.set_zones(z)
        {
            self.notice(format!("zones: {e}"));
        }
        for n in capture.take_notices() {
            self.notice(n);
        }
        let state = match capture.status() {
            CaptureStatus::Starting => "starting".to_string(),
            CaptureStatus::Running { .. } => "running".to_string(),
            CaptureStatus::Retrying { reason, .. } => format!("retrying ({reason})"),
            CaptureStatus::Stopped => "stopped".to_string(),
        };
        let mut shared = lock(&self.shared);
        shared.state = state;
        shared.fps = fps;
        shared.frames = capture.counters().captured;
    }
}

/// Frames a second, from the frames' capture times (smoothed over about a second).
#[derive(Debug, Default)]
struct FrameRate {
    last: Option<f64>,
    fps: f32,
}

impl FrameRate {
    fn tick(&mut self, t: f64) {
        if let Some(last) = self.last
            && t > last
        {
            let now = (1.0 / (t - last)) as f32;
            self.fps += (now - self.fps) * 0.1;
        }
        self.last = Some(t);
    }
}

/// The regions of a measured frame as the app names them: the whole picture, then each zone.
fn regions(m: &MotionFrame, zones: &[Zone]) -> Vec<RegionSeen> {
    let one = |region: Region, rect: [f32; 4], f: &crate::motion::Features| RegionSeen {
        region,
        rect,
        energy: f.energy,
        presence: f.presence,
        x: f.centroid.0,
        y: f.centroid.1,
        velocity: [f.velocity.0, f.velocity.1],
        bbox: f.bbox,
    };
    std::iter::once(one(Region::Frame, Zone::full_frame().rect(), &m.frame))
        .chain(
            zones
                .iter()
                .zip(&m.zones)
                .map(|(z, f)| one(Region::Zone(z.name.clone()), z.rect(), f)),
        )
        .collect()
}

/// The discrete gestures of a measured frame as bindings name them.
fn motion_events(m: &MotionFrame, zones: &[Zone]) -> Vec<Gesture> {
    m.events
        .iter()
        .filter_map(|e| {
            let region = match e.region {
                crate::motion::Region::Frame => Region::Frame,
                crate::motion::Region::Zone(i) => Region::Zone(zones.get(i)?.name.clone()),
            };
            Some(match e.kind {
                GestureKind::SwipeLeft => Gesture::Swipe(region, Direction::Left),
                GestureKind::SwipeRight => Gesture::Swipe(region, Direction::Right),
                GestureKind::SwipeUp => Gesture::Swipe(region, Direction::Up),
                GestureKind::SwipeDown => Gesture::Swipe(region, Direction::Down),
                GestureKind::HoldStill => Gesture::Hold(region),
                _ => return None,
            })
        })
        .collect()
}
