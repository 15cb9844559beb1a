//! The performer control surface (bevy_egui): four decks around the mixer, the transport and
//! health display on top, the library below. Every control writes
//! [`phosphene_controls::ControlChange`]s, the same messages MIDI, gamepads and the keyboard
//! send through the control map; loading files writes [`Action`]s and sets [`SetCommand`]s.
//! Nothing here talks to the engine directly.

mod camera;
mod controls;
mod deck;
mod keys;
mod library;
mod mixer;
mod osc;
mod visuals;
mod waveform;
mod widgets;

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::window::{FileDragAndDrop, PrimaryWindow};
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, EguiTextureHandle};
use phosphene_controls::choices::{LAUNCHES, index_of};
use phosphene_controls::{
    ControlChange, ControlId, ControlSet, ControlState, ControlValue, Devices, Learn, LearnCommand, MapControl,
    Mappings, Midi, Source, TransportControl,
};
use phosphene_decks::{
    Action, BeatGrid, Deck, DeckAction, DeckControls, DeckLoop, DeckPlayback, DeckTrack, HotCue, MixerState, Transport,
};
use phosphene_engine_bridge::{AbletonLink, Analysis, EngineStatus};
use phosphene_set::{CurrentSet, SetCommand};
use phosphene_visuals::{Scenes, VisualCommand, Visuals};

pub use keys::{SHORTCUTS, Shortcut};
pub use library::Library;

/// State of the control window itself.
#[derive(Resource, Debug)]
pub struct UiState {
    /// Help panel open.
    pub help: bool,
    /// Smoothed frame time in seconds.
    pub frame_time: f64,
    /// Path typed into the set field.
    pub set_path: String,
    /// Screen rectangles of the deck panels, for dropping files on a deck.
    deck_rects: Vec<(usize, egui::Rect)>,
    /// The visuals panel.
    pub visuals: visuals::VisualsUi,
    /// The OSC destination being typed.
    osc_draft: String,
    /// The camera window is open.
    pub camera: bool,
}

impl Default for UiState {
    fn default() -> Self {
        Self {
            help: false,
            frame_time: 1.0 / 60.0,
            set_path: String::new(),
            deck_rects: Vec::new(),
            visuals: visuals::VisualsUi::default(),
            osc_draft: String::new(),
            camera: false,
        }
    }
}

/// Adds the control window's panels, keyboard shortcuts and file dropping.
pub struct UiPlugin;

/// Stages of the UI.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UiSet {
    /// `Update`, before [`ControlSet::Apply`]: keyboard and dropped files become control
    /// changes and actions.
    Input,
}

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(EguiPlugin::default())
            .init_resource::<UiState>()
            .init_resource::<Library>()
            .init_resource::<camera::CameraUi>()
            .configure_sets(Update, UiSet::Input.before(ControlSet::Apply))
            .add_systems(Startup, (setup, camera::open_when_a_camera_plays))
            .add_systems(Update, (keys::handle_keys, dropped_files).in_set(UiSet::Input))
            .add_systems(EguiPrimaryContextPass, (draw, camera::draw_camera).chain());
    }
}

fn setup(mut commands: Commands, mut library: ResMut<Library>, current: Res<CurrentSet>) {
    commands.spawn(Camera2d);
    // The set's folder when it has tracks there, else the bundled assets.
    library.open(&current.base_dir());
    if library.files.is_empty() {
        library.open(&PathBuf::from("assets").join("demo"));
    }
}

/// Files dropped on the window load onto the deck under the pointer (else the focused deck).
fn dropped_files(
    mut drops: MessageReader<FileDragAndDrop>,
    ui: Res<UiState>,
    focus: Res<ControlState>,
    window: Query<&Window, With<PrimaryWindow>>,
    mut actions: MessageWriter<Action>,
) {
    let pointer = window.single().ok().and_then(|w| w.cursor_position());
    for drop in drops.read() {
        let FileDragAndDrop::DroppedFile { path_buf, .. } = drop else {
            continue;
        };
        if !engine_rt::decode::is_audio(path_buf) {
            warn!("'{}' is not an audio file Phosphene reads", path_buf.display());
            continue;
        }
        let deck = pointer
            .and_then(|p| ui.deck_rects.iter().find(|(_, r)| r.contains(egui::pos2(p.x, p.y))))
            .map_or(focus.focus, |(d, _)| *d);
        actions.write(Action::deck(
            deck,
            DeckAction::Load {
                path: path_buf.clone(),
                bpm: None,
                first_beat: 0.0,
            },
        ));
    }
}

