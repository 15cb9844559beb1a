//! Records live performances: the master output to a WAV file and every applied intent, with
//! the frame it took effect at, to a recording file (`engine_rt::replay::Recording`). The
//! recording re-renders offline with `phosphene render RECORDING --out again.wav`.
//!
//! The audio thread copies the master into a ring; a writer thread drains it to the WAV and
//! updates the header every half second, so a crash loses at most that much. The intent log
//! is rewritten (atomically) every two seconds and when the app exits, and with it, when the
//! visuals run, `STEM.visuals.ron`: the set's look and every scene change as a cue, so
//! `phosphene render RECORDING --frames DIR` shows the same light.

mod wav;

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use engine_rt::replay::{RecordedIntent, Recording};
use engine_rt::script::TrackSpec;
use phosphene_engine_bridge::{Applied, EngineLink, EngineSet, EngineStatus, relative_to};
use phosphene_visuals::Visuals;
use phosphene_visuals::setup::VisualSetup;

pub use wav::WavWriterThread;

/// What follows a recording's stem in the name of its visuals file (`STEM.visuals.ron`).
pub const VISUALS_SUFFIX: &str = ".visuals.ron";

/// Seconds between rewrites of the intent log.
const LOG_INTERVAL_SECONDS: f64 = 2.0;

/// Stages of the recorder.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecorderSet {
    /// `PreUpdate`, after [`EngineSet::Drain`]: applied intents are logged.
    Log,
}

/// Logs applied intents while a [`Recorder`] resource exists, and finishes it on exit.
pub struct RecorderPlugin;

impl Plugin for RecorderPlugin {
    fn build(&self, app: &mut App) {
        app.configure_sets(PreUpdate, RecorderSet::Log.after(EngineSet::Drain))
            .add_systems(
                PreUpdate,
                log_applied.in_set(RecorderSet::Log).run_if(resource_exists::<Recorder>),
            )
            .add_systems(Last, finish_on_exit.run_if(resource_exists::<Recorder>));
    }
}

/// A performance being recorded.
#[derive(Resource)]
pub struct Recorder {
    recording: Recording,
    log_path: PathBuf,
    wav_path: PathBuf,
    writer: Option<WavWriterThread>,
    last_log: f64,
    /// Output frame up to which every applied intent has been logged (the engine reports its
    /// state after the intents it applied before it).
    logged_until: u64,
    /// Frames dropped from the WAV, from the engine's counter.
    dropped: u64,
    /// The light of the performance (when the visuals run), written beside the log.
    visuals: Option<VisualSetup>,
    visuals_path: PathBuf,
}

impl Recorder {
    /// Starts recording the linked engine to `DIR/STEM.wav` and `DIR/STEM.rec.ron`. The engine
    /// must have been built with `record_seconds > 0`.
    pub fn start(link: &mut EngineLink, dir: &Path, stem: &str) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
        let config = link.handle_mut().config().clone();
        let ring = link
            .handle_mut()
            .take_recording()
            .ok_or("the engine was built without a recording ring")?;
        let wav_path = dir.join(format!("{stem}.wav"));
        let log_path = dir.join(format!("{stem}.rec.ron"));
        let writer = WavWriterThread::start(ring, &wav_path, config.sample_rate)?;
        let mut recording = Recording::new(&config);
        recording.wav = Some(PathBuf::from(format!("{stem}.wav")));
        info!("recording to {} and {}", wav_path.display(), log_path.display());
        Ok(Self {
            recording,
            log_path,
            wav_path,
            writer: Some(writer),
            last_log: f64::NEG_INFINITY,
            logged_until: 0,
            dropped: 0,
            visuals: None,
            visuals_path: dir.join(format!("{stem}{VISUALS_SUFFIX}")),
        })
    }

    /// Adds one applied intent.
    pub fn log(&mut self, applied: &Applied) {
        let base = self.log_path.parent().unwrap_or(Path::new("."));
        let recording = &mut self.recording;
        let kind = applied.kind.clone().map_track(|info| {
            recording.track_index(TrackSpec {
                file: info.path.as_deref().map_or_else(PathBuf::new, |p| relative_to(p, base)),
                deck: None,
                bpm: info.bpm,
                first_beat: info.first_beat,
            })
        });
        recording.intents.push(RecordedIntent {
            frame: applied.frame,
            beat: applied.beat,
            kind,
        });
    }

    /// Takes the visuals of the performance so far, written with the next log.
    pub fn set_visuals(&mut self, visuals: VisualSetup) {
        self.visuals = Some(visuals);
    }

    /// Rewrites the intent log (and the visuals beside it) with what has been recorded so far.
    pub fn write_log(&mut self) -> Result<(), String> {
        if let Some(w) = &self.writer {
            self.recording.frames = w.frames().min(self.logged_until);
        }
        self.recording.dropped_frames = self.dropped;
        write_atomically(&self.log_path, &self.recording.to_text())?;
        match &self.visuals {
            Some(v) => write_atomically(&self.visuals_path, &engine_rt::ron_file::to_text(v, 3)),
            None => Ok(()),
        }
    }

    /// Stops the WAV writer and writes the final log. The WAV ends where the log is complete,
    /// so replaying the log renders exactly the same span.
    pub fn finish(&mut self) -> Result<(), String> {
        if let Some(w) = self.writer.take() {
            let frames = w.finish(Some(self.logged_until))?;
            self.logged_until = frames;
            self.recording.frames = frames;
            info!(
                "recorded {:.1} s to {}",
                frames as f64 / self.recording.sample_rate as f64,
                self.wav_path.display()
            );
        }
        self.write_log()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if self.writer.is_some()
            && let Err(e) = self.finish()
        {
            error!("{e}");
        }
    }
}

/// Writes `text` to a temporary file beside `path` and renames it over `path`.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("ron.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write '{}': {e}", path.display()))
}

fn log_applied(
    mut recorder: ResMut<Recorder>,
    mut applied: MessageReader<Applied>,
    status: Res<EngineStatus>,
    time: Res<Time<Real>>,
    visuals: Option<Res<Visuals>>,
) {
    for a in applied.read() {
        recorder.log(a);
    }
    recorder.logged_until = status.frame;
    recorder.dropped = status.record_dropped_frames;
    let now = time.elapsed_secs_f64();
    if now - recorder.last_log >= LOG_INTERVAL_SECONDS {
        recorder.last_log = now;
        if let Some(v) = &visuals {
            recorder.set_visuals(v.performance());
        }
        if let Err(e) = recorder.write_log() {
            error!("{e}");
        }
    }
}

fn finish_on_exit(mut exit: MessageReader<AppExit>, mut recorder: ResMut<Recorder>, visuals: Option<Res<Visuals>>) {
    if exit.read().next().is_none() {
        return;
    }
    if let Some(v) = &visuals {
        recorder.set_visuals(v.performance());
    }
    if let Err(e) = recorder.finish() {
        error!("{e}");
    }
}
