//! Discrete gesture detectors fed with one region's [`Features`] per frame:
//! swipes in four directions and hold-still.
//!
//! A swipe is judged on a *stroke*: the run of moving frames between rests
//! or direction reversals. It fires when the stroke ends (the body stops or
//! leaves, usually one frame after the hand halts) if the stroke travelled far
//! enough, fast enough and straight enough; judging at the end rather than
//! midway keeps one swipe to one event and its direction unambiguous.

use super::features::Features;

/// Least travel along the dominant axis for a swipe, in region sizes.
pub const SWIPE_MIN_TRAVEL: f32 = 0.3;
/// A swipe covers [`SWIPE_MIN_TRAVEL`] within this many seconds or less
/// (i.e. its mean speed is at least their ratio).
pub const SWIPE_WINDOW_S: f32 = 0.4;
/// Off-axis travel allowed, as a fraction of the dominant-axis travel.
pub const SWIPE_MAX_OFF_AXIS: f32 = 0.5;
/// Least ratio of net displacement to path length (1 = perfectly straight).
pub const SWIPE_MIN_STRAIGHTNESS: f32 = 0.8;
/// Seconds after a swipe during which no other swipe fires in that region.
pub const SWIPE_REFRACTORY_S: f64 = 0.3;
/// Seconds of low energy with something present, after movement, before
/// hold-still fires.
pub const HOLD_TIME_S: f64 = 1.0;
/// Least presence (share of foreground cells, 0..1) for hold-still.
pub const HOLD_MIN_PRESENCE: f32 = 0.005;

/// Which region a gesture happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    /// The whole frame.
    Frame,
    /// The zone at this index of the tracker's zone list.
    Zone(usize),
}

/// Kinds of discrete gesture motion alone can tell (a hand's open, close and pinch come from
/// the hand model, see `hand_gestures`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GestureKind {
    /// Fast straight travel towards smaller x.
    SwipeLeft,
    /// Fast straight travel towards larger x.
    SwipeRight,
    /// Fast straight travel towards smaller y (up in the image).
    SwipeUp,
    /// Fast straight travel towards larger y (down in the image).
    SwipeDown,
    /// Something present came to rest after moving.
    HoldStill,
}

/// A detected gesture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GestureEvent {
    /// What was detected.
    pub kind: GestureKind,
    /// Where.
    pub region: Region,
    /// Capture time (seconds) of the frame on which it was detected.
    pub t: f64,
}

/// The stroke being followed: its first and latest centroid.
#[derive(Clone, Copy, Debug)]
struct Stroke {
    start_t: f64,
    start: (f32, f32),
    last_t: f64,
    last: (f32, f32),
    /// Summed centroid steps, in region sizes.
    path: f32,
}

impl Stroke {
    fn at(t: f64, c: (f32, f32)) -> Self {
        Self {
            start_t: t,
            start: c,
            last_t: t,
            last: c,
            path: 0.0,
        }
    }

    /// The swipe this stroke makes, if it makes one.
    fn swipe(&self) -> Option<GestureKind> {
        let (dx, dy) = (self.last.0 - self.start.0, self.last.1 - self.start.1);
        let (major, minor) = (dx.abs().max(dy.abs()), dx.abs().min(dy.abs()));
        let duration = (self.last_t - self.start_t) as f32;
        let fast = major * SWIPE_WINDOW_S >= SWIPE_MIN_TRAVEL * duration;
        let straight = dx.hypot(dy) >= SWIPE_MIN_STRAIGHTNESS * self.path;
        let ok = major >= SWIPE_MIN_TRAVEL && minor <= SWIPE_MAX_OFF_AXIS * major && duration > 0.0 && fast && straight;
        ok.then_some(match (dx.abs() >= dy.abs(), dx > 0.0, dy > 0.0) {
            (true, true, _) => GestureKind::SwipeRight,
            (true, false, _) => GestureKind::SwipeLeft,
            (false, _, true) => GestureKind::SwipeDown,
            (false, _, false) => GestureKind::SwipeUp,
        })
    }
}

/// Swipe and hold-still detection for one region.
#[derive(Debug)]
pub struct GestureDetector {
    region: Region,
    stroke: Option<Stroke>,
    /// Time of the last swipe, for the refractory period.
    last_swipe: Option<f64>,
    /// Whether movement was seen since the last hold-still.
    hold_armed: bool,
    /// Since when the region has been still with something present.
    still_since: Option<f64>,
}

