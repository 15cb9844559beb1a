//! Building an engine and talking to it from the control side.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use basedrop::{Collector, Shared};

use crate::analysis::tap::TapWriter;
use crate::analysis::{AnalysisFrame, AnalysisThread, InlineAnalysis};
use crate::clock::InternalClock;
use crate::config::AnalysisMode;
use crate::config::{ConfigError, EngineConfig};
use crate::deck::Deck;
use crate::dsp::limiter::Limiter;
use crate::event::{DropReason, EngineEvent};
use crate::intent::{ENGINE_INTENT, Intent, IntentKind, Quantize};
use crate::mixer::Mixer;
use crate::processor::{EngineProcessor, ProcessorParts};
use crate::stats::EngineStats;
use crate::stretch::Janitor;
use crate::track::Track;

/// Entry point: builds the two halves of an engine.
pub struct Engine;

impl Engine {
    /// Builds a control handle and an audio processor joined by lock-free queues. Everything the
    /// processor will ever need is allocated here. With [`AnalysisMode::Thread`] an analysis
    /// thread is started and owned by the handle.
    #[allow(
        clippy::new_ret_no_self,
        reason = "returns the two halves rather than `Self`: an engine is nothing but them"
    )]
    pub fn new(config: EngineConfig) -> Result<(EngineHandle, EngineProcessor), ConfigError> {
        config.validate()?;
        let (intent_tx, intent_rx) = rtrb::RingBuffer::new(config.intent_capacity);
        let (event_tx, event_rx) = rtrb::RingBuffer::new(config.event_capacity);
        let stats = Arc::new(EngineStats::default());
        let declick = config.declick_frames();
        let (slots, janitor) = Janitor::start(config.decks, config.sample_rate, config.stretch_engine);
        let decks = slots
            .into_iter()
            .map(|slot| Deck::new(config.sample_rate, config.max_block, declick, config.smoothing_ms, slot))
            .collect();
        let (tap, analysis) = if config.analysis == AnalysisMode::Off {
            (None, None)
        } else {
            let width = 1 + config.decks;
            // Half a second of audio in flight before blocks are dropped.
            let cap =
                (crate::analysis::tap::HEADER + config.max_block * width) * 4 + config.sample_rate as usize / 2 * width;
            let (tx, rx) = rtrb::RingBuffer::new(cap);
            let tap = TapWriter::new(tx, width, config.max_block, stats.clone());
            let runner = if config.analysis == AnalysisMode::Inline {
                Analysis::Inline(InlineAnalysis::new(rx, width, config.sample_rate, config.quantum))
            } else {
                Analysis::Thread(AnalysisThread::spawn(rx, width, config.sample_rate, config.quantum))
            };
            (Some(tap), Some(runner))
        };
        let (record, recording) = if config.record_seconds > 0.0 {
            let cap = (config.record_seconds as f64 * config.sample_rate as f64) as usize * 2;
            let (tx, rx) = rtrb::RingBuffer::new(cap.max(config.max_block * 2));
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let processor = EngineProcessor::new(ProcessorParts {
            sample_rate: config.sample_rate,
            max_block: config.max_block,
            clock: Box::new(InternalClock::new(config.sample_rate, config.bpm, config.quantum)),
            decks,
            mixer: Mixer::new(config.sample_rate, config.smoothing_ms),
            limiter: Limiter::new(config.sample_rate, config.limiter_ceiling_db),
            intents: intent_rx,
            events: event_tx,
            pending_capacity: config.pending_capacity,
            tap,
            record,
            stats: stats.clone(),
        });
        let handle = EngineHandle {
            config,
            intents: intent_tx,
            events: event_rx,
            local_events: VecDeque::new(),
            collector: Collector::new(),
            stats,
            analysis,
            janitor,
            recording,
            // 0 is the engine's own (`ENGINE_INTENT`).
            next_id: ENGINE_INTENT + 1,
        };
        Ok((handle, processor))
    }
}

/// Where the handle's analysis frames come from.
enum Analysis {
    Thread(AnalysisThread),
    Inline(InlineAnalysis),
}

