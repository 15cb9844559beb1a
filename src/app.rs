//! The performance app: opens the audio output, builds the engine, and runs the Bevy world with
//! the control window (or headless, for installations and tests).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::window::{ExitCondition, WindowResolution};
use engine_rt::backend::CallbackStats;
use engine_rt::link::Link;
use engine_rt::track_analysis::cache::AnalysisCache;
use engine_rt::{Engine, EngineConfig, InternalClock};
use phosphene_controls::mapping::load::global_dir;
use phosphene_controls::midi::clock::MidiClock;
use phosphene_controls::{ControlsPlugin, MappingPaths, Registry};
use phosphene_decks::{ActionScript, DecksPlugin, Transport};
use phosphene_engine_bridge::{AbletonLink, EngineBridgePlugin, EngineLink, EngineStatus, TrackCache};
use phosphene_recorder::{Recorder, RecorderPlugin};
use phosphene_set::{BundledSets, SetCommand, SetFile, SetPlugin};
use phosphene_ui::{SHORTCUTS, Shortcut};
use phosphene_visuals::{Projector, VisualsPlugin};

use crate::output::{ChosenOutput, OutputRequest, report_line};

/// Decks the app runs.
pub const DECKS: usize = 4;
/// Seconds of master audio the recording ring holds while the writer catches up.
const RECORD_RING_SECONDS: f32 = 10.0;
/// UI/update rate when headless.
const HEADLESS_HZ: f64 = 60.0;

/// How the app was asked to run.
pub struct AppOptions {
    /// The set to open (the bundled demo set when `None`).
    pub set: Option<PathBuf>,
    pub output: OutputRequest,
    /// Frames the engine renders ahead of the device on a real-time worker (0: in the callback).
    pub ahead: usize,
    /// Run without a window.
    pub headless: bool,
    /// Quit after this long.
    pub seconds: Option<f64>,
    /// Scripted actions to fire at beats.
    pub actions: Option<PathBuf>,
    /// Where recordings go; `None` for the default folder.
    pub record_dir: Option<PathBuf>,
    /// Do not record the performance.
    pub no_record: bool,
    /// Save a PNG of the control window once the set's tracks are on the decks, then quit.
    pub screenshot: Option<PathBuf>,
    /// Where the projector output goes (windowed runs only).
    pub projector: Projector,
    /// Mapping files from `--mappings`, applied last.
    pub mappings: Vec<PathBuf>,
    /// The camera (or file) for gestures.
    pub camera: Option<phosphene_gestures::CameraChoice>,
    /// Gesture presets (names or files), applied before `--mappings`.
    pub gestures: Vec<String>,
    /// The stream format asked of a live camera.
    pub camera_format: phosphene_gestures::frame::camera::CameraFormatChoice,
    /// The hand model.
    pub hands: phosphene_gestures::HandsChoice,
    /// The camera's picture as the camera sees it, not mirrored.
    pub unmirrored: bool,
    /// Where to record the camera for rehearsal.
    pub record_camera: Option<PathBuf>,
    /// When devices' moves apply.
    pub control_timing: phosphene_engine_bridge::ControlTiming,
    /// The MIDI output port (part of its name) to send MIDI clock to.
    pub midi_clock: Option<String>,
    /// OSC settings from the command line (they win over the set's).
    pub osc: phosphene_osc::OscOverrides,
    /// Ableton Link on from the start (`--link`).
    pub link: bool,
    /// Link's start/stop sync on from the start (`--link-start-stop`).
    pub link_start_stop: bool,
    /// Beats per bar for Link's phase and for launches (`--link-quantum`); the set's otherwise.
    pub link_quantum: Option<f64>,
    /// When the process started, for the start-up report.
    pub started: Instant,
}

type BoxError = Box<dyn std::error::Error>;

/// The demo set, relative to the assets folder.
const DEMO_SET: &str = "demo/demo.set.ron";

/// The bundled assets: the first of `PHOSPHENE_ASSETS`, `assets` in the working directory and
/// the source tree the binary was built from that holds the demo set.
fn assets_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("PHOSPHENE_ASSETS").map(PathBuf::from),
        Some(PathBuf::from("assets")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.join(DEMO_SET).exists())
        .unwrap_or_else(|| PathBuf::from("assets"))
}

