//! Ableton Link behind [`BeatClock`]: the engine's beats come from the Link session while Link
//! is on, and from the engine's own [`InternalClock`] while it is off.
//!
//! The two halves share one [`rusty_link::AblLink`]:
//! - [`LinkClock`] is the audio thread's clock. Once per block it captures the session state
//!   into one [`SessionState`] it owns (a copy, no allocation) and maps engine frames to Link's
//!   host time through the output's stamped sample clock
//!   ([`crate::backend::output_clock::OutputClock`]: the device's own playback timestamps
//!   where the audio API gives them, through a delay-locked loop that survives xruns, restarts
//!   and counters going backwards), plus the output latency.
//! - [`LinkControl`] is the control side: it switches Link on and off, reads peers, tempo and
//!   phase, and never touches the audio thread's state.
//!
//! Switching is handed over so neither the beat nor the tempo jumps (the Link test plan's
//! TEMPO-5 and BEATTIME-1): asked to link, the audio thread hands the internal clock's beat and
//! tempo at one moment to the control side, which writes them into Link's (still local)
//! timeline synchronously and only then joins the network, where Link makes the joiner follow
//! the session. (A commit from the audio thread is applied by Link later, possibly after
//! joining, where it would take the session over.) Asked to unlink, the network is left first
//! and the internal clock carries on from the session's last beat and tempo.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::Instant;

use rusty_link::{AblLink, SessionState};

use crate::Quantize;
use crate::backend::CallbackStats;
use crate::clock::{BeatClock, InternalClock, TransportChange, quantize_target};

/// Where the handover stands ([`Handover::phase`]).
const IDLE: u8 = 0;
/// The control side wrote a seed into Link's timeline and joined: the audio thread may follow.
const COMMITTED: u8 = 1;
/// The audio thread follows Link.
const FOLLOWING: u8 = 2;

/// What the control side asks and the audio thread answers, as plain atomics.
#[derive(Debug, Default)]
struct Handover {
    /// The control side wants Link on.
    wanted: AtomicBool,
    /// The control side wants start/stop sync (see [`LinkControl::set_start_stop_sync`]).
    start_stop: AtomicBool,
    /// [`IDLE`], [`COMMITTED`] or [`FOLLOWING`]: the two sides move it with compare-and-swap,
    /// so neither can undo a step of the other's it has not seen.
    phase: AtomicU8,
    /// A sequence lock over `seed`: odd while the audio thread writes it, 0 while no seed is
    /// current (not wanted, or following).
    seed_seq: AtomicU64,
    /// The internal clock at one moment, rewritten every block while Link is wanted and not
    /// yet followed (so a tempo change in the meantime is in it): Link host time (µs, `i64`
    /// bits), beat and tempo (`f64` bits).
    seed: [AtomicU64; 3],
}

impl Handover {
    /// The current seed whole, if there is one: (µs, beat, bpm).
    fn read_seed(&self) -> Option<(i64, f64, f64)> {
        let before = self.seed_seq.load(Ordering::Acquire);
        if before == 0 || before % 2 == 1 {
            return None;
        }
        let micros = self.seed[0].load(Ordering::Relaxed) as i64;
        let beat = f64::from_bits(self.seed[1].load(Ordering::Relaxed));
        let bpm = f64::from_bits(self.seed[2].load(Ordering::Relaxed));
        std::sync::atomic::fence(Ordering::Acquire);
        (self.seed_seq.load(Ordering::Relaxed) == before).then_some((micros, beat, bpm))
    }

    /// From the audio thread (the only writer).
    fn write_seed(&self, micros: i64, beat: f64, bpm: f64) {
        let seq = self.seed_seq.load(Ordering::Relaxed);
        // Odd while writing; never back to 0 (0 means "no seed").
        let odd = if seq % 2 == 1 { seq } else { seq + 1 };
        self.seed_seq.store(odd, Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::Release);
        self.seed[0].store(micros as u64, Ordering::Relaxed);
        self.seed[1].store(beat.to_bits(), Ordering::Relaxed);
        self.seed[2].store(bpm.to_bits(), Ordering::Relaxed);
        self.seed_seq.store(odd + 1, Ordering::Release);
    }

