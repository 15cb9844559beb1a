//! Beat jumps, loop moves and scaling, loop rolls, slip and grid corrections land on the exact
//! frame of their quantized beat and move the playhead by exact grid amounts, whatever the block.

mod common;
use common::*;
use engine_rt::{EngineEvent, IntentKind as K, Quantize};

const FPB: f64 = 24_000.0; // frames per beat at 120 BPM, 48 kHz

/// Deck 0's playhead, in track frames, at each report while rendering `beats` beats after the
/// intents `moves` (a 120 BPM track playing from frame 0), keyed by output frame.
fn playhead(moves: &[(Quantize, K<()>)], beats: usize, block: usize) -> Vec<(u64, f64)> {
    let (mut h, mut p) = engine();
    let t = h.share(sine(48_000 * 40, 440.0, 0.25));
    h.act(Quantize::Now, K::Load { deck: 0, track: t });
    h.act(Quantize::Now, K::Play { deck: 0 });
    for (at, m) in moves {
        h.act(*at, m.clone().map_track(|_| unreachable!("no loads among the moves")));
    }
    let mut out = Vec::new();
    let mut frame = 0u64;
    let step = 960usize;
    for _ in 0..(beats * FPB as usize / step) {
        render(&mut p, step, block.min(step));
        frame += step as u64;
        for e in events(&mut h) {
            if let EngineEvent::DeckState { deck: 0, position, .. } = e {
                out.push((frame, position));
            }
        }
    }
    out
}

/// The playhead at output frame `f` (a report frame).
fn at(trace: &[(u64, f64)], f: f64) -> f64 {
    trace
        .iter()
        .find(|(frame, _)| *frame == f as u64)
        .map(|(_, p)| *p)
        .unwrap_or_else(|| panic!("no report at frame {f}"))
}

/// The playhead's offset from a deck that only played, at output frame `f`.
fn shift(moves: &[(Quantize, K<()>)], f: f64, block: usize) -> f64 {
    let plain = playhead(&[], 12, block);
    let moved = playhead(moves, 12, block);
    at(&moved, f) - at(&plain, f)
}

#[test]
fn beat_jumps_move_by_whole_grid_beats_on_the_quantized_beat() {
    for block in [1, 100, 512] {
        let moves = [
            (Quantize::Beat(2.0), K::BeatJump { deck: 0, beats: 4.0 }),
            (Quantize::Beat(6.0), K::BeatJump { deck: 0, beats: -1.0 }),
        ];
        let (plain, moved) = (playhead(&[], 9, block), playhead(&moves, 9, block));
        // Before beat 2 nothing moved; from it on the deck is 4 beats ahead, then 3.
        assert_eq!(at(&moved, FPB) - at(&plain, FPB), 0.0, "block {block}");
        assert_eq!(
            at(&moved, 3.0 * FPB) - at(&plain, 3.0 * FPB),
            4.0 * FPB,
            "block {block}"
        );
        assert_eq!(
            at(&moved, 8.0 * FPB) - at(&plain, 8.0 * FPB),
            3.0 * FPB,
            "block {block}"
        );
    }
}

#[test]
fn a_corrected_grid_changes_the_beat_length_of_jumps() {
    // 100 BPM: 28,800 frames a beat.
    let moves = [
        (
            Quantize::Now,
            K::SetGrid {
                deck: 0,
                bpm: 100.0,
                first_beat: 0.0,
            },
        ),
        (Quantize::Beat(1.0), K::BeatJump { deck: 0, beats: 2.0 }),
    ];
    assert_eq!(shift(&moves, 4.0 * FPB, 256), 2.0 * 28_800.0);
}

