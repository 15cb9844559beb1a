//! Headless commands: offline render and live play of session scripts.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use engine_rt::backend::CallbackStats;
use engine_rt::backend::cpal::{DeviceRequest, HostChoice};
use engine_rt::backend::offline::{Block, RenderOptions, SinkError, WavOut};
use engine_rt::link::{Link, LinkControl};
use engine_rt::replay::Recording;
use engine_rt::script::{LOOKAHEAD_BEATS, ScriptEvent, ScriptRunner, Session, TrackSpec};
use engine_rt::{AnalysisMode, ENGINE_INTENT, Engine, EngineEvent, IntentKind, InternalClock};
use phosphene_recorder::VISUALS_SUFFIX;
use phosphene_set::SetFile;
use phosphene_visuals::library::{SceneLibrary, scenes_dir};
use phosphene_visuals::offline::{FrameJob, FrameStream, mux_video};
use phosphene_visuals::setup::VisualSetup;
use phosphene_visuals::sync::HEARD_AHEAD;

use crate::InputChoice;
use crate::output::{ChosenOutput, OutputRequest, report_line};

/// Live input to analyse while playing.
pub struct Input {
    pub host: InputChoice,
    pub device: Option<String>,
}

/// Frames per block of an offline render.
const RENDER_BLOCK: usize = 512;

type BoxError = Box<dyn std::error::Error>;

fn script_dir(script: &Path) -> &Path {
    script
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// What `phosphene render` was asked for.
#[derive(clap::Args)]
pub struct RenderRequest {
    /// Session script, recording (`*.rec.ron`) or set (`*.set.ron`: its first loaded deck
    /// plays from the start, with the set's visuals).
    #[arg(value_name = "SCRIPT_OR_RECORDING_OR_SET")]
    pub input: PathBuf,
    /// Output WAV file (32-bit float stereo).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Sample rate of a session script or set render (recordings keep theirs).
    #[arg(long, default_value_t = 48_000)]
    pub rate: u32,
    /// Write one PNG per video frame into this folder (`frame-000000.png`, ...).
    #[arg(long)]
    pub frames: Option<PathBuf>,
    /// Video frames per second.
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    /// Frame size, e.g. 1920x1080 (default: the set's visuals size, else 1280x720).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Render only this many seconds (default: the whole input; a set: 30).
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Also mux the frames and the audio into this video with ffmpeg (H.264 + AAC).
    #[arg(long)]
    pub video: Option<PathBuf>,
    /// Take the visuals (scene, controls, post, cues) from this set instead.
    #[arg(long)]
    pub visuals: Option<PathBuf>,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("'{s}': expected WIDTHxHEIGHT, e.g. 1920x1080");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h) = (
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    );
    if !(16..=8192).contains(&w) || !(16..=8192).contains(&h) {
        return Err(format!("'{s}': each side must be 16..8192 pixels"));
    }
    Ok((w, h))
}

/// Seconds a set renders for when no length is given.
const SET_RENDER_SECONDS: f64 = 30.0;

/// What a render input turned out to be.
enum RenderInput {
    Script(Session),
    Recording(Recording),
    /// A set, as the script [`set_session`] makes of it, with the set's visuals.
    Set(Session, Box<VisualSetup>),
}

impl RenderInput {
    /// Parses `text`; a set becomes a script `set_seconds` long.
    fn parse(text: &str, path: &Path, set_seconds: f64) -> Result<Self, BoxError> {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("//"))
            .unwrap_or("");
        Ok(if first.starts_with("Recording") {
            let recording = Recording::parse(text, path)?;
            if recording.dropped_frames > 0 {
                eprintln!(
                    "note: the live WAV lost {} frames to dropouts; the re-render is complete",
                    recording.dropped_frames
                );
            }
            Self::Recording(recording)
        } else if first.starts_with("SetFile") {
            let set = SetFile::parse(text, path)?;
            Self::Set(set_session(&set, set_seconds)?, Box::new(set.visuals))
        } else {
            Self::Script(Session::parse(text, path)?)
        })
    }
}

