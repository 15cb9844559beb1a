//! OSC packets in and out: datagrams decoded into messages under hard limits, and
//! messages encoded alone, in a bundle, or split into bundles that fit a datagram.
//!
//! rosc 0.11 decodes and encodes single messages here, but its packet decoder cannot
//! face the network on its own:
//! - it recurses once per nested bundle, so ~3000 levels in one datagram overflow the
//!   stack, which aborts the process;
//! - it builds arrays as deep as the type tags say (`,[[[[…]]]]`), and dropping a value
//!   20 000 arrays deep overflows the stack too;
//! - it reads a type tag string without its ',' (skipping the first tag), drops the
//!   arguments before an unclosed '[', and returns a bundle cut short by a bad element
//!   as if it were whole;
//! - its `SystemTime` conversion panics for timetags before 1970, "immediately" included.
//!
//! So bundles are walked here, each message's type tags are checked before rosc reads
//! it, and timetags are converted here.

use rosc::{OscMessage, OscPacket, OscTime, OscType};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Largest datagram decoded or produced: the most a UDP datagram over IPv4 can carry.
pub const MAX_PACKET: usize = 65_507;
/// Deepest nesting of bundles in a packet, and of arrays in a message, that is decoded.
pub const MAX_DEPTH: usize = 8;
/// Most messages decoded from one packet.
pub const MAX_MESSAGES: usize = 512;
/// Most bundles decoded from one packet: empty bundles carry no messages but still cost.
pub const MAX_BUNDLES: usize = 512;

/// The timetag that means "now" rather than a moment.
const IMMEDIATELY: OscTime = OscTime {
    seconds: 0,
    fractional: 1,
};
const BUNDLE_TAG: &[u8; 8] = b"#bundle\0";
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_TO_UNIX: Duration = Duration::from_secs(2_208_988_800);
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// When a message should apply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    /// As soon as it arrives.
    Immediately,
    /// At this moment (now, if it has passed).
    At(SystemTime),
}

/// One message from a packet, with the timing of the bundle it came in (Immediately when
/// not in a bundle or when the timetag is the special value 1, "immediately").
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The address pattern the message was sent to.
    pub address: String,
    /// Its arguments, as rosc decoded them.
    pub args: Vec<OscType>,
    /// When it should apply.
    pub timing: Timing,
}

/// Why a packet could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The packet is larger than the limit.
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// The most bytes allowed.
        limit: usize,
    },
    /// The bytes are not a well-formed OSC packet; says what is wrong.
    Malformed(String),
    /// Bundles are nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// The packet holds more than [`MAX_MESSAGES`] messages.
    TooManyMessages,
    /// The packet holds more than [`MAX_BUNDLES`] bundles.
    TooManyBundles,
    /// A message to send cannot be written as OSC; says why.
    Unencodable(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::TooLarge { size, limit } => {
                write!(f, "packet of {size} bytes is over the limit of {limit}")
            }
            WireError::Malformed(what) => write!(f, "not an OSC packet: {what}"),
            WireError::TooDeep => write!(f, "bundle nested deeper than {MAX_DEPTH}"),
            WireError::TooManyMessages => {
                write!(f, "too many messages in one packet (more than {MAX_MESSAGES})")
            }
            WireError::TooManyBundles => {
                write!(f, "too many bundles in one packet (more than {MAX_BUNDLES})")
            }
            WireError::Unencodable(why) => write!(f, "cannot encode OSC: {why}"),
        }
    }
}

impl std::error::Error for WireError {}

fn malformed(what: impl Into<String>) -> WireError {
    WireError::Malformed(what.into())
}

/// Decodes one UDP datagram, appending its messages to `out` with bundles flattened in
/// order; on error `out` is left as it was. Packets over [`MAX_PACKET`] bytes, bundles
/// deeper than [`MAX_DEPTH`], or more than [`MAX_MESSAGES`] messages or [`MAX_BUNDLES`]
/// bundles are errors, so the work per packet is bounded. A message in a nested bundle
/// takes the later of its bundle's timetag and the outer ones (OSC 1.0 forbids an inner
/// timetag earlier than the outer).
pub fn decode(packet: &[u8], out: &mut Vec<Incoming>) -> Result<(), WireError> {
    if packet.len() > MAX_PACKET {
        return Err(WireError::TooLarge {
            size: packet.len(),
            limit: MAX_PACKET,
        });
    }
    let kept = out.len();
    let mut walk = Walk {
        out,
        messages: 0,
        bundles: 0,
    };
    let result = walk.element(packet, 0, IMMEDIATELY);
    if result.is_err() {
        walk.out.truncate(kept);
    }
    result
}

/// The state of one packet's decoding: where messages go and the counts kept to the limits.
struct Walk<'a> {
    out: &'a mut Vec<Incoming>,
    messages: usize,
    bundles: usize,
}

