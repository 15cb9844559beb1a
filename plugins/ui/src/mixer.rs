//! The mixer strip: channel faders with meters, crossfader, master and headphones.

use bevy_egui::egui::{self, Color32, RichText};
use engine_rt::{XfaderCurve, ranges};
use phosphene_decks::{Action, DeckAction, MixerAction, MixerState};
use phosphene_engine_bridge::EngineStatus;

use crate::widgets::{knob, meter};

/// One channel as the mixer shows it.
pub struct Channel {
    pub index: usize,
    pub volume: f32,
    pub peak: f32,
}

/// Draws the mixer; returns the actions its controls asked for.
pub fn mixer_panel(ui: &mut egui::Ui, channels: &[Channel], mixer: &MixerState, status: &EngineStatus) -> Vec<Action> {
    let mut out = Vec::new();
    ui.vertical_centered(|ui| ui.label(RichText::new("MIXER").strong()));
    ui.horizontal(|ui| {
        for ch in channels {
            ui.vertical(|ui| {
                ui.label(RichText::new(format!("{}", ch.index + 1)).strong());
                ui.horizontal(|ui| {
                    let mut v = ch.volume;
                    let fader = egui::Slider::new(&mut v, ranges::VOLUME.min as f32..=ranges::VOLUME.max as f32)
                        .vertical()
                        .show_value(false);
                    if ui.add_sized([18.0, 150.0], fader).changed() {
                        out.push(Action::deck(ch.index, DeckAction::Volume(v)));
                    }
                    meter(ui, ch.peak, 150.0);
                });
            });
        }
    });
    ui.separator();
    ui.label("crossfader");
    let mut x = mixer.crossfader;
    ui.spacing_mut().slider_width = ui.available_width() - 10.0;
    if ui
        .add(egui::Slider::new(&mut x, ranges::CROSSFADER.min as f32..=ranges::CROSSFADER.max as f32).show_value(false))
        .changed()
    {
        out.push(Action::Mixer(MixerAction::Crossfader(x)));
    }
    ui.horizontal(|ui| {
        ui.label("curve");
        for (curve, label) in [
            (XfaderCurve::Smooth, "smooth"),
            (XfaderCurve::Linear, "linear"),
            (XfaderCurve::Sharp, "sharp"),
        ] {
            if ui.selectable_label(mixer.curve == curve, label).clicked() {
                out.push(Action::Mixer(MixerAction::Curve(curve)));
            }
        }
    });
    ui.separator();
    ui.horizontal(|ui| {
        if let Some(v) = knob(ui, "master", mixer.master_gain_db, &ranges::MASTER_GAIN_DB) {
            out.push(Action::Mixer(MixerAction::MasterGainDb(v)));
        }
        meter(ui, status.master_peak, 60.0);
        ui.vertical(|ui| {
            let limiting = status.limiter_reduction_db < -0.1;
            let colour = if limiting {
                Color32::from_rgb(255, 120, 60)
            } else {
                Color32::GRAY
            };
            ui.label(RichText::new("limiter").small());
            ui.label(
                RichText::new(format!("{:.1} dB", status.limiter_reduction_db))
                    .color(colour)
                    .monospace(),
            );
        });
    });
    ui.horizontal(|ui| {
        if let Some(v) = knob(ui, "cue/mix", mixer.cue_mix, &ranges::CUE_MIX) {
            out.push(Action::Mixer(MixerAction::CueMix(v)));
        }
        if let Some(v) = knob(ui, "phones", mixer.cue_gain_db, &ranges::CUE_GAIN_DB) {
            out.push(Action::Mixer(MixerAction::CueGainDb(v)));
        }
    });
    out
}
