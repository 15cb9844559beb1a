//! [`MotionTracker`]: the entry point that turns luma frames into per-region
//! [`Features`] and [`GestureEvent`]s.

use super::MotionError;
use super::background::BackgroundModel;
use super::detect::{GestureDetector, GestureEvent, Region};
use super::features::{Features, Marginals, RegionTracker};
use super::zones::{Zone, validate_zones};

/// Longest frame interval used for learning and velocity, in seconds: after a
/// stall the model must not leap as if it had watched the whole gap.
pub const MAX_DT_S: f64 = 0.25;

/// Everything measured on one frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MotionFrame {
    /// Capture time of the frame, seconds.
    pub t: f64,
    /// Features of the whole frame.
    pub frame: Features,
    /// Features of each zone, in the tracker's zone order.
    pub zones: Vec<Features>,
    /// Gestures detected on this frame, any region.
    pub events: Vec<GestureEvent>,
}

/// One measured region with its detectors.
#[derive(Debug)]
struct RegionState {
    tracker: RegionTracker,
    detector: GestureDetector,
}

impl RegionState {
    fn new(zone: Zone, region: Region) -> Self {
        Self {
            tracker: RegionTracker::new(zone),
            detector: GestureDetector::new(region),
        }
    }

    fn reset(&mut self) {
        self.tracker.reset();
        self.detector.reset();
    }
}

/// Turns a stream of luma frames into motion features and gestures for the
/// whole frame and each zone. A change of frame size resets it.
#[derive(Debug)]
pub struct MotionTracker {
    background: BackgroundModel,
    zones: Vec<Zone>,
    /// The whole frame first, then one per zone.
    regions: Vec<RegionState>,
    marginals: Marginals,
    last_t: Option<f64>,
    output: MotionFrame,
}

impl Default for MotionTracker {
    /// A tracker measuring the whole frame, with no zones yet.
    fn default() -> Self {
        Self {
            background: BackgroundModel::default(),
            zones: Vec::new(),
            regions: vec![RegionState::new(Zone::full_frame(), Region::Frame)],
            marginals: Marginals::default(),
            last_t: None,
            output: MotionFrame::default(),
        }
    }
}

impl MotionTracker {
    /// A tracker measuring the whole frame and `zones` (validated).
    pub fn new(zones: Vec<Zone>) -> Result<Self, MotionError> {
        let mut tracker = Self::default();
        tracker.set_zones(zones)?;
        Ok(tracker)
    }

    /// Replaces the zones (validated first; on error nothing changes). The
    /// background model is kept; zone histories start afresh.
    pub fn set_zones(&mut self, zones: Vec<Zone>) -> Result<(), MotionError> {
        validate_zones(&zones)?;
        self.regions = std::iter::once(RegionState::new(Zone::full_frame(), Region::Frame))
            .chain(
                zones
                    .iter()
                    .enumerate()
                    .map(|(i, z)| RegionState::new(z.clone(), Region::Zone(i))),
            )
            .collect();
        self.output.zones = vec![Features::default(); zones.len()];
        self.zones = zones;
        Ok(())
    }

    /// The zones being measured.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// Forgets the learnt background and all motion history.
    pub fn reset(&mut self) {
        let (w, h) = self.background.size();
        self.background.reset(w, h);
        self.regions.iter_mut().for_each(RegionState::reset);
        self.last_t = None;
    }

    /// Takes a `width` x `height` luma frame (row-major, one byte a pixel)
    /// captured at `t` seconds (monotonic clock) and returns what was measured
    /// on it. A refused frame changes nothing.
    pub fn process(&mut self, luma: &[u8], width: usize, height: usize, t: f64) -> Result<&MotionFrame, MotionError> {
        if width == 0 || height == 0 {
            return Err(MotionError::ZeroSize);
        }
        let expected = width.checked_mul(height).ok_or(MotionError::TooLarge)?;
        if luma.len() != expected {
            return Err(MotionError::BufferLength {
                expected,
                got: luma.len(),
            });
        }
        if !t.is_finite() {
            return Err(MotionError::NonFiniteTime);
        }
        if self.background.size() != (width, height) {
            self.background.reset(width, height);
            self.regions.iter_mut().for_each(RegionState::reset);
            self.last_t = None;
        }
        let dt = match self.last_t {
            Some(previous) if t <= previous => {
                return Err(MotionError::TimeNotIncreasing { previous, got: t });
            }
            Some(previous) => (t - previous).min(MAX_DT_S) as f32,
            None => 0.0,
        };
        self.last_t = Some(t);
        self.background.update(luma, dt);
        self.output.t = t;
        self.output.events.clear();
        for (i, r) in self.regions.iter_mut().enumerate() {
            let f = r.tracker.update(&self.background, dt, &mut self.marginals);
            r.detector.update(&f, t, &mut self.output.events);
            match i.checked_sub(1) {
                None => self.output.frame = f,
                Some(z) => self.output.zones[z] = f,
            }
        }
        Ok(&self.output)
    }
}
