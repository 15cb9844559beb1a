//! A hand's discrete gestures from its continuous features: opening, closing and pinching,
//! each with hysteresis so a hand held halfway does not chatter, and its palm's velocity
//! from one frame to the next.

use phosphene_controls::input::{Gesture, HandEvent, Which};

use crate::seen::HandSeen;

/// Openness above which a closed hand counts as opened.
pub const OPEN_ABOVE: f32 = 0.7;
/// Openness below which an open hand counts as closed.
pub const CLOSED_BELOW: f32 = 0.3;
/// Pinch closeness above which thumb and index count as pinched.
pub const PINCH_ABOVE: f32 = 0.75;
/// Pinch closeness below which a pinch counts as released.
pub const PINCH_RELEASED_BELOW: f32 = 0.55;

/// What one tracked hand was doing at its last frame.
#[derive(Debug, Clone, Copy, PartialEq)]
struct HandState {
    open: Option<bool>,
    pinched: bool,
    palm: [f32; 2],
    t: f64,
}

/// Follows the hands from frame to frame (by their order of appearance).
#[derive(Debug, Default)]
pub struct HandGestures {
    hands: Vec<HandState>,
}

impl HandGestures {
    /// Fills in each hand's velocity and returns the gestures of this frame (`t` in seconds),
    /// under each hand's side and, for the first hand, under `Any`.
    pub fn update(&mut self, hands: &mut [HandSeen], t: f64) -> Vec<Gesture> {
        let mut events = Vec::new();
        self.hands.truncate(hands.len());
        for (i, h) in hands.iter_mut().enumerate() {
            let Some(was) = self.hands.get(i).copied() else {
                self.hands.push(HandState {
                    open: Self::openness(None, h.openness),
                    pinched: h.pinch >= PINCH_ABOVE,
                    palm: h.palm,
                    t,
                });
                continue;
            };
            let dt = (t - was.t) as f32;
            if dt > 0.0 {
                h.velocity = [(h.palm[0] - was.palm[0]) / dt, (h.palm[1] - was.palm[1]) / dt];
            }
            let open = Self::openness(was.open, h.openness);
            let pinched = if was.pinched {
                h.pinch >= PINCH_RELEASED_BELOW
            } else {
                h.pinch >= PINCH_ABOVE
            };
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
            if pinched && !was.pinched {
                did(HandEvent::Pinch);
            }
            self.hands[i] = HandState {
                open,
                pinched,
                palm: h.palm,
                t,
            };
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

    fn hand(openness: f32, pinch: f32, x: f32) -> HandSeen {
        HandSeen {
            side: Which::Right,
            landmarks: vec![[x, 0.5]; 21],
            palm: [x, 0.5],
            velocity: [0.0, 0.0],
            openness,
            pinch,
            confidence: 0.9,
        }
    }

    #[test]
    fn a_hand_that_closes_opens_and_pinches_says_so_once_each() {
        let mut g = HandGestures::default();
        let mut t = 0.0;
        let mut run = |openness: f32, pinch: f32| {
            t += 1.0 / 30.0;
            g.update(&mut [hand(openness, pinch, 0.5)], t)
        };
        assert!(run(0.9, 0.0).is_empty(), "the first sight of a hand is no gesture");
        assert!(run(0.5, 0.0).is_empty(), "halfway is neither");
        let closed = run(0.1, 0.0);
        assert!(closed.contains(&Gesture::HandDid(Which::Right, HandEvent::Close)));
        assert!(closed.contains(&Gesture::HandDid(Which::Any, HandEvent::Close)));
        assert!(run(0.2, 0.0).is_empty(), "still closed");
        assert!(run(0.8, 0.0).contains(&Gesture::HandDid(Which::Right, HandEvent::Open)));
        assert!(run(0.8, 0.8).contains(&Gesture::HandDid(Which::Right, HandEvent::Pinch)));
        assert!(run(0.8, 0.6).is_empty(), "a pinch held through the jitter fires once");
        assert!(run(0.8, 0.3).is_empty());
        assert!(run(0.8, 0.9).contains(&Gesture::HandDid(Which::Right, HandEvent::Pinch)));
    }

    #[test]
    fn the_palm_velocity_comes_from_the_frame_times() {
        let mut g = HandGestures::default();
        let mut hands = [hand(0.9, 0.0, 0.2)];
        g.update(&mut hands, 1.0);
        let mut hands = [hand(0.9, 0.0, 0.3)];
        g.update(&mut hands, 1.5);
        assert!((hands[0].velocity[0] - 0.2).abs() < 1e-5);
    }
}
