//! One deck: clip player (transport, loops, cues, declicks), key lock and channel strip.

use basedrop::Shared;

use crate::dsp::db_to_gain;
use crate::dsp::eq::Eq3;
use crate::dsp::filter::DjFilter;
use crate::dsp::fx::FxRack;
use crate::dsp::smooth::Smoothed;
use crate::dsp::{self, GROUP};
use crate::intent::{DeckParam, EqBand, XfaderSide};
use crate::ranges::{self, HOT_CUES, RATE};
use crate::stretch::StretchSlot;
use crate::track::Track;

/// Out of phase by more than this (seconds), a synced deck jumps back into phase with the clock;
/// by less, it is nudged there (see [`Deck::clock_jumped`]). A millisecond is as far as a
/// session's peers may drift apart: past it the deck is back in phase at once, not after a
/// nudge of a fraction of a second.
pub const SYNC_JUMP_SECONDS: f64 = 0.001;
/// Seconds over which a synced deck makes up a phase debt: the time constant of the nudge.
const SYNC_NUDGE_SECONDS: f64 = 0.1;
/// Largest nudge of the rate (2%, a third of a semitone for a moment without key lock).
const SYNC_NUDGE_MAX: f64 = 0.02;

/// Reads a track at a fractional position, wrapping loops with a short crossfade.
#[derive(Debug, Clone, Default)]
struct Reader {
    pos: f64,
    /// Old read head that fades out after a jump or loop wrap.
    fade_pos: f64,
    fade_left: u32,
}

impl Reader {
    /// The next frame. The plain read is inlined into the per-sample loop; the crossfade after
    /// a jump (a few milliseconds now and then) is kept out of it.
    #[inline(always)]
    fn read(&mut self, track: &Track, step: f64, lp: Option<(f64, f64)>, declick: u32) -> [f32; 2] {
        let s = if self.fade_left > 0 {
            self.read_fading(track, step, declick)
        } else {
            track.read(self.pos)
        };
        self.pos += step;
        if let Some((a, b)) = lp
            && self.pos >= b
        {
            self.fade_pos = self.pos;
            self.fade_left = declick;
            self.pos = a + (self.pos - b) % (b - a);
        }
        s
    }

    /// The frame at the read head mixed with the fading old head, which then moves on.
    #[inline(never)]
    fn read_fading(&mut self, track: &Track, step: f64, declick: u32) -> [f32; 2] {
        let s = track.read(self.pos);
        let k = self.fade_left as f32 / declick as f32;
        let old = track.read(self.fade_pos);
        self.fade_pos += step;
        self.fade_left -= 1;
        [s[0] * (1.0 - k) + old[0] * k, s[1] * (1.0 - k) + old[1] * k]
    }

    fn set(&mut self, to: f64) {
        self.fade_left = 0;
        self.pos = to;
    }
}

/// What happens when a fade-out reaches silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterFade {
    Pause,
    ReturnToCue,
}

/// A deck as the audio thread holds it. Everything is preallocated in [`Deck::new`].
pub struct Deck {
    sample_rate: f64,
    declick: u32,
    track: Option<Shared<Track>>,
    reader: Reader,
    playing: bool,
    env: f32,
    env_step: f32,
    after_fade: Option<AfterFade>,
    /// Playback rate with a linear ramp.
    rate: f64,
    rate_step: f64,
    rate_left: u32,
    sync: bool,
    /// Track frames a synced deck is behind the clock's beat after the clock moved on its own
    /// (an Ableton Link session's tempo or phase change): made up by a small rate nudge.
    phase_debt: f64,
    /// The nudge added to the synced rate over the current render.
    nudge: f64,
    keylock: bool,
    semitones: f64,
    stretcher: StretchSlot,
    /// Output of a key-locked voice captured before a jump, faded out under the new position.
    tail: Box<[[f32; 2]]>,
    tail_at: usize,
    /// Position being heard (the reader runs ahead of it while key-locked).
    heard: f64,
    cue: f64,
    hot_cues: [Option<f64>; HOT_CUES],
    loop_in: Option<f64>,
    loop_out: Option<f64>,
    loop_active: bool,
    /// The beat grid: tempo the track was made at and its first beat in track frames. It starts
    /// as the track's and the performer may correct it ([`Deck::set_grid`]).
    grid: Option<(f64, f64)>,
    /// Slip mode: where the track would be had nothing jumped or looped since slip began. It
    /// moves on with every frame played; leaving a loop, a roll or slip returns there.
    slip: Option<f64>,
    /// The running loop roll turned slip on itself and turns it off when released.
    roll_slip: bool,
    trim: Smoothed,
    volume: Smoothed,
    eq: Eq3,
    filter: DjFilter,
    fx: FxRack,
    /// Crossfader side.
    pub xfader: XfaderSide,
    /// Sent to the headphone cue bus.
    pub cue_monitor: bool,
    peak: f32,
    /// Frame of the last render at which the track ended, if it did.
    ended: Option<usize>,
    /// Output of the last render, before and after the fader.
    pre: Box<[[f32; 2]]>,
    post: Box<[[f32; 2]]>,
}

