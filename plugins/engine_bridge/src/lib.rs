//! Bridges Bevy and engine-rt. The engine handle lives in the [`EngineLink`] resource; in
//! [`EngineSet::Drain`] (`PreUpdate`) its events, analysis frames and finished loads become
//! messages and resources, and in [`EngineSet::Flush`] (`Last`) the frame's [`Intents`] go to the
//! audio thread as one group, after which the basedrop collector frees what the audio thread let go.
//!
//! Other plugins never touch the handle: they push intents with [`Intents::push`], request
//! tracks with [`LoadRequest`], and read [`Applied`], [`EngineReport`], [`EngineStatus`] and
//! [`Analysis`].

mod ableton_link;
mod analysis;
mod track;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use bevy::platform::cell::SyncCell;
use bevy::prelude::*;
use engine_rt::backend::CallbackStats;
use engine_rt::intent::IntentId;
use engine_rt::loader::{JobId, LoadEvent, LoadOptions, Loader};
use engine_rt::stats::EngineStats;
use engine_rt::{EngineEvent, EngineHandle, Intent, IntentKind, Quantize};

pub use ableton_link::AbletonLink;
pub use analysis::{Analysis, HISTORY_SECONDS};
pub use track::{LoadedTrack, TrackCache, TrackInfo, relative_to};

/// Stages of the bridge, for ordering: read engine state after [`EngineSet::Drain`], push
/// intents before [`EngineSet::Flush`].
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineSet {
    /// `PreUpdate`: engine events, analysis and loader results come in.
    Drain,
    /// `Last`: queued intents go out, released memory is collected.
    Flush,
}

/// Adds the bridge's messages, resources and systems. The app inserts [`EngineLink`] (with a
/// running engine) before the first update; without it the systems do nothing.
pub struct EngineBridgePlugin;

impl Plugin for EngineBridgePlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<LoadRequest>()
            .add_message::<LoadProgress>()
            .add_message::<LoadFailed>()
            .add_message::<Applied>()
            .add_message::<EngineReport>()
            .init_resource::<Intents>()
            .init_resource::<TrackCache>()
            .init_resource::<EngineStatus>()
            .init_resource::<Analysis>()
            .configure_sets(PreUpdate, EngineSet::Drain)
            .configure_sets(Last, EngineSet::Flush)
            .add_systems(
                PreUpdate,
                (start_loads, drain_engine, drain_loads)
                    .chain()
                    .in_set(EngineSet::Drain)
                    .run_if(resource_exists::<EngineLink>),
            )
            .add_systems(
                PreUpdate,
                ableton_link::update_link
                    .in_set(EngineSet::Drain)
                    .run_if(resource_exists::<AbletonLink>),
            )
            .add_systems(
                Last,
                flush_intents
                    .in_set(EngineSet::Flush)
                    .run_if(resource_exists::<EngineLink>),
            );
    }
}

/// The control side of the running engine, plus the loader thread that feeds it.
#[derive(Resource)]
pub struct EngineLink {
    handle: SyncCell<EngineHandle>,
    loader: SyncCell<Loader>,
    sample_rate: u32,
    stats: Arc<EngineStats>,
    /// Loads in flight: what was asked, by job.
    jobs: HashMap<JobId, LoadRequest>,
    /// Intents sent and not yet reported, with what they did (tracks as their info).
    sent: HashMap<IntentId, IntentKind<Arc<TrackInfo>>>,
}

impl EngineLink {
    /// Wraps a freshly built engine handle and starts a loader thread for it.
    pub fn new(handle: EngineHandle) -> Self {
        let loader = Loader::spawn(handle.collector_handle());
        Self::with_loader(handle, loader)
    }

    /// Wraps an engine handle whose tracks decode inline, within the frame that asks for
    /// them: for runs that step the engine themselves (offline renders, tests), where a load
    /// must never race the engine clock.
    pub fn inline(handle: EngineHandle) -> Self {
        let loader = Loader::inline(handle.collector_handle());
        Self::with_loader(handle, loader)
    }

    fn with_loader(handle: EngineHandle, loader: Loader) -> Self {
        Self {
            sample_rate: handle.config().sample_rate,
            stats: handle.stats().clone(),
            handle: SyncCell::new(handle),
            loader: SyncCell::new(loader),
            jobs: HashMap::new(),
            sent: HashMap::new(),
        }
    }

