//! The grid editor: the performer's corrections of a track's analysed beat grid (tap, halve,
//! double, x2/3, x3/2, nudge, set the downbeat, put a beat at the playhead, lock).

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::BeatGrid;

/// How far one nudge moves the grid, in seconds.
pub const GRID_NUDGE_SECONDS: f64 = 0.01;
/// Taps needed before tapping sets the grid (three intervals average out a shaky hand).
pub const TAPS_NEEDED: usize = 4;
/// A pause this long between taps (track seconds) starts a new tap sequence.
const TAP_RESET_SECONDS: f64 = 2.0;
/// Taps averaged at most (the latest ones).
const TAPS_KEPT: usize = 16;

/// One correction of a deck's beat grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum GridEdit {
    /// Tap on the beat while the track plays: after [`TAPS_NEEDED`] taps the grid takes the
    /// tapped tempo, with a downbeat on the last tap.
    Tap,
    /// Multiply the tempo (0.5 halves, 2 doubles, 2/3, 3/2), keeping the beat at the playhead.
    Scale(f64),
    /// Move the whole grid by seconds (negative: earlier).
    Shift(f64),
    /// Make the grid line nearest the playhead a downbeat (the beats stay where they are).
    Downbeat,
    /// Put a downbeat exactly at the playhead (the whole grid moves).
    BeatAtPlayhead,
    /// Lock the grid against edits and re-analysis, or unlock it.
    Lock(bool),
}

/// The tempo factors [`GridEdit::Scale`] accepts: halve, double, x2/3, x3/2.
pub const GRID_SCALES: [f64; 4] = [0.5, 2.0, 2.0 / 3.0, 1.5];

/// A deck's taps so far, as positions in the track (seconds), so tapping works at any rate.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct GridTaps(pub Vec<f64>);

impl GridTaps {
    /// Records a tap at `position`; returns the tapped (bpm, last tap) once enough taps agree.
    pub fn tap(&mut self, position: f64) -> Option<(f64, f64)> {
        if let Some(&last) = self.0.last()
            && !(position > last && position - last < TAP_RESET_SECONDS)
        {
            self.0.clear();
        }
        self.0.push(position);
        if self.0.len() > TAPS_KEPT {
            self.0.remove(0);
        }
        let n = self.0.len();
        if n < TAPS_NEEDED {
            return None;
        }
        // The least-squares slope through the taps: robust to one early or late tap.
        let mean_i = (n - 1) as f64 / 2.0;
        let mean_t = self.0.iter().sum::<f64>() / n as f64;
        let (mut num, mut den) = (0.0, 0.0);
        for (i, t) in self.0.iter().enumerate() {
            num += (i as f64 - mean_i) * (t - mean_t);
            den += (i as f64 - mean_i).powi(2);
        }
        let period = num / den;
        (period > 0.0).then(|| (60.0 / period, mean_t + (n - 1) as f64 / 2.0 * period))
    }
}