impl Deck {
    /// A stopped, empty deck.
    pub fn new(sample_rate: u32, max_block: usize, declick: usize, smoothing_ms: f32, stretcher: StretchSlot) -> Self {
        Self {
            pre: vec![[0.0; 2]; max_block].into(),
            post: vec![[0.0; 2]; max_block].into(),
            sample_rate: sample_rate as f64,
            declick: declick as u32,
            track: None,
            reader: Reader::default(),
            playing: false,
            env: 0.0,
            env_step: 0.0,
            after_fade: None,
            grid: None,
            slip: None,
            roll_slip: false,
            rate: 1.0,
            rate_step: 0.0,
            rate_left: 0,
            sync: false,
            phase_debt: 0.0,
            nudge: 0.0,
            keylock: false,
            semitones: 0.0,
            stretcher,
            tail: vec![[0.0; 2]; declick].into(),
            tail_at: declick,
            heard: 0.0,
            cue: 0.0,
            hot_cues: [None; HOT_CUES],
            loop_in: None,
            loop_out: None,
            loop_active: false,
            trim: Smoothed::new(1.0, smoothing_ms, sample_rate),
            volume: Smoothed::new(1.0, smoothing_ms, sample_rate),
            eq: Eq3::new(sample_rate, smoothing_ms),
            filter: DjFilter::new(sample_rate, smoothing_ms),
            fx: FxRack::new(sample_rate, smoothing_ms),
            xfader: XfaderSide::Thru,
            cue_monitor: false,
            peak: 0.0,
            ended: None,
        }
    }

    fn stretching(&self) -> bool {
        self.keylock || self.semitones != 0.0
    }

    fn pitch_scale(&self) -> f64 {
        let shift = 2f64.powf(self.semitones / 12.0);
        if self.keylock { shift } else { shift * self.rate }
    }

    /// Loaded track, if any.
    pub fn track(&self) -> Option<&Track> {
        self.track.as_deref()
    }

    /// Whether the deck is playing (including a fade-out in progress).
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Whether the deck plays on: playing, and not fading out to a stop.
    pub fn running(&self) -> bool {
        self.playing && self.after_fade.is_none()
    }

    /// Audible playhead in track frames.
    pub fn position(&self) -> f64 {
        self.heard
    }

    /// Current playback rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Whether a loop is engaged.
    pub fn loop_active(&self) -> bool {
        self.loop_active
    }

    /// Whether the deck follows the clock tempo.
    pub fn synced(&self) -> bool {
        self.sync
    }

    /// Takes the pre-fader peak since the last call.
    pub fn take_peak(&mut self) -> f32 {
        std::mem::take(&mut self.peak)
    }

    /// Loads a track, stopped at its start. Returns the previous track so the caller decides
    /// where it is dropped (the basedrop collector frees it off the audio thread).
    pub fn load(&mut self, track: Shared<Track>) -> Option<Shared<Track>> {
        let old = self.eject();
        self.cue = track.first_beat.max(0.0) * self.sample_rate;
        self.reader.set(self.cue);
        self.heard = self.cue;
        self.grid = track.bpm.map(|bpm| (bpm, track.first_beat * self.sample_rate));
        self.track = Some(track);
        old
    }

