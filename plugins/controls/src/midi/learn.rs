//! MIDI learn: given the events that arrived while the performer moved one physical control,
//! decide which control it was and how it behaves.
//!
//! Feed [`infer`] the events from an [`Assembler`](super::assemble::Assembler) **without** 14-bit pairs
//! configured (at learn time the pair is not known yet): CC `n` and CC `n + 32` moving together
//! are recognised and reported as [`Input::Cc14`]; a binding of it makes the assembler read the
//! pair ([`Assembler::set_14bit`](super::assemble::Assembler::set_14bit)). Already assembled
//! [`Event::Cc14`] events are understood too.
//!
//! Rules, in order:
//!
//! 1. Events are grouped by source (note number, CC number, 14-bit pair, NRPN/RPN parameter,
//!    pitch bend, program change, aftertouch) per channel. SysEx, clock and other system events
//!    are ignored. Pressure on a key (or channel pressure while keys are held) counts toward
//!    the note, because pads send pressure as a side effect of being struck.
//! 2. The group with the most events wins, so other controls touched by accident lose. A group
//!    that only wobbled by one or two 7-bit steps (a noisy pot) counts a quarter as much. A tie
//!    between two different controls gives `None`: nothing consistent moved.
//! 3. A CC is a **button** if it sent only 0 and one value of 64 or more (press/release), or
//!    one to three identical 0/127 values (press-only). It is a **relative encoder** if at least
//!    90% of its values are small signed steps (|step| <= 15) in one of the
//!    [`RelativeEncoding::VALUE_ENCODINGS`] and the stream looks step-like (a quarter or more of
//!    consecutive values repeat, or half or more are single steps); absolute controls send only
//!    changed values and sweep, so they rarely repeat. Otherwise it is an absolute
//!    **continuous** control. An encoder turned fast with hardware acceleration may look like a
//!    sweep, so the performer should turn slowly while learning.
//! 4. When the values fit several encodings equally (the control moved in one direction only),
//!    the more common one is chosen (two's complement over sign-magnitude for 1..15, binary
//!    offset over sign-magnitude for 65..79) and [`Inference::ambiguous`] is set so the UI can ask
//!    the performer to turn both ways.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::assemble::Event;
use super::relative::{RelativeEncoding, decode};
use crate::input::Input;

/// How a learned control behaves, which decides how a mapping should interpret its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ControlKind {
    /// On/off: keys, pads, buttons, program changes.
    Button,
    /// An absolute position: knob, fader, wheel, pressure.
    Continuous,
    /// Signed steps: endless encoders, data increment/decrement.
    Relative,
}

/// The result of [`infer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inference {
    /// The control to bind.
    pub learned: Input,
    /// Whether it is a button, an absolute control or a relative one.
    pub kind: ControlKind,
    /// True when the evidence fits another interpretation equally well (e.g. a relative encoder
    /// turned one way only); the UI may ask the performer to move the control more.
    pub ambiguous: bool,
    /// Number of events attributed to this control.
    pub events: usize,
    /// A one-paragraph human-readable reason (channels 1-based, as printed on hardware).
    pub explanation: String,
}

/// Largest |step| accepted as a relative encoder value; hardware acceleration rarely exceeds it,
/// and it keeps the four value ranges of the encodings disjoint.
const MAX_STEP: u8 = 15;
/// An LSB more than this long after its MSB is not considered part of the same 14-bit value.
const PAIR_WINDOW_US: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Note(u8, u8),
    Cc(u8, u8),
    Cc14(u8, u8),
    Nrpn(u8, u16),
    Rpn(u8, u16),
    PitchBend(u8),
    Program(u8),
    Aftertouch(u8, Option<u8>),
}

#[derive(Debug, Clone, Default)]
struct Group {
    /// Events attributed to the control.
    count: usize,
    /// Values in arrival order (velocity, CC value, 14-bit value, program...).
    values: Vec<u16>,
    /// Data increment/decrement events (NRPN/RPN only).
    steps: usize,
    /// Note-on events (notes only).
    ons: usize,
}

