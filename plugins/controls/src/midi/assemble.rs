//! Assembly of channel messages into the logical events a controller mapping binds to:
//! 14-bit CC pairs, NRPN/RPN parameters and data increments, plus plain notes and CCs.
//!
//! # 14-bit CC pairs
//!
//! MIDI 1.0 lets CC `n` (0..=31) carry the coarse MSB and CC `n + 32` the fine LSB of one
//! 14-bit value. Whether a controller uses a pair this way is device-specific, so pairs are off
//! until enabled with [`Assembler::set_14bit`].
//!
//! Policy, chosen so one physical move gives one event with the correct value:
//!
//! * The MSB is **held back** until the next message. Devices send MSB then LSB back to back, so
//!   if the next channel message is the matching LSB, one [`Event::Cc14`] with the full value is
//!   emitted. Emitting on the MSB as well would produce a transient wrong value (up to 127
//!   fine steps off) between the two bytes.
//! * If anything else arrives first (any channel message or SysEx; real-time bytes such as clock
//!   are interleaved by transports and do not count), or [`Assembler::flush`] is called, the held
//!   MSB is emitted alone. Its LSB is then taken as 0, as MIDI 1.0 tells receivers to reset the
//!   LSB on every MSB (a compliant sender omits the LSB only when it is 0). If no LSB was ever
//!   seen on the pair, the MSB's bits are replicated into the LSB (`msb << 7 | msb`) so that a
//!   7-bit control bound as 14-bit still reaches both 0 and 16383.
//! * A lone LSB (fine adjustment) is combined with the last MSB and emitted at once.
//!
//! **Call [`Assembler::flush`] before consuming events** (e.g. once per frame, after draining the
//! MIDI queue); otherwise a lone MSB waits until the next channel message arrives.
//! LSB-before-MSB senders are not supported (they contradict the spec's reset rule).
//!
//! # NRPN / RPN
//!
//! CC 99/98 select a non-registered parameter (MSB/LSB of its number), CC 101/100 a registered
//! one; RPN 127/127 ("RPN null") deselects. While a parameter is selected on a channel, data
//! entry CC 6 (MSB) and CC 38 (LSB) and data increment/decrement CC 96/97 are consumed and
//! emitted as parameter events:
//!
//! * CC 6 → value `msb << 7 | last data LSB` (0 if none since the parameter was selected),
//!   `fine: false`; a 7-bit sender thus yields `value7 << 7`.
//! * CC 38 → value `last data MSB << 7 | lsb`, `fine: true`.
//! * CC 96/97 → an increment of +1/-1; the data byte is ignored, per MIDI RP-018.
//!
//! Parameter events are emitted immediately (no holding back): the `fine` flag tells the
//! consumer whether more resolution may follow. The parameter-number CCs 98..=101 are always
//! consumed while parameter handling is on for the channel (the default); turn it off with
//! [`Assembler::set_parameter_numbers`] for controllers that use those CCs as plain knobs.

use super::wire::MidiMessage;

/// Clock and transport messages, passed through for tempo sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Timing clock (F8), 24 per quarter note.
    Tick,
    /// Start (FA).
    Start,
    /// Continue (FB).
    Continue,
    /// Stop (FC).
    Stop,
    /// Song position pointer (F2), in sixteenth notes.
    SongPosition(u16),
}

