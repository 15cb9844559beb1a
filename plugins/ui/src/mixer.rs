//! The mixer strip: channel faders with meters, crossfader, master and headphones.

use bevy_egui::egui::{self, Color32, RichText};
use engine_rt::ranges;
use phosphene_controls::choices;
use phosphene_controls::{ControlChange, ControlId, ControlValue, DeckControl, DeckRef, MixerControl, Source};
use phosphene_decks::MixerState;
use phosphene_engine_bridge::EngineStatus;

use crate::widgets::{knob, meter};

/// One channel as the mixer shows it.
pub struct Channel {
    pub index: usize,
    pub volume: f32,
    pub peak: f32,
}

/// Draws the mixer; returns the control changes its widgets asked for.
pub fn mixer_panel(
    ui: &mut egui::Ui,
    channels: &[Channel],
    mixer: &MixerState,
    status: &EngineStatus,
) -> Vec<ControlChange> {
    let mut out = Vec::new();
    let set = |id: ControlId, v: f64| ControlChange::new(id, ControlValue::Set(v), Source::Ui);
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
                        out.push(set(
                            ControlId::Deck(DeckRef::Index(ch.index), DeckControl::Volume),
                            v as f64,
                        ));
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
        out.push(set(ControlId::Mixer(MixerControl::Crossfader), x as f64));
    }
    ui.horizontal(|ui| {
        ui.label("curve");
        for (i, (curve, label)) in choices::CURVES.into_iter().enumerate() {
            if ui.selectable_label(mixer.curve == curve, label).clicked() {
                out.push(set(ControlId::Mixer(MixerControl::Curve), i as f64));
            }
        }
    });
    ui.separator();
    ui.horizontal(|ui| {
        if let Some(v) = knob(ui, "master", mixer.master_gain_db, &ranges::MASTER_GAIN_DB) {
            out.push(set(ControlId::Mixer(MixerControl::Master), v as f64));
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
            out.push(set(ControlId::Mixer(MixerControl::HeadphoneMix), v as f64));
        }
        if let Some(v) = knob(ui, "phones", mixer.cue_gain_db, &ranges::CUE_GAIN_DB) {
            out.push(set(ControlId::Mixer(MixerControl::HeadphoneGain), v as f64));
        }
    });
    out
}
