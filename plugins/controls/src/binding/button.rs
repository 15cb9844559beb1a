//! Button behaviours: turning press/release edges (and the passage of time) into actions.

use serde::{Deserialize, Serialize};

fn default_button_ms() -> u32 {
    300
}

/// How a button's presses and releases become actions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ButtonMode {
    /// Press gives `Set(true)`, release `Set(false)`: holds, momentary toggles, and (on a Trigger
    /// control) firing on the press.
    #[default]
    Momentary,
    /// Each press flips the state and gives `Set(new state)`; releases do nothing.
    Toggle,
    /// Release gives `Fire` (nothing on the press), for actions that must not happen while held.
    OnRelease,
    /// A release before `hold_ms` gives `Tap`; holding past it gives `Hold` once (from `tick`, or at
    /// the release if no tick came in time), then `HoldEnd` at the release. Written `HoldTap()` or
    /// `HoldTap(hold_ms: 500)` in RON.
    HoldTap {
        /// How long a press must last to count as a hold, in ms (default 300).
        #[serde(default = "default_button_ms")]
        hold_ms: u32,
    },
    /// A second press within `window_ms` of the first gives `DoubleTap`; otherwise the first press gives
    /// `Tap` once the window has passed (so single taps arrive `window_ms` late). Written `DoubleTap()`
    /// or `DoubleTap(window_ms: 250)` in RON.
    DoubleTap {
        /// Longest time from the first press to the second, in ms (default 300).
        #[serde(default = "default_button_ms")]
        window_ms: u32,
    },
}

impl ButtonMode {
    /// Refuses zero-length hold and double-tap windows.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            ButtonMode::HoldTap { hold_ms: 0 } => Err("button HoldTap: hold_ms must be above 0".into()),
            ButtonMode::DoubleTap { window_ms: 0 } => Err("button DoubleTap: window_ms must be above 0".into()),
            _ => Ok(()),
        }
    }
}

/// One action produced by a button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ButtonOut {
    /// Fire a trigger (from `OnRelease`).
    Fire,
    /// Set an on/off state (from `Momentary` and `Toggle`).
    Set(bool),
    /// A short press (from `HoldTap` and `DoubleTap`).
    Tap,
    /// The press has lasted past `hold_ms` (from `HoldTap`).
    Hold,
    /// The button was released after a `Hold` (for hold-to-preview style actions; ignore otherwise).
    HoldEnd,
    /// Two presses within `window_ms` (from `DoubleTap`).
    DoubleTap,
}

/// Most actions one event can produce (a late `Hold` plus `HoldEnd` at a release).
const OUT_CAPACITY: usize = 2;

/// The actions produced by one event: a fixed-capacity list that never allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ButtonOuts {
    items: [ButtonOut; OUT_CAPACITY],
    len: u8,
}

impl ButtonOuts {
    const EMPTY: ButtonOuts = ButtonOuts {
        items: [ButtonOut::Fire; OUT_CAPACITY],
        len: 0,
    };

    fn one(out: ButtonOut) -> Self {
        let mut outs = Self::EMPTY;
        outs.push(out);
        outs
    }

    fn push(&mut self, out: ButtonOut) {
        // The state machine never produces more than the capacity; ignoring overflow keeps this panic-free.
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = out;
            self.len += 1;
        }
    }

    /// The actions, in order.
    pub fn as_slice(&self) -> &[ButtonOut] {
        &self.items[..usize::from(self.len)]
    }

    /// Number of actions.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when the event produced nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Iterates over the actions.
    pub fn iter(&self) -> std::slice::Iter<'_, ButtonOut> {
        self.as_slice().iter()
    }
}

impl<'a> IntoIterator for &'a ButtonOuts {
    type Item = &'a ButtonOut;
    type IntoIter = std::slice::Iter<'a, ButtonOut>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Press/release state of one button binding. Time comes only from the timestamps passed in.
#[derive(Clone, Copy, Debug, Default)]
pub struct ButtonState {
    pressed: bool,
    on: bool,
    pressed_at: u64,
    hold_fired: bool,
    /// `DoubleTap`: time of a first press still waiting for a second.
    pending_tap: Option<u64>,
}

impl ButtonState {
    /// A released, off button.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles a press. A press while already pressed (a repeated note-on) is ignored.
    pub fn press(&mut self, mode: ButtonMode, now_us: u64) -> ButtonOuts {
        if self.pressed {
            return ButtonOuts::EMPTY;
        }
        self.pressed = true;
        self.pressed_at = now_us;
        self.hold_fired = false;
        match mode {
            ButtonMode::Momentary => {
                self.on = true;
                ButtonOuts::one(ButtonOut::Set(true))
            }
            ButtonMode::Toggle => {
                self.on = !self.on;
                ButtonOuts::one(ButtonOut::Set(self.on))
            }
            ButtonMode::OnRelease | ButtonMode::HoldTap { .. } => ButtonOuts::EMPTY,
            ButtonMode::DoubleTap { window_ms } => match self.pending_tap.take() {
                Some(first) if now_us.saturating_sub(first) <= ms_to_us(window_ms) => {
                    ButtonOuts::one(ButtonOut::DoubleTap)
                }
                Some(_) => {
                    // The previous tap's window ran out without a tick: deliver it now.
                    self.pending_tap = Some(now_us);
                    ButtonOuts::one(ButtonOut::Tap)
                }
                None => {
                    self.pending_tap = Some(now_us);
                    ButtonOuts::EMPTY
                }
            },
        }
    }

