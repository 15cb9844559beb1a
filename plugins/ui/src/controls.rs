//! The controls strip: devices and MIDI, learn, mapping problems and soft takeover waiting for
//! the hardware to reach its control.

use bevy_egui::egui::{self, Color32, RichText};
use phosphene_controls::devices::DeviceClass;
use phosphene_controls::{Devices, Learn, LearnCommand, LearnInto, LearnPhase, Mappings, Midi};

/// What the strip shows.
pub struct ControlsView<'a> {
    pub learn: &'a Learn,
    pub mappings: &'a Mappings,
    pub devices: &'a Devices,
    pub midi: Option<&'a Midi>,
}

const WARN: Color32 = Color32::from_rgb(255, 120, 80);

/// Draws the strip; returns what the performer asked of learn.
pub fn controls_strip(ui: &mut egui::Ui, v: &ControlsView) -> Vec<LearnCommand> {
    let mut out = Vec::new();
    ui.horizontal_wrapped(|ui| {
        let learning = v.learn.phase != LearnPhase::Off;
        if crate::widgets::toggle(ui, "learn", learning) {
            out.push(if learning {
                LearnCommand::Stop
            } else {
                LearnCommand::Start
            });
        }
        if learning {
            for (into, label) in [(LearnInto::Set, "into the set"), (LearnInto::Global, "into global")] {
                if ui.selectable_label(v.learn.into == into, label).clicked() {
                    out.push(LearnCommand::Into(into));
                }
            }
            if ui.button("undo").clicked() {
                out.push(LearnCommand::Undo);
            }
            let prompt = match v.learn.phase {
                LearnPhase::ChooseControl => "click or move the control to bind".to_string(),
                LearnPhase::Listening(id) => {
                    let now: Vec<String> = v
                        .mappings
                        .runtime
                        .bindings
                        .iter()
                        .filter(|b| b.target == id)
                        .map(|b| format!("{} {:?}", b.device, b.input))
                        .collect();
                    let already = if now.is_empty() {
                        String::new()
                    } else {
                        format!(" (bound now: {})", now.join(", "))
                    };
                    format!("{}: move a control on a device{already}", id.address())
                }
                LearnPhase::Off => String::new(),
            };
            ui.label(RichText::new(prompt).color(Color32::from_rgb(255, 170, 60)));
        }
        if let Some(m) = &v.learn.message {
            ui.label(RichText::new(m).small());
        }
        ui.separator();
        let connected = |class| v.devices.iter().filter(|d| d.connected && d.class == class).count();
        let names: Vec<String> = v
            .devices
            .iter()
            .filter(|d| d.connected)
            .map(|d| d.name.clone())
            .collect();
        ui.label(
            RichText::new(format!(
                "MIDI {}  pads {}",
                connected(DeviceClass::Midi),
                connected(DeviceClass::Gamepad)
            ))
            .small(),
        )
        .on_hover_text(if names.is_empty() {
            "no devices".to_string()
        } else {
            names.join("\n")
        });
        if let Some(n) = v.midi.and_then(|m| m.notice.as_ref()) {
            ui.label(RichText::new(n).small().color(Color32::GRAY));
        }
        if let Some(m) = v.midi.filter(|m| m.malformed > 0) {
            let text = format!("malformed MIDI {}", m.malformed);
            ui.label(RichText::new(text).small().color(WARN))
                .on_hover_text(m.last_malformed.clone().unwrap_or_default());
        }
        // Every mapped control, with what drives it.
        let bound: Vec<String> = v
            .mappings
            .runtime
            .bindings
            .iter()
            .map(|b| format!("{} ← {} {:?} ({:?})", b.target.address(), b.device, b.input, b.layer))
            .collect();
        ui.label(RichText::new(format!("{} bindings", bound.len())).small())
            .on_hover_text(if bound.is_empty() {
                "no bindings".to_string()
            } else {
                bound.join("\n")
            });
        if !v.mappings.errors.is_empty() {
            ui.label(
                RichText::new(format!("⚠ {} mapping problems", v.mappings.errors.len()))
                    .small()
                    .color(WARN),
            )
            .on_hover_text(v.mappings.errors.join("\n"));
        }
    });
    // Soft takeover: where each waiting knob sits against its control.
    let mut waiting: Vec<_> = v.mappings.runtime.waiting.values().collect();
    waiting.sort_by_key(|w| w.target);
    if !waiting.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("pick up:").small());
            for w in waiting {
                let arrow = if w.hardware < w.control { "↑" } else { "↓" };
                ui.label(
                    RichText::new(format!(
                        "{} {arrow} knob {:.0} % → {:.0} %",
                        w.target.address(),
                        w.hardware * 100.0,
                        w.control * 100.0
                    ))
                    .small()
                    .color(WARN),
                );
            }
        });
    }
    out
}