/// The control side of an engine: sends intents, receives events and analysis, and frees what
/// the audio thread let go of. Not `Sync`; keep it on one thread (or wrap it).
pub struct EngineHandle {
    config: EngineConfig,
    intents: rtrb::Producer<Intent>,
    events: rtrb::Consumer<EngineEvent>,
    local_events: VecDeque<EngineEvent>,
    collector: Collector,
    stats: Arc<EngineStats>,
    analysis: Option<Analysis>,
    /// Keeps key-lock stretchers cleared off the audio thread; stops with the handle.
    janitor: Janitor,
    recording: Option<rtrb::Consumer<f32>>,
    next_id: u64,
}

impl EngineHandle {
    /// The configuration the engine was built with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Shared counters.
    pub fn stats(&self) -> &Arc<EngineStats> {
        &self.stats
    }

    /// Queues an intent. Never blocks: when the queue is full the intent is dropped, counted,
    /// and reported as [`EngineEvent::Dropped`], and `false` is returned.
    pub fn send(&mut self, intent: Intent) -> bool {
        let id = intent.id;
        match self.intents.push(intent) {
            Ok(()) => true,
            Err(_) => {
                self.stats.dropped_intents.fetch_add(1, Ordering::Relaxed);
                self.local_events.push_back(EngineEvent::Dropped {
                    id,
                    reason: DropReason::QueueFull,
                });
                false
            }
        }
    }

    /// Queues an intent with a fresh id and returns that id (or `None` if it was dropped).
    pub fn act(&mut self, at: Quantize, kind: IntentKind) -> Option<u64> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(Intent::new(id, at, kind)).then_some(id)
    }

    /// Wraps a decoded track for the audio thread.
    pub fn share(&self, track: Track) -> Shared<Track> {
        Shared::new(&self.collector.handle(), track)
    }

    /// A handle for making [`Shared`] values on other threads (the loader's).
    pub fn collector_handle(&self) -> basedrop::Handle {
        self.collector.handle()
    }

    /// Next event from the engine, if any.
    pub fn poll_event(&mut self) -> Option<EngineEvent> {
        self.local_events.pop_front().or_else(|| self.events.pop().ok())
    }

    /// Next analysis frame, if analysis is on and one is ready.
    pub fn poll_analysis(&mut self) -> Option<AnalysisFrame> {
        match self.analysis.as_mut()? {
            Analysis::Thread(t) => t.poll(),
            Analysis::Inline(i) => i.poll(),
        }
    }

    /// Key-lock stretchers handed back by decks and not yet ready again (see
    /// [`crate::stretch::StretchSlot`]); a restart on a deck whose spare is still pending resets
    /// Rubber Band in place.
    pub fn stretchers_pending(&self) -> usize {
        self.janitor.pending()
    }

    /// Free places in the intent queue.
    pub fn free_slots(&self) -> usize {
        self.intents.slots()
    }

    /// Registers a live-input stream with the analysis thread (frames come back with
    /// [`crate::Source::Input`] and a pitch estimate) and returns the writer for the capture
    /// callback. `None` unless analysis runs on its thread.
    pub fn input_tap(&self, max_block: usize) -> Option<TapWriter> {
        let Some(Analysis::Thread(analysis)) = self.analysis.as_ref() else {
            return None;
        };
        let (tx, rx) = rtrb::RingBuffer::new((crate::analysis::tap::HEADER + max_block) * 8 + 48_000);
        analysis.add_stream(crate::analysis::TapStream {
            consumer: rx,
            sources: vec![crate::Source::Input],
            pitch: true,
            quantum: self.config.quantum,
        });
        Some(TapWriter::new(tx, 1, max_block, self.stats.clone()))
    }

    /// The master output as the audio thread rendered it (interleaved stereo, from frame 0), for
    /// writing the live recording on another thread. `Some` once, when `record_seconds > 0`.
    pub fn take_recording(&mut self) -> Option<rtrb::Consumer<f32>> {
        self.recording.take()
    }

    /// Between offline blocks: discards pending events, hands analysis frames (if analysis is
    /// on) to `sink` and frees what the processor released.
    pub fn settle(&mut self, mut sink: impl FnMut(AnalysisFrame)) {
        while self.poll_event().is_some() {}
        while let Some(f) = self.poll_analysis() {
            sink(f);
        }
        self.collect();
    }

    /// Frees memory the audio thread released (call regularly, e.g. once per UI frame).
    pub fn collect(&mut self) {
        self.collector.collect();
    }
}
