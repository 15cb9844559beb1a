//! Headless commands: offline render and live play of session scripts.

use std::path::Path;
use std::time::{Duration, Instant};

use engine_rt::backend::CallbackStats;
use engine_rt::backend::cpal::{DeviceRequest, HostChoice};
use engine_rt::backend::offline::write_wav;
use engine_rt::replay::Recording;
use engine_rt::script::{LOOKAHEAD_BEATS, ScriptRunner, Session};
use engine_rt::{Engine, EngineEvent};

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

/// True when the RON text is a recorded performance rather than a session script.
fn is_recording(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"))
        .is_some_and(|l| l.starts_with("Recording"))
}

/// `phosphene render SCRIPT_OR_RECORDING --out WAV`. A session script renders at `rate`; a
/// recording renders at the rate it was played at, every intent at its recorded frame.
pub fn render(script: &Path, out: &Path, rate: u32) -> Result<(), BoxError> {
    let text = std::fs::read_to_string(script).map_err(|e| format!("cannot read '{}': {e}", script.display()))?;
    let (samples, rate) = if is_recording(&text) {
        let recording = Recording::parse(&text, script)?;
        if recording.dropped_frames > 0 {
            eprintln!(
                "note: the live WAV lost {} frames to dropouts; the re-render is complete",
                recording.dropped_frames
            );
        }
        let samples = recording.render(script_dir(script), RENDER_BLOCK)?;
        (samples, recording.sample_rate)
    } else {
        let session = Session::parse(&text, script)?;
        (
            engine_rt::script::render(&session, script_dir(script), rate, RENDER_BLOCK)?,
            rate,
        )
    };
    write_wav(out, &samples, rate).map_err(|e| format!("cannot write '{}': {e}", out.display()))?;
    eprintln!(
        "rendered {:.2} s to {}",
        samples.len() as f64 / 2.0 / rate as f64,
        out.display()
    );
    Ok(())
}

/// `phosphene play SCRIPT`: plays live and prints the callback timing line at exit.
pub fn play(
    script: &Path,
    output: OutputRequest,
    ahead: usize,
    input: Option<Input>,
    seconds: Option<f64>,
) -> Result<(), BoxError> {
    let session = Session::load(script)?;
    let chosen = ChosenOutput::open(&output)?;
    let rate = chosen.sample_rate();
    let tracks = session.decode_tracks(script_dir(script), rate)?;
    let mut config = session.engine_config(rate);
    config.analysis = input.is_some();
    let (mut handle, processor) = Engine::new(config)?;
    let _capture = match &input {
        Some(i) => Some(start_capture(&handle, i)?),
        None => None,
    };
    let mut runner = ScriptRunner::new(&session, tracks, &handle);
    // Everything due in the first beats is queued before the first callback.
    runner.pump(&mut handle, 0.0, LOOKAHEAD_BEATS);

    let stats = CallbackStats::new();
    let channels = chosen.channels();
    let block = chosen.block();
    let (feed, ahead) = crate::output::feed(processor, ahead, channels, block)?;
    let (running, what) = chosen.start(feed, stats.clone())?;
    eprintln!("playing on {what}");
    let seconds = seconds.unwrap_or_else(|| session.length() * 60.0 / session.bpm + 0.5);
    let heard = drive(&mut handle, &mut runner, Duration::from_secs_f64(seconds.max(0.0)));
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
    if let Some(a) = ahead {
        eprintln!("{}", a.report());
    }
    println!("{}", report_line(&stats, handle.stats().dropped_intents()));
    Ok(())
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

/// Control loop: keeps the script ahead of the audio and frees released memory. Returns the
/// last live-input analysis frame, if input is analysed.
fn drive(
    handle: &mut engine_rt::EngineHandle,
    runner: &mut ScriptRunner,
    length: Duration,
) -> Option<engine_rt::AnalysisFrame> {
    let start = Instant::now();
    let mut beat = 0.0;
    let mut heard = None;
    while start.elapsed() < length {
        while let Some(e) = handle.poll_event() {
            match e {
                EngineEvent::MasterState { beat: b, .. } => beat = b,
                EngineEvent::Dropped { id, reason } => eprintln!("intent {id} dropped: {reason:?}"),
                _ => {}
            }
        }
        while let Some(f) = handle.poll_analysis() {
            if f.source == engine_rt::Source::Input {
                heard = Some(f);
            }
        }
        runner.pump(handle, beat, LOOKAHEAD_BEATS);
        handle.collect();
        std::thread::sleep(Duration::from_millis(5));
    }
    heard
}