/// Infers which single control moved during `events` (timestamp in microseconds, event). See
/// the module documentation for the rules. Returns `None` when nothing consistent moved.
#[must_use]
pub fn infer(events: &[(u64, Event)]) -> Option<Inference> {
    let mut groups = collect(events);
    merge_raw_pairs(events, &mut groups);
    fold_pressure(&mut groups);
    let total: usize = groups.values().map(|g| g.count).sum();

    let mut best: Option<(usize, Inference)> = None;
    let mut tie = false;
    for (key, group) in &groups {
        let (inference, noisy) = classify(*key, group);
        let score = if noisy { group.count } else { group.count * 4 };
        match &best {
            Some((s, _)) if score < *s => {}
            Some((s, _)) if score == *s => tie = true,
            _ => {
                tie = false;
                best = Some((score, inference));
            }
        }
    }
    if tie {
        return None;
    }
    let (_, mut inference) = best?;
    let ignored = total - inference.events;
    if ignored > 0 {
        let _ = write!(
            inference.explanation,
            " {ignored} event(s) from other controls were ignored."
        );
    }
    Some(inference)
}

fn collect(events: &[(u64, Event)]) -> BTreeMap<Key, Group> {
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    for (_, event) in events {
        let (key, value, step) = match *event {
            Event::Note {
                channel,
                note,
                velocity,
                on,
            } => {
                let g = groups.entry(Key::Note(channel, note)).or_default();
                g.ons += usize::from(on);
                (Key::Note(channel, note), u16::from(velocity), false)
            }
            Event::Cc { channel, cc, value } => (Key::Cc(channel, cc), u16::from(value), false),
            Event::Cc14 { channel, msb_cc, value } => (Key::Cc14(channel, msb_cc), value, false),
            Event::Nrpn {
                channel, param, value, ..
            } => (Key::Nrpn(channel, param), value, false),
            Event::Rpn {
                channel, param, value, ..
            } => (Key::Rpn(channel, param), value, false),
            Event::NrpnIncrement { channel, param, .. } => (Key::Nrpn(channel, param), 0, true),
            Event::RpnIncrement { channel, param, .. } => (Key::Rpn(channel, param), 0, true),
            Event::PitchBend { channel, value } => (Key::PitchBend(channel), value, false),
            Event::Program { channel, program } => (Key::Program(channel), u16::from(program), false),
            Event::Aftertouch { channel, note, value } => (Key::Aftertouch(channel, note), u16::from(value), false),
            Event::SysEx(_) | Event::Clock(_) | Event::System(_) => continue,
        };
        let g = groups.entry(key).or_default();
        g.count += 1;
        if step {
            g.steps += 1;
        } else {
            g.values.push(value);
        }
    }
    groups
}

/// Replaces raw CC `n` / `n + 32` groups with one 14-bit group when the LSB reliably follows
/// the MSB within [`PAIR_WINDOW_US`] (at least half of the MSBs are followed by their LSB).
fn merge_raw_pairs(events: &[(u64, Event)], groups: &mut BTreeMap<Key, Group>) {
    let candidates: Vec<(u8, u8)> = groups
        .keys()
        .filter_map(|k| match *k {
            Key::Cc(ch, n) if n < 32 && groups.contains_key(&Key::Cc(ch, n + 32)) => Some((ch, n)),
            _ => None,
        })
        .collect();
    for (ch, n) in candidates {
        // (time, is_msb, value) for this pair, in arrival order.
        let seq: Vec<(u64, bool, u8)> = events
            .iter()
            .filter_map(|(t, e)| match *e {
                Event::Cc { channel, cc, value } if channel == ch && (cc == n || cc == n + 32) => {
                    Some((*t, cc == n, value))
                }
                _ => None,
            })
            .collect();
        let followed = |i: usize| {
            let (t, _, _) = seq[i];
            seq.get(i + 1)
                .is_some_and(|&(t2, msb, _)| !msb && t2.saturating_sub(t) <= PAIR_WINDOW_US)
        };
        let msbs: Vec<usize> = (0..seq.len()).filter(|&i| seq[i].1).collect();
        let paired = msbs.iter().filter(|&&i| followed(i)).count();
        if msbs.is_empty() || paired * 2 < msbs.len() {
            continue;
        }
        let mut merged = Group::default();
        let mut msb = 0u16;
        for (i, &(_, is_msb, v)) in seq.iter().enumerate() {
            merged.count += 1;
            if is_msb {
                msb = u16::from(v);
                if !followed(i) {
                    merged.values.push(msb << 7);
                }
            } else {
                merged.values.push(msb << 7 | u16::from(v));
            }
        }
        groups.remove(&Key::Cc(ch, n));
        groups.remove(&Key::Cc(ch, n + 32));
        let g = groups.entry(Key::Cc14(ch, n)).or_default();
        g.count += merged.count;
        g.values.extend(merged.values);
    }
}