    /// Handles a release. A release while not pressed (a stray note-off) is ignored.
    pub fn release(&mut self, mode: ButtonMode, now_us: u64) -> ButtonOuts {
        if !self.pressed {
            return ButtonOuts::EMPTY;
        }
        self.pressed = false;
        match mode {
            ButtonMode::Momentary => {
                self.on = false;
                ButtonOuts::one(ButtonOut::Set(false))
            }
            ButtonMode::Toggle | ButtonMode::DoubleTap { .. } => ButtonOuts::EMPTY,
            ButtonMode::OnRelease => ButtonOuts::one(ButtonOut::Fire),
            ButtonMode::HoldTap { hold_ms } => {
                if self.hold_fired {
                    ButtonOuts::one(ButtonOut::HoldEnd)
                } else if now_us.saturating_sub(self.pressed_at) >= ms_to_us(hold_ms) {
                    let mut outs = ButtonOuts::one(ButtonOut::Hold);
                    outs.push(ButtonOut::HoldEnd);
                    outs
                } else {
                    ButtonOuts::one(ButtonOut::Tap)
                }
            }
        }
    }

    /// Advances time: fires `Hold` for a press held past `hold_ms`, and the delayed `Tap` once a
    /// double-tap window has passed. Call it at or after [`ButtonState::next_deadline`].
    pub fn tick(&mut self, mode: ButtonMode, now_us: u64) -> ButtonOuts {
        match mode {
            ButtonMode::HoldTap { hold_ms }
                if self.pressed && !self.hold_fired && now_us.saturating_sub(self.pressed_at) >= ms_to_us(hold_ms) =>
            {
                self.hold_fired = true;
                ButtonOuts::one(ButtonOut::Hold)
            }
            ButtonMode::DoubleTap { window_ms } => match self.pending_tap {
                Some(first) if now_us.saturating_sub(first) > ms_to_us(window_ms) => {
                    self.pending_tap = None;
                    ButtonOuts::one(ButtonOut::Tap)
                }
                _ => ButtonOuts::EMPTY,
            },
            _ => ButtonOuts::EMPTY,
        }
    }

    /// When the next `tick` could produce something (µs), or `None` when nothing is pending, so the
    /// caller only schedules ticks while they matter.
    pub fn next_deadline(&self, mode: ButtonMode) -> Option<u64> {
        match mode {
            ButtonMode::HoldTap { hold_ms } if self.pressed && !self.hold_fired => {
                Some(self.pressed_at.saturating_add(ms_to_us(hold_ms)))
            }
            ButtonMode::DoubleTap { window_ms } => self
                .pending_tap
                .map(|first| first.saturating_add(ms_to_us(window_ms)).saturating_add(1)),
            _ => None,
        }
    }

    /// Whether the button is held down.
    pub fn is_pressed(&self) -> bool {
        self.pressed
    }

    /// The on/off state kept by `Momentary` and `Toggle`.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Aligns the `Toggle` state with the control when something else changed it (UI, another binding),
    /// so the next press flips from the control's real state.
    pub fn sync(&mut self, on: bool) {
        self.on = on;
    }
}

fn ms_to_us(ms: u32) -> u64 {
    u64::from(ms) * 1000
}

#[cfg(test)]
mod tests {
    use super::*;
    use ButtonOut::*;

    const MS: u64 = 1000;
    const HOLD: ButtonMode = ButtonMode::HoldTap { hold_ms: 300 };
    const DOUBLE: ButtonMode = ButtonMode::DoubleTap { window_ms: 300 };

    #[test]
    fn momentary() {
        let mut b = ButtonState::new();
        assert_eq!(b.press(ButtonMode::Momentary, 0).as_slice(), [Set(true)]);
        assert!(b.is_on() && b.is_pressed());
        assert_eq!(b.release(ButtonMode::Momentary, 10 * MS).as_slice(), [Set(false)]);
        assert!(!b.is_on());
    }

    #[test]
    fn toggle_flips_on_each_press() {
        let mut b = ButtonState::new();
        let m = ButtonMode::Toggle;
        assert_eq!(b.press(m, 0).as_slice(), [Set(true)]);
        assert!(b.release(m, MS).is_empty());
        assert_eq!(b.press(m, 2 * MS).as_slice(), [Set(false)]);
        assert!(b.release(m, 3 * MS).is_empty());
        b.sync(true);
        assert_eq!(b.press(m, 4 * MS).as_slice(), [Set(false)]);
    }

