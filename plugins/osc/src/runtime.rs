//! The OSC side as it runs: the settings in force (the set's, with the command line's on
//! top), the open socket and OSCQuery server, the resolved destinations, and what the control
//! window shows about them. Changing the settings (a set loads, the performer adds a
//! destination) reopens only what changed.

use std::net::SocketAddr;

use bevy::prelude::*;

use crate::oscquery::{HostInfo, OscQueryServer};
use crate::settings::{Destination, OscOverrides, OscSettings};
use crate::socket::OscSocket;
use crate::wire::{self, Timing};
use rosc::OscMessage;

/// Largest datagram sent: under a typical network's packet size, so nothing is fragmented.
pub const DATAGRAM_BYTES: usize = 1400;

/// The settings: the command line's and the set's.
#[derive(Resource, Debug, Clone, Default)]
pub struct OscConfig {
    cli: OscOverrides,
    set: OscSettings,
}

impl OscConfig {
    /// Settings from the command line, which win over any set's.
    pub fn new(cli: OscOverrides) -> Self {
        Self {
            cli,
            set: OscSettings::default(),
        }
    }

    /// Takes a set's settings (when it loads).
    pub fn use_set(&mut self, set: OscSettings) {
        self.set = set;
    }

    /// The set's settings, as saved with it.
    pub fn set_settings(&self) -> &OscSettings {
        &self.set
    }

    /// The set's settings, for the control window to change (a destination added).
    pub fn set_settings_mut(&mut self) -> &mut OscSettings {
        &mut self.set
    }

    /// What is in force.
    pub fn effective(&self) -> OscSettings {
        self.set.overlaid(&self.cli)
    }
}

/// A destination and the address it resolved to (or why it did not).
#[derive(Debug, Clone)]
pub struct Resolved {
    /// As the settings give it.
    pub destination: Destination,
    /// Where packets go.
    pub addr: Result<SocketAddr, String>,
}

/// What the control window shows about OSC.
#[derive(Resource, Debug, Clone, Default)]
pub struct OscStatus {
    /// Where the server listens, when it does.
    pub listening: Option<SocketAddr>,
    /// Where OSCQuery is served, when it is.
    pub oscquery: Option<SocketAddr>,
    /// Websocket clients of OSCQuery now.
    pub oscquery_clients: usize,
    /// The mirrored instance.
    pub mirror: Option<SocketAddr>,
    /// Datagrams received.
    pub received: u64,
    /// Datagrams shed because they came faster than the app took them.
    pub shed: u64,
    /// Packets that were not OSC, and messages that asked for something that is not there.
    pub refused: u64,
    /// Messages sent (feedback, answers, analysis, mirroring).
    pub sent: u64,
    /// Sends that failed (a destination that cannot be reached).
    pub send_errors: u64,
    /// The latest problem, naming the sender and the message.
    pub last_problem: Option<String>,
}

impl OscStatus {
    /// Records a problem with input from `from` (counted, logged once in a while, shown).
    pub fn refuse(&mut self, from: SocketAddr, why: String) {
        self.refused += 1;
        // A flood of bad packets must not flood the log too: the first few, then fewer.
        if self.refused <= 16 || self.refused.is_power_of_two() {
            warn!("OSC from {from}: {why} ({} refused so far)", self.refused);
        }
        self.last_problem = Some(format!("OSC from {from}: {why}"));
    }
}

/// The open socket, the OSCQuery server and where things go.
#[derive(Resource, Default)]
pub struct OscRuntime {
    /// The settings these were opened with.
    pub(crate) running: Option<OscSettings>,
    /// The server socket (also what everything is sent from).
    pub(crate) socket: Option<OscSocket>,
    /// The OSCQuery server.
    pub(crate) query: Option<OscQueryServer>,
    /// Destinations of feedback and analysis.
    pub(crate) destinations: Vec<Resolved>,
    /// The mirrored instance.
    pub(crate) mirror: Option<SocketAddr>,
}

impl OscRuntime {
    /// Sends one datagram from the server socket, counting it.
    pub(crate) fn send(&self, status: &mut OscStatus, bytes: &[u8], to: SocketAddr) {
        let Some(socket) = &self.socket else { return };
        match socket.send(bytes, to) {
            Ok(()) => status.sent += 1,
            Err(e) => {
                status.send_errors += 1;
                if status.send_errors.is_power_of_two() {
                    warn!("OSC to {to}: {e}");
                }
            }
        }
    }

