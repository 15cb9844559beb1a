//! The visuals panel: a preview of the composition (with keystone corners to drag and shader
//! errors laid over it), scene buttons, the scene's parameters, transitions, post effects and
//! the projector.

use bevy_egui::egui::{self, Color32, RichText};
use phosphene_controls::choices::{SCENE_QUANTIZE, TRANSITIONS, index_of};
use phosphene_controls::{ControlChange, ControlId, ControlValue, Source, VisualControl as V};
use phosphene_visuals::director::default_positions;
use phosphene_visuals::keystone::Keystone;
use phosphene_visuals::show::ranges::TRANSITION_BEATS;
use phosphene_visuals::show::{PostField, PostSettings};
use phosphene_visuals::{Projector, Scenes, VisualCommand, Visuals};

/// Width of the panel.
pub const PANEL_WIDTH: f32 = 330.0;
/// Pixels within which a press picks up a keystone corner.
const GRAB_RADIUS: f32 = 14.0;
/// Monitors offered for fullscreen output.
const MONITORS: usize = 4;

/// Panel state that lives between frames.
#[derive(Debug, Default)]
pub struct VisualsUi {
    /// Corner handles shown on the preview.
    pub edit_keystone: bool,
    /// The corner being dragged.
    dragging: Option<usize>,
}

fn set(c: V, value: f64) -> ControlChange {
    ControlChange::new(ControlId::Visuals(c), ControlValue::Set(value), Source::Ui)
}

/// Draws the panel; returns the control changes asked for (scenes, transitions, parameters,
/// post effects) and the set-up commands (keystone, projector, test pattern).
pub fn visuals_panel(
    ui: &mut egui::Ui,
    visuals: &Visuals,
    scenes: &Scenes,
    preview: egui::TextureId,
    state: &mut VisualsUi,
) -> (Vec<ControlChange>, Vec<VisualCommand>) {
    let (mut changes, mut out) = (Vec::new(), Vec::new());
    ui.label(RichText::new("VISUALS").strong());
    preview_image(ui, visuals, scenes, preview, state, &mut out);
    egui::ScrollArea::vertical().show(ui, |ui| {
        scene_buttons(ui, visuals, scenes, &mut changes);
        transition_row(ui, visuals, &mut changes);
        ui.separator();
        params(ui, visuals, scenes, &mut changes);
        ui.separator();
        post(ui, &visuals.show().post, &mut changes);
        ui.separator();
        projector(ui, visuals, state, &mut out);
    });
    (changes, out)
}

fn preview_image(
    ui: &mut egui::Ui,
    visuals: &Visuals,
    scenes: &Scenes,
    preview: egui::TextureId,
    state: &mut VisualsUi,
    out: &mut Vec<VisualCommand>,
) {
    let (w, h) = visuals.setup().size;
    let width = ui.available_width();
    let size = egui::vec2(width, width * h as f32 / w as f32);
    let response = ui.add(egui::Image::new((preview, size)).sense(egui::Sense::click_and_drag()));
    let rect = response.rect;
    let painter = ui.painter_at(rect);
    if state.edit_keystone {
        let k = visuals.setup().keystone;
        let to_screen = |c: [f32; 2]| rect.min + egui::vec2(c[0] * rect.width(), c[1] * rect.height());
        let points: Vec<egui::Pos2> = k.corners.iter().map(|&c| to_screen(c)).collect();
        let mut outline = points.clone();
        outline.push(points[0]);
        painter.add(egui::Shape::line(
            outline,
            egui::Stroke::new(1.5, Color32::from_rgb(80, 200, 255)),
        ));
        for p in &points {
            painter.circle_stroke(*p, 6.0, egui::Stroke::new(2.0, Color32::from_rgb(255, 170, 60)));
        }
        if response.drag_started()
            && let Some(pos) = response.interact_pointer_pos()
        {
            state.dragging = points.iter().position(|p| p.distance(pos) < GRAB_RADIUS);
        }
        if let (Some(i), Some(pos)) = (state.dragging, response.interact_pointer_pos())
            && response.dragged()
        {
            let mut moved = k;
            let at = (pos - rect.min) / rect.size();
            if moved.drag(i, [at.x, at.y]) {
                out.push(VisualCommand::Keystone(moved));
            }
        }
        if response.drag_stopped() {
            state.dragging = None;
        }
    }
    // Shader errors over the preview: the projector keeps the last good version meanwhile.
    let errors: Vec<String> = scenes.0.errors().map(|e| e.to_string()).collect();
    if !errors.is_empty() {
        let text = errors.join("\n");
        let galley = painter.layout(text, egui::FontId::monospace(10.0), Color32::WHITE, rect.width() - 8.0);
        let bg = egui::Rect::from_min_size(rect.min, egui::vec2(rect.width(), galley.size().y + 8.0));
        painter.rect_filled(bg, 0.0, Color32::from_rgba_unmultiplied(160, 20, 20, 220));
        painter.galley(rect.min + egui::vec2(4.0, 4.0), galley, Color32::WHITE);
    }
}

