//! The OSCQuery server: HTTP queries and websocket `LISTEN` streams on one port, one thread per
//! connection, sharing the namespace and values with the app behind one briefly held mutex.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rosc::{OscMessage, OscPacket};
use serde_json::{Value as Json, json};
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

use super::http::{self, Request, Status};
use super::namespace::{Leaf, Namespace, Value};

/// Connections served at once (HTTP and websocket together); more are answered 503 and closed.
const MAX_CONNECTIONS: usize = 32;
/// How long a client has to send its request head; this is what frees the slot of an idle socket.
const REQUEST_DEADLINE: Duration = Duration::from_secs(3);
/// How often a connection waiting for its request head checks the deadline and shutdown.
const HTTP_POLL: Duration = Duration::from_millis(100);
/// How often a websocket thread looks at its outbox: the added latency of a listened value.
const WS_POLL: Duration = Duration::from_millis(10);
/// How often the listener looks for new connections and for shutdown.
const ACCEPT_POLL: Duration = Duration::from_millis(10);
/// A client that takes longer than this to take a write is dropped rather than waited for.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest websocket message a client may send (OSC packets are small).
const MAX_WS_MESSAGE: usize = 64 * 1024;
/// Packets from clients waiting for [`OscQueryServer::drain_incoming`]; more are dropped.
const MAX_INCOMING: usize = 1024;
/// `PATH_CHANGED`s waiting for one client; past this they collapse into one for `/`.
const MAX_PATH_CHANGES: usize = 16;
/// OSCQuery attributes a node query may ask for.
const ATTRIBUTES: [&str; 8] = [
    "FULL_PATH",
    "CONTENTS",
    "TYPE",
    "RANGE",
    "UNIT",
    "DESCRIPTION",
    "VALUE",
    "ACCESS",
];

/// What `HOST_INFO` tells tools about the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// The app's name as tools list it.
    pub name: String,
    /// Where tools send OSC (UDP): the server's address, `None` while no server listens (then
    /// tools write over the websocket only).
    pub osc: Option<std::net::SocketAddr>,
}

/// An OSCQuery server running on its own threads; dropping it stops them.
#[derive(Debug)]
pub struct OscQueryServer {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    listener: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    host: HostInfo,
    stop: AtomicBool,
    connections: AtomicUsize,
    state: Mutex<State>,
}

/// Everything the app and the connection threads share. Lock order: `state`, then outboxes.
#[derive(Debug, Default)]
struct State {
    namespace: Namespace,
    values: HashMap<String, Value>,
    clients: Vec<Arc<Mutex<Outbox>>>,
    incoming: VecDeque<Vec<u8>>,
    dropped_incoming: u64,
}

/// What one websocket client listens to and what waits to be sent to it. Values are coalesced per
/// path (latest wins, first-queued order kept), so a slow client costs at most one entry per
/// listened path and never misses a final value, instead of a queue that drops.
#[derive(Debug, Default)]
struct Outbox {
    listening: HashSet<String>,
    values: Vec<(String, Value)>,
    positions: HashMap<String, usize>,
    path_changes: VecDeque<String>,
}

impl Outbox {
    fn queue_value(&mut self, path: &str, value: &Value) {
        if !self.listening.contains(path) {
            return;
        }
        match self.positions.get(path) {
            Some(&slot) => self.values[slot].1.clone_from(value),
            None => {
                self.positions.insert(path.to_owned(), self.values.len());
                self.values.push((path.to_owned(), value.clone()));
            }
        }
    }

    fn queue_path_change(&mut self, path: &str) {
        if self.path_changes.len() >= MAX_PATH_CHANGES {
            // The root covers every change, so nothing is lost but precision.
            self.path_changes.clear();
            self.path_changes.push_back("/".to_owned());
        } else {
            self.path_changes.push_back(path.to_owned());
        }
    }
}