    /// Removes the track and stops.
    pub fn eject(&mut self) -> Option<Shared<Track>> {
        self.playing = false;
        self.env = 0.0;
        self.after_fade = None;
        self.loop_active = false;
        self.loop_in = None;
        self.loop_out = None;
        self.grid = None;
        self.slip = None;
        self.roll_slip = false;
        self.hot_cues = [None; HOT_CUES];
        self.reader = Reader::default();
        self.heard = 0.0;
        self.cue = 0.0;
        self.track.take()
    }

    /// Starts playback with a declick fade-in. A synced deck starting from a stop first moves
    /// its playhead by less than half a beat so its beat phase matches the clock's at
    /// `clock_beat`, as turning sync on does: a deck paused mid-beat (or at the end of its
    /// pause's fade) comes back in phase.
    pub fn play(&mut self, clock_beat: f64) {
        if self.track.is_some() && !self.playing && self.sync {
            self.align_phase(clock_beat);
        }
        self.start();
    }

    /// Starts playback from where the playhead is, with a declick fade-in.
    fn start(&mut self) {
        if self.track.is_none() {
            return;
        }
        self.after_fade = None;
        self.env_step = 1.0 / self.declick as f32;
        if !self.playing {
            self.playing = true;
            self.env = 0.0;
            self.tail_at = self.tail.len();
            self.realign(self.heard);
        }
    }

    /// Plays as if it had started `late` beats ago, the clock being at `clock_beat` now (a
    /// shared transport's start read after its bar line): a stopped deck's playhead first moves
    /// on by the whole beats of `late` (all of it without a grid), and [`Deck::play`] puts a
    /// synced deck in phase.
    pub fn play_late(&mut self, late: f64, clock_beat: f64, clock_fpb: f64) {
        if self.track.is_some() && !self.playing {
            let beats = if self.grid.is_some() { late.trunc() } else { late };
            self.heard += beats.max(0.0) * self.frames_per_beat(clock_fpb);
        }
        self.play(clock_beat);
    }

    fn fade_out(&mut self, then: AfterFade) {
        if self.playing {
            self.env_step = -1.0 / self.declick as f32;
            self.after_fade = Some(then);
        } else if then == AfterFade::ReturnToCue {
            self.jump_to(self.cue);
        }
    }

    /// Stops where it is.
    pub fn pause(&mut self) {
        self.fade_out(AfterFade::Pause);
    }

    /// Stops and returns to the cue point.
    pub fn stop(&mut self) {
        self.fade_out(AfterFade::ReturnToCue);
    }

    /// CDJ-style cue button.
    pub fn cue_button(&mut self) {
        if self.playing && self.after_fade.is_none() {
            self.stop();
        } else if !self.playing {
            self.cue = self.heard;
        }
    }

    /// Seeks to a position in seconds.
    pub fn seek_seconds(&mut self, seconds: f64) {
        self.jump_to(seconds.max(0.0) * self.sample_rate);
    }

    /// Stores a hot cue.
    pub fn set_hot_cue(&mut self, slot: usize, seconds: f64) {
        self.hot_cues[slot] = Some(seconds.max(0.0) * self.sample_rate);
    }

    /// Jumps to a hot cue and plays; false if the slot is empty.
    pub fn hot_cue(&mut self, slot: usize) -> bool {
        let Some(pos) = self.hot_cues[slot] else {
            return false;
        };
        self.jump_to(pos);
        self.start();
        true
    }

    /// Jumps to a track frame. While audible, the current voice's next few milliseconds are
    /// kept as a tail that fades out under the new position, for both the direct and the
    /// key-locked voice.
    fn jump_to(&mut self, pos: f64) {
        self.capture_tail();
        self.realign(pos);
    }