/// A set as a script: its first loaded deck plays from the start for `seconds`, with the
/// set's tempo and that deck's grid.
fn set_session(set: &SetFile, seconds: f64) -> Result<Session, BoxError> {
    let track = set
        .decks
        .iter()
        .find_map(|d| d.track.as_ref())
        .ok_or("the set has no track on any deck: nothing to render")?;
    Ok(Session {
        bpm: set.bpm,
        quantum: set.quantum,
        decks: Some(1),
        length_beats: Some(seconds * set.bpm / 60.0),
        tracks: vec![TrackSpec {
            file: track.file.clone(),
            deck: Some(0),
            bpm: track.bpm,
            first_beat: track.first_beat,
        }],
        events: vec![ScriptEvent {
            beat: 0.0,
            action: IntentKind::Play { deck: 0 },
        }],
    })
}

/// The visuals a live recording wrote beside itself (`STEM.visuals.ron` for `STEM.rec.ron`).
fn recorded_visuals(recording: &Path) -> Result<Option<VisualSetup>, BoxError> {
    let name = recording
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(stem) = name.strip_suffix(".rec.ron") else {
        return Ok(None);
    };
    let path = recording.with_file_name(format!("{stem}{VISUALS_SUFFIX}"));
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    let setup: VisualSetup = engine_rt::ron_file::parse(&text, &path)?;
    setup.check().map_err(|e| format!("'{}': {e}", path.display()))?;
    eprintln!("visuals from {}", path.display());
    Ok(Some(setup))
}

/// `phosphene render INPUT [--out WAV] [--frames DIR] [--video FILE]`: the audio offline, and
/// the visuals frame by frame from the analysis of that same audio. Everything streams: each
/// block of audio goes to the WAV file and its analysis to the frame renderer as soon as it is
/// rendered, so memory stays the same whatever the length.
pub fn render(req: &RenderRequest) -> Result<(), BoxError> {
    if req.out.is_none() && req.frames.is_none() && req.video.is_none() {
        return Err("nothing to render: give --out WAV, --frames DIR and/or --video FILE".into());
    }
    if !(req.fps > 0.0 && req.fps <= 240.0) {
        return Err(format!("--fps {}: must be above 0 and at most 240", req.fps).into());
    }
    if req.seconds.is_some_and(|s| s.is_nan() || s <= 0.0) {
        return Err("--seconds must be above 0".into());
    }
    let path = &req.input;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    let base = script_dir(path);
    let input = RenderInput::parse(&text, path, req.seconds.unwrap_or(SET_RENDER_SECONDS))?;
    let rate = match &input {
        RenderInput::Recording(r) => r.sample_rate,
        _ => req.rate,
    };
    // The audio ends here (the whole input without --seconds).
    let cut = req.seconds.map(|s| (s * rate as f64) as u64);
    let visuals_wanted = req.frames.is_some() || req.video.is_some();

    let temp = std::env::temp_dir().join(format!("phosphene-frames-{}", std::process::id()));
    let dir = req.frames.clone().unwrap_or_else(|| temp.clone());
    let visuals = if visuals_wanted {
        Some(open_visuals(req, &input)?)
    } else {
        None
    };
    let mut frames = match &visuals {
        Some((setup, library)) => {
            let size = req.size.unwrap_or(setup.size);
            let job = FrameJob {
                dir: &dir,
                fps: req.fps,
                size,
                sample_rate: rate,
                setup,
                library,
            };
            Some((FrameStream::new(job)?, size))
        }
        None => None,
    };
    // Without --out, the video's audio goes beside its frames for ffmpeg.
    let wav_path = match (&req.out, &req.video) {
        (Some(out), _) => Some(out.clone()),
        (None, Some(_)) => Some(dir.join("audio.wav")),
        (None, None) => None,
    };
    let cannot_write = |p: &Path, e: hound::Error| format!("cannot write '{}': {e}", p.display());
    let mut wav = match &wav_path {
        Some(p) => Some(WavOut::create(p, rate).map_err(|e| cannot_write(p, e))?),
        None => None,
    };

    // With visuals the engine renders half a hop past the cut (not written), so the last video
    // frames see the same analysis as when the whole input is rendered.
    let options = RenderOptions {
        analysis: visuals_wanted,
        max_frames: cut.map(|c| c + if visuals_wanted { HEARD_AHEAD } else { 0 }),
        ..RenderOptions::new(RENDER_BLOCK)
    };
    let mut progress = Progress::new(rate);
    let sink = |b: Block<'_>| -> Result<(), SinkError> {
        let audio = cut.map_or(b.rendered, |c| b.rendered.min(c));
        if let (Some(w), Some(p)) = (wav.as_mut(), &wav_path) {
            let start = b.rendered - (b.samples.len() / 2) as u64;
            let keep = audio.saturating_sub(start) as usize * 2;
            w.write(&b.samples[..keep]).map_err(|e| cannot_write(p, e))?;
        }
        if let Some((f, _)) = frames.as_mut() {
            f.advance(b.analysis, b.rendered, audio)?;
        }
        progress.show(audio, cut.map_or(b.expected, |c| b.expected.min(c)));
        Ok(())
    };
    let rendered = match &input {
        RenderInput::Recording(r) => r.render_stream(base, &options, sink)?,
        RenderInput::Script(session) | RenderInput::Set(session, _) => {
            engine_rt::script::render_stream(session, base, rate, &options, sink)?
        }
    };
    drop(progress);
    let audio = cut.map_or(rendered, |c| rendered.min(c));
    if let (Some(w), Some(p)) = (wav, &wav_path) {
        w.finish().map_err(|e| cannot_write(p, e))?;
    }
    if let Some(out) = &req.out {
        let seconds = audio as f64 / rate as f64;
        eprintln!("rendered {seconds:.2} s of audio to {}", out.display());
    }
    let Some((frames, size)) = frames else {
        return Ok(());
    };
    let report = frames.finish(audio)?;
    eprintln!(
        "rendered {} frames at {}x{} into {} on {} in {:.2} s",
        report.frames,
        size.0,
        size.1,
        dir.display(),
        report.adapter,
        report.wall_seconds
    );
    if let (Some(video), Some(audio)) = (&req.video, &wav_path) {
        let muxed = mux_video(&dir, req.fps, audio, video);
        if req.frames.is_none() {
            let _ = std::fs::remove_dir_all(&temp);
        }
        muxed?;
        eprintln!("muxed {}", video.display());
    }
    Ok(())
}

