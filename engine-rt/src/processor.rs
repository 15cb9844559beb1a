//! The audio-thread half of the engine: applies intents at their exact frames and renders the
//! graph decks -> strips -> mixer -> limiter. Plain data with a `process` method; backends call it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::analysis::tap::TapWriter;
use crate::clock::{BeatClock, TransportChange, quantize_target};
use crate::deck::Deck;
use crate::dsp::fast_max;
use crate::dsp::limiter::Limiter;
use crate::event::{DropReason, EngineEvent};
use crate::intent::{ENGINE_INTENT, Intent, IntentKind, Quantize};
use crate::mixer::Mixer;
use crate::ranges::{Range, ValueError};
use crate::stats::EngineStats;

/// Milliseconds between periodic state reports (converted to frames at the sample rate).
const REPORT_MS: f64 = 20.0;

struct Pending {
    beat: f64,
    seq: u64,
    intent: Intent,
}

/// Renders audio. Owned by the audio thread; never allocates, locks or blocks in `process`.
pub struct EngineProcessor {
    sample_rate: f64,
    max_block: usize,
    clock: Box<dyn BeatClock>,
    frame: u64,
    decks: Vec<Deck>,
    mixer: Mixer,
    limiter: Limiter,
    intents: rtrb::Consumer<Intent>,
    events: rtrb::Producer<EngineEvent>,
    events_lost: u64,
    pending: Vec<Pending>,
    seq: u64,
    /// The beat on which the shared transport's start starts the synced decks (see
    /// [`EngineProcessor::follow_transport`]).
    transport_start: Option<f64>,
    tap: Option<TapWriter>,
    /// Master output for the live recording (stereo interleaved), if recording.
    record: Option<rtrb::Producer<f32>>,
    stats: Arc<EngineStats>,
    report_every: u64,
    master_peak: f32,
    /// Clock tempo and frames per beat for each frame of the current segment.
    bpm: Box<[f64]>,
    fpb: Box<[f32]>,
}

/// Everything the processor is built from (assembled by [`crate::Engine::new`]).
pub(crate) struct ProcessorParts {
    pub sample_rate: u32,
    pub max_block: usize,
    pub clock: Box<dyn BeatClock>,
    pub decks: Vec<Deck>,
    pub mixer: Mixer,
    pub limiter: Limiter,
    pub intents: rtrb::Consumer<Intent>,
    pub events: rtrb::Producer<EngineEvent>,
    pub pending_capacity: usize,
    pub tap: Option<TapWriter>,
    pub record: Option<rtrb::Producer<f32>>,
    pub stats: Arc<EngineStats>,
}

impl EngineProcessor {
    pub(crate) fn new(p: ProcessorParts) -> Self {
        Self {
            sample_rate: p.sample_rate as f64,
            max_block: p.max_block,
            clock: p.clock,
            frame: 0,
            decks: p.decks,
            mixer: p.mixer,
            limiter: p.limiter,
            intents: p.intents,
            events: p.events,
            events_lost: 0,
            pending: Vec::with_capacity(p.pending_capacity),
            seq: 0,
            transport_start: None,
            tap: p.tap,
            record: p.record,
            stats: p.stats,
            report_every: (REPORT_MS * p.sample_rate as f64 / 1000.0) as u64,
            master_peak: 0.0,
            bpm: vec![0.0; p.max_block].into(),
            fpb: vec![0.0; p.max_block].into(),
        }
    }

    /// Output frames rendered so far (the engine's sample clock).
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Clock beat at the next frame to render.
    pub fn beat(&self) -> f64 {
        self.clock.beat_at(self.frame as f64)
    }

    /// Frame at which the clock reaches `beat`, given the tempo as it stands now.
    pub fn frame_at_beat(&self, beat: f64) -> f64 {
        self.clock.frame_at(beat)
    }

