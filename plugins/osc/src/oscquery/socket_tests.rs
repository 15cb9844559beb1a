//! The server over real sockets on 127.0.0.1: std `TcpStream` for HTTP, a tungstenite client for
//! the websocket. Every wait polls for a condition up to a generous deadline.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use rosc::{OscMessage, OscPacket, OscType};
use serde_json::{Value as Json, json};
use tungstenite::{Message, WebSocket};

use super::{Access, HostInfo, Leaf, OscQueryServer, Range};

const DEADLINE: Duration = Duration::from_secs(15);
const FILTER: &str = "/deck/1/filter";
const BPM: &str = "/analysis/bpm";

fn leaves() -> Vec<Leaf> {
    vec![
        Leaf {
            path: FILTER.into(),
            type_tag: "f".into(),
            range: Some(Range::MinMax(-1.0, 1.0)),
            unit: Some("dB".into()),
            description: "Deck 1 filter".into(),
            access: Access::ReadWrite,
        },
        Leaf {
            path: BPM.into(),
            type_tag: "f".into(),
            range: None,
            unit: None,
            description: "Detected tempo".into(),
            access: Access::Read,
        },
        Leaf {
            path: "/visuals/scene/next".into(),
            type_tag: "N".into(),
            range: None,
            unit: None,
            description: "Next scene".into(),
            access: Access::Write,
        },
    ]
}

fn start() -> OscQueryServer {
    let host = HostInfo {
        name: "Phosphene".into(),
        osc: Some("127.0.0.1:9000".parse().expect("address")),
    };
    OscQueryServer::start("127.0.0.1:0".parse().unwrap(), host, leaves()).unwrap()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Reads everything until the server closes: the status code and the body.
fn read_response(stream: &mut TcpStream) -> io::Result<(u16, String)> {
    stream.set_read_timeout(Some(DEADLINE))?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8(response).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    Ok((head[9..12].parse().unwrap(), body.to_owned()))
}

fn try_exchange(addr: SocketAddr, request: &[u8]) -> io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(request)?;
    read_response(&mut stream)
}

fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    try_exchange(addr, request).unwrap()
}

fn get_request(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

fn get(addr: SocketAddr, target: &str) -> (u16, String) {
    exchange(addr, &get_request(target))
}

fn get_json(addr: SocketAddr, target: &str) -> Json {
    let (status, body) = get(addr, target);
    assert_eq!(status, 200, "{target}");
    serde_json::from_str(&body).unwrap()
}

fn connect(addr: SocketAddr) -> WebSocket<TcpStream> {
    let (socket, _) = tungstenite::client::client(format!("ws://{addr}/"), TcpStream::connect(addr).unwrap()).unwrap();
    socket
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    socket
}

/// The next message, or `None` when none came within the read timeout.
fn poll(socket: &mut WebSocket<TcpStream>) -> Option<Message> {
    match socket.read() {
        Ok(message) => Some(message),
        Err(tungstenite::Error::Io(error)) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            None
        }
        Err(error) => panic!("websocket failed: {error}"),
    }
}

fn send_command(socket: &mut WebSocket<TcpStream>, command: &str, path: &str) {
    socket
        .send(Message::text(json!({ "COMMAND": command, "DATA": path }).to_string()))
        .unwrap();
}

fn osc(message: &Message) -> Option<OscMessage> {
    match message {
        Message::Binary(bytes) => match rosc::decoder::decode_udp(bytes).unwrap().1 {
            OscPacket::Message(message) => Some(message),
            OscPacket::Bundle(_) => None,
        },
        _ => None,
    }
}

/// Sets `path` to new values until the client has received the latest, so nothing is in flight
/// afterwards; returns every OSC message seen on the way.
fn sync(server: &OscQueryServer, socket: &mut WebSocket<TcpStream>, path: &str) -> Vec<OscMessage> {
    let end = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    for round in 0..u16::MAX {
        assert!(Instant::now() < end, "{path} never arrived");
        let value = vec![OscType::Float(f32::from(round))];
        server.update_values([(path.to_owned(), value.clone())]);
        while let Some(message) = poll(socket) {
            if let Some(message) = osc(&message) {
                let latest = message.addr == path && message.args == value;
                seen.push(message);
                if latest {
                    return seen;
                }
            }
        }
    }
    unreachable!("the deadline ends the loop first")
}