type DeckData<'a> = (
    Entity,
    &'a Deck,
    &'a DeckPlayback,
    &'a DeckTrack,
    &'a DeckControls,
    &'a DeckLoop,
    Option<&'a BeatGrid>,
);

/// The world state the panels show.
#[derive(bevy::ecs::system::SystemParam)]
struct Shown<'w, 's> {
    decks: Query<'w, 's, DeckData<'static>>,
    cues: Query<'w, 's, (&'static HotCue, &'static ChildOf)>,
    transport: Res<'w, Transport>,
    mixer: Res<'w, MixerState>,
    status: Res<'w, EngineStatus>,
    analysis: Res<'w, Analysis>,
    current: Res<'w, CurrentSet>,
    controls: Res<'w, ControlState>,
    learn: Res<'w, Learn>,
    mappings: Res<'w, Mappings>,
    devices: Res<'w, Devices>,
    midi: Option<Res<'w, Midi>>,
    time: Res<'w, Time<Real>>,
    /// The visuals, when they run.
    visuals: Option<Res<'w, Visuals>>,
    scenes: Option<Res<'w, Scenes>>,
    /// Ableton Link, when the clock can follow it.
    link: Option<Res<'w, AbletonLink>>,
}

fn draw(
    mut contexts: EguiContexts,
    mut state: ResMut<UiState>,
    mut library: ResMut<Library>,
    shown: Shown,
    mut actions: MessageWriter<Action>,
    mut changes: MessageWriter<ControlChange>,
    mut set_commands: MessageWriter<SetCommand>,
    mut visual_commands: MessageWriter<VisualCommand>,
    mut learn_commands: MessageWriter<LearnCommand>,
    mut osc: Option<ResMut<phosphene_osc::OscConfig>>,
    osc_status: Option<Res<phosphene_osc::OscStatus>>,
    cache: Res<phosphene_engine_bridge::TrackCache>,
) -> Result {
    let preview = shown
        .visuals
        .as_ref()
        .map(|v| contexts.add_image(EguiTextureHandle::Weak(v.output.id())));
    let ctx = contexts.ctx_mut()?.clone();
    let dt = shown.time.delta_secs_f64();
    state.frame_time += (dt - state.frame_time) * 0.05;
    if state.set_path.is_empty()
        && let Some(p) = &shown.current.path
    {
        state.set_path = p.display().to_string();
    }
    let mut out: Vec<ControlChange> = Vec::new();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "phosphene".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    egui::Panel::top("transport").show(&mut root, |ui| {
        top_bar(ui, &shown, &mut state, &mut out, &mut set_commands);
        let view = controls::ControlsView {
            learn: &shown.learn,
            mappings: &shown.mappings,
            devices: &shown.devices,
            midi: shown.midi.as_deref(),
        };
        learn_commands.write_batch(controls::controls_strip(ui, &view));
        if let (Some(config), Some(status)) = (osc.as_mut(), osc_status.as_deref()) {
            let set = config.set_settings();
            if let Some(list) = osc::osc_strip(ui, status, set, &mut state.osc_draft) {
                config.set_settings_mut().destinations = list;
            }
        }
    });
    egui::Panel::bottom("library")
        .default_size(150.0)
        .resizable(true)
        .show(&mut root, |ui| {
            for a in library::library_panel(ui, &mut library, shown.decks.iter().count(), cache.0.as_ref()) {
                actions.write(a);
            }
        });
    let mut decks: Vec<_> = shown.decks.iter().collect();
    decks.sort_by_key(|d| d.1.index);
    egui::Panel::right("mixer").exact_size(250.0).show(&mut root, |ui| {
        let channels: Vec<_> = decks
            .iter()
            .map(|d| mixer::Channel {
                index: d.1.index,
                volume: d.4.volume,
                peak: d.2.peak,
            })
            .collect();
        out.extend(mixer::mixer_panel(ui, &channels, &shown.mixer, &shown.status));
    });
    if let (Some(v), Some(scenes), Some(preview)) = (&shown.visuals, &shown.scenes, preview) {
        egui::Panel::right("visuals")
            .exact_size(visuals::PANEL_WIDTH)
            .show(&mut root, |ui| {
                let (moved, commands) = visuals::visuals_panel(ui, v, scenes, preview, &mut state.visuals);
                out.extend(moved);
                for c in commands {
                    visual_commands.write(c);
                }
            });
    }
    let mut rects = Vec::new();
    egui::CentralPanel::default().show(&mut root, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.columns(2, |cols| {
                for (k, (entity, deck, playback, track, controls, lp, grid)) in decks.iter().enumerate() {
                    let col = &mut cols[k % 2];
                    let cues = shown
                        .cues
                        .iter()
                        .filter(|(_, p)| p.parent() == *entity)
                        .map(|(c, _)| c.clone())
                        .collect();
                    let view = deck::DeckView {
                        index: deck.index,
                        focused: shown.controls.focus == deck.index,
                        playback,
                        track,
                        controls,
                        lp,
                        grid: *grid,
                        cues,
                    };
                    let before = col.cursor().min;
                    out.extend(deck::deck_panel(col, &view));
                    let rect = egui::Rect::from_min_max(before, egui::pos2(col.max_rect().right(), col.cursor().min.y));
                    if col.rect_contains_pointer(rect) && col.input(|i| i.pointer.primary_clicked()) {
                        let focus = ControlId::Map(MapControl::Focus);
                        out.push(ControlChange::new(
                            focus,
                            ControlValue::Set(deck.index as f64),
                            Source::Ui,
                        ));
                    }
                    rects.push((deck.index, rect));
                    col.add_space(6.0);
                }
            });
        });
    });
    state.deck_rects = rects;
    if state.help {
        help_window(&ctx, &mut state.help);
    }
    changes.write_batch(out);
    Ok(())
}

