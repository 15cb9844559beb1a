//! Full queues drop intents with a report; nothing blocks and nothing allocates for them.

mod common;
use common::*;
use engine_rt::{DropReason, EngineEvent, IntentKind as K, Quantize};

#[test]
fn full_intent_queue_drops_and_reports_without_blocking() {
    let (mut h, mut p) = engine_with(|c| c.intent_capacity = 8);
    let sent = (0..100)
        .filter(|_| h.act(Quantize::Now, K::Play { deck: 0 }).is_some())
        .count();
    assert_eq!(sent, 8);
    assert_eq!(h.stats().dropped_intents(), 92);
    let dropped: Vec<_> = events(&mut h)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                EngineEvent::Dropped {
                    reason: DropReason::QueueFull,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(dropped.len(), 92);
    render(&mut p, 512, 512);
    // The queue drained: sending works again.
    assert!(h.act(Quantize::Now, K::Pause { deck: 0 }).is_some());
}

#[test]
fn full_pending_list_drops_far_future_intents() {
    let (mut h, mut p) = engine_with(|c| c.pending_capacity = 4);
    for i in 0..10 {
        h.act(Quantize::Beat(100.0 + i as f64), K::Play { deck: 0 });
    }
    render(&mut p, 256, 256);
    let pending_full = events(&mut h)
        .iter()
        .filter(|e| {
            matches!(
                e,
                EngineEvent::Dropped {
                    reason: DropReason::PendingFull,
                    ..
                }
            )
        })
        .count();
    assert_eq!(pending_full, 6);
    assert_eq!(h.stats().dropped_intents(), 6);
}

#[test]
fn invalid_intents_are_reported_not_applied() {
    let (mut h, mut p) = engine();
    let bad = [
        K::Play { deck: 9 },
        K::HotCue { deck: 0, slot: 8 },
        K::FxSlot {
            deck: 0,
            slot: 3,
            fx: None,
        },
        K::SetLoop {
            deck: 0,
            start: 2.0,
            end: 1.0,
            active: true,
        },
    ];
    for k in bad {
        h.act(Quantize::Now, k);
    }
    render(&mut p, 64, 64);
    let invalid = events(&mut h)
        .iter()
        .filter(|e| {
            matches!(
                e,
                EngineEvent::Dropped {
                    reason: DropReason::Invalid,
                    ..
                }
            )
        })
        .count();
    assert_eq!(invalid, 4);
}

#[test]
fn a_full_event_queue_counts_what_it_lost() {
    let (mut h, mut p) = engine_with(|c| c.event_capacity = 4);
    for _ in 0..10 {
        h.act(Quantize::Now, K::Pause { deck: 0 });
    }
    render(&mut p, 64, 64);
    let got = events(&mut h);
    assert_eq!(got.len(), 4);
    // The next event (the 20 ms state report) is preceded by the count of what was lost.
    render(&mut p, 1_000, 64);
    let next = events(&mut h);
    assert!(
        matches!(next.first(), Some(EngineEvent::EventsLost { count: 6 })),
        "{next:?}"
    );
}
