//! The output does not depend on how the host splits blocks, with every feature in play.

mod common;
use common::*;
use engine_rt::{DeckParam, EqBand, FxKind, IntentKind as K, MasterParam, Quantize, XfaderSide};

fn session(block: usize) -> Vec<f32> {
    let (mut h, mut p) = engine_with(|c| c.channels = 2);
    let a = h.share(noise(4 * 48_000, 0.3));
    let b = h.share(sine(4 * 48_000, 330.0, 0.4));
    let at = Quantize::Beat;
    let script = vec![
        (at(0.0), K::Load { deck: 0, track: a }),
        (at(0.0), K::Load { deck: 1, track: b }),
        (
            at(0.0),
            K::XfaderAssign {
                deck: 0,
                side: XfaderSide::A,
            },
        ),
        (
            at(0.0),
            K::XfaderAssign {
                deck: 1,
                side: XfaderSide::B,
            },
        ),
        (at(0.0), K::Play { deck: 0 }),
        (at(0.5), K::KeyLock { deck: 1, on: true }),
        (
            at(0.5),
            K::Rate {
                deck: 1,
                rate: 1.1,
                ramp_beats: 1.0,
            },
        ),
        (at(0.5), K::Play { deck: 1 }),
        (
            at(1.0),
            K::Deck {
                deck: 0,
                param: DeckParam::Filter,
                value: -0.6,
                ramp_beats: 1.0,
            },
        ),
        (
            at(1.25),
            K::EqKill {
                deck: 0,
                band: EqBand::Low,
                on: true,
            },
        ),
        (
            at(1.5),
            K::FxSlot {
                deck: 1,
                slot: 0,
                fx: Some(FxKind::Echo { beats: 0.25 }),
            },
        ),
        (
            at(1.5),
            K::Deck {
                deck: 1,
                param: DeckParam::FxAmount(0),
                value: 0.7,
                ramp_beats: 0.0,
            },
        ),
        (
            at(1.75),
            K::FxSlot {
                deck: 0,
                slot: 1,
                fx: Some(FxKind::Reverb),
            },
        ),
        (
            at(1.75),
            K::Deck {
                deck: 0,
                param: DeckParam::FxAmount(1),
                value: 0.5,
                ramp_beats: 0.5,
            },
        ),
        (
            at(2.0),
            K::Master {
                param: MasterParam::Crossfader,
                value: 0.5,
                ramp_beats: 1.0,
            },
        ),
        (at(2.0), K::BeatLoop { deck: 0, beats: 0.5 }),
        (
            at(2.25),
            K::SetHotCue {
                deck: 1,
                slot: 2,
                seconds: 0.3,
            },
        ),
        (at(2.5), K::HotCue { deck: 1, slot: 2 }),
        (
            at(2.75),
            K::Pitch {
                deck: 0,
                semitones: 3.0,
            },
        ),
        (
            at(3.0),
            K::Tempo {
                bpm: 128.0,
                ramp_beats: 2.0,
            },
        ),
        (at(3.0), K::Sync { deck: 0, on: true }),
        (
            at(3.5),
            K::FxSlot {
                deck: 1,
                slot: 2,
                fx: Some(FxKind::Bitcrusher),
            },
        ),
        (
            at(3.5),
            K::Deck {
                deck: 1,
                param: DeckParam::FxAmount(2),
                value: 1.0,
                ramp_beats: 0.0,
            },
        ),
        (at(4.0), K::LoopExit { deck: 0 }),
        (at(4.0), K::Seek { deck: 1, seconds: 1.0 }),
        (at(4.5), K::Stop { deck: 0 }),
        (at(5.0), K::Pause { deck: 1 }),
    ];
    for (q, k) in script {
        assert!(h.act(q, k).is_some());
    }
    render(&mut p, 6 * 24_000, block)
}

#[test]
fn blocks_of_1_64_100_512_render_identical_samples() {
    let reference = session(512);
    assert!(reference.iter().any(|v| v.abs() > 0.05), "the session is audible");
    for block in [1, 64, 100] {
        let out = session(block);
        assert_eq!(out.len(), reference.len());
        if let Some(i) = out.iter().zip(&reference).position(|(a, b)| a.to_bits() != b.to_bits()) {
            panic!(
                "block {block}: first difference at sample {i}: {} vs {}",
                out[i], reference[i]
            );
        }
    }
}
