//! The app's ECS behaviour with `MinimalPlugins` and a real engine rendered offline between
//! frames: quantized launches, hot cues, loops, crossfades and set files.

mod common;
use common::applied::{AppliedLog, collect};

use std::path::Path;

use bevy::prelude::*;
use engine_rt::track_analysis::cache::AnalysisCache;
use engine_rt::{Engine, EngineConfig, EngineProcessor, IntentKind, XfaderSide};
use phosphene_decks::{
    Action, BeatGrid, Deck, DeckAction, DeckControls, DeckLoop, DeckPlayback, DeckTrack, DecksPlugin, GridEdit, HotCue,
    LaunchQuantize, MixerAction, Transport, TransportAction,
};
use phosphene_engine_bridge::{AbletonLink, Applied, EngineBridgePlugin, EngineLink, TrackCache};
use phosphene_set::{CurrentSet, DeckEntry, LoopEntry, SetCommand, SetEvent, SetFile, SetPlugin, TrackEntry};

const RATE: u32 = 48_000;
/// Frames rendered per app frame (about a 60 Hz UI).
const FRAME: usize = 800;
/// Where the test impulse sits in its track.
const IMPULSE_AT: usize = 960;

/// Set events seen so far.
#[derive(Resource, Default)]
struct SetLog(Vec<SetEvent>);

fn collect_set(mut events: MessageReader<SetEvent>, mut log: ResMut<SetLog>) {
    log.0.extend(events.read().cloned());
}

/// An app and the engine's audio half, rendered by the test.
struct Rig {
    app: App,
    processor: EngineProcessor,
    out: Vec<f32>,
}

impl Rig {
    fn new(decks: usize) -> Self {
        let config = EngineConfig {
            sample_rate: RATE,
            decks,
            analysis: engine_rt::AnalysisMode::Off,
            ..EngineConfig::default()
        };
        let (handle, processor) = Engine::new(config).expect("engine");
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, EngineBridgePlugin, DecksPlugin { decks }, SetPlugin))
            .init_resource::<AppliedLog>()
            .init_resource::<SetLog>()
            .add_systems(PostUpdate, (collect, collect_set))
            // Tracks decode within the frame that asks for them: the engine clock, which
            // this rig advances by hand, never runs while a load is under way.
            .insert_resource(EngineLink::inline(handle));
        app.update();
        Self {
            app,
            processor,
            out: Vec::new(),
        }
    }

    /// One app frame, then one frame's worth of audio.
    fn step(&mut self) {
        self.app.update();
        engine_rt::backend::offline::render(&mut self.processor, FRAME, 256, &mut self.out, |_| {});
    }

    fn act(&mut self, action: Action) {
        self.app.world_mut().write_message(action);
    }

    /// Steps until `done` holds, failing after a minute of engine time (a bound on frames,
    /// never on the wall clock).
    fn until(&mut self, what: &str, mut done: impl FnMut(&mut World) -> bool) {
        const MAX_STEPS: usize = 60 * RATE as usize / FRAME;
        for _ in 0..MAX_STEPS {
            if done(self.app.world_mut()) {
                return;
            }
            self.step();
        }
        panic!("{what} did not happen within {MAX_STEPS} frames");
    }

    /// Steps until the engine clock passes `beat`.
    fn until_beat(&mut self, beat: f64) {
        while self.processor.beat() < beat {
            self.step();
        }
        self.step();
    }

    fn deck<T: Component + Clone>(&mut self, index: usize) -> T {
        let world = self.app.world_mut();
        let mut q = world.query::<(&Deck, &T)>();
        q.iter(world)
            .find(|(d, _)| d.index == index)
            .map(|(_, t)| t.clone())
            .expect("deck component")
    }

    fn load(&mut self, deck: usize, path: &Path, bpm: f64) {
        self.act(Action::deck(
            deck,
            DeckAction::Load {
                path: path.to_path_buf(),
                bpm: Some(bpm),
                first_beat: 0.0,
            },
        ));
        self.until("the track to load", |w| {
            let mut q = w.query::<(&Deck, &DeckTrack)>();
            q.iter(w).any(|(d, t)| d.index == deck && t.info.is_some())
        });
    }

    fn applied(&mut self, name: &str) -> Vec<Applied> {
        let log = self.app.world().resource::<AppliedLog>();
        log.0.iter().filter(|a| a.kind.name() == name).cloned().collect()
    }
}

