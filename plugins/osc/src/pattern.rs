//! OSC 1.0 address patterns: compiled once, matched against many addresses.
//!
//! rosc 0.11 has a matcher (`rosc::address::Matcher`), but it gets common patterns wrong:
//! a class takes several characters (`/[ab]` matches `/aab`), a trailing `*` will not
//! match nothing (`/foo*` misses `/foo`), `*` and `{}` never backtrack (`/*a?` misses
//! `/abaa`, `/{a,ab}c` misses `/abc`), and `[!a-c]` misses `/dx`. So this module has its
//! own matcher.

use std::fmt;

/// How much of a bad pattern an error repeats: patterns come off the network and may be
/// 64 KiB long, which should not end up in a log line.
const QUOTED_CHARS: usize = 80;

/// A compiled OSC 1.0 address pattern: `?`, `*`, `[abc]`, `[a-z]`, `[!a-z]` and
/// `{foo,bar}`, each confined to one `/`-separated part.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    /// The tokens of each part after the leading `/`.
    parts: Vec<Vec<Token>>,
    literal: bool,
}

/// Why a pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pattern: String,
    problem: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad OSC address pattern {:?}: {}", self.pattern, self.problem)
    }
}

impl std::error::Error for PatternError {}

#[derive(Debug, Clone)]
enum Token {
    /// `*`: any run of characters, including none.
    Any,
    /// Anything that consumes a bounded number of characters.
    Step(Step),
}

#[derive(Debug, Clone)]
enum Step {
    /// Characters that must appear as they are.
    Text(String),
    /// `?`: any one character.
    One,
    /// `[...]`: one character inside (or, when negated, outside) the inclusive ranges.
    Class { negated: bool, ranges: Vec<(char, char)> },
    /// `{a,b}`: any one of the alternatives.
    Choice(Vec<String>),
}

impl Pattern {
    /// Compiles `pattern`, which must start with `/` and have no empty parts and no
    /// unclosed or stray brackets.
    pub fn new(pattern: &str) -> Result<Pattern, PatternError> {
        let error = |problem: String| {
            let mut quoted: String = pattern.chars().take(QUOTED_CHARS).collect();
            if quoted.len() < pattern.len() {
                quoted.push('…');
            }
            PatternError {
                pattern: quoted,
                problem,
            }
        };
        let Some(rest) = pattern.strip_prefix('/') else {
            return Err(error("it does not start with '/'".into()));
        };
        let parts = rest
            .split('/')
            .map(parse_part)
            .collect::<Result<Vec<_>, _>>()
            .map_err(error)?;
        let literal = parts
            .iter()
            .flatten()
            .all(|token| matches!(token, Token::Step(Step::Text(_))));
        Ok(Pattern {
            source: pattern.to_owned(),
            parts,
            literal,
        })
    }

    /// Whether `address` matches, part by part. Work is at most proportional to the
    /// pattern's length times the address's, whatever the wildcards.
    pub fn matches(&self, address: &str) -> bool {
        if self.literal {
            return address == self.source;
        }
        let Some(rest) = address.strip_prefix('/') else {
            return false;
        };
        if rest.split('/').count() != self.parts.len() {
            return false;
        }
        let mut reach = Vec::new();
        self.parts
            .iter()
            .zip(rest.split('/'))
            .all(|(tokens, text)| match_part(tokens, text, &mut reach))
    }

    /// Whether the pattern has no wildcards, so that it matches only the identical
    /// address: callers can then look it up instead of scanning.
    pub fn is_literal(&self) -> bool {
        self.literal
    }
}