impl GestureDetector {
    /// A detector whose events are tagged with `region`.
    pub fn new(region: Region) -> Self {
        Self {
            region,
            stroke: None,
            last_swipe: None,
            hold_armed: false,
            still_since: None,
        }
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.region);
    }

    /// Takes the region's features for the frame captured at `t` and appends
    /// any gestures detected on it to `events`.
    pub fn update(&mut self, f: &Features, t: f64, events: &mut Vec<GestureEvent>) {
        let region = self.region;
        let mut emit = |kind| events.push(GestureEvent { kind, region, t });
        if f.moving {
            self.hold_armed = true;
            self.still_since = None;
            let Some(mut s) = self.stroke.take() else {
                self.stroke = Some(Stroke::at(t, f.centroid));
                return;
            };
            let step = (f.centroid.0 - s.last.0, f.centroid.1 - s.last.1);
            let net = (s.last.0 - s.start.0, s.last.1 - s.start.1);
            if step.0 * net.0 + step.1 * net.1 < 0.0 {
                // Reversal: the stroke so far is finished; a new one starts
                // where it turned.
                self.finish(s, t, &mut emit);
                s = Stroke::at(s.last_t, s.last);
            }
            s.path += step.0.hypot(step.1);
            s.last = f.centroid;
            s.last_t = t;
            self.stroke = Some(s);
        } else {
            if let Some(done) = self.stroke.take() {
                self.finish(done, t, &mut emit);
            }
            if self.hold_armed && f.presence >= HOLD_MIN_PRESENCE {
                let since = *self.still_since.get_or_insert(t);
                if t - since >= HOLD_TIME_S {
                    emit(GestureKind::HoldStill);
                    self.hold_armed = false;
                    self.still_since = None;
                }
            } else {
                self.still_since = None;
            }
        }
    }

    /// Emits the swipe `stroke` makes, unless within the refractory period.
    fn finish(&mut self, stroke: Stroke, t: f64, emit: &mut impl FnMut(GestureKind)) {
        let Some(kind) = stroke.swipe() else { return };
        if self.last_swipe.is_some_and(|last| t - last < SWIPE_REFRACTORY_S) {
            return;
        }
        self.last_swipe = Some(t);
        emit(kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds centroids at 30 fps (`None` = still) and collects events.
    fn run(path: &[Option<(f32, f32)>]) -> Vec<GestureEvent> {
        let mut d = GestureDetector::new(Region::Frame);
        let mut events = Vec::new();
        for (i, c) in path.iter().enumerate() {
            let f = Features {
                moving: c.is_some(),
                centroid: c.unwrap_or_default(),
                presence: 0.1,
                ..Features::default()
            };
            d.update(&f, i as f64 / 30.0, &mut events);
        }
        events
    }

    #[test]
    fn straight_fast_stroke_is_one_swipe_and_slow_or_curved_is_none() {
        let fast: Vec<_> = (0..8).map(|i| Some((0.2 + 0.08 * i as f32, 0.5))).collect();
        let mut path = fast.clone();
        path.push(None);
        let ev = run(&path);
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0].kind, ev[0].t), (GestureKind::SwipeRight, 8.0 / 30.0));

        let slow: Vec<_> = (0..60).map(|i| Some((0.2 + 0.01 * i as f32, 0.5))).collect();
        assert!(run(&[slow, vec![None]].concat()).is_empty());

        let arc: Vec<_> = (0..12)
            .map(|i| {
                let a = i as f32 * 0.25;
                Some((0.5 + 0.3 * a.cos(), 0.5 + 0.3 * a.sin()))
            })
            .collect();
        assert!(run(&[arc, vec![None]].concat()).is_empty());
    }

    #[test]
    fn hold_fires_once_after_movement() {
        let mut path: Vec<_> = (0..5).map(|i| Some((0.1 * i as f32, 0.5))).collect();
        path.extend(std::iter::repeat_n(None, 90));
        let holds: Vec<_> = run(&path)
            .into_iter()
            .filter(|e| e.kind == GestureKind::HoldStill)
            .collect();
        assert_eq!(holds.len(), 1);
        // One second after the first still frame (5), give or take a frame
        // of float rounding.
        assert!((35.0 / 30.0 - 1e-9..=36.0 / 30.0).contains(&holds[0].t));
    }
}