    /// Puts the voice at `pos`: the reader there and, when stretching, Rubber Band restarted
    /// with the audio before `pos` as its pre-roll so output starts exactly at `pos`.
    fn realign(&mut self, pos: f64) {
        self.heard = pos;
        if !self.stretching() {
            self.reader.set(pos);
            return;
        }
        let pad = self.stretcher.restart(self.rate, self.pitch_scale());
        self.reader.set(pos - pad as f64);
        if let Some(track) = self.track.take() {
            let lp = self.loop_range();
            let declick = self.declick;
            let reader = &mut self.reader;
            self.stretcher.prime(pad, || reader.read(&track, 1.0, lp, declick));
            self.track = Some(track);
        }
        self.reader.set(pos);
    }

    fn capture_tail(&mut self) {
        if !(self.playing && self.env > 0.0) {
            return;
        }
        let Some(track) = self.track.take() else {
            return;
        };
        let lp = self.loop_range();
        for i in 0..self.tail.len() {
            self.tail[i] = self.voice_next(&track, lp);
        }
        self.track = Some(track);
        self.tail_at = 0;
    }

    /// Next frame of the voice: Rubber Band when stretching, else a cubic read at the rate.
    /// `lp` is [`Deck::loop_range`], which a caller asking for many frames looks up once.
    // The plain read is inlined into the per-sample loop; the stretcher's path is kept out of
    // it so the loop stays small.
    #[inline(always)]
    fn voice_next(&mut self, track: &Track, lp: Option<(f64, f64)>) -> [f32; 2] {
        if self.stretching() {
            return self.stretched_next(track, lp);
        }
        let s = self.reader.read(track, self.rate + self.nudge, lp, self.declick);
        self.heard = self.reader.pos;
        s
    }

    /// [`Deck::voice_next`] through Rubber Band.
    #[inline(never)]
    fn stretched_next(&mut self, track: &Track, lp: Option<(f64, f64)>) -> [f32; 2] {
        let declick = self.declick;
        let pitch = self.pitch_scale();
        let reader = &mut self.reader;
        let step = self.rate + self.nudge;
        let s = self
            .stretcher
            .next(step, pitch, || reader.read(track, 1.0, lp, declick));
        self.heard += step;
        if let Some((a, b)) = lp
            && self.heard >= b
        {
            self.heard = a + (self.heard - b) % (b - a);
        }
        s
    }

    /// Track frames per beat of the grid; without one, a clock beat at the current rate.
    fn frames_per_beat(&self, clock_fpb: f64) -> f64 {
        self.grid
            .map_or(clock_fpb * self.rate, |(bpm, _)| 60.0 * self.sample_rate / bpm)
    }

    /// Where the grid starts, in track frames (the track's start without a grid).
    fn grid_origin(&self) -> f64 {
        self.grid.map_or(0.0, |(_, origin)| origin)
    }

    /// Replaces the beat grid (the performer's correction of the analysis). A synced deck
    /// follows the new tempo from the next frame.
    pub fn set_grid(&mut self, bpm: f64, first_beat: f64) {
        if self.track.is_some() {
            self.grid = Some((bpm, first_beat * self.sample_rate));
        }
    }

    /// Moves the playhead by `beats` of the grid, keeping the beat phase; an engaged loop moves
    /// along so the playhead stays in it. A jump may land before the track's start (silence
    /// until it) so that jumping back and forth never loses the phase.
    pub fn beat_jump(&mut self, beats: f64, clock_fpb: f64) {
        if self.track.is_none() {
            return;
        }
        let delta = beats * self.frames_per_beat(clock_fpb);
        if let Some((a, b)) = self.loop_range() {
            self.loop_in = Some(a + delta);
            self.loop_out = Some(b + delta);
        }
        self.jump_to(self.heard + delta);
    }

    /// Moves the stored loop by `beats` of the grid; a playhead inside an engaged loop moves
    /// with it.
    pub fn loop_move(&mut self, beats: f64, clock_fpb: f64) {
        let Some((a, b)) = self.loop_region() else {
            return;
        };
        let delta = beats * self.frames_per_beat(clock_fpb);
        let inside = self.loop_active && (a..b).contains(&self.heard);
        self.loop_in = Some(a + delta);
        self.loop_out = Some(b + delta);
        if inside {
            self.jump_to(self.heard + delta);
        }
    }

