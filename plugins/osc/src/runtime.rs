//! The OSC side as it runs: the settings in force (the set's, with the command line's on
//! top), the open socket and OSCQuery server, the resolved destinations, and what the control
//! window shows about them. Changing the settings (a set loads, the performer adds a
//! destination) reopens only what changed.

use std::net::SocketAddr;

use bevy::prelude::*;

use crate::oscquery::{HostInfo, OscQueryServer};
use crate::settings::{Destination, OscSettings};
use crate::socket::OscSocket;

/// The settings: the command line's and the set's.
#[derive(Resource, Debug, Clone, Default)]
pub struct OscConfig {
    cli: OscSettings,
    set: OscSettings,
}

impl OscConfig {
    /// Settings from the command line, which win over any set's.
    pub fn new(cli: OscSettings) -> Self {
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
        // A flood of bad packets must not flood the log too.
        if self.refused.is_power_of_two() {
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

    /// The destinations that take feedback (`analysis` false) or analysis, resolved.
    pub(crate) fn targets(&self, analysis: bool) -> impl Iterator<Item = SocketAddr> + '_ {
        self.destinations
            .iter()
            .filter(move |d| if analysis { d.destination.analysis } else { d.destination.feedback })
            .filter_map(|d| d.addr.as_ref().ok().copied())
    }
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
    let reopen = was.as_ref().is_none_or(|w| w.port != want.port || w.bind != want.bind);
    if reopen {
        runtime.socket = None;
        status.listening = None;
        if let Some(port) = want.port {
            let addr = SocketAddr::new(want.bind, port);
            match OscSocket::open(addr) {
                Ok(s) => {
                    status.listening = s.local_addr();
                    let open = if want.is_open() { " (open to the network)" } else { "" };
                    info!("OSC: listening on {addr}{open}");
                    runtime.socket = Some(s);
                }
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
            let osc = status.listening;
            let host = HostInfo {
                name: "Phosphene".into(),
                osc_ip: osc.map_or_else(|| "127.0.0.1".into(), |a| a.ip().to_string()),
                osc_port: osc.map_or(0, |a| a.port()),
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
