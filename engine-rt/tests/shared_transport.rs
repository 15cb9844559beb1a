//! A transport shared with other players (Ableton Link's start/stop sync), through the
//! `BeatClock` hooks: synced decks start on the bar line after another player's start and pause
//! at its stop, at exact frames; a performer's first synced start and last synced stop are
//! published at their beats. The Link clock itself is tested against real peers in
//! `tests/link.rs`.

mod common;
use std::sync::{Arc, Mutex};

use common::*;
use engine_rt::{BeatClock, ENGINE_INTENT, EngineEvent, IntentKind as K, InternalClock, Quantize, TransportChange};

const FPB: u64 = 24_000; // frames per beat at 120 BPM, 48 kHz

/// The engine's own clock with a shared transport: changes another player makes are injected
/// at frames, and what the engine publishes is logged.
struct SharedClock {
    inner: InternalClock,
    playing: bool,
    /// (frame from which it is read, the change), in order.
    injected: Vec<(u64, TransportChange)>,
    change: Option<TransportChange>,
    published: Arc<Mutex<Vec<(bool, f64)>>>,
}

impl BeatClock for SharedClock {
    fn begin_block(&mut self, frame: u64) {
        if self.injected.first().is_some_and(|(at, _)| frame >= *at) {
            let (_, c) = self.injected.remove(0);
            self.playing = c.playing;
            self.change = Some(c);
        }
    }
    beat_clock_from_inner!();
    fn transport(&self) -> Option<bool> {
        Some(self.playing)
    }
    fn take_transport(&mut self) -> Option<TransportChange> {
        self.change.take()
    }
    fn publish_transport(&mut self, playing: bool, beat: f64) {
        self.playing = playing;
        self.published.lock().expect("log").push((playing, beat));
    }
}

struct Rig {
    h: engine_rt::EngineHandle,
    p: engine_rt::EngineProcessor,
    published: Arc<Mutex<Vec<(bool, f64)>>>,
    /// Engine-made intents applied: (frame, beat).
    own: Vec<(u64, f64)>,
    /// Each deck's playing state as last reported.
    playing: [bool; 4],
    /// Deck 0's playhead (track frames) at each report, by output frame, while it plays.
    trace: Vec<(u64, f64)>,
}

/// Deck 0 synced, decks 1 and 3 not, deck 2 synced with no track; all loaded decks stopped;
/// the shared transport stopped, with `injected` changes to come.
fn rig(injected: Vec<(u64, TransportChange)>) -> Rig {
    let (mut h, mut p) = engine();
    let published = Arc::new(Mutex::new(Vec::new()));
    p.set_clock(Box::new(SharedClock {
        inner: InternalClock::new(SR, 120.0, 4.0),
        playing: false,
        injected,
        change: None,
        published: published.clone(),
    }));
    for deck in [0, 1, 3] {
        let t = h.share(sine(SR as usize * 30, 440.0, 0.25));
        h.act(Quantize::Now, K::Load { deck, track: t });
    }
    h.act(Quantize::Now, K::Sync { deck: 0, on: true });
    h.act(Quantize::Now, K::Sync { deck: 2, on: true });
    Rig {
        h,
        p,
        published,
        own: Vec::new(),
        playing: [false; 4],
        trace: Vec::new(),
    }
}

impl Rig {
    /// Renders up to output frame `to` in 256-frame blocks, collecting what happened.
    fn run_to(&mut self, to: u64) {
        let mut position = 0.0;
        while self.p.frame() < to {
            render(&mut self.p, 256, 256);
            for e in events(&mut self.h) {
                match e {
                    EngineEvent::Applied {
                        id: ENGINE_INTENT,
                        frame,
                        beat,
                    } => self.own.push((frame, beat)),
                    EngineEvent::DeckState {
                        deck,
                        playing,
                        position: at,
                        ..
                    } => {
                        self.playing[deck] = playing;
                        if deck == 0 {
                            position = at;
                        }
                    }
                    // Sent after the decks' states of the same frame.
                    EngineEvent::MasterState { frame, .. } if self.playing[0] => {
                        self.trace.push((frame, position));
                    }
                    _ => {}
                }
            }
        }
    }

    /// Deck 0's playhead at every report traced says it played from track frame `from` at
    /// output frame `at`, at rate 1.
    fn assert_played_from(&self, from: u64, at: u64) {
        assert!(!self.trace.is_empty(), "deck 0 played");
        for &(frame, position) in &self.trace {
            let expected = (from + frame - at) as f64;
            assert!(
                (position - expected).abs() < 1.0,
                "at {frame}: {position} against {expected}"
            );
        }
    }

    fn published(&self) -> Vec<(bool, f64)> {
        self.published.lock().expect("log").clone()
    }
}