    /// Scales the stored loop's length by `factor` from its start (halve, double). A playhead
    /// past the new end of an engaged loop wraps into it, as the loop would have taken it.
    pub fn loop_scale(&mut self, factor: f64) {
        let Some((a, b)) = self.loop_region() else {
            return;
        };
        let end = a + (b - a) * factor;
        if end - a < 1.0 {
            return;
        }
        self.loop_out = Some(end);
        if self.loop_active && self.heard >= end {
            self.jump_to(a + (self.heard - a) % (end - a));
        }
    }

    /// Slip mode on or off. Turning it off returns to where the track would have been.
    pub fn set_slip(&mut self, on: bool) {
        self.roll_slip = false;
        match (on, self.slip) {
            (true, None) => self.slip = Some(self.heard),
            (false, Some(_)) => self.slip_return(false),
            _ => {}
        }
    }

    /// Jumps to the slip position; slip stays on when `keep`.
    fn slip_return(&mut self, keep: bool) {
        if let Some(pos) = self.slip {
            self.jump_to(pos);
            if !keep {
                self.slip = None;
            }
        }
    }

    /// Loop roll: `Some(beats)` loops that many beats from the playhead while the track runs
    /// on underneath (slip); `None` releases it, back to where the track would have been.
    pub fn loop_roll(&mut self, beats: Option<f64>, clock_fpb: f64) {
        match beats {
            Some(beats) => {
                if self.slip.is_none() {
                    self.slip = Some(self.heard);
                    self.roll_slip = true;
                }
                self.beat_loop(beats, clock_fpb);
            }
            None => {
                self.loop_active = false;
                let keep = !std::mem::take(&mut self.roll_slip);
                self.slip_return(keep);
            }
        }
    }

    fn loop_range(&self) -> Option<(f64, f64)> {
        match (self.loop_active, self.loop_in, self.loop_out) {
            (true, Some(a), Some(b)) if b > a => Some((a, b)),
            _ => None,
        }
    }

    /// Marks the loop start at the playhead.
    pub fn loop_in(&mut self) {
        self.loop_in = Some(self.heard);
        self.loop_active = false;
    }

    /// Marks the loop end at the playhead and engages the loop.
    pub fn loop_out(&mut self) {
        if let Some(a) = self.loop_in
            && self.heard > a
        {
            self.loop_out = Some(self.heard);
            self.loop_active = true;
        }
    }

    /// Loops `beats` from the playhead, snapped to the grid. `clock_fpb` is used when the
    /// track has no grid.
    pub fn beat_loop(&mut self, beats: f64, clock_fpb: f64) {
        let beats = ranges::BEAT_LOOP.hold(beats);
        let fpb = self.frames_per_beat(clock_fpb);
        let len = beats * fpb;
        let origin = self.grid_origin();
        let step = fpb * beats.min(1.0);
        let start = origin + ((self.heard - origin) / step + 1e-9).floor() * step;
        self.loop_in = Some(start);
        self.loop_out = Some(start + len);
        self.loop_active = true;
    }

    /// Stores a loop between two track positions in seconds; false unless `end > start >= 0`.
    pub fn set_loop(&mut self, start: f64, end: f64, active: bool) -> bool {
        if !(start >= 0.0 && end > start && end.is_finite()) {
            return false;
        }
        self.loop_in = Some(start * self.sample_rate);
        self.loop_out = Some(end * self.sample_rate);
        self.loop_active = active;
        true
    }

    /// The stored loop as (start, end) track frames, if both ends are set.
    pub fn loop_region(&self) -> Option<(f64, f64)> {
        self.loop_in.zip(self.loop_out)
    }

    /// Leaves the loop; in slip mode, back to where the track would have been.
    pub fn loop_exit(&mut self) {
        let was = self.loop_active;
        self.loop_active = false;
        if was {
            self.slip_return(true);
        }
    }

    /// Sets the playback rate, ramped over `ramp_frames`; turns sync off.
    pub fn set_rate(&mut self, rate: f64, ramp_frames: u32) {
        self.sync = false;
        self.ramp_rate(rate, ramp_frames);
    }