fn parse_part(part: &str) -> Result<Vec<Token>, String> {
    if part.is_empty() {
        return Err("it has an empty part (\"//\" or a trailing '/')".into());
    }
    let mut tokens = Vec::new();
    let mut chars = part.chars();
    while let Some(c) = chars.next() {
        let token = match c {
            '*' => Token::Any,
            '?' => Token::Step(Step::One),
            '[' => {
                let (body, after) = chars
                    .as_str()
                    .split_once(']')
                    .ok_or("a '[' is not closed within its part")?;
                chars = after.chars();
                Token::Step(class(body)?)
            }
            '{' => {
                let (body, after) = chars
                    .as_str()
                    .split_once('}')
                    .ok_or("a '{' is not closed within its part")?;
                chars = after.chars();
                Token::Step(choice(body)?)
            }
            ']' | '}' => return Err(format!("a '{c}' has nothing to close")),
            _ => {
                if let Some(Token::Step(Step::Text(text))) = tokens.last_mut() {
                    text.push(c);
                } else {
                    tokens.push(Token::Step(Step::Text(c.into())));
                }
                continue;
            }
        };
        tokens.push(token);
    }
    Ok(tokens)
}

fn class(body: &str) -> Result<Step, String> {
    let (negated, body) = match body.strip_prefix('!') {
        Some(body) => (true, body),
        None => (false, body),
    };
    let chars: Vec<char> = body.chars().collect();
    if chars.is_empty() {
        return Err("a '[...]' lists no characters".into());
    }
    let mut ranges = Vec::new();
    let mut rest = chars.as_slice();
    // A '-' between two characters makes a range; first or last, it stands for itself.
    loop {
        rest = match rest {
            [lo, '-', hi, tail @ ..] => {
                if hi < lo {
                    return Err(format!("the range '{lo}-{hi}' is backwards"));
                }
                ranges.push((*lo, *hi));
                tail
            }
            [c, tail @ ..] => {
                ranges.push((*c, *c));
                tail
            }
            [] => break,
        };
    }
    Ok(Step::Class { negated, ranges })
}

fn choice(body: &str) -> Result<Step, String> {
    if body.contains(['*', '?', '[', ']', '{']) {
        return Err("a '{...}' holds wildcards; its alternatives must be plain text".into());
    }
    // Empty alternatives are allowed: `{,s}` makes a suffix optional.
    Ok(Step::Choice(body.split(',').map(str::to_owned).collect()))
}

/// Matches one part of an address. `reach[i]` says that the tokens so far can consume
/// exactly `text[..i]`; advancing every position one token at a time visits each
/// (token, position) pair once, where backtracking over stars would be exponential.
fn match_part(tokens: &[Token], text: &str, reach: &mut Vec<bool>) -> bool {
    reach.clear();
    reach.resize(text.len() + 1, false);
    reach[0] = true;
    for token in tokens {
        match token {
            Token::Any => {
                let mut reached = false;
                for r in reach.iter_mut() {
                    reached |= *r;
                    *r = reached;
                }
            }
            Token::Step(step) => {
                // Backwards, so that a position set ahead of `i` is not advanced twice.
                for i in (0..reach.len()).rev() {
                    if !std::mem::take(&mut reach[i]) {
                        continue;
                    }
                    // After a star, `i` may fall inside a multi-byte character. A hit's
                    // length is at most `rest.len()`, so `i + len` stays in `reach`.
                    if let Some(rest) = text.get(i..) {
                        step.lengths(rest, |len| reach[i + len] = true);
                    }
                }
            }
        }
        if !reach.contains(&true) {
            return false;
        }
    }
    reach.last() == Some(&true)
}