#[test]
fn another_players_start_starts_the_synced_decks_on_the_next_bar_line() {
    // Started at beat 5.5 (read a little later, at beat 6): the other players' first bar line
    // from there is beat 8.
    let mut r = rig(vec![(
        6 * FPB,
        TransportChange {
            playing: true,
            beat: 5.5,
        },
    )]);
    // Deck 3 is synced after the start was read, before its bar line: it starts too.
    r.h.act(Quantize::Beat(7.0), K::Sync { deck: 3, on: true });
    r.run_to(12 * FPB);
    assert_eq!(r.own, vec![(8 * FPB, 8.0); 2], "decks 0 and 3, on the bar line's frame");
    assert_eq!(r.playing, [true, false, false, true], "unsynced and empty decks stay");
    assert!(r.published().is_empty(), "following is not leading");
}

#[test]
fn a_start_read_after_its_bar_line_plays_where_the_deck_would_be() {
    // Started at beat 5, read at beat 9: the bar line (8) was rendered already.
    let mut r = rig(vec![(
        9 * FPB,
        TransportChange {
            playing: true,
            beat: 5.0,
        },
    )]);
    r.run_to(11 * FPB);
    let read = (9 * FPB).div_ceil(256) * 256;
    assert_eq!(r.own.len(), 1);
    assert_eq!(r.own[0].0, read, "at once, in the block that read it");
    // The 120 BPM track at 120 BPM: as if started from its cue (frame 0) on beat 8.
    r.assert_played_from(0, 8 * FPB);
}

#[test]
fn another_players_stop_pauses_the_synced_decks_and_calls_off_waiting_starts() {
    let start = |beat| TransportChange { playing: true, beat };
    let stop = |beat| TransportChange { playing: false, beat };
    // Start at 1 (deck 0 waits for beat 4), stop at 2.5 before it came: nothing plays. Start
    // at 9 (deck 0 plays from 12), stop at 14.25, read a beat later: it pauses at once.
    // Started again at 17, deck 0 comes back on the bar line at 20 on a beat of its grid.
    let mut r = rig(vec![
        (FPB, start(1.0)),
        (3 * FPB, stop(2.5)),
        (9 * FPB, start(9.0)),
        (15 * FPB + FPB / 4, stop(14.25)),
        (17 * FPB, start(17.0)),
    ]);
    r.run_to(8 * FPB);
    assert!(
        r.own.is_empty(),
        "the start waiting for beat 4 was called off: {:?}",
        r.own
    );
    assert!(!r.playing[0]);
    r.run_to(13 * FPB);
    assert_eq!(r.own, vec![(12 * FPB, 12.0)]);
    assert!(r.playing[0]);
    r.run_to(17 * FPB);
    // The pause at the block that read it (the stop's own moment had passed).
    assert_eq!(r.own.len(), 2, "{:?}", r.own);
    let read = (15 * FPB + FPB / 4).div_ceil(256) * 256;
    assert_eq!(r.own[1].0, read, "the first block at or after the read");
    assert!(!r.playing[0]);
    r.trace.clear();
    r.run_to(22 * FPB);
    assert_eq!(r.own.len(), 3);
    // Paused a quarter beat (and the declick) into its fourth beat: back from its fourth.
    r.assert_played_from(3 * FPB, 20 * FPB);
    assert!(r.published().is_empty());
}

#[test]
fn the_first_synced_start_and_the_last_synced_stop_lead_the_transport() {
    let mut r = rig(Vec::new());
    // An unsynced deck leads nothing.
    r.h.act(Quantize::NextBar, K::Play { deck: 1 });
    r.run_to(2 * FPB);
    assert!(r.published().is_empty());
    // The synced deck's start, quantized to beat 4, starts the transport there, told as soon
    // as the launch arrives (beat 2), not when it lands.
    r.h.act(Quantize::NextBar, K::Play { deck: 0 });
    r.run_to(2 * FPB + 256);
    assert_eq!(r.published(), vec![(true, 4.0)]);
    r.run_to(5 * FPB);
    assert_eq!(r.published(), vec![(true, 4.0)], "once");
    // Stopping the unsynced deck, or an empty synced one, stops nothing; the last synced
    // deck's pause stops the transport at its beat.
    r.h.act(Quantize::Now, K::Pause { deck: 1 });
    r.h.act(Quantize::Now, K::Stop { deck: 2 });
    r.run_to(6 * FPB);
    assert_eq!(r.published().len(), 1);
    r.h.act(Quantize::NextBeat, K::Pause { deck: 0 });
    r.run_to(8 * FPB);
    assert_eq!(r.published(), vec![(true, 4.0), (false, 7.0)]);
    // A stop of a deck already stopped publishes nothing.
    r.h.act(Quantize::Now, K::Stop { deck: 0 });
    r.run_to(9 * FPB);
    assert_eq!(r.published().len(), 2);
}

#[test]
fn a_launch_whose_start_another_player_stopped_starts_the_transport_again_when_it_lands() {
    let mut r = rig(vec![(
        3 * FPB,
        TransportChange {
            playing: false,
            beat: 3.0,
        },
    )]);
    r.run_to(2 * FPB);
    r.h.act(Quantize::NextBar, K::Play { deck: 0 });
    r.run_to(5 * FPB);
    assert!(r.playing[0], "the performer's launch stands");
    assert_eq!(r.published(), vec![(true, 4.0), (true, 4.0)]);
}
