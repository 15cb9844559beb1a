//! cpal output (and capture for live-input analysis): a thin adapter around the processor.

use std::sync::Arc;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::{CallbackStats, CallbackTimer, Feed};
use crate::analysis::tap::TapWriter;

/// Which cpal host to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostChoice {
    /// The platform default (ALSA on Linux).
    Default,
    /// The JACK server (must be running).
    Jack,
}

/// What to open.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    /// The audio system to open it through.
    pub host: HostChoice,
    /// Device name (substring match, case-insensitive); `None` for the host's default.
    pub device: Option<String>,
    /// Buffer size in frames; `None` for the device default.
    pub buffer: Option<u32>,
}

/// Why a device could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceError(pub String);

impl std::fmt::Display for DeviceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeviceError {}

fn host(choice: HostChoice) -> Result<cpal::Host, DeviceError> {
    match choice {
        HostChoice::Default => Ok(cpal::default_host()),
        HostChoice::Jack => {
            cpal::host_from_id(cpal::HostId::Jack).map_err(|e| DeviceError(format!("JACK host unavailable: {e}")))
        }
    }
}

fn device_name(d: &cpal::Device) -> String {
    d.description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| "?".into())
}

fn pick(
    devices: impl Iterator<Item = cpal::Device>,
    default: Option<cpal::Device>,
    want: &Option<String>,
    what: &str,
) -> Result<cpal::Device, DeviceError> {
    match want {
        None => default.ok_or_else(|| DeviceError(format!("no default {what} device"))),
        Some(name) => {
            let lower = name.to_lowercase();
            let all: Vec<cpal::Device> = devices.collect();
            let names: Vec<String> = all.iter().map(device_name).collect();
            all.into_iter()
                .find(|d| device_name(d).to_lowercase().contains(&lower))
                .ok_or_else(|| DeviceError(format!("no {what} device named '{name}' (have: {})", names.join(", "))))
        }
    }
}

/// Which way a stream goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Output,
    Input,
}

/// Picks the requested device and its default configuration (f32 only), with the requested
/// buffer size.
fn configure(req: &DeviceRequest, dir: Direction) -> Result<(cpal::Device, cpal::StreamConfig, String), DeviceError> {
    let host = host(req.host)?;
    let what = if dir == Direction::Output { "output" } else { "input" };
    let (devices, default) = match dir {
        Direction::Output => (
            host.output_devices().map(|d| d.collect::<Vec<_>>()),
            host.default_output_device(),
        ),
        Direction::Input => (
            host.input_devices().map(|d| d.collect::<Vec<_>>()),
            host.default_input_device(),
        ),
    };
    let devices = devices.map_err(|e| DeviceError(format!("cannot list {what} devices: {e}")))?;
    let device = pick(devices.into_iter(), default, &req.device, what)?;
    let name = device_name(&device);
    let supported = match dir {
        Direction::Output => device.default_output_config(),
        Direction::Input => device.default_input_config(),
    }
    .map_err(|e| DeviceError(format!("{what} device '{name}' is not available: {e}")))?;
    if supported.sample_format() != cpal::SampleFormat::F32 {
        return Err(DeviceError(format!(
            "{what} device '{name}' uses {:?} samples; only f32 is supported",
            supported.sample_format()
        )));
    }
    let mut config = supported.config();
    if let Some(b) = req.buffer {
        config.buffer_size = cpal::BufferSize::Fixed(b);
    }
    Ok((device, config, name))
}

/// An output device chosen and configured, not yet running.
pub struct PreparedOutput {
    device: cpal::Device,
    config: cpal::StreamConfig,
    /// Its timestamps are JACK's, on the system's monotonic clock.
    jack: bool,
    /// Human-readable device name.
    pub name: String,
}

impl PreparedOutput {
    /// Finds the device and its configuration (f32 samples at the device's default rate).
    pub fn open(req: &DeviceRequest) -> Result<Self, DeviceError> {
        let (device, config, name) = configure(req, Direction::Output)?;
        Ok(Self {
            device,
            config,
            jack: req.host == HostChoice::Jack,
            name,
        })
    }