fn scene_buttons(ui: &mut egui::Ui, visuals: &Visuals, scenes: &Scenes, out: &mut Vec<ControlChange>) {
    let show = visuals.show();
    let pending = show.pending();
    ui.horizontal_wrapped(|ui| {
        for (i, scene) in scenes.0.scenes().enumerate() {
            let on = show.scene() == Some(scene.id.as_str());
            let coming = pending.is_some_and(|(id, _)| id == scene.id);
            let fill = match (on, coming) {
                (true, _) => Color32::from_rgb(60, 150, 80),
                (_, true) => Color32::from_rgb(200, 120, 40),
                _ => Color32::from_gray(45),
            };
            let b = ui
                .add(egui::Button::new(&scene.meta.name).fill(fill))
                .on_hover_text(&scene.meta.description);
            if b.clicked() {
                out.push(set(V::Scene, i as f64));
            }
        }
    });
    if let Some((id, beat)) = pending {
        ui.label(RichText::new(format!("→ {id} at beat {:.0}", beat + 1.0)).small());
    }
}

fn transition_row(ui: &mut egui::Ui, visuals: &Visuals, out: &mut Vec<ControlChange>) {
    let s = visuals.setup();
    let (mut kind, mut beats, mut at) = (s.transition, s.transition_beats, s.quantize);
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("transition")
            .width(80.0)
            .selected_text(TRANSITIONS.iter().find(|t| t.0 == kind).map_or("", |t| t.1))
            .show_ui(ui, |ui| {
                for (k, name) in TRANSITIONS {
                    ui.selectable_value(&mut kind, k, name);
                }
            });
        ui.add(
            egui::DragValue::new(&mut beats)
                .range(TRANSITION_BEATS.min..=TRANSITION_BEATS.max)
                .speed(0.1)
                .suffix(" beats"),
        );
        ui.label("on");
        egui::ComboBox::from_id_salt("quantize")
            .width(60.0)
            .selected_text(SCENE_QUANTIZE.iter().find(|q| q.0 == at).map_or("", |q| q.1))
            .show_ui(ui, |ui| {
                for (q, name) in SCENE_QUANTIZE {
                    ui.selectable_value(&mut at, q, name);
                }
            });
    });
    if kind != s.transition {
        out.push(set(V::TransitionKind, index_of(&TRANSITIONS, &kind) as f64));
    }
    if beats != s.transition_beats {
        out.push(set(V::TransitionBeats, beats));
    }
    if at != s.quantize {
        out.push(set(V::TransitionAt, index_of(&SCENE_QUANTIZE, &at) as f64));
    }
}

fn params(ui: &mut egui::Ui, visuals: &Visuals, scenes: &Scenes, out: &mut Vec<ControlChange>) {
    let Some(scene) = visuals.show().scene().and_then(|id| scenes.0.get(id)) else {
        return;
    };
    let positions = visuals
        .show()
        .positions(&scene.id, || default_positions(&scenes.0, &scene.id));
    for (slot, spec) in scene.meta.params.iter().enumerate() {
        let mut value = spec.value(positions[slot]);
        let r = ui.add(egui::Slider::new(&mut value, spec.min..=spec.max).text(format!("{} {}", slot + 1, spec.name)));
        if r.double_clicked() {
            value = spec.default;
        }
        if r.changed() || r.double_clicked() {
            out.push(set(V::Param(slot), ((value - spec.min) / (spec.max - spec.min)) as f64));
        }
    }
}

fn post(ui: &mut egui::Ui, current: &PostSettings, out: &mut Vec<ControlChange>) {
    let mut p = current.clone();
    ui.horizontal(|ui| {
        if crate::widgets::toggle(ui, "blackout", p.blackout) {
            p.blackout = !p.blackout;
        }
        if crate::widgets::toggle(ui, "freeze", p.freeze) {
            p.freeze = !p.freeze;
        }
        if ui.button("reset").clicked() {
            p = PostSettings {
                blackout: p.blackout,
                freeze: p.freeze,
                ..PostSettings::default()
            };
        }
    });
    for (range, value) in p.sliders() {
        ui.add(egui::Slider::new(value, range.min as f32..=range.max as f32).text(range.name));
    }
    // Only the settings that moved: a device moving another one this frame keeps its move.
    for field in PostField::ALL {
        if p.get(field) != current.get(field) {
            out.push(set(V::Post(field), p.get(field) as f64));
        }
    }
}

fn projector(ui: &mut egui::Ui, visuals: &Visuals, state: &mut VisualsUi, out: &mut Vec<VisualCommand>) {
    let label = |p: Projector| match p {
        Projector::Off => "off".to_string(),
        Projector::Window => "window".to_string(),
        Projector::Fullscreen(n) => format!("fullscreen on monitor {}", n + 1),
    };
    ui.horizontal(|ui| {
        ui.label("projector");
        egui::ComboBox::from_id_salt("projector")
            .selected_text(label(visuals.projector))
            .show_ui(ui, |ui| {
                let choices = [Projector::Off, Projector::Window]
                    .into_iter()
                    .chain((0..MONITORS).map(Projector::Fullscreen));
                for p in choices {
                    if ui.selectable_label(visuals.projector == p, label(p)).clicked() {
                        out.push(VisualCommand::Projector(p));
                    }
                }
            });
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut state.edit_keystone, "keystone corners");
        let mut pattern = visuals.test_pattern;
        if ui.checkbox(&mut pattern, "test pattern").changed() {
            out.push(VisualCommand::TestPattern(pattern));
        }
        if ui
            .button("reset")
            .on_hover_text("Put the keystone corners back")
            .clicked()
        {
            out.push(VisualCommand::Keystone(Keystone::default()));
        }
    });
}