impl Walk<'_> {
    /// Decodes a packet or bundle element found inside `depth` bundles whose latest
    /// timetag is `time`.
    fn element(&mut self, bytes: &[u8], depth: usize, time: OscTime) -> Result<(), WireError> {
        match bytes.first() {
            Some(b'/') => self.message(bytes, time),
            Some(b'#') if bytes.starts_with(BUNDLE_TAG) => self.bundle(bytes, depth + 1, time),
            _ => Err(malformed("neither a message ('/…') nor a bundle (\"#bundle\")")),
        }
    }

    fn bundle(&mut self, bytes: &[u8], depth: usize, outer: OscTime) -> Result<(), WireError> {
        if depth > MAX_DEPTH {
            return Err(WireError::TooDeep);
        }
        self.bundles += 1;
        if self.bundles > MAX_BUNDLES {
            return Err(WireError::TooManyBundles);
        }
        let Some((&[.., s0, s1, s2, s3, f0, f1, f2, f3], mut rest)) = bytes.split_first_chunk::<16>() else {
            return Err(malformed("bundle shorter than its 16-byte header"));
        };
        let time = OscTime {
            seconds: u32::from_be_bytes([s0, s1, s2, s3]),
            fractional: u32::from_be_bytes([f0, f1, f2, f3]),
        };
        // Era-0 timetags order as plain numbers, and "immediately" (1) is the earliest.
        let time = time.max(outer);
        while let Some((size, tail)) = rest.split_first_chunk::<4>() {
            let size = u32::from_be_bytes(*size) as usize;
            if size == 0 || !size.is_multiple_of(4) {
                return Err(malformed(format!(
                    "bundle element size {size} is not a positive multiple of 4"
                )));
            }
            let Some((element, after)) = tail.split_at_checked(size) else {
                return Err(malformed(format!(
                    "bundle element of {size} bytes with only {} left",
                    tail.len()
                )));
            };
            self.element(element, depth, time)?;
            rest = after;
        }
        if rest.is_empty() {
            Ok(())
        } else {
            Err(malformed("bundle ends inside an element size"))
        }
    }

    fn message(&mut self, bytes: &[u8], time: OscTime) -> Result<(), WireError> {
        self.messages += 1;
        if self.messages > MAX_MESSAGES {
            return Err(WireError::TooManyMessages);
        }
        check_type_tags(bytes)?;
        let (rest, packet) = rosc::decoder::decode_udp(bytes).map_err(|e| malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(malformed(format!("{} bytes after the arguments", rest.len())));
        }
        let OscPacket::Message(message) = packet else {
            return Err(malformed("a message decoded as a bundle"));
        };
        let timing = to_system_time(time).map_or(Timing::Immediately, Timing::At);
        self.out.push(Incoming {
            address: message.addr,
            args: message.args,
            timing,
        });
        Ok(())
    }
}

/// Rejects the type tag strings that rosc would misread or turn into a value too deep to
/// drop safely (see the module comment). Malformed strings themselves are left to rosc.
fn check_type_tags(message: &[u8]) -> Result<(), WireError> {
    let Some(address_len) = message.iter().position(|&b| b == 0) else {
        return Err(malformed("address not terminated"));
    };
    // The address's NUL and padding end at the next multiple of 4.
    let tags = message.get((address_len + 4) & !3..).unwrap_or_default();
    let tags = tags.split(|&b| b == 0).next().unwrap_or_default();
    let Some((b',', tags)) = tags.split_first() else {
        return Err(malformed("type tag string missing or not starting with ','"));
    };
    let mut depth = 0usize;
    for &tag in tags {
        match tag {
            b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(malformed(format!("arrays nested deeper than {MAX_DEPTH}")));
                }
            }
            b']' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| malformed("']' without '[' in type tags"))?;
            }
            b'i' | b'f' | b's' | b'b' | b'h' | b'd' | b't' | b'c' | b'r' | b'm' | b'T' | b'F' | b'N' | b'I' => {}
            _ => return Err(malformed(format!("unknown type tag {:?}", char::from(tag)))),
        }
    }
    if depth == 0 {
        Ok(())
    } else {
        Err(malformed("'[' without ']' in type tags"))
    }
}

/// The moment an NTP timetag (seconds since 1900, fraction in 2^-32 s) stands for,
/// rounded to the nanosecond; None for the special value "immediately" (0, 1) and for
/// moments this platform cannot hold.
pub fn to_system_time(t: OscTime) -> Option<SystemTime> {
    if t == IMMEDIATELY {
        return None;
    }
    // The product stays below 2^62; adding half of 2^32 rounds to nearest.
    let nanos = (u64::from(t.fractional) * NANOS_PER_SECOND + (1 << 31)) >> 32;
    let since_1900 = Duration::from_secs(u64::from(t.seconds)) + Duration::from_nanos(nanos);
    match since_1900.checked_sub(NTP_TO_UNIX) {
        Some(after_1970) => UNIX_EPOCH.checked_add(after_1970),
        None => UNIX_EPOCH.checked_sub(NTP_TO_UNIX - since_1900),
    }
}

/// The NTP timetag for a moment, to the nearest 2^-32 s. Timetags cover 1900 to
/// 2036-02-07: earlier moments saturate to (0, 0), later ones to the last timetag.
pub fn to_timetag(t: SystemTime) -> OscTime {
    let since_1900 = match t.duration_since(UNIX_EPOCH) {
        Ok(after_1970) => after_1970.saturating_add(NTP_TO_UNIX),
        Err(before_1970) => NTP_TO_UNIX.saturating_sub(before_1970.duration()),
    };
    // Below 2^32 since the nanoseconds are below 10^9, so no carry into the seconds.
    let fraction = ((u64::from(since_1900.subsec_nanos()) << 32) + NANOS_PER_SECOND / 2) / NANOS_PER_SECOND;
    match (u32::try_from(since_1900.as_secs()), u32::try_from(fraction)) {
        (Ok(seconds), Ok(fractional)) => OscTime { seconds, fractional },
        _ => OscTime {
            seconds: u32::MAX,
            fractional: u32::MAX,
        },
    }
}

