//! `phosphene`: the live audiovisual instrument. Without a subcommand it opens a set (the
//! bundled demo set by default) in the control window; `render` and `play` are the headless
//! engine commands.

mod analyse_cli;
mod app;
mod controls_cli;
mod headless;
mod output;
mod signals;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "phosphene",
    version,
    about = "Phosphene: a live audiovisual instrument",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

/// Where live audio goes: shared by the app and `play`.
#[derive(Args)]
struct OutputArgs {
    /// Audio output.
    #[arg(long, value_enum, default_value_t = AudioChoice::Default)]
    audio: AudioChoice,
    /// Output device name (substring, case-insensitive).
    #[arg(long)]
    device: Option<String>,
    /// Buffer size in frames.
    #[arg(long)]
    buffer: Option<u32>,
    /// Render this many frames ahead of the device on a real-time worker, so the audio callback
    /// only copies and slow blocks never become dropouts (and the light can show exactly the
    /// audio being heard); adds that much latency. 0 renders inside the callback: the lowest
    /// latency, but heavy sets (key-locked decks) can glitch.
    #[arg(long, default_value_t = output::DEFAULT_AHEAD)]
    ahead: usize,
}

/// Ableton Link: shared by the app and `play`.
#[derive(Args)]
struct LinkArgs {
    /// Play in time with an Ableton Link session (other Phosphenes, Live, drum machines) from the
    /// start; off by default, as Link talks on every network interface (see docs/LINK.md).
    #[arg(long)]
    link: bool,
    /// Link's start/stop sync: synced decks start on the session's bar line when another peer
    /// starts and pause when it stops; the first synced deck started starts the session.
    #[arg(long)]
    link_start_stop: bool,
    /// Beats per bar Link aligns phase to, and launches land on (default: the set's).
    #[arg(long, value_name = "N", value_parser = parse_quantum)]
    link_quantum: Option<f64>,
}

fn parse_quantum(s: &str) -> Result<f64, String> {
    let q: f64 = s.parse().map_err(|_| format!("'{s}': expected a number of beats"))?;
    engine_rt::ranges::QUANTUM.check(q).map_err(|e| format!("'{s}': {e}"))
}

impl OutputArgs {
    fn request(&self) -> output::OutputRequest {
        output::OutputRequest {
            audio: self.audio,
            device: self.device.clone(),
            buffer: self.buffer,
        }
    }
}