/// The bundled demo set (`demo/demo.set.ron` in the assets folder).
pub fn demo_set() -> PathBuf {
    assets_dir().join(DEMO_SET)
}

/// The user's Phosphene data folder, home of everything the app writes on its own:
/// `$XDG_DATA_HOME/phosphene` (or `~/.local/share/phosphene`).
fn data_dir() -> PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local").join("share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("phosphene")
}

/// A name for this performance's files, from the wall clock (UTC).
fn performance_stem() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (m <= 2) as i64;
    format!(
        "performance-{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The control map of the app: its decks and the scenes in the scene folder.
pub fn registry() -> Registry {
    let library = phosphene_visuals::library::SceneLibrary::open(&phosphene_visuals::library::scenes_dir());
    let scenes: Vec<String> = library.scenes().map(|s| s.id.clone()).collect();
    Registry::new(DECKS, &scenes)
}

/// `phosphene [SET]`: plays a set with the control window, or headless.
pub fn run(opts: AppOptions) -> Result<(), BoxError> {
    let set_path = opts.set.clone().unwrap_or_else(demo_set);
    // A set that cannot be read leaves the decks empty and says why; the app still starts.
    let (set, set_error) = match SetFile::load(&set_path) {
        Ok(s) => (Some(s), None),
        Err(e) => {
            eprintln!("phosphene: {e}");
            (None, Some(e.to_string()))
        }
    };
    let actions = opts.actions.as_deref().map(ActionScript::load).transpose()?;
    let presets = opts
        .gestures
        .iter()
        .map(|g| phosphene_gestures::presets::resolve(g, &assets_dir().join("gestures")))
        .collect::<Result<Vec<_>, _>>()?;
    let headless = opts.headless || !has_display();
    if headless && !opts.headless {
        eprintln!("phosphene: no display found (DISPLAY / WAYLAND_DISPLAY unset); running headless");
    }

    let chosen = ChosenOutput::open(&opts.output)?;
    let sample_rate = chosen.sample_rate();
    let defaults = SetFile::default();
    let s = set.as_ref().unwrap_or(&defaults);
    let quantum = opts.link_quantum.unwrap_or(s.quantum);
    let config = EngineConfig {
        sample_rate,
        channels: chosen.channels(),
        decks: DECKS,
        bpm: s.bpm,
        quantum,
        record_seconds: if opts.no_record { 0.0 } else { RECORD_RING_SECONDS },
        ..EngineConfig::default()
    };
    let (handle, mut processor) = Engine::new(config)?;
    let stats = CallbackStats::new();
    let device_latency_frames = chosen.block() as u32;
    // The clock can follow Ableton Link at any time (off until asked: no network before).
    let ableton = Link::new(s.bpm);
    processor.set_clock(Box::new(ableton.clock(
        InternalClock::new(sample_rate, s.bpm, quantum),
        sample_rate,
        stats.clone(),
        f64::from(device_latency_frames),
        processor.latency() as f64,
    )));
    let notice = chosen.notice.clone().or(set_error);
    let engine_stats = handle.stats().clone();
    let mut link = EngineLink::new(handle);
    let recorder = if opts.no_record {
        None
    } else {
        let dir = opts.record_dir.clone().unwrap_or_else(|| data_dir().join("recordings"));
        Some(Recorder::start(&mut link, &dir, &performance_stem())?)
    };
    let (feed, ahead) = crate::output::feed(processor, opts.ahead, chosen.channels(), chosen.block())?;
    let output_latency_frames = device_latency_frames + opts.ahead as u32;
    let (running, what) = chosen.start(feed, stats.clone())?;
    eprintln!("phosphene: playing on {what}");
    if let Some(path) = &opts.actions {
        eprintln!("{}", take_over_notice(path, headless));
    }

    let mut app = App::new();
    if headless {
        app.add_plugins((
            MinimalPlugins.set(ScheduleRunnerPlugin::run_loop(Duration::from_secs_f64(
                1.0 / HEADLESS_HZ,
            ))),
            bevy::log::LogPlugin::default(),
            // Gamepads play an installation too: visitors have no window to click.
            bevy::input::InputPlugin,
            bevy::gilrs::GilrsPlugin,
        ));
    } else {
        app.add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "Phosphene".into(),
                resolution: WindowResolution::new(1600, 900),
                ..default()
            }),
            // Closing the control window ends the performance; the projector window alone
            // does not keep it running.
            exit_condition: ExitCondition::OnPrimaryClosed,
            ..default()
        }))
        .add_plugins(phosphene_ui::UiPlugin);
    }
    // Ctrl+C, SIGTERM and SIGHUP end the performance as the window's close button does.
    crate::signals::end_gracefully_on_signals(&mut app);
    app.add_plugins((
        VisualsPlugin {
            projector: if headless { Projector::Off } else { opts.projector },
        },
        EngineBridgePlugin,
        DecksPlugin { decks: DECKS },
        ControlsPlugin {
            decks: DECKS,
            midi: true,
            mappings: MappingPaths {
                shipped: Some(assets_dir().join("mappings")),
                global: Some(global_dir()),
                extra: presets.into_iter().chain(opts.mappings.iter().cloned()).collect(),
            },
        },
        phosphene_gestures::GesturesPlugin {
            config: phosphene_gestures::CameraConfig {
                camera: opts.camera.clone(),
                format: opts.camera_format,
                hands: opts.hands,
                unmirrored: opts.unmirrored,
                models: assets_dir().join("models").join("hands"),
                record: opts.record_camera.clone(),
                ..default()
            },
        },
        phosphene_osc::OscPlugin {
            overrides: opts.osc.clone(),
        },
        SetPlugin,
        RecorderPlugin,
    ))
    .insert_resource(EngineStatus {
        callback: Some(stats.clone()),
        output_latency_frames,
        device_latency_frames,
        control_timing: opts.control_timing,
        output: what,
        notice,
        ..default()
    })
    .insert_resource(link)
    .insert_resource(AbletonLink::new(ableton.control(), quantum))
    .insert_resource(TrackCache(AnalysisCache::user()))
    .insert_resource(BundledSets {
        root: assets_dir(),
        autosave_dir: data_dir().join("autosave"),
    });
    if let Some(r) = recorder {
        app.insert_resource(r);
    }
    {
        let mut transport = app.world_mut().resource_mut::<Transport>();
        transport.quantum = quantum;
        transport.link = opts.link;
        transport.link_start_stop = opts.link_start_stop;
    }
    if let Some(port) = opts.midi_clock.clone() {
        app.insert_resource(MidiClock::start(port, stats.clone(), sample_rate));
    }
    if let Some(a) = actions {
        app.insert_resource(a);
    }
    if let Some(set) = set {
        app.world_mut().write_message(SetCommand::Apply {
            set: Box::new(set),
            path: Some(set_path),
        });
    }
    if let Some(seconds) = opts.seconds {
        app.add_systems(Update, quit_after(seconds));
    }
    app.add_systems(Update, report_first_sound(opts.started));
    if let Some(path) = opts.screenshot.clone() {
        if headless {
            return Err("--screenshot needs a window (a display, e.g. under xvfb-run)".into());
        }
        app.add_systems(Update, screenshot_when_loaded(path));
    }
    // The runner drops the world when it returns, finishing the recording before the audio stops.
    app.run();
    drop(app);
    drop(running);
    if let Some(a) = ahead {
        eprintln!("{}", a.report());
    }
    println!("{}", report_line(&stats, &engine_stats, opts.ahead));
    Ok(())
}