/// The look of a render's frames (from `--visuals`, the input set, or what a recording wrote
/// beside itself) and the scene library to draw it with.
fn open_visuals(req: &RenderRequest, input: &RenderInput) -> Result<(VisualSetup, SceneLibrary), BoxError> {
    let setup = match (&req.visuals, input) {
        (Some(p), _) => SetFile::load(p)?.visuals,
        (None, RenderInput::Set(_, v)) => (**v).clone(),
        (None, _) => recorded_visuals(&req.input)?.unwrap_or_default(),
    };
    let library = SceneLibrary::open(&scenes_dir());
    for e in library.errors() {
        eprintln!("warning: {e}");
    }
    if library.scenes().next().is_none() {
        return Err(format!("no usable scenes in '{}'", library.dir().display()).into());
    }
    Ok((setup, library))
}

/// How often the progress line may change.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The render's progress and an estimate of the time left, on one line of a terminal; cleared
/// when dropped. Never shown when stderr is not a terminal (scripts and tests read stderr).
struct Progress {
    on: bool,
    rate: f64,
    /// When the first block arrived and how far it was: the pace is measured from there, so
    /// decoding the tracks does not inflate the estimate.
    first: Option<(Instant, u64)>,
    next: Instant,
    shown: bool,
}

impl Progress {
    fn new(rate: u32) -> Self {
        Self {
            on: std::io::stderr().is_terminal(),
            rate: rate as f64,
            first: None,
            next: Instant::now(),
            shown: false,
        }
    }