#[test]
fn root_describes_every_leaf() {
    let server = start();
    server.update_values([(FILTER.to_owned(), vec![OscType::Float(0.25)])]);
    let root = get_json(server.local_addr(), "/");
    assert_eq!(root["FULL_PATH"], "/");
    assert_eq!(root["CONTENTS"]["deck"]["FULL_PATH"], "/deck");
    assert_eq!(
        root["CONTENTS"]["deck"]["CONTENTS"]["1"]["CONTENTS"]["filter"],
        json!({
            "FULL_PATH": FILTER, "TYPE": "f", "RANGE": [{ "MIN": -1.0, "MAX": 1.0 }], "UNIT": ["dB"],
            "DESCRIPTION": "Deck 1 filter", "ACCESS": 3, "VALUE": [0.25]
        })
    );
    assert_eq!(
        get_json(server.local_addr(), "/deck/1/")["CONTENTS"]["filter"]["FULL_PATH"],
        FILTER
    );
}

#[test]
fn attribute_queries_answer_one_attribute() {
    let server = start();
    let addr = server.local_addr();
    assert_eq!(get(addr, "/deck/1/filter?VALUE").0, 204, "no value yet");
    server.update_values([
        (FILTER.to_owned(), vec![OscType::Float(0.5)]),
        ("/nowhere".to_owned(), vec![]),
    ]);
    assert_eq!(get_json(addr, "/deck/1/filter?VALUE"), json!({ "VALUE": [0.5] }));
    assert_eq!(get_json(addr, "/deck/1/filter?TYPE"), json!({ "TYPE": "f" }));
    assert_eq!(get_json(addr, "/analysis/bpm?ACCESS"), json!({ "ACCESS": 1 }));
    assert_eq!(get(addr, "/visuals/scene/next?VALUE").0, 204, "triggers have no value");
    assert_eq!(get(addr, "/deck/1/filter?BOGUS").0, 400);
    assert_eq!(get(addr, "/nowhere?VALUE").0, 404);
}

#[test]
fn host_info_points_tools_at_osc() {
    let server = start();
    let info = get_json(server.local_addr(), "/?HOST_INFO");
    assert_eq!(info["NAME"], "Phosphene");
    assert_eq!(info["OSC_IP"], "127.0.0.1");
    assert_eq!(info["OSC_PORT"], 9000);
    assert_eq!(info["OSC_TRANSPORT"], "UDP");
    assert_eq!(info["EXTENSIONS"]["LISTEN"], true);
    assert_eq!(info["EXTENSIONS"]["PATH_CHANGED"], true);
}

#[test]
fn unknown_paths_are_not_found() {
    let server = start();
    for target in ["/deck/2", "/deck/1/filter/more", "/deck/1/filt"] {
        assert_eq!(get(server.local_addr(), target).0, 404, "{target}");
    }
}