fn top_bar(
    ui: &mut egui::Ui,
    shown: &Shown,
    state: &mut UiState,
    out: &mut Vec<ControlChange>,
    set_commands: &mut MessageWriter<SetCommand>,
) {
    let t = &*shown.transport;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("PHOSPHENE")
                .strong()
                .size(18.0)
                .color(Color32::from_rgb(255, 170, 60)),
        );
        ui.separator();
        let mut bpm = t.bpm;
        let r = ui.add(
            egui::DragValue::new(&mut bpm)
                .range(engine_rt::ranges::BPM.min..=engine_rt::ranges::BPM.max)
                .speed(0.05)
                .fixed_decimals(2)
                .suffix(" BPM"),
        );
        if r.changed() {
            out.push(ControlChange::new(
                ControlId::Transport(TransportControl::Tempo),
                ControlValue::Set(bpm),
                Source::Ui,
            ));
        }
        if ui.button("tap").clicked() {
            out.push(ControlChange::new(
                ControlId::Transport(TransportControl::Tap),
                ControlValue::Press,
                Source::Ui,
            ));
        }
        // Beat lamps: one per beat of the bar, the current one lit.
        let beat_in_bar = (t.bar_phase() * t.quantum).floor() as usize;
        for b in 0..t.quantum as usize {
            let on = b == beat_in_bar;
            let colour = match (on, b == 0) {
                (true, true) => Color32::from_rgb(255, 80, 80),
                (true, false) => Color32::from_rgb(255, 170, 60),
                _ => Color32::from_gray(50),
            };
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 3.0, colour);
        }
        ui.label(RichText::new(format!("bar {}", (t.beat / t.quantum).floor() as i64 + 1)).monospace());
        ui.separator();
        ui.label("launch");
        egui::ComboBox::from_id_salt("launch")
            .selected_text(t.launch.label())
            .show_ui(ui, |ui| {
                for (l, _) in LAUNCHES {
                    if ui.selectable_label(t.launch == l, l.label()).clicked() {
                        let i = index_of(&LAUNCHES, &l) as f64;
                        out.push(ControlChange::new(
                            ControlId::Transport(TransportControl::Launch),
                            ControlValue::Set(i),
                            Source::Ui,
                        ));
                    }
                }
            });
        if let Some(link) = shown.link.as_deref() {
            ui.separator();
            link_status(ui, t, link, out);
        }
        ui.separator();
        ui.add(
            egui::TextEdit::singleline(&mut state.set_path)
                .desired_width(240.0)
                .hint_text("set file"),
        );
        if ui.button("open").clicked() {
            set_commands.write(SetCommand::Load(PathBuf::from(state.set_path.trim())));
        }
        if ui.button("save").clicked() {
            set_commands.write(SetCommand::SaveAs(PathBuf::from(state.set_path.trim())));
        }
        ui.separator();
        if ui.selectable_label(state.camera, "camera").clicked() {
            state.camera = !state.camera;
        }
        if ui.button("help (F12)").clicked() {
            state.help = !state.help;
        }
    });
    ui.horizontal(|ui| health(ui, shown, state));
    let notices = [shown.status.notice.as_ref(), shown.current.error.as_ref()];
    for n in notices.into_iter().flatten() {
        ui.label(RichText::new(format!("⚠ {n}")).color(Color32::from_rgb(255, 120, 80)));
    }
}

