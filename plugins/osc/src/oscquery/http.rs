//! Just enough HTTP/1.1 for OSCQuery: read one request head, answer it, close. Every connection
//! carries one request (`Connection: close`), which keeps idle keep-alive sockets from holding
//! the server's few connection slots.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// The largest request head accepted; OSCQuery requests are a line and a few headers.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// A request head.
#[derive(Debug, PartialEq)]
pub(crate) struct Request {
    /// `GET`, `POST`, ...
    pub(crate) method: String,
    /// The percent-decoded path, without the query.
    pub(crate) path: String,
    /// What follows `?`, if anything did (`VALUE`, `HOST_INFO`).
    pub(crate) query: Option<String>,
    headers: Vec<(String, String)>,
}

impl Request {
    /// The value of the first header called `name` (compared ignoring case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the comma-separated header `name` lists `token` (ignoring case), as `Connection:
    /// keep-alive, Upgrade` lists `upgrade`.
    pub(crate) fn header_has(&self, name: &str, token: &str) -> bool {
        self.header(name)
            .is_some_and(|value| value.split(',').any(|item| item.trim().eq_ignore_ascii_case(token)))
    }
}

/// Why no request was read.
#[derive(Debug, PartialEq)]
pub(crate) enum ReadError {
    /// Not HTTP/1.x, or a header line without a name.
    Malformed,
    /// The head grew past [`MAX_HEAD`].
    TooLarge,
    /// The head did not complete before the deadline.
    TimedOut,
    /// The peer closed or the socket failed: nobody to answer.
    Closed,
}

/// The statuses the server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    NoContent,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    HeaderTooLarge,
    Unavailable,
}

impl Status {
    fn line(self) -> &'static str {
        match self {
            Status::Ok => "200 OK",
            Status::NoContent => "204 No Content",
            Status::BadRequest => "400 Bad Request",
            Status::NotFound => "404 Not Found",
            Status::MethodNotAllowed => "405 Method Not Allowed",
            Status::RequestTimeout => "408 Request Timeout",
            Status::HeaderTooLarge => "431 Request Header Fields Too Large",
            Status::Unavailable => "503 Service Unavailable",
        }
    }
}

impl ReadError {
    /// What to answer, if the peer can still hear it.
    pub(crate) fn status(&self) -> Option<Status> {
        match self {
            ReadError::Malformed => Some(Status::BadRequest),
            ReadError::TooLarge => Some(Status::HeaderTooLarge),
            ReadError::TimedOut => Some(Status::RequestTimeout),
            ReadError::Closed => None,
        }
    }
}

/// Reads one request head, giving up at `deadline`. The stream's read timeout sets how often the
/// deadline is looked at, so a client dripping a byte at a time is still cut off. Also returns the
/// bytes read past the head (a websocket client may already have sent frames).
pub(crate) fn read_request(stream: &mut impl Read, deadline: Instant) -> Result<(Request, Vec<u8>), ReadError> {
    let mut buffer = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let request = parse(&buffer[..end])?;
            return Ok((request, buffer[end + 4..].to_vec()));
        }
        if buffer.len() > MAX_HEAD {
            return Err(ReadError::TooLarge);
        }
        if Instant::now() >= deadline {
            return Err(ReadError::TimedOut);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err(ReadError::Closed),
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => return Err(ReadError::Closed),
        }
    }
}

fn parse(head: &[u8]) -> Result<Request, ReadError> {
    let head = std::str::from_utf8(head).map_err(|_| ReadError::Malformed)?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(ReadError::Malformed);
    };
    if method.is_empty() || !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Err(ReadError::Malformed);
    }
    let headers = lines
        .map(|line| match line.split_once(':') {
            Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                Ok((name.to_owned(), value.trim().to_owned()))
            }
            _ => Err(ReadError::Malformed),
        })
        .collect::<Result<_, _>>()?;
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (target, None),
    };
    let path = percent_decode(path).ok_or(ReadError::Malformed)?;
    Ok(Request {
        method: method.to_owned(),
        path,
        query,
        headers,
    })
}