/// A 48 kHz stereo WAV: a single impulse at [`IMPULSE_AT`] (after the start's declick fade).
fn write_impulse(path: &Path, seconds: f64) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for i in 0..(seconds * RATE as f64) as usize {
        let v = if i == IMPULSE_AT { 0.5 } else { 0.0 };
        w.write_sample(v).expect("write");
        w.write_sample(v).expect("write");
    }
    w.finalize().expect("finalize");
}

#[test]
fn quantized_play_lands_on_the_bar_the_engine_reports() {
    let dir = common::temp_dir("app-quantize");
    let file = dir.join("impulse.wav");
    write_impulse(&file, 4.0);
    let mut rig = Rig::new(2);
    rig.load(0, &file, 120.0);
    rig.act(Action::Transport(TransportAction::Launch(LaunchQuantize::Bar)));
    rig.until_beat(1.3);
    rig.act(Action::deck(0, DeckAction::Play));
    rig.until("play to apply", |w| {
        w.resource::<AppliedLog>().0.iter().any(|a| a.kind.name() == "Play")
    });
    let play = rig.applied("Play").remove(0);
    assert_eq!(play.beat, 4.0, "play lands on the next bar");
    assert_eq!(play.frame, 4 * RATE as u64 / 2, "beat 4 at 120 BPM is frame 96000");
    rig.until_beat(5.0);
    // The impulse sounds exactly there, behind the limiter's look-ahead.
    let latency = rig.processor.latency();
    let first = rig
        .out
        .chunks(2)
        .position(|f| f[0].abs() > 0.01)
        .expect("impulse heard");
    assert_eq!(first, play.frame as usize + IMPULSE_AT + latency);
    assert!(rig.deck::<DeckPlayback>(0).playing);
}

#[test]
fn hot_cue_loop_and_crossfade() {
    let dir = common::temp_dir("app-cues");
    let file = dir.join("track.wav");
    common::write_track(&file);
    let mut rig = Rig::new(2);
    rig.load(0, &file, 120.0);
    assert_eq!(
        rig.deck::<BeatGrid>(0),
        BeatGrid {
            bpm: 120.0,
            first_beat: 0.0,
            locked: false,
        }
    );
    rig.act(Action::Transport(TransportAction::Launch(LaunchQuantize::Beat)));
    rig.act(Action::deck(
        0,
        DeckAction::SetHotCue {
            slot: 2,
            seconds: 1.5,
            name: "drop".into(),
        },
    ));
    rig.act(Action::deck(0, DeckAction::Play));
    rig.until_beat(2.2);
    let cue = {
        let world = rig.app.world_mut();
        let mut q = world.query::<(&HotCue, &ChildOf)>();
        q.iter(world).map(|(c, _)| c.clone()).collect::<Vec<_>>()
    };
    assert_eq!(cue.len(), 1);
    assert_eq!((cue[0].slot, cue[0].seconds, cue[0].name.as_str()), (2, 1.5, "drop"));

    // The pad jumps on the next beat; the playhead then runs on from the cue.
    rig.act(Action::deck(0, DeckAction::HotCue(2)));
    rig.until("the hot cue", |w| {
        w.resource::<AppliedLog>().0.iter().any(|a| a.kind.name() == "HotCue")
    });
    let jump = rig.applied("HotCue").remove(0);
    assert_eq!(jump.beat, 3.0);
    let before = rig.processor.frame();
    rig.step();
    rig.step();
    let p = rig.deck::<DeckPlayback>(0);
    let expected = 1.5 + (rig.processor.frame() - jump.frame) as f64 / RATE as f64;
    assert!(
        p.position >= 1.5 && p.position <= expected + 0.001,
        "{} vs {expected}",
        p.position
    );
    assert!(rig.processor.frame() > before);

    // A one-beat loop holds the playhead inside half a second of the grid.
    rig.act(Action::deck(0, DeckAction::BeatLoop(1.0)));
    rig.until("the loop", |w| {
        let mut q = w.query::<(&Deck, &DeckLoop)>();
        q.iter(w).any(|(d, l)| d.index == 0 && l.active)
    });
    let lp = rig.deck::<DeckLoop>(0);
    let (a, b) = lp.region.expect("loop region");
    assert!((b - a - 0.5).abs() < 1e-6, "one beat at 120 BPM: {a}..{b}");
    assert!((a / 0.5 - (a / 0.5).round()).abs() < 1e-6, "snapped to the grid: {a}");
    for _ in 0..60 {
        rig.step();
        let p = rig.deck::<DeckPlayback>(0).position;
        assert!(p >= a - 1e-6 && p < b + 0.021, "{p} outside {a}..{b}");
    }

    // Crossfade: the deck on side B is silent at the A end and heard at the B end.
    rig.act(Action::deck(0, DeckAction::Xfader(XfaderSide::B)));
    rig.act(Action::Mixer(MixerAction::Crossfader(-1.0)));
    for _ in 0..10 {
        rig.step();
    }
    let tail = |rig: &Rig| {
        let n = rig.out.len();
        rig.out[n - 2 * FRAME..].iter().fold(0.0f32, |m, x| m.max(x.abs()))
    };
    assert!(tail(&rig) < 1e-4, "side B at crossfader A: {}", tail(&rig));
    rig.act(Action::Mixer(MixerAction::Crossfader(1.0)));
    for _ in 0..10 {
        rig.step();
    }
    assert!(tail(&rig) > 0.05, "side B at crossfader B: {}", tail(&rig));
}