fn timetag(time: Timing) -> OscTime {
    match time {
        Timing::Immediately => IMMEDIATELY,
        Timing::At(t) => to_timetag(t),
    }
}

/// Encodes one message into a datagram; an error if the address does not start with
/// '/', an address or string holds a NUL, or the result is over [`MAX_PACKET`].
pub fn encode_message(address: &str, args: Vec<OscType>) -> Result<Vec<u8>, WireError> {
    message_bytes(OscMessage {
        addr: address.to_owned(),
        args,
    })
}

/// Encodes messages into one bundle datagram at `time`; errors as [`encode_message`].
pub fn encode_bundle(time: Timing, messages: Vec<OscMessage>) -> Result<Vec<u8>, WireError> {
    let mut bundle = bundle_header(time);
    for message in messages {
        push_element(&mut bundle, &message_bytes(message)?);
    }
    within(bundle, MAX_PACKET)
}

/// Encodes messages, in order, into as few bundles at `time` as fit in `max_bytes` each
/// (at most [`MAX_PACKET`]), e.g. 1400 to stay under common network MTUs; no bundles for
/// no messages. An error if one message cannot fit in a bundle alone, or as
/// [`encode_message`].
pub fn encode_bundles(time: Timing, messages: Vec<OscMessage>, max_bytes: usize) -> Result<Vec<Vec<u8>>, WireError> {
    let limit = max_bytes.min(MAX_PACKET);
    let header = bundle_header(time);
    let mut bundles = Vec::new();
    let mut bundle = header.clone();
    // Filling each bundle before starting the next is optimal when the order is kept.
    for message in messages {
        let message = message_bytes(message)?;
        let alone = header.len() + 4 + message.len();
        if alone > limit {
            return Err(WireError::TooLarge { size: alone, limit });
        }
        if bundle.len() + 4 + message.len() > limit {
            bundles.push(std::mem::replace(&mut bundle, header.clone()));
        }
        push_element(&mut bundle, &message);
    }
    if bundle.len() > header.len() {
        bundles.push(bundle);
    }
    Ok(bundles)
}

fn message_bytes(message: OscMessage) -> Result<Vec<u8>, WireError> {
    // rosc writes these without complaint, but receivers would misparse the result.
    if !message.addr.starts_with('/') || message.addr.contains('\0') {
        return Err(WireError::Unencodable(format!(
            "address {:?} must start with '/' and hold no NUL",
            message.addr
        )));
    }
    if message.args.iter().any(holds_nul) {
        return Err(WireError::Unencodable(format!(
            "a string argument to {:?} holds a NUL",
            message.addr
        )));
    }
    let bytes =
        rosc::encoder::encode(&OscPacket::Message(message)).map_err(|e| WireError::Unencodable(e.to_string()))?;
    within(bytes, MAX_PACKET)
}

fn holds_nul(arg: &OscType) -> bool {
    match arg {
        OscType::String(s) => s.contains('\0'),
        OscType::Array(array) => array.content.iter().any(holds_nul),
        _ => false,
    }
}

fn within(bytes: Vec<u8>, limit: usize) -> Result<Vec<u8>, WireError> {
    if bytes.len() > limit {
        Err(WireError::TooLarge {
            size: bytes.len(),
            limit,
        })
    } else {
        Ok(bytes)
    }
}

fn bundle_header(time: Timing) -> Vec<u8> {
    let time = timetag(time);
    let mut bytes = BUNDLE_TAG.to_vec();
    bytes.extend(time.seconds.to_be_bytes());
    bytes.extend(time.fractional.to_be_bytes());
    bytes
}