    /// From the audio thread: no seed is current.
    fn drop_seed(&self) {
        self.seed_seq.store(0, Ordering::Release);
    }
}

/// A Link session and the state shared by its two halves. Made off the audio thread.
pub struct Link {
    link: Arc<AblLink>,
    handover: Arc<Handover>,
}

impl Link {
    /// A Link instance, off (no network), whose timeline starts at `bpm` if no session is
    /// joined. Link keeps tempos within [`TEMPO_RANGE`].
    pub fn new(bpm: f64) -> Self {
        Self {
            link: Arc::new(AblLink::new(bpm)),
            handover: Arc::default(),
        }
    }

    /// The audio thread's clock, continuing from `internal` while Link is off. `stats` is
    /// the output's: its callbacks stamp the sample clock and report the device's latency.
    /// `device_frames` stands in for that latency where the audio API reports none (the
    /// device buffer); `graph_frames` is the graph's own (the limiter's look-ahead). The
    /// render-ahead needs no term: the stamps count frames handed to the device.
    pub fn clock(
        &self,
        internal: InternalClock,
        sample_rate: u32,
        stats: Arc<CallbackStats>,
        device_frames: f64,
        graph_frames: f64,
    ) -> LinkClock {
        let micros = |frames: f64| frames.max(0.0) * 1e6 / f64::from(sample_rate);
        LinkClock {
            link: self.link.clone(),
            handover: self.handover.clone(),
            state: SessionState::new(),
            quantum: internal.quantum(),
            internal,
            following: false,
            stats,
            sample_rate: f64::from(sample_rate),
            device_micros: micros(device_frames),
            graph_micros: micros(graph_frames),
            block: Anchor::default(),
            ramp: None,
            jump: 0.0,
            transport: None,
            transport_change: None,
        }
    }

    /// The control side's handle.
    pub fn control(&self) -> LinkControl {
        LinkControl {
            link: self.link.clone(),
            handover: self.handover.clone(),
            state: SessionState::new(),
        }
    }
}

/// Tempos Link accepts (it clamps what peers publish to these).
pub const TEMPO_RANGE: (f64, f64) = (20.0, 999.0);

/// Link as the control side sees it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LinkStatus {
    /// Link is on (joined to the network).
    pub enabled: bool,
    /// Other peers in the session.
    pub peers: u64,
    /// Session tempo in beats per minute.
    pub bpm: f64,
    /// Beat position now (Link's host time now, as heard by the session).
    pub beat: f64,
    /// Position within the quantum, `0 <= phase < quantum`.
    pub phase: f64,
    /// Link host time (µs) the beat and phase were read at.
    pub micros: i64,
    /// Start/stop sync is on ([`LinkControl::set_start_stop_sync`]).
    pub start_stop_sync: bool,
    /// The session's transport plays (shared with the peers while start/stop sync is on).
    pub playing: bool,
}

/// The control side of Link: switches it and reads it. Not for the audio thread.
pub struct LinkControl {
    link: Arc<AblLink>,
    handover: Arc<Handover>,
    /// The app's own capture of the session (made once: a `SessionState` allocates).
    state: SessionState,
}

impl LinkControl {
    /// Asks for Link on or off. Joining waits for the audio thread to hand over its beat (see
    /// the module docs), so call [`LinkControl::update`] regularly; leaving is at once.
    pub fn set_enabled(&self, on: bool) {
        self.handover.wanted.store(on, Ordering::Release);
        if !on {
            if self.link.is_enabled() {
                self.link.enable(false);
            }
            // A commit the audio thread has not taken up yet is void: the next join seeds anew.
            let _ = self
                .handover
                .phase
                .compare_exchange(COMMITTED, IDLE, Ordering::AcqRel, Ordering::Acquire);
        }
    }