    /// Device sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.config.sample_rate
    }

    /// Device output channels.
    pub fn channels(&self) -> usize {
        self.config.channels as usize
    }

    /// Starts the stream; the callback renders from `feed` and times itself.
    pub fn start(self, mut feed: Feed, stats: Arc<CallbackStats>) -> Result<CpalStream, DeviceError> {
        let channels = self.channels();
        let sr = self.sample_rate();
        let err_stats = stats.clone();
        let jack = self.jack;
        let stream = self
            .device
            .build_output_stream::<f32, _, _>(
                self.config,
                move |out: &mut [f32], info| {
                    let _t = CallbackTimer::start(&stats, out.len() / channels, sr);
                    let when = info.timestamp();
                    // When the API knows when the buffer is heard (JACK, ALSA), the output clock
                    // takes the callback's wakeup lateness out of its stamps. JACK's moments
                    // are its filtered cycle times on the monotonic clock, read against that
                    // clock now: cpal's `callback` moment follows the driver thread's own
                    // wakeup, which JACK2 does not filter.
                    let coarse = when.playback.checked_duration_since(when.callback);
                    let exact = jack
                        .then(monotonic_now)
                        .flatten()
                        .and_then(|now| when.playback.checked_duration_since(now));
                    // A server on another clock would be seconds off: the coarse moment then.
                    let heard_in = match (exact, coarse) {
                        (Some(e), Some(c)) if e.abs_diff(c) < std::time::Duration::from_millis(500) => Some(e),
                        _ => coarse,
                    };
                    feed.fill(out, channels, &stats, heard_in);
                },
                move |_e| err_stats.stream_error(),
                None,
            )
            .map_err(|e| DeviceError(format!("cannot open output stream on '{}': {e}", self.name)))?;
        stream
            .play()
            .map_err(|e| DeviceError(format!("cannot start output on '{}': {e}", self.name)))?;
        Ok(CpalStream { _stream: stream })
    }
}

/// The monotonic clock now, as JACK's timestamps count it (microseconds of
/// `CLOCK_MONOTONIC`, which JACK2 and PipeWire's JACK both use); `None` where it cannot be read.
fn monotonic_now() -> Option<cpal::StreamInstant> {
    #[cfg(unix)]
    {
        let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: a plain FFI call writing into a valid timespec; no allocation, no lock.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
        let nanos = u64::try_from(t.tv_sec).ok()?.checked_mul(1_000_000_000)?;
        let nanos = nanos.checked_add(u64::try_from(t.tv_nsec).ok()?)?;
        (rc == 0).then(|| cpal::StreamInstant::from_nanos(nanos))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// A running cpal stream; dropping it stops the audio.
pub struct CpalStream {
    _stream: cpal::Stream,
}

/// Opens a capture device and feeds its mono mix into an analysis tap (from
/// [`crate::EngineHandle::input_tap`]). Returns the running stream and its sample rate.
pub fn start_input(req: &DeviceRequest, mut tap: TapWriter) -> Result<(CpalStream, u32), DeviceError> {
    let (device, config, name) = configure(req, Direction::Input)?;
    let sr = config.sample_rate;
    let channels = config.channels as usize;
    let mut frame = 0u64;
    let stream = device
        .build_input_stream::<f32, _, _>(
            config,
            move |data: &[f32], _info| {
                // Live input has no beat of its own: its frames carry beat 0 and the analysis
                // stamps them with the capture clock.
                for block in data.chunks(tap.capacity() * channels) {
                    tap.begin(frame, 0.0, 0.0);
                    for f in block.chunks_exact(channels) {
                        tap.channel(0, f.iter().sum::<f32>() / channels as f32);
                        tap.next_frame();
                        frame += 1;
                    }
                    tap.flush();
                }
            },
            |_e| {},
            None,
        )
        .map_err(|e| DeviceError(format!("cannot open input stream on '{name}': {e}")))?;
    stream
        .play()
        .map_err(|e| DeviceError(format!("cannot start input on '{name}': {e}")))?;
    Ok((CpalStream { _stream: stream }, sr))
}
