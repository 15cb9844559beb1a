//! Analysis out: at a chosen rate, one bundle of the master's and every deck's features, whose
//! timetag is the moment the audio they describe reaches the speaker (the analysis runs ahead
//! of it by the output latency, so the bundle leaves before its time and a receiver can line it
//! up exactly). Cue and loop events go out as they apply, timetagged the same way. Bundles are
//! paced by the audio's own sample clock, not the UI frame.

use std::time::{Instant, SystemTime};

use bevy::prelude::*;
use engine_rt::analysis::BANDS;
use engine_rt::{AnalysisFrame, IntentKind, Source};
use phosphene_decks::{BeatGrid, Deck, DeckPlayback, Transport};
use phosphene_engine_bridge::{Analysis, Applied, EngineStatus};
use phosphene_visuals::sync::newest_sample;
use rosc::{OscMessage, OscType};

use crate::runtime::{OscRuntime, OscStatus};
use crate::wire::Timing;

/// Where analysis goes, under which every leaf lives.
pub const ROOT: &str = "/analysis";

/// Onsets and hits seen since the last bundle, so a rate below the analysis' own loses none.
#[derive(Default, Clone, Copy)]
struct Held {
    onset: f32,
    hits: [bool; 3],
    peak: f32,
}

impl Held {
    fn add(&mut self, f: &AnalysisFrame) {
        if f.onset {
            self.onset = self.onset.max(f.onset_strength.max(f32::MIN_POSITIVE));
        }
        for (h, x) in self.hits.iter_mut().zip(f.hits) {
            *h |= x;
        }
        self.peak = self.peak.max(f.peak);
    }
}

/// Where the sending is.
#[derive(Default)]
pub(crate) struct Pace {
    /// Sample time of the newest master frame already looked at.
    seen: Option<u64>,
    /// The sample at which the next bundle is due.
    next: Option<u64>,
    /// The last bundle's timetag: each is later (a moment read on a busy machine can land a
    /// little early).
    last_tag: Option<SystemTime>,
    master: Held,
    decks: Vec<Held>,
}

/// A wall-clock time for the moment `sample` is heard, on the device clock.
fn heard(engine: &EngineStatus, sample: u64, now: Instant, wall: SystemTime) -> SystemTime {
    let Some(at) = engine.heard_when(sample) else {
        return wall;
    };
    match at.checked_duration_since(now) {
        Some(ahead) => wall + ahead,
        None => wall - now.duration_since(at),
    }
}

/// The leaves of one source's features, under `base` (`/analysis/master`, `/analysis/deck/1`).
fn features(base: &str, f: &AnalysisFrame, held: &Held, out: &mut Vec<OscMessage>) {
    let m = |leaf: &str, args: Vec<OscType>| OscMessage {
        addr: format!("{base}/{leaf}"),
        args,
    };
    let f1 = |x: f32| vec![OscType::Float(x)];
    out.push(m("level", f1(f.rms)));
    out.push(m("peak", f1(held.peak.max(f.peak))));
    out.push(m("bass", f1(f.bass)));
    out.push(m("mid", f1(f.mid)));
    out.push(m("high", f1(f.high)));
    out.push(m("bands", f.bands.iter().map(|b| OscType::Float(*b)).collect()));
    out.push(m("onset", f1(held.onset)));
    out.push(m(
        "hits",
        held.hits.iter().map(|h| OscType::Int(i32::from(*h))).collect(),
    ));
}

