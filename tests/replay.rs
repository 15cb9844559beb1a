//! A scripted live performance of the demo set on a real JACK server (dummy driver, started
//! here) is recorded by the app, re-rendered offline from its recording, and compared.

mod common;
use common::jackd::Jackd;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Stdio;

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

#[test]
fn recorded_live_performance_re_renders_identically() {
    let dir = temp_dir("replay");
    let actions = dir.join("actions.ron");
    std::fs::write(&actions, ACTIONS).expect("write actions");
    let rec_dir = dir.join("recordings");
    let jack = Jackd::start("replay");
    let out = jack
        .cmd(env!("CARGO_BIN_EXE_phosphene"))
        .arg(demo_set())
        .args(["--headless", "--audio", "jack", "--seconds", "9"])
        .arg("--actions")
        .arg(&actions)
        .arg("--record-dir")
        .arg(&rec_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run phosphene");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(line.contains("stream_errors="), "{line}");

    let find = |ext: &str| {
        std::fs::read_dir(&rec_dir)
            .expect("recordings folder")
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(ext))
            .unwrap_or_else(|| panic!("no *{ext} in {}", rec_dir.display()))
    };
    let (log, wav) = (find(".rec.ron"), find(".wav"));
    // The light of the performance is recorded too (the headless app plans it).
    let visuals = std::fs::read_to_string(find(".visuals.ron")).expect("visuals");
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

    let again = dir.join("again.wav");
    let o = phosphene(&["render", log.to_str().unwrap(), "--out", again.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (live, _) = read_wav(&wav);
    let (offline, _) = read_wav(&again);
    assert!(
        live.len() > 48_000 * 2 * 6,
        "at least six seconds recorded: {}",
        live.len()
    );
    assert_eq!(live.len(), offline.len(), "same length");
    let audible = live.iter().filter(|x| x.abs() > 0.01).count();
    assert!(audible > live.len() / 4, "the performance is audible: {audible}");
    let equal = live.iter().zip(&offline).filter(|(a, b)| a == b).count();
    eprintln!("{equal} of {} samples equal; {line}", live.len());
    assert_eq!(equal, live.len(), "bit-identical re-render");
}