/// Locks, carrying on past poisoning: nothing here panics while holding a lock, and a server
/// frozen for good would be worse than one reading possibly half-updated values.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl OscQueryServer {
    /// Starts serving on `bind` (127.0.0.1:PORT; port 0 picks one). `host` fills HOST_INFO (name,
    /// the OSC UDP address it points tools to).
    pub fn start(bind: SocketAddr, host: HostInfo, leaves: Vec<Leaf>) -> io::Result<Self> {
        let listener = TcpListener::bind(bind)?;
        // Polled rather than blocking, so dropping the server needs no wake-up connection.
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let state = State {
            namespace: Namespace::new(leaves),
            ..State::default()
        };
        let shared = Arc::new(Shared {
            host,
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            state: Mutex::new(state),
        });
        let listener = thread::Builder::new().name("oscquery-listen".into()).spawn({
            let shared = shared.clone();
            move || listen(&listener, &shared)
        })?;
        Ok(Self {
            shared,
            local_addr,
            listener: Some(listener),
        })
    }

    /// The address it serves on (with the port picked when `bind` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Replaces the namespace (decks, scenes or their parameters changed). Websocket clients get
    /// one `PATH_CHANGED` per call that changed anything: the deepest node that exists before and
    /// after and lies above every change. Values and listens of removed paths are forgotten.
    pub fn set_leaves(&self, leaves: Vec<Leaf>) {
        let new = Namespace::new(leaves);
        let mut state = lock(&self.shared.state);
        let changed = state.namespace.changed_root(&new);
        state.values.retain(|path, _| new.leaf(path).is_some());
        for client in &state.clients {
            let mut outbox = lock(client);
            outbox.listening.retain(|path| new.leaf(path).is_some());
            if let Some(path) = &changed {
                outbox.queue_path_change(path);
            }
        }
        state.namespace = new;
    }

    /// New values (only changed ones, called once per UI frame, maybe hundreds of entries): stored
    /// for HTTP VALUE queries, and sent to every websocket client listening to that path. Paths
    /// outside the namespace are ignored. Never waits on a client: values wait in each client's
    /// outbox for its own thread.
    pub fn update_values(&self, values: impl IntoIterator<Item = (String, Value)>) {
        let mut state = lock(&self.shared.state);
        let state = &mut *state;
        let mut outboxes: Vec<_> = state.clients.iter().map(|client| lock(client)).collect();
        for (path, value) in values {
            if state.namespace.leaf(&path).is_none() {
                continue;
            }
            for outbox in &mut outboxes {
                outbox.queue_value(&path, &value);
            }
            state.values.insert(path, value);
        }
    }

    /// OSC packets that websocket clients sent (binary frames), drained by the app each frame
    /// (bounded queue; excess dropped and counted). Each is a well-formed OSC packet as raw bytes.
    pub fn drain_incoming(&self, out: &mut Vec<Vec<u8>>) {
        out.extend(lock(&self.shared.state).incoming.drain(..));
    }

    /// Packets from websocket clients dropped so far: not OSC, or the app fell behind.
    pub fn dropped_incoming(&self) -> u64 {
        lock(&self.shared.state).dropped_incoming
    }

    /// Websocket clients connected now (for the UI).
    pub fn clients(&self) -> usize {
        lock(&self.shared.state).clients.len()
    }
}

impl Drop for OscQueryServer {
    /// Stops the listener (the port is closed when this returns). Websocket threads see the flag
    /// within one poll, close their websocket and end; an HTTP thread ends with its one request.
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(listener) = self.listener.take() {
            // A panicked listener has nothing left to stop.
            let _ = listener.join();
        }
    }
}

fn listen(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => admit(stream, shared),
            // Nothing pending, or out of descriptors: either way wait rather than spin.
            Err(_) => thread::sleep(ACCEPT_POLL),
        }
    }
}

/// A taken connection slot, given back when the connection's thread ends.
struct Slot(Arc<Shared>);