/// Sends the bundles due since the last frame.
pub(crate) fn send_analysis(
    runtime: Res<OscRuntime>,
    mut status: ResMut<OscStatus>,
    analysis: Res<Analysis>,
    engine: Res<EngineStatus>,
    decks: Query<(&Deck, &DeckPlayback, Option<&BeatGrid>)>,
    transport: Res<Transport>,
    mut pace: Local<Pace>,
) {
    let rate = runtime.running.as_ref().map_or(0.0, |s| s.analysis_rate);
    let targets: Vec<_> = runtime.targets(true).collect();
    let Some(frames) = analysis.frames(Source::Master) else {
        return;
    };
    if targets.is_empty() || rate <= 0.0 || engine.sample_rate == 0 {
        pace.seen = frames.back().map(|f| f.sample_time);
        return;
    }
    let period = (f64::from(engine.sample_rate) / rate).max(1.0) as u64;
    let (now, wall) = (Instant::now(), SystemTime::now());
    let pace = &mut *pace;
    let ndecks = decks.iter().map(|d| d.0.index + 1).max().unwrap_or(0);
    pace.decks.resize(ndecks, Held::default());
    let start = pace
        .seen
        .map_or(0, |seen| frames.partition_point(|f| f.sample_time <= seen));
    for f in frames.range(start..) {
        pace.seen = Some(f.sample_time);
        let sample = newest_sample(f.sample_time);
        pace.master.add(f);
        let deck_frames: Vec<Option<&AnalysisFrame>> = (0..ndecks)
            .map(|d| {
                let h = analysis.frames(Source::Deck(d as u8))?;
                let i = h.partition_point(|x| x.sample_time < f.sample_time);
                h.get(i).filter(|x| x.sample_time == f.sample_time)
            })
            .collect();
        for (held, df) in pace.decks.iter_mut().zip(&deck_frames) {
            if let Some(df) = df {
                held.add(df);
            }
        }
        // After a pause or a stall, pick up from here rather than sending a burst.
        let next = *pace.next.get_or_insert(sample);
        if sample < next {
            continue;
        }
        pace.next = Some(if sample > next + 4 * period {
            sample + period
        } else {
            next + period
        });
        let mut messages = Vec::with_capacity(16 + 12 * ndecks);
        let master = format!("{ROOT}/master");
        features(&master, f, &pace.master, &mut messages);
        let f1 = |x: f64| vec![OscType::Float(x as f32)];
        let m = |leaf: &str, args| OscMessage {
            addr: format!("{master}/{leaf}"),
            args,
        };
        // The frame's clock is read at its window's centre; the bundle describes its newest
        // sample (where onsets are found), half a window later.
        let ahead = (sample - f.sample_time) as f64 / f64::from(engine.sample_rate);
        let beat = f.beat + ahead * f64::from(f.bpm) / 60.0;
        let quantum = transport.quantum.max(1.0);
        messages.push(m("beat", f1(beat)));
        messages.push(m("bar", vec![OscType::Int((beat / quantum).floor() as i32)]));
        messages.push(m("phase", f1(beat.rem_euclid(1.0))));
        messages.push(m("bar_phase", f1((beat / quantum).rem_euclid(1.0))));
        messages.push(m("bpm", f1(f64::from(f.bpm))));
        pace.master = Held::default();
        for (deck, playback, grid) in &decks {
            let d = deck.index;
            let base = format!("{ROOT}/deck/{}", d + 1);
            if let (Some(Some(df)), Some(held)) = (deck_frames.get(d), pace.decks.get_mut(d)) {
                features(&base, df, held, &mut messages);
                *held = Held::default();
            }
            let m = |leaf: &str, args| OscMessage {
                addr: format!("{base}/{leaf}"),
                args,
            };
            messages.push(m("playing", vec![OscType::Int(i32::from(playback.playing))]));
            messages.push(m("position", f1(playback.position)));
            messages.push(m("bpm", f1(grid.map_or(0.0, |g| g.bpm * playback.rate))));
        }
        let mut at = heard(&engine, sample, now, wall);
        if let Some(last) = pace.last_tag.filter(|l| at <= *l) {
            at = last + std::time::Duration::from_micros(1);
        }
        pace.last_tag = Some(at);
        if let Some(q) = &runtime.query {
            q.update_values(messages.iter().map(|m| (m.addr.clone(), m.args.clone())));
        }
        runtime.send_messages(&mut status, &targets, Timing::At(at), messages);
    }
}

/// Sends cue and loop events as they apply, timetagged with when they are heard.
pub(crate) fn send_events(
    runtime: Res<OscRuntime>,
    mut status: ResMut<OscStatus>,
    engine: Res<EngineStatus>,
    mut applied: MessageReader<Applied>,
) {
    let targets: Vec<_> = runtime.targets(true).collect();
    if targets.is_empty() {
        applied.clear();
        return;
    }
    let (now, wall) = (Instant::now(), SystemTime::now());
    for a in applied.read() {
        let Some((deck, leaf, args)) = event(&a.kind) else {
            continue;
        };
        let msg = OscMessage {
            addr: format!("{ROOT}/deck/{}/{leaf}", deck + 1),
            args,
        };
        let at = heard(&engine, a.frame, now, wall);
        runtime.send_messages(&mut status, &targets, Timing::At(at), vec![msg]);
    }
}