impl Step {
    /// Calls `hit` with each length of `rest`'s prefix that this step matches.
    fn lengths(&self, rest: &str, mut hit: impl FnMut(usize)) {
        match self {
            Step::Text(text) => {
                if rest.starts_with(text.as_str()) {
                    hit(text.len());
                }
            }
            Step::One => {
                if let Some(c) = rest.chars().next() {
                    hit(c.len_utf8());
                }
            }
            Step::Class { negated, ranges } => {
                if let Some(c) = rest.chars().next()
                    && ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)) != *negated
                {
                    hit(c.len_utf8());
                }
            }
            Step::Choice(alternatives) => {
                for alternative in alternatives {
                    if rest.starts_with(alternative.as_str()) {
                        hit(alternative.len());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, address: &str) -> bool {
        Pattern::new(pattern).unwrap().matches(address)
    }

    #[test]
    fn literal_patterns_match_only_themselves() {
        let p = Pattern::new("/mixer/1/gain").unwrap();
        assert!(p.is_literal());
        assert!(p.matches("/mixer/1/gain"));
        for other in [
            "/mixer/1/gai",
            "/mixer/1/gains",
            "/mixer/1",
            "/mixer/1/gain/x",
            "mixer/1/gain",
            "",
        ] {
            assert!(!p.matches(other), "{other}");
        }
        assert!(!Pattern::new("/a/?").unwrap().is_literal());
        assert!(!Pattern::new("/a*").unwrap().is_literal());
        assert!(!Pattern::new("/[a]").unwrap().is_literal());
        assert!(!Pattern::new("/{a}").unwrap().is_literal());
    }

    #[test]
    fn question_mark_is_exactly_one_character() {
        assert!(matches("/a?c", "/abc"));
        assert!(!matches("/a?c", "/ac"));
        assert!(!matches("/a?c", "/abbc"));
        assert!(!matches("/a?c", "/a/c"));
        assert!(matches("/?", "/é"), "one character, not one byte");
    }

    #[test]
    fn star_spans_any_run_within_one_part() {
        assert!(matches("/foo*", "/foo"));
        assert!(matches("/foo*", "/foobar"));
        assert!(matches("/*", "/a"));
        assert!(!matches("/*", "/a/b"));
        assert!(matches("/a/*", "/a/b"));
        assert!(matches("/*/gain", "/mixer/gain"));
        assert!(!matches("/*/gain", "/mixer/1/gain"));
        assert!(matches("/*a?", "/abaa"), "needs the star to give back");
        assert!(matches("/*x*y*", "/axbyc"));
        assert!(!matches("/*x*y*", "/aybxc"));
        assert!(matches("/**", "/ab"));
        assert!(matches("/*é", "/aé"));
        assert!(!matches("/*é", "/ae"));
    }

    #[test]
    fn classes_match_one_character_in_or_out_of_the_set() {
        assert!(matches("/[abc]", "/b"));
        assert!(!matches("/[abc]", "/d"));
        assert!(!matches("/[ab]", "/aab"));
        assert!(matches("/osc/[0-9]", "/osc/7"));
        assert!(!matches("/osc/[0-9]", "/osc/a"));
        assert!(matches("/[a-cx-z]", "/y"));
        assert!(matches("/[!a-c]x", "/dx"));
        assert!(!matches("/[!a-c]x", "/bx"));
        assert!(matches("/[a-]", "/-"), "a trailing '-' is literal");
        assert!(matches("/[-a]", "/-"), "a leading '-' is literal");
        assert!(matches("/[!-]", "/a"));
        assert!(matches("/[a!]", "/!"), "'!' is special only first");
    }

    #[test]
    fn choices_match_any_alternative_and_backtrack() {
        assert!(matches("/{foo,bar}", "/bar"));
        assert!(!matches("/{foo,bar}", "/baz"));
        assert!(matches("/{a,ab}c", "/abc"));
        assert!(matches("/gain{,s}", "/gain"));
        assert!(matches("/gain{,s}", "/gains"));
        assert!(matches("/fx/[0-9]/{mix,gain}", "/fx/3/mix"));
        assert!(!matches("/fx/[0-9]/{mix,gain}", "/fx/31/mix"));
    }

    #[test]
    fn malformed_patterns_are_errors_naming_the_problem() {
        for (pattern, problem) in [
            ("", "start with '/'"),
            ("mixer/1", "start with '/'"),
            ("/", "empty part"),
            ("/a/", "empty part"),
            ("//a", "empty part"),
            ("/a//b", "empty part"),
            ("/[ab", "'[' is not closed"),
            ("/[a/b]", "'[' is not closed"),
            ("/{a,b", "'{' is not closed"),
            ("/{a/b}", "'{' is not closed"),
            ("/a]", "']' has nothing"),
            ("/a}", "'}' has nothing"),
            ("/[]", "no characters"),
            ("/[!]", "no characters"),
            ("/[z-a]", "'z-a' is backwards"),
            ("/{a*,b}", "wildcards"),
        ] {
            let message = Pattern::new(pattern).unwrap_err().to_string();
            assert!(message.contains(&format!("{pattern:?}")), "{message}");
            assert!(message.contains(problem), "{message}");
        }
    }

    #[test]
    fn errors_quote_long_patterns_shortened() {
        let long = format!("/{}[", "a".repeat(10_000));
        let message = Pattern::new(&long).unwrap_err().to_string();
        assert!(message.len() < 200, "{message}");
        assert!(message.contains('…'));
    }

    #[test]
    fn pathological_stars_stay_polynomial() {
        // Backtracking would try ~n^k splits here; the position sets take k passes.
        let pattern = Pattern::new(&format!("/{}b", "*a".repeat(40))).unwrap();
        let address = format!("/{}", "a".repeat(60_000));
        assert!(!pattern.matches(&address));
        assert!(pattern.matches(&format!("{address}b")));
    }

    /// The OSC rules spelled out directly, backtracking over every split: exponential,
    /// but an independent reference for short inputs.
    fn reference(p: &[char], s: &[char]) -> bool {
        let close = |c| p.iter().position(|&x| x == c).unwrap_or(p.len());
        match p {
            [] => s.is_empty(),
            ['*', rest @ ..] => (0..=s.len())
                .take_while(|&k| !s[..k].contains(&'/'))
                .any(|k| reference(rest, &s[k..])),
            ['?', rest @ ..] => s.first().is_some_and(|&c| c != '/') && reference(rest, &s[1..]),
            ['[', ..] => {
                let end = close(']');
                let (negated, body) = match &p[1..end] {
                    ['!', body @ ..] => (true, body),
                    body => (false, body),
                };
                // A '-' with characters on both sides makes a range, read from the left.
                let mut items = Vec::new();
                let mut i = 0;
                while i < body.len() {
                    if body.get(i + 1) == Some(&'-') && i + 2 < body.len() {
                        items.push((body[i], body[i + 2]));
                        i += 3;
                    } else {
                        items.push((body[i], body[i]));
                        i += 1;
                    }
                }
                s.first()
                    .is_some_and(|&c| c != '/' && items.iter().any(|&(lo, hi)| lo <= c && c <= hi) != negated)
                    && reference(&p[end + 1..], &s[1..])
            }
            ['{', ..] => {
                let end = close('}');
                p[1..end]
                    .split(|&c| c == ',')
                    .any(|alternative| s.starts_with(alternative) && reference(&p[end + 1..], &s[alternative.len()..]))
            }
            [c, rest @ ..] => s.first() == Some(c) && reference(rest, &s[1..]),
        }
    }

    #[test]
    fn random_patterns_agree_with_the_reference() {
        let mut state = 0x853C_49E6_748F_EA9Bu64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let pattern_chars: Vec<char> = "/ab-*?[]{},!é".chars().collect();
        let address_chars: Vec<char> = "/ab-,!é".chars().collect();
        let mut compiled = 0;
        for _ in 0..100_000 {
            let mut p: Vec<char> = vec!['/'];
            p.extend((0..next(10)).map(|_| pattern_chars[next(pattern_chars.len())]));
            let a: Vec<char> = std::iter::once('/')
                .chain((0..next(8)).map(|_| address_chars[next(address_chars.len())]))
                .collect();
            let (p_str, a_str): (String, String) = (p.iter().collect(), a.iter().collect());
            if let Ok(pattern) = Pattern::new(&p_str) {
                compiled += 1;
                assert_eq!(pattern.matches(&a_str), reference(&p, &a), "{p_str} vs {a_str}");
            }
        }
        assert!(compiled > 10_000, "{compiled}");
    }

    #[test]
    fn non_addresses_never_match() {
        let p = Pattern::new("/*").unwrap();
        assert!(!p.matches(""));
        assert!(!p.matches("a"));
        assert!(p.matches("/"), "a star matches the empty part");
    }
}