    /// Whether Link is asked to be on.
    pub fn wanted(&self) -> bool {
        self.handover.wanted.load(Ordering::Acquire)
    }

    /// Switches start/stop sync (Link's name for a transport shared by the peers): while it is
    /// on, synced decks start on the session's bar line when another peer starts and pause
    /// when it stops, and Phosphene's first synced deck to start (its last to stop) starts
    /// (stops) the session. It acts on changes: switching it on, or joining a session that
    /// has played past the first bar line after its start, starts nothing.
    pub fn set_start_stop_sync(&self, on: bool) {
        self.link.enable_start_stop_sync(on);
        self.handover.start_stop.store(on, Ordering::Release);
    }

    /// Whether start/stop sync is asked to be on.
    pub fn start_stop_sync(&self) -> bool {
        self.handover.start_stop.load(Ordering::Acquire)
    }

    /// Joins the network once the audio thread has handed over its beat (`quantum` beats to
    /// the bar). Cheap; call it every UI frame.
    pub fn update(&mut self, quantum: f64) {
        if !self.wanted() {
            return;
        }
        let phase = self.handover.phase.load(Ordering::Acquire);
        let enabled = self.link.is_enabled();
        match phase {
            // Switched off and on before the audio thread saw it: it still follows Link's
            // timeline, which went on locally.
            FOLLOWING if !enabled => self.link.enable(true),
            FOLLOWING | COMMITTED => {}
            _ => {
                // Idle: a join that the audio thread undid (it saw a switch-off in between)
                // starts again from a fresh seed.
                if enabled {
                    self.link.enable(false);
                }
                let Some((micros, beat, bpm)) = self.handover.read_seed() else {
                    return;
                };
                self.link.capture_app_session_state(&mut self.state);
                self.state.set_tempo(bpm, micros);
                self.state.force_beat_at_time(beat, micros, quantum);
                self.link.commit_app_session_state(&self.state);
                if self
                    .handover
                    .phase
                    .compare_exchange(IDLE, COMMITTED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    self.link.enable(true);
                }
            }
        }
    }

    /// Peers, tempo, beat and phase at `quantum` beats to the bar, now.
    pub fn status(&mut self, quantum: f64) -> LinkStatus {
        self.link.capture_app_session_state(&mut self.state);
        let now = self.link.clock_micros();
        LinkStatus {
            enabled: self.link.is_enabled(),
            peers: self.link.num_peers(),
            bpm: self.state.tempo(),
            beat: self.state.beat_at_time(now, quantum),
            phase: self.state.phase_at_time(now, quantum),
            micros: now,
            start_stop_sync: self.start_stop_sync(),
            playing: self.state.is_playing(),
        }
    }
}

/// The frame-to-host-time mapping and Link's beat at the start of the block being rendered.
#[derive(Debug, Clone, Copy, Default)]
struct Anchor {
    /// Engine frame of the block's first sample.
    frame: f64,
    /// Link host time (µs) at which that frame is heard.
    micros: f64,
    /// The session's beat then, and its tempo (constant within a block: Link has no ramps).
    beat: f64,
    bpm: f64,
}

/// A local tempo ramp, published to the session as one step a block.
#[derive(Debug, Clone, Copy)]
struct Ramp {
    start: f64,
    frames: f64,
    from: f64,
    to: f64,
}

impl Ramp {
    fn bpm_at(&self, frame: f64) -> f64 {
        let t = ((frame - self.start) / self.frames).clamp(0.0, 1.0);
        self.from + (self.to - self.from) * t
    }
}