/// Options of the performance app (`phosphene [SET]`).
#[derive(Args)]
struct RunArgs {
    /// Set file (RON) to open; the bundled demo set when omitted.
    set: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    link: LinkArgs,
    /// Run without a window (installations, tests); also chosen when there is no display.
    #[arg(long)]
    headless: bool,
    /// Quit after this many seconds.
    #[arg(long)]
    seconds: Option<f64>,
    /// Fire scripted actions at beats (RON list of `(beat: .., action: ..)`).
    #[arg(long)]
    actions: Option<PathBuf>,
    /// Folder for recordings (default: ~/.local/share/phosphene/recordings).
    #[arg(long)]
    record_dir: Option<PathBuf>,
    /// Do not record the performance.
    #[arg(long)]
    no_record: bool,
    /// Save a PNG of the control window once the set is loaded, then quit (for tests and docs).
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// When moves of MIDI controllers and gamepads apply: `arrival` (at the frame of their
    /// arrival plus one fixed latency: no jitter) or `frame` (with the next UI frame: less
    /// latency, up to a UI frame of jitter).
    #[arg(long, value_enum, default_value_t = ControlTimingChoice::Arrival)]
    control_timing: ControlTimingChoice,
    /// Send MIDI clock (24 ticks a beat, song position, continue/stop) from the engine clock to
    /// the MIDI output port whose name contains PORT; off by default.
    #[arg(long, value_name = "PORT")]
    midi_clock: Option<String>,
    /// A controller mapping file (RON) applied on top of the shipped, global and set mappings;
    /// may be given more than once (later files win).
    #[arg(long = "mappings", value_name = "FILE")]
    mappings: Vec<PathBuf>,
    /// Listen for OSC on UDP 127.0.0.1:PORT (see docs/OSC.md).
    #[arg(long, value_name = "PORT")]
    osc: Option<u16>,
    /// Listen for OSC on this interface instead of the loopback (e.g. 0.0.0.0: anyone on the
    /// network can then play the instrument).
    #[arg(long, value_name = "ADDR")]
    osc_bind: Option<std::net::IpAddr>,
    /// Send feedback and analysis to this OSC destination; may be given more than once.
    #[arg(long, value_name = "HOST:PORT")]
    osc_out: Vec<phosphene_osc::Endpoint>,
    /// Serve OSCQuery (HTTP and websocket) on 127.0.0.1:PORT.
    #[arg(long, value_name = "PORT")]
    oscquery: Option<u16>,
    /// Mirror control changes with another Phosphene listening for OSC at HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    osc_mirror: Option<phosphene_osc::Endpoint>,
    /// Analysis bundles sent to OSC destinations a second (0 to 200; default 60).
    #[arg(long, value_name = "HZ", value_parser = parse_rate)]
    osc_analysis_rate: Option<f64>,
    /// Camera gestures from camera N (0, 1, ... as `phosphene cameras` lists them) or from a
    /// y4m / MJPEG file played as a camera, looping (see docs/GESTURES.md).
    #[arg(long, value_name = "N|PATH")]
    camera: Option<phosphene_gestures::CameraChoice>,
    /// Gesture bindings to play with: a preset from assets/gestures (`filter-hand`, `fx-speed`,
    /// `swipe-scenes`, `performer`, `installation`) or a mapping file; may be given more than once.
    #[arg(long = "gestures", value_name = "PRESET")]
    gestures: Vec<String>,
    /// The stream format asked of a live camera: `auto` (MJPEG when offered, else YUYV),
    /// `mjpeg` or `yuyv`.
    #[arg(long, value_name = "FORMAT", default_value = "auto")]
    camera_format: phosphene_gestures::frame::camera::CameraFormatChoice,
    /// The hand model: `lite` (default), `full`, or `off` for motion features only.
    #[arg(long, value_name = "MODEL", default_value = "lite")]
    hands: phosphene_gestures::HandsChoice,
    /// Measure and show the camera's picture as the camera sees it, not mirrored (by default
    /// the performer's right is the picture's right, as in a mirror).
    #[arg(long)]
    unmirrored: bool,
    /// Record what the camera sees to this y4m file, to rehearse with later (`--camera FILE`).
    #[arg(long, value_name = "FILE")]
    record_camera: Option<PathBuf>,
    /// Projector output: `window` (a normal window), `off`, or a monitor number (0, 1, ...)
    /// for borderless fullscreen there.
    #[arg(long, default_value = "window", value_parser = parse_projector)]
    projector: phosphene_visuals::Projector,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s
        .parse()
        .map_err(|_| format!("'{s}': expected a number of bundles a second"))?;
    phosphene_osc::settings::check_rate(rate)
}

fn parse_projector(s: &str) -> Result<phosphene_visuals::Projector, String> {
    use phosphene_visuals::Projector;
    match s {
        "off" => Ok(Projector::Off),
        "window" => Ok(Projector::Window),
        n => n
            .parse()
            .map(Projector::Fullscreen)
            .map_err(|_| format!("'{n}': expected off, window or a monitor number")),
    }
}

/// Where live audio goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AudioChoice {
    /// The system's default device; falls back to `null` with a warning if none opens.
    Default,
    /// A running JACK server.
    Jack,
    /// No device: rendered in real time and discarded.
    Null,
}

/// When devices' moves apply (see `--control-timing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ControlTimingChoice {
    /// At the frame of their arrival plus one fixed latency.
    Arrival,
    /// With the next UI frame.
    Frame,
}

/// Where live input for analysis comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputChoice {
    /// The system's default capture device.
    Default,
    /// JACK capture ports.
    Jack,
}