    /// Direct access to the handle, for the app's set-up (e.g. taking the recording stream).
    pub fn handle_mut(&mut self) -> &mut EngineHandle {
        self.handle.get()
    }
}

/// When a device's move applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ControlTiming {
    /// At the engine frame of its arrival plus one fixed latency: every move keeps its timing.
    #[default]
    Arrival,
    /// With the next UI frame: less latency, but up to a UI frame of jitter.
    NextFrame,
}

/// Seconds a timestamped control change is given to cross the app before its frame is due: one
/// UI frame at 60 Hz plus room for a late one. Part of the one fixed latency of device controls.
pub const CONTROL_MARGIN: f64 = 0.025;

/// Intents queued this frame; [`EngineSet::Flush`] sends them in order.
#[derive(Resource, Default)]
pub struct Intents {
    queue: Vec<Intent<LoadedTrack>>,
    next_id: IntentId,
}

impl Intents {
    /// Queues an intent and returns the id its [`Applied`] report will carry.
    pub fn push(&mut self, at: Quantize, kind: IntentKind<LoadedTrack>) -> IntentId {
        self.next_id += 1;
        let id = self.next_id;
        self.queue.push(Intent { id, at, kind });
        id
    }
}

/// Asks for a file to be decoded and loaded onto a deck (at `at`, once decoded).
#[derive(Message, Debug, Clone)]
pub struct LoadRequest {
    /// Index of the deck (0-based).
    pub deck: usize,
    /// The audio file.
    pub path: PathBuf,
    /// Tempo of the track's beat grid, if known.
    pub bpm: Option<f64>,
    /// First beat of the grid in seconds.
    pub first_beat: f64,
    /// The given grid is the performer's locked one.
    pub grid_locked: bool,
    /// When the decoded track goes onto the deck.
    pub at: Quantize,
}

/// Decoding progress of a requested track, 0..1.
#[derive(Message, Debug, Clone)]
pub struct LoadProgress {
    /// Index of the deck (0-based).
    pub deck: usize,
    /// The file being decoded.
    pub path: PathBuf,
    /// Share decoded so far, 0..1.
    pub fraction: f32,
}

/// A requested track could not be loaded; `error` names the file and the reason.
#[derive(Message, Debug, Clone)]
pub struct LoadFailed {
    /// Index of the deck (0-based).
    pub deck: usize,
    /// The file that failed.
    pub path: PathBuf,
    /// The error message, naming the file and the reason.
    pub error: String,
}

/// An intent took effect on the audio thread, at this output frame and beat.
#[derive(Message, Debug, Clone)]
pub struct Applied {
    /// The id [`Intents::push`] returned for it.
    pub id: IntentId,
    /// Output frame where it took effect.
    pub frame: u64,
    /// Clock beat at that frame.
    pub beat: f64,
    /// What it did; loaded tracks appear as their info.
    pub kind: IntentKind<Arc<TrackInfo>>,
}

/// Every other engine event (deck and master state, drops, clip ends), as it arrived.
#[derive(Message, Debug, Clone, Copy)]
pub struct EngineReport(pub EngineEvent);