/// A logical controller event. Channels are 0-based (0..=15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Note on or off (a Note On with velocity 0 arrives as `on: false`).
    Note {
        /// Channel, 0..=15.
        channel: u8,
        /// Note number, 0..=127.
        note: u8,
        /// Strike or release velocity, 0..=127.
        velocity: u8,
        /// True for note on.
        on: bool,
    },
    /// A 7-bit control change not claimed by a 14-bit pair or NRPN/RPN.
    Cc {
        /// Channel, 0..=15.
        channel: u8,
        /// Controller number, 0..=127.
        cc: u8,
        /// Value, 0..=127.
        value: u8,
    },
    /// A 14-bit control change from an enabled MSB/LSB pair.
    Cc14 {
        /// Channel, 0..=15.
        channel: u8,
        /// The MSB controller number, 0..=31 (the LSB is `msb_cc + 32`).
        msb_cc: u8,
        /// Value, 0..=16383.
        value: u16,
    },
    /// A data entry for a non-registered parameter.
    Nrpn {
        /// Channel, 0..=15.
        channel: u8,
        /// Parameter number, 0..=16383.
        param: u16,
        /// 14-bit value, 0..=16383 (`value7 << 7` for a sender that only uses the MSB).
        value: u16,
        /// True when triggered by the data LSB (full resolution), false for the MSB.
        fine: bool,
    },
    /// A data entry for a registered parameter (same layout as [`Event::Nrpn`]).
    Rpn {
        /// Channel, 0..=15.
        channel: u8,
        /// Parameter number, 0..=16383 (e.g. 0 = pitch bend range).
        param: u16,
        /// 14-bit value, 0..=16383.
        value: u16,
        /// True when triggered by the data LSB.
        fine: bool,
    },
    /// Data increment (+1) or decrement (-1) for a non-registered parameter.
    NrpnIncrement {
        /// Channel, 0..=15.
        channel: u8,
        /// Parameter number, 0..=16383.
        param: u16,
        /// +1 or -1.
        delta: i8,
    },
    /// Data increment (+1) or decrement (-1) for a registered parameter.
    RpnIncrement {
        /// Channel, 0..=15.
        channel: u8,
        /// Parameter number, 0..=16383.
        param: u16,
        /// +1 or -1.
        delta: i8,
    },
    /// Pitch bend.
    PitchBend {
        /// Channel, 0..=15.
        channel: u8,
        /// 0..=16383, centre 8192.
        value: u16,
    },
    /// Program change.
    Program {
        /// Channel, 0..=15.
        channel: u8,
        /// Program number, 0..=127.
        program: u8,
    },
    /// Pressure: per key (polyphonic aftertouch) or for the whole channel.
    Aftertouch {
        /// Channel, 0..=15.
        channel: u8,
        /// The key for polyphonic pressure, `None` for channel pressure.
        note: Option<u8>,
        /// Pressure, 0..=127.
        value: u8,
    },
    /// System exclusive payload (without F0/F7).
    SysEx(Vec<u8>),
    /// Clock and transport.
    Clock(Clock),
    /// Any other system message (active sensing, reset, MTC quarter frame, song select, tune
    /// request), passed through unchanged.
    System(MidiMessage),
}

impl Event {
    /// The channel of a channel event, `None` for system events.
    #[must_use]
    pub fn channel(&self) -> Option<u8> {
        match *self {
            Event::Note { channel, .. }
            | Event::Cc { channel, .. }
            | Event::Cc14 { channel, .. }
            | Event::Nrpn { channel, .. }
            | Event::Rpn { channel, .. }
            | Event::NrpnIncrement { channel, .. }
            | Event::RpnIncrement { channel, .. }
            | Event::PitchBend { channel, .. }
            | Event::Program { channel, .. }
            | Event::Aftertouch { channel, .. } => Some(channel),
            Event::SysEx(_) | Event::Clock(_) | Event::System(_) => None,
        }
    }
}

/// Which kind of parameter the data-entry CCs currently address on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selected {
    Nrpn,
    Rpn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ChannelState {
    /// Bit n set: CC n / n+32 form a 14-bit pair.
    pairs: u32,
    /// Bit n set: an LSB has been seen on pair n.
    lsb_seen: u32,
    msb: [u8; 32],
    lsb: [u8; 32],
    parameter_numbers: bool,
    nrpn: [u8; 2],
    rpn: [u8; 2],
    selected: Option<Selected>,
    data_msb: u8,
    data_lsb: u8,
}

impl Default for ChannelState {
    fn default() -> Self {
        ChannelState {
            pairs: 0,
            lsb_seen: 0,
            msb: [0; 32],
            lsb: [0; 32],
            parameter_numbers: true,
            // Power-up state is "RPN null": nothing selected.
            nrpn: [0; 2],
            rpn: [127; 2],
            selected: None,
            data_msb: 0,
            data_lsb: 0,
        }
    }
}

impl ChannelState {
    fn param(&self) -> Option<(Selected, u16)> {
        let regs = match self.selected? {
            Selected::Nrpn => self.nrpn,
            Selected::Rpn => self.rpn,
        };
        Some((self.selected?, u16::from(regs[0]) << 7 | u16::from(regs[1])))
    }
}

/// An MSB of a 14-bit pair waiting for its LSB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    channel: u8,
    msb_cc: u8,
}

/// Turns [`MidiMessage`]s into [`Event`]s, keeping per-channel 14-bit and NRPN/RPN state.
/// See the module documentation for the pairing and parameter policies.
#[derive(Debug, Clone, Default)]
pub struct Assembler {
    channels: [ChannelState; 16],
    pending: Option<Pending>,
}

fn param_event(kind: Selected, channel: u8, param: u16, value: u16, fine: bool) -> Event {
    match kind {
        Selected::Nrpn => Event::Nrpn {
            channel,
            param,
            value,
            fine,
        },
        Selected::Rpn => Event::Rpn {
            channel,
            param,
            value,
            fine,
        },
    }
}

