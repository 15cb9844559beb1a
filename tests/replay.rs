//! A scripted live performance of the demo set on a real JACK server (dummy driver, started
//! here) is recorded by the app, re-rendered offline from its recording, and compared.

mod common;
use common::jackd::Jackd;
use common::live::{LiveProcess, wait_until};
use common::*;

use std::path::{Path, PathBuf};

use engine_rt::IntentKind;
use engine_rt::replay::Recording;

/// Performer actions at beats: launches on the bar, a hot cue, a loop, the crossfader, EQ,
/// filter, FX, key lock and a tempo change, all through the app's action path.
const ACTIONS: &str = r#"[
    (beat: 0.0, action: Deck(deck: 0, action: Play)),
    (beat: 2.0, action: Deck(deck: 1, action: HotCue(1))),
    (beat: 3.0, action: Mixer(Crossfader(0.0))),
    (beat: 5.0, action: Deck(deck: 0, action: BeatLoop(1.0))),
    (beat: 6.0, action: Deck(deck: 1, action: Filter(-0.4))),
    (beat: 6.5, action: Deck(deck: 0, action: Eq(Low, -20.0))),
    (beat: 7.0, action: Deck(deck: 0, action: Fx(slot: 0, fx: Some(Echo(beats: 0.5))))),
    (beat: 7.0, action: Deck(deck: 0, action: FxAmount(slot: 0, amount: 0.5))),
    (beat: 9.0, action: Deck(deck: 0, action: LoopExit)),
    (beat: 9.0, action: Deck(deck: 1, action: KeyLock(true))),
    (beat: 10.0, action: Transport(Tempo(127.0))),
    (beat: 11.0, action: Deck(deck: 1, action: Sync(true))),
]"#;

fn demo_set() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/demo.set.ron")
}

/// The first file in `dir` whose name ends with `ext`.
fn find(dir: &Path, ext: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(ext))
}

/// The recording's log as the recorder last wrote it (it rewrites it, atomically, every two
/// seconds while the app runs).
fn read_log(dir: &Path) -> Option<Recording> {
    let path = find(dir, ".rec.ron")?;
    Recording::parse(&std::fs::read_to_string(&path).ok()?, &path).ok()
}

/// Frame at which the first recorded intent matching `kind` took effect.
fn frame_of(rec: &Recording, kind: impl Fn(&IntentKind<usize>) -> bool) -> Option<u64> {
    rec.intents.iter().find(|i| kind(&i.kind)).map(|i| i.frame)
}

/// The last scripted action (deck 2's sync, at beat 11) as the recording logs it.
fn last_action(kind: &IntentKind<usize>) -> bool {
    matches!(kind, IntentKind::Sync { deck: 1, on: true })
}

/// Frames of a bar at the demo set's tempo (124 BPM), which the test waits for after the last
/// action so the performance goes on a while after it.
const BAR_FRAMES: u64 = 4 * 48_000 * 60 / 124;

#[test]
fn recorded_live_performance_re_renders_identically() {
    let dir = temp_dir("replay");
    let actions = dir.join("actions.ron");
    std::fs::write(&actions, ACTIONS).expect("write actions");
    let rec_dir = dir.join("recordings");
    let jack = Jackd::start("replay");
    let mut app = LiveProcess::spawn(
        jack.cmd(env!("CARGO_BIN_EXE_phosphene"))
            .arg(demo_set())
            .args(["--headless", "--audio", "jack"])
            .arg("--actions")
            .arg(&actions)
            .arg("--record-dir")
            .arg(&rec_dir),
    );
    // The actions fire on the engine's clock once the set's tracks are on the decks, however
    // long loading takes: wait until the recording holds the last of them and a bar more.
    let waited = wait_until("the recording holds every scripted action and a bar more", || {
        app.assert_running();
        let rec = read_log(&rec_dir)?;
        let last = frame_of(&rec, last_action)?;
        (rec.frames >= last + BAR_FRAMES).then_some(rec.frames)
    });
    // Stopped as a service manager stops an installation: the recording is finished.
    app.signal("TERM");
    let out = app.finish();
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains("stream_errors="), "{}", out.stdout);

    let found = |ext: &str| find(&rec_dir, ext).unwrap_or_else(|| panic!("no *{ext} in {}", rec_dir.display()));
    let (log, wav) = (found(".rec.ron"), found(".wav"));
    // The light of the performance is recorded too (the headless app plans it).
    let visuals = std::fs::read_to_string(found(".visuals.ron")).expect("visuals");
    assert!(
        visuals.contains("VisualSetup(") && visuals.contains("cues:"),
        "{visuals}"
    );
    let text = std::fs::read_to_string(&log).expect("recording");
    assert!(
        text.contains("HotCue(deck: 1, slot: 1)") && text.contains("Tempo(bpm: 127.0"),
        "{text}"
    );
    assert!(text.contains("dropped_frames: 0"), "the live WAV is complete");
    let rec = Recording::parse(&text, &log).expect("recording parses");
    let play = frame_of(&rec, |k| matches!(k, IntentKind::Play { deck: 0 })).expect("deck 1 played");

    let again = dir.join("again.wav");
    let o = phosphene(&["render", log.to_str().unwrap(), "--out", again.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (live, _) = read_wav(&wav);
    let (offline, _) = read_wav(&again);
    assert!(
        live.len() as u64 >= 2 * waited,
        "the recording runs until the app was stopped: {} of {waited} frames",
        live.len() / 2
    );
    assert_eq!(live.len(), offline.len(), "same length");
    let played = &live[2 * play as usize..];
    let audible = played.iter().filter(|x| x.abs() > 0.01).count();
    assert!(
        audible > played.len() / 2,
        "the performance is audible once deck 1 plays: {audible} of {}",
        played.len()
    );
    let equal = live.iter().zip(&offline).filter(|(a, b)| a == b).count();
    eprintln!("{equal} of {} samples equal; {}", live.len(), out.stdout);
    assert_eq!(equal, live.len(), "bit-identical re-render");
}
