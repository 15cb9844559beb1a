//! A hand's discrete gestures from its continuous features: opening and closing (with
//! hysteresis, so a hand held halfway does not chatter) and pinching (the tracker's own
//! hysteresis), and its palm's velocity. Hands are followed from frame to frame by where their
//! palms are, not by their order: when one of two hands leaves, the other keeps its history.

use phosphene_controls::input::{Gesture, HandEvent, Which};

use crate::seen::HandSeen;

/// Openness above which a closed hand counts as opened.
pub const OPEN_ABOVE: f32 = 0.7;
/// Openness below which an open hand counts as closed.
pub const CLOSED_BELOW: f32 = 0.3;
/// Farthest a palm moves between two frames and still counts as the same hand, in pictures
/// (a hand a fifth of the picture away is another hand).
pub const SAME_HAND_WITHIN: f32 = 0.2;

/// What one tracked hand was doing at its last frame.
#[derive(Debug, Clone, Copy, PartialEq)]
struct HandState {
    open: Option<bool>,
    pinched: bool,
    palm: [f32; 2],
    t: f64,
}

/// Follows the hands from frame to frame.
#[derive(Debug, Default)]
pub struct HandGestures {
    hands: Vec<HandState>,
}

impl HandGestures {
    /// Fills in each hand's velocity and returns the gestures of this frame (`t` in seconds),
    /// under each hand's side and, for the first hand, under `Any`. A hand seen for the first
    /// time makes no gesture and has no velocity yet.
    pub fn update(&mut self, hands: &mut [HandSeen], t: f64) -> Vec<Gesture> {
        let mut events = Vec::new();
        let mut before = std::mem::take(&mut self.hands);
        for (i, h) in hands.iter_mut().enumerate() {
            let open_now = Self::openness(None, h.openness);
            let nearest = before
                .iter()
                .enumerate()
                .map(|(k, s)| (k, (s.palm[0] - h.palm[0]).hypot(s.palm[1] - h.palm[1])))
                .filter(|(_, d)| *d <= SAME_HAND_WITHIN)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(k, _)| before.swap_remove(k));
            let Some(was) = nearest else {
                h.velocity = [0.0, 0.0];
                self.hands.push(HandState {
                    open: open_now,
                    pinched: h.pinched,
                    palm: h.palm,
                    t,
                });
                continue;
            };
            let dt = (t - was.t) as f32;
            h.velocity = if dt > 0.0 {
                [(h.palm[0] - was.palm[0]) / dt, (h.palm[1] - was.palm[1]) / dt]
            } else {
                [0.0, 0.0]
            };
            let open = Self::openness(was.open, h.openness);
            let mut did = |e: HandEvent| {
                events.push(Gesture::HandDid(h.side, e));
                if i == 0 {
                    events.push(Gesture::HandDid(Which::Any, e));
                }
            };
            match (was.open, open) {
                (Some(false), Some(true)) => did(HandEvent::Open),
                (Some(true), Some(false)) => did(HandEvent::Close),
                _ => {}
            }
            if h.pinched && !was.pinched {
                did(HandEvent::Pinch);
            }
            self.hands.push(HandState {
                open,
                pinched: h.pinched,
                palm: h.palm,
                t,
            });
        }
        events
    }

    /// Open, closed, or (between the thresholds, never yet decided) undecided.
    fn openness(was: Option<bool>, openness: f32) -> Option<bool> {
        if openness >= OPEN_ABOVE {
            Some(true)
        } else if openness <= CLOSED_BELOW {
            Some(false)
        } else {
            was
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hand(openness: f32, pinched: bool, x: f32) -> HandSeen {
        HandSeen {
            side: Which::Right,
            landmarks: vec![[x, 0.5]; 21],
            palm: [x, 0.5],
            velocity: [0.0, 0.0],
            openness,
            pinch: if pinched { 0.9 } else { 0.1 },
            pinched,
            confidence: 0.9,
        }
    }

    #[test]
    fn a_hand_that_closes_opens_and_pinches_says_so_once_each() {
        let mut g = HandGestures::default();
        let mut t = 0.0;
        let mut run = |openness: f32, pinched: bool| {
            t += 1.0 / 30.0;
            g.update(&mut [hand(openness, pinched, 0.5)], t)
        };
        assert!(run(0.9, false).is_empty(), "the first sight of a hand is no gesture");
        assert!(run(0.5, false).is_empty(), "halfway is neither");
        let closed = run(0.1, false);
        assert!(closed.contains(&Gesture::HandDid(Which::Right, HandEvent::Close)));
        assert!(closed.contains(&Gesture::HandDid(Which::Any, HandEvent::Close)));
        assert!(run(0.2, false).is_empty(), "still closed");
        assert!(run(0.8, false).contains(&Gesture::HandDid(Which::Right, HandEvent::Open)));
        assert!(run(0.8, true).contains(&Gesture::HandDid(Which::Right, HandEvent::Pinch)));
        assert!(run(0.8, true).is_empty(), "a pinch held fires once");
        assert!(run(0.8, false).is_empty());
        assert!(run(0.8, true).contains(&Gesture::HandDid(Which::Right, HandEvent::Pinch)));
    }

    #[test]
    fn the_palm_velocity_comes_from_the_frame_times() {
        let mut g = HandGestures::default();
        g.update(&mut [hand(0.9, false, 0.2)], 1.0);
        let mut hands = [hand(0.9, false, 0.3)];
        g.update(&mut hands, 1.5);
        assert!((hands[0].velocity[0] - 0.2).abs() < 1e-5);
    }

    #[test]
    fn when_one_of_two_hands_leaves_the_other_keeps_its_own_history() {
        let mut g = HandGestures::default();
        g.update(&mut [hand(0.9, false, 0.2), hand(0.1, false, 0.8)], 1.0);
        // The left one leaves; the right one, closed all along, is now first.
        let mut hands = [hand(0.1, false, 0.8)];
        let events = g.update(&mut hands, 1.0 + 1.0 / 30.0);
        assert!(events.is_empty(), "no close for a hand that never opened: {events:?}");
        assert_eq!(hands[0].velocity, [0.0, 0.0], "no leap across the picture");
    }
}
