//! Engine → world: what the engine reports becomes component and resource state.

use bevy::prelude::*;
use engine_rt::{EngineEvent, IntentKind, Quantize};
use phosphene_engine_bridge::{Applied, EngineReport, EngineStatus, Intents, LoadFailed, LoadProgress};

use crate::components::{BeatGrid, Deck, DeckLoop, DeckPlayback, DeckTrack, HotCue};
use crate::transport::Transport;

/// Applied intents that change what a deck holds.
pub(crate) fn mirror_applied(
    mut applied: MessageReader<Applied>,
    mut decks: Query<(Entity, &Deck, &mut DeckTrack, &mut DeckPlayback, &DeckLoop)>,
    cues: Query<(&HotCue, &ChildOf)>,
    mut transport: ResMut<Transport>,
    mut intents: ResMut<Intents>,
    mut commands: Commands,
) {
    for a in applied.read() {
        match &a.kind {
            IntentKind::Load { deck, track } => {
                let Some((entity, _, mut t, mut p, lp)) = decks.iter_mut().find(|d| d.1.index == *deck) else {
                    continue;
                };
                t.info = Some(track.clone());
                t.loading = None;
                t.error = None;
                *p = DeckPlayback {
                    position: track.first_beat,
                    rate: 1.0,
                    ..default()
                };
                match track.bpm {
                    Some(bpm) => commands.entity(entity).insert(BeatGrid {
                        bpm,
                        first_beat: track.first_beat,
                        locked: track.grid_locked,
                    }),
                    None => commands.entity(entity).remove::<BeatGrid>(),
                };
                // The engine starts a track with no cues: give it the ones the deck holds
                // (restored from a set, or stored before a reload).
                for (cue, _) in cues.iter().filter(|(_, p)| p.parent() == entity) {
                    intents.push(
                        Quantize::Now,
                        IntentKind::SetHotCue {
                            deck: *deck,
                            slot: cue.slot,
                            seconds: cue.seconds,
                        },
                    );
                }
                if let Some((start, end)) = lp.region {
                    intents.push(
                        Quantize::Now,
                        IntentKind::SetLoop {
                            deck: *deck,
                            start,
                            end,
                            active: lp.active,
                        },
                    );
                }
            }
            IntentKind::Eject { deck } => {
                if let Some((entity, _, mut t, mut p, _)) = decks.iter_mut().find(|d| d.1.index == *deck) {
                    t.info = None;
                    *p = DeckPlayback::default();
                    commands.entity(entity).remove::<BeatGrid>();
                }
            }
            IntentKind::Tempo { bpm, .. } => transport.bpm = *bpm,
            _ => {}
        }
    }
}

/// Periodic engine state: playheads, loops, levels, the clock.
pub(crate) fn mirror_reports(
    mut reports: MessageReader<EngineReport>,
    mut decks: Query<(&Deck, &mut DeckPlayback, &mut DeckLoop)>,
    mut transport: ResMut<Transport>,
    status: Res<EngineStatus>,
) {
    let rate = status.sample_rate.max(1) as f64;
    for EngineReport(event) in reports.read() {
        match *event {
            EngineEvent::DeckState {
                deck,
                playing,
                position,
                rate: speed,
                loop_active,
                loop_region,
                peak,
            } => {
                if let Some((_, mut p, mut lp)) = decks.iter_mut().find(|d| d.0.index == deck) {
                    p.playing = playing;
                    p.position = position / rate;
                    p.rate = speed;
                    p.peak = peak;
                    if playing {
                        p.ended = false;
                    }
                    lp.active = loop_active;
                    lp.region = loop_region.map(|(a, b)| (a / rate, b / rate));
                }
            }
            EngineEvent::ClipEnded { deck, .. } => {
                if let Some((_, mut p, _)) = decks.iter_mut().find(|d| d.0.index == deck) {
                    p.playing = false;
                    p.ended = true;
                }
            }
            EngineEvent::MasterState { beat, bpm, .. } => {
                transport.beat = beat;
                transport.bpm = bpm;
            }
            _ => {}
        }
    }
}

/// Loader progress and failures, shown on the deck they were meant for.
pub(crate) fn mirror_loads(
    mut progress: MessageReader<LoadProgress>,
    mut failed: MessageReader<LoadFailed>,
    mut decks: Query<(&Deck, &mut DeckTrack)>,
) {
    for p in progress.read() {
        if let Some((_, mut t)) = decks.iter_mut().find(|d| d.0.index == p.deck) {
            // Done loads are cleared when the engine applies them.
            t.loading = Some((p.path.clone(), p.fraction));
        }
    }
    for f in failed.read() {
        if let Some((_, mut t)) = decks.iter_mut().find(|d| d.0.index == f.deck) {
            t.loading = None;
            t.error = Some(f.error.clone());
        }
    }
}