/// Link's switches (Link, start/stop sync), and while it is on: peers, the session's tempo
/// (to 0.1 BPM, as Link apps show it), the phase within the bar and, with start/stop sync,
/// whether the session plays.
fn link_status(ui: &mut egui::Ui, t: &Transport, link: &AbletonLink, out: &mut Vec<ControlChange>) {
    let mut switch = |ui: &mut egui::Ui, on: bool, label: &str, hover: &str, control: TransportControl| {
        if ui.selectable_label(on, label).on_hover_text(hover).clicked() {
            out.push(ControlChange::new(
                ControlId::Transport(control),
                ControlValue::Set(if on { 0.0 } else { 1.0 }),
                Source::Ui,
            ));
        }
    };
    switch(ui, t.link, "Link", "Ableton Link", TransportControl::Link);
    switch(
        ui,
        t.link_start_stop,
        "Start/Stop",
        "Link start/stop sync: synced decks start and stop with the session",
        TransportControl::LinkStartStop,
    );
    let s = &link.status;
    if s.enabled {
        let peers = match s.peers {
            1 => "1 peer".to_string(),
            n => format!("{n} peers"),
        };
        let transport = match (s.start_stop_sync, s.playing) {
            (false, _) => "",
            (true, true) => " playing",
            (true, false) => " stopped",
        };
        ui.label(RichText::new(format!("{peers} {:.1} BPM phase {:.2}{transport}", s.bpm, s.phase)).monospace());
    }
}

/// The health HUD: is the audio safe, is anything being lost.
fn health(ui: &mut egui::Ui, shown: &Shown, state: &UiState) {
    let s = &*shown.status;
    let warn = Color32::from_rgb(255, 120, 80);
    let ok = Color32::from_gray(170);
    let item = |ui: &mut egui::Ui, text: String, bad: bool| {
        ui.label(
            RichText::new(text)
                .monospace()
                .small()
                .color(if bad { warn } else { ok }),
        );
    };
    item(ui, format!("audio: {}", s.output), false);
    if let Some(cb) = &s.callback {
        let p999 = cb.quantile_fraction(0.999);
        let max = cb.max_fraction();
        item(
            ui,
            format!("callback p99.9 {:.0} % max {:.0} %", p999 * 100.0, max * 100.0),
            max > 1.0,
        );
        item(
            ui,
            format!("xruns/stream errors {}", cb.stream_errors()),
            cb.stream_errors() > 0,
        );
    }
    item(
        ui,
        format!("dropped intents {}", s.dropped_intents),
        s.dropped_intents > 0,
    );
    item(ui, format!("events lost {}", s.events_lost), s.events_lost > 0);
    if s.scrubbed_samples > 0 {
        item(ui, format!("scrubbed {} non-finite samples", s.scrubbed_samples), true);
    }
    if s.refused_inputs > 0 {
        item(ui, format!("refused inputs {}", s.refused_inputs), true);
    }
    if let Some(p) = &s.last_problem {
        item(ui, format!("last: {p}"), true);
    }
    let latency = shown.analysis.latency_seconds();
    item(
        ui,
        latency.map_or_else(|| "analysis —".into(), |l| format!("analysis {:.0} ms", l * 1000.0)),
        latency.is_some_and(|l| l > 0.1),
    );
    item(
        ui,
        format!("frame {:.1} ms", state.frame_time * 1000.0),
        state.frame_time > 0.034,
    );
    if let Some(v) = &shown.visuals {
        // Audio-to-light offset; one video frame is the target.
        let sync = v.sync;
        item(
            ui,
            format!(
                "A/V {:+.1} ms (|mean| {:.1}, max {:.1})",
                sync.offset_ms, sync.mean_abs_ms, sync.max_abs_ms
            ),
            sync.max_abs_ms > state.frame_time * 1000.0,
        );
    }
    if s.record_dropped_frames > 0 {
        item(ui, format!("recording lost {} frames", s.record_dropped_frames), true);
    }
}

fn help_window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts").open(open).show(ctx, |ui| {
        ui.label("Deck keys act on the focused deck (orange frame; F1-F4 or click a deck).");
        egui::Grid::new("keys").striped(true).show(ui, |ui| {
            for (key, _, text) in SHORTCUTS {
                ui.label(RichText::new(keys::key_name(*key)).monospace().strong());
                ui.label(*text);
                ui.end_row();
            }
        });
        ui.label("Hot-cue pads: click to jump (or store the playhead), right-click to clear.");
        ui.label("Waveform overview: click to seek. Files dropped on a deck load there.");
    });
}
