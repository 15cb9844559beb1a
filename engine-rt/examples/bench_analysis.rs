//! Tempo and beat tracking on the development corpus, side by side with aubio and librosa run
//! on the same files in the same run.
//!
//! ```text
//! bash tests/corpus/fetch.sh            # once: builds target/corpus (see tests/corpus/SOURCES.md)
//! cargo run --release -p engine-rt --example bench_analysis -- --corpus target/corpus [--no-peers]
//! ```
//!
//! Per track: `track=<id> kind=<kind> truth_bpm=<f> bpm=<f> acc1=<0|1> acc2=<0|1> beat_f=<f>
//! seconds=<f> confidence=<f>`; then per kind and per peer summaries; the last line is
//! Phosphene's `acc1=<f> acc2=<f> beat_f=<f> seconds_per_track=<f>`. Peers: `aubio tempo` (timed
//! on its own: the speed goal is against it) and `aubio beat` from Debian's aubio-tools, and
//! librosa's `beat_track` through `tests/peers/tempo_peers.py` (Python from `--python`, by
//! default the corpus's virtual environment).

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use engine_rt::track_analysis::analyse_file;
use engine_rt::track_analysis::score::{acc1, acc2, beat_f_measure};
use support::{arg, flag};

/// One annotated track of the corpus.
struct Entry {
    id: String,
    file: PathBuf,
    bpm: f64,
    kind: String,
    beats: Vec<f64>,
}

/// Reads `manifest.tsv` and each track's `truth/<id>.beats`.
fn corpus(dir: &Path) -> Result<Vec<Entry>, String> {
    let manifest = dir.join("manifest.tsv");
    let text = std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [id, file, bpm, kind, ..] = cols[..] else {
            return Err(format!(
                "{}:{}: expected id, file, bpm, kind",
                manifest.display(),
                n + 1
            ));
        };
        let bpm = bpm
            .parse()
            .map_err(|_| format!("{}:{}: bpm '{bpm}' is not a number", manifest.display(), n + 1))?;
        let truth = dir.join("truth").join(format!("{id}.beats"));
        let beats = std::fs::read_to_string(&truth)
            .map_err(|e| format!("{}: {e}", truth.display()))?
            .lines()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        out.push(Entry {
            id: id.into(),
            file: dir.join(file),
            bpm,
            kind: kind.into(),
            beats,
        });
    }
    Ok(out)
}

/// What one tracker made of one track.
#[derive(Default, Clone)]
struct Estimate {
    bpm: f64,
    beats: Vec<f64>,
    seconds: f64,
}

/// Running sums of the scores.
#[derive(Default)]
struct Tally {
    n: usize,
    acc1: usize,
    acc2: usize,
    f: f64,
    seconds: f64,
}

impl Tally {
    fn add(&mut self, e: &Estimate, truth: &Entry) -> (bool, bool, f64) {
        let (a1, a2) = (acc1(e.bpm, truth.bpm), acc2(e.bpm, truth.bpm));
        let f = beat_f_measure(&e.beats, &truth.beats);
        self.n += 1;
        self.acc1 += a1 as usize;
        self.acc2 += a2 as usize;
        self.f += f;
        self.seconds += e.seconds;
        (a1, a2, f)
    }

    fn line(&self) -> String {
        let n = self.n.max(1) as f64;
        format!(
            "acc1={:.3} acc2={:.3} beat_f={:.3} seconds_per_track={:.4}",
            self.acc1 as f64 / n,
            self.acc2 as f64 / n,
            self.f / n,
            self.seconds / n
        )
    }
}

fn phosphene(e: &Entry) -> Estimate {
    let t = Instant::now();
    let a = analyse_file(&e.file, &AtomicBool::new(false), |_| {});
    let seconds = t.elapsed().as_secs_f64();
    match a.ok().and_then(|a| a.rhythm) {
        Some(r) => Estimate {
            bpm: r.bpm,
            beats: r.beats,
            seconds,
        },
        None => Estimate {
            seconds,
            ..Estimate::default()
        },
    }
}

/// `aubio tempo` (timed alone) and `aubio beat`.
fn aubio(e: &Entry) -> Option<Estimate> {
    let t = Instant::now();
    let tempo = Command::new("aubio").arg("tempo").arg(&e.file).output().ok()?;
    let seconds = t.elapsed().as_secs_f64();
    let bpm = String::from_utf8_lossy(&tempo.stdout)
        .lines()
        .find_map(|l| l.strip_suffix("bpm")?.trim().parse().ok())
        .unwrap_or(0.0);
    let beat = Command::new("aubio").arg("beat").arg(&e.file).output().ok()?;
    let beats = String::from_utf8_lossy(&beat.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    Some(Estimate { bpm, beats, seconds })
}

/// librosa on every file, through the peer script: one JSON line per file.
fn librosa(python: &Path, entries: &[Entry]) -> BTreeMap<PathBuf, Estimate> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/tempo_peers.py");
    let out = Command::new(python)
        .arg(script)
        .args(["--peer", "librosa"])
        .args(entries.iter().map(|e| &e.file))
        .output();
    let Ok(out) = out else {
        eprintln!("librosa: cannot run {}", python.display());
        return BTreeMap::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let file = PathBuf::from(v.get("file")?.as_str()?);
            let beats = v.get("beats")?.as_array()?.iter().filter_map(|b| b.as_f64()).collect();
            let est = Estimate {
                bpm: v.get("bpm")?.as_f64().unwrap_or(0.0),
                beats,
                seconds: v.get("seconds")?.as_f64()?,
            };
            Some((file, est))
        })
        .collect()
}

fn main() {
    let dir = PathBuf::from(arg("--corpus", "target/corpus".to_string()));
    let entries = match corpus(&dir) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("bench_analysis: {e} (build the corpus with tests/corpus/fetch.sh)");
            std::process::exit(1);
        }
    };
    let peers = !flag("--no-peers");
    let python = PathBuf::from(arg("--python", dir.join(".venv/bin/python").display().to_string()));
    let rosa = if peers {
        librosa(&python, &entries)
    } else {
        BTreeMap::new()
    };
    let mut ours = Tally::default();
    let (mut by_kind, mut by_peer): (BTreeMap<String, Tally>, BTreeMap<&str, Tally>) = Default::default();
    for e in &entries {
        let est = phosphene(e);
        let (a1, a2, f) = ours.add(&est, e);
        by_kind.entry(e.kind.clone()).or_default().add(&est, e);
        println!(
            "track={} kind={} truth_bpm={:.2} bpm={:.2} acc1={} acc2={} beat_f={f:.3} seconds={:.4}",
            e.id, e.kind, e.bpm, est.bpm, a1 as u8, a2 as u8, est.seconds
        );
        if peers {
            if let Some(a) = aubio(e) {
                by_peer.entry("aubio").or_default().add(&a, e);
            }
            if let Some(r) = rosa.get(&e.file) {
                by_peer.entry("librosa").or_default().add(r, e);
            }
        }
    }
    for (kind, t) in &by_kind {
        println!("kind={kind} tracks={} {}", t.n, t.line());
    }
    for (peer, t) in &by_peer {
        println!("peer={peer} tracks={} {}", t.n, t.line());
    }
    if let Some(a) = by_peer.get("aubio") {
        println!(
            "speed: aubio_tempo_over_phosphene={:.2}",
            a.seconds / ours.seconds.max(1e-9)
        );
    }
    println!("{}", ours.line());
}