/// The engine's clock with Link in it (see the module docs). Never allocates or blocks.
pub struct LinkClock {
    link: Arc<AblLink>,
    handover: Arc<Handover>,
    /// The audio thread's capture of the session, reused every block.
    state: SessionState,
    quantum: f64,
    internal: InternalClock,
    following: bool,
    stats: Arc<CallbackStats>,
    sample_rate: f64,
    /// Device latency (µs) where the audio API reports none: the device buffer.
    device_micros: f64,
    /// The graph's own latency (µs).
    graph_micros: f64,
    block: Anchor,
    ramp: Option<Ramp>,
    /// Beats the timeline moved at the last block start (see [`BeatClock::take_jump`]).
    jump: f64,
    /// The session's transport as last read or published, (playing, Link host time µs), while
    /// start/stop sync is on and Link followed.
    transport: Option<(bool, i64)>,
    /// A change of it another peer made, for [`BeatClock::take_transport`].
    transport_change: Option<TransportChange>,
}

impl LinkClock {
    /// Link host time (µs) at which engine frame `frame` is heard, from the output's last
    /// stamp: the stamp's moment is moved onto Link's clock by reading both clocks now.
    fn heard_micros(&self, frame: f64) -> f64 {
        let now_link = self.link.clock_micros() as f64;
        let now = Instant::now();
        let (stamp_frame, stamp_micros, device_micros) = match self.stats.clock.last_stamp() {
            Some(s) => {
                // The moment may lie a little after `now` (smoothed): signed difference.
                let since = crate::backend::output_clock::seconds_between(s.moment, now);
                // The latency reported with this very stamp (read under its lock).
                let device = s.device_latency.map_or(self.device_micros, |d| d.as_secs_f64() * 1e6);
                (s.frame as f64, now_link - since * 1e6, device)
            }
            // No callback yet (or an output that never stamps): the frame is being rendered now.
            None => (frame, now_link, self.device_micros),
        };
        stamp_micros + (frame - stamp_frame) * 1e6 / self.sample_rate + device_micros + self.graph_micros
    }

    fn beats_per_frame(&self) -> f64 {
        self.block.bpm / (60.0 * self.sample_rate)
    }

    /// Hands the internal clock's beat and tempo, at the moment `frame` is heard (`heard` µs),
    /// to the control side, which writes them into Link's timeline (see the module docs).
    fn seed(&mut self, frame: f64, heard: f64) {
        let micros = heard.round();
        let bpm = self.internal.bpm_at(frame).clamp(TEMPO_RANGE.0, TEMPO_RANGE.1);
        let beat = self.internal.beat_at(frame) + (micros - heard) * bpm / 60e6;
        self.handover.write_seed(micros as i64, beat, bpm);
    }

    /// Reads the session's transport from this block's capture: a change since the last
    /// reading is another peer's. Start/stop sync acts on changes, so the first reading (on
    /// joining, or when start/stop sync is switched on) counts only as a start whose first bar
    /// line is still to come: a session that has been playing for a while starts nothing.
    fn read_transport(&mut self) {
        if !self.handover.start_stop.load(Ordering::Acquire) {
            self.transport = None;
            return;
        }
        let now = (self.state.is_playing(), self.state.time_for_is_playing());
        let beat = self.state.beat_at_time(now.1, self.quantum);
        let changed = match self.transport {
            Some(seen) => seen != now,
            None => now.0 && quantize_target(Quantize::NextBar, beat, self.quantum) >= self.block.beat,
        };
        if changed {
            self.transport_change = Some(TransportChange { playing: now.0, beat });
        }
        self.transport = Some(now);
    }

    /// Link was switched off: the internal clock carries on from the session's beat and tempo.
    fn stop_following(&mut self, frame: f64) {
        let beat = self.beat_at(frame);
        self.following = false;
        self.internal.restart(frame, beat, self.block.bpm);
        // A ramp being published goes on in the internal clock.
        if let Some(r) = self.ramp.take()
            && frame < r.start + r.frames
        {
            self.internal.set_tempo(frame, r.to, r.start + r.frames - frame);
        }
        self.handover.phase.store(IDLE, Ordering::Release);
    }
}

