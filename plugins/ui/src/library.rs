//! The library: audio files in a folder (the bundled assets by default), loaded onto decks by
//! button or by dropping files on the window.

use std::path::{Path, PathBuf};

use bevy::prelude::Resource;
use bevy_egui::egui::{self, RichText};
use phosphene_decks::{Action, DeckAction};

/// File extensions the engine decodes.
pub const AUDIO_EXTENSIONS: [&str; 7] = ["wav", "flac", "mp3", "ogg", "oga", "m4a", "aac"];

/// The folder being browsed and its audio files.
#[derive(Resource, Debug, Default)]
pub struct Library {
    /// The folder browsed.
    pub folder: PathBuf,
    /// The folder field as typed.
    pub typed: String,
    /// Its audio files, sorted by path.
    pub files: Vec<PathBuf>,
    /// Why the folder could not be read.
    pub error: Option<String>,
}

/// True for files the engine can decode (by extension).
pub fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

impl Library {
    /// Browses `folder`.
    pub fn open(&mut self, folder: &Path) {
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

/// Draws the library; returns load actions.
pub fn library_panel(ui: &mut egui::Ui, lib: &mut Library, decks: usize) -> Vec<Action> {
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
                });
            }
            if lib.files.is_empty() && lib.error.is_none() {
                ui.label(RichText::new("no audio files here").weak());
            }
        });
    out
}