/// Undoes `%XX` escapes; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = tail.get(..2).filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))?;
            bytes.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Writes a response; a body is JSON. CORS is open so browser-based tools can query too.
pub(crate) fn respond(stream: &mut impl Write, status: Status, body: Option<&str>) -> io::Result<()> {
    let mut response = format!(
        "HTTP/1.1 {}\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\n",
        status.line()
    );
    match body {
        Some(body) => response.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )),
        // 204 must not carry a length.
        None if status == Status::NoContent => response.push_str("\r\n"),
        None => response.push_str("Content-Length: 0\r\n\r\n"),
    }
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

/// Closes after a response without losing it: closing with unread input (the rest of an
/// oversized head, a body) makes the kernel send a reset that can discard the response before
/// the client reads it. So: send FIN, then read and drop what still comes, for a short while.
pub(crate) fn linger_close(mut stream: TcpStream) {
    let deadline = Instant::now() + Duration::from_secs(1);
    if stream.shutdown(Shutdown::Write).is_err() || stream.set_read_timeout(Some(Duration::from_millis(100))).is_err() {
        return;
    }
    let mut sink = [0; 4096];
    let mut drained = 0;
    while drained < 256 * 1024 && Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(read) => drained += read,
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<(Request, Vec<u8>), ReadError> {
        read_request(&mut &bytes[..], Instant::now() + Duration::from_secs(5))
    }

    #[test]
    fn reads_a_request_and_keeps_what_follows_the_head() {
        let (request, rest) =
            read(b"GET /deck/1/my%20filter?VALUE HTTP/1.1\r\nHost: x\r\nUpgrade:  websocket \r\n\r\nxyz").unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/deck/1/my filter");
        assert_eq!(request.query.as_deref(), Some("VALUE"));
        assert_eq!(request.header("upgrade"), Some("websocket"));
        assert_eq!(rest, b"xyz");
    }

    #[test]
    fn connection_tokens_are_found_in_lists() {
        let (request, _) = read(b"GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n").unwrap();
        assert!(request.header_has("connection", "upgrade"));
        assert!(!request.header_has("connection", "close"));
        assert!(!request.header_has("upgrade", "websocket"));
    }

    #[test]
    fn malformed_heads_are_rejected() {
        for head in [
            &b"GARBAGE\r\n\r\n"[..],
            b"GET / HTTP/2\r\n\r\n",
            b"GET http://x/ HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nbad name: x\r\n\r\n",
            b"GET /%zz HTTP/1.1\r\n\r\n",
            b"GET /%f HTTP/1.1\r\n\r\n",
            b"GET /%ff HTTP/1.1\r\n\r\n",
            b"\xff\xfe\r\n\r\n",
        ] {
            assert_eq!(read(head).unwrap_err(), ReadError::Malformed, "{head:?}");
        }
    }

    #[test]
    fn huge_heads_short_reads_and_stalls_end_reading() {
        let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
        huge.resize(MAX_HEAD + 100, b'a');
        assert_eq!(read(&huge).unwrap_err(), ReadError::TooLarge);
        assert_eq!(read(b"GET / HTTP/1.1\r\n").unwrap_err(), ReadError::Closed);

        struct Stalled;
        impl Read for Stalled {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(ErrorKind::WouldBlock.into())
            }
        }
        assert_eq!(
            read_request(&mut Stalled, Instant::now()).unwrap_err(),
            ReadError::TimedOut
        );
    }

    #[test]
    fn responses_carry_length_except_no_content() {
        let mut out = Vec::new();
        respond(&mut out, Status::Ok, Some("{}")).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));

        let mut out = Vec::new();
        respond(&mut out, Status::NoContent, None).unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("Content-Length"));
    }
}
