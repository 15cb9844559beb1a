//! MIDI 1.0 byte-stream parsing and encoding.
//!
//! midir usually hands over one complete message per callback, but JACK bridges and some
//! devices deliver concatenated or split byte runs, so [`Parser`] is a byte-at-a-time state
//! machine: any chunking of the same stream yields the same messages and errors.

use std::fmt;

/// Default cap on the payload of one system exclusive message, in bytes.
pub const DEFAULT_MAX_SYSEX: usize = 4096;

/// One complete MIDI 1.0 message. Channels are 0-based (0..=15); data values are 7-bit
/// unless stated otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MidiMessage {
    /// Key pressed. The parser never produces velocity 0 here: that is reported as [`MidiMessage::NoteOff`].
    NoteOn {
        /// Channel, 0..=15.
        channel: u8,
        /// Note number, 0..=127.
        note: u8,
        /// Strike velocity, 1..=127 when parsed.
        velocity: u8,
    },
    /// Key released (also a Note On with velocity 0, which then has velocity 0 here).
    NoteOff {
        /// Channel, 0..=15.
        channel: u8,
        /// Note number, 0..=127.
        note: u8,
        /// Release velocity.
        velocity: u8,
    },
    /// Polyphonic key pressure (per-note aftertouch).
    PolyPressure {
        /// Channel, 0..=15.
        channel: u8,
        /// Note number, 0..=127.
        note: u8,
        /// Pressure, 0..=127.
        value: u8,
    },
    /// Control change.
    ControlChange {
        /// Channel, 0..=15.
        channel: u8,
        /// Controller number, 0..=127.
        cc: u8,
        /// Controller value, 0..=127.
        value: u8,
    },
    /// Program change.
    ProgramChange {
        /// Channel, 0..=15.
        channel: u8,
        /// Program number, 0..=127.
        program: u8,
    },
    /// Channel pressure (monophonic aftertouch).
    ChannelPressure {
        /// Channel, 0..=15.
        channel: u8,
        /// Pressure, 0..=127.
        value: u8,
    },
    /// Pitch bend.
    PitchBend {
        /// Channel, 0..=15.
        channel: u8,
        /// 14-bit value, 0..=16383; 8192 is the centre.
        value: u16,
    },
    /// System exclusive payload, without the framing F0 / F7 bytes.
    SysEx(Vec<u8>),
    /// MIDI Time Code quarter frame (F1) with its data byte.
    QuarterFrame(u8),
    /// Song position pointer (F2), in MIDI beats (sixteenth notes), 0..=16383.
    SongPosition(u16),
    /// Song select (F3).
    SongSelect(u8),
    /// Tune request (F6).
    TuneRequest,
    /// Timing clock (F8), 24 per quarter note.
    Clock,
    /// Start (FA).
    Start,
    /// Continue (FB).
    Continue,
    /// Stop (FC).
    Stop,
    /// Active sensing (FE) keep-alive.
    ActiveSensing,
    /// System reset (FF).
    Reset,
}

impl MidiMessage {
    /// The channel of a channel voice message, `None` for system messages.
    #[must_use]
    pub fn channel(&self) -> Option<u8> {
        match *self {
            MidiMessage::NoteOn { channel, .. }
            | MidiMessage::NoteOff { channel, .. }
            | MidiMessage::PolyPressure { channel, .. }
            | MidiMessage::ControlChange { channel, .. }
            | MidiMessage::ProgramChange { channel, .. }
            | MidiMessage::ChannelPressure { channel, .. }
            | MidiMessage::PitchBend { channel, .. } => Some(channel),
            _ => None,
        }
    }

    /// True for the single-byte real-time messages (F8..FF), which may appear anywhere in a stream.
    #[must_use]
    pub fn is_realtime(&self) -> bool {
        matches!(
            self,
            MidiMessage::Clock
                | MidiMessage::Start
                | MidiMessage::Continue
                | MidiMessage::Stop
                | MidiMessage::ActiveSensing
                | MidiMessage::Reset
        )
    }
}