    /// `done` of an expected `total` output frames are rendered.
    fn show(&mut self, done: u64, total: u64) {
        if !self.on {
            return;
        }
        let now = Instant::now();
        let Some((t0, done0)) = self.first else {
            self.first = Some((now, done));
            self.next = now + PROGRESS_EVERY;
            return;
        };
        if now < self.next || done <= done0 {
            return;
        }
        self.next = now + PROGRESS_EVERY;
        let total = total.max(done);
        let pace = now.duration_since(t0).as_secs_f64() / (done - done0) as f64;
        eprint!(
            "\r\x1b[2Krendering {} of {} ({:.0} %), about {} left",
            clock(done as f64 / self.rate),
            clock(total as f64 / self.rate),
            done as f64 * 100.0 / total as f64,
            clock(pace * (total - done) as f64)
        );
        self.shown = true;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Seconds as `m:ss` (or `h:mm:ss`).
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s / 3600 {
        0 => format!("{}:{:02}", s / 60, s % 60),
        h => format!("{h}:{:02}:{:02}", s / 60 % 60, s % 60),
    }
}

/// `phosphene play SCRIPT`: plays live and prints the callback timing line at exit.
pub fn play(
    script: &Path,
    output: OutputRequest,
    ahead: usize,
    input: Option<Input>,
    seconds: Option<f64>,
    link: LinkRequest,
) -> Result<(), BoxError> {
    let session = Session::load(script)?;
    let chosen = ChosenOutput::open(&output)?;
    let rate = chosen.sample_rate();
    let tracks = session.decode_tracks(script_dir(script), rate)?;
    let mut config = session.engine_config(rate);
    config.quantum = link.quantum.unwrap_or(config.quantum);
    config.analysis = if input.is_some() {
        AnalysisMode::Thread
    } else {
        AnalysisMode::Off
    };
    let (mut handle, mut processor) = Engine::new(config.clone())?;
    let _capture = match &input {
        Some(i) => Some(start_capture(&handle, i)?),
        None => None,
    };
    let stats = CallbackStats::new();
    let channels = chosen.channels();
    let block = chosen.block();
    let mut control = link.on.then(|| {
        let ableton = Link::new(config.bpm);
        processor.set_clock(Box::new(ableton.clock(
            InternalClock::new(rate, config.bpm, config.quantum),
            rate,
            stats.clone(),
            block as f64,
            processor.latency() as f64,
        )));
        let control = ableton.control();
        control.set_start_stop_sync(link.start_stop);
        control
    });
    let mut runner = ScriptRunner::new(&session, tracks, &handle);
    if control.is_none() {
        // Everything due in the first beats is queued before the first callback.
        runner.pump(&mut handle, 0.0, LOOKAHEAD_BEATS);
    }
    let (feed, worker) = crate::output::feed(processor, ahead, channels, block)?;
    let (running, what) = chosen.start(feed, stats.clone())?;
    eprintln!("playing on {what}");
    // With Link the script starts on the session's next bar line.
    let origin = match control.as_mut() {
        Some(c) => join_link(c, config.quantum)?,
        None => 0.0,
    };
    runner = runner.starting_at(origin);
    let until = match seconds {
        Some(s) => Until::Elapsed(Duration::from_secs_f64(s.max(0.0))),
        None => Until::Played {
            beat: origin + session.length(),
            then_frames: u64::from(rate) / 2,
        },
    };
    let heard = drive(
        &mut handle,
        &mut runner,
        until,
        control.as_mut().map(|c| (c, config.quantum)),
    );
    if input.is_some() {
        match heard {
            Some(f) => eprintln!(
                "input: rms={:.4} peak={:.4} pitch={}",
                f.rms,
                f.peak,
                f.pitch
                    .map_or_else(|| "none".to_string(), |p| format!("{} ({:.1} Hz)", p.name(), p.hz))
            ),
            None => eprintln!("input: no frames arrived"),
        }
    }
    drop(running);
    if let Some(w) = worker {
        eprintln!("{}", w.report());
    }
    println!("{}", report_line(&stats, handle.stats(), ahead));
    Ok(())
}

/// `--link` and `--link-quantum` of `play`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkRequest {
    /// Follow an Ableton Link session.
    pub on: bool,
    /// With start/stop sync.
    pub start_stop: bool,
    /// Beats per bar (the script's otherwise).
    pub quantum: Option<f64>,
}

/// Shortest time between two `link:` lines of `play --link` about tempo.
const LINK_REPORT: Duration = Duration::from_millis(100);

/// How long `play --link` looks for a session before starting on its own timeline.
const LINK_DISCOVERY: Duration = Duration::from_millis(1500);