/// The engine's state as last reported, for displays and health checks.
#[derive(Resource, Debug, Default, Clone)]
pub struct EngineStatus {
    /// Engine sample rate (0 before an engine is linked).
    pub sample_rate: u32,
    /// Output frame of the last master report.
    pub frame: u64,
    /// Clock beat at that frame.
    pub beat: f64,
    /// Clock tempo at that frame, in beats per minute.
    pub bpm: f64,
    /// Master peak after the limiter over the last report period (linear).
    pub master_peak: f32,
    /// Limiter gain reduction over the last report period, dB (0 = idle).
    pub limiter_reduction_db: f32,
    /// Intents dropped so far (queue full, too many pending, invalid, not finite).
    pub dropped_intents: u64,
    /// Non-finite samples the engine replaced by silence before the limiter.
    pub scrubbed_samples: u64,
    /// Values refused where they entered (a control, a script) before reaching the engine.
    pub refused_inputs: u64,
    /// The latest drop or refusal, in words, for the health display.
    pub last_problem: Option<String>,
    /// Engine events lost because the control side fell behind.
    pub events_lost: u64,
    /// Live-recording frames lost because the writer fell behind.
    pub record_dropped_frames: u64,
    /// Timing of the audio callback, when a device or paced output runs the engine.
    pub callback: Option<Arc<CallbackStats>>,
    /// Frames between the engine's render position and the speaker (render-ahead plus the
    /// device buffer), for matching light to the audio heard.
    pub output_latency_frames: u32,
    /// Frames between a buffer handed to the device and its sound at the speaker (the device
    /// buffer's share of [`EngineStatus::output_latency_frames`]).
    pub device_latency_frames: u32,
    /// When devices' moves apply: at the frame of their arrival (the default) or with the next
    /// UI frame.
    pub control_timing: ControlTiming,
    /// Where the audio goes, in words (e.g. "JACK Output, 48000 Hz").
    pub output: String,
    /// A problem the performer should see (e.g. no audio device, playing to the null output).
    pub notice: Option<String>,
}

impl EngineStatus {
    /// The engine frame a control change that reached the machine at `at` applies at: the
    /// frame the device was playing then, plus the output latency and [`CONTROL_MARGIN`]. One
    /// fixed latency for every change, so a knob's moves keep their spacing; `None` when no
    /// device clock runs (offline renders, tests), where changes apply at once.
    pub fn frame_for(&self, at: std::time::Instant) -> Option<u64> {
        if self.control_timing == ControlTiming::NextFrame {
            return None;
        }
        let device = self.callback.as_ref()?.clock.frame_at(at, self.sample_rate)?;
        let margin = CONTROL_MARGIN * f64::from(self.sample_rate);
        Some(
            (device + f64::from(self.output_latency_frames) + margin)
                .max(0.0)
                .round() as u64,
        )
    }

    /// The engine frame heard at the speaker at `at`, which may lie ahead: for a change its
    /// sender scheduled (an OSC bundle's timetag). Never earlier than the frame a change
    /// arriving now gets (as [`EngineStatus::frame_for`] reckons it), since earlier frames may
    /// be rendered before the change reaches the engine. `None` when no device clock runs.
    pub fn frame_heard_at(&self, at: std::time::Instant) -> Option<u64> {
        let stamp = self.callback.as_ref()?.clock.last_stamp()?;
        let (frame, stamped) = (stamp.frame, stamp.moment);
        let rate = f64::from(self.sample_rate);
        let since = engine_rt::backend::output_clock::seconds_between(stamped, at);
        let heard = frame as f64 + since * rate - f64::from(self.device_latency_frames);
        let now = engine_rt::backend::output_clock::seconds_between(stamped, std::time::Instant::now());
        let earliest = frame as f64 + (now.max(0.0) + CONTROL_MARGIN) * rate + f64::from(self.output_latency_frames);
        Some(heard.max(earliest).round() as u64)
    }

    /// When engine frame `frame` is heard at the speaker (by the device clock); `None` when
    /// no device clock runs.
    pub fn heard_when(&self, frame: u64) -> Option<std::time::Instant> {
        let s = self.callback.as_ref()?.clock.last_stamp()?;
        let (stamp, stamped) = (s.frame, s.moment);
        let frames = frame as f64 - stamp as f64 + f64::from(self.device_latency_frames);
        let secs = frames / f64::from(self.sample_rate.max(1));
        let d = std::time::Duration::from_secs_f64(secs.abs());
        if secs >= 0.0 {
            stamped.checked_add(d)
        } else {
            stamped.checked_sub(d)
        }
    }

    /// Records an input refused before it reached the engine (`why` says which and why): it
    /// is counted, logged, and shown on the health display.
    pub fn refuse(&mut self, why: String) {
        warn!("{why}");
        self.refused_inputs += 1;
        self.last_problem = Some(why);
    }
}

fn start_loads(mut link: ResMut<EngineLink>, cache: Res<TrackCache>, mut requests: MessageReader<LoadRequest>) {
    let link = &mut *link;
    for r in requests.read() {
        let opts = LoadOptions {
            bpm: r.bpm,
            first_beat: r.first_beat,
            grid_locked: r.grid_locked,
            cache: cache.0.clone(),
            ..LoadOptions::new(link.sample_rate)
        };
        let job = link.loader.get().load(r.path.clone(), opts);
        link.jobs.insert(job, r.clone());
    }
}