impl Slot {
    fn take(shared: &Arc<Shared>) -> Option<Self> {
        let taken = shared
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < MAX_CONNECTIONS).then_some(open + 1)
            });
        taken.is_ok().then(|| Slot(shared.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

fn admit(stream: TcpStream, shared: &Arc<Shared>) {
    let Some(slot) = Slot::take(shared) else {
        return refuse(stream);
    };
    // Some platforms hand out accepted sockets nonblocking like their listener.
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    let shared = shared.clone();
    // If the thread cannot start, the closure is dropped with the stream and the slot: the client
    // sees the connection close.
    let _ = thread::Builder::new().name("oscquery-conn".into()).spawn(move || {
        let _slot = slot;
        serve(stream, &shared);
    });
}

/// Answers 503 on the listener's thread, so nothing here may wait. What the client already sent
/// is read first: closing with unread input sends a reset, which can destroy the 503 unread.
fn refuse(mut stream: TcpStream) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    let mut sink = [0; 4096];
    for _ in 0..4 {
        if !matches!(stream.read(&mut sink), Ok(read) if read > 0) {
            break;
        }
    }
    // A client that cannot take these few bytes at once is not waited for.
    let _ = http::respond(&mut stream, Status::Unavailable, None);
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    if stream.set_read_timeout(Some(HTTP_POLL)).is_err() || stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err() {
        return;
    }
    let (status, body) = match http::read_request(&mut stream, Instant::now() + REQUEST_DEADLINE) {
        Ok((request, rest)) if request.header_has("upgrade", "websocket") => match websocket_key(&request) {
            Some(key) => return websocket(stream, &key, rest, shared),
            None => (Status::BadRequest, None),
        },
        Ok((request, _)) => answer(&request, shared),
        Err(error) => match error.status() {
            Some(status) => (status, None),
            None => return,
        },
    };
    // The client may have gone; there is nobody to tell.
    let _ = http::respond(&mut stream, status, body.as_deref());
    http::linger_close(stream);
}

/// The key of a well-formed websocket upgrade request (RFC 6455 version 13).
fn websocket_key(request: &Request) -> Option<String> {
    let upgrade = request.method == "GET"
        && request.header_has("connection", "upgrade")
        && request.header("sec-websocket-version") == Some("13");
    upgrade
        .then(|| request.header("sec-websocket-key"))
        .flatten()
        .map(str::to_owned)
}

/// The answer to a plain HTTP request: the node's JSON, one attribute of it, or `HOST_INFO`.
fn answer(request: &Request, shared: &Shared) -> (Status, Option<String>) {
    if request.method != "GET" {
        return (Status::MethodNotAllowed, None);
    }
    if request.query.as_deref() == Some("HOST_INFO") {
        return (Status::Ok, Some(host_info(&shared.host).to_string()));
    }
    let path = request.path.trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    let node = {
        let state = lock(&shared.state);
        state.namespace.node_json(path, &state.values)
    };
    let Some(node) = node else {
        return (Status::NotFound, None);
    };
    match request.query.as_deref() {
        None | Some("") => (Status::Ok, Some(node.to_string())),
        Some(attribute) if !ATTRIBUTES.contains(&attribute) => (Status::BadRequest, None),
        // The proposal answers a query for an attribute the node lacks (a trigger's VALUE) with 204.
        Some(attribute) => match node.get(attribute) {
            Some(value) => (Status::Ok, Some(json!({ attribute: value }).to_string())),
            None => (Status::NoContent, None),
        },
    }
}

fn host_info(host: &HostInfo) -> Json {
    let mut info = json!({
        "NAME": host.name,
        "EXTENSIONS": {
            "ACCESS": true, "VALUE": true, "RANGE": true, "DESCRIPTION": true, "UNIT": true,
            "LISTEN": true, "PATH_CHANGED": true,
        },
    });
    if let (Some(osc), Some(map)) = (host.osc, info.as_object_mut()) {
        map.insert("OSC_IP".into(), osc.ip().to_string().into());
        map.insert("OSC_PORT".into(), osc.port().into());
        map.insert("OSC_TRANSPORT".into(), "UDP".into());
    }
    info
}

/// Unregisters a websocket client's outbox when its thread ends, however it ends.
struct Registration<'a> {
    shared: &'a Shared,
    outbox: Arc<Mutex<Outbox>>,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        lock(&self.shared.state)
            .clients
            .retain(|client| !Arc::ptr_eq(client, &self.outbox));
    }
}

