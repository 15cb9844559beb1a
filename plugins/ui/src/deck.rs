//! One deck's panel: track, waveforms, transport, pads, tempo, gain, EQ, filter and FX.

use bevy_egui::egui::{self, Color32, RichText};
use engine_rt::EqBand;
use engine_rt::ranges;
use phosphene_controls::address::LOOP_SIZES;
use phosphene_controls::choices::{self, index_of};
use phosphene_controls::{ControlChange, ControlId, ControlValue, DeckControl as C, DeckRef, Source};
use phosphene_decks::{
    BeatGrid, DeckControls, DeckLoop, DeckPlayback, DeckTrack, FX_SLOTS, HOT_CUES, HotCue, loop_beats,
};

use crate::waveform::{self, Marks};
use crate::widgets::{knob, toggle};

/// A beat-loop size as its button shows it.
fn loop_label(beats: f64) -> String {
    if beats < 1.0 {
        format!("1/{}", (1.0 / beats).round())
    } else {
        format!("{beats}")
    }
}
/// The tempo fader's range: ±8 %, the classic turntable range.
const TEMPO_RANGE: f64 = 0.08;

/// Everything a deck panel shows.
pub struct DeckView<'a> {
    pub index: usize,
    pub focused: bool,
    pub playback: &'a DeckPlayback,
    pub track: &'a DeckTrack,
    pub controls: &'a DeckControls,
    pub lp: &'a DeckLoop,
    pub grid: Option<&'a BeatGrid>,
    pub cues: Vec<HotCue>,
}

fn time(seconds: f64) -> String {
    let s = seconds.max(0.0);
    format!("{}:{:04.1}", (s / 60.0) as u64, s % 60.0)
}

/// Grid confidence below this is shown as a warning: the performer should check the grid.
const LOW_CONFIDENCE: f64 = 0.5;

/// Key (usual and Camelot), loudness and how far the grid can be trusted, for the header.
fn analysis_badges(ui: &mut egui::Ui, info: &phosphene_engine_bridge::TrackInfo, grid: Option<&BeatGrid>) {
    let Some(a) = &info.analysis else { return };
    if let Some(k) = &a.key {
        ui.label(RichText::new(format!("{} {}", k.key.name(), k.key.camelot())).monospace())
            .on_hover_text(format!("key, confidence {:.2}", k.confidence));
    }
    if let Some(l) = &a.loudness {
        ui.label(
            RichText::new(format!("{:.1} LUFS", l.integrated_lufs))
                .monospace()
                .weak(),
        );
    }
    if grid.is_some_and(|g| g.locked) {
        ui.label("🔒").on_hover_text("grid locked");
    } else if let Some(r) = &a.rhythm {
        let warn = Color32::from_rgb(255, 190, 60);
        if r.tempo_varies {
            ui.label(RichText::new("≈ grid").color(warn))
                .on_hover_text("the tempo varies: the grid is approximate where the amber band marks the waveform");
        }
        if r.confidence < LOW_CONFIDENCE {
            ui.label(RichText::new(format!("grid? {:.2}", r.confidence)).color(warn))
                .on_hover_text("low confidence in the beat grid: check it, and fix it with the grid editor");
        }
    }
}

/// Beat jump, loop halve/double/move, slip and loop rolls (held down).
fn moves_row(ui: &mut egui::Ui, v: &DeckView, act: &mut impl FnMut(C, ControlValue)) {
    let press = ControlValue::Press;
    ui.horizontal(|ui| {
        for (label, c) in [("◀ jump", C::JumpBack), ("jump ▶", C::JumpForward)] {
            if ui.button(label).clicked() {
                act(c, press);
            }
        }
        ui.separator();
        ui.label("loop");
        for (label, c) in [
            ("½", C::LoopHalve),
            ("×2", C::LoopDouble),
            ("◀", C::LoopMoveBack),
            ("▶", C::LoopMoveForward),
        ] {
            if ui.button(label).clicked() {
                act(c, press);
            }
        }
        ui.separator();
        if toggle(ui, "slip", v.controls.slip) {
            act(C::Slip, ControlValue::Set(!v.controls.slip as u8 as f64));
        }
        ui.label("roll");
        // Rolls play while the button is held.
        for (i, beats) in LOOP_SIZES.into_iter().enumerate().take(4) {
            let held = ui
                .add(egui::Button::new(loop_label(beats)).selected(v.lp.roll == Some(beats)))
                .is_pointer_button_down_on();
            if held != (v.lp.roll == Some(beats)) {
                act(C::LoopRoll(i), ControlValue::Set(held as u8 as f64));
            }
        }
    });
}