/// A problem found in the incoming byte stream. The parser reports it and carries on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MidiError {
    /// A data byte arrived with no status byte (and no running status) to give it meaning.
    StrayData(u8),
    /// A status byte arrived before the message in progress had all its data bytes.
    Truncated {
        /// Status byte of the lost message (F0 for an unterminated system exclusive).
        status: u8,
        /// Data bytes received for it before it was cut off.
        received: usize,
        /// The status byte that cut it off.
        interrupted_by: u8,
    },
    /// A system exclusive message grew past the parser's cap; it is dropped and the rest of it ignored.
    SysExTooLong {
        /// The cap, in payload bytes.
        max: usize,
    },
    /// An end-of-exclusive byte (F7) arrived with no system exclusive message in progress.
    StrayEndOfExclusive,
    /// An undefined status byte (F4, F5, F9 or FD) arrived.
    UndefinedStatus(u8),
}

impl fmt::Display for MidiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MidiError::StrayData(b) => {
                write!(
                    f,
                    "data byte 0x{b:02X} arrived with no status byte in effect and was ignored"
                )
            }
            MidiError::Truncated {
                status,
                received,
                interrupted_by,
            } => write!(
                f,
                "message with status 0x{status:02X} was cut off by status byte 0x{interrupted_by:02X} \
                 after {received} data byte(s) and was dropped"
            ),
            MidiError::SysExTooLong { max } => {
                write!(
                    f,
                    "system exclusive message (0xF0) exceeded the {max}-byte limit and was dropped"
                )
            }
            MidiError::StrayEndOfExclusive => {
                write!(
                    f,
                    "end-of-exclusive byte 0xF7 arrived with no system exclusive message in progress"
                )
            }
            MidiError::UndefinedStatus(b) => write!(f, "undefined status byte 0x{b:02X} was ignored"),
        }
    }
}

impl std::error::Error for MidiError {}

/// What the parser is in the middle of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between messages. A data byte here starts a new message under running status, if any.
    Idle,
    /// Collecting the data bytes of a channel or system common message.
    Data { status: u8, have: u8, bytes: [u8; 2] },
    /// Inside a system exclusive message, collecting its payload.
    SysEx,
    /// Inside a system exclusive message that outgrew the cap; bytes are discarded until a status byte.
    SysExOverflow,
}

/// Stateful MIDI 1.0 stream parser (running status, interleaved real-time bytes, bounded SysEx).
#[derive(Debug, Clone)]
pub struct Parser {
    state: State,
    /// Running status: the last channel voice status byte, cleared by system common and SysEx.
    running: Option<u8>,
    sysex: Vec<u8>,
    max_sysex: usize,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_SYSEX)
    }
}

/// Number of data bytes that follow a (non-real-time) status byte.
fn data_len(status: u8) -> u8 {
    match status {
        0x80..=0xBF | 0xE0..=0xEF | 0xF2 => 2,
        0xC0..=0xDF | 0xF1 | 0xF3 => 1,
        _ => 0,
    }
}

/// Builds the message for a status byte whose data bytes are complete.
fn build(status: u8, d: [u8; 2]) -> MidiMessage {
    let channel = status & 0x0F;
    match status & 0xF0 {
        0x80 => MidiMessage::NoteOff {
            channel,
            note: d[0],
            velocity: d[1],
        },
        0x90 if d[1] == 0 => MidiMessage::NoteOff {
            channel,
            note: d[0],
            velocity: 0,
        },
        0x90 => MidiMessage::NoteOn {
            channel,
            note: d[0],
            velocity: d[1],
        },
        0xA0 => MidiMessage::PolyPressure {
            channel,
            note: d[0],
            value: d[1],
        },
        0xB0 => MidiMessage::ControlChange {
            channel,
            cc: d[0],
            value: d[1],
        },
        0xC0 => MidiMessage::ProgramChange { channel, program: d[0] },
        0xD0 => MidiMessage::ChannelPressure { channel, value: d[0] },
        0xE0 => MidiMessage::PitchBend {
            channel,
            value: u16::from(d[0]) | (u16::from(d[1]) << 7),
        },
        _ => match status {
            0xF1 => MidiMessage::QuarterFrame(d[0]),
            0xF2 => MidiMessage::SongPosition(u16::from(d[0]) | (u16::from(d[1]) << 7)),
            0xF3 => MidiMessage::SongSelect(d[0]),
            // Unreachable: only F1..F3 collect data bytes. Kept total instead of panicking.
            _ => MidiMessage::TuneRequest,
        },
    }
}