/// Attributes key pressure to its note and channel pressure to the busiest note on its channel.
fn fold_pressure(groups: &mut BTreeMap<Key, Group>) {
    let pressure: Vec<Key> = groups
        .keys()
        .copied()
        .filter(|k| matches!(k, Key::Aftertouch(..)))
        .collect();
    for key in pressure {
        let Key::Aftertouch(ch, note) = key else { continue };
        let target = match note {
            Some(n) => groups.contains_key(&Key::Note(ch, n)).then_some(Key::Note(ch, n)),
            None => groups
                .iter()
                .filter(|(k, _)| matches!(k, Key::Note(c, _) if *c == ch))
                .max_by_key(|(_, g)| g.count)
                .map(|(k, _)| *k),
        };
        let Some(target) = target else { continue };
        if let Some(p) = groups.remove(&key)
            && let Some(g) = groups.get_mut(&target)
        {
            g.count += p.count;
        }
    }
}

/// Distinct values, sorted.
fn distinct(values: &[u16]) -> Vec<u16> {
    let mut d = values.to_vec();
    d.sort_unstable();
    d.dedup();
    d
}

fn list(values: &[u16]) -> String {
    let shown: Vec<String> = values.iter().take(8).map(u16::to_string).collect();
    let more = if values.len() > 8 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// The most likely relative encoding for a stream of 7-bit values, and whether another fits as well.
fn guess_relative(values: &[u8]) -> Option<(RelativeEncoding, bool)> {
    let n = values.len();
    let in_range = |enc: RelativeEncoding| {
        values
            .iter()
            .filter(|&&v| {
                let step = decode(enc, v);
                step != 0 && step.unsigned_abs() <= u32::from(MAX_STEP)
            })
            .count()
    };
    // Order is the preference when fits tie: the more common scheme first.
    let fits = [
        RelativeEncoding::TwosComplement,
        RelativeEncoding::Offset64,
        RelativeEncoding::SignMagnitude,
    ]
    .map(|enc| (enc, in_range(enc)));
    let (enc, fit) = fits
        .iter()
        .copied()
        .fold(fits[0], |best, c| if c.1 > best.1 { c } else { best });
    if n == 0 || fit * 10 < n * 9 {
        return None;
    }
    let ambiguous = fits.iter().filter(|c| c.1 == fit).count() > 1;
    Some((enc, ambiguous))
}

/// Whether a stream of values that decodes as small steps also behaves like steps.
fn step_like(values: &[u8], enc: RelativeEncoding) -> bool {
    let n = values.len();
    if n < 2 {
        return false;
    }
    let repeats = values.windows(2).filter(|w| w[0] == w[1]).count();
    let units = values.iter().filter(|&&v| decode(enc, v).abs() == 1).count();
    // Not "few distinct values": a pot wobbling between 5 and 6 would pass that test.
    repeats * 4 >= n - 1 || units * 2 >= n
}

/// Builds the inference for one group, and whether it looks like mere jitter.
fn classify(key: Key, g: &Group) -> (Inference, bool) {
    let d = distinct(&g.values);
    let (min, max) = (d.first().copied().unwrap_or(0), d.last().copied().unwrap_or(0));
    let n = g.count;
    let make = |learned, kind, explanation: String| Inference {
        learned,
        kind,
        ambiguous: false,
        events: n,
        explanation,
    };
    // Continuous controls that barely moved are likely someone brushing a noisy pot.
    let jitter7 = max - min <= 2;
    let jitter14 = max - min <= 2 << 7;
    match key {
        Key::Note(channel, note) => (
            make(
                Input::Note {
                    channel: channel + 1,
                    note,
                },
                ControlKind::Button,
                format!(
                    "Note {note} on channel {} sent {} note-on(s) in {n} event(s): a key, pad or button.",
                    channel + 1,
                    g.ons
                ),
            ),
            false,
        ),
        Key::Program(channel) => (
            make(
                Input::Program { channel: channel + 1 },
                ControlKind::Button,
                format!(
                    "Program change on channel {} ({}): a program or scene selector.",
                    channel + 1,
                    list(&d)
                ),
            ),
            false,
        ),
        Key::PitchBend(channel) => (
            make(
                Input::PitchBend { channel: channel + 1 },
                ControlKind::Continuous,
                format!(
                    "Pitch bend on channel {} moved between {min} and {max}: a wheel or fader.",
                    channel + 1
                ),
            ),
            jitter14,
        ),
        Key::Aftertouch(channel, note) => (
            make(
                Input::Aftertouch {
                    channel: channel + 1,
                    note,
                },
                ControlKind::Continuous,
                format!("Pressure on channel {} moved between {min} and {max}.", channel + 1),
            ),
            jitter7,
        ),
        Key::Cc14(channel, msb) => {
            let button = d.len() == 2 && min == 0;
            let kind = if button {
                ControlKind::Button
            } else {
                ControlKind::Continuous
            };
            let explanation = format!(
                "CC {msb} and CC {} on channel {} moved together ({n} events, {min}..={max} in 14 bits): \
                 a high-resolution {}; enable the pair with set_14bit({channel}, {msb}, true).",
                msb + 32,
                channel + 1,
                if button { "button" } else { "control" },
            );
            (
                make(
                    Input::Cc14 {
                        channel: channel + 1,
                        msb,
                    },
                    kind,
                    explanation,
                ),
                !button && jitter14,
            )
        }
        Key::Nrpn(channel, param) | Key::Rpn(channel, param) => {
            let nrpn = matches!(key, Key::Nrpn(..));
            let (learned, name) = if nrpn {
                (
                    Input::Nrpn {
                        channel: channel + 1,
                        param,
                    },
                    "NRPN",
                )
            } else {
                (
                    Input::Rpn {
                        channel: channel + 1,
                        param,
                    },
                    "RPN",
                )
            };
            let (kind, what) = if g.steps > g.values.len() {
                (
                    ControlKind::Relative,
                    format!("sent {} increment/decrement(s): an endless control", g.steps),
                )
            } else if d.len() == 2 && min == 0 {
                (
                    ControlKind::Button,
                    format!("toggled between {min} and {max}: a button"),
                )
            } else {
                (
                    ControlKind::Continuous,
                    format!("moved between {min} and {max}: a continuous control"),
                )
            };
            let explanation = format!("{name} {param} on channel {} {what}.", channel + 1);
            (
                make(learned, kind, explanation),
                kind == ControlKind::Continuous && jitter14,
            )
        }
        Key::Cc(channel, cc) => classify_cc(channel, cc, g, &d),
    }
}

fn classify_cc(channel: u8, cc: u8, g: &Group, d: &[u16]) -> (Inference, bool) {
    let n = g.count;
    let values: Vec<u8> = g.values.iter().map(|&v| (v & 0x7F) as u8).collect();
    let (min, max) = (d.first().copied().unwrap_or(0), d.last().copied().unwrap_or(0));
    let ch = channel + 1;
    let inference = |learned, kind, ambiguous, explanation| Inference {
        learned,
        kind,
        ambiguous,
        events: n,
        explanation,
    };
    let press_release = d.len() == 2 && min == 0 && max >= 64;
    let press_only = d.len() == 1 && n <= 3 && (min == 0 || min == 127);
    if press_release || press_only {
        let explanation = format!("CC {cc} on channel {ch} only sent {}: a button.", list(d));
        return (
            inference(
                Input::Cc {
                    channel: channel + 1,
                    cc,
                },
                ControlKind::Button,
                false,
                explanation,
            ),
            false,
        );
    }
    if let Some((encoding, ambiguous)) = guess_relative(&values)
        && step_like(&values, encoding)
    {
        let mut explanation = format!(
            "CC {cc} on channel {ch} sent step-like values ({}) that decode as small moves in {encoding:?}: \
             a relative encoder.",
            list(d)
        );
        if ambiguous {
            explanation.push_str(
                " The values fit another encoding equally well (the control probably moved one way only); \
                 turning it both ways would confirm.",
            );
        }
        return (
            inference(
                Input::Encoder {
                    channel: channel + 1,
                    cc,
                    encoding,
                },
                ControlKind::Relative,
                ambiguous,
                explanation,
            ),
            false,
        );
    }
    let explanation = format!(
        "CC {cc} on channel {ch} sent {n} value(s) between {min} and {max} ({} distinct): an absolute knob or fader.",
        d.len()
    );
    (
        inference(
            Input::Cc {
                channel: channel + 1,
                cc,
            },
            ControlKind::Continuous,
            false,
            explanation,
        ),
        max - min <= 2,
    )
}

#[cfg(test)]
mod tests {
    use super::super::assemble::{Assembler, encode_cc14, encode_nrpn};
    use super::super::relative::encode as rel_encode;
    use super::super::wire::{MidiMessage, Parser};
    use super::*;

    /// Timestamps events 5 ms apart.
    fn timed(events: impl IntoIterator<Item = Event>) -> Vec<(u64, Event)> {
        events
            .into_iter()
            .enumerate()
            .map(|(i, e)| (i as u64 * 5_000, e))
            .collect()
    }

    fn ccs(channel: u8, cc: u8, values: &[u8]) -> Vec<Event> {
        values.iter().map(|&value| Event::Cc { channel, cc, value }).collect()
    }

    /// Raw bytes through the parser and an unconfigured assembler; each chunk is one burst
    /// (one timestamp), bursts 20 ms apart.
    fn through_assembler(chunks: &[Vec<u8>]) -> Vec<(u64, Event)> {
        let mut parser = Parser::default();
        let mut asm = Assembler::new();
        let mut out = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let t = i as u64 * 20_000;
            let mut msgs: Vec<MidiMessage> = Vec::new();
            parser.feed(chunk, &mut |r| msgs.push(r.unwrap()));
            for m in msgs {
                asm.process(m, &mut |e| out.push((t, e)));
            }
            asm.flush(&mut |e| out.push((t, e)));
        }
        out
    }

    fn relative_values(enc: RelativeEncoding, steps: &[i32]) -> Vec<u8> {
        steps.iter().map(|&s| rel_encode(enc, s)).collect()
    }

    #[test]
    fn nothing_moved() {
        assert_eq!(infer(&[]), None);
        let clock_only = timed(vec![
            Event::Clock(super::super::assemble::Clock::Tick),
            Event::SysEx(vec![1]),
            Event::System(MidiMessage::ActiveSensing),
        ]);
        assert_eq!(infer(&clock_only), None);
    }

    #[test]
    fn note_is_button() {
        let ev = timed(vec![
            Event::Note {
                channel: 9,
                note: 36,
                velocity: 100,
                on: true,
            },
            Event::Note {
                channel: 9,
                note: 36,
                velocity: 0,
                on: false,
            },
        ]);
        let inf = infer(&ev).unwrap();
        assert_eq!(inf.learned, Input::Note { channel: 10, note: 36 });
        assert_eq!(inf.kind, ControlKind::Button);
        assert!(inf.explanation.contains("channel 10"), "{}", inf.explanation);
    }

    #[test]
    fn pad_pressure_counts_toward_note() {
        let mut ev = vec![Event::Note {
            channel: 0,
            note: 40,
            velocity: 90,
            on: true,
        }];
        ev.extend((0..20).map(|v| Event::Aftertouch {
            channel: 0,
            note: Some(40),
            value: v * 5,
        }));
        ev.extend((0..10).map(|v| Event::Aftertouch {
            channel: 0,
            note: None,
            value: v * 9,
        }));
        ev.push(Event::Note {
            channel: 0,
            note: 40,
            velocity: 0,
            on: false,
        });
        // A noisy knob that sent a few values meanwhile.
        ev.extend(ccs(0, 10, &[64, 65, 64, 65, 64, 65]));
        let inf = infer(&timed(ev)).unwrap();
        assert_eq!(inf.learned, Input::Note { channel: 1, note: 40 });
        assert_eq!(inf.events, 32);
        assert!(
            inf.explanation.contains("6 event(s) from other controls"),
            "{}",
            inf.explanation
        );
    }

    #[test]
    fn channel_pressure_alone_is_aftertouch() {
        let ev = timed((0..10).map(|v| Event::Aftertouch {
            channel: 1,
            note: None,
            value: v * 10,
        }));
        let inf = infer(&ev).unwrap();
        assert_eq!(inf.learned, Input::Aftertouch { channel: 2, note: None });
        assert_eq!(inf.kind, ControlKind::Continuous);
    }

    #[test]
    fn absolute_knob() {
        let values: Vec<u8> = (40..=90).collect();
        let inf = infer(&timed(ccs(0, 74, &values))).unwrap();
        assert_eq!(inf.learned, Input::Cc { channel: 1, cc: 74 });
        assert_eq!(inf.kind, ControlKind::Continuous);
        assert!(!inf.ambiguous);
    }

    #[test]
    fn absolute_knob_near_the_ends_is_not_relative() {
        for values in [
            (0..=20).collect::<Vec<u8>>(),
            (1..=15).collect(),
            (113..=127).rev().collect(),
        ] {
            let inf = infer(&timed(ccs(0, 1, &values))).unwrap();
            assert_eq!(inf.learned, Input::Cc { channel: 1, cc: 1 }, "{values:?}");
            assert_eq!(inf.kind, ControlKind::Continuous);
        }
        // Swept through 64 in both directions.
        let mut values: Vec<u8> = (55..=75).collect();
        values.extend((55..75).rev());
        assert_eq!(infer(&timed(ccs(0, 1, &values))).unwrap().kind, ControlKind::Continuous);
    }

    #[test]
    fn wobbling_pot_is_not_relative() {
        let inf = infer(&timed(ccs(0, 3, &[5, 6, 5, 6, 5]))).unwrap();
        assert_eq!(inf.kind, ControlKind::Continuous);
    }

    #[test]
    fn cc_buttons() {
        let inf = infer(&timed(ccs(2, 20, &[127, 0, 127, 0]))).unwrap();
        assert_eq!(
            (inf.learned, inf.kind),
            (Input::Cc { channel: 3, cc: 20 }, ControlKind::Button)
        );
        let inf = infer(&timed(ccs(2, 21, &[127]))).unwrap();
        assert_eq!(inf.kind, ControlKind::Button);
        let inf = infer(&timed(ccs(2, 22, &[100, 0]))).unwrap();
        assert_eq!(inf.kind, ControlKind::Button);
    }

    fn assert_relative(values: &[u8], expected: RelativeEncoding, ambiguous: bool) {
        let inf = infer(&timed(ccs(0, 16, values))).unwrap();
        assert_eq!(
            (inf.learned, inf.kind, inf.ambiguous),
            (
                Input::Encoder {
                    channel: 1,
                    cc: 16,
                    encoding: expected
                },
                ControlKind::Relative,
                ambiguous
            ),
            "{values:?}: {}",
            inf.explanation
        );
    }

    #[test]
    fn relative_encoders_both_directions() {
        let both = [1, 1, 1, 2, 1, 1, -1, -1, -2, -1, -1, -1];
        for enc in RelativeEncoding::VALUE_ENCODINGS {
            assert_relative(&relative_values(enc, &both), enc, false);
        }
    }

    #[test]
    fn relative_encoders_one_direction() {
        use RelativeEncoding::*;
        let up = [1, 1, 1, 1, 1, 1];
        let down = [-1, -1, -1, -1, -1, -1];
        // Unique signatures.
        assert_relative(&relative_values(TwosComplement, &down), TwosComplement, false);
        assert_relative(&relative_values(Offset64, &down), Offset64, false);
        // Shared signatures: 1 = +1 in two's complement and sign-magnitude...
        assert_relative(&relative_values(TwosComplement, &up), TwosComplement, true);
        assert_relative(&relative_values(SignMagnitude, &up), TwosComplement, true);
        // ...and 65 = +1 in binary offset but -1 in sign-magnitude.
        assert_relative(&relative_values(Offset64, &up), Offset64, true);
        assert_relative(&relative_values(SignMagnitude, &down), Offset64, true);
    }

    #[test]
    fn relative_encoders_with_hardware_acceleration() {
        use RelativeEncoding::*;
        let steps = [1, 1, 2, 3, 5, 3, 2, 1, 1, -1, -1, -3, -6, -3, -1, -1];
        for enc in [TwosComplement, SignMagnitude, Offset64] {
            assert_relative(&relative_values(enc, &steps), enc, false);
        }
    }

    #[test]
    fn relative_tolerates_a_stray_value() {
        let mut values = relative_values(RelativeEncoding::Offset64, &[1, 1, 1, 1, 1, -1, -1, -1, -1, -1]);
        values.push(64);
        assert_relative(&values, RelativeEncoding::Offset64, false);
    }

    #[test]
    fn fourteen_bit_fader_from_raw_events() {
        let mut chunks = Vec::new();
        for v in (1000..9000u16).step_by(250) {
            let mut b = Vec::new();
            encode_cc14(0, 7, v, &mut b);
            chunks.push(b);
        }
        let ev = through_assembler(&chunks);
        assert!(ev.iter().all(|(_, e)| matches!(e, Event::Cc { .. })));
        let inf = infer(&ev).unwrap();
        assert_eq!(inf.learned, Input::Cc14 { channel: 1, msb: 7 });
        assert_eq!(inf.kind, ControlKind::Continuous);
        assert_eq!(inf.events, 64);
        assert!(inf.explanation.contains("set_14bit(0, 7, true)"), "{}", inf.explanation);
    }

    #[test]
    fn fourteen_bit_fader_sending_msb_only_when_changed() {
        // MSB sent only when it changes, LSB every time: still a pair.
        let mut ev = Vec::new();
        let mut last_msb = None;
        for (i, v) in (2000..2600u16).step_by(20).enumerate() {
            let t = i as u64 * 20_000;
            let (msb, lsb) = ((v >> 7) as u8, (v & 0x7F) as u8);
            if last_msb != Some(msb) {
                ev.push((
                    t,
                    Event::Cc {
                        channel: 3,
                        cc: 1,
                        value: msb,
                    },
                ));
                last_msb = Some(msb);
            }
            ev.push((
                t + 300,
                Event::Cc {
                    channel: 3,
                    cc: 33,
                    value: lsb,
                },
            ));
        }
        let inf = infer(&ev).unwrap();
        assert_eq!(inf.learned, Input::Cc14 { channel: 4, msb: 1 });
    }

    #[test]
    fn fourteen_bit_from_assembled_events() {
        let ev = timed((0..30).map(|i| Event::Cc14 {
            channel: 0,
            msb_cc: 2,
            value: i * 400,
        }));
        let inf = infer(&ev).unwrap();
        assert_eq!(inf.learned, Input::Cc14 { channel: 1, msb: 2 });
        assert_eq!(inf.kind, ControlKind::Continuous);
    }

    #[test]
    fn unrelated_cc_n_and_n_plus_32_are_not_a_pair() {
        // CC 1 and CC 33 moved at different times, far apart: two separate controls.
        let mut ev: Vec<(u64, Event)> = (0..20u8)
            .map(|i| {
                (
                    u64::from(i) * 50_000,
                    Event::Cc {
                        channel: 0,
                        cc: 1,
                        value: i,
                    },
                )
            })
            .collect();
        ev.extend((0..3u8).map(|i| {
            (
                2_000_000 + u64::from(i) * 50_000,
                Event::Cc {
                    channel: 0,
                    cc: 33,
                    value: i,
                },
            )
        }));
        let inf = infer(&ev).unwrap();
        assert_eq!(inf.learned, Input::Cc { channel: 1, cc: 1 });
    }

    #[test]
    fn nrpn_from_raw_bytes() {
        let mut chunks = Vec::new();
        for v in (0..16383u16).step_by(700) {
            let mut b = Vec::new();
            encode_nrpn(4, 300, v, &mut b);
            chunks.push(b);
        }
        let inf = infer(&through_assembler(&chunks)).unwrap();
        assert_eq!(inf.learned, Input::Nrpn { channel: 5, param: 300 });
        assert_eq!(inf.kind, ControlKind::Continuous);
    }

    #[test]
    fn nrpn_increments_are_relative() {
        let mut ev = vec![Event::Nrpn {
            channel: 0,
            param: 5,
            value: 0,
            fine: false,
        }];
        ev.extend((0..8).map(|_| Event::NrpnIncrement {
            channel: 0,
            param: 5,
            delta: 1,
        }));
        let inf = infer(&timed(ev)).unwrap();
        assert_eq!(
            (inf.learned, inf.kind),
            (Input::Nrpn { channel: 1, param: 5 }, ControlKind::Relative)
        );
    }

    #[test]
    fn rpn() {
        let ev = timed((0..5).map(|i| Event::Rpn {
            channel: 0,
            param: 0,
            value: i << 7,
            fine: false,
        }));
        assert_eq!(infer(&ev).unwrap().learned, Input::Rpn { channel: 1, param: 0 });
    }

    #[test]
    fn pitch_bend_and_program() {
        let ev = timed((0..40).map(|i| Event::PitchBend {
            channel: 0,
            value: 8192 + i * 100,
        }));
        let inf = infer(&ev).unwrap();
        assert_eq!(
            (inf.learned, inf.kind),
            (Input::PitchBend { channel: 1 }, ControlKind::Continuous)
        );
        let ev = timed([Event::Program { channel: 5, program: 3 }]);
        let inf = infer(&ev).unwrap();
        assert_eq!(
            (inf.learned, inf.kind),
            (Input::Program { channel: 6 }, ControlKind::Button)
        );
    }

    #[test]
    fn busiest_control_wins_over_noise() {
        let mut ev = ccs(0, 7, &(20..60).collect::<Vec<u8>>());
        ev.extend(ccs(0, 8, &[10, 11, 12]));
        ev.push(Event::Note {
            channel: 0,
            note: 1,
            velocity: 1,
            on: true,
        });
        let inf = infer(&timed(ev)).unwrap();
        assert_eq!(inf.learned, Input::Cc { channel: 1, cc: 7 });
        assert!(
            inf.explanation.contains("4 event(s) from other controls"),
            "{}",
            inf.explanation
        );
    }

    #[test]
    fn jittery_pot_loses_to_a_short_real_move() {
        let mut ev = ccs(0, 10, &[64, 65, 64, 65, 64, 65, 64, 65]);
        ev.extend(ccs(0, 11, &[30, 34, 38, 42]));
        let inf = infer(&timed(ev)).unwrap();
        assert_eq!(inf.learned, Input::Cc { channel: 1, cc: 11 });
    }

    #[test]
    fn tie_between_controls_is_none() {
        let mut ev = ccs(0, 7, &[1, 2, 3, 4, 5]);
        ev.extend(ccs(0, 8, &[10, 20, 30, 40, 50]));
        assert_eq!(infer(&timed(ev)), None);
    }

    #[test]
    fn learned_serializes_as_a_plain_enum() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StrDeserializer};
        let de: StrDeserializer<DeError> = "Button".into_deserializer();
        assert_eq!(ControlKind::deserialize(de).unwrap(), ControlKind::Button);
    }
}