/// What the performer is told when scripted actions play: that the controls take over at any
/// time, with the keys to do it read from the keyboard table.
fn take_over_notice(script: &Path, headless: bool) -> String {
    let playing = format!("phosphene: playing the scripted actions in {}", script.display());
    if headless {
        return format!("{playing} (headless: no controls; Ctrl+C ends the performance)");
    }
    let key = |shortcut: Shortcut| {
        SHORTCUTS
            .iter()
            .find(|(_, s, _)| *s == shortcut)
            .map_or_else(|| "?".to_string(), |(key, _, _)| format!("{key:?}"))
    };
    format!(
        "{playing}; take over at any time: click a deck or press {}..{} to focus it, {} to play or \
         pause it; {} in the window lists every key",
        key(Shortcut::Focus(0)),
        key(Shortcut::Focus(DECKS - 1)),
        key(Shortcut::PlayPause),
        key(Shortcut::Help),
    )
}

fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// Master peak above which the output counts as audible (-60 dBFS).
const AUDIBLE: f32 = 1e-3;

/// A system that prints, once, how long after the process started the master first carried
/// sound (to within one engine report, 20 ms, and one frame).
fn report_first_sound(started: Instant) -> impl FnMut(Res<EngineStatus>, Local<bool>) {
    move |status, mut done| {
        if !*done && status.master_peak > AUDIBLE {
            *done = true;
            eprintln!("first_audible_seconds={:.3}", started.elapsed().as_secs_f64());
        }
    }
}