/// Switches Link on once the output runs, waits for the session's peers (at most
/// [`LINK_DISCOVERY`]) and returns the beat of the session's next bar line but one beat.
fn join_link(control: &mut LinkControl, quantum: f64) -> Result<f64, BoxError> {
    control.set_enabled(true);
    let start = Instant::now();
    loop {
        control.update(quantum);
        let status = control.status(quantum);
        let waited = start.elapsed();
        if status.enabled && (status.peers > 0 || waited >= LINK_DISCOVERY) {
            eprintln!("link: on, peers={} bpm={:.2}", status.peers, status.bpm);
            return Ok(((status.beat + 1.0) / quantum).ceil() * quantum);
        }
        if waited >= 4 * LINK_DISCOVERY {
            return Err("Ableton Link did not start: the audio output runs no callbacks".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Opens the capture device and connects it to the analysis thread.
fn start_capture(
    handle: &engine_rt::EngineHandle,
    input: &Input,
) -> Result<engine_rt::backend::cpal::CpalStream, BoxError> {
    let host = if input.host == InputChoice::Jack {
        HostChoice::Jack
    } else {
        HostChoice::Default
    };
    let req = DeviceRequest {
        host,
        device: input.device.clone(),
        buffer: None,
    };
    let tap = handle.input_tap(4096).ok_or("analysis is off")?;
    let (stream, rate) = engine_rt::backend::cpal::start_input(&req, tap)?;
    eprintln!("analysing live input at {rate} Hz");
    Ok(stream)
}

/// When `play` stops.
#[derive(Debug, Clone, Copy)]
enum Until {
    /// This much wall-clock time after the audio started (`--seconds`).
    Elapsed(Duration),
    /// `then_frames` after the engine's clock passed `beat`: by the engine's own clock, so the
    /// whole script is heard however many cycles a busy host makes the device drop.
    Played { beat: f64, then_frames: u64 },
}

/// Control loop: keeps the script ahead of the audio and frees released memory until `until`.
/// Returns the last live-input analysis frame, if input is analysed.
fn drive(
    handle: &mut engine_rt::EngineHandle,
    runner: &mut ScriptRunner,
    until: Until,
    mut link: Option<(&mut LinkControl, f64)>,
) -> Option<engine_rt::AnalysisFrame> {
    let start = Instant::now();
    let (mut beat, mut frame) = (0.0, 0);
    // The engine frame to stop at, once the clock has passed the end beat.
    let mut end = None;
    let mut heard = None;
    // What the last `link:` line said, and when.
    let mut shown = (f64::NAN, u64::MAX, false, start);
    // Which decks play, as last reported.
    let mut playing = Vec::new();
    loop {
        let done = match until {
            Until::Elapsed(length) => start.elapsed() >= length,
            Until::Played { .. } => end.is_some_and(|e| frame >= e),
        };
        if done {
            break;
        }
        while let Some(e) = handle.poll_event() {
            match e {
                EngineEvent::MasterState { beat: b, frame: f, .. } => {
                    (beat, frame) = (b, f);
                    if let Until::Played {
                        beat: last,
                        then_frames,
                    } = until
                        && end.is_none()
                        && b >= last
                    {
                        end = Some(f + then_frames);
                    }
                }
                EngineEvent::Dropped { id, reason } => eprintln!("intent {id} dropped: {reason:?}"),
                EngineEvent::Applied {
                    id: ENGINE_INTENT,
                    beat: b,
                    ..
                } => eprintln!("link: the session's transport moved a deck at beat={b:.3}"),
                EngineEvent::DeckState { deck, playing: on, .. } => {
                    if playing.len() <= deck {
                        playing.resize(deck + 1, false);
                    }
                    if playing[deck] != on {
                        playing[deck] = on;
                        eprintln!("deck {}: {}", deck + 1, if on { "playing" } else { "stopped" });
                    }
                }
                _ => {}
            }
        }
        while let Some(f) = handle.poll_analysis() {
            if f.source == engine_rt::Source::Input {
                heard = Some(f);
            }
        }
        if let Some((control, quantum)) = link.as_mut() {
            // Changes of the session's peers and transport at once, of its tempo at most every
            // [`LINK_REPORT`] (a ramp is a step every block), so the settled tempo always shows.
            let s = control.status(*quantum);
            let tempo_moved = (s.bpm - shown.0).abs() >= 0.005 && shown.3.elapsed() >= LINK_REPORT;
            if tempo_moved || s.peers != shown.1 || s.playing != shown.2 {
                shown = (s.bpm, s.peers, s.playing, Instant::now());
                eprintln!(
                    "link: peers={} bpm={:.2} beat={:.6} playing={} at={}",
                    s.peers,
                    s.bpm,
                    s.beat,
                    u8::from(s.playing),
                    s.micros
                );
            }
        }
        runner.pump(handle, beat, LOOKAHEAD_BEATS);
        handle.collect();
        std::thread::sleep(Duration::from_millis(5));
    }
    heard
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn the_time_left_reads_as_a_clock() {
        assert_eq!(clock(0.2), "0:00");
        assert_eq!(clock(59.6), "1:00");
        assert_eq!(clock(754.0), "12:34");
        assert_eq!(clock(3725.0), "1:02:05");
        assert_eq!(clock(-3.0), "0:00");
    }
}