#[derive(Subcommand)]
enum Command {
    /// Print every control of the control map, one a line:
    /// `<address> <kind> <range or choices> <description>`.
    Controls {
        /// The Markdown table docs/CONTROLS.md holds instead.
        #[arg(long)]
        markdown: bool,
    },
    /// List the MIDI ports Phosphene sees, one a line: `input <name>` or `output <name>`.
    Midi,
    /// List the cameras Phosphene sees, one a line: `camera <N> <name>` (N for `--camera N`).
    Cameras,
    /// Print the OSC address space: every control with its OSC type, then every analysis leaf.
    Osc {
        /// The page docs/OSC.md holds instead.
        #[arg(long)]
        markdown: bool,
    },
    /// Analyse audio files (folders: every audio file in them): one line per file,
    /// `file=<path> bpm=<f> first_beat=<f> confidence=<f> key=<name>`, or
    /// `file=<path> error=<reason>`. `bpm=0` means no pulse was found, `key=none` no clear key.
    /// Results are cached per file content (see docs/ANALYSIS.md).
    Analyse {
        /// Audio files or folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// After each file's line, its beat times in seconds, one per line.
        #[arg(long)]
        beats: bool,
        /// Neither read nor write the analysis cache.
        #[arg(long)]
        no_cache: bool,
        /// Analyse again even when the cache holds the file (and store the new result).
        #[arg(long)]
        fresh: bool,
    },
    /// Convert a Mixxx controller mapping (`.midi.xml`) into a Phosphene mapping file, printing
    /// what could not carry over.
    ImportMixxx {
        /// The Mixxx mapping.
        xml: PathBuf,
        /// Where to write the Phosphene mapping (RON); printed when omitted.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Render a session script, a recorded performance or a set offline: the audio to a WAV
    /// file and/or the visuals to numbered PNG frames (and a video). Deterministic: same input,
    /// same bytes.
    Render(headless::RenderRequest),
    /// Play a session script live without a window and report callback timing at exit.
    Play {
        /// Session script (RON).
        script: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        link: LinkArgs,
        /// How long to play (wall-clock seconds); default: until the engine has played the
        /// whole script, plus half a second.
        #[arg(long)]
        seconds: Option<f64>,
        /// Also analyse live input from this host's capture device (`default` or `jack`) and
        /// print its level and pitch to stderr at exit.
        #[arg(long, value_enum)]
        input: Option<InputChoice>,
        /// Capture device name (substring, case-insensitive).
        #[arg(long)]
        input_device: Option<String>,
    },
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    let result = match cli.command {
        None => {
            let r = cli.run;
            app::run(app::AppOptions {
                set: r.set,
                output: r.output.request(),
                ahead: r.output.ahead,
                headless: r.headless,
                seconds: r.seconds,
                actions: r.actions,
                record_dir: r.record_dir,
                no_record: r.no_record,
                screenshot: r.screenshot,
                projector: r.projector,
                mappings: r.mappings,
                camera: r.camera,
                camera_format: r.camera_format,
                unmirrored: r.unmirrored,
                gestures: r.gestures,
                hands: r.hands,
                record_camera: r.record_camera,
                midi_clock: r.midi_clock,
                osc: phosphene_osc::OscOverrides {
                    port: r.osc,
                    bind: r.osc_bind,
                    destinations: r.osc_out.into_iter().map(phosphene_osc::Destination::new).collect(),
                    oscquery: r.oscquery,
                    mirror: r.osc_mirror,
                    analysis_rate: r.osc_analysis_rate,
                },
                control_timing: match r.control_timing {
                    ControlTimingChoice::Arrival => phosphene_engine_bridge::ControlTiming::Arrival,
                    ControlTimingChoice::Frame => phosphene_engine_bridge::ControlTiming::NextFrame,
                },
                link: r.link.link,
                link_start_stop: r.link.link_start_stop,
                link_quantum: r.link.link_quantum,
                started,
            })
        }
        Some(Command::Controls { markdown }) => {
            let registry = app::registry();
            if markdown {
                print!("{}", phosphene_controls::docs::markdown(&registry, app::DECKS));
            } else {
                print!("{}", registry.listing());
            }
            Ok(())
        }
        Some(Command::Midi) => controls_cli::midi(),
        Some(Command::Cameras) => controls_cli::cameras(),
        Some(Command::Osc { markdown }) => {
            let registry = app::registry();
            if markdown {
                print!("{}", phosphene_osc::docs::markdown(&registry));
            } else {
                print!("{}", phosphene_osc::docs::listing(&registry));
            }
            Ok(())
        }
        Some(Command::Analyse {
            files,
            beats,
            no_cache,
            fresh,
        }) => analyse_cli::analyse(&files, beats, no_cache, fresh).map_err(Into::into),
        Some(Command::ImportMixxx { xml, out }) => controls_cli::import_mixxx(&xml, out.as_deref()),
        Some(Command::Render(request)) => headless::render(&request),
        Some(Command::Play {
            script,
            output,
            link,
            seconds,
            input,
            input_device,
        }) => {
            let input = input.map(|host| headless::Input {
                host,
                device: input_device,
            });
            let link = headless::LinkRequest {
                on: link.link,
                start_stop: link.link_start_stop,
                quantum: link.link_quantum,
            };
            headless::play(&script, output.request(), output.ahead, input, seconds, link)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phosphene: {e}");
            ExitCode::FAILURE
        }
    }
}
