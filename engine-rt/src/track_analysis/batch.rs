//! Analysing many files in the background (a library folder, `phosphene analyse DIR`): worker
//! threads take files in turn, read the cache first and fill it, and report each result as it
//! comes, with progress and cancellation.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use super::cache::{ANALYSIS_VERSION, AnalysisCache, CacheEntry, ContentKey, EditedGrid};
use super::{TrackAnalysis, analyse_file};

/// One file's result: its analysis and the performer's grid correction, or why it failed.
pub type FileResult = Result<(TrackAnalysis, Option<EditedGrid>), String>;

/// The analysis of one file, from the cache when it holds it (unless `fresh`), else computed
/// and stored.
pub fn analyse_cached(
    path: &std::path::Path,
    cache: Option<&AnalysisCache>,
    fresh: bool,
    cancel: &AtomicBool,
) -> FileResult {
    let key = cache.and_then(|_| ContentKey::of_file(path).ok());
    let stored = cache.zip(key.as_ref()).and_then(|(c, k)| c.get(k));
    if let (Some(entry), false) = (&stored, fresh) {
        return Ok((entry.analysis.clone(), entry.grid));
    }
    let analysis = analyse_file(path, cancel, |_| {}).map_err(|e| e.kind.to_string())?;
    // The performer's grid edit, kept from the stored entry even when it is outdated.
    let grid = match stored {
        Some(e) => e.grid,
        None => cache.zip(key.as_ref()).and_then(|(c, k)| c.edited_grid(k)),
    };
    if let (Some(c), Some(k)) = (cache, &key) {
        let entry = CacheEntry {
            version: ANALYSIS_VERSION,
            analysis: analysis.clone(),
            grid,
        };
        // A cache that cannot be written costs only the next run's analysis.
        let _ = c.put(k, &entry);
    }
    Ok((analysis, grid))
}

/// A background analysis of a list of files.
pub struct Batch {
    total: usize,
    done: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
    /// Behind a lock only so a batch can live in shared state (a UI resource).
    results: Mutex<mpsc::Receiver<(usize, PathBuf, FileResult)>>,
    workers: Vec<JoinHandle<()>>,
}

impl Batch {
    /// Starts `workers` threads (at least one) over `files`.
    pub fn start(files: Vec<PathBuf>, cache: Option<AnalysisCache>, fresh: bool, workers: usize) -> Self {
        let total = files.len();
        let files = Arc::new(files);
        let next = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, results) = mpsc::channel();
        let workers = (0..workers.max(1).min(total.max(1)))
            .filter_map(|w| {
                let (files, next, done, cancel, tx, cache) = (
                    files.clone(),
                    next.clone(),
                    done.clone(),
                    cancel.clone(),
                    tx.clone(),
                    cache.clone(),
                );
                std::thread::Builder::new()
                    .name(format!("phosphene-analyse-{w}"))
                    .spawn(move || {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(path) = files.get(i) else { return };
                            if cancel.load(Ordering::Relaxed) {
                                return;
                            }
                            let r = analyse_cached(path, cache.as_ref(), fresh, &cancel);
                            done.fetch_add(1, Ordering::Relaxed);
                            if tx.send((i, path.clone(), r)).is_err() {
                                return;
                            }
                        }
                    })
                    .ok()
            })
            .collect();
        Self {
            total,
            done,
            cancel,
            results: Mutex::new(results),
            workers,
        }
    }

    /// Files finished, and files in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.done.load(Ordering::Relaxed), self.total)
    }

    /// The next finished file (its index in the list, its path, its result), without waiting.
    pub fn poll(&self) -> Option<(usize, PathBuf, FileResult)> {
        self.results.lock().ok()?.try_recv().ok()
    }

    /// The next finished file, waiting for it; `None` once every worker stopped.
    pub fn wait(&self) -> Option<(usize, PathBuf, FileResult)> {
        self.results.lock().ok()?.recv().ok()
    }

    /// Stops the workers within one decoded block each.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.cancel();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