#[test]
fn a_loop_roll_returns_to_where_the_track_would_have_been() {
    for block in [1, 333] {
        let moves = [
            (
                Quantize::Beat(1.0),
                K::LoopRoll {
                    deck: 0,
                    beats: Some(0.5),
                },
            ),
            (Quantize::Beat(4.0), K::LoopRoll { deck: 0, beats: None }),
        ];
        let trace = playhead(&moves, 8, block);
        // While rolling, the playhead stays in the half beat from beat 1.
        let inside = at(&trace, 3.0 * FPB);
        assert!((FPB..1.5 * FPB).contains(&inside), "rolling at {inside}, block {block}");
        assert_eq!(shift(&moves, 6.0 * FPB, block), 0.0, "after the roll, block {block}");
    }
}

#[test]
fn slip_mode_returns_from_a_loop_and_from_a_jump() {
    let loop_then_exit = [
        (Quantize::Now, K::Slip { deck: 0, on: true }),
        (Quantize::Beat(1.0), K::BeatLoop { deck: 0, beats: 1.0 }),
        (Quantize::Beat(5.0), K::LoopExit { deck: 0 }),
    ];
    assert_eq!(shift(&loop_then_exit, 7.0 * FPB, 256), 0.0);
    let jump_then_slip_off = [
        (Quantize::Now, K::Slip { deck: 0, on: true }),
        (Quantize::Beat(1.0), K::BeatJump { deck: 0, beats: 8.0 }),
        (Quantize::Beat(3.0), K::Slip { deck: 0, on: false }),
    ];
    assert_eq!(shift(&jump_then_slip_off, 2.0 * FPB, 256), 8.0 * FPB);
    assert_eq!(shift(&jump_then_slip_off, 5.0 * FPB, 256), 0.0);
    // Without slip, leaving a loop plays on from inside it.
    let plain_loop = [
        (Quantize::Beat(1.0), K::BeatLoop { deck: 0, beats: 1.0 }),
        (Quantize::Beat(5.0), K::LoopExit { deck: 0 }),
    ];
    assert_eq!(shift(&plain_loop, 7.0 * FPB, 256), -4.0 * FPB);
}

#[test]
fn loops_halve_double_and_move_by_grid_beats() {
    // A 2-beat loop from beat 0; halved at beat 3 (the playhead, 1 beat in, wraps to the start).
    let halve = [
        (Quantize::Now, K::BeatLoop { deck: 0, beats: 2.0 }),
        (Quantize::Beat(3.0), K::LoopScale { deck: 0, factor: 0.5 }),
    ];
    // (A report shows the state before the intents of its frame: look one report later.)
    const NEXT: f64 = 960.0;
    let trace = playhead(&halve, 6, 256);
    assert_eq!(at(&trace, 3.0 * FPB + NEXT), NEXT, "wrapped into the halved loop");
    assert!(trace.iter().all(|(f, p)| *f <= 3 * FPB as u64 || *p < FPB));
    // Doubled, the loop runs 4 beats; moved by 4 beats, so does the playhead inside it.
    let double_move = [
        (Quantize::Now, K::BeatLoop { deck: 0, beats: 2.0 }),
        (Quantize::Beat(1.0), K::LoopScale { deck: 0, factor: 2.0 }),
        (Quantize::Beat(3.0), K::LoopMove { deck: 0, beats: 4.0 }),
    ];
    let trace = playhead(&double_move, 6, 256);
    assert_eq!(at(&trace, 2.0 * FPB), 2.0 * FPB, "no wrap at the old end");
    assert_eq!(at(&trace, 3.0 * FPB + NEXT), 7.0 * FPB + NEXT, "moved with the loop");
    assert_eq!(at(&trace, 5.0 * FPB), 5.0 * FPB, "wrapped at the moved end");
}

#[test]
fn out_of_range_moves_are_refused_where_they_enter() {
    let refused = [
        K::<()>::BeatJump { deck: 0, beats: 64.0 },
        K::LoopScale { deck: 0, factor: 3.0 },
        K::LoopRoll {
            deck: 0,
            beats: Some(f64::NAN),
        },
        K::SetGrid {
            deck: 0,
            bpm: 0.0,
            first_beat: 0.0,
        },
    ];
    for k in refused {
        let name = k.name();
        assert!(k.checked_with(engine_rt::ranges::Range::check).is_err(), "{name}");
    }
}