fn drain_engine(
    mut link: ResMut<EngineLink>,
    mut status: ResMut<EngineStatus>,
    mut analysis: ResMut<Analysis>,
    mut applied: MessageWriter<Applied>,
    mut reports: MessageWriter<EngineReport>,
) {
    let link = &mut *link;
    let handle = link.handle.get();
    while let Some(event) = handle.poll_event() {
        match event {
            EngineEvent::Applied { id, frame, beat } => {
                if let Some(kind) = link.sent.remove(&id) {
                    applied.write(Applied { id, frame, beat, kind });
                }
            }
            EngineEvent::Dropped { id, reason } => {
                let what = link.sent.remove(&id).map_or("an intent", |kind| kind.name());
                let problem = format!("the engine dropped {what}: {reason}");
                warn!("{problem} (intent {id})");
                status.last_problem = Some(problem);
                reports.write(EngineReport(event));
            }
            EngineEvent::MasterState {
                frame,
                beat,
                bpm,
                peak,
                limiter_reduction_db,
            } => {
                status.frame = frame;
                status.beat = beat;
                status.bpm = bpm;
                status.master_peak = peak;
                status.limiter_reduction_db = limiter_reduction_db;
                reports.write(EngineReport(event));
            }
            _ => {
                reports.write(EngineReport(event));
            }
        }
    }
    while let Some(frame) = handle.poll_analysis() {
        analysis.push(frame, link.sample_rate);
    }
    status.sample_rate = link.sample_rate;
    status.dropped_intents = link.stats.dropped_intents();
    status.scrubbed_samples = link.stats.scrubbed_samples();
    status.events_lost = link.stats.events_lost.load(std::sync::atomic::Ordering::Relaxed);
    status.record_dropped_frames = link
        .stats
        .record_dropped_frames
        .load(std::sync::atomic::Ordering::Relaxed);
    analysis.set_now(link.stats.frames());
}

fn drain_loads(
    mut link: ResMut<EngineLink>,
    mut intents: ResMut<Intents>,
    mut progress: MessageWriter<LoadProgress>,
    mut failed: MessageWriter<LoadFailed>,
) {
    let link = &mut *link;
    while let Some(event) = link.loader.get().poll() {
        match event {
            LoadEvent::Progress { job, fraction } => {
                if let Some(r) = link.jobs.get(&job) {
                    progress.write(LoadProgress {
                        deck: r.deck,
                        path: r.path.clone(),
                        fraction,
                    });
                }
            }
            LoadEvent::Done {
                job,
                track,
                overview,
                analysis,
                content,
                grid_locked,
            } => {
                let Some(r) = link.jobs.remove(&job) else { continue };
                let info = Arc::new(TrackInfo {
                    analysis,
                    content,
                    grid_locked,
                    ..TrackInfo::new(&track, overview)
                });
                info!("loaded '{}' onto deck {}", r.path.display(), r.deck + 1);
                progress.write(LoadProgress {
                    deck: r.deck,
                    path: r.path.clone(),
                    fraction: 1.0,
                });
                intents.push(
                    r.at,
                    IntentKind::Load {
                        deck: r.deck,
                        track: LoadedTrack { shared: track, info },
                    },
                );
            }
            LoadEvent::Failed { job, error } => {
                let Some(r) = link.jobs.remove(&job) else { continue };
                let error = error.to_string();
                error!("{error}");
                failed.write(LoadFailed {
                    deck: r.deck,
                    path: r.path,
                    error,
                });
            }
        }
    }
}

fn flush_intents(mut link: ResMut<EngineLink>, mut intents: ResMut<Intents>) {
    let link = &mut *link;
    for intent in intents.queue.drain(..) {
        let Intent { id, at, kind } = intent;
        link.sent.insert(id, kind.clone().map_track(|t| t.info));
        let sent = link
            .handle
            .get()
            .send(Intent::new(id, at, kind.map_track(|t| t.shared)));
        if !sent {
            link.sent.remove(&id);
            warn!("intent queue full: intent {id} dropped");
        }
    }
    link.handle.get().collect();
}