impl Parser {
    /// A parser that keeps at most `max_sysex` payload bytes of one system exclusive message
    /// (longer ones are dropped with [`MidiError::SysExTooLong`]), so a runaway stream cannot
    /// exhaust memory.
    #[must_use]
    pub fn new(max_sysex: usize) -> Self {
        Parser {
            state: State::Idle,
            running: None,
            sysex: Vec::new(),
            max_sysex,
        }
    }

    /// Forgets any partial message and the running status (e.g. after reconnecting a port).
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.running = None;
        self.sysex = Vec::new();
    }

    /// Parses `bytes`, continuing from where the previous call stopped, and hands every complete
    /// message or stream error to `out` in stream order. Never panics on any input.
    pub fn feed(&mut self, bytes: &[u8], out: &mut impl FnMut(Result<MidiMessage, MidiError>)) {
        for &b in bytes {
            self.byte(b, out);
        }
    }

    fn byte(&mut self, b: u8, out: &mut impl FnMut(Result<MidiMessage, MidiError>)) {
        match b {
            0x00..=0x7F => self.data(b, out),
            0xF8..=0xFF => out(realtime(b)),
            _ => self.status(b, out),
        }
    }

    fn data(&mut self, b: u8, out: &mut impl FnMut(Result<MidiMessage, MidiError>)) {
        match self.state {
            State::Idle => match self.running {
                Some(status) => {
                    self.state = State::Data {
                        status,
                        have: 0,
                        bytes: [0; 2],
                    };
                    self.data(b, out);
                }
                None => out(Err(MidiError::StrayData(b))),
            },
            State::Data {
                status,
                mut have,
                mut bytes,
            } => {
                bytes[usize::from(have)] = b;
                have += 1;
                if have >= data_len(status) {
                    self.state = State::Idle;
                    out(Ok(build(status, bytes)));
                } else {
                    self.state = State::Data { status, have, bytes };
                }
            }
            State::SysEx => {
                if !self.push_sysex(b) {
                    // Release the buffer: the message is lost anyway and a flood must not pin memory.
                    self.sysex = Vec::new();
                    self.state = State::SysExOverflow;
                    out(Err(MidiError::SysExTooLong { max: self.max_sysex }));
                }
            }
            State::SysExOverflow => {}
        }
    }

    /// Appends to the SysEx buffer, growing it by doubling but never beyond the cap.
    fn push_sysex(&mut self, b: u8) -> bool {
        let len = self.sysex.len();
        if len >= self.max_sysex {
            return false;
        }
        if len == self.sysex.capacity() {
            let target = (len * 2).max(64).min(self.max_sysex);
            self.sysex.reserve_exact(target - len);
        }
        self.sysex.push(b);
        true
    }

    fn status(&mut self, b: u8, out: &mut impl FnMut(Result<MidiMessage, MidiError>)) {
        // Any non-real-time status byte ends whatever was in progress.
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Idle => {
                if b == 0xF7 {
                    out(Err(MidiError::StrayEndOfExclusive));
                }
            }
            State::Data { status, have, .. } => {
                out(Err(MidiError::Truncated {
                    status,
                    received: usize::from(have),
                    interrupted_by: b,
                }));
                if b == 0xF7 {
                    out(Err(MidiError::StrayEndOfExclusive));
                }
            }
            State::SysEx => {
                let payload = std::mem::take(&mut self.sysex);
                if b == 0xF7 {
                    out(Ok(MidiMessage::SysEx(payload)));
                } else {
                    out(Err(MidiError::Truncated {
                        status: 0xF0,
                        received: payload.len(),
                        interrupted_by: b,
                    }));
                }
            }
            // The overflow was already reported when it happened.
            State::SysExOverflow => {}
        }
        match b {
            0x80..=0xEF => {
                self.running = Some(b);
                self.state = State::Data {
                    status: b,
                    have: 0,
                    bytes: [0; 2],
                };
            }
            // System common messages cancel running status (MIDI 1.0, "Running Status").
            0xF0 => {
                self.running = None;
                self.sysex.clear();
                self.state = State::SysEx;
            }
            0xF1..=0xF3 => {
                self.running = None;
                self.state = State::Data {
                    status: b,
                    have: 0,
                    bytes: [0; 2],
                };
            }
            0xF6 => {
                self.running = None;
                out(Ok(MidiMessage::TuneRequest));
            }
            0xF7 => self.running = None,
            // F4, F5: undefined system common.
            _ => {
                self.running = None;
                out(Err(MidiError::UndefinedStatus(b)));
            }
        }
    }
}