/// The deck, leaf and arguments of a cue or loop event.
fn event<T>(kind: &IntentKind<T>) -> Option<(usize, &'static str, Vec<OscType>)> {
    let s = |x: &str| OscType::String(x.into());
    let slot = |k: usize| OscType::Int(k as i32 + 1);
    Some(match *kind {
        IntentKind::HotCue { deck, slot: k } => (deck, "cue", vec![slot(k), s("jump")]),
        IntentKind::SetHotCue { deck, slot: k, .. } => (deck, "cue", vec![slot(k), s("set")]),
        IntentKind::Cue { deck } => (deck, "cue", vec![OscType::Int(0), s("cue")]),
        IntentKind::LoopIn { deck } => (deck, "loop", vec![s("in")]),
        IntentKind::LoopOut { deck } => (deck, "loop", vec![s("out")]),
        IntentKind::BeatLoop { deck, beats } => (deck, "loop", vec![s("beats"), OscType::Float(beats as f32)]),
        IntentKind::LoopExit { deck } => (deck, "loop", vec![s("exit")]),
        _ => return None,
    })
}

/// Every analysis leaf with its type tag and a description, for the docs and OSCQuery.
pub fn leaves(decks: usize) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let common: [(&str, String, String); 8] = [
        (
            "level",
            "f".into(),
            "RMS level of the newest hop, 0..1 on a -60..0 dB scale".into(),
        ),
        (
            "peak",
            "f".into(),
            "highest peak since the last bundle, 0..1 on a -60..0 dB scale".into(),
        ),
        ("bass", "f".into(), "energy below 250 Hz, 0..1".into()),
        ("mid", "f".into(), "energy from 250 Hz to 4 kHz, 0..1".into()),
        ("high", "f".into(), "energy above 4 kHz, 0..1".into()),
        (
            "bands",
            "f".repeat(BANDS),
            format!("{BANDS} log-spaced band levels, low to high, 0..1"),
        ),
        (
            "onset",
            "f".into(),
            "strength of the strongest onset since the last bundle (0: none)".into(),
        ),
        (
            "hits",
            "iii".into(),
            "onsets since the last bundle in bass, mid and high (1 or 0)".into(),
        ),
    ];
    let mut add = |base: &str, leaf: &str, tag: &str, what: String| {
        out.push((format!("{base}/{leaf}"), tag.to_string(), what));
    };
    let master = format!("{ROOT}/master");
    for (leaf, t, what) in &common {
        add(&master, leaf, t, format!("master: {what}"));
    }
    add(&master, "beat", "f", "the clock's beat count".into());
    add(
        &master,
        "bar",
        "i",
        "the clock's bar count (bars of the set's beats per bar)".into(),
    );
    add(&master, "phase", "f", "position within the beat, 0..1".into());
    add(&master, "bar_phase", "f", "position within the bar, 0..1".into());
    add(&master, "bpm", "f", "the clock's tempo".into());
    for d in 1..=decks {
        let base = format!("{ROOT}/deck/{d}");
        for (leaf, t, what) in &common {
            add(&base, leaf, t, format!("deck {d}: {what}"));
        }
        add(&base, "playing", "i", format!("deck {d} is playing (1) or not (0)"));
        add(
            &base,
            "position",
            "f",
            format!("deck {d}'s playhead, seconds into its track"),
        );
        add(
            &base,
            "bpm",
            "f",
            format!("deck {d}'s tempo as played (its grid's tempo times its rate; 0 without a grid)"),
        );
        add(
            &base,
            "cue",
            "is",
            format!("event: deck {d} jumped to (`jump`), set (`set`) a hot cue 1-8, or cued (0, `cue`)"),
        );
        add(
            &base,
            "loop",
            "s",
            format!("event: deck {d}'s loop: `in`, `out`, `exit`, or `beats` followed by the length as an `f`"),
        );
    }
    out
}