fn push_element(bundle: &mut Vec<u8>, message: &[u8]) {
    // message_bytes keeps messages within MAX_PACKET, so the size fits its 32 bits.
    bundle.extend((message.len() as u32).to_be_bytes());
    bundle.extend_from_slice(message);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{args, pattern::Pattern};
    use rosc::{OscArray, OscBundle, OscColor, OscMidiMessage};

    fn decoded(packet: &[u8]) -> Result<Vec<Incoming>, WireError> {
        let mut out = Vec::new();
        decode(packet, &mut out).map(|()| out)
    }

    fn message(address: &str, args: Vec<OscType>) -> OscMessage {
        OscMessage {
            addr: address.into(),
            args,
        }
    }

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    /// The smallest message: "/a" with no arguments, 8 bytes.
    const TINY: &[u8] = b"/a\0\0,\0\0\0";

    fn bundle_of(time: OscTime, elements: &[&[u8]]) -> Vec<u8> {
        let mut bytes = BUNDLE_TAG.to_vec();
        bytes.extend(time.seconds.to_be_bytes());
        bytes.extend(time.fractional.to_be_bytes());
        for element in elements {
            push_element(&mut bytes, element);
        }
        bytes
    }

    /// `depth` bundles, each holding the next, the innermost holding `inner`; built
    /// forwards since each size is known from the depth left.
    fn nested(depth: usize, inner: &[u8], out: &mut Vec<u8>) {
        for level in 1..=depth {
            out.extend_from_slice(BUNDLE_TAG);
            out.extend([0, 0, 0, 0, 0, 0, 0, 1]);
            let size = (depth - level) * 20 + inner.len();
            out.extend((size as u32).to_be_bytes());
        }
        out.extend_from_slice(inner);
    }

    #[test]
    fn a_lone_message_applies_immediately() {
        let packet = encode_message("/mixer/gain", vec![OscType::Float(0.5)]).unwrap();
        let expected = Incoming {
            address: "/mixer/gain".into(),
            args: vec![OscType::Float(0.5)],
            timing: Timing::Immediately,
        };
        assert_eq!(decoded(&packet), Ok(vec![expected]));
    }

    #[test]
    fn every_argument_type_round_trips() {
        let args = vec![
            OscType::Int(-7),
            OscType::Float(1.5),
            OscType::String("low pass".into()),
            OscType::Blob(vec![1, 2, 3]),
            OscType::Time(OscTime {
                seconds: 5,
                fractional: 6,
            }),
            OscType::Long(1 << 40),
            OscType::Double(-0.25),
            OscType::Char('x'),
            OscType::Color(OscColor {
                red: 1,
                green: 2,
                blue: 3,
                alpha: 4,
            }),
            OscType::Midi(OscMidiMessage {
                port: 0,
                status: 0x90,
                data1: 60,
                data2: 100,
            }),
            OscType::Bool(true),
            OscType::Bool(false),
            OscType::Nil,
            OscType::Inf,
            OscType::Array(OscArray {
                content: vec![OscType::Int(1), OscType::String("a".into())],
            }),
        ];
        let packet = encode_message("/all", args.clone()).unwrap();
        assert_eq!(decoded(&packet).unwrap()[0].args, args);
    }

    #[test]
    fn bundles_flatten_in_order_with_their_timing() {
        let packet = encode_bundle(
            Timing::At(at(1_700_000_000)),
            vec![message("/a", vec![]), message("/b", vec![OscType::Int(1)])],
        )
        .unwrap();
        let out = decoded(&packet).unwrap();
        assert_eq!(out.iter().map(|m| m.address.as_str()).collect::<Vec<_>>(), ["/a", "/b"]);
        assert!(out.iter().all(|m| m.timing == Timing::At(at(1_700_000_000))));

        let immediate = encode_bundle(Timing::Immediately, vec![message("/a", vec![])]).unwrap();
        assert_eq!(decoded(&immediate).unwrap()[0].timing, Timing::Immediately);
    }

    #[test]
    fn nested_bundles_take_the_later_timetag() {
        let early = to_timetag(at(1_000));
        let late = to_timetag(at(2_000));
        for (outer, inner, expected) in [
            (early, late, Timing::At(at(2_000))),
            (late, early, Timing::At(at(2_000))),
            (late, IMMEDIATELY, Timing::At(at(2_000))),
            (IMMEDIATELY, early, Timing::At(at(1_000))),
            (
                IMMEDIATELY,
                OscTime {
                    seconds: 0,
                    fractional: 0,
                },
                Timing::Immediately,
            ),
        ] {
            let packet = bundle_of(outer, &[TINY, &bundle_of(inner, &[TINY])]);
            let out = decoded(&packet).unwrap();
            assert_eq!(out.len(), 2);
            assert_eq!(
                out[0].timing,
                to_system_time(outer).map_or(Timing::Immediately, Timing::At)
            );
            assert_eq!(out[1].timing, expected, "{outer:?} {inner:?}");
        }
    }

    #[test]
    fn limits_are_errors_at_one_past() {
        let mut deep = Vec::new();
        nested(MAX_DEPTH, TINY, &mut deep);
        assert_eq!(decoded(&deep).map(|out| out.len()), Ok(1));
        deep.clear();
        nested(MAX_DEPTH + 1, TINY, &mut deep);
        assert_eq!(decoded(&deep), Err(WireError::TooDeep));

        let messages = vec![TINY; MAX_MESSAGES];
        assert_eq!(
            decoded(&bundle_of(IMMEDIATELY, &messages)).map(|o| o.len()),
            Ok(MAX_MESSAGES)
        );
        let messages = vec![TINY; MAX_MESSAGES + 1];
        assert_eq!(
            decoded(&bundle_of(IMMEDIATELY, &messages)),
            Err(WireError::TooManyMessages)
        );

        let empty = bundle_of(IMMEDIATELY, &[]);
        let bundles = vec![empty.as_slice(); MAX_BUNDLES - 1];
        assert_eq!(decoded(&bundle_of(IMMEDIATELY, &bundles)), Ok(vec![]));
        let bundles = vec![empty.as_slice(); MAX_BUNDLES];
        assert_eq!(
            decoded(&bundle_of(IMMEDIATELY, &bundles)),
            Err(WireError::TooManyBundles)
        );

        let huge = vec![0; MAX_PACKET + 1];
        assert_eq!(
            decoded(&huge),
            Err(WireError::TooLarge {
                size: MAX_PACKET + 1,
                limit: MAX_PACKET
            })
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(WireError::TooDeep.to_string(), "bundle nested deeper than 8");
        assert_eq!(
            WireError::TooManyMessages.to_string(),
            "too many messages in one packet (more than 512)"
        );
        let err = decoded(b"hello").unwrap_err().to_string();
        assert!(err.starts_with("not an OSC packet: "), "{err}");
    }

    #[test]
    fn malformed_packets_are_errors() {
        let with_tags = |tags: &[u8], data: &[u8]| {
            let mut bytes = b"/a\0\0".to_vec();
            bytes.extend(tags);
            bytes.extend(&[0, 0, 0, 0][..4 - tags.len() % 4]);
            bytes.extend(data);
            bytes
        };
        let one = 1i32.to_be_bytes();
        let mut two = one.to_vec();
        two.extend(one);
        let mut truncated = bundle_of(IMMEDIATELY, &[TINY]);
        truncated.truncate(truncated.len() - 1);
        let mut trailing = TINY.to_vec();
        trailing.extend(one);
        let mut misaligned = bundle_of(IMMEDIATELY, &[]);
        misaligned.extend(6u32.to_be_bytes());
        misaligned.extend(b"/a\0\0,\0");
        let mut overlong = bundle_of(IMMEDIATELY, &[]);
        overlong.extend(0xFFFF_FFFCu32.to_be_bytes());
        overlong.extend(TINY);
        let mut dangling = bundle_of(IMMEDIATELY, &[TINY]);
        dangling.extend([0, 0]);
        let deep_arrays = with_tags(&[b",".to_vec(), b"[".repeat(9), b"]".repeat(9)].concat(), &[]);
        let huge_blob = with_tags(b",b", &0xFFFF_FFF0u32.to_be_bytes());
        let not_osc = "neither a message";
        let no_comma = "not starting with ','";
        let short = "reading from buffer";
        let not_size = "not a positive multiple of 4";
        for (packet, reason) in [
            (Vec::new(), not_osc),
            (b"a\0\0\0,\0\0\0".to_vec(), not_osc),
            (b"#bundlx\0\0\0\0\0\0\0\0\0".to_vec(), not_osc),
            (b"#bundle\0\0\0\0".to_vec(), "shorter than its 16-byte header"),
            (with_tags(b"i", &one), no_comma),
            (b"/a\0\0".to_vec(), no_comma),
            (with_tags(b",ix", &one), "unknown type tag 'x'"),
            (with_tags(b",i[i", &two), "'[' without ']'"),
            (with_tags(b",i]", &one), "']' without '['"),
            (deep_arrays, "arrays nested deeper than 8"),
            (huge_blob, short),
            (with_tags(b",ii", &one), short),
            (trailing, "4 bytes after the arguments"),
            (truncated, "element of 8 bytes with only 7 left"),
            (misaligned, not_size),
            (overlong, "element of 4294967292 bytes with only 8 left"),
            (dangling, "ends inside an element size"),
            (bundle_of(IMMEDIATELY, &[&[]]), not_size),
        ] {
            let error = decoded(&packet).unwrap_err();
            assert!(matches!(error, WireError::Malformed(_)), "{error:?}");
            assert!(error.to_string().contains(reason), "{error} for {packet:?}");
        }
    }

    #[test]
    fn a_failed_packet_leaves_earlier_messages_alone() {
        let mut out = Vec::new();
        decode(TINY, &mut out).unwrap();
        let mut bad = bundle_of(IMMEDIATELY, &[TINY, TINY]);
        bad.extend([1, 2]);
        assert!(decode(&bad, &mut out).is_err());
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn timetags_round_trip_within_a_microsecond() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..10_000 {
            // 1900 to 2036, in nanoseconds, as an offset from 1970.
            let nanos = (rng.next() % (136 * 365 * 86_400 * NANOS_PER_SECOND)) as i128
                - i128::from(NTP_TO_UNIX.as_secs()) * i128::from(NANOS_PER_SECOND);
            let offset = Duration::from_nanos(nanos.unsigned_abs() as u64);
            let t = if nanos < 0 {
                UNIX_EPOCH - offset
            } else {
                UNIX_EPOCH + offset
            };
            let back = to_system_time(to_timetag(t)).unwrap();
            let error = back.duration_since(t).unwrap_or_else(|e| e.duration());
            assert!(error < Duration::from_micros(1), "{t:?} came back as {back:?}");

            let tag = OscTime {
                seconds: rng.next() as u32,
                fractional: rng.next() as u32,
            };
            if tag != IMMEDIATELY {
                let again = to_timetag(to_system_time(tag).unwrap());
                let diff = (i128::from(again.seconds) << 32 | i128::from(again.fractional))
                    - (i128::from(tag.seconds) << 32 | i128::from(tag.fractional));
                assert!(diff.abs() <= 5, "{tag:?} came back as {again:?}");
            }
        }
    }

    #[test]
    fn timetags_outside_their_range_saturate() {
        assert_eq!(to_system_time(IMMEDIATELY), None);
        assert_eq!(
            to_timetag(UNIX_EPOCH),
            OscTime {
                seconds: 2_208_988_800,
                fractional: 0
            }
        );
        let before_1900 = UNIX_EPOCH - NTP_TO_UNIX - Duration::from_secs(1);
        assert_eq!(
            to_timetag(before_1900),
            OscTime {
                seconds: 0,
                fractional: 0
            }
        );
        let after_2036 = UNIX_EPOCH + Duration::from_secs(3_000_000_000);
        assert_eq!(
            to_timetag(after_2036),
            OscTime {
                seconds: u32::MAX,
                fractional: u32::MAX
            }
        );
        let last = to_system_time(OscTime {
            seconds: u32::MAX,
            fractional: u32::MAX,
        })
        .unwrap();
        assert!(last > UNIX_EPOCH + Duration::from_secs(2_085_978_495));
        assert_eq!(
            to_system_time(OscTime {
                seconds: 0,
                fractional: 0
            }),
            Some(UNIX_EPOCH - NTP_TO_UNIX)
        );
    }

    #[test]
    fn unencodable_messages_are_errors() {
        assert!(matches!(
            encode_message("mixer", vec![]),
            Err(WireError::Unencodable(_))
        ));
        assert!(matches!(
            encode_message("/a\0b", vec![]),
            Err(WireError::Unencodable(_))
        ));
        let nul = OscType::Array(OscArray {
            content: vec![OscType::String("a\0".into())],
        });
        assert!(matches!(
            encode_message("/a", vec![nul]),
            Err(WireError::Unencodable(_))
        ));
        let blob = OscType::Blob(vec![0; MAX_PACKET]);
        assert!(matches!(
            encode_message("/a", vec![blob]),
            Err(WireError::TooLarge { .. })
        ));
        let blobs = vec![message("/a", vec![OscType::Blob(vec![0; 40_000])]); 2];
        assert!(matches!(
            encode_bundle(Timing::Immediately, blobs),
            Err(WireError::TooLarge { .. })
        ));
    }

    #[test]
    fn encoded_bundles_are_what_rosc_expects() {
        let time = Timing::At(at(1_700_000_000));
        let messages = vec![message("/a", vec![OscType::Int(1)]), message("/b", vec![])];
        let packet = encode_bundle(time, messages.clone()).unwrap();
        let expected = OscPacket::Bundle(OscBundle {
            timetag: timetag(time),
            content: messages.into_iter().map(OscPacket::Message).collect(),
        });
        assert_eq!(rosc::encoder::encode(&expected).unwrap(), packet);
    }

    #[test]
    fn a_resync_splits_into_full_bundles_in_order() {
        let messages: Vec<_> = (0..400)
            .map(|i| message(&format!("/control/{i}/value"), vec![OscType::Float(i as f32)]))
            .collect();
        let sizes: Vec<usize> = messages
            .iter()
            .map(|m| encode_message(&m.addr, m.args.clone()).unwrap().len() + 4)
            .collect();
        let bundles = encode_bundles(Timing::Immediately, messages.clone(), 1400).unwrap();
        // As few as can be: each bundle is full enough that the next message did not fit.
        let mut next = 0;
        for bundle in &bundles {
            assert!(bundle.len() <= 1400);
            next += decoded(bundle).unwrap().len();
            if let Some(size) = sizes.get(next) {
                assert!(bundle.len() + size > 1400);
            }
        }
        let mut out = Vec::new();
        for bundle in &bundles {
            decode(bundle, &mut out).unwrap();
        }
        let addresses: Vec<_> = out.iter().map(|m| m.address.clone()).collect();
        assert_eq!(addresses, messages.iter().map(|m| m.addr.clone()).collect::<Vec<_>>());

        assert_eq!(encode_bundles(Timing::Immediately, vec![], 1400), Ok(vec![]));
        let big = vec![message("/a", vec![OscType::Blob(vec![0; 2000])])];
        assert!(matches!(
            encode_bundles(Timing::Immediately, big, 1400),
            Err(WireError::TooLarge { limit: 1400, .. })
        ));
    }

    /// Worst cases for each limit: the walk stops at the first element past a limit, so
    /// it visits at most MAX_MESSAGES + MAX_BUNDLES + 1 elements, recurses at most
    /// MAX_DEPTH + 1 deep, and reads each byte a bounded number of times (here and in
    /// rosc's one pass over each message).
    #[test]
    fn worst_case_packets_do_bounded_work() {
        let mut packets = Vec::new();
        // The deepest nesting allowed, filled to the size limit with messages.
        // An outer bundle, MAX_DEPTH - 2 between, and the innermost make MAX_DEPTH.
        let inner = bundle_of(IMMEDIATELY, &vec![TINY; MAX_MESSAGES - 1]);
        let mut full = Vec::new();
        nested(MAX_DEPTH - 2, &inner, &mut full);
        let blob = (MAX_PACKET - 16 - 4 - full.len() - 4 - 12) / 4 * 4;
        let mut last = b"/a\0\0,b\0\0".to_vec();
        last.extend((blob as u32).to_be_bytes());
        last.resize(last.len() + blob, 0);
        packets.push((bundle_of(IMMEDIATELY, &[&full, &last]), Ok(())));
        // Nesting as deep as fits.
        let mut deep = Vec::new();
        nested((MAX_PACKET - TINY.len()) / 20, TINY, &mut deep);
        packets.push((deep, Err(WireError::TooDeep)));
        // Messages and bundles as many as fit.
        let messages = vec![TINY; (MAX_PACKET - 16) / 12];
        packets.push((bundle_of(IMMEDIATELY, &messages), Err(WireError::TooManyMessages)));
        let empty = bundle_of(IMMEDIATELY, &[]);
        let bundles = vec![empty.as_slice(); (MAX_PACKET - 16) / 20];
        packets.push((bundle_of(IMMEDIATELY, &bundles), Err(WireError::TooManyBundles)));
        // Arguments as many as fit, which only the size limits.
        let nils = [b"/a\0\0,".as_slice(), &b"N".repeat(MAX_PACKET - 12), b"\0\0\0\0"].concat();
        packets.push((nils, Ok(())));

        for (packet, expected) in packets {
            assert!(packet.len() <= MAX_PACKET && packet.len() > MAX_PACKET - 64);
            let mut out = Vec::new();
            let mut walk = Walk {
                out: &mut out,
                messages: 0,
                bundles: 0,
            };
            assert_eq!(walk.element(&packet, 0, IMMEDIATELY), expected);
            assert!(walk.messages <= MAX_MESSAGES + 1 && walk.bundles <= MAX_BUNDLES + 1);
        }
    }

    /// xorshift64: plenty for generating test packets, and no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn bytes(&mut self, out: &mut Vec<u8>, len: usize) {
            let end = out.len() + len;
            while out.len() + 8 <= end {
                out.extend(self.next().to_le_bytes());
            }
            while out.len() < end {
                out.push(self.next() as u8);
            }
        }
    }

    /// Well-formed packets to cut and corrupt.
    fn samples() -> Vec<Vec<u8>> {
        let now = Timing::At(at(1_700_000_000));
        let nested_bundle = OscPacket::Bundle(OscBundle {
            timetag: to_timetag(at(1_700_000_000)),
            content: vec![
                OscPacket::Message(message("/fx/1/mix", vec![OscType::Double(0.3)])),
                OscPacket::Bundle(OscBundle {
                    timetag: to_timetag(at(1_700_000_001)),
                    content: vec![OscPacket::Message(message("/fx/2/mode", vec!["low pass".into()]))],
                }),
            ],
        });
        let mut samples = vec![
            encode_message("/mixer/1/gain", vec![OscType::Float(0.5)]).unwrap(),
            encode_message("/mixer/*/gain", vec![OscType::Int(1), OscType::Bool(true)]).unwrap(),
            encode_message("/fx/[0-9]/{mix,gain}", vec![OscType::String(" 0.25 ".into())]).unwrap(),
            encode_message(
                "/all",
                vec![
                    OscType::Blob(vec![9; 13]),
                    OscType::Long(-5),
                    OscType::Time(OscTime {
                        seconds: 1,
                        fractional: 2,
                    }),
                    OscType::Char('c'),
                    OscType::Nil,
                    OscType::Inf,
                    OscType::Array(OscArray {
                        content: vec![OscType::Float(1.0), "x".into()],
                    }),
                ],
            )
            .unwrap(),
            encode_bundle(now, vec![message("/a", vec![]), message("/b/?", vec![OscType::Int(2)])]).unwrap(),
            rosc::encoder::encode(&nested_bundle).unwrap(),
        ];
        let resync: Vec<_> = (0..60)
            .map(|i| message(&format!("/c/{i}"), vec![OscType::Float(i as f32)]))
            .collect();
        samples.extend(encode_bundles(Timing::Immediately, resync, 1400).unwrap());
        samples
    }

    /// Which [`WireError`] (or Ok, 0) a decode ended with.
    fn outcome(result: &Result<(), WireError>) -> usize {
        match result {
            Ok(()) => 0,
            Err(WireError::TooLarge { .. }) => 1,
            Err(WireError::Malformed(_)) => 2,
            Err(WireError::TooDeep) => 3,
            Err(WireError::TooManyMessages) => 4,
            Err(WireError::TooManyBundles) => 5,
            Err(WireError::Unencodable(_)) => 6,
        }
    }

    const OUTCOMES: [&str; 7] = [
        "ok",
        "too large",
        "malformed",
        "too deep",
        "too many messages",
        "too many bundles",
        "unencodable",
    ];
    const CATEGORIES: [&str; 6] = [
        "random",
        "truncated",
        "flipped",
        "nested",
        "bad type tags",
        "near 64 KiB",
    ];

    /// Builds one packet of `category` into `packet`.
    fn generate(category: usize, rng: &mut Rng, samples: &[Vec<u8>], packet: &mut Vec<u8>) {
        let sample = &samples[rng.below(samples.len())];
        match category {
            0 => {
                if rng.below(4) == 0 {
                    packet.extend_from_slice(BUNDLE_TAG);
                }
                let len = rng.below(2048);
                rng.bytes(packet, len);
            }
            1 => {
                // One in eight whole, so that well-formed packets go through too.
                let len = if rng.below(8) == 0 {
                    sample.len()
                } else {
                    rng.below(sample.len())
                };
                packet.extend_from_slice(&sample[..len]);
            }
            2 => {
                packet.extend_from_slice(sample);
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(packet.len());
                    packet[at] ^= 1 + rng.below(255) as u8;
                }
            }
            3 => {
                let depth = if rng.below(32) == 0 {
                    1 + rng.below(1000)
                } else {
                    1 + rng.below(12)
                };
                nested(depth, sample, packet);
                if rng.below(4) == 0 {
                    // Lie about one element's size.
                    let at = 16 + 20 * rng.below(depth);
                    packet[at..at + 4].copy_from_slice(&(rng.next() as u32).to_be_bytes());
                }
            }
            4 => {
                packet.extend_from_slice(b"/a/b\0\0\0\0");
                let start = packet.len();
                if rng.below(5) != 0 {
                    packet.push(b',');
                }
                const TAGS: &[u8] = b"ifsbhdtcrmTFNI[][[]]x\x01,";
                for _ in 0..rng.below(40) {
                    packet.push(TAGS[rng.below(TAGS.len())]);
                }
                if rng.below(8) == 0 {
                    packet.extend(b"[".repeat(rng.below(2000)));
                }
                packet.resize(start + (packet.len() - start) / 4 * 4 + 4, 0);
                for _ in 0..rng.below(8) {
                    match rng.below(3) {
                        // A blob or element size, often absurd.
                        0 => {
                            const SIZES: [u32; 5] = [u32::MAX, 0x7FFF_FFFF, 0x8000_0000, 65_536, 4];
                            let size = SIZES.get(rng.below(8)).copied().unwrap_or(rng.next() as u32);
                            packet.extend(size.to_be_bytes());
                        }
                        // A string that never ends.
                        1 => packet.extend(b"abcdefgh".repeat(rng.below(8))),
                        _ => {
                            let len = rng.below(64);
                            rng.bytes(packet, len);
                        }
                    }
                }
                if rng.below(4) == 0 {
                    let message = std::mem::take(packet);
                    packet.extend(bundle_of(IMMEDIATELY, &[&message[..message.len() / 4 * 4]]));
                }
            }
            _ => match rng.below(5) {
                0 => {
                    let len = MAX_PACKET + 1 + rng.below(1000);
                    rng.bytes(packet, len);
                }
                1 => packet.extend(bundle_of(IMMEDIATELY, &vec![TINY; MAX_MESSAGES + 1 + rng.below(4000)])),
                2 => {
                    let empty = bundle_of(IMMEDIATELY, &[]);
                    packet.extend(bundle_of(
                        IMMEDIATELY,
                        &vec![empty.as_slice(); MAX_BUNDLES + 1 + rng.below(2000)],
                    ));
                }
                3 => {
                    let blob = (MAX_PACKET - 16) / 4 * 4 - rng.below(64) * 4;
                    let mut args = b"/big\0\0\0\0,b\0\0".to_vec();
                    args.extend((blob as u32).to_be_bytes());
                    args.resize(args.len() + blob, 0xAB);
                    packet.extend(args);
                }
                _ => nested(3000, TINY, packet),
            },
        }
    }

    #[test]
    fn a_million_malformed_packets_never_panic() {
        const OPTIONS: [&str; 3] = ["Low-pass", "High-pass", "Band-pass"];
        const ADDRESSES: [&str; 4] = ["/mixer/1/gain", "/fx/3/mix", "/a", "/c/12"];
        let patterns: Vec<Pattern> = ["/mixer/*/gain", "/fx/[0-9]/{mix,gain}", "/*", "/c/?*"]
            .map(|p| Pattern::new(p).unwrap())
            .into();
        let samples = samples();
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut packet = Vec::with_capacity(2 * MAX_PACKET);
        let mut out = Vec::new();
        let mut outcomes = [0usize; 7];
        let mut categories = [0usize; 6];
        let mut messages = 0usize;
        for _ in 0..1_000_000 {
            // Packets near 64 KiB are slow to build, so one in 4000.
            let category = if rng.below(4000) == 0 { 5 } else { rng.below(5) };
            categories[category] += 1;
            packet.clear();
            generate(category, &mut rng, &samples, &mut packet);
            out.clear();
            let result = decode(&packet, &mut out);
            outcomes[outcome(&result)] += 1;
            assert!(result.is_ok() || out.is_empty());
            assert!(out.len() <= MAX_MESSAGES);
            for incoming in &out {
                messages += 1;
                if let Ok(pattern) = Pattern::new(&incoming.address) {
                    for address in ADDRESSES {
                        pattern.matches(address);
                    }
                }
                for pattern in &patterns {
                    pattern.matches(&incoming.address);
                }
                for arg in &incoming.args {
                    args::number(arg);
                    args::choice(arg, &OPTIONS);
                }
            }
        }
        let table = |names: &[&str], counts: &[usize]| {
            names
                .iter()
                .zip(counts)
                .map(|(n, c)| format!("{n}: {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        eprintln!("categories: {}", table(&CATEGORIES, &categories));
        eprintln!(
            "outcomes: {}; messages decoded: {messages}",
            table(&OUTCOMES, &outcomes)
        );
        assert!(categories.iter().all(|&n| n > 0));
        assert!(outcomes[..6].iter().all(|&n| n > 0), "{outcomes:?}");
        assert_eq!(outcomes[6], 0);
    }
}