/// A system that ends the app after `seconds` of wall time.
fn quit_after(seconds: f64) -> impl FnMut(Res<Time<Real>>, MessageWriter<AppExit>) {
    move |time, mut exit| {
        if time.elapsed_secs_f64() >= seconds {
            exit.write(AppExit::Success);
        }
    }
}

/// Frames drawn after the tracks are on the decks before the screenshot, so every panel has
/// settled.
const SCREENSHOT_SETTLE_FRAMES: u32 = 30;
/// Frames a screenshot waits at most for a running camera's first picture.
const SCREENSHOT_CAMERA_FRAMES: u32 = 300;

/// A system that, once no deck is loading, waits a few frames, saves a screenshot of the
/// control window to `path` and quits.
fn screenshot_when_loaded(
    path: PathBuf,
) -> impl FnMut(
    Commands,
    Query<&phosphene_decks::DeckTrack>,
    Option<Res<phosphene_gestures::CameraView>>,
    Local<u32>,
    Local<bool>,
) {
    use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
    move |mut commands, decks, camera, mut settled, mut taken| {
        if *taken || decks.iter().any(|d| d.loading.is_some()) {
            return;
        }
        *settled += 1;
        // A camera that runs has shown a picture too (within a bound: one that never does is
        // on the screenshot as it is).
        let camera_waits =
            camera.is_some_and(|c| c.source.is_some() && c.preview.is_none()) && *settled < SCREENSHOT_CAMERA_FRAMES;
        if *settled < SCREENSHOT_SETTLE_FRAMES || camera_waits {
            return;
        }
        *taken = true;
        commands
            .spawn(Screenshot::primary_window())
            .observe(save_to_disk(path.clone()))
            .observe(|_: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                exit.write(AppExit::Success);
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_controls_page_lists_every_control_of_the_registry() {
        let page = include_str!("../docs/CONTROLS.md");
        let generated = phosphene_controls::docs::markdown(&registry(), DECKS);
        assert!(
            page.contains(&generated),
            "docs/CONTROLS.md is out of date: put the output of `phosphene controls --markdown` \
             between its markers"
        );
    }

    #[test]
    fn the_osc_page_is_generated_from_the_registry() {
        assert!(
            include_str!("../docs/OSC.md") == phosphene_osc::docs::markdown(&registry()),
            "docs/OSC.md is out of date: write it with `phosphene osc --markdown > docs/OSC.md`"
        );
    }

    #[test]
    fn a_script_in_the_window_names_the_keys_that_take_over() {
        let notice = take_over_notice(Path::new("opening.actions.ron"), false);
        assert!(
            notice.contains("playing the scripted actions in opening.actions.ron"),
            "{notice}"
        );
        for key in ["F1..F4", "Space", "F12"] {
            assert!(notice.contains(key), "{key}: {notice}");
        }
        let headless = take_over_notice(Path::new("opening.actions.ron"), true);
        assert!(headless.contains("Ctrl+C ends the performance"), "{headless}");
    }
}