impl BeatClock for LinkClock {
    fn begin_block(&mut self, frame: u64) {
        let f = frame as f64;
        if !self.handover.wanted.load(Ordering::Acquire) {
            if self.following {
                self.stop_following(f);
            } else {
                // Asked and unasked before the audio thread followed: the commit is void.
                let _ = self
                    .handover
                    .phase
                    .compare_exchange(COMMITTED, IDLE, Ordering::AcqRel, Ordering::Acquire);
            }
            self.handover.drop_seed();
            self.transport = None;
            return;
        }
        let heard = self.heard_micros(f);
        // Where this frame's beat was heading: by the last block's reading, or by the internal
        // clock on the first block that follows Link.
        let heading = self.beat_at(f);
        if !self.following {
            let committed = self
                .handover
                .phase
                .compare_exchange(COMMITTED, FOLLOWING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            if !committed {
                // Every block until the control side commits: a tempo change in the meantime
                // is in the seed it takes.
                self.seed(f, heard);
                return;
            }
            self.handover.drop_seed();
            self.following = true;
            // An internal ramp in progress goes on as published steps.
            if let Some((to, left)) = self.internal.ramp_left(f) {
                self.ramp = Some(Ramp {
                    start: f,
                    frames: left,
                    from: self.internal.bpm_at(f),
                    to,
                });
            }
        }
        let micros = heard.round() as i64;
        self.link.capture_audio_session_state(&mut self.state);
        if let Some(ramp) = self.ramp {
            let bpm = ramp.bpm_at(f);
            self.state.set_tempo(bpm, micros);
            self.link.commit_audio_session_state(&self.state);
            if f >= ramp.start + ramp.frames {
                self.ramp = None;
            }
        }
        // Anchored at the rounded microsecond Link was asked about, so beats are exact.
        self.block = Anchor {
            frame: f - (heard - micros as f64) * self.sample_rate / 1e6,
            micros: micros as f64,
            beat: self.state.beat_at_time(micros, self.quantum),
            bpm: self.state.tempo(),
        };
        self.jump += self.beat_at(f) - heading;
        self.read_transport();
    }

    fn take_jump(&mut self) -> f64 {
        std::mem::take(&mut self.jump)
    }

    fn beat_at(&self, frame: f64) -> f64 {
        if !self.following {
            return self.internal.beat_at(frame);
        }
        self.block.beat + (frame - self.block.frame) * self.beats_per_frame()
    }

    fn frame_at(&self, beat: f64) -> f64 {
        if !self.following {
            return self.internal.frame_at(beat);
        }
        self.block.frame + (beat - self.block.beat) / self.beats_per_frame()
    }

    fn bpm_at(&self, frame: f64) -> f64 {
        if !self.following {
            return self.internal.bpm_at(frame);
        }
        self.block.bpm
    }

    fn bpm_over(&self, frame: f64, out: &mut [f64]) {
        if !self.following {
            return self.internal.bpm_over(frame, out);
        }
        out.fill(self.block.bpm);
    }

    fn quantum(&self) -> f64 {
        self.quantum
    }

    fn transport(&self) -> Option<bool> {
        self.transport.map(|(playing, _)| playing)
    }

    fn take_transport(&mut self) -> Option<TransportChange> {
        self.transport_change.take()
    }

    fn publish_transport(&mut self, playing: bool, beat: f64) {
        if self.transport.is_none() {
            return;
        }
        // A microsecond before the beat: a peer starting with the session moves its beat 0 to
        // the first moment at or after the start in phase with its bar line, and that moment
        // rounded a hair late would be a whole bar later.
        self.link.capture_audio_session_state(&mut self.state);
        let micros = self.state.time_at_beat(beat, self.quantum) - 1;
        self.state.set_is_playing(playing, micros);
        self.link.commit_audio_session_state(&self.state);
        self.transport = Some((playing, micros));
        // A change another peer made in this very block gives way to this one.
        self.transport_change = None;
    }

    fn set_tempo(&mut self, frame: f64, bpm: f64, ramp_frames: f64) {
        if !self.following {
            return self.internal.set_tempo(frame, bpm, ramp_frames);
        }
        let bpm = bpm.clamp(TEMPO_RANGE.0, TEMPO_RANGE.1);
        if ramp_frames > 0.0 {
            // Link has no ramps: the next blocks publish it step by step.
            self.ramp = Some(Ramp {
                start: frame,
                frames: ramp_frames,
                from: self.block.bpm,
                to: bpm,
            });
            return;
        }
        self.ramp = None;
        let at = self.block.micros + (frame - self.block.frame) * 1e6 / self.sample_rate;
        let beat = self.beat_at(frame);
        self.link.capture_audio_session_state(&mut self.state);
        self.state.set_tempo(bpm, at.round() as i64);
        self.link.commit_audio_session_state(&self.state);
        // The rest of this block at the new tempo, from the same beat.
        self.block = Anchor {
            frame,
            micros: at,
            beat,
            bpm,
        };
    }
}

#[cfg(test)]
mod tests {
    //! Without the network: Link is never enabled here (it would multicast on the host). The
    //! joined paths run against real peers in `tests/link.rs`, inside a network namespace.
    use super::*;

