//! MIDI ports through midir (JACK MIDI by default, the ALSA sequencer without the `jack-midi`
//! feature). A thread of its own polls the port lists, so a controller plugged in mid-set is
//! found and one pulled out stalls nothing; each open input hands its messages, stamped with
//! their arrival time, to the app through a wait-free ring. JACK MIDI inputs are our own
//! clients (`jack_in`), which stamp each message to its frame.

use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use midir::{MidiInput, MidiOutput, MidiOutputConnection};

/// The client name Phosphene shows in the MIDI graph.
pub const CLIENT: &str = "phosphene";
/// How often the port lists are read.
pub const POLL: Duration = Duration::from_millis(250);
/// Messages an input may hold while the app is between frames (a dense stream at 1,000
/// messages a second fills a tenth of it in one slow frame).
const RING: usize = 4096;
/// Bytes a message keeps: channel messages and short SysEx. Longer SysEx arrives cut, flagged.
pub const MAX_BYTES: usize = 64;

/// One message as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct RawMidi {
    /// When it reached the machine.
    pub at: Instant,
    /// Bytes held (up to [`MAX_BYTES`]).
    pub len: u16,
    /// Whether it was longer than [`MAX_BYTES`] and was cut.
    pub cut: bool,
    /// The bytes.
    pub bytes: [u8; MAX_BYTES],
}

impl RawMidi {
    /// A message that arrived at `at`; bytes past [`MAX_BYTES`] are cut, and it says so.
    pub fn new(at: Instant, bytes: &[u8]) -> Self {
        let n = bytes.len().min(MAX_BYTES);
        let mut raw = Self {
            at,
            len: n as u16,
            cut: bytes.len() > MAX_BYTES,
            bytes: [0; MAX_BYTES],
        };
        raw.bytes[..n].copy_from_slice(&bytes[..n]);
        raw
    }

    /// The message's bytes.
    pub fn data(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// What the port thread reports.
pub enum PortEvent {
    /// An input port opened: its name, which of that name it is, and its messages.
    InputOpened {
        /// The port's name.
        name: String,
        /// Among ports of this name, which one (0 for the first).
        ordinal: usize,
        /// Its messages, in arrival order.
        messages: rtrb::Consumer<RawMidi>,
    },
    /// An input port went away.
    InputClosed {
        /// The port's name.
        name: String,
        /// Which of that name.
        ordinal: usize,
    },
    /// An output port opened.
    OutputOpened {
        /// The port's name.
        name: String,
        /// The connection to send on.
        connection: MidiOutputConnection,
    },
    /// An output port went away.
    OutputClosed {
        /// The port's name.
        name: String,
    },
    /// There is no MIDI system (no JACK server, no ALSA sequencer): said once, retried.
    Unavailable(String),
}

/// The port names of both directions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortList {
    /// Ports that send to Phosphene (controllers' outputs).
    pub inputs: Vec<String>,
    /// Ports Phosphene can send to (controllers' inputs: LEDs, motor faders).
    pub outputs: Vec<String>,
}

/// Clients that read the port lists (kept open: re-registering a client on every poll would
/// make the JACK graph reorder each time).
struct Lister {
    input: MidiInput,
    output: MidiOutput,
}

/// Whether a JACK-capable server runs: jackd's socket for the server JACK would talk to, or
/// PipeWire's (which serves JACK clients too). Asked before libjack is, because a libjack
/// client that finds no server prints its complaints to stderr on every try.
#[cfg(feature = "jack-midi")]
fn server_running() -> bool {
    let server = std::env::var("JACK_DEFAULT_SERVER").unwrap_or_else(|_| "default".into());
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let jackd = std::path::PathBuf::from(format!("/dev/shm/jack_{server}_{uid}_0"));
    let pipewire = std::env::var_os("XDG_RUNTIME_DIR").map(|d| std::path::Path::new(&d).join("pipewire-0"));
    jackd.exists() || pipewire.is_some_and(|p| p.exists())
}

/// The ALSA sequencer is there or not; asking is quiet.
#[cfg(not(feature = "jack-midi"))]
fn server_running() -> bool {
    true
}

impl Lister {
    fn open() -> Result<Self, String> {
        if !server_running() {
            return Err("no MIDI system: no JACK server (jackd or PipeWire) is running".into());
        }
        let fail = |e: midir::InitError| format!("no MIDI system: {e}");
        Ok(Self {
            input: MidiInput::new(&format!("{CLIENT}-list")).map_err(fail)?,
            output: MidiOutput::new(&format!("{CLIENT}-list")).map_err(fail)?,
        })
    }

    /// The ports there are now, leaving out Phosphene's own.
    fn ports(&self) -> PortList {
        let own = |n: &String| !n.starts_with(CLIENT);
        let (i, o) = (&self.input, &self.output);
        PortList {
            inputs: i
                .ports()
                .iter()
                .filter_map(|p| i.port_name(p).ok())
                .filter(own)
                .collect(),
            outputs: o
                .ports()
                .iter()
                .filter_map(|p| o.port_name(p).ok())
                .filter(own)
                .collect(),
        }
    }
}

/// Lists the ports the MIDI system has now, leaving out Phosphene's own.
pub fn list() -> Result<PortList, String> {
    Lister::open().map(|l| l.ports())
}

/// The port thread's handle: events come out of it; dropping it stops the thread.
pub struct PortWatcher {
    events: Receiver<PortEvent>,
    stop: Sender<()>,
}

impl PortWatcher {
    /// Starts the thread.
    pub fn spawn() -> Result<Self, String> {
        let (events_tx, events) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("phosphene-midi".into())
            .spawn(move || watch(&events_tx, &stop_rx))
            .map_err(|e| format!("cannot start the MIDI thread: {e}"))?;
        Ok(Self { events, stop })
    }