/// The grid after `edit` with the playhead at `playhead` (track seconds); `None` when the edit
/// changes nothing (a locked grid, a tap sequence not yet complete, a tempo out of range).
pub fn edited(grid: &BeatGrid, edit: GridEdit, playhead: f64, taps: &mut GridTaps) -> Option<BeatGrid> {
    if grid.locked && edit != GridEdit::Lock(false) {
        return None;
    }
    let g = match edit {
        GridEdit::Tap => {
            let (bpm, at) = taps.tap(playhead)?;
            BeatGrid::through(bpm, at, false)
        }
        GridEdit::Scale(k) => BeatGrid::through(grid.bpm * k, grid.snap(playhead), false),
        GridEdit::Shift(s) => BeatGrid::through(grid.bpm, grid.first_beat + s, false),
        GridEdit::Downbeat => BeatGrid::through(grid.bpm, grid.snap(playhead), false),
        GridEdit::BeatAtPlayhead => BeatGrid::through(grid.bpm, playhead, false),
        GridEdit::Lock(on) => BeatGrid { locked: on, ..*grid },
    };
    (engine_rt::ranges::BPM.check(g.bpm).is_ok() && g != *grid).then_some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(bpm: f64, first: f64) -> BeatGrid {
        BeatGrid {
            bpm,
            first_beat: first,
            locked: false,
        }
    }

    #[test]
    fn scaling_keeps_the_beat_at_the_playhead() {
        let g = grid(120.0, 0.1);
        let mut taps = GridTaps::default();
        // Halved: the beat at 10.1 s (a grid line) stays a grid line.
        let h = edited(&g, GridEdit::Scale(0.5), 10.12, &mut taps).expect("halved");
        assert_eq!(h.bpm, 60.0);
        let on = (10.1 - h.first_beat) / h.beat_seconds();
        assert!((on - on.round()).abs() < 1e-9, "{h:?}");
        assert!(h.first_beat >= 0.0 && h.first_beat < 4.0 * h.beat_seconds());
        let t = edited(&g, GridEdit::Scale(1.5), 10.12, &mut taps).expect("x3/2");
        assert!((t.bpm - 180.0).abs() < 1e-9);
    }

    #[test]
    fn nudges_downbeats_and_beats_at_the_playhead() {
        let g = grid(120.0, 0.1);
        let mut taps = GridTaps::default();
        let earlier = edited(&g, GridEdit::Shift(-GRID_NUDGE_SECONDS), 0.0, &mut taps).unwrap();
        assert!((earlier.first_beat - 0.09).abs() < 1e-12);
        // Nudged before the start, the grid keeps its phase from the next bar.
        let wrapped = edited(&g, GridEdit::Shift(-0.2), 0.0, &mut taps).unwrap();
        assert!((wrapped.first_beat - 1.9).abs() < 1e-12, "{wrapped:?}");
        let down = edited(&g, GridEdit::Downbeat, 3.08, &mut taps).unwrap();
        assert!((down.first_beat - 1.1).abs() < 1e-12, "3.1 s is a downbeat: {down:?}");
        let at = edited(&g, GridEdit::BeatAtPlayhead, 3.08, &mut taps).unwrap();
        assert!((at.first_beat - 1.08).abs() < 1e-12, "{at:?}");
    }

    #[test]
    fn a_locked_grid_refuses_edits_until_unlocked() {
        let mut taps = GridTaps::default();
        let locked = edited(&grid(120.0, 0.1), GridEdit::Lock(true), 0.0, &mut taps).unwrap();
        assert_eq!(edited(&locked, GridEdit::Scale(2.0), 1.0, &mut taps), None);
        assert_eq!(edited(&locked, GridEdit::Shift(0.01), 1.0, &mut taps), None);
        let open = edited(&locked, GridEdit::Lock(false), 0.0, &mut taps).unwrap();
        assert!(!open.locked);
    }

    #[test]
    fn taps_set_tempo_and_phase_after_four() {
        let g = grid(120.0, 0.0);
        let mut taps = GridTaps::default();
        // A tap every 0.6 s (100 BPM), one a little late, from 5.03 s.
        let times = [5.03, 5.63, 6.245, 6.83];
        let mut out = None;
        for (i, t) in times.iter().enumerate() {
            out = edited(&g, GridEdit::Tap, *t, &mut taps);
            assert_eq!(out.is_some(), i + 1 >= TAPS_NEEDED);
        }
        let g = out.unwrap();
        assert!((g.bpm - 100.0).abs() < 1.0, "{g:?}");
        let phase = ((6.83 - g.first_beat) / g.beat_seconds()).rem_euclid(1.0);
        assert!(phase.min(1.0 - phase) < 0.03, "{g:?}");
        // A long pause starts over.
        assert_eq!(taps.tap(20.0), None);
        assert_eq!(taps.0.len(), 1);
    }

    #[test]
    fn scales_out_of_the_tempo_range_change_nothing() {
        let mut taps = GridTaps::default();
        assert_eq!(edited(&grid(600.0, 0.0), GridEdit::Scale(2.0), 1.0, &mut taps), None);
    }
}
