//! The vision worker: a thread that takes each newest frame from the capture thread, measures
//! motion (and hands, when the model runs) and sends what it saw to the app over a bounded
//! channel. Bevy never waits on it: the app drains the channel each frame.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
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
use crate::settings::{CameraChoice, CameraConfig};
use crate::tracking::{self, HandPaths};
use crate::view::{CameraView, Preview, preview};

/// Frames the channel to the app holds; older ones are dropped when the app stalls.
const QUEUE: usize = 8;
/// How long the worker waits for a frame before it looks at its stop flag again.
const POLL: Duration = Duration::from_millis(20);
/// The size asked of a live camera: enough for hands at a few metres, cheap to measure.
pub const CAMERA_SIZE: (u32, u32) = (640, 480);
/// The frame rate asked of a live camera, and the rate rehearsal recordings are written at.
pub const CAMERA_FPS: u32 = 30;

/// What the worker shares with the app besides the frames it saw.
struct Shared {
    preview: Option<Preview>,
    notices: Vec<String>,
    state: String,
    fps: f32,
    frames: u64,
    skipped: u64,
    zones: Option<Vec<Zone>>,
    recording: Option<String>,
}

/// The running vision worker (a resource while a camera runs).
#[derive(Resource)]
pub struct Vision {
    /// The settings it runs with (its zones follow [`Vision::set_zones`]).
    config: CameraConfig,
    /// Whether the hand model runs, and which, or why not.
    hands_note: String,
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

/// What the worker thread is asked to do.
struct Job {
    camera: CameraChoice,
    format: CameraFormatChoice,
    hands: Option<HandPaths>,
    why_no_hands: String,
    mirrored: bool,
    record: Option<PathBuf>,
}

impl Vision {
    /// Starts the capture and the worker for `camera`, with the rest of `config`. A camera
    /// that cannot open is retried by the capture thread and said in the view, never an error.
    pub fn start(camera: &CameraChoice, config: &CameraConfig) -> Self {
        let (hands, hands_note) = tracking::paths(config);
        let (tx, rx) = sync_channel(QUEUE);
        let shared = Arc::new(Mutex::new(Shared {
            preview: None,
            notices: Vec::new(),
            state: "starting".into(),
            fps: 0.0,
            frames: 0,
            skipped: 0,
            zones: Some(config.settings.zones.clone()),
            recording: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            tx,
            shared: shared.clone(),
            stop: stop.clone(),
        };
        let job = Job {
            camera: camera.clone(),
            format: config.format,
            hands,
            why_no_hands: hands_note.clone(),
            mirrored: !config.unmirrored,
            record: config.record.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("phosphene-vision".into())
            .spawn(move || worker.run(job))
            .map_err(|e| {
                lock(&shared)
                    .notices
                    .push(format!("the vision thread did not start: {e}"))
            })
            .ok();
        Self {
            config: CameraConfig {
                camera: Some(camera.clone()),
                ..config.clone()
            },
            hands_note,
            seen: Mutex::new(rx),
            shared,
            stop,
            thread,
            latency_ms: 0.0,
        }
    }

    /// Whether this worker already runs what `config` asks (only the zones may differ).
    pub fn follows(&self, config: &CameraConfig) -> bool {
        let mut same = config.clone();
        same.settings = self.config.settings.clone();
        same == self.config
    }

    /// Measures these zones from the next frame on; zones it measures already are left be, so
    /// their gestures' histories go on.
    pub fn set_zones(&mut self, zones: &[Zone]) {
        if self.config.settings.zones != zones {
            self.config.settings.zones = zones.to_vec();
            lock(&self.shared).zones = Some(zones.to_vec());
        }
    }

    /// Asks the worker to stop (it does within [`POLL`] and a frame's work), so a camera that
    /// replaces this one does not run beside it.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
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
        view.recording = shared.recording.clone();
        if let Some(s) = last {
            view.latency_ms = self.latency_ms;
            view.hands = match &s.hands_from {
                HandsFrom::Model => self.hands_note.clone(),
                HandsFrom::Motion(why) => format!("{why}; the picture's motion stands in for the hand"),
            };
        }
    }
}

/// Longest the app waits, when a camera stops, for its rehearsal recording to be finished.
const RECORDING_GRACE: Duration = Duration::from_secs(1);

impl Drop for Vision {
    /// Stops the worker and lets it finish on its own: the app never waits on a camera (the
    /// worker ends within [`POLL`] and a frame's work; the capture thread it owns detaches
    /// itself if its camera hangs). Only while a rehearsal recording runs does it wait, a
    /// bounded time, so the file is finished even when the app is quitting.
    fn drop(&mut self) {
        self.stop();
        let Some(thread) = self.thread.take() else { return };
        if lock(&self.shared).recording.is_none() {
            return;
        }
        let end = Instant::now() + RECORDING_GRACE;
        while !thread.is_finished() && Instant::now() < end {
            std::thread::sleep(POLL / 4);
        }
    }
}

/// The worker thread's end of things.
struct Worker {
    tx: SyncSender<Seen>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
}

/// A source for the camera choice (called again by the capture thread after a failure).
fn open(choice: &CameraChoice, format: CameraFormatChoice) -> Result<Box<dyn FrameSource>, FrameError> {
    Ok(match choice {
        CameraChoice::Index(n) => Box::new(CameraSource::open(*n, format, CAMERA_SIZE, CAMERA_FPS)?),
        CameraChoice::File(path) => Box::new(FileSource::open(path, FileOptions::default())?),
    })
}

/// Where a rehearsal recording asked for at `path` goes: `path` itself when it does not exist
/// yet, else the first free `NAME-2.y4m`, `NAME-3.y4m`, ... (a recording never overwrites).
pub fn recording_path(path: &Path) -> PathBuf {
    if !path.exists() {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map_or_else(|| "camera".into(), |s| s.to_string_lossy());
    let ext = path.extension().map_or_else(|| "y4m".into(), |s| s.to_string_lossy());
    (2..)
        .map(|n| path.with_file_name(format!("{stem}-{n}.{ext}")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| path.to_path_buf())
}

impl Worker {
    fn run(self, job: Job) {
        let choice = job.camera.clone();
        let format = job.format;
        match Capture::start(move || open(&choice, format), "phosphene-capture") {
            Ok(capture) => self.watch(&capture, job),
            Err(e) => self.notice(format!("{}: {e}", job.camera)),
        }
    }

    /// Says something to the performer, once (the same trouble on every frame is one notice).
    fn notice(&self, text: String) {
        let mut shared = lock(&self.shared);
        if shared.notices.last() != Some(&text) {
            shared.notices.push(text);
        }
    }

    /// The rehearsal recorder `job` asks for: only of a live camera (a file plays already).
    fn recorder(&self, job: &Job) -> Option<Recorder> {
        let path = job.record.as_ref()?;
        if let CameraChoice::File(_) = job.camera {
            self.notice("rehearsal recording: a file is playing, there is nothing new to record".into());
            return None;
        }
        let path = recording_path(path);
        let recorder = Recorder::create(&path, Rate::fps(CAMERA_FPS))
            .map_err(|e| self.notice(format!("rehearsal recording: {e}")))
            .ok()?;
        lock(&self.shared).recording = Some(path.display().to_string());
        Some(recorder)
    }

    /// Measures each newest frame until asked to stop.
    fn watch(&self, capture: &Capture, job: Job) {
        let mut motion = MotionTracker::default();
        let mut recorder = self.recorder(&job);
        let (mut tracker, mut hands_from) = match job.hands.map(|p| tracking::load(p, job.mirrored)) {
            Some(Ok(t)) => (Some(t), HandsFrom::Model),
            Some(Err(why)) => {
                self.notice(format!("hand model: {why}"));
                (None, HandsFrom::Motion(why))
            }
            None => (None, HandsFrom::Motion(job.why_no_hands)),
        };
        let mut hand_gestures = HandGestures::default();
        let epoch = Instant::now();
        while !self.stop.load(Ordering::Acquire) {
            self.refresh(capture, &mut motion);
            let Some(frame) = capture.wait_latest(POLL) else {
                continue;
            };
            if let Some(r) = recorder.as_mut()
                && let Err(e) = r.push(&frame)
            {
                self.notice(format!("rehearsal recording stopped: {e}"));
                lock(&self.shared).recording = None;
                recorder = None;
            }
            let t = frame.captured.saturating_duration_since(epoch).as_secs_f64();
            let (w, h) = (frame.width as usize, frame.height as usize);
            let luma = mirror(frame.luma(), w, 1, job.mirrored);
            let measured = match motion.process(&luma, w, h, t) {
                Ok(m) => m.clone(),
                Err(e) => {
                    self.notice(format!("frame {}: {e}", frame.index));
                    continue;
                }
            };
            // The model and the preview share one conversion to RGB.
            let rgb = tracker.is_some().then(|| mirror(frame.rgb(), w, 3, job.mirrored));
            let mut hands = Vec::new();
            if let (Some(tr), Some(rgb)) = (tracker.as_mut(), rgb.as_deref()) {
                match tracking::track(tr, rgb, frame.width, frame.height) {
                    Ok(found) => hands = found,
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

    /// New zones, the capture's notices, state and rate, for the app.
    fn refresh(&self, capture: &Capture, motion: &mut MotionTracker) {
        let zones = lock(&self.shared).zones.take();
        if let Some(z) = zones
            && let Err(e) = motion.set_zones(z)
        {
            self.notice(format!("zones: {e}"));
        }
        for n in capture.take_notices() {
            self.notice(n);
        }
        let (state, fps) = match capture.status() {
            CaptureStatus::Starting => ("starting".to_string(), 0.0),
            CaptureStatus::Running { fps } => ("running".to_string(), fps),
            CaptureStatus::Retrying { reason, .. } => (format!("retrying ({reason})"), 0.0),
            CaptureStatus::Stopped => ("stopped".to_string(), 0.0),
        };
        let mut shared = lock(&self.shared);
        shared.state = state;
        shared.fps = fps;
        shared.frames = capture.counters().captured;
    }
}

/// `pixels` (`channels` bytes a pixel, rows `width` wide) flipped left to right when
/// `mirrored`: the picture as the performer sees themselves in a mirror.
fn mirror(pixels: Cow<'_, [u8]>, width: usize, channels: usize, mirrored: bool) -> Cow<'_, [u8]> {
    let row = width * channels;
    if !mirrored || row == 0 {
        return pixels;
    }
    let mut out = Vec::with_capacity(pixels.len());
    for line in pixels.chunks_exact(row) {
        for px in line.chunks_exact(channels).rev() {
            out.extend_from_slice(px);
        }
    }
    Cow::Owned(out)
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
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_flips_each_row_and_keeps_pixels_whole() {
        let rgb = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        assert_eq!(
            &*mirror(Cow::Borrowed(&rgb), 2, 3, true),
            &[4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9]
        );
        assert_eq!(&*mirror(Cow::Borrowed(&rgb), 2, 3, false), &rgb);
        assert_eq!(&*mirror(Cow::Borrowed(&[1, 2, 3]), 3, 1, true), &[3, 2, 1]);
    }

    #[test]
    fn a_recording_never_overwrites_one_already_made() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = dir.path().join("rehearsal.y4m");
        assert_eq!(recording_path(&first), first);
        std::fs::write(&first, b"kept").expect("write");
        let second = recording_path(&first);
        assert_eq!(second, dir.path().join("rehearsal-2.y4m"));
        std::fs::write(&second, b"kept").expect("write");
        assert_eq!(recording_path(&first), dir.path().join("rehearsal-3.y4m"));
    }
}