impl Assembler {
    /// An assembler with no 14-bit pairs and NRPN/RPN handling on for every channel.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Enables or disables treating CC `msb_cc` / `msb_cc + 32` on `channel` as one 14-bit
    /// control. Out-of-range arguments (`channel > 15`, `msb_cc > 31`) are ignored.
    pub fn set_14bit(&mut self, channel: u8, msb_cc: u8, on: bool) {
        if channel > 15 || msb_cc > 31 {
            return;
        }
        let state = &mut self.channels[usize::from(channel)];
        let bit = 1u32 << msb_cc;
        if on {
            state.pairs |= bit;
        } else {
            state.pairs &= !bit;
            if self.pending == Some(Pending { channel, msb_cc }) {
                // Nothing may stay held for a pair that no longer exists.
                self.pending = None;
            }
        }
    }

    /// Whether CC `msb_cc` / `msb_cc + 32` on `channel` is a 14-bit pair.
    #[must_use]
    pub fn is_14bit(&self, channel: u8, msb_cc: u8) -> bool {
        channel <= 15 && msb_cc <= 31 && self.channels[usize::from(channel)].pairs & (1 << msb_cc) != 0
    }

    /// Turns NRPN/RPN handling on or off for `channel` (on by default). When off, CCs 6, 38
    /// and 96..=101 pass through as plain [`Event::Cc`]. Out-of-range channels are ignored.
    pub fn set_parameter_numbers(&mut self, channel: u8, on: bool) {
        if let Some(state) = self.channels.get_mut(usize::from(channel)) {
            state.parameter_numbers = on;
            if !on {
                state.selected = None;
            }
        }
    }

    /// True while a 14-bit MSB is held back waiting for its LSB.
    #[must_use]
    pub fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Forgets all running state (held MSB, last values, selected parameters) but keeps the
    /// configuration (pairs, parameter handling).
    pub fn reset(&mut self) {
        self.pending = None;
        for state in &mut self.channels {
            *state = ChannelState {
                pairs: state.pairs,
                parameter_numbers: state.parameter_numbers,
                ..ChannelState::default()
            };
        }
    }

    /// Emits a held-back 14-bit MSB, if any (see the module documentation). Call this before
    /// consuming events, e.g. once per frame.
    pub fn flush(&mut self, out: &mut impl FnMut(Event)) {
        let Some(Pending { channel, msb_cc }) = self.pending.take() else {
            return;
        };
        let state = &self.channels[usize::from(channel & 0x0F)];
        let i = usize::from(msb_cc & 0x1F);
        let msb = u16::from(state.msb[i]);
        let lsb = if state.lsb_seen & (1 << i) != 0 {
            u16::from(state.lsb[i])
        } else {
            msb
        };
        out(Event::Cc14 {
            channel,
            msb_cc,
            value: msb << 7 | lsb,
        });
    }

    /// Processes one message, handing zero, one or two events to `out` (two when a held MSB
    /// is flushed by an unrelated message).
    pub fn process(&mut self, msg: MidiMessage, out: &mut impl FnMut(Event)) {
        if let Some(p) = self.pending {
            let completes = matches!(msg, MidiMessage::ControlChange { channel, cc, .. }
                if channel == p.channel && cc == p.msb_cc + 32);
            if !completes && !msg.is_realtime() {
                self.flush(out);
            }
        }
        let event = match msg {
            MidiMessage::NoteOn {
                channel,
                note,
                velocity,
            } => Event::Note {
                channel,
                note,
                velocity,
                on: true,
            },
            MidiMessage::NoteOff {
                channel,
                note,
                velocity,
            } => Event::Note {
                channel,
                note,
                velocity,
                on: false,
            },
            MidiMessage::PolyPressure { channel, note, value } => Event::Aftertouch {
                channel,
                note: Some(note),
                value,
            },
            MidiMessage::ChannelPressure { channel, value } => Event::Aftertouch {
                channel,
                note: None,
                value,
            },
            MidiMessage::ProgramChange { channel, program } => Event::Program { channel, program },
            MidiMessage::PitchBend { channel, value } => Event::PitchBend { channel, value },
            MidiMessage::ControlChange { channel, cc, value } => match self.control_change(channel, cc, value) {
                Some(e) => e,
                None => return,
            },
            MidiMessage::SysEx(payload) => Event::SysEx(payload),
            MidiMessage::Clock => Event::Clock(Clock::Tick),
            MidiMessage::Start => Event::Clock(Clock::Start),
            MidiMessage::Continue => Event::Clock(Clock::Continue),
            MidiMessage::Stop => Event::Clock(Clock::Stop),
            MidiMessage::SongPosition(p) => Event::Clock(Clock::SongPosition(p)),
            other @ (MidiMessage::QuarterFrame(_)
            | MidiMessage::SongSelect(_)
            | MidiMessage::TuneRequest
            | MidiMessage::ActiveSensing
            | MidiMessage::Reset) => Event::System(other),
        };
        out(event);
    }

