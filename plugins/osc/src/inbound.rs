//! OSC in: each message to a control's address (or a pattern of them) becomes a
//! [`ControlChange`], a query, or, for an address outside the control map (a controller app's
//! own), raw input that bindings and learn see. Messages of one packet share one arrival time,
//! so a bundle lands whole at one engine frame; a bundle timetagged ahead lands at the frame
//! heard at its timetag.

use phosphene_controls::registry::{ControlKind, ControlSpec, Registry};
use phosphene_controls::{ControlId, ControlValue};
use rosc::OscType;

use crate::args;
use crate::pattern::Pattern;
use crate::wire::Incoming;

/// The address suffix that moves a control up by its argument (or one step).
pub const INC: &str = "inc";
/// The address suffix that moves a control down.
pub const DEC: &str = "dec";
/// The address suffix that asks for a control's value (triggers included).
pub const GET: &str = "get";

/// What one OSC message asks of one control, or of the mappings.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Move a control.
    Change(ControlId, ControlValue),
    /// Answer the sender with the control's value, at the address it asked with.
    Query(ControlId, String),
    /// An address outside the control map, for bindings and learn, with its first argument.
    Foreign(String, f64),
}

/// The steps a continuous control moves by for a bare `inc`/`dec`.
const STEPS_PER_RANGE: f64 = 100.0;

/// What `msg` asks, appended to `out`; an error names the address and what is wrong with it.
pub fn interpret(msg: &Incoming, registry: &Registry, out: &mut Vec<Request>) -> Result<(), String> {
    let address = msg.address.as_str();
    if let Some(spec) = registry.lookup(address) {
        return read_value(spec, address, &msg.args).map(|r| out.push(r));
    }
    if let Some((base, verb)) = address.rsplit_once('/')
        && [INC, DEC, GET].contains(&verb)
    {
        let before = out.len();
        for spec in matching(base, registry)? {
            out.push(relative(spec, base, verb, &msg.args)?);
        }
        return if out.len() > before {
            Ok(())
        } else {
            Err(format!("{address}: no control matches {base}"))
        };
    }
    if !literal(address) {
        let before = out.len();
        for spec in matching(address, registry)? {
            out.push(read_value(spec, &spec.address, &msg.args)?);
        }
        return if out.len() > before {
            Ok(())
        } else {
            Err(format!("{address}: the pattern matches no control"))
        };
    }
    // A controller app's own address: its first argument, or a press.
    let value = msg.args.first().map_or(Some(1.0), args::number);
    match value {
        Some(v) => {
            out.push(Request::Foreign(address.to_string(), v));
            Ok(())
        }
        None => Err(format!("{address}: expected a number, got {}", describe(&msg.args))),
    }
}

/// Whether an address names one address only (a malformed pattern is not literal either, so
/// its error is reported).
fn literal(address: &str) -> bool {
    Pattern::new(address).is_ok_and(|p| p.is_literal())
}

/// The controls an address or pattern names.
fn matching<'r>(address: &str, registry: &'r Registry) -> Result<Vec<&'r ControlSpec>, String> {
    if let Some(spec) = registry.lookup(address) {
        return Ok(vec![spec]);
    }
    if literal(address) {
        return Ok(Vec::new());
    }
    let pattern = Pattern::new(address).map_err(|e| e.to_string())?;
    Ok(registry
        .specs()
        .iter()
        .filter(|s| pattern.matches(&s.address))
        .collect())
}

/// A message's arguments, in words, for errors.
fn describe(args: &[OscType]) -> String {
    match args.first() {
        None => "no argument".into(),
        Some(OscType::String(s)) => format!("the string {s:?}"),
        Some(other) => format!("{other:?}"),
    }
}

/// A message to a control's own address: its value, a press, or a query.
fn read_value(spec: &ControlSpec, address: &str, a: &[OscType]) -> Result<Request, String> {
    let id = spec.id;
    let first = a.first().filter(|x| !matches!(x, OscType::Nil | OscType::Inf));
    let Some(first) = first else {
        // No value: a trigger fires, anything else is asked for its value.
        return Ok(match spec.kind {
            ControlKind::Trigger => Request::Change(id, ControlValue::Press),
            _ => Request::Query(id, address.to_string()),
        });
    };
    let value = match &spec.kind {
        ControlKind::Choice(options) => args::choice(first, options).map(|i| i as f64),
        _ => args::number(first),
    };
    match value {
        Some(v) => Ok(Request::Change(id, ControlValue::Set(v))),
        None => Err(format!(
            "{address}: expected {}, got {}",
            expected(&spec.kind),
            describe(a)
        )),
    }
}

fn expected(kind: &ControlKind) -> String {
    match kind {
        ControlKind::Continuous(r) => format!("a number from {} to {}", r.min, r.max),
        ControlKind::Toggle => "0 or 1 (or true/false)".into(),
        ControlKind::Trigger => "nothing, or a number (0.5 and above fires)".into(),
        ControlKind::Choice(o) => format!(
            "an index from 0 to {} or one of {}",
            o.len().saturating_sub(1),
            o.join(", ")
        ),
    }
}

/// `ADDRESS/inc [by]`, `ADDRESS/dec [by]`, `ADDRESS/get`.
fn relative(spec: &ControlSpec, base: &str, verb: &str, a: &[OscType]) -> Result<Request, String> {
    if verb == GET {
        return Ok(Request::Query(spec.id, spec.address.clone()));
    }
    let by = match a.first() {
        None => match &spec.kind {
            ControlKind::Continuous(r) => (r.max - r.min) / STEPS_PER_RANGE,
            _ => 1.0,
        },
        Some(x) => args::number(x)
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{base}/{verb}: expected an amount, got {}", describe(a)))?,
    };
    let sign = if verb == DEC { -1.0 } else { 1.0 };
    Ok(Request::Change(spec.id, ControlValue::Step(sign * by)))
}

