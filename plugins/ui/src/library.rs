//! The library: audio files in a folder (the bundled assets by default), loaded onto decks by
//! button or by dropping files on the window.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bevy::prelude::Resource;
use bevy_egui::egui::{self, RichText};
use engine_rt::decode::is_audio;
use engine_rt::track_analysis::batch::{Batch, FileResult};
use engine_rt::track_analysis::cache::AnalysisCache;
use phosphene_decks::{Action, DeckAction};

/// The folder being browsed and its audio files.
#[derive(Resource, Default)]
pub struct Library {
    /// The folder browsed.
    pub folder: PathBuf,
    /// The folder field as typed.
    pub typed: String,
    /// Its audio files, sorted by path.
    pub files: Vec<PathBuf>,
    /// Why the folder could not be read.
    pub error: Option<String>,
    /// The folder's analysis running in the background, if started.
    pub analysis: Option<Batch>,
    /// What analysis found per file: tempo and key, or the error.
    pub found: HashMap<PathBuf, String>,
}

/// A file's tempo and key as the library lists them.
fn summary(result: FileResult) -> String {
    match result {
        Ok((a, edited)) => {
            let bpm = edited
                .map(|g| g.bpm)
                .or(a.rhythm.as_ref().map(|r| r.bpm))
                .map_or_else(|| "no beat".to_string(), |b| format!("{b:.1} BPM"));
            let key = a
                .key
                .map_or_else(String::new, |k| format!("  {} {}", k.key.name(), k.key.camelot()));
            format!("{bpm}{key}")
        }
        Err(e) => format!("cannot analyse: {e}"),
    }
}

impl Library {
    /// Browses `folder` (stopping the analysis of the previous one).
    pub fn open(&mut self, folder: &Path) {
        self.analysis = None;
        self.folder = folder.to_path_buf();
        self.typed = folder.display().to_string();
        match std::fs::read_dir(folder) {
            Ok(entries) => {
                let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| is_audio(p)).collect();
                files.sort();
                self.files = files;
                self.error = None;
            }
            Err(e) => {
                self.files.clear();
                self.error = Some(format!("cannot read '{}': {e}", folder.display()));
            }
        }
    }
}

/// "analyse folder": every file of the folder analysed in the background into the cache (one
/// core, so the audio and the UI keep theirs), with progress; loads are then instant.
fn analysis_controls(ui: &mut egui::Ui, lib: &mut Library, cache: Option<&AnalysisCache>) {
    if let Some(batch) = &lib.analysis {
        while let Some((_, path, result)) = batch.poll() {
            lib.found.insert(path, summary(result));
        }
        let (done, total) = batch.progress();
        if done < total {
            ui.add(
                egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                    .desired_width(160.0)
                    .text(format!("analysing {done}/{total}")),
            );
            if ui.button("stop").clicked() {
                lib.analysis = None;
            }
            ui.ctx().request_repaint();
            return;
        }
    }
    if !lib.files.is_empty()
        && ui
            .button("analyse folder")
            .on_hover_text("tempo, beats, key and loudness of every file, kept in the analysis cache")
            .clicked()
    {
        lib.analysis = Some(Batch::start(lib.files.clone(), cache.cloned(), false, 1));
    }
}

/// Draws the library; returns load actions.
pub fn library_panel(ui: &mut egui::Ui, lib: &mut Library, decks: usize, cache: Option<&AnalysisCache>) -> Vec<Action> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        ui.label(RichText::new("LIBRARY").strong());
        let r = ui.add(egui::TextEdit::singleline(&mut lib.typed).desired_width(420.0));
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if enter || ui.button("open folder").clicked() {
            let folder = PathBuf::from(lib.typed.trim());
            lib.open(&folder);
        }
        if ui.button("⟳").on_hover_text("read the folder again").clicked() {
            let folder = lib.folder.clone();
            lib.open(&folder);
        }
        ui.label(RichText::new("or drop audio files on a deck").weak());
        analysis_controls(ui, lib, cache);
    });
    if let Some(e) = &lib.error {
        ui.colored_label(egui::Color32::from_rgb(255, 90, 90), e);
    }
    egui::ScrollArea::vertical()
        .max_height(ui.available_height())
        .show(ui, |ui| {
            for file in &lib.files {
                ui.horizontal(|ui| {
                    for d in 0..decks {
                        if ui.small_button(format!("▶{}", d + 1)).clicked() {
                            out.push(Action::deck(
                                d,
                                DeckAction::Load {
                                    path: file.clone(),
                                    bpm: None,
                                    first_beat: 0.0,
                                },
                            ));
                        }
                    }
                    let name = file
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                    ui.label(name);
                    if let Some(found) = lib.found.get(file) {
                        ui.label(RichText::new(found).weak().monospace());
                    }
                });
            }
            if lib.files.is_empty() && lib.error.is_none() {
                ui.label(RichText::new("no audio files here").weak());
            }
        });
    out
}