    fn ramp_rate(&mut self, rate: f64, ramp_frames: u32) {
        let rate = RATE.hold(rate);
        if ramp_frames == 0 {
            self.rate = rate;
            self.rate_left = 0;
        } else {
            self.rate_step = (rate - self.rate) / ramp_frames as f64;
            self.rate_left = ramp_frames;
        }
    }

    /// Turns sync on or off. Turning it on matches the tempo to the clock and, when the track
    /// has a grid, moves the playhead so its beat phase matches the clock's.
    pub fn set_sync(&mut self, on: bool, clock_bpm: f64, clock_beat: f64) {
        self.sync = on;
        self.phase_debt = 0.0;
        if !on {
            return;
        }
        let Some((bpm, _)) = self.grid else {
            return;
        };
        self.ramp_rate(clock_bpm / bpm, 0);
        self.align_phase(clock_beat);
    }

    /// Moves the playhead by less than half a beat of the grid so its beat phase matches the
    /// clock's at `clock_beat`.
    fn align_phase(&mut self, clock_beat: f64) {
        let Some((bpm, origin)) = self.grid else {
            return;
        };
        let fpb = 60.0 * self.sample_rate / bpm;
        let deck_phase = ((self.heard - origin) / fpb).rem_euclid(1.0);
        let mut shift = clock_beat.rem_euclid(1.0) - deck_phase;
        if shift > 0.5 {
            shift -= 1.0;
        } else if shift < -0.5 {
            shift += 1.0;
        }
        if shift.abs() * fpb >= 1.0 {
            self.jump_to(self.heard + shift * fpb);
        }
    }

    /// The clock's timeline moved by `beats` against where it was heading (see
    /// [`crate::BeatClock::take_jump`]): a synced, playing deck follows. The move adds to what
    /// the deck still owes the clock; owing more than [`SYNC_JUMP_SECONDS`] at `clock_bpm`, it
    /// jumps into phase (declicked), owing less, a rate nudge makes it up. Only the phase within
    /// a beat is followed, as [`Deck::set_sync`] aligns it.
    pub fn clock_jumped(&mut self, beats: f64, clock_bpm: f64) {
        let Some((bpm, _)) = self.grid.filter(|_| self.sync && self.playing) else {
            return;
        };
        let fpb = 60.0 * self.sample_rate / bpm;
        let owed = self.phase_debt / fpb + beats;
        let owed = owed - owed.round();
        // The whole debt, not this move alone: a run of small moves (a dropped block, the
        // output's timing settling under load) must not leave the deck nudging for seconds.
        if owed.abs() * 60.0 / clock_bpm <= SYNC_JUMP_SECONDS {
            self.phase_debt = owed * fpb;
            return;
        }
        self.phase_debt = 0.0;
        let mut to = self.heard + owed * fpb;
        if let Some((a, b)) = self.loop_range() {
            to = a + (to - a).rem_euclid(b - a);
        }
        if let Some(slip) = &mut self.slip {
            *slip += owed * fpb;
        }
        self.jump_to(to);
    }

    /// Key lock on or off. A change while audible crossfades from the old voice to the new.
    pub fn set_keylock(&mut self, on: bool) {
        if on != self.keylock {
            self.switch_voice(|d| d.keylock = on);
        }
    }

    /// Pitch shift in semitones.
    pub fn set_semitones(&mut self, st: f64) {
        let st = ranges::PITCH.hold(st);
        if (st == 0.0) != (self.semitones == 0.0) {
            self.switch_voice(|d| d.semitones = st);
        } else {
            self.semitones = st;
        }
    }

    fn switch_voice(&mut self, change: impl FnOnce(&mut Self)) {
        let pos = self.heard;
        self.capture_tail();
        change(self);
        self.realign(pos);
    }

