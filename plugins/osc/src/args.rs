//! Lenient reading of OSC arguments. Controllers disagree on types (TouchOSC sends
//! floats, Max may send ints, a text field sends strings), so a value is taken from
//! whatever argument type can sensibly carry it.

use rosc::OscType;

/// A number from one OSC argument: Int, Long, Float, Double, Bool (true 1, false 0) or a
/// String holding a number (" 0.5 "); None for other types and for NaN or infinities.
pub fn number(arg: &OscType) -> Option<f64> {
    let n = match arg {
        OscType::Int(i) => f64::from(*i),
        // Longs beyond 2^53 round, which no control range can tell apart.
        OscType::Long(l) => *l as f64,
        OscType::Float(f) => f64::from(*f),
        OscType::Double(d) => *d,
        OscType::Bool(b) => f64::from(u8::from(*b)),
        OscType::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// A choice index: the option a String argument names (ASCII case, spaces, '-' and '_'
/// ignored, so "low pass" names "Low-pass"), else a number as [`number`] reads it,
/// rounded to the nearest index; None when neither gives an index within `options`.
pub fn choice<S: AsRef<str>>(arg: &OscType, options: &[S]) -> Option<usize> {
    // Names first, so that an option called "4" is chosen by "4" rather than index 4.
    if let OscType::String(name) = arg
        && let Some(index) = options.iter().position(|o| same_name(name, o.as_ref()))
    {
        return Some(index);
    }
    let index = number(arg)?.round();
    (index >= 0.0 && index < options.len() as f64).then_some(index as usize)
}

fn same_name(a: &str, b: &str) -> bool {
    name_key(a).eq(name_key(b))
}

fn name_key(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rosc::{OscArray, OscTime};

    #[test]
    fn numbers_come_from_every_numeric_type() {
        assert_eq!(number(&OscType::Int(-3)), Some(-3.0));
        assert_eq!(number(&OscType::Long(1 << 40)), Some((1u64 << 40) as f64));
        assert_eq!(number(&OscType::Float(0.25)), Some(0.25));
        assert_eq!(number(&OscType::Double(0.1)), Some(0.1));
        assert_eq!(number(&OscType::Bool(true)), Some(1.0));
        assert_eq!(number(&OscType::Bool(false)), Some(0.0));
    }

    #[test]
    fn numbers_come_from_strings_holding_them() {
        assert_eq!(number(&OscType::String("0.5".into())), Some(0.5));
        assert_eq!(number(&OscType::String(" 3 ".into())), Some(3.0));
        assert_eq!(number(&OscType::String("-1e2".into())), Some(-100.0));
        assert_eq!(number(&OscType::String("half".into())), None);
        assert_eq!(number(&OscType::String(String::new())), None);
    }

    #[test]
    fn non_numbers_and_non_finite_values_are_none() {
        for arg in [
            OscType::Nil,
            OscType::Inf,
            OscType::Char('5'),
            OscType::Blob(vec![1]),
            OscType::Time(OscTime {
                seconds: 1,
                fractional: 0,
            }),
            OscType::Array(OscArray {
                content: vec![OscType::Int(1)],
            }),
            OscType::Float(f32::NAN),
            OscType::Float(f32::INFINITY),
            OscType::Double(f64::NEG_INFINITY),
            OscType::String("inf".into()),
            OscType::String("NaN".into()),
            OscType::String("1e999".into()),
        ] {
            assert_eq!(number(&arg), None, "{arg:?}");
        }
    }

    #[test]
    fn choices_are_named_loosely() {
        let options = ["Low-pass", "High_pass", "Band pass"];
        let named = |s: &str| choice(&OscType::String(s.into()), &options);
        assert_eq!(named("low pass"), Some(0));
        assert_eq!(named("LOWPASS"), Some(0));
        assert_eq!(named("high-pass"), Some(1));
        assert_eq!(named("band_pass"), Some(2));
        assert_eq!(named("notch"), None);
        assert_eq!(named("lowpas"), None);
    }

    #[test]
    fn choices_are_indexed_by_numbers() {
        let options = vec![String::from("a"), String::from("b"), String::from("c")];
        assert_eq!(choice(&OscType::Int(2), &options), Some(2));
        assert_eq!(choice(&OscType::Float(0.9999), &options), Some(1));
        assert_eq!(choice(&OscType::Float(1.4), &options), Some(1));
        assert_eq!(choice(&OscType::String(" 1 ".into()), &options), Some(1));
        assert_eq!(choice(&OscType::Bool(true), &options), Some(1));
        assert_eq!(choice(&OscType::Float(-0.4), &options), Some(0));
        assert_eq!(choice(&OscType::Int(3), &options), None);
        assert_eq!(choice(&OscType::Int(-1), &options), None);
        assert_eq!(choice(&OscType::Nil, &options), None);
        assert_eq!(choice(&OscType::Int(0), &[] as &[&str]), None);
    }

    #[test]
    fn a_name_wins_over_an_index() {
        let options = ["1", "2", "4", "8"];
        assert_eq!(choice(&OscType::String("4".into()), &options), Some(2));
        assert_eq!(choice(&OscType::Int(4), &options), None);
    }
}