/// The engine's clock with moves of its timeline injected, as an Ableton Link session makes
/// when another peer changes tempo or phase, or when the output's timing moves under load (see
/// `BeatClock::take_jump`): `beats` at each of `moves` blocks from `at_frame` on.
struct MovedClock {
    inner: engine_rt::InternalClock,
    at_frame: u64,
    beats: f64,
    moves: u32,
    pending: f64,
}

impl engine_rt::BeatClock for MovedClock {
    fn begin_block(&mut self, frame: u64) {
        if frame >= self.at_frame && self.moves > 0 {
            let f = frame as f64;
            let (beat, bpm) = (self.inner.beat_at(f), self.inner.bpm_at(f));
            self.inner.restart(f, beat + self.beats, bpm);
            self.pending = self.beats;
            self.moves -= 1;
        }
    }
    fn take_jump(&mut self) -> f64 {
        std::mem::take(&mut self.pending)
    }
    beat_clock_from_inner!();
}

const MOVED_AT: u64 = 48_000;
const CALLBACK: usize = 256;

/// How far a synced deck's playhead (track frames) is from one whose clock did not move, at
/// output frame `at` (a report frame), when the clock's timeline moved `beats` at each of `moves`
/// callbacks of 256 frames from frame 48 000 on.
fn synced_shift(beats: f64, moves: u32, at: u64) -> f64 {
    let playhead = |beats: f64| {
        let (mut h, mut p) = engine();
        p.set_clock(Box::new(MovedClock {
            inner: engine_rt::InternalClock::new(48_000, 120.0, 4.0),
            at_frame: MOVED_AT,
            beats,
            moves,
            pending: 0.0,
        }));
        let t = h.share(sine(48_000 * 20, 440.0, 0.25));
        h.act(Quantize::Now, K::Load { deck: 0, track: t });
        h.act(Quantize::Now, K::Sync { deck: 0, on: true });
        h.act(Quantize::Now, K::Play { deck: 0 });
        let mut position = 0.0;
        let mut frame = 0;
        while frame < at {
            render(&mut p, 960, CALLBACK);
            frame += 960;
            for e in events(&mut h) {
                if let EngineEvent::DeckState {
                    deck: 0, position: pos, ..
                } = e
                {
                    position = pos;
                }
            }
        }
        position
    };
    playhead(beats) - playhead(0.0)
}

#[test]
fn a_synced_deck_follows_its_clocks_timeline_when_it_moves() {
    let two_seconds = MOVED_AT + 96_000;
    // A move under a millisecond is made up by a nudge (a tenth-of-a-second time constant).
    let nudged = synced_shift(0.001, 1, two_seconds);
    assert!((nudged - 0.001 * FPB).abs() < 2.0, "nudged by {nudged} frames");
    // A large one (joining a session) is a jump into phase; whole beats are not followed.
    let jumped = synced_shift(2.3, 1, two_seconds);
    assert!((jumped - 0.3 * FPB).abs() < 2.0, "jumped by {jumped} frames");
}

#[test]
fn a_synced_deck_is_back_in_phase_within_ten_callbacks_of_a_dropped_block_or_a_run_of_moves() {
    // The last report within ten callbacks of the last move (reports come every 960 frames).
    let within_ten = |moves: u64| (MOVED_AT + (moves + 10) * CALLBACK as u64) / 960 * 960;
    let ms = 48.0;
    // A dropped block: the timeline moves on by one callback's length at once.
    let block = CALLBACK as f64 / FPB;
    let dropped = synced_shift(block, 1, within_ten(1));
    assert!((dropped - CALLBACK as f64).abs() < ms, "followed by {dropped} frames");
    // Eight moves of 0.75 ms, each too small to jump for on its own, add up to 6 ms.
    let small = 0.75 * ms / FPB;
    let run = synced_shift(small, 8, within_ten(8));
    assert!((run - 8.0 * small * FPB).abs() < ms, "followed by {run} frames");
}