    /// Sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate as u32
    }

    /// Output latency of the graph itself (the limiter's look-ahead) in frames.
    pub fn latency(&self) -> usize {
        self.limiter.latency()
    }

    /// Replaces the clock (e.g. with an Ableton Link clock); the new clock takes over at once.
    pub fn set_clock(&mut self, clock: Box<dyn BeatClock>) {
        self.clock = clock;
    }

    /// Renders `out.len() / channels` interleaved frames. Master goes to channels 1/2, the
    /// headphone cue bus to 3/4 when present; other channels are silent. With one channel the
    /// master is summed to mono.
    pub fn process(&mut self, out: &mut [f32], channels: usize) {
        // Live and offline alike, so renders stay bit-equal (see `dsp::ftz`).
        let _flush = crate::dsp::ftz::FlushDenormals::new();
        let channels = channels.max(1);
        let frames = out.len() / channels;
        let mut done = 0;
        while done < frames {
            let n = (frames - done).min(self.max_block);
            self.render_block(&mut out[done * channels..(done + n) * channels], channels, n);
            done += n;
        }
        self.stats.frames.store(self.frame, Ordering::Relaxed);
    }

    fn render_block(&mut self, out: &mut [f32], channels: usize, frames: usize) {
        self.clock.begin_block(self.frame);
        let jump = self.clock.take_jump();
        if jump != 0.0 {
            let bpm = self.clock.bpm_at(self.frame as f64);
            for deck in &mut self.decks {
                deck.clock_jumped(jump, bpm);
            }
        }
        if let Some(change) = self.clock.take_transport() {
            self.follow_transport(change);
        }
        self.receive_intents();
        let end = self.frame + frames as u64;
        if let Some(tap) = self.tap.as_mut() {
            let f = self.frame as f64;
            tap.begin(self.frame, self.clock.beat_at(f), self.clock.bpm_at(f));
        }
        let mut written = 0;
        loop {
            self.apply_due();
            if self.frame >= end {
                break;
            }
            let next_report = (self.frame / self.report_every + 1) * self.report_every;
            let seg_end = self
                .next_due()
                .map_or(end, |f| f.clamp(self.frame + 1, end))
                .min(next_report);
            let n = (seg_end - self.frame) as usize;
            self.render_frames(&mut out[written * channels..(written + n) * channels], channels);
            written += n;
        }
        if let Some(tap) = self.tap.as_mut() {
            tap.flush();
        }
    }

    /// First frame at which a pending intent is due.
    fn due_frame(&self, beat: f64) -> u64 {
        (self.clock.frame_at(beat) - 1e-6).ceil().max(0.0) as u64
    }

    fn next_due(&self) -> Option<u64> {
        let intent = self.pending.first().map(|p| p.beat);
        [intent, self.transport_start]
            .into_iter()
            .flatten()
            .map(|beat| self.due_frame(beat))
            .min()
    }

    fn receive_intents(&mut self) {
        let now = self.clock.beat_at(self.frame as f64);
        let quantum = self.clock.quantum();
        while let Ok(intent) = self.intents.pop() {
            // The last line of defence: whatever entered upstream, no value that is not a
            // finite number reaches a smoother, and ranges hold as the live sources' do.
            let id = intent.id;
            let intent = match intent.checked_with(Range::clamp) {
                Ok(i) => i,
                Err(e) => {
                    self.stats.dropped_intents.fetch_add(1, Ordering::Relaxed);
                    let reason = match e {
                        ValueError::NotFinite { what } => {
                            self.stats.refused_values.fetch_add(1, Ordering::Relaxed);
                            DropReason::NotFinite(what)
                        }
                        // Only counts (a slot past the last) and orders (a loop's ends) are
                        // out of range after clamping: they name what does not exist.
                        ValueError::OutOfRange { .. } => DropReason::Invalid,
                    };
                    self.emit(EngineEvent::Dropped { id, reason });
                    continue;
                }
            };
            let beat = match intent.at {
                Quantize::Frame(f) => self.clock.beat_at(f as f64).max(now),
                at => quantize_target(at, now, quantum),
            };
            let play = match intent.kind {
                IntentKind::Play { deck } => Some(deck),
                _ => None,
            };
            if self.schedule(beat, intent)
                && let Some(deck) = play
            {
                self.announce_start(deck, beat);
            }
        }
    }

    /// Queues `intent` for `beat` (after those already queued for it), or drops it when the
    /// queue is full; says whether it was queued.
    fn schedule(&mut self, beat: f64, intent: Intent) -> bool {
        if self.pending.len() == self.pending.capacity() {
            self.stats.dropped_intents.fetch_add(1, Ordering::Relaxed);
            self.emit(EngineEvent::Dropped {
                id: intent.id,
                reason: DropReason::PendingFull,
            });
            return false;
        }
        let seq = self.seq;
        self.seq += 1;
        let at = self.pending.partition_point(|p| (p.beat, p.seq) <= (beat, seq));
        self.pending.insert(at, Pending { beat, seq, intent });
        true
    }

    /// Synced decks follow a start or stop of the shared transport that another player made.
    /// On a start, the synced decks with a track that are not playing start on the first bar
    /// line from the start's moment (where the other players' first bar falls); the decks
    /// synced then, so a deck synced meanwhile joins. On a stop, a start still waiting is
    /// called off and each synced deck playing pauses at the stop's moment (at once, when that
    /// has passed).
    fn follow_transport(&mut self, change: TransportChange) {
        self.transport_start = None;
        self.pending.retain(|p| p.intent.id != ENGINE_INTENT);
        if change.playing {
            let bar = quantize_target(Quantize::NextBar, change.beat, self.clock.quantum());
            let now = self.clock.beat_at(self.frame as f64);
            if bar < now {
                // The bar line was rendered before the start was read (renders run ahead of
                // the speaker, and Link holds a peer's change back for a second after one of
                // ours): the decks start now, where they would be had they started on it.
                self.start_synced_decks(now - bar);
            } else {
                self.transport_start = Some(bar);
            }
            return;
        }
        for deck in 0..self.decks.len() {
            let d = &self.decks[deck];
            if d.synced() && d.running() {
                let kind = IntentKind::Pause { deck };
                self.schedule(
                    change.beat,
                    Intent::new(ENGINE_INTENT, Quantize::Beat(change.beat), kind),
                );
            }
        }
    }

    /// Starts every synced deck with a track that is not playing, in phase, as if it had
    /// started `late` beats ago on the bar line ([`Deck::play_late`]).
    fn start_synced_decks(&mut self, late: f64) {
        let fpb = self.frames_per_beat();
        let beat = self.clock.beat_at(self.frame as f64);
        for deck in 0..self.decks.len() {
            let d = &mut self.decks[deck];
            if !d.synced() || d.track().is_none() || d.running() {
                continue;
            }
            d.play_late(late, beat, fpb);
            self.emit(EngineEvent::Applied {
                id: ENGINE_INTENT,
                frame: self.frame,
                beat,
            });
        }
    }

    /// A performer's start of a stopped synced deck while the shared transport is stopped
    /// starts it on the deck's launch beat as soon as the launch is received: the other players
    /// hear of it as far ahead as the launch's quantization allows (told only as the bar is
    /// rendered, LinkHut starts a beat late).
    fn announce_start(&mut self, deck: usize, beat: f64) {
        if self.clock.transport() == Some(false) && self.decks.get(deck).is_some_and(|d| d.synced() && !d.running()) {
            self.clock.publish_transport(true, beat);
        }
    }

    /// A performer's start or stop of a synced deck leads the shared transport: the first
    /// synced deck to start starts it (when [`EngineProcessor::announce_start`] has not, as
    /// when another player stopped it while the launch waited), on the beat the deck started
    /// on; the last to stop stops it. `started` says which the intent was; `was_running`
    /// whether the deck played before.
    fn lead_transport(&mut self, deck: usize, started: bool, was_running: bool, beat: f64) {
        let Some(playing) = self.clock.transport() else {
            return;
        };
        let Some(d) = self.decks.get(deck).filter(|d| d.synced()) else {
            return;
        };
        let any_running = self.decks.iter().any(|d| d.synced() && d.running());
        let publish = if started {
            !was_running && d.running() && !playing
        } else {
            was_running && !any_running && playing
        };
        if publish {
            self.clock.publish_transport(started, beat);
        }
    }

    fn apply_due(&mut self) {
        self.apply_due_intents();
        // After the intents due at the same frame: a deck synced on the bar line starts too.
        if let Some(beat) = self.transport_start
            && self.due_frame(beat) <= self.frame
        {
            self.transport_start = None;
            let now = self.clock.beat_at(self.frame as f64);
            self.start_synced_decks(now - beat);
        }
    }

    fn apply_due_intents(&mut self) {
        while let Some(first) = self.pending.first() {
            if self.due_frame(first.beat) > self.frame {
                return;
            }
            let p = self.pending.remove(0);
            let id = p.intent.id;
            // A performer's start or stop of a deck, which may lead the shared transport.
            let transport_edge = match p.intent.kind {
                _ if id == ENGINE_INTENT => None,
                IntentKind::Play { deck } => Some((deck, true)),
                IntentKind::Pause { deck } | IntentKind::Stop { deck } => Some((deck, false)),
                _ => None,
            };
            let was_running = transport_edge.is_some_and(|(d, _)| self.decks.get(d).is_some_and(Deck::running));
            if self.apply(p.intent.kind) {
                let beat = self.clock.beat_at(self.frame as f64);
                self.emit(EngineEvent::Applied {
                    id,
                    frame: self.frame,
                    beat,
                });
                if let Some((deck, started)) = transport_edge {
                    self.lead_transport(deck, started, was_running, p.beat);
                }
            } else {
                self.stats.dropped_intents.fetch_add(1, Ordering::Relaxed);
                self.emit(EngineEvent::Dropped {
                    id,
                    reason: DropReason::Invalid,
                });
            }
        }
    }

    fn frames_per_beat(&self) -> f64 {
        60.0 * self.sample_rate / self.clock.bpm_at(self.frame as f64)
    }

    fn beats_to_frames(&self, beats: f64) -> u32 {
        (beats.max(0.0) * self.frames_per_beat()).round().min(u32::MAX as f64) as u32
    }

    /// Applies one intent now; false if it names something that does not exist.
    fn apply(&mut self, kind: IntentKind) -> bool {
        let n = self.decks.len();
        let fpb = self.frames_per_beat();
        let deck_of = |d: usize| (d < n).then_some(d);
        match kind {
            IntentKind::Tempo { bpm, ramp_beats } => {
                let f = self.frame as f64;
                let from = self.clock.bpm_at(f);
                // Frames whose average tempo covers `ramp_beats` beats.
                let ramp = ramp_beats.max(0.0) * 120.0 * self.sample_rate / (from + bpm);
                self.clock.set_tempo(f, bpm, ramp);
                true
            }
            IntentKind::Master {
                param,
                value,
                ramp_beats,
            } => {
                let ramp = self.beats_to_frames(ramp_beats);
                self.mixer.set(param, value, ramp);
                true
            }
            IntentKind::XfaderCurve { curve } => {
                self.mixer.curve = curve;
                self.mixer.curve_changed();
                true
            }
            kind => {
                let Some(d) = deck_of(deck_index(&kind)) else {
                    return false;
                };
                self.apply_deck(d, kind, fpb)
            }
        }
    }

    fn apply_deck(&mut self, d: usize, kind: IntentKind, fpb: f64) -> bool {
        let ramp = |beats: f64| (beats.max(0.0) * fpb).round().min(u32::MAX as f64) as u32;
        let bpm = self.clock.bpm_at(self.frame as f64);
        let beat = self.clock.beat_at(self.frame as f64);
        let deck = &mut self.decks[d];
        match kind {
            // The previous track is dropped here; basedrop defers the free to the collector.
            IntentKind::Load { track, .. } => drop(deck.load(track)),
            IntentKind::Eject { .. } => drop(deck.eject()),
            IntentKind::Play { .. } => deck.play(beat),
            IntentKind::Pause { .. } => deck.pause(),
            IntentKind::Stop { .. } => deck.stop(),
            IntentKind::Cue { .. } => deck.cue_button(),
            // Values and slots were checked on arrival (`receive_intents`).
            IntentKind::Seek { seconds, .. } => deck.seek_seconds(seconds),
            IntentKind::SetHotCue { slot, seconds, .. } => deck.set_hot_cue(slot, seconds),
            IntentKind::HotCue { slot, .. } => return deck.hot_cue(slot),
            IntentKind::LoopIn { .. } => deck.loop_in(),
            IntentKind::LoopOut { .. } => deck.loop_out(),
            IntentKind::BeatLoop { beats, .. } => deck.beat_loop(beats, fpb),
            IntentKind::LoopExit { .. } => deck.loop_exit(),
            IntentKind::SetLoop { start, end, active, .. } => return deck.set_loop(start, end, active),
            IntentKind::BeatJump { beats, .. } => deck.beat_jump(beats, fpb),
            IntentKind::LoopMove { beats, .. } => deck.loop_move(beats, fpb),
            IntentKind::LoopScale { factor, .. } => deck.loop_scale(factor),
            IntentKind::LoopRoll { beats, .. } => deck.loop_roll(beats, fpb),
            IntentKind::Slip { on, .. } => deck.set_slip(on),
            IntentKind::SetGrid { bpm, first_beat, .. } => deck.set_grid(bpm, first_beat),
            IntentKind::Rate { rate, ramp_beats, .. } => deck.set_rate(rate, ramp(ramp_beats)),
            IntentKind::Sync { on, .. } => deck.set_sync(on, bpm, beat),
            IntentKind::KeyLock { on, .. } => deck.set_keylock(on),
            IntentKind::Pitch { semitones, .. } => deck.set_semitones(semitones),
            IntentKind::Deck {
                param,
                value,
                ramp_beats,
                ..
            } => deck.set_param(param, value, ramp(ramp_beats)),
            IntentKind::EqKill { band, on, .. } => deck.set_kill(band, on),
            IntentKind::XfaderAssign { side, .. } => deck.xfader = side,
            IntentKind::CueMonitor { on, .. } => deck.cue_monitor = on,
            IntentKind::FxSlot { slot, fx, .. } => deck.fx_mut().set_slot(slot as usize, fx),
            IntentKind::Tempo { .. } | IntentKind::Master { .. } | IntentKind::XfaderCurve { .. } => {
                unreachable!("global intents are handled in apply")
            }
        }
        true
    }

    fn emit(&mut self, e: EngineEvent) {
        if self.events_lost > 0 {
            if self
                .events
                .push(EngineEvent::EventsLost {
                    count: self.events_lost,
                })
                .is_err()
            {
                self.events_lost += 1;
                return;
            }
            self.events_lost = 0;
        }
        if self.events.push(e).is_err() {
            self.events_lost += 1;
            self.stats.events_lost.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Renders one segment (no intent falls inside it): each deck renders the whole segment
    /// stage by stage, then the mix, limiter and outputs run frame by frame.
    fn render_frames(&mut self, out: &mut [f32], channels: usize) {
        let n = out.len() / channels;
        self.clock.bpm_over(self.frame as f64, &mut self.bpm[..n]);
        let mut last = (f64::NAN, 0.0);
        for (bpm, fpb) in self.bpm[..n].iter().zip(self.fpb.iter_mut()) {
            if *bpm != last.0 {
                last = (*bpm, (60.0 * self.sample_rate / bpm) as f32);
            }
            *fpb = last.1;
        }
        Deck::render_all(&mut self.decks, n, &self.bpm[..n], &self.fpb[..n]);
        for d in 0..self.decks.len() {
            if let Some(i) = self.decks[d].take_ended() {
                let frame = self.frame + i as u64;
                self.emit(EngineEvent::ClipEnded { deck: d, frame });
            }
        }
        for i in 0..n {
            let g = self.mixer.tick();
            let (mut ml, mut mr, mut cl, mut cr) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
            for (d, deck) in self.decks.iter().enumerate() {
                let post = deck.post_fader()[i];
                let x = g.side(deck.xfader);
                ml += post[0] * x;
                mr += post[1] * x;
                if deck.cue_monitor {
                    let pre = deck.pre_fader()[i];
                    cl += pre[0];
                    cr += pre[1];
                }
                if let Some(tap) = self.tap.as_mut() {
                    tap.channel(1 + d, (post[0] + post[1]) * 0.5);
                }
            }
            let (ol, or) = self.limiter.tick(ml * g.master, mr * g.master);
            // The limiter's output is finite.
            self.master_peak = fast_max(fast_max(ol.abs(), or.abs()), self.master_peak);
            if let Some(tap) = self.tap.as_mut() {
                tap.channel(0, (ol + or) * 0.5);
                tap.next_frame();
            }
            let o = &mut out[i * channels..(i + 1) * channels];
            if channels == 1 {
                o[0] = (ol + or) * 0.5;
            } else {
                o[0] = ol;
                o[1] = or;
                if channels >= 4 {
                    let c = self.limiter.ceiling();
                    let hl = (cl * (1.0 - g.cue_mix) + ol * g.cue_mix) * g.cue;
                    let hr = (cr * (1.0 - g.cue_mix) + or * g.cue_mix) * g.cue;
                    o[2] = if hl.is_finite() { hl.clamp(-c, c) } else { 0.0 };
                    o[3] = if hr.is_finite() { hr.clamp(-c, c) } else { 0.0 };
                }
                o[4.min(channels)..].fill(0.0);
            }
        }
        self.record_segment(out, channels);
        self.frame += n as u64;
        // Segments end on report boundaries (see render_block), so state reports stay exact.
        if self.frame.is_multiple_of(self.report_every) {
            self.report();
        }
    }

    /// Copies the segment's master pair to the recording ring; when the writer has fallen behind,
    /// the segment is left out and counted rather than waited for.
    fn record_segment(&mut self, out: &[f32], channels: usize) {
        let Some(rec) = self.record.as_mut() else {
            return;
        };
        let n = out.len() / channels;
        match rec.write_chunk_uninit(2 * n) {
            Ok(chunk) => {
                let right = 1.min(channels - 1);
                let samples = out.chunks_exact(channels).flat_map(|f| [f[0], f[right]]);
                chunk.fill_from_iter(samples);
            }
            Err(_) => {
                self.stats.record_dropped_frames.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    }

    fn report(&mut self) {
        for d in 0..self.decks.len() {
            let deck = &mut self.decks[d];
            if deck.track().is_none() {
                continue;
            }
            let e = EngineEvent::DeckState {
                deck: d,
                playing: deck.is_playing(),
                position: deck.position(),
                rate: deck.rate(),
                loop_active: deck.loop_active(),
                loop_region: deck.loop_region(),
                peak: deck.take_peak(),
            };
            self.emit(e);
        }
        let f = self.frame as f64;
        let e = EngineEvent::MasterState {
            frame: self.frame,
            beat: self.clock.beat_at(f),
            bpm: self.clock.bpm_at(f),
            peak: std::mem::take(&mut self.master_peak),
            limiter_reduction_db: self.limiter.take_max_reduction(),
        };
        self.emit(e);
        self.stats
            .scrubbed_samples
            .store(self.limiter.scrubbed(), Ordering::Relaxed);
    }
}

/// The deck an intent addresses (global intents never reach this).
fn deck_index<T>(kind: &IntentKind<T>) -> usize {
    match *kind {
        IntentKind::Load { deck, .. }
        | IntentKind::Eject { deck }
        | IntentKind::Play { deck }
        | IntentKind::Pause { deck }
        | IntentKind::Stop { deck }
        | IntentKind::Cue { deck }
        | IntentKind::Seek { deck, .. }
        | IntentKind::SetHotCue { deck, .. }
        | IntentKind::HotCue { deck, .. }
        | IntentKind::LoopIn { deck }
        | IntentKind::LoopOut { deck }
        | IntentKind::BeatLoop { deck, .. }
        | IntentKind::LoopExit { deck }
        | IntentKind::SetLoop { deck, .. }
        | IntentKind::BeatJump { deck, .. }
        | IntentKind::LoopMove { deck, .. }
        | IntentKind::LoopScale { deck, .. }
        | IntentKind::LoopRoll { deck, .. }
        | IntentKind::Slip { deck, .. }
        | IntentKind::SetGrid { deck, .. }
        | IntentKind::Rate { deck, .. }
        | IntentKind::Sync { deck, .. }
        | IntentKind::KeyLock { deck, .. }
        | IntentKind::Pitch { deck, .. }
        | IntentKind::Deck { deck, .. }
        | IntentKind::EqKill { deck, .. }
        | IntentKind::XfaderAssign { deck, .. }
        | IntentKind::CueMonitor { deck, .. }
        | IntentKind::FxSlot { deck, .. } => deck,
        IntentKind::Tempo { .. } | IntentKind::Master { .. } | IntentKind::XfaderCurve { .. } => usize::MAX,
    }
}
