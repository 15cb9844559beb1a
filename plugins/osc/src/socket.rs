//! The UDP socket: a thread receives, stamps and decodes datagrams off the app's frame and
//! queues them, bounded in count and bytes. A flood is counted and shed at the queue, so memory
//! stays bounded and the app's frame does only what it can; the audio thread never sees any
//! of it.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::wire::{self, Incoming};

/// Packets queued between the socket thread and the app at most.
pub const QUEUE_PACKETS: usize = 1024;
/// How often the socket thread looks up from a quiet socket to see whether it should stop.
const WAKE: Duration = Duration::from_millis(100);

/// One datagram, decoded, with when it arrived.
#[derive(Debug)]
pub struct Packet {
    /// Who sent it.
    pub from: SocketAddr,
    /// When it reached the machine.
    pub at: Instant,
    /// Its messages, bundles flattened, or why it is not OSC.
    pub messages: Result<Vec<Incoming>, String>,
}

/// What the socket has seen, for the control window and the tests.
#[derive(Debug, Default)]
pub struct Counters {
    /// Datagrams received.
    pub received: AtomicU64,
    /// Datagrams dropped because the app had not taken the earlier ones yet.
    pub shed: AtomicU64,
}

/// An open OSC socket and its receiving thread; dropping it closes both.
pub struct OscSocket {
    socket: UdpSocket,
    /// Behind a lock only so the socket can live in a shared resource; the app's frame is
    /// its one reader, so the lock is never contended.
    packets: Mutex<Receiver<Packet>>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    /// The receiving thread; none for a socket that only sends.
    thread: Option<JoinHandle<()>>,
}

impl OscSocket {
    /// Binds `addr` (port 0 picks one) and, when `receive`, starts receiving; a socket that
    /// only sends (feedback without a server) reads nothing that arrives on it.
    pub fn open(addr: SocketAddr, receive: bool) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(addr)?;
        let (tx, packets) = sync_channel(QUEUE_PACKETS);
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = if receive {
            let reader = socket.try_clone()?;
            reader.set_read_timeout(Some(WAKE))?;
            let (counters, stop) = (counters.clone(), stop.clone());
            Some(
                std::thread::Builder::new()
                    .name("phosphene-osc".into())
                    .spawn(move || self::receive(reader, tx, &counters, &stop))?,
            )
        } else {
            None
        };
        Ok(Self {
            socket,
            packets: Mutex::new(packets),
            counters,
            stop,
            thread,
        })
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.socket.local_addr().ok()
    }

    /// Sends a datagram from this socket, so a receiver that answers (a mirrored instance)
    /// answers to the server. A send that fails is returned, never retried.
    pub fn send(&self, bytes: &[u8], to: SocketAddr) -> std::io::Result<()> {
        self.socket.send_to(bytes, to).map(|_| ())
    }

    /// Takes queued packets until they hold `max_messages` messages (or none are left).
    pub fn drain(&self, max_messages: usize, out: &mut Vec<Packet>) {
        let packets = self.packets.lock().unwrap_or_else(|e| e.into_inner());
        let mut messages = 0;
        while messages < max_messages {
            let Ok(p) = packets.try_recv() else { break };
            messages += p.messages.as_ref().map_or(1, Vec::len);
            out.push(p);
        }
    }

    /// What it has seen.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

impl Drop for OscSocket {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // It wakes within [`WAKE`] and sees the flag.
            let _ = t.join();
        }
    }
}

fn receive(socket: UdpSocket, tx: SyncSender<Packet>, counters: &Counters, stop: &AtomicBool) {
    let mut buf = vec![0u8; wire::MAX_PACKET + 1];
    while !stop.load(Ordering::Relaxed) {
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            // An ICMP "port unreachable" from an earlier send shows up here on some systems.
            Err(_) => continue,
        };
        let at = Instant::now();
        // One spelling per sender (an IPv4 peer of a dual-stack socket comes as ::ffff:a.b.c.d),
        // so echo and mirror checks recognise it.
        let from = SocketAddr::new(from.ip().to_canonical(), from.port());
        counters.received.fetch_add(1, Ordering::Relaxed);
        let mut messages = Vec::new();
        let messages = wire::decode(&buf[..n], &mut messages)
            .map(|()| messages)
            .map_err(|e| e.to_string());
        match tx.try_send(Packet { from, at, messages }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                counters.shed.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
}
