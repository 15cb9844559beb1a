//! Offline renders stream: every block goes to the sink as soon as it exists, with the analysis
//! it completed; the render stops where asked, and the samples are the same however the blocks
//! split and whether or not the audio is analysed.

use std::path::{Path, PathBuf};

use engine_rt::analysis::HOP;
use engine_rt::backend::offline::RenderOptions;
use engine_rt::replay::{RecordedIntent, Recording};
use engine_rt::script::{self, ScriptError, TrackSpec};
use engine_rt::{AnalysisFrame, EngineConfig, IntentKind, Session, Source};

const SR: u32 = 48_000;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("phos-engine-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Writes a 3 s stereo track: a chord with a click on every beat at 120 BPM.
fn write_track(path: &Path) {
    let samples: Vec<f32> = (0..3 * SR as usize)
        .flat_map(|i| {
            let t = i as f64 / SR as f64;
            let chord = [220.0, 330.0]
                .iter()
                .map(|f| (std::f64::consts::TAU * f * t).sin())
                .sum::<f64>()
                * 0.2;
            let click = if i % 24_000 < 48 { 0.5 } else { 0.0 };
            let v = (chord + click) as f32;
            [v, -v]
        })
        .collect();
    engine_rt::backend::offline::write_wav(path, &samples, SR).expect("write track");
}

/// Two decks, a tempo ramp and a filter sweep over six beats (3 s at 120 BPM and a little less
/// after the ramp).
const SCRIPT: &str = r#"Session(
    bpm: 120.0,
    decks: 2,
    length_beats: 6.0,
    tracks: [(file: "track.wav", deck: 0, bpm: 120.0), (file: "track.wav", deck: 1, bpm: 120.0)],
    events: [
        (beat: 0.0, action: Play(deck: 0)),
        (beat: 1.0, action: Play(deck: 1)),
        (beat: 2.0, action: Tempo(bpm: 126.0, ramp_beats: 2.0)),
        (beat: 2.0, action: Sync(deck: 0, on: true)),
        (beat: 3.0, action: Deck(deck: 1, param: Filter, value: -0.6, ramp_beats: 1.0)),
    ],
)"#;

fn session(dir: &Path) -> Session {
    write_track(&dir.join("track.wav"));
    Session::parse(SCRIPT, &dir.join("session.ron")).expect("script")
}

/// What a streamed render handed out.
#[derive(Default)]
struct Streamed {
    samples: Vec<f32>,
    analysis: Vec<AnalysisFrame>,
    /// `rendered` of every block.
    rendered: Vec<u64>,
    frames: u64,
}

fn stream(s: &Session, dir: &Path, options: RenderOptions) -> Streamed {
    let mut out = Streamed::default();
    out.frames = script::render_stream(s, dir, SR, &options, |b| {
        out.samples.extend_from_slice(b.samples);
        out.analysis.extend(b.analysis);
        out.rendered.push(b.rendered);
        Ok(())
    })
    .expect("render");
    out
}

#[test]
fn blocks_split_anywhere_give_the_same_samples() {
    let dir = temp_dir("stream-blocks");
    let s = session(&dir);
    let whole = script::render(&s, &dir, SR, 512).expect("render");
    assert!(whole.len() > 2 * 2 * SR as usize, "{} samples", whole.len());
    assert!(whole.iter().any(|v| v.abs() > 0.1), "audible");
    for block in [1_000, 100, 37] {
        let streamed = stream(&s, &dir, RenderOptions::new(block));
        assert_eq!(streamed.frames as usize * 2, whole.len());
        assert!(streamed.samples == whole, "blocks of {block}: the same samples");
        assert!(streamed.rendered.windows(2).all(|w| w[1] - w[0] <= block as u64));
    }
}

#[test]
fn max_frames_stops_the_render_exactly() {
    let dir = temp_dir("stream-stop");
    let s = session(&dir);
    let whole = script::render(&s, &dir, SR, 512).expect("render");
    let stop = 50_001;
    let streamed = stream(
        &s,
        &dir,
        RenderOptions {
            max_frames: Some(stop),
            ..RenderOptions::new(512)
        },
    );
    assert_eq!(streamed.frames, stop);
    assert_eq!(streamed.rendered.last(), Some(&stop));
    assert!(
        streamed.samples == whole[..2 * stop as usize],
        "the start of the whole render"
    );
}

