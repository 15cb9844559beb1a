//! An app with the decks and the control map over a real engine whose audio half the test
//! renders between frames (`MinimalPlugins`, no audio device): the rig every control-source
//! test shares, each adding its source (a plugin, a device) before the first frame.

use bevy::prelude::*;
use engine_rt::{DeckParam, Engine, EngineConfig, EngineProcessor, IntentKind};
use phosphene_controls::{ControlChange, ControlId, ControlValue, ControlsPlugin, LearnCommand, MappingPaths, Source};
use phosphene_decks::{Deck, DeckControls, DecksPlugin};
use phosphene_engine_bridge::{EngineBridgePlugin, EngineLink};

use crate::common::applied::{AppliedLog, collect};

/// The engine's sample rate.
pub const RATE: u32 = 48_000;
/// Frames rendered per app frame (about a 60 Hz UI).
pub const FRAME: usize = 800;
/// Decks the rig plays.
pub const DECKS: usize = 2;

/// The app and the engine's audio half.
pub struct ControlRig {
    /// The Bevy app.
    pub app: App,
    /// The engine's audio half, rendered by [`ControlRig::step`].
    pub processor: EngineProcessor,
    out: Vec<f32>,
}

impl ControlRig {
    /// A rig reading `mappings`, with `source` adding what the test plays it with; one frame
    /// has run when it returns.
    pub fn build(mappings: MappingPaths, source: impl FnOnce(&mut App)) -> Self {
        let (handle, processor) = Engine::new(EngineConfig {
            sample_rate: RATE,
            decks: DECKS,
            analysis: engine_rt::AnalysisMode::Off,
            ..EngineConfig::default()
        })
        .expect("engine");
        let mut app = App::new();
        app.add_plugins((
            MinimalPlugins,
            EngineBridgePlugin,
            DecksPlugin { decks: DECKS },
            ControlsPlugin {
                decks: DECKS,
                midi: false,
                mappings,
            },
        ))
        .init_resource::<AppliedLog>()
        .add_systems(PostUpdate, collect)
        .insert_resource(EngineLink::inline(handle));
        source(&mut app);
        app.update();
        Self {
            app,
            processor,
            out: Vec::new(),
        }
    }

    /// One app frame, then one frame's worth of audio.
    pub fn step(&mut self) {
        self.app.update();
        engine_rt::backend::offline::render(&mut self.processor, FRAME, 256, &mut self.out, |_| {});
        self.out.clear();
    }

    /// `n` frames.
    pub fn steps(&mut self, n: usize) {
        for _ in 0..n {
            self.step();
        }
    }

    /// Starts learn and clicks `control` in the control window, as a performer does before
    /// moving what is to be bound to it.
    pub fn learn(&mut self, control: ControlId) {
        self.app.world_mut().write_message(LearnCommand::Start);
        self.step();
        self.app
            .world_mut()
            .write_message(ControlChange::new(control, ControlValue::Set(0.0), Source::Ui));
        self.step();
    }

    /// Deck `deck`'s controls as the performer left them.
    pub fn controls(&mut self, deck: usize) -> DeckControls {
        let world = self.app.world_mut();
        let mut q = world.query::<(&Deck, &DeckControls)>();
        q.iter(world)
            .find(|(d, _)| d.index == deck)
            .map(|(_, c)| c.clone())
            .expect("deck")
    }

    /// Every filter value the engine applied to `deck`, with its engine frame.
    pub fn applied_filters(&self, deck: usize) -> Vec<(u64, f32)> {
        let log = &self.app.world().resource::<AppliedLog>().0;
        log.iter()
            .filter_map(|a| match a.kind {
                IntentKind::Deck {
                    deck: d,
                    param: DeckParam::Filter,
                    value,
                    ..
                } if d == deck => Some((a.frame, value)),
                _ => None,
            })
            .collect()
    }
}