/// The grid editor: tap, tempo x1/2 x2 x2/3 x3/2, nudge, downbeat, beat here, lock; key sync.
fn grid_row(ui: &mut egui::Ui, v: &DeckView, act: &mut impl FnMut(C, ControlValue)) {
    let press = ControlValue::Press;
    ui.horizontal(|ui| {
        ui.label("grid");
        let locked = v.grid.is_some_and(|g| g.locked);
        ui.add_enabled_ui(v.grid.is_some() && !locked, |ui| {
            let buttons = [
                ("tap", C::GridTap, "tap on the beat: four taps set the grid"),
                ("½", C::GridScale(0), "halve the tempo"),
                ("×2", C::GridScale(1), "double the tempo"),
                ("×⅔", C::GridScale(2), "tempo x2/3"),
                ("×3/2", C::GridScale(3), "tempo x3/2"),
                ("◀", C::GridEarlier, "move the grid earlier"),
                ("▶", C::GridLater, "move the grid later"),
                (
                    "downbeat",
                    C::GridDownbeat,
                    "the beat nearest the playhead starts a bar",
                ),
                ("beat here", C::GridBeatHere, "put a downbeat exactly at the playhead"),
            ];
            for (label, c, tip) in buttons {
                if ui.button(label).on_hover_text(tip).clicked() {
                    act(c, press);
                }
            }
        });
        if v.grid.is_some() && toggle(ui, "lock", locked) {
            act(C::GridLock, ControlValue::Set(!locked as u8 as f64));
        }
        ui.separator();
        if ui
            .button("auto gain")
            .on_hover_text("set the gain from the track's loudness")
            .clicked()
        {
            act(C::AutoGain, press);
        }
        if ui
            .button("key sync")
            .on_hover_text("shift the pitch to a key compatible with another deck's")
            .clicked()
        {
            act(C::KeySync, press);
        }
    });
}