    /// Sets a continuous parameter.
    pub fn set_param(&mut self, p: DeckParam, v: f32, ramp: u32) {
        match p {
            DeckParam::TrimDb => self.trim.set(db_to_gain(ranges::TRIM_DB.hold_f32(v)), ramp),
            DeckParam::Volume => {
                let v = ranges::VOLUME.hold_f32(v);
                self.volume.set(v * v, ramp)
            }
            DeckParam::EqLowDb => self.eq.set_db(0, v, ramp),
            DeckParam::EqMidDb => self.eq.set_db(1, v, ramp),
            DeckParam::EqHighDb => self.eq.set_db(2, v, ramp),
            DeckParam::Filter => self.filter.set_knob(v, ramp),
            DeckParam::FilterResonance => self.filter.set_resonance(v, ramp),
            DeckParam::FxAmount(s) => self.fx.set_amount(s as usize, v, ramp),
            DeckParam::FxParam(s) => self.fx.set_param(s as usize, v, ramp),
        }
    }

    /// Kills or restores an EQ band.
    pub fn set_kill(&mut self, band: EqBand, on: bool) {
        self.eq.set_kill(band as usize, on);
    }

    /// The FX rack.
    pub fn fx_mut(&mut self) -> &mut FxRack {
        &mut self.fx
    }

    /// Renders `n` frames (at most the `max_block` given to [`Deck::new`]) of every deck, stage
    /// by stage, into the decks' buffers, read back with [`Deck::pre_fader`],
    /// [`Deck::post_fader`] and [`Deck::take_ended`]. `bpm[i]` is the clock tempo at frame `i`
    /// (sync), `fpb[i]` its frames per beat (synced FX). The EQs and filters of up to
    /// [`GROUP`] decks run side by side. Every stage keeps its per-sample order and no deck's
    /// output depends on another's, so the result is the same however the host splits blocks.
    pub fn render_all(decks: &mut [Deck], n: usize, bpm: &[f64], fpb: &[f32]) {
        for deck in decks.iter_mut() {
            deck.ended = deck.render_voice(n, bpm);
            deck.apply_trim(n);
        }
        for group in decks.chunks_mut(GROUP) {
            let mut members = group.iter_mut().map(|d| (&mut d.eq, &mut d.pre[..n]));
            Eq3::process_group(std::array::from_fn(|_| members.next()));
            let mut members = group.iter_mut().map(|d| (&mut d.filter, &mut d.pre[..n]));
            DjFilter::process_group(std::array::from_fn(|_| members.next()));
        }
        for deck in decks.iter_mut() {
            deck.render_strip(n, fpb);
        }
    }

    /// The frame of the last render at which the track ended, if it did.
    pub fn take_ended(&mut self) -> Option<usize> {
        self.ended.take()
    }

    /// Trim gain over the voice in the pre-fader buffer.
    fn apply_trim(&mut self, n: usize) {
        let pre = &mut self.pre[..n];
        if self.trim.is_moving() {
            for f in pre.iter_mut() {
                let g = self.trim.tick();
                *f = [f[0] * g, f[1] * g];
            }
        } else {
            let g = self.trim.value();
            for f in pre.iter_mut() {
                *f = [f[0] * g, f[1] * g];
            }
        }
    }

    /// FX, meter and fader, after the EQ and filter.
    fn render_strip(&mut self, n: usize, fpb: &[f32]) {
        let pre = &mut self.pre[..n];
        self.fx.process(pre, fpb);
        self.peak = dsp::peak(pre, self.peak);
        let moving = self.volume.is_moving();
        let settled = self.volume.value();
        for (f, o) in pre.iter().zip(self.post.iter_mut()) {
            let v = if moving { self.volume.tick() } else { settled };
            *o = [f[0] * v, f[1] * v];
        }
    }