#[test]
fn malformed_requests_are_refused_and_the_server_carries_on() {
    let server = start();
    let addr = server.local_addr();
    assert_eq!(exchange(addr, b"GARBAGE\r\n\r\n").0, 400);
    assert_eq!(exchange(addr, b"\x00\xff\x13 binary \r\n\r\n").0, 400);
    assert_eq!(exchange(addr, b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}").0, 405);
    let mut huge = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    huge.resize(64 * 1024, b'a');
    assert_eq!(exchange(addr, &huge).0, 431);
    let no_key = b"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n";
    assert_eq!(exchange(addr, no_key).0, 400);
    drop(TcpStream::connect(addr).unwrap());
    assert_eq!(get(addr, "/").0, 200);
}

#[test]
fn listened_values_arrive_as_osc() {
    let server = start();
    let mut socket = connect(server.local_addr());
    assert_eq!(server.clients(), 1);
    send_command(&mut socket, "LISTEN", FILTER);
    let seen = sync(&server, &mut socket, FILTER);
    assert!(seen.iter().all(|message| message.addr == FILTER));

    // Another client listening to nothing, and a listen to a path that is not there, change nothing.
    let _quiet = connect(server.local_addr());
    send_command(&mut socket, "LISTEN", "/nowhere");
    wait_until("two clients", || server.clients() == 2);
    sync(&server, &mut socket, FILTER);
}

#[test]
fn ignore_stops_a_stream() {
    let server = start();
    let mut socket = connect(server.local_addr());
    send_command(&mut socket, "LISTEN", FILTER);
    sync(&server, &mut socket, FILTER);
    // Commands are handled in order, so once BPM arrives the IGNORE has been handled.
    send_command(&mut socket, "IGNORE", FILTER);
    send_command(&mut socket, "LISTEN", BPM);
    sync(&server, &mut socket, BPM);

    server.update_values([(FILTER.to_owned(), vec![OscType::Float(-0.5)])]);
    server.update_values([(BPM.to_owned(), vec![OscType::Float(-1.0)])]);
    // The outbox keeps first-queued order, so a FILTER update would come before this BPM one.
    let mut after = Vec::new();
    wait_until("the last BPM", || {
        after.extend(poll(&mut socket).as_ref().and_then(osc));
        after
            .last()
            .is_some_and(|message| message.args == [OscType::Float(-1.0)])
    });
    assert!(after.iter().all(|message| message.addr == BPM), "{after:?}");
}

#[test]
fn namespace_changes_are_announced() {
    let server = start();
    let mut socket = connect(server.local_addr());
    let mut new = leaves();
    new.push(Leaf {
        path: "/deck/1/gain".into(),
        ..new[0].clone()
    });
    server.set_leaves(new);
    let mut text = None;
    wait_until("PATH_CHANGED", || {
        if let Some(Message::Text(received)) = poll(&mut socket) {
            text = Some(received.to_string());
        }
        text.is_some()
    });
    let announced: Json = serde_json::from_str(&text.unwrap()).unwrap();
    assert_eq!(announced, json!({ "COMMAND": "PATH_CHANGED", "DATA": "/deck/1" }));
    assert_eq!(get(server.local_addr(), "/deck/1/gain").0, 200);
}

#[test]
fn osc_from_a_client_reaches_the_app() {
    let server = start();
    let mut socket = connect(server.local_addr());
    let message = OscPacket::Message(OscMessage {
        addr: FILTER.into(),
        args: vec![OscType::Float(0.75)],
    });
    socket.send(Message::binary(b"not osc".to_vec())).unwrap();
    socket
        .send(Message::binary(rosc::encoder::encode(&message).unwrap()))
        .unwrap();
    let mut drained = Vec::new();
    wait_until("the packet", || {
        server.drain_incoming(&mut drained);
        !drained.is_empty()
    });
    assert_eq!(drained.len(), 1);
    assert_eq!(rosc::decoder::decode_udp(&drained[0]).unwrap().1, message);
    assert_eq!(server.dropped_incoming(), 1, "the frame that was not OSC");
}

#[test]
fn idle_connections_are_refused_cleanly_then_time_out() {
    let server = start();
    let addr = server.local_addr();
    let mut idle: Vec<TcpStream> = (0..40).map(|_| TcpStream::connect(addr).unwrap()).collect();
    // A new client is served as soon as the idle ones have been cut off; until then it is refused
    // (a refusal may also reach it as a reset, if its request crossed the server's close).
    wait_until("a served request", || {
        try_exchange(addr, &get_request("/?HOST_INFO")).is_ok_and(|(status, _)| status == 200)
    });
    let statuses: Vec<u16> = idle.iter_mut().map(|stream| read_response(stream).unwrap().0).collect();
    assert_eq!(
        statuses.iter().filter(|&&status| status == 503).count(),
        8,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&status| status == 408).count(),
        32,
        "{statuses:?}"
    );
}

#[test]
fn dropping_the_server_closes_clients_and_the_port() {
    let server = start();
    let addr = server.local_addr();
    let mut socket = connect(addr);
    drop(server);
    assert!(
        TcpStream::connect(addr).is_err(),
        "the port is closed once drop returns"
    );
    let end = Instant::now() + DEADLINE;
    loop {
        assert!(Instant::now() < end, "the websocket was never closed");
        match socket.read() {
            Err(tungstenite::Error::Io(error))
                if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
}
