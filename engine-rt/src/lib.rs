//! # engine-rt
//!
//! Phosphene's real-time audio engine, with no Bevy dependency. [`Engine::new`] returns an
//! [`EngineHandle`] for the control side and an [`EngineProcessor`] for the audio thread; they
//! talk over lock-free queues. The processor never sees an audio API: backends in [`backend`]
//! call [`EngineProcessor::process`], and the offline backend renders the same graph
//! bit-exactly for tests and exports.
//!
//! Time is musical: [`Intent`]s carry a [`Quantize`] target in beats that the processor turns
//! into the exact output frame every block, so output never depends on the block size.

pub mod analysis;
pub mod backend;
pub mod clock;
pub mod config;
pub mod deck;
pub mod decode;
pub mod dsp;
mod engine;
pub mod event;
pub mod intent;
pub mod link;
pub mod loader;
pub mod mixer;
mod processor;
pub mod ranges;
pub mod replay;
pub mod ron_file;
pub mod script;
pub mod stats;
pub mod stretch;
pub mod track;
pub mod track_analysis;

pub use analysis::{AnalysisFrame, Source};
pub use clock::{BeatClock, InternalClock, TransportChange};
pub use config::{AnalysisMode, EngineConfig};
pub use engine::{Engine, EngineHandle};
pub use event::{DropReason, EngineEvent};
pub use intent::{
    DeckParam, ENGINE_INTENT, EqBand, FxKind, Intent, IntentKind, MasterParam, Quantize, XfaderCurve, XfaderSide,
};
pub use processor::EngineProcessor;
pub use script::Session;
pub use track::Track;