    /// The voice with its envelope into the pre-fader buffer (silence while stopped).
    fn render_voice(&mut self, n: usize, bpm: &[f64]) -> Option<usize> {
        let mut ended = None;
        let track = self.track.take();
        // Neither changes within a render (intents fall between renders).
        let lp = self.loop_range();
        let sync_bpm = self.grid.filter(|_| self.sync && track.is_some()).map(|(bpm, _)| bpm);
        self.nudge = 0.0;
        if sync_bpm.is_some() && self.playing && self.phase_debt != 0.0 {
            let frames = SYNC_NUDGE_SECONDS * self.sample_rate;
            self.nudge = (self.phase_debt / frames).clamp(-SYNC_NUDGE_MAX, SYNC_NUDGE_MAX);
            self.phase_debt -= self.nudge * n as f64;
        } else if !self.playing {
            self.phase_debt = 0.0;
        }
        let mut i = 0;
        while i < n {
            if let Some(track) = track.as_deref()
                && self.steady()
            {
                i = self.render_steady(track, lp, sync_bpm, bpm, i, n);
                if i == n {
                    break;
                }
            }
            if self.rate_left > 0 {
                self.rate_left -= 1;
                self.rate += self.rate_step;
            }
            if let Some(track_bpm) = sync_bpm {
                self.rate = RATE.hold(bpm[i] / track_bpm);
            }
            let mut s = [0.0f32; 2];
            if self.playing
                && let Some(track) = track.as_deref()
            {
                if let Some(slip) = &mut self.slip {
                    *slip += self.rate + self.nudge;
                }
                s = self.voice_next(track, lp);
                if self.tail_at < self.tail.len() {
                    let k = 1.0 - self.tail_at as f32 / self.tail.len() as f32;
                    let t = self.tail[self.tail_at];
                    s = [s[0] * (1.0 - k) + t[0] * k, s[1] * (1.0 - k) + t[1] * k];
                    self.tail_at += 1;
                }
                // Fully faded in, the envelope stays at 1 and leaves the samples as they are.
                if self.env < 1.0 || self.env_step < 0.0 {
                    self.env = (self.env + self.env_step).clamp(0.0, 1.0);
                    s = [s[0] * self.env, s[1] * self.env];
                    if self.env == 0.0 && self.env_step < 0.0 {
                        self.playing = false;
                        if self.after_fade.take() == Some(AfterFade::ReturnToCue) {
                            self.reader.set(self.cue);
                            self.heard = self.cue;
                        }
                    }
                }
                if self.heard >= track.len() as f64 && lp.is_none() {
                    self.playing = false;
                    self.env = 0.0;
                    ended = Some(i);
                }
            }
            self.pre[i] = s;
            i += 1;
        }
        self.track = track;
        ended
    }

    /// True while nothing but the read head moves: playing the plain voice at a steady rate,
    /// fully faded in, with no tail, crossfade or rate ramp in progress.
    fn steady(&self) -> bool {
        self.playing
            && !self.stretching()
            && self.rate_left == 0
            && self.tail_at >= self.tail.len()
            && self.env == 1.0
            && self.env_step >= 0.0
            && self.reader.fade_left == 0
    }

    /// Renders frames from `from` on while [`Deck::steady`] holds: cubic reads and the head
    /// moving on, nothing else. Stops before the frame whose step reaches the loop end or the
    /// end of the track, and returns it: the general path renders it and whatever follows.
    /// Each frame sees exactly the arithmetic of the general path.
    fn render_steady(
        &mut self,
        track: &Track,
        lp: Option<(f64, f64)>,
        sync_bpm: Option<f64>,
        bpm: &[f64],
        from: usize,
        n: usize,
    ) -> usize {
        let limit = lp.map_or(track.len() as f64, |(_, b)| b);
        let (mut pos, mut rate) = (self.reader.pos, self.rate);
        let mut i = from;
        while i < n {
            if let Some(track_bpm) = sync_bpm {
                rate = RATE.hold(bpm[i] / track_bpm);
            }
            let next = pos + (rate + self.nudge);
            if next >= limit {
                break;
            }
            self.pre[i] = track.read(pos);
            pos = next;
            i += 1;
        }
        if let Some(slip) = &mut self.slip {
            *slip += pos - self.reader.pos;
        }
        self.rate = rate;
        self.reader.pos = pos;
        self.heard = pos;
        i
    }

    /// Pre-fader output of the last [`Deck::render_all`] (feeds the cue bus).
    pub fn pre_fader(&self) -> &[[f32; 2]] {
        &self.pre
    }

    /// Post-fader output of the last [`Deck::render_all`] (feeds the crossfader).
    pub fn post_fader(&self) -> &[[f32; 2]] {
        &self.post
    }
}