fn websocket(mut stream: TcpStream, key: &str, rest: Vec<u8>, shared: &Shared) {
    let outbox = Arc::new(Mutex::new(Outbox::default()));
    // Registered before the handshake is answered, so a client that sees it succeed is already
    // counted and hears of every change from then on.
    lock(&shared.state).clients.push(outbox.clone());
    let _registration = Registration {
        shared,
        outbox: outbox.clone(),
    };
    let accepted = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    );
    if stream.write_all(accepted.as_bytes()).is_err() || stream.set_read_timeout(Some(WS_POLL)).is_err() {
        return;
    }
    let config = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .max_message_size(Some(MAX_WS_MESSAGE))
        .max_frame_size(Some(MAX_WS_MESSAGE));
    let mut socket = WebSocket::from_partially_read(stream, rest, Role::Server, Some(config));
    while !shared.stop.load(Ordering::Relaxed) {
        match socket.read() {
            Ok(Message::Text(text)) => command(&text, &outbox, shared),
            Ok(Message::Binary(packet)) => incoming(&packet, shared),
            // Pings and closes are answered by tungstenite on the next flush.
            Ok(_) => {}
            // The read timeout: time to look at the outbox.
            Err(tungstenite::Error::Io(error))
                if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
        if send_pending(&mut socket, &outbox).is_err() {
            return;
        }
    }
    // Shutting down: say goodbye, but do not wait for the reply.
    let _ = socket.close(None);
    let _ = socket.flush();
}

/// Handles `{"COMMAND":"LISTEN"|"IGNORE","DATA":"/path"}`; anything else is ignored. A new
/// listener gets the current value at once, so it need not also query it over HTTP.
fn command(text: &str, outbox: &Mutex<Outbox>, shared: &Shared) {
    let Ok(message) = serde_json::from_str::<Json>(text) else {
        return;
    };
    let (Some(command), Some(path)) = (message["COMMAND"].as_str(), message["DATA"].as_str()) else {
        return;
    };
    match command {
        "LISTEN" => {
            let state = lock(&shared.state);
            if state.namespace.leaf(path).is_some() {
                let mut outbox = lock(outbox);
                outbox.listening.insert(path.to_owned());
                if let Some(value) = state.values.get(path) {
                    outbox.queue_value(path, value);
                }
            }
        }
        "IGNORE" => {
            lock(outbox).listening.remove(path);
        }
        _ => {}
    }
}

/// Queues a client's binary frame for the app if it is OSC.
fn incoming(packet: &[u8], shared: &Shared) {
    // Our decoder, not rosc's: it bounds nesting before rosc recurses.
    let valid = crate::wire::decode(packet, &mut Vec::new()).is_ok();
    let mut state = lock(&shared.state);
    if valid && state.incoming.len() < MAX_INCOMING {
        state.incoming.push_back(packet.to_vec());
    } else {
        state.dropped_incoming += 1;
    }
}

/// Sends what waits in the outbox: path changes as text, values as binary OSC messages.
fn send_pending(socket: &mut WebSocket<TcpStream>, outbox: &Mutex<Outbox>) -> tungstenite::Result<()> {
    let (path_changes, values) = {
        let mut outbox = lock(outbox);
        outbox.positions.clear();
        (
            std::mem::take(&mut outbox.path_changes),
            std::mem::take(&mut outbox.values),
        )
    };
    for path in path_changes {
        socket.write(Message::text(
            json!({ "COMMAND": "PATH_CHANGED", "DATA": path }).to_string(),
        ))?;
    }
    for (addr, args) in values {
        // rosc encodes every argument kind, so this only skips what could never be sent anyway.
        if let Ok(bytes) = rosc::encoder::encode(&OscPacket::Message(OscMessage { addr, args })) {
            socket.write(Message::binary(bytes))?;
        }
    }
    socket.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_osc_server_host_info_points_nowhere() {
        let closed = host_info(&HostInfo {
            name: "Phosphene".into(),
            osc: None,
        });
        assert!(
            closed.get("OSC_PORT").is_none() && closed.get("OSC_IP").is_none(),
            "{closed}"
        );
        let open = host_info(&HostInfo {
            name: "Phosphene".into(),
            osc: Some("127.0.0.1:9000".parse().expect("address")),
        });
        assert_eq!(
            (open["OSC_IP"].as_str(), open["OSC_PORT"].as_u64()),
            (Some("127.0.0.1"), Some(9000))
        );
    }
}