#[test]
fn analysis_does_not_change_the_sound_and_keeps_up_with_it() {
    let dir = temp_dir("stream-analysis");
    let s = session(&dir);
    let plain = stream(&s, &dir, RenderOptions::new(300));
    assert!(plain.analysis.is_empty(), "no analysis unless asked");
    let mut per_block = Vec::new();
    let analysed = script::render_stream(
        &s,
        &dir,
        SR,
        &RenderOptions {
            analysis: true,
            ..RenderOptions::new(300)
        },
        |b| {
            per_block.push((b.rendered, b.analysis.collect::<Vec<_>>()));
            Ok(())
        },
    )
    .expect("render");
    assert_eq!(analysed, plain.frames);
    let mut master = 0u64;
    for (rendered, frames) in &per_block {
        master += frames.iter().filter(|f| f.source == Source::Master).count() as u64;
        // A block brings the frame of every hop it completed, no later: what the offline
        // frame renderer relies on to draw a video frame as soon as its audio is rendered.
        assert_eq!(master, rendered / HOP as u64, "at frame {rendered}");
    }
    let all: Vec<AnalysisFrame> = per_block.into_iter().flat_map(|(_, f)| f).collect();
    for source in [Source::Master, Source::Deck(0), Source::Deck(1)] {
        let times: Vec<u64> = all
            .iter()
            .filter(|f| f.source == source)
            .map(|f| f.sample_time)
            .collect();
        assert!(times.len() as u64 == plain.frames / HOP as u64, "{source:?}");
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{source:?} in time order");
    }
    let mut in_memory = Vec::new();
    let samples = script::render_analysed(&s, &dir, SR, 512, |f| in_memory.push(f)).expect("render");
    assert!(samples == plain.samples, "the analysed render sounds the same");
    assert_eq!(in_memory.len(), all.len());
}

#[test]
fn a_recording_streams_and_stops_where_asked() {
    let dir = temp_dir("stream-recording");
    write_track(&dir.join("track.wav"));
    let mut rec = Recording::new(&EngineConfig {
        decks: 2,
        ..EngineConfig::default()
    });
    rec.frames = 100_000;
    rec.tracks.push(TrackSpec {
        file: "track.wav".into(),
        deck: None,
        bpm: Some(120.0),
        first_beat: 0.0,
    });
    let at = |frame: u64, kind: IntentKind<usize>| RecordedIntent { frame, beat: 0.0, kind };
    rec.intents = vec![
        at(0, IntentKind::Load { deck: 0, track: 0 }),
        at(0, IntentKind::Play { deck: 0 }),
        at(30_011, IntentKind::Load { deck: 1, track: 0 }),
        at(30_011, IntentKind::Play { deck: 1 }),
    ];
    let whole = rec.render(&dir, 512).expect("render");
    assert_eq!(whole.len(), 200_000);
    let mut samples = Vec::new();
    let options = RenderOptions {
        max_frames: Some(40_000),
        ..RenderOptions::new(100)
    };
    let frames = rec
        .render_stream(&dir, &options, |b| {
            samples.extend_from_slice(b.samples);
            Ok(())
        })
        .expect("render");
    assert_eq!(frames, 40_000);
    assert!(samples == whole[..80_000], "the start of the whole re-render");
}

#[test]
fn a_failing_sink_ends_the_render_with_its_error() {
    let dir = temp_dir("stream-error");
    let s = session(&dir);
    let mut blocks = 0;
    let err = script::render_stream(&s, &dir, SR, &RenderOptions::new(512), |_| {
        blocks += 1;
        if blocks == 2 { Err("disk full".into()) } else { Ok(()) }
    })
    .expect_err("the sink failed");
    assert_eq!(blocks, 2, "no block after the failure");
    assert!(matches!(err, ScriptError::Output(_)));
    assert_eq!(err.to_string(), "disk full");
}
