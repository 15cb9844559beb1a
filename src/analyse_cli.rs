//! `phosphene analyse FILE...`: tempo, first beat, confidence and key of audio files (folders
//! are searched for audio files), one line per file, through the analysis cache.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use engine_rt::decode::is_audio;
use engine_rt::track_analysis::TrackAnalysis;
use engine_rt::track_analysis::batch::Batch;
use engine_rt::track_analysis::cache::{AnalysisCache, EditedGrid};

/// The files to analyse: each file as given, each folder's audio files (recursively, sorted).
fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            // Unreadable: reported as the folder's own error line.
            out.push(dir.to_path_buf());
            return;
        };
        let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        found.sort();
        for p in found {
            if p.is_dir() {
                walk(&p, out);
            } else if is_audio(&p) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// The line printed for one analysed file. A track without a pulse prints `bpm=0` and
/// `confidence=0`; one without a clear key `key=none`.
fn line(path: &Path, a: &TrackAnalysis, edited: Option<EditedGrid>) -> String {
    let (bpm, first, confidence) = match (edited, a.rhythm.as_ref()) {
        (Some(g), r) => (g.bpm, g.first_beat, r.map_or(1.0, |r| r.confidence)),
        (None, Some(r)) => (r.bpm, r.first_downbeat(), r.confidence),
        (None, None) => (0.0, 0.0, 0.0),
    };
    let key = a.key.as_ref().map_or_else(|| "none".to_string(), |k| k.key.name());
    format!(
        "file={} bpm={bpm:.3} first_beat={first:.4} confidence={confidence:.3} key={key}",
        path.display()
    )
}

/// Runs the command: every file gets its line, in the order given (files are analysed side by
/// side, one per core), a file that cannot be read an error line, and the others go on.
/// Fails only when printing does.
pub fn analyse(paths: &[PathBuf], beats: bool, no_cache: bool, fresh: bool) -> Result<(), String> {
    let cache = (!no_cache).then(AnalysisCache::user).flatten();
    let files = expand(paths);
    let total = files.len();
    // Progress only for a person watching, not for a log or a pipe.
    let progress = total > 1 && std::io::stderr().is_terminal();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let batch = Batch::start(files, cache, fresh, cores);
    // Results come as they finish; each is printed once those before it are.
    let mut waiting: BTreeMap<usize, String> = BTreeMap::new();
    let mut printed = 0;
    let stdout = std::io::stdout();
    while let Some((i, path, result)) = batch.wait() {
        let text = match result {
            Ok((a, edited)) => {
                let mut text = line(&path, &a, edited);
                if beats && let Some(r) = &a.rhythm {
                    for b in &r.beats {
                        text.push_str(&format!("\n{b:.4}"));
                    }
                }
                text
            }
            Err(e) => format!("file={} error={e}", path.display()),
        };
        waiting.insert(i, text);
        let mut out = stdout.lock();
        while let Some(text) = waiting.remove(&printed) {
            writeln!(out, "{text}").map_err(|e| format!("cannot print: {e}"))?;
            printed += 1;
        }
        if progress {
            eprint!("\ranalysed {printed}/{total}");
        }
    }
    if progress {
        eprintln!();
    }
    Ok(())
}