    /// The next event, if one is waiting.
    pub fn try_next(&self) -> Option<PortEvent> {
        self.events.try_recv().ok()
    }
}

impl Drop for PortWatcher {
    fn drop(&mut self) {
        let _ = self.stop.send(());
    }
}

/// An open input; dropping it closes the port.
#[cfg(feature = "jack-midi")]
type InputConnection = crate::midi::jack_in::JackInput;
/// An open input; dropping it closes the port.
#[cfg(not(feature = "jack-midi"))]
type InputConnection = midir::MidiInputConnection<()>;

/// Opens one input port, its messages going into a ring.
fn open_input(name: &str) -> Result<(InputConnection, rtrb::Consumer<RawMidi>), String> {
    let (tx, rx) = rtrb::RingBuffer::new(RING);
    #[cfg(feature = "jack-midi")]
    let connection = crate::midi::jack_in::open(name, tx)?;
    #[cfg(not(feature = "jack-midi"))]
    let connection = {
        let mut tx = tx;
        let input = MidiInput::new(&format!("{CLIENT}-in")).map_err(|e| e.to_string())?;
        let port = port_named(&input, name)?;
        // On the ALSA sequencer's thread: no allocation, no lock; a full ring drops it.
        let callback = move |_stamp: u64, bytes: &[u8], _: &mut ()| {
            let _ = tx.push(RawMidi::new(Instant::now(), bytes));
        };
        input.connect(&port, "in", callback, ()).map_err(|e| e.to_string())?
    };
    Ok((connection, rx))
}

fn open_output(name: &str) -> Result<MidiOutputConnection, String> {
    let output = MidiOutput::new(&format!("{CLIENT}-out")).map_err(|e| e.to_string())?;
    let port = port_named(&output, name)?;
    output.connect(&port, "out").map_err(|e| e.to_string())
}

/// The port of `io` named `name`, if it is still there.
fn port_named<T: midir::MidiIO>(io: &T, name: &str) -> Result<T::Port, String> {
    io.ports()
        .into_iter()
        .find(|p| io.port_name(p).is_ok_and(|n| n == name))
        .ok_or_else(|| format!("{name}: gone"))
}

/// Which of its name each port is: two identical controllers stay apart.
fn with_ordinals(names: &[String]) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for n in names {
        let ordinal = out.iter().filter(|(m, _)| m == n).count();
        out.push((n.clone(), ordinal));
    }
    out
}

fn watch(events: &Sender<PortEvent>, stop: &Receiver<()>) {
    let mut inputs: Vec<((String, usize), InputConnection)> = Vec::new();
    let mut outputs: Vec<String> = Vec::new();
    let mut said_unavailable = false;
    let mut lister: Option<Lister> = None;
    loop {
        match stop.recv_timeout(POLL) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Stopped, or the app is gone.
            _ => return,
        }
        if lister.is_none() {
            match Lister::open() {
                Ok(l) => lister = Some(l),
                Err(e) if !said_unavailable => {
                    said_unavailable = true;
                    if events.send(PortEvent::Unavailable(e)).is_err() {
                        return;
                    }
                }
                Err(_) => {}
            }
        }
        let ports = match lister.as_ref().map(Lister::ports) {
            Some(p) => {
                said_unavailable = false;
                p
            }
            None => continue,
        };
        let now = with_ordinals(&ports.inputs);
        // Gone: closed (dropping the connection); nothing waits on the device.
        inputs.retain(|(key, _)| {
            let keep = now.contains(key);
            if !keep {
                let _ = events.send(PortEvent::InputClosed {
                    name: key.0.clone(),
                    ordinal: key.1,
                });
            }
            keep
        });
        for key in now {
            if inputs.iter().any(|(k, _)| *k == key) {
                continue;
            }
            // A port that fails to open is tried again on the next poll.
            if let Ok((connection, messages)) = open_input(&key.0) {
                let opened = PortEvent::InputOpened {
                    name: key.0.clone(),
                    ordinal: key.1,
                    messages,
                };
                if events.send(opened).is_err() {
                    return;
                }
                inputs.push((key, connection));
            }
        }
        outputs.retain(|name| {
            let keep = ports.outputs.contains(name);
            if !keep {
                let _ = events.send(PortEvent::OutputClosed { name: name.clone() });
            }
            keep
        });
        for name in &ports.outputs {
            if outputs.contains(name) {
                continue;
            }
            if let Ok(connection) = open_output(name) {
                if events
                    .send(PortEvent::OutputOpened {
                        name: name.clone(),
                        connection,
                    })
                    .is_err()
                {
                    return;
                }
                outputs.push(name.clone());
            }
        }
    }
}