#[test]
fn set_file_round_trip_restores_decks() {
    let dir = common::temp_dir("app-set");
    common::write_track(&dir.join("track.wav"));
    let mut set = SetFile {
        bpm: 126.0,
        launch: LaunchQuantize::Bars(2),
        link_start_stop: true,
        ..SetFile::default()
    };
    let mut deck = DeckEntry {
        track: Some(TrackEntry {
            file: "track.wav".into(),
            bpm: Some(120.0),
            first_beat: 0.0,
            grid_locked: false,
        }),
        hot_cues: vec![HotCue {
            slot: 0,
            seconds: 0.5,
            name: "intro".into(),
            colour: [10, 20, 30],
            end: None,
        }],
        loop_region: Some(LoopEntry {
            start: 1.0,
            end: 2.0,
            active: false,
        }),
        ..DeckEntry::default()
    };
    deck.controls.eq_db = [-6.0, 0.0, 2.0];
    deck.controls.xfader = XfaderSide::A;
    deck.controls.keylock = true;
    set.decks.push(deck);
    set.mixer.crossfader = -0.5;
    let path = dir.join("mine.set.ron");
    set.save(&path).expect("save");

    let mut rig = Rig::new(2);
    // Link's control side, never joined (no network): the set switches its start/stop sync.
    let ableton = engine_rt::link::Link::new(120.0);
    rig.app.insert_resource(AbletonLink::new(ableton.control(), 4.0));
    rig.app.world_mut().write_message(SetCommand::Load(path.clone()));
    rig.until("the set's track", |w| {
        let mut q = w.query::<(&Deck, &DeckTrack)>();
        q.iter(w).any(|(d, t)| d.index == 0 && t.info.is_some())
    });
    rig.step();
    assert_eq!(rig.app.world().resource::<Transport>().launch, LaunchQuantize::Bars(2));
    assert!(rig.app.world_mut().resource_mut::<AbletonLink>().start_stop_sync());
    // The engine got the set's tempo, cue and loop.
    let tempo = rig.applied("Tempo");
    assert!(matches!(tempo[0].kind, IntentKind::Tempo { bpm, .. } if bpm == 126.0));
    assert!(
        rig.applied("SetHotCue")
            .iter()
            .any(|a| matches!(a.kind, IntentKind::SetHotCue { slot: 0, seconds, .. } if seconds == 0.5))
    );
    rig.step();
    assert_eq!(rig.deck::<DeckLoop>(0).region, Some((1.0, 2.0)));

    // Saving writes back the same set, the track still relative to the set.
    let copy = dir.join("copy.set.ron");
    rig.app.world_mut().write_message(SetCommand::SaveAs(copy.clone()));
    rig.step();
    let back = SetFile::load(&copy).expect("saved set parses");
    assert_eq!(
        back.decks[0].track.as_ref().map(|t| t.file.clone()),
        Some("track.wav".into())
    );
    assert_eq!(back.decks[0], set.decks[0]);
    assert_eq!(back.decks[1], DeckEntry::default());
    assert_eq!(
        (back.bpm, back.launch, back.mixer.crossfader, back.link_start_stop),
        (126.0, LaunchQuantize::Bars(2), -0.5, true)
    );
    assert_eq!(rig.app.world().resource::<CurrentSet>().path, Some(copy));
}