    /// Handles one CC; `None` when it was consumed (parameter selection, held MSB).
    fn control_change(&mut self, channel: u8, cc: u8, value: u8) -> Option<Event> {
        // Masking keeps hand-built messages with out-of-range fields from indexing out of bounds.
        let (channel, cc, value) = (channel & 0x0F, cc & 0x7F, value & 0x7F);
        let state = &mut self.channels[usize::from(channel)];
        if state.parameter_numbers {
            match cc {
                98..=101 => {
                    match cc {
                        99 => state.nrpn[0] = value,
                        98 => state.nrpn[1] = value,
                        101 => state.rpn[0] = value,
                        _ => state.rpn[1] = value,
                    }
                    state.selected = if cc >= 100 {
                        (state.rpn != [127, 127]).then_some(Selected::Rpn)
                    } else {
                        Some(Selected::Nrpn)
                    };
                    // A new parameter starts with fresh data bytes.
                    state.data_msb = 0;
                    state.data_lsb = 0;
                    return None;
                }
                6 | 38 | 96 | 97 => {
                    if let Some((kind, param)) = state.param() {
                        return Some(match cc {
                            6 => {
                                state.data_msb = value;
                                let v = u16::from(value) << 7 | u16::from(state.data_lsb);
                                param_event(kind, channel, param, v, false)
                            }
                            38 => {
                                state.data_lsb = value;
                                let v = u16::from(state.data_msb) << 7 | u16::from(value);
                                param_event(kind, channel, param, v, true)
                            }
                            _ => {
                                let delta = if cc == 96 { 1 } else { -1 };
                                match kind {
                                    Selected::Nrpn => Event::NrpnIncrement { channel, param, delta },
                                    Selected::Rpn => Event::RpnIncrement { channel, param, delta },
                                }
                            }
                        });
                    }
                }
                _ => {}
            }
        }
        if cc < 32 && state.pairs & (1 << cc) != 0 {
            let i = usize::from(cc);
            state.msb[i] = value;
            state.lsb[i] = 0;
            self.pending = Some(Pending { channel, msb_cc: cc });
            return None;
        }
        if (32..64).contains(&cc) && state.pairs & (1 << (cc - 32)) != 0 {
            let msb_cc = cc - 32;
            let i = usize::from(msb_cc);
            state.lsb[i] = value;
            state.lsb_seen |= 1 << i;
            // Completing a held MSB just consumes it: the combined value is emitted here.
            if self.pending == Some(Pending { channel, msb_cc }) {
                self.pending = None;
            }
            return Some(Event::Cc14 {
                channel,
                msb_cc,
                value: u16::from(state.msb[i]) << 7 | u16::from(value),
            });
        }
        Some(Event::Cc { channel, cc, value })
    }
}

fn push_cc(out: &mut Vec<u8>, channel: u8, cc: u8, value: u8) {
    out.extend([0xB0 | (channel & 0x0F), cc & 0x7F, value & 0x7F]);
}

/// Splits a value (clamped to 0..=16383) into its 7-bit MSB and LSB.
fn split14(value: u16) -> (u8, u8) {
    let v = value.min(0x3FFF);
    ((v >> 7) as u8, (v & 0x7F) as u8)
}

/// Appends a 14-bit CC as MSB (CC `msb_cc`) then LSB (CC `msb_cc + 32`), full status each.
/// `msb_cc` is masked to 0..=31 and `value` clamped to 16383.
pub fn encode_cc14(channel: u8, msb_cc: u8, value: u16, out: &mut Vec<u8>) {
    let (msb, lsb) = split14(value);
    let cc = msb_cc & 0x1F;
    push_cc(out, channel, cc, msb);
    push_cc(out, channel, cc + 32, lsb);
}

/// Appends a full NRPN write: parameter MSB/LSB (CC 99/98) then data MSB/LSB (CC 6/38).
/// `param` and `value14` are clamped to 16383. The parameter stays selected on the receiver;
/// append [`encode_rpn_null`] if other software might send stray data entries afterwards.
pub fn encode_nrpn(channel: u8, param: u16, value14: u16, out: &mut Vec<u8>) {
    encode_parameter(channel, [99, 98], param, value14, out);
}

/// Appends a full RPN write: parameter MSB/LSB (CC 101/100) then data MSB/LSB (CC 6/38).
pub fn encode_rpn(channel: u8, param: u16, value14: u16, out: &mut Vec<u8>) {
    encode_parameter(channel, [101, 100], param, value14, out);
}