/// Draws the panel and returns the control changes its widgets asked for.
pub fn deck_panel(ui: &mut egui::Ui, v: &DeckView) -> Vec<ControlChange> {
    let mut out = Vec::new();
    let mut act = |c: C, value: ControlValue| {
        out.push(ControlChange::new(
            ControlId::Deck(DeckRef::Index(v.index), c),
            value,
            Source::Ui,
        ))
    };
    let set = |on: bool| ControlValue::Set(on as u8 as f64);
    let press = ControlValue::Press;
    let c = v.controls;
    let stroke = if v.focused {
        egui::Stroke::new(1.5, Color32::from_rgb(255, 170, 60))
    } else {
        egui::Stroke::new(1.0, Color32::from_gray(60))
    };
    egui::Frame::group(ui.style()).stroke(stroke).show(ui, |ui| {
        ui.set_width(ui.available_width());
        // Header: number, name, tempo, times.
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("{}", v.index + 1)).size(20.0).strong());
            let name = v.track.info.as_ref().map_or("(empty)", |i| i.name.as_str());
            ui.label(RichText::new(name).size(15.0).strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(info) = &v.track.info {
                    ui.label(RichText::new(format!("-{}", time(info.seconds - v.playback.position))).monospace());
                    ui.label(RichText::new(time(v.playback.position)).monospace());
                    if let Some(bpm) = info.bpm {
                        let live = bpm * v.playback.rate.max(0.0);
                        ui.label(RichText::new(format!("{live:.2} BPM")).monospace().strong());
                    }
                    analysis_badges(ui, info, v.grid);
                }
            });
        });
        if let Some((path, f)) = &v.track.loading {
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            ui.add(egui::ProgressBar::new(*f).text(format!("loading {name}")));
        }
        if let Some(e) = &v.track.error {
            ui.label(RichText::new(e).color(Color32::from_rgb(255, 90, 90)));
        }
        // Waveforms.
        let marks = Marks {
            position: v.playback.position,
            cues: &v.cues,
            loop_region: v.lp.region,
            loop_active: v.lp.active,
            grid: v.grid,
            off_grid: v
                .track
                .info
                .as_ref()
                .and_then(|i| i.analysis.as_ref()?.rhythm.as_ref())
                .map_or(&[], |r| r.off_grid.as_slice()),
        };
        match &v.track.info {
            Some(info) => {
                if let Some(seek) = waveform::overview(ui, &info.overview, info.seconds, &marks) {
                    act(C::Position, ControlValue::Set(seek / info.seconds.max(1e-9)));
                }
                waveform::zoomed(ui, &info.overview, &marks);
            }
            None => {
                ui.add_space(110.0);
            }
        }
        // Transport.
        ui.horizontal(|ui| {
            let play = if v.playback.playing { "⏸ pause" } else { "▶ play" };
            if ui
                .add(egui::Button::new(RichText::new(play).strong()).min_size([70.0, 26.0].into()))
                .clicked()
            {
                act(C::Play, press);
            }
            if ui.add(egui::Button::new("cue").min_size([44.0, 26.0].into())).clicked() {
                act(C::Cue, press);
            }
            if toggle(ui, "sync", c.sync) {
                act(C::Sync, set(!c.sync));
            }
            if toggle(ui, "key lock", c.keylock) {
                act(C::KeyLock, set(!c.keylock));
            }
            ui.separator();
            let current = v.grid.and_then(|g| loop_beats(v.lp, g)).filter(|_| v.lp.active);
            for (i, beats) in LOOP_SIZES.into_iter().enumerate() {
                if toggle(ui, &loop_label(beats), current == Some(beats)) {
                    act(C::BeatLoop(i), press);
                }
            }
            if v.lp.active && ui.button("exit").clicked() {
                act(C::LoopExit, press);
            }
        });
        moves_row(ui, v, &mut act);
        grid_row(ui, v, &mut act);
        // Hot-cue pads: click to jump (or store), shift-click to save the loop, right-click to
        // clear.
        ui.horizontal(|ui| {
            for slot in 0..HOT_CUES {
                let cue = v.cues.iter().find(|c| c.slot == slot);
                let (fill, label) = match cue {
                    Some(c) => (
                        Color32::from_rgb(c.colour[0], c.colour[1], c.colour[2]),
                        match (c.end.is_some(), c.name.is_empty()) {
                            (true, _) => format!("⟳{}", slot + 1),
                            (false, true) => format!("{}", slot + 1),
                            (false, false) => c.name.clone(),
                        },
                    ),
                    None => (Color32::from_gray(40), format!("{}", slot + 1)),
                };
                let text = RichText::new(label).color(if cue.is_some() { Color32::BLACK } else { Color32::GRAY });
                let r = ui.add(egui::Button::new(text).fill(fill).min_size([52.0, 24.0].into()));
                if r.clicked() {
                    let save_loop = ui.input(|i| i.modifiers.shift) && v.lp.region.is_some();
                    act(
                        if save_loop {
                            C::HotCueLoop(slot)
                        } else {
                            C::HotCue(slot)
                        },
                        press,
                    );
                }
                if r.secondary_clicked() {
                    act(C::HotCueDelete(slot), press);
                }
            }
        });
        ui.separator();
        // Tempo, pitch, gain, EQ, filter.
        ui.horizontal(|ui| {
            let mut rate = c.rate;
            let tempo = egui::Slider::new(&mut rate, (1.0 - TEMPO_RANGE)..=(1.0 + TEMPO_RANGE))
                .custom_formatter(|r, _| format!("{:+.2} %", (r - 1.0) * 100.0))
                .text("tempo");
            if ui.add_enabled(!c.sync, tempo).changed() {
                act(C::Tempo, ControlValue::Set(rate));
            }
            let mut pitch = c.pitch;
            if ui
                .add(
                    egui::Slider::new(&mut pitch, ranges::PITCH.min..=ranges::PITCH.max)
                        .step_by(0.5)
                        .text("pitch"),
                )
                .changed()
            {
                act(C::Pitch, ControlValue::Set(pitch));
            }
        });
        ui.horizontal(|ui| {
            if let Some(x) = knob(ui, "gain", c.trim_db, &ranges::TRIM_DB) {
                act(C::Gain, ControlValue::Set(x as f64));
            }
            for (i, (band, name)) in [(EqBand::High, "high"), (EqBand::Mid, "mid"), (EqBand::Low, "low")]
                .into_iter()
                .enumerate()
            {
                let b = 2 - i;
                ui.vertical(|ui| {
                    if let Some(x) = knob(ui, name, c.eq_db[b], &ranges::EQ_DB) {
                        act(C::Eq(band), ControlValue::Set(x as f64));
                    }
                    if toggle(ui, "kill", c.kills[b]) {
                        act(C::Kill(band), set(!c.kills[b]));
                    }
                });
            }
            ui.vertical(|ui| {
                if let Some(x) = knob(ui, "filter", c.filter, &ranges::FILTER) {
                    act(C::Filter, ControlValue::Set(x as f64));
                }
                if let Some(x) = knob(ui, "reso", c.resonance, &ranges::RESONANCE) {
                    act(C::Resonance, ControlValue::Set(x as f64));
                }
            });
        });
        // FX slots.
        for slot in 0..FX_SLOTS {
            let s = &c.fx[slot];
            ui.horizontal(|ui| {
                let now = index_of(&choices::FX_KINDS, &s.fx);
                egui::ComboBox::from_id_salt(("fx", v.index, slot))
                    .width(86.0)
                    .selected_text(choices::FX_KINDS[now].1)
                    .show_ui(ui, |ui| {
                        for (i, (_, name)) in choices::FX_KINDS.iter().enumerate() {
                            if ui.selectable_label(i == now, *name).clicked() {
                                act(C::FxKind(slot), ControlValue::Set(i as f64));
                            }
                        }
                    });
                let mut amount = s.amount;
                if ui
                    .add(
                        egui::Slider::new(&mut amount, ranges::FX_AMOUNT.min as f32..=ranges::FX_AMOUNT.max as f32)
                            .text("wet"),
                    )
                    .changed()
                {
                    act(C::FxAmount(slot), ControlValue::Set(amount as f64));
                }
                let mut value = s.param;
                if ui
                    .add(
                        egui::Slider::new(&mut value, ranges::FX_PARAM.min as f32..=ranges::FX_PARAM.max as f32)
                            .text("param"),
                    )
                    .changed()
                {
                    act(C::FxParam(slot), ControlValue::Set(value as f64));
                }
            });
        }
        ui.horizontal(|ui| {
            ui.label("crossfader");
            for (i, (side, label)) in choices::XFADER_SIDES.into_iter().enumerate() {
                if toggle(ui, label, c.xfader == side) {
                    act(C::Xfader, ControlValue::Set(i as f64));
                }
            }
            ui.separator();
            if toggle(ui, "🎧 cue", c.cue_monitor) {
                act(C::Headphone, set(!c.cue_monitor));
            }
            if v.track.info.is_some() && ui.button("eject").clicked() {
                act(C::Eject, press);
            }
        });
    });
    out
}