#[test]
fn malformed_set_is_reported_and_never_overwritten() {
    let dir = common::temp_dir("app-bad-set");
    let path = dir.join("broken.set.ron");
    let text = "SetFile(\n    bpm: 124.0,\n    decks: [\n        (controls: (volume: \"loud\")),\n    ],\n)\n";
    std::fs::write(&path, text).expect("write");
    let mut rig = Rig::new(2);
    rig.app.world_mut().write_message(SetCommand::Load(path.clone()));
    rig.step();
    let events = rig.app.world().resource::<SetLog>().0.clone();
    let Some(SetEvent::Failed(message)) = events.first() else {
        panic!("expected a failure, got {events:?}");
    };
    assert!(message.starts_with(&format!("{}:4:", path.display())), "{message}");
    // Nothing changed: no path taken over, and saving or autosaving never touches the file.
    assert_eq!(rig.app.world().resource::<CurrentSet>().path, None);
    rig.app.world_mut().write_message(SetCommand::Save);
    rig.app.world_mut().write_message(SetCommand::Autosave);
    rig.step();
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
    assert!(rig.applied("Tempo").is_empty());
}

/// Peak of the last `frames` frames the rig rendered.
fn tail_peak(rig: &Rig, frames: usize) -> f32 {
    let n = rig.out.len();
    rig.out[n - 2 * frames..].iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

/// A rig playing the test track on deck 0 for a few frames; also returns its folder.
fn playing(name: &str) -> (Rig, std::path::PathBuf) {
    let dir = common::temp_dir(name);
    let file = dir.join("track.wav");
    common::write_track(&file);
    let mut rig = Rig::new(2);
    rig.load(0, &file, 120.0);
    rig.act(Action::Transport(TransportAction::Launch(LaunchQuantize::None)));
    rig.act(Action::deck(0, DeckAction::Play));
    rig.until("play", |w| {
        w.resource::<AppliedLog>().0.iter().any(|a| a.kind.name() == "Play")
    });
    for _ in 0..10 {
        rig.step();
    }
    (rig, dir)
}

#[test]
fn control_values_that_are_not_numbers_are_refused_and_the_sound_goes_on() {
    let (mut rig, _) = playing("app-nan");
    let before = tail_peak(&rig, FRAME);
    assert!(before > 0.05, "playing: {before}");
    let bad = [
        Action::Mixer(MixerAction::Crossfader(f32::NAN)),
        Action::Mixer(MixerAction::MasterGainDb(f32::INFINITY)),
        Action::Mixer(MixerAction::CueGainDb(f32::NEG_INFINITY)),
        Action::Mixer(MixerAction::CueMix(f32::NAN)),
        Action::deck(0, DeckAction::Filter(f32::NAN)),
        Action::deck(0, DeckAction::Volume(f32::INFINITY)),
        Action::deck(0, DeckAction::Eq(engine_rt::EqBand::Low, f32::NEG_INFINITY)),
        Action::deck(0, DeckAction::Rate(f64::NAN)),
        Action::deck(0, DeckAction::Seek(f64::INFINITY)),
        Action::deck(
            0,
            DeckAction::FxAmount {
                slot: 0,
                amount: f32::NAN,
            },
        ),
        Action::deck(0, DeckAction::HotCue(99)),
        Action::Transport(TransportAction::Tempo(f64::NAN)),
    ];
    let n = bad.len() as u64;
    for a in bad {
        rig.act(a);
    }
    for _ in 0..10 {
        rig.step();
    }
    let status = rig.app.world().resource::<phosphene_engine_bridge::EngineStatus>();
    assert_eq!(status.refused_inputs, n, "every bad value is refused and counted");
    assert!(
        status.last_problem.as_deref().is_some_and(|p| p.contains("refused")),
        "{:?}",
        status.last_problem
    );
    assert_eq!(status.dropped_intents, 0, "nothing bad reached the engine");
    let mixer = rig.app.world().resource::<phosphene_decks::MixerState>().clone();
    assert_eq!(
        mixer,
        phosphene_decks::MixerState::default(),
        "the mixer kept its values"
    );
    assert_eq!(rig.app.world().resource::<Transport>().bpm, 120.0);
    let after = tail_peak(&rig, FRAME);
    assert!(rig.out.iter().all(|x| x.is_finite()));
    assert!((after - before).abs() < 0.05, "the sound goes on: {before} -> {after}");

    // Out of range: held at the range's end, and the sound goes on.
    rig.act(Action::Mixer(MixerAction::Crossfader(7.0)));
    rig.act(Action::deck(0, DeckAction::Filter(-3.0)));
    rig.step();
    assert_eq!(
        rig.app.world().resource::<phosphene_decks::MixerState>().crossfader,
        1.0
    );
    assert_eq!(rig.deck::<phosphene_decks::DeckControls>(0).filter, -1.0);
    for _ in 0..10 {
        rig.step();
    }
    assert!(tail_peak(&rig, FRAME) > 0.01, "a closed low-pass still passes the bass");
}

#[test]
fn a_set_with_a_value_that_is_not_a_number_is_refused_while_the_show_goes_on() {
    let (mut rig, dir) = playing("app-nan-set");
    let before = tail_peak(&rig, FRAME);
    assert!(before > 0.05, "playing: {before}");
    let path = dir.join("nan.set.ron");
    let text = "SetFile(\n    bpm: 124.0,\n    mixer: (crossfader: NaN),\n)\n";
    std::fs::write(&path, text).expect("write");
    rig.app.world_mut().write_message(SetCommand::Load(path.clone()));
    for _ in 0..10 {
        rig.step();
    }
    let events = rig.app.world().resource::<SetLog>().0.clone();
    let Some(SetEvent::Failed(message)) = events.first() else {
        panic!("expected a failure, got {events:?}");
    };
    assert!(
        message.starts_with(&format!("{}:3:", path.display())) && message.contains("crossfader"),
        "{message}"
    );
    assert!(tail_peak(&rig, FRAME) > 0.05, "the show goes on");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
}

/// A 4 s triad (with its octave below) over a click every beat at 120 BPM.
fn write_chord(path: &Path, hz: [f64; 3]) {
    common::write_wav(path, 4 * RATE as usize, |i| {
        let t = i as f64 / RATE as f64;
        let tone: f64 = hz.iter().map(|f| (std::f64::consts::TAU * f * t).sin()).sum::<f64>() * 0.1
            + 0.1 * (std::f64::consts::TAU * hz[0] / 2.0 * t).sin();
        let click = if i % 24_000 < 48 { 0.4 } else { 0.0 };
        let v = (tone + click) as f32;
        (v, v)
    });
}

#[test]
fn grid_edits_key_sync_and_auto_gain_reach_the_engine_and_the_cache() {
    let dir = common::temp_dir("app-grid");
    let (a, c) = (dir.join("a.wav"), dir.join("c.wav"));
    write_chord(&a, [220.0, 277.18, 329.63]);
    write_chord(&c, [261.63, 329.63, 392.0]);
    let mut rig = Rig::new(2);
    let cache = AnalysisCache::at(dir.join("cache"));
    rig.app.insert_resource(TrackCache(Some(cache.clone())));
    rig.load(0, &a, 120.0);
    rig.load(1, &c, 120.0);
    let key = |rig: &mut Rig, d: usize| {
        let t = rig.deck::<DeckTrack>(d);
        phosphene_decks::track_key(&t).expect("a key")
    };
    // A major (or its relative F#m) and C major (or Am) lie three semitones apart on the wheel.
    assert_eq!(key(&mut rig, 1).shift_to(&key(&mut rig, 0)), -3);

    // Key sync: key lock on, and the fewest semitones to a compatible key.
    rig.act(Action::deck(1, DeckAction::KeySync));
    rig.until("key sync", |w| {
        w.resource::<AppliedLog>().0.iter().any(|a| a.kind.name() == "Pitch")
    });
    let k = rig.deck::<DeckControls>(1);
    assert!(k.keylock && k.pitch == -3.0, "{k:?}");

    // Auto-gain: the trim that plays the track at the ReplayGain level.
    rig.act(Action::deck(0, DeckAction::AutoGain));
    rig.step();
    let info = rig.deck::<DeckTrack>(0).info.expect("a track");
    let loud = info.analysis.as_ref().and_then(|a| a.loudness).expect("loudness");
    let want = engine_rt::ranges::TRIM_DB.hold(loud.gain_db(-18.0)) as f32;
    assert_eq!(rig.deck::<DeckControls>(0).trim_db, want);

    // Doubling the grid reaches the engine's deck and the cache under the file's content.
    rig.act(Action::deck(0, DeckAction::Grid(GridEdit::Scale(2.0))));
    rig.until("the new grid", |w| {
        w.resource::<AppliedLog>().0.iter().any(|a| a.kind.name() == "SetGrid")
    });
    assert_eq!(rig.deck::<BeatGrid>(0).bpm, 240.0);
    let content = info.content.as_ref().expect("a content key");
    let kept = cache.get(content).and_then(|e| e.grid).expect("the grid kept");
    assert_eq!((kept.bpm, kept.locked), (240.0, false));

    // A locked grid refuses edits until unlocked.
    rig.act(Action::deck(0, DeckAction::Grid(GridEdit::Lock(true))));
    rig.step();
    rig.act(Action::deck(0, DeckAction::Grid(GridEdit::Scale(0.5))));
    rig.step();
    let g = rig.deck::<BeatGrid>(0);
    assert!(g.locked && g.bpm == 240.0, "{g:?}");
    assert!(cache.get(content).and_then(|e| e.grid).is_some_and(|g| g.locked));
}

#[test]
fn a_loop_saved_on_a_pad_comes_back_engaged() {
    let dir = common::temp_dir("app-saved-loop");
    let file = dir.join("track.wav");
    common::write_track(&file);
    let mut rig = Rig::new(1);
    rig.load(0, &file, 120.0);
    rig.act(Action::deck(0, DeckAction::Play));
    rig.until_beat(1.2);
    rig.act(Action::deck(0, DeckAction::BeatLoop(1.0)));
    let engaged = |on: bool| {
        move |w: &mut World| {
            let mut q = w.query::<(&Deck, &DeckLoop)>();
            q.iter(w).any(|(d, l)| d.index == 0 && l.active == on)
        }
    };
    rig.until("the loop", engaged(true));
    let saved = rig.deck::<DeckLoop>(0).region.expect("a loop");
    rig.act(Action::deck(0, DeckAction::SaveLoop(3)));
    rig.act(Action::deck(0, DeckAction::LoopExit));
    rig.until("the loop's end", engaged(false));
    let pad = {
        let world = rig.app.world_mut();
        let mut q = world.query::<&HotCue>();
        q.iter(world)
            .find(|c| c.slot == 3)
            .cloned()
            .expect("pad 4 holds the loop")
    };
    assert_eq!((pad.seconds, pad.end), (saved.0, Some(saved.1)));
    rig.until_beat(3.2);
    assert!(!rig.deck::<DeckLoop>(0).active);
    // The pad lands on the launch quantization, engaging the loop at its start.
    rig.act(Action::deck(0, DeckAction::HotCue(3)));
    rig.until("the pad", |w| {
        w.resource::<AppliedLog>().0.iter().any(|a| a.kind.name() == "HotCue")
    });
    let (set, jump) = (
        rig.applied("SetLoop").pop().expect("loop set"),
        rig.applied("HotCue").remove(0),
    );
    assert_eq!(set.frame, jump.frame, "loop and jump land together");
    rig.until("the saved loop engaged", engaged(true));
    for _ in 0..40 {
        rig.step();
        let (lp, p) = (rig.deck::<DeckLoop>(0), rig.deck::<DeckPlayback>(0).position);
        assert!(lp.active && lp.region == Some(saved), "{lp:?}");
        assert!(p >= saved.0 - 1e-6 && p < saved.1 + 0.021, "{p} outside {saved:?}");
    }
}