    #[test]
    fn duplicate_edges_are_ignored() {
        let mut b = ButtonState::new();
        let m = ButtonMode::Toggle;
        assert_eq!(b.press(m, 0).as_slice(), [Set(true)]);
        assert!(b.press(m, MS).is_empty());
        assert!(b.release(m, 2 * MS).is_empty());
        assert!(b.release(m, 3 * MS).is_empty());
        assert!(ButtonState::new().release(ButtonMode::OnRelease, 0).is_empty());
    }

    #[test]
    fn on_release_fires_on_release_only() {
        let mut b = ButtonState::new();
        assert!(b.press(ButtonMode::OnRelease, 0).is_empty());
        assert_eq!(b.release(ButtonMode::OnRelease, 5000 * MS).as_slice(), [Fire]);
    }

    #[test]
    fn hold_tap_tap() {
        let mut b = ButtonState::new();
        assert!(b.press(HOLD, 0).is_empty());
        assert!(b.tick(HOLD, 100 * MS).is_empty());
        assert_eq!(b.release(HOLD, 150 * MS).as_slice(), [Tap]);
        assert_eq!(b.next_deadline(HOLD), None);
    }

    #[test]
    fn hold_tap_hold_without_release() {
        let mut b = ButtonState::new();
        b.press(HOLD, 1000 * MS);
        assert_eq!(b.next_deadline(HOLD), Some(1300 * MS));
        assert!(b.tick(HOLD, 1299 * MS).is_empty());
        assert_eq!(b.tick(HOLD, 1300 * MS).as_slice(), [Hold]);
        // Only once, however long it is held.
        assert!(b.tick(HOLD, 5000 * MS).is_empty());
        assert_eq!(b.next_deadline(HOLD), None);
        assert_eq!(b.release(HOLD, 6000 * MS).as_slice(), [HoldEnd]);
    }

    #[test]
    fn hold_detected_at_release_when_no_tick_came() {
        let mut b = ButtonState::new();
        b.press(HOLD, 0);
        assert_eq!(b.release(HOLD, 400 * MS).as_slice(), [Hold, HoldEnd]);
    }

    #[test]
    fn double_tap_versus_two_slow_taps() {
        let mut b = ButtonState::new();
        assert!(b.press(DOUBLE, 0).is_empty());
        assert!(b.release(DOUBLE, 50 * MS).is_empty());
        assert!(b.tick(DOUBLE, 100 * MS).is_empty());
        assert_eq!(b.press(DOUBLE, 200 * MS).as_slice(), [DoubleTap]);
        assert!(b.release(DOUBLE, 250 * MS).is_empty());
        assert!(b.tick(DOUBLE, 2000 * MS).is_empty());

        // Two slow taps, with ticks: each becomes a Tap once its window passes.
        let mut b = ButtonState::new();
        b.press(DOUBLE, 0);
        b.release(DOUBLE, 50 * MS);
        assert_eq!(b.next_deadline(DOUBLE), Some(300 * MS + 1));
        assert!(b.tick(DOUBLE, 300 * MS).is_empty());
        assert_eq!(b.tick(DOUBLE, 301 * MS).as_slice(), [Tap]);
        assert!(b.press(DOUBLE, 600 * MS).is_empty());
        b.release(DOUBLE, 650 * MS);
        assert_eq!(b.tick(DOUBLE, 1000 * MS).as_slice(), [Tap]);
        assert_eq!(b.next_deadline(DOUBLE), None);
    }

    #[test]
    fn slow_second_tap_without_ticks_delivers_the_first() {
        let mut b = ButtonState::new();
        b.press(DOUBLE, 0);
        b.release(DOUBLE, 50 * MS);
        assert_eq!(b.press(DOUBLE, 500 * MS).as_slice(), [Tap]);
        b.release(DOUBLE, 550 * MS);
        assert_eq!(b.press(DOUBLE, 700 * MS).as_slice(), [DoubleTap]);
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let mut b = ButtonState::new();
        let zero = ButtonMode::HoldTap { hold_ms: 0 };
        b.press(zero, u64::MAX);
        assert_eq!(b.tick(zero, u64::MAX).as_slice(), [Hold]);
        // Time going backwards and switching modes mid-press.
        b.release(DOUBLE, 0);
        b.press(ButtonMode::DoubleTap { window_ms: u32::MAX }, 5);
        assert!(b.tick(DOUBLE, 0).is_empty());
        assert_eq!(
            b.next_deadline(ButtonMode::DoubleTap { window_ms: u32::MAX }),
            Some(5 + u64::from(u32::MAX) * 1000 + 1)
        );
        assert_eq!(ButtonOuts::EMPTY.iter().count(), 0);
    }

    #[test]
    fn validation() {
        assert!(
            ButtonMode::HoldTap { hold_ms: 0 }
                .validate()
                .unwrap_err()
                .contains("hold_ms")
        );
        assert!(
            ButtonMode::DoubleTap { window_ms: 0 }
                .validate()
                .unwrap_err()
                .contains("window_ms")
        );
        assert!(HOLD.validate().is_ok() && ButtonMode::Toggle.validate().is_ok());
    }
}