    const SR: u32 = 48_000;

    fn clock(link: &Link) -> LinkClock {
        link.clock(
            InternalClock::new(SR, 120.0, 4.0),
            SR,
            CallbackStats::new(),
            256.0,
            72.0,
        )
    }

    #[test]
    fn while_link_is_off_the_clock_is_the_internal_one() {
        let link = Link::new(120.0);
        let mut c = clock(&link);
        let mut internal = InternalClock::new(SR, 120.0, 4.0);
        c.set_tempo(48_000.0, 140.0, 24_000.0);
        internal.set_tempo(48_000.0, 140.0, 24_000.0);
        for frame in [0u64, 30_000, 96_000, 480_000] {
            c.begin_block(frame);
            let f = frame as f64;
            assert_eq!(c.beat_at(f), internal.beat_at(f));
            assert_eq!(c.bpm_at(f), internal.bpm_at(f));
            assert_eq!(c.frame_at(3.5), internal.frame_at(3.5));
            assert_eq!(c.take_jump(), 0.0);
        }
    }

    #[test]
    fn asking_for_link_hands_over_the_internal_beat_and_tempo() {
        let link = Link::new(120.0);
        let mut c = clock(&link);
        link.control().handover.wanted.store(true, Ordering::Release);
        c.begin_block(48_000);
        let (_, beat, bpm) = link.handover.read_seed().expect("a seed");
        // Frame 48 000 is beat 2 at 120 BPM; the seed is for the rounded microsecond.
        assert!((beat - 2.0).abs() < 1e-4, "{beat}");
        assert_eq!(bpm, 120.0);
        // Not joined yet: the internal clock still answers, and a tempo change meanwhile is in
        // the next block's seed.
        assert_eq!(c.beat_at(48_000.0), 2.0);
        c.set_tempo(48_000.0, 90.0, 0.0);
        c.begin_block(48_256);
        assert_eq!(link.handover.read_seed().map(|s| s.2), Some(90.0));
        // Switched off before the control side took it: no seed is current.
        link.handover.wanted.store(false, Ordering::Release);
        c.begin_block(48_512);
        assert_eq!(link.handover.read_seed(), None);
    }