/// Appends "RPN null" (CC 101 = 127, CC 100 = 127), which deselects any parameter so later
/// data-entry CCs are not applied to it.
pub fn encode_rpn_null(channel: u8, out: &mut Vec<u8>) {
    push_cc(out, channel, 101, 127);
    push_cc(out, channel, 100, 127);
}

fn encode_parameter(channel: u8, ccs: [u8; 2], param: u16, value: u16, out: &mut Vec<u8>) {
    let (pm, pl) = split14(param);
    let (vm, vl) = split14(value);
    push_cc(out, channel, ccs[0], pm);
    push_cc(out, channel, ccs[1], pl);
    push_cc(out, channel, 6, vm);
    push_cc(out, channel, 38, vl);
}

#[cfg(test)]
mod tests {
    use super::super::wire::Parser;
    use super::*;

    fn cc(channel: u8, cc: u8, value: u8) -> MidiMessage {
        MidiMessage::ControlChange { channel, cc, value }
    }

    fn run(a: &mut Assembler, msgs: impl IntoIterator<Item = MidiMessage>) -> Vec<Event> {
        let mut got = Vec::new();
        for m in msgs {
            a.process(m, &mut |e| got.push(e));
        }
        got
    }

    fn run_flush(a: &mut Assembler, msgs: impl IntoIterator<Item = MidiMessage>) -> Vec<Event> {
        let mut got = run(a, msgs);
        a.flush(&mut |e| got.push(e));
        got
    }

    /// Parses raw bytes and assembles them, flushing at the end.
    fn bytes(a: &mut Assembler, b: &[u8]) -> Vec<Event> {
        let mut msgs = Vec::new();
        Parser::default().feed(b, &mut |r| msgs.push(r.unwrap()));
        run_flush(a, msgs)
    }

    #[test]
    fn plain_messages_map_directly() {
        let mut a = Assembler::new();
        let got = run(
            &mut a,
            [
                MidiMessage::NoteOn {
                    channel: 1,
                    note: 60,
                    velocity: 90,
                },
                MidiMessage::NoteOff {
                    channel: 1,
                    note: 60,
                    velocity: 0,
                },
                MidiMessage::PolyPressure {
                    channel: 2,
                    note: 61,
                    value: 5,
                },
                MidiMessage::ChannelPressure { channel: 2, value: 6 },
                MidiMessage::ProgramChange { channel: 3, program: 7 },
                MidiMessage::PitchBend {
                    channel: 4,
                    value: 8192,
                },
                cc(5, 7, 100),
                MidiMessage::SysEx(vec![1, 2]),
                MidiMessage::Clock,
                MidiMessage::SongPosition(32),
                MidiMessage::ActiveSensing,
            ],
        );
        assert_eq!(
            got,
            vec![
                Event::Note {
                    channel: 1,
                    note: 60,
                    velocity: 90,
                    on: true
                },
                Event::Note {
                    channel: 1,
                    note: 60,
                    velocity: 0,
                    on: false
                },
                Event::Aftertouch {
                    channel: 2,
                    note: Some(61),
                    value: 5
                },
                Event::Aftertouch {
                    channel: 2,
                    note: None,
                    value: 6
                },
                Event::Program { channel: 3, program: 7 },
                Event::PitchBend {
                    channel: 4,
                    value: 8192
                },
                Event::Cc {
                    channel: 5,
                    cc: 7,
                    value: 100
                },
                Event::SysEx(vec![1, 2]),
                Event::Clock(Clock::Tick),
                Event::Clock(Clock::SongPosition(32)),
                Event::System(MidiMessage::ActiveSensing),
            ]
        );
        assert!(!a.has_pending());
    }

    #[test]
    fn unconfigured_pairs_pass_as_plain_cc() {
        let mut a = Assembler::new();
        let got = run(&mut a, [cc(0, 1, 10), cc(0, 33, 20)]);
        assert_eq!(
            got,
            vec![
                Event::Cc {
                    channel: 0,
                    cc: 1,
                    value: 10
                },
                Event::Cc {
                    channel: 0,
                    cc: 33,
                    value: 20
                }
            ]
        );
    }