    /// Sends messages to each of `to` in as few datagrams as fit a network's packet
    /// ([`DATAGRAM_BYTES`]), all with one timing.
    pub(crate) fn send_messages(
        &self,
        status: &mut OscStatus,
        to: &[SocketAddr],
        timing: Timing,
        messages: Vec<OscMessage>,
    ) {
        if messages.is_empty() || to.is_empty() {
            return;
        }
        match wire::encode_bundles(timing, messages, DATAGRAM_BYTES) {
            Ok(datagrams) => {
                for addr in to {
                    for d in &datagrams {
                        self.send(status, d, *addr);
                    }
                }
            }
            Err(e) => warn!("OSC: {e}"),
        }
    }

    /// The destinations that take feedback (`analysis` false) or analysis, resolved.
    pub(crate) fn targets(&self, analysis: bool) -> impl Iterator<Item = SocketAddr> + '_ {
        self.destinations
            .iter()
            .filter(move |d| {
                if analysis {
                    d.destination.analysis
                } else {
                    d.destination.feedback
                }
            })
            .filter_map(|d| d.addr.as_ref().ok().copied())
    }
}

/// Where the socket binds: the server's address, or (no server, but somewhere to send) an
/// address of the system's choosing, on the loopback unless something is sent beyond it.
fn socket_addr(s: &OscSettings) -> Option<SocketAddr> {
    if let Some(port) = s.port {
        return Some(SocketAddr::new(s.bind, port));
    }
    let targets: Vec<&crate::settings::Endpoint> = s.destinations.iter().map(|d| &d.to).chain(&s.mirror).collect();
    if targets.is_empty() {
        return None;
    }
    let local = targets.iter().all(|t| t.resolve().is_ok_and(|a| a.ip().is_loopback()));
    let ip = if local {
        std::net::Ipv4Addr::LOCALHOST
    } else {
        std::net::Ipv4Addr::UNSPECIFIED
    };
    Some(SocketAddr::new(ip.into(), 0))
}

/// Opens, closes or reopens what the settings changed.
pub(crate) fn reconfigure(
    config: Res<OscConfig>,
    mut runtime: ResMut<OscRuntime>,
    mut status: ResMut<OscStatus>,
    registry: Res<phosphene_controls::Registry>,
) {
    if !config.is_changed() {
        return;
    }
    let want = config.effective();
    let was = runtime.running.clone();
    let reopen = was.as_ref().is_none_or(|w| socket_addr(w) != socket_addr(&want));
    if reopen {
        runtime.socket = None;
        status.listening = None;
        if let Some(addr) = socket_addr(&want) {
            match OscSocket::open(addr, want.port.is_some()) {
                Ok(s) if want.port.is_some() => {
                    status.listening = s.local_addr();
                    let open = if want.is_open() { " (open to the network)" } else { "" };
                    info!("OSC: listening on {addr}{open}");
                    runtime.socket = Some(s);
                }
                Ok(s) => runtime.socket = Some(s),
                Err(e) => {
                    let why = format!("OSC: cannot listen on {addr}: {e}");
                    error!("{why}");
                    status.last_problem = Some(why);
                }
            }
        }
    }
    if reopen || was.as_ref().is_none_or(|w| w.oscquery != want.oscquery) {
        runtime.query = None;
        status.oscquery = None;
        if let Some(port) = want.oscquery {
            let addr = SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), port);
            // Tools are pointed at the server (an address they can reach from here when it
            // listens on every interface).
            let osc = status.listening.map(|a| {
                let ip = if a.ip().is_unspecified() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    a.ip()
                };
                SocketAddr::new(ip, a.port())
            });
            let host = HostInfo {
                name: "Phosphene".into(),
                osc,
            };
            match OscQueryServer::start(addr, host, crate::query::leaves(&registry)) {
                Ok(q) => {
                    status.oscquery = Some(q.local_addr());
                    info!("OSCQuery: serving on http://{}", q.local_addr());
                    runtime.query = Some(q);
                }
                Err(e) => {
                    let why = format!("OSCQuery: cannot serve on {addr}: {e}");
                    error!("{why}");
                    status.last_problem = Some(why);
                }
            }
        }
    }
    runtime.destinations = want
        .destinations
        .iter()
        .map(|d| Resolved {
            destination: d.clone(),
            addr: d.to.resolve(),
        })
        .collect();
    for d in &runtime.destinations {
        if let Err(e) = &d.addr {
            error!("OSC destination {e}");
            status.last_problem = Some(format!("OSC destination {e}"));
        }
    }
    runtime.mirror = match want.mirror.as_ref().map(|m| m.resolve()) {
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            error!("OSC mirror {e}");
            status.last_problem = Some(format!("OSC mirror {e}"));
            None
        }
        None => None,
    };
    status.mirror = runtime.mirror;
    runtime.running = Some(want);
}