/// Real-time bytes are complete messages on their own and leave the parser state alone.
fn realtime(b: u8) -> Result<MidiMessage, MidiError> {
    match b {
        0xF8 => Ok(MidiMessage::Clock),
        0xFA => Ok(MidiMessage::Start),
        0xFB => Ok(MidiMessage::Continue),
        0xFC => Ok(MidiMessage::Stop),
        0xFE => Ok(MidiMessage::ActiveSensing),
        0xFF => Ok(MidiMessage::Reset),
        _ => Err(MidiError::UndefinedStatus(b)),
    }
}

/// Appends the bytes of `msg` to `out`, always with a full status byte (no running status), so
/// every message stands alone. Out-of-range fields are masked to their bit width (channel to 4
/// bits, data to 7 bits) and 14-bit values are clamped to 16383, so the output is always a
/// well-formed stream.
pub fn encode(msg: &MidiMessage, out: &mut Vec<u8>) {
    let st = |kind: u8, channel: u8| kind | (channel & 0x0F);
    let d = |v: u8| v & 0x7F;
    let split = |v: u16| {
        let v = v.min(0x3FFF);
        [(v & 0x7F) as u8, (v >> 7) as u8]
    };
    match msg {
        MidiMessage::NoteOn {
            channel,
            note,
            velocity,
        } => out.extend([st(0x90, *channel), d(*note), d(*velocity)]),
        MidiMessage::NoteOff {
            channel,
            note,
            velocity,
        } => out.extend([st(0x80, *channel), d(*note), d(*velocity)]),
        MidiMessage::PolyPressure { channel, note, value } => out.extend([st(0xA0, *channel), d(*note), d(*value)]),
        MidiMessage::ControlChange { channel, cc, value } => out.extend([st(0xB0, *channel), d(*cc), d(*value)]),
        MidiMessage::ProgramChange { channel, program } => out.extend([st(0xC0, *channel), d(*program)]),
        MidiMessage::ChannelPressure { channel, value } => out.extend([st(0xD0, *channel), d(*value)]),
        MidiMessage::PitchBend { channel, value } => {
            let [lsb, msb] = split(*value);
            out.extend([st(0xE0, *channel), lsb, msb]);
        }
        MidiMessage::SysEx(payload) => {
            out.reserve(payload.len() + 2);
            out.push(0xF0);
            out.extend(payload.iter().map(|&b| d(b)));
            out.push(0xF7);
        }
        MidiMessage::QuarterFrame(v) => out.extend([0xF1, d(*v)]),
        MidiMessage::SongPosition(v) => {
            let [lsb, msb] = split(*v);
            out.extend([0xF2, lsb, msb]);
        }
        MidiMessage::SongSelect(v) => out.extend([0xF3, d(*v)]),
        MidiMessage::TuneRequest => out.push(0xF6),
        MidiMessage::Clock => out.push(0xF8),
        MidiMessage::Start => out.push(0xFA),
        MidiMessage::Continue => out.push(0xFB),
        MidiMessage::Stop => out.push(0xFC),
        MidiMessage::ActiveSensing => out.push(0xFE),
        MidiMessage::Reset => out.push(0xFF),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Item = Result<MidiMessage, MidiError>;

    fn parse_chunks(max: usize, chunks: &[&[u8]]) -> Vec<Item> {
        let mut p = Parser::new(max);
        let mut got = Vec::new();
        for c in chunks {
            p.feed(c, &mut |r| got.push(r));
        }
        got
    }

    fn parse(bytes: &[u8]) -> Vec<Item> {
        parse_chunks(DEFAULT_MAX_SYSEX, &[bytes])
    }

    fn cc(channel: u8, cc: u8, value: u8) -> Item {
        Ok(MidiMessage::ControlChange { channel, cc, value })
    }

    #[test]
    fn channel_messages() {
        let got = parse(&[
            0x91, 60, 100, 0x81, 60, 64, 0xA2, 1, 2, 0xB3, 7, 99, 0xC4, 5, 0xD5, 77, 0xE6, 0x00, 0x40,
        ]);
        assert_eq!(
            got,
            vec![
                Ok(MidiMessage::NoteOn {
                    channel: 1,
                    note: 60,
                    velocity: 100
                }),
                Ok(MidiMessage::NoteOff {
                    channel: 1,
                    note: 60,
                    velocity: 64
                }),
                Ok(MidiMessage::PolyPressure {
                    channel: 2,
                    note: 1,
                    value: 2
                }),
                cc(3, 7, 99),
                Ok(MidiMessage::ProgramChange { channel: 4, program: 5 }),
                Ok(MidiMessage::ChannelPressure { channel: 5, value: 77 }),
                Ok(MidiMessage::PitchBend {
                    channel: 6,
                    value: 8192
                }),
            ]
        );
    }

    #[test]
    fn note_on_velocity_zero_is_note_off() {
        assert_eq!(
            parse(&[0x90, 60, 0]),
            vec![Ok(MidiMessage::NoteOff {
                channel: 0,
                note: 60,
                velocity: 0
            })]
        );
    }

    #[test]
    fn pitch_bend_extremes() {
        let got = parse(&[0xE0, 0, 0, 0xE0, 0x7F, 0x7F]);
        assert_eq!(
            got,
            vec![
                Ok(MidiMessage::PitchBend { channel: 0, value: 0 }),
                Ok(MidiMessage::PitchBend {
                    channel: 0,
                    value: 16383
                })
            ]
        );
    }

    #[test]
    fn running_status() {
        let got = parse(&[0xB0, 1, 10, 1, 11, 2, 12, 0xC1, 3, 4, 0x90, 60, 1, 60, 0]);
        assert_eq!(
            got,
            vec![
                cc(0, 1, 10),
                cc(0, 1, 11),
                cc(0, 2, 12),
                Ok(MidiMessage::ProgramChange { channel: 1, program: 3 }),
                Ok(MidiMessage::ProgramChange { channel: 1, program: 4 }),
                Ok(MidiMessage::NoteOn {
                    channel: 0,
                    note: 60,
                    velocity: 1
                }),
                Ok(MidiMessage::NoteOff {
                    channel: 0,
                    note: 60,
                    velocity: 0
                }),
            ]
        );
    }

    #[test]
    fn realtime_inside_message_keeps_state() {
        // Clock between status and data, between data bytes, and under running status.
        let got = parse(&[0xB0, 0xF8, 1, 0xFA, 10, 0xFC, 2, 0xFE, 20]);
        assert_eq!(
            got,
            vec![
                Ok(MidiMessage::Clock),
                Ok(MidiMessage::Start),
                cc(0, 1, 10),
                Ok(MidiMessage::Stop),
                Ok(MidiMessage::ActiveSensing),
                cc(0, 2, 20),
            ]
        );
    }

    #[test]
    fn realtime_inside_sysex() {
        let got = parse(&[0xF0, 0x7E, 0xF8, 0x01, 0xFB, 0x02, 0xF7]);
        assert_eq!(
            got,
            vec![
                Ok(MidiMessage::Clock),
                Ok(MidiMessage::Continue),
                Ok(MidiMessage::SysEx(vec![0x7E, 1, 2]))
            ]
        );
    }

    #[test]
    fn reset_byte_does_not_disturb_running_status() {
        let got = parse(&[0xB0, 1, 2, 0xFF, 3, 4]);
        assert_eq!(got, vec![cc(0, 1, 2), Ok(MidiMessage::Reset), cc(0, 3, 4)]);
    }

    #[test]
    fn truncated_message_reported_and_next_parsed() {
        let got = parse(&[0x90, 60, 0xB0, 7, 100]);
        assert_eq!(
            got,
            vec![
                Err(MidiError::Truncated {
                    status: 0x90,
                    received: 1,
                    interrupted_by: 0xB0
                }),
                cc(0, 7, 100)
            ]
        );
        // A status with no data at all is lost too.
        let got = parse(&[0xC0, 0x80, 1, 2]);
        assert_eq!(
            got,
            vec![
                Err(MidiError::Truncated {
                    status: 0xC0,
                    received: 0,
                    interrupted_by: 0x80
                }),
                Ok(MidiMessage::NoteOff {
                    channel: 0,
                    note: 1,
                    velocity: 2
                }),
            ]
        );
    }

    #[test]
    fn truncated_under_running_status() {
        let got = parse(&[0xB0, 1, 2, 3, 0xF0, 0xF7]);
        assert_eq!(
            got,
            vec![
                cc(0, 1, 2),
                Err(MidiError::Truncated {
                    status: 0xB0,
                    received: 1,
                    interrupted_by: 0xF0
                }),
                Ok(MidiMessage::SysEx(vec![])),
            ]
        );
    }

    #[test]
    fn unterminated_sysex_is_truncated() {
        let got = parse(&[0xF0, 1, 2, 3, 0x90, 60, 100]);
        assert_eq!(
            got,
            vec![
                Err(MidiError::Truncated {
                    status: 0xF0,
                    received: 3,
                    interrupted_by: 0x90
                }),
                Ok(MidiMessage::NoteOn {
                    channel: 0,
                    note: 60,
                    velocity: 100
                }),
            ]
        );
    }

    #[test]
    fn stray_data() {
        assert_eq!(
            parse(&[5, 6]),
            vec![Err(MidiError::StrayData(5)), Err(MidiError::StrayData(6))]
        );
        // System common cancels running status, so data after it is stray.
        let got = parse(&[0xB0, 1, 2, 0xF6, 3]);
        assert_eq!(
            got,
            vec![cc(0, 1, 2), Ok(MidiMessage::TuneRequest), Err(MidiError::StrayData(3))]
        );
        // After a SysEx there is no running status either.
        let got = parse(&[0x90, 1, 2, 0xF0, 0xF7, 3, 4]);
        assert_eq!(got[2..], [Err(MidiError::StrayData(3)), Err(MidiError::StrayData(4))]);
    }

    #[test]
    fn stray_end_of_exclusive() {
        assert_eq!(parse(&[0xF7]), vec![Err(MidiError::StrayEndOfExclusive)]);
        let got = parse(&[0x90, 1, 0xF7]);
        assert_eq!(
            got,
            vec![
                Err(MidiError::Truncated {
                    status: 0x90,
                    received: 1,
                    interrupted_by: 0xF7
                }),
                Err(MidiError::StrayEndOfExclusive),
            ]
        );
    }

    #[test]
    fn undefined_statuses() {
        let got = parse(&[0xB0, 1, 0xF9, 2, 0xFD, 0xF4, 5, 0xF5]);
        assert_eq!(
            got,
            vec![
                // Undefined real-time bytes do not disturb the message in progress...
                Err(MidiError::UndefinedStatus(0xF9)),
                cc(0, 1, 2),
                Err(MidiError::UndefinedStatus(0xFD)),
                // ...undefined system common ones cancel running status.
                Err(MidiError::UndefinedStatus(0xF4)),
                Err(MidiError::StrayData(5)),
                Err(MidiError::UndefinedStatus(0xF5)),
            ]
        );
    }

    #[test]
    fn system_common() {
        let got = parse(&[0xF1, 0x23, 0xF2, 0x01, 0x02, 0xF3, 9, 0xF6]);
        assert_eq!(
            got,
            vec![
                Ok(MidiMessage::QuarterFrame(0x23)),
                Ok(MidiMessage::SongPosition(1 | (2 << 7))),
                Ok(MidiMessage::SongSelect(9)),
                Ok(MidiMessage::TuneRequest),
            ]
        );
    }

    #[test]
    fn sysex_at_cap_is_kept_and_one_more_is_dropped() {
        let mut s = vec![0xF0];
        s.extend(std::iter::repeat_n(0x11, 8));
        s.push(0xF7);
        assert_eq!(parse_chunks(8, &[&s]), vec![Ok(MidiMessage::SysEx(vec![0x11; 8]))]);
        let mut s = vec![0xF0];
        s.extend(std::iter::repeat_n(0x11, 9));
        s.extend([0xF7, 0xB0, 1, 2]);
        assert_eq!(
            parse_chunks(8, &[&s]),
            vec![Err(MidiError::SysExTooLong { max: 8 }), cc(0, 1, 2)]
        );
    }

    #[test]
    fn zero_cap_still_passes_empty_sysex() {
        assert_eq!(parse_chunks(0, &[&[0xF0, 0xF7]]), vec![Ok(MidiMessage::SysEx(vec![]))]);
        assert_eq!(
            parse_chunks(0, &[&[0xF0, 1, 0xF7]]),
            vec![Err(MidiError::SysExTooLong { max: 0 })]
        );
    }

    #[test]
    fn sysex_flood_is_bounded_and_recovers() {
        let max = 4096;
        let mut p = Parser::new(max);
        let mut errors = 0;
        let mut messages = Vec::new();
        let mut sink = |r: Item| match r {
            Ok(m) => messages.push(m),
            Err(e) => {
                assert_eq!(e, MidiError::SysExTooLong { max });
                errors += 1;
            }
        };
        p.feed(&[0xF0], &mut sink);
        let chunk = [0x55u8; 4096];
        for _ in 0..256 {
            // 1 MiB in total.
            p.feed(&chunk, &mut sink);
            assert!(p.sysex.capacity() <= max, "buffer grew to {}", p.sysex.capacity());
        }
        p.feed(&[0xB0, 7, 99, 0xF0, 1, 2, 0xF7], &mut sink);
        assert_eq!(errors, 1);
        assert_eq!(
            messages,
            vec![
                MidiMessage::ControlChange {
                    channel: 0,
                    cc: 7,
                    value: 99
                },
                MidiMessage::SysEx(vec![1, 2])
            ]
        );
    }

    #[test]
    fn sysex_flood_recovers_on_terminator() {
        let mut s = vec![0xF0];
        s.extend(std::iter::repeat_n(0x01, 100));
        s.extend([0xF7, 0x90, 60, 1]);
        let got = parse_chunks(16, &[&s]);
        assert_eq!(
            got,
            vec![
                Err(MidiError::SysExTooLong { max: 16 }),
                Ok(MidiMessage::NoteOn {
                    channel: 0,
                    note: 60,
                    velocity: 1
                })
            ]
        );
    }

    /// A stream that exercises every parser path.
    fn torture_stream() -> Vec<u8> {
        vec![
            0x90, 60, 100, 61, 0,    // running status, vel 0
            0xF8, // clock between messages
            0xB2, 0xF8, 7, 0xFE, 64, 8, 0xFA, 65, // real-time inside messages
            0xF0, 0x7E, 0xF8, 0x7F, 0x09, 0xF7, // sysex with clock inside
            5,    // stray data
            0xC3, 0x81, 1, 2, // truncated program change
            0xF0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xF7, // too long for cap 8
            0xF2, 1, 2, 3, // song position, then stray
            0xF9, 0xF4, 0xFD, 0xF5, // undefined
            0xE0, 0x7F, 0x7F, 0x00, 0x40, // pitch bend, running status
            0xF0, 1, 0xB0, 1, 2,    // sysex cut by CC
            0xF7, // stray EOX
            0xD1, 3, 4, 0xF3, 5, 0xF1, 6, 0xF6, 0xFF, 0xA0, 1, // ends mid-message
        ]
    }

    #[test]
    fn every_split_point_gives_same_result() {
        let s = torture_stream();
        let whole = parse_chunks(8, &[&s]);
        assert!(whole.len() > 20);
        // Byte by byte.
        let singles: Vec<&[u8]> = s.chunks(1).collect();
        assert_eq!(parse_chunks(8, &singles), whole);
        // Every single split point and every pair of split points.
        for i in 0..=s.len() {
            assert_eq!(parse_chunks(8, &[&s[..i], &s[i..]]), whole, "split at {i}");
            for j in i..=s.len() {
                assert_eq!(
                    parse_chunks(8, &[&s[..i], &s[i..j], &s[j..]]),
                    whole,
                    "split at {i},{j}"
                );
            }
        }
        // Pseudo-random chunk sizes.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..200 {
            let mut chunks = Vec::new();
            let mut rest = &s[..];
            while !rest.is_empty() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let n = (seed % 6) as usize;
                let (a, b) = rest.split_at(n.min(rest.len()));
                chunks.push(a);
                rest = b;
            }
            assert_eq!(parse_chunks(8, &chunks), whole);
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut p = Parser::new(32);
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut buf = [0u8; 97];
        let mut count = 0usize;
        for _ in 0..2000 {
            for b in buf.iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = (seed >> 24) as u8;
            }
            p.feed(&buf, &mut |_| count += 1);
            assert!(p.sysex.capacity() <= 32);
        }
        assert!(count > 0);
    }

    #[test]
    fn encode_round_trips() {
        let msgs = vec![
            MidiMessage::NoteOn {
                channel: 15,
                note: 127,
                velocity: 1,
            },
            MidiMessage::NoteOff {
                channel: 0,
                note: 0,
                velocity: 64,
            },
            MidiMessage::PolyPressure {
                channel: 3,
                note: 10,
                value: 20,
            },
            MidiMessage::ControlChange {
                channel: 9,
                cc: 74,
                value: 127,
            },
            MidiMessage::ProgramChange {
                channel: 2,
                program: 99,
            },
            MidiMessage::ChannelPressure { channel: 4, value: 33 },
            MidiMessage::PitchBend {
                channel: 5,
                value: 12345,
            },
            MidiMessage::SysEx(vec![0x7D, 0x00, 0x42]),
            MidiMessage::QuarterFrame(0x35),
            MidiMessage::SongPosition(16383),
            MidiMessage::SongSelect(3),
            MidiMessage::TuneRequest,
            MidiMessage::Clock,
            MidiMessage::Start,
            MidiMessage::Continue,
            MidiMessage::Stop,
            MidiMessage::ActiveSensing,
            MidiMessage::Reset,
        ];
        let mut bytes = Vec::new();
        for m in &msgs {
            encode(m, &mut bytes);
        }
        let got: Vec<MidiMessage> = parse(&bytes).into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(got, msgs);
    }

    #[test]
    fn encode_masks_out_of_range_fields() {
        let mut bytes = Vec::new();
        encode(
            &MidiMessage::ControlChange {
                channel: 17,
                cc: 200,
                value: 255,
            },
            &mut bytes,
        );
        encode(
            &MidiMessage::PitchBend {
                channel: 0,
                value: 60000,
            },
            &mut bytes,
        );
        encode(&MidiMessage::SysEx(vec![0xF7, 0x80]), &mut bytes);
        assert_eq!(bytes, vec![0xB1, 0x48, 0x7F, 0xE0, 0x7F, 0x7F, 0xF0, 0x77, 0x00, 0xF7]);
        assert!(parse(&bytes).iter().all(|r| r.is_ok()));
    }

    #[test]
    fn encode_uses_full_status_every_time() {
        let mut bytes = Vec::new();
        encode(
            &MidiMessage::ControlChange {
                channel: 0,
                cc: 1,
                value: 2,
            },
            &mut bytes,
        );
        encode(
            &MidiMessage::ControlChange {
                channel: 0,
                cc: 1,
                value: 3,
            },
            &mut bytes,
        );
        assert_eq!(bytes, vec![0xB0, 1, 2, 0xB0, 1, 3]);
    }

    #[test]
    fn error_messages_name_bytes_in_hex() {
        assert!(MidiError::StrayData(0x05).to_string().contains("0x05"));
        let t = MidiError::Truncated {
            status: 0x90,
            received: 1,
            interrupted_by: 0xB0,
        }
        .to_string();
        assert!(t.contains("0x90") && t.contains("0xB0"));
        assert!(MidiError::SysExTooLong { max: 4096 }.to_string().contains("0xF0"));
        assert!(MidiError::StrayEndOfExclusive.to_string().contains("0xF7"));
        assert!(MidiError::UndefinedStatus(0xF4).to_string().contains("0xF4"));
        let e: Box<dyn std::error::Error> = Box::new(MidiError::StrayData(1));
        assert!(!e.to_string().is_empty());
    }

    #[test]
    fn helpers() {
        assert_eq!(MidiMessage::PitchBend { channel: 3, value: 0 }.channel(), Some(3));
        assert_eq!(MidiMessage::Clock.channel(), None);
        assert!(MidiMessage::Clock.is_realtime());
        assert!(!MidiMessage::TuneRequest.is_realtime());
    }

    #[test]
    fn reset_forgets_running_status() {
        let mut p = Parser::default();
        let mut got = Vec::new();
        p.feed(&[0xB0, 1, 2, 0x90, 60], &mut |r| got.push(r));
        p.reset();
        p.feed(&[3, 4], &mut |r| got.push(r));
        assert_eq!(
            got,
            vec![cc(0, 1, 2), Err(MidiError::StrayData(3)), Err(MidiError::StrayData(4))]
        );
    }
}