    #[test]
    fn following_reports_the_timelines_move_and_leaving_keeps_the_beat() {
        let link = Link::new(120.0);
        let mut c = clock(&link);
        let h = link.handover.clone();
        h.wanted.store(true, Ordering::Release);
        c.begin_block(0);
        // The control side would write the seed into Link's timeline and join; here Link's own
        // local timeline is followed as it is, so the beat moves and the move is reported.
        h.phase.store(COMMITTED, Ordering::Release);
        let before = c.beat_at(256.0);
        c.begin_block(256);
        let jump = c.take_jump();
        assert!((c.beat_at(256.0) - before - jump).abs() < 1e-9);
        assert_eq!(c.take_jump(), 0.0, "reported once");
        assert_eq!(c.bpm_at(256.0), 120.0);
        let beat = c.beat_at(512.0);
        h.wanted.store(false, Ordering::Release);
        c.begin_block(512);
        assert!((c.beat_at(512.0) - beat).abs() < 1e-9, "no jump on leaving");
        assert_eq!(h.phase.load(Ordering::Acquire), IDLE);
        assert_eq!(h.read_seed(), None);
    }

    #[test]
    fn the_transport_is_read_on_changes_and_published() {
        let link = Link::new(120.0);
        let mut c = clock(&link);
        let control = link.control();
        control.set_start_stop_sync(true);
        let h = link.handover.clone();
        h.wanted.store(true, Ordering::Release);
        c.begin_block(0);
        h.phase.store(COMMITTED, Ordering::Release);
        c.begin_block(256);
        // The first reading is a state, not a change.
        assert_eq!(c.transport(), Some(false));
        assert_eq!(c.take_transport(), None);
        // Another player (here the app side, on the same timeline) starts.
        let mut app = SessionState::new();
        link.link.capture_app_session_state(&mut app);
        let at = link.link.clock_micros();
        app.set_is_playing(true, at);
        link.link.commit_app_session_state(&app);
        c.begin_block(512);
        let change = c.take_transport().expect("the start is read");
        assert!(change.playing);
        assert!((change.beat - app.beat_at_time(at, 4.0)).abs() < 1e-9);
        assert_eq!(c.take_transport(), None, "read once");
        // Phosphene stops it at beat 6. (That Link holds its own commit against being read
        // back as another's change is a joined Link's grace period: `tests/link.rs`.)
        c.publish_transport(false, 6.0);
        assert_eq!(c.transport(), Some(false));
        // Start/stop sync off: no transport to follow or lead.
        control.set_start_stop_sync(false);
        c.begin_block(1024);
        assert_eq!(c.transport(), None);
    }

    /// The first block following Link with start/stop sync on, the session having started
    /// `ago` seconds before (at its own host time).
    fn first_reading(ago: f64) -> Option<TransportChange> {
        let link = Link::new(120.0);
        let mut c = clock(&link);
        link.control().set_start_stop_sync(true);
        let mut app = SessionState::new();
        link.link.capture_app_session_state(&mut app);
        app.set_is_playing(true, link.link.clock_micros() - (ago * 1e6) as i64);
        link.link.commit_app_session_state(&app);
        link.handover.wanted.store(true, Ordering::Release);
        c.begin_block(0);
        link.handover.phase.store(COMMITTED, Ordering::Release);
        c.begin_block(256);
        assert_eq!(c.transport(), Some(true));
        c.take_transport()
    }

    #[test]
    fn joining_a_start_whose_bar_is_to_come_follows_it_and_one_long_past_not() {
        assert!(
            first_reading(-0.5).is_some_and(|c| c.playing),
            "starts in half a second"
        );
        assert_eq!(first_reading(10.0), None, "has played for ten seconds");
    }

    #[test]
    fn a_ramp_is_published_as_steps() {
        let r = Ramp {
            start: 0.0,
            frames: 100.0,
            from: 120.0,
            to: 140.0,
        };
        assert_eq!(r.bpm_at(-5.0), 120.0);
        assert_eq!(r.bpm_at(50.0), 130.0);
        assert_eq!(r.bpm_at(500.0), 140.0);
    }
}