/// The OSC type a control takes and goes out as: `f` for continuous controls, `i` for toggles
/// and choices (the option's index), `N` for triggers (no value: they fire).
pub fn osc_type(kind: &ControlKind) -> &'static str {
    match kind {
        ControlKind::Continuous(_) => "f",
        ControlKind::Toggle | ControlKind::Choice(_) => "i",
        ControlKind::Trigger => "N",
    }
}

/// A control's value as OSC arguments, as [`osc_type`] says; asked of a trigger, whether it
/// lights its pad (a stored hot cue) as an `i`.
pub fn value_args(kind: &ControlKind, value: f64) -> Vec<OscType> {
    match kind {
        ControlKind::Continuous(_) => vec![OscType::Float(value as f32)],
        _ => vec![OscType::Int(value.round() as i32)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Timing;
    use phosphene_controls::{DeckControl, DeckRef, MixerControl};

    fn msg(address: &str, args: Vec<OscType>) -> Incoming {
        Incoming {
            address: address.into(),
            args,
            timing: Timing::Immediately,
        }
    }

    fn ask(address: &str, args: Vec<OscType>) -> Result<Vec<Request>, String> {
        let registry = Registry::new(4, &["tunnel".into(), "bloom".into()]);
        let mut out = Vec::new();
        interpret(&msg(address, args), &registry, &mut out).map(|()| out)
    }

    const FILTER1: ControlId = ControlId::Deck(DeckRef::Index(0), DeckControl::Filter);

    #[test]
    fn any_number_type_sets_a_control() {
        for a in [OscType::Float(0.5), OscType::Double(0.5), OscType::String("0.5".into())] {
            assert_eq!(
                ask("/deck/1/filter", vec![a]).unwrap(),
                vec![Request::Change(FILTER1, ControlValue::Set(0.5))]
            );
        }
        let xf = ControlId::Mixer(MixerControl::Crossfader);
        assert_eq!(
            ask("/mixer/crossfader", vec![OscType::Int(1)]).unwrap(),
            vec![Request::Change(xf, ControlValue::Set(1.0))]
        );
        let sync = ControlId::Deck(DeckRef::Index(1), DeckControl::Sync);
        assert_eq!(
            ask("/deck/2/sync", vec![OscType::Bool(true)]).unwrap(),
            vec![Request::Change(sync, ControlValue::Set(1.0))]
        );
    }

    #[test]
    fn choices_take_an_index_or_a_name() {
        let registry = Registry::new(4, &[]);
        let spec = registry.lookup("/mixer/curve").unwrap();
        let ControlKind::Choice(options) = &spec.kind else {
            panic!()
        };
        let name = options[1].clone();
        assert_eq!(
            ask("/mixer/curve", vec![OscType::String(name.to_uppercase())]).unwrap(),
            vec![Request::Change(spec.id, ControlValue::Set(1.0))]
        );
        let e = ask("/mixer/curve", vec![OscType::String("bogus".into())]).unwrap_err();
        assert!(e.contains("/mixer/curve") && e.contains("bogus"), "{e}");
    }

    #[test]
    fn no_argument_queries_a_value_and_fires_a_trigger() {
        assert_eq!(
            ask("/deck/1/filter", vec![]).unwrap(),
            vec![Request::Query(FILTER1, "/deck/1/filter".into())]
        );
        let r = ask("/visuals/scene/next", vec![]).unwrap();
        assert!(matches!(r[..], [Request::Change(_, ControlValue::Press)]), "{r:?}");
        let r = ask("/visuals/scene/next/get", vec![]).unwrap();
        assert!(matches!(r[..], [Request::Query(..)]), "{r:?}");
    }

    #[test]
    fn inc_and_dec_move_by_an_amount_or_a_step() {
        assert_eq!(
            ask("/deck/1/filter/inc", vec![OscType::Float(0.25)]).unwrap(),
            vec![Request::Change(FILTER1, ControlValue::Step(0.25))]
        );
        let r = ask("/deck/1/filter/dec", vec![]).unwrap();
        let [Request::Change(_, ControlValue::Step(by))] = r[..] else {
            panic!("{r:?}")
        };
        assert!(by < 0.0 && by > -0.1);
    }

    #[test]
    fn patterns_reach_every_matching_control() {
        let r = ask("/deck/[1-2]/filter", vec![OscType::Float(0.1)]).unwrap();
        assert_eq!(r.len(), 2);
        let r = ask("/deck/*/volume", vec![OscType::Float(0.1)]).unwrap();
        assert_eq!(r.len(), 5, "four decks and the focused one: {r:?}");
        let r = ask("/deck/{1,3}/eq/*/inc", vec![]).unwrap();
        assert_eq!(r.len(), 6, "{r:?}");
        assert!(ask("/nothing/*", vec![]).unwrap_err().contains("matches no control"));
    }

    #[test]
    fn other_addresses_are_raw_input_and_bad_values_say_what_is_wrong() {
        assert_eq!(
            ask("/1/fader1", vec![OscType::Float(0.7)]).unwrap(),
            vec![Request::Foreign("/1/fader1".into(), f64::from(0.7f32))]
        );
        let e = ask("/deck/1/filter", vec![OscType::String("loud".into())]).unwrap_err();
        assert!(
            e.contains("/deck/1/filter") && e.contains("loud") && e.contains("-1"),
            "{e}"
        );
    }
}