    #[test]
    fn msb_then_lsb_gives_one_cc14() {
        let mut a = Assembler::new();
        a.set_14bit(0, 7, true);
        assert!(a.is_14bit(0, 7));
        let got = run(&mut a, [cc(0, 7, 0x40)]);
        assert!(got.is_empty());
        assert!(a.has_pending());
        let got = run(&mut a, [cc(0, 39, 0x05)]);
        assert_eq!(
            got,
            vec![Event::Cc14 {
                channel: 0,
                msb_cc: 7,
                value: 0x40 << 7 | 5
            }]
        );
        assert!(!a.has_pending());
        // Extremes.
        let got = run_flush(&mut a, [cc(0, 7, 127), cc(0, 39, 127), cc(0, 7, 0), cc(0, 39, 0)]);
        assert_eq!(
            got,
            vec![
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 16383
                },
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 0
                }
            ]
        );
    }

    #[test]
    fn lone_lsb_uses_last_msb() {
        let mut a = Assembler::new();
        a.set_14bit(2, 1, true);
        let got = run(&mut a, [cc(2, 1, 3), cc(2, 33, 4), cc(2, 33, 9)]);
        assert_eq!(
            got,
            vec![
                Event::Cc14 {
                    channel: 2,
                    msb_cc: 1,
                    value: 3 << 7 | 4
                },
                Event::Cc14 {
                    channel: 2,
                    msb_cc: 1,
                    value: 3 << 7 | 9
                }
            ]
        );
    }

    #[test]
    fn lone_msb_resets_lsb_after_lsb_was_seen() {
        let mut a = Assembler::new();
        a.set_14bit(0, 0, true);
        let mut got = run(&mut a, [cc(0, 0, 10), cc(0, 32, 50), cc(0, 0, 11)]);
        assert_eq!(got.len(), 1);
        a.flush(&mut |e| got.push(e));
        assert_eq!(
            got[1],
            Event::Cc14 {
                channel: 0,
                msb_cc: 0,
                value: 11 << 7
            }
        );
        // Flushing twice emits nothing more.
        a.flush(&mut |e| got.push(e));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn seven_bit_sender_on_a_pair_reaches_full_range() {
        let mut a = Assembler::new();
        a.set_14bit(0, 7, true);
        let got = run_flush(&mut a, [cc(0, 7, 0), cc(0, 7, 64), cc(0, 7, 127)]);
        assert_eq!(
            got,
            vec![
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 0
                },
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 64 << 7 | 64
                },
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 16383
                },
            ]
        );
    }

    #[test]
    fn held_msb_flushed_by_other_message_but_not_by_clock() {
        let mut a = Assembler::new();
        a.set_14bit(0, 7, true);
        let got = run(&mut a, [cc(0, 7, 1), MidiMessage::Clock, cc(0, 39, 2)]);
        assert_eq!(
            got,
            vec![
                Event::Clock(Clock::Tick),
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 1 << 7 | 2
                }
            ]
        );
        let got = run(
            &mut a,
            [
                cc(0, 7, 3),
                MidiMessage::NoteOn {
                    channel: 0,
                    note: 1,
                    velocity: 1,
                },
            ],
        );
        assert_eq!(
            got,
            vec![
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 3 << 7
                },
                Event::Note {
                    channel: 0,
                    note: 1,
                    velocity: 1,
                    on: true
                },
            ]
        );
        // An MSB followed by another MSB: the first is flushed.
        let got = run_flush(&mut a, [cc(0, 7, 4), cc(0, 7, 5), cc(0, 39, 6)]);
        assert_eq!(
            got,
            vec![
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 4 << 7
                },
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 5 << 7 | 6
                }
            ]
        );
        // The LSB of another channel does not complete it.
        a.set_14bit(1, 7, true);
        let got = run(&mut a, [cc(0, 7, 8), cc(1, 39, 9)]);
        assert_eq!(
            got,
            vec![
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 8 << 7
                },
                Event::Cc14 {
                    channel: 1,
                    msb_cc: 7,
                    value: 9
                }
            ]
        );
    }

    #[test]
    fn two_faders_interleaved() {
        let mut a = Assembler::new();
        a.set_14bit(0, 1, true);
        a.set_14bit(0, 2, true);
        let got = run_flush(
            &mut a,
            [
                cc(0, 1, 1),
                cc(0, 33, 1),
                cc(0, 2, 2),
                cc(0, 34, 2),
                cc(0, 1, 3),
                cc(0, 33, 3),
            ],
        );
        assert_eq!(
            got,
            vec![
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 1,
                    value: 129
                },
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 2,
                    value: 258
                },
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 1,
                    value: 387
                },
            ]
        );
    }

    #[test]
    fn disabling_pair_drops_pending_and_passes_plain() {
        let mut a = Assembler::new();
        a.set_14bit(0, 7, true);
        run(&mut a, [cc(0, 7, 1)]);
        a.set_14bit(0, 7, false);
        assert!(!a.has_pending());
        let got = run_flush(&mut a, [cc(0, 7, 2), cc(0, 39, 3)]);
        assert_eq!(
            got,
            vec![
                Event::Cc {
                    channel: 0,
                    cc: 7,
                    value: 2
                },
                Event::Cc {
                    channel: 0,
                    cc: 39,
                    value: 3
                }
            ]
        );
        // Out-of-range configuration is ignored.
        a.set_14bit(16, 0, true);
        a.set_14bit(0, 32, true);
        assert!(!a.is_14bit(16, 0) && !a.is_14bit(0, 32));
    }

    #[test]
    fn nrpn_with_lsb() {
        let mut a = Assembler::new();
        let got = bytes(&mut a, &[0xB0, 99, 1, 98, 2, 6, 64, 38, 3]);
        assert_eq!(
            got,
            vec![
                Event::Nrpn {
                    channel: 0,
                    param: 130,
                    value: 64 << 7,
                    fine: false
                },
                Event::Nrpn {
                    channel: 0,
                    param: 130,
                    value: 64 << 7 | 3,
                    fine: true
                },
            ]
        );
    }

    #[test]
    fn nrpn_without_lsb() {
        let mut a = Assembler::new();
        let got = bytes(&mut a, &[0xB3, 99, 0, 98, 5, 6, 100, 6, 101]);
        assert_eq!(
            got,
            vec![
                Event::Nrpn {
                    channel: 3,
                    param: 5,
                    value: 100 << 7,
                    fine: false
                },
                Event::Nrpn {
                    channel: 3,
                    param: 5,
                    value: 101 << 7,
                    fine: false
                },
            ]
        );
    }

    #[test]
    fn nrpn_msb_reuses_last_lsb_until_param_changes() {
        let mut a = Assembler::new();
        let got = bytes(&mut a, &[0xB0, 99, 0, 98, 1, 6, 1, 38, 7, 6, 2, 98, 2, 6, 3]);
        assert_eq!(
            got,
            vec![
                Event::Nrpn {
                    channel: 0,
                    param: 1,
                    value: 1 << 7,
                    fine: false
                },
                Event::Nrpn {
                    channel: 0,
                    param: 1,
                    value: 1 << 7 | 7,
                    fine: true
                },
                Event::Nrpn {
                    channel: 0,
                    param: 1,
                    value: 2 << 7 | 7,
                    fine: false
                },
                Event::Nrpn {
                    channel: 0,
                    param: 2,
                    value: 3 << 7,
                    fine: false
                },
            ]
        );
    }

    #[test]
    fn rpn_and_rpn_null() {
        let mut a = Assembler::new();
        // Pitch bend range = 12 semitones, then RPN null: data entry is a plain CC again.
        let got = bytes(
            &mut a,
            &[0xB0, 101, 0, 100, 0, 6, 12, 38, 0, 101, 127, 100, 127, 6, 5, 38, 1],
        );
        assert_eq!(
            got,
            vec![
                Event::Rpn {
                    channel: 0,
                    param: 0,
                    value: 12 << 7,
                    fine: false
                },
                Event::Rpn {
                    channel: 0,
                    param: 0,
                    value: 12 << 7,
                    fine: true
                },
                Event::Cc {
                    channel: 0,
                    cc: 6,
                    value: 5
                },
                Event::Cc {
                    channel: 0,
                    cc: 38,
                    value: 1
                },
            ]
        );
    }

    #[test]
    fn data_entry_without_selection_is_plain_cc() {
        let mut a = Assembler::new();
        let got = bytes(&mut a, &[0xB0, 6, 1, 38, 2, 96, 0, 97, 0]);
        assert_eq!(
            got,
            vec![
                Event::Cc {
                    channel: 0,
                    cc: 6,
                    value: 1
                },
                Event::Cc {
                    channel: 0,
                    cc: 38,
                    value: 2
                },
                Event::Cc {
                    channel: 0,
                    cc: 96,
                    value: 0
                },
                Event::Cc {
                    channel: 0,
                    cc: 97,
                    value: 0
                },
            ]
        );
    }

    #[test]
    fn increments_and_decrements() {
        let mut a = Assembler::new();
        let got = bytes(
            &mut a,
            &[0xB0, 99, 2, 98, 0, 96, 0, 96, 127, 97, 1, 101, 0, 100, 1, 97, 0],
        );
        assert_eq!(
            got,
            vec![
                Event::NrpnIncrement {
                    channel: 0,
                    param: 256,
                    delta: 1
                },
                Event::NrpnIncrement {
                    channel: 0,
                    param: 256,
                    delta: 1
                },
                Event::NrpnIncrement {
                    channel: 0,
                    param: 256,
                    delta: -1
                },
                Event::RpnIncrement {
                    channel: 0,
                    param: 1,
                    delta: -1
                },
            ]
        );
    }

    #[test]
    fn selection_is_per_channel() {
        let mut a = Assembler::new();
        let got = bytes(&mut a, &[0xB0, 99, 0, 98, 9, 0xB1, 6, 4, 0xB0, 6, 4]);
        assert_eq!(
            got,
            vec![
                Event::Cc {
                    channel: 1,
                    cc: 6,
                    value: 4
                },
                Event::Nrpn {
                    channel: 0,
                    param: 9,
                    value: 4 << 7,
                    fine: false
                }
            ]
        );
    }

    #[test]
    fn parameter_numbers_can_be_disabled() {
        let mut a = Assembler::new();
        a.set_parameter_numbers(0, false);
        let got = bytes(&mut a, &[0xB0, 99, 1, 98, 2, 6, 3]);
        assert_eq!(
            got,
            vec![
                Event::Cc {
                    channel: 0,
                    cc: 99,
                    value: 1
                },
                Event::Cc {
                    channel: 0,
                    cc: 98,
                    value: 2
                },
                Event::Cc {
                    channel: 0,
                    cc: 6,
                    value: 3
                },
            ]
        );
        a.set_parameter_numbers(99, false); // ignored, no panic
    }

    #[test]
    fn nrpn_takes_precedence_over_data_entry_pair() {
        let mut a = Assembler::new();
        a.set_14bit(0, 6, true);
        let got = bytes(&mut a, &[0xB0, 6, 1, 38, 2, 99, 0, 98, 3, 6, 4, 38, 5]);
        assert_eq!(
            got,
            vec![
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 6,
                    value: 1 << 7 | 2
                },
                Event::Nrpn {
                    channel: 0,
                    param: 3,
                    value: 4 << 7,
                    fine: false
                },
                Event::Nrpn {
                    channel: 0,
                    param: 3,
                    value: 4 << 7 | 5,
                    fine: true
                },
            ]
        );
    }

    #[test]
    fn reset_keeps_configuration() {
        let mut a = Assembler::new();
        a.set_14bit(0, 7, true);
        bytes(&mut a, &[0xB0, 99, 0, 98, 1, 7, 5]);
        a.reset();
        assert!(a.is_14bit(0, 7));
        let got = bytes(&mut a, &[0xB0, 6, 1, 7, 2, 39, 3]);
        assert_eq!(
            got,
            vec![
                Event::Cc {
                    channel: 0,
                    cc: 6,
                    value: 1
                },
                Event::Cc14 {
                    channel: 0,
                    msb_cc: 7,
                    value: 2 << 7 | 3
                }
            ]
        );
    }

    #[test]
    fn out_of_range_fields_do_not_panic() {
        let mut a = Assembler::new();
        a.set_14bit(15, 31, true);
        let got = run_flush(&mut a, [cc(200, 255, 255), cc(31, 63, 200)]);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn cc14_encoder_round_trips() {
        let mut out = Vec::new();
        encode_cc14(3, 7, 12345, &mut out);
        assert_eq!(out, vec![0xB3, 7, (12345 >> 7) as u8, 0xB3, 39, (12345 & 0x7F) as u8]);
        let mut a = Assembler::new();
        a.set_14bit(3, 7, true);
        assert_eq!(
            bytes(&mut a, &out),
            vec![Event::Cc14 {
                channel: 3,
                msb_cc: 7,
                value: 12345
            }]
        );
        out.clear();
        encode_cc14(0, 1, 60000, &mut out);
        assert_eq!(
            bytes(&mut Assembler::new(), &out)[0],
            Event::Cc {
                channel: 0,
                cc: 1,
                value: 127
            }
        );
    }

    #[test]
    fn nrpn_and_rpn_encoders_round_trip() {
        let mut out = Vec::new();
        encode_nrpn(2, 1000, 9999, &mut out);
        encode_rpn(2, 0, 12 << 7, &mut out);
        encode_rpn_null(2, &mut out);
        out.extend([0xB2, 6, 1]);
        let got = bytes(&mut Assembler::new(), &out);
        assert_eq!(
            got,
            vec![
                Event::Nrpn {
                    channel: 2,
                    param: 1000,
                    value: 9999 & !0x7F,
                    fine: false
                },
                Event::Nrpn {
                    channel: 2,
                    param: 1000,
                    value: 9999,
                    fine: true
                },
                Event::Rpn {
                    channel: 2,
                    param: 0,
                    value: 12 << 7,
                    fine: false
                },
                Event::Rpn {
                    channel: 2,
                    param: 0,
                    value: 12 << 7,
                    fine: true
                },
                Event::Cc {
                    channel: 2,
                    cc: 6,
                    value: 1
                },
            ]
        );
    }

    #[test]
    fn event_channel() {
        assert_eq!(
            Event::Cc14 {
                channel: 4,
                msb_cc: 0,
                value: 0
            }
            .channel(),
            Some(4)
        );
        assert_eq!(Event::Clock(Clock::Tick).channel(), None);
    }
}
