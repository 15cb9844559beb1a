//! The camera window: which camera (or rehearsal file) plays, its state and notices, whether
//! the hand model runs, and the preview with what the camera sees drawn over it: the zones
//! (drag on the picture to draw one, right-click one to remove it), each filled by its motion,
//! the moving region of the picture, and the tracked hands.

use bevy::prelude::*;
use bevy_egui::EguiContexts;
use bevy_egui::egui::{self, Color32, Pos2, Rect, RichText, Stroke};
use phosphene_controls::input::Region;
use phosphene_gestures::entities::side_name;
use phosphene_gestures::frame::camera::list_cameras;
use phosphene_gestures::motion::Zone;
use phosphene_gestures::seen::HAND_BONES;
use phosphene_gestures::{CameraChoice, CameraConfig, CameraView, GestureRegion, RegionMotion, TrackedHand};

use crate::UiState;

const ZONE: Color32 = Color32::from_rgb(120, 200, 255);
const HAND: Color32 = Color32::from_rgb(255, 170, 60);
const WARN: Color32 = Color32::from_rgb(255, 120, 80);
/// Width the preview is drawn at, in points.
const PREVIEW_WIDTH: f32 = 400.0;
/// Smallest zone a drag draws, as a share of the picture's side (a click is not a zone).
const SMALLEST_ZONE: f32 = 0.03;

/// The camera window's own state.
#[derive(Resource, Default)]
pub struct CameraUi {
    texture: Option<egui::TextureHandle>,
    shown: Option<u64>,
    drag_from: Option<Pos2>,
    file: String,
    /// The cameras found (number and name), or why none could be listed.
    cameras: Option<Result<Vec<(u32, String)>, String>>,
}

/// Opens the camera window when the app starts with a camera, so its picture and state show.
pub(crate) fn open_when_a_camera_plays(config: Option<Res<CameraConfig>>, mut state: ResMut<UiState>) {
    if config.is_some_and(|c| c.camera.is_some()) {
        state.camera = true;
    }
}

/// Draws the camera window while it is open.
pub(crate) fn draw_camera(
    mut contexts: EguiContexts,
    mut state: ResMut<UiState>,
    mut ui_state: ResMut<CameraUi>,
    view: Option<Res<CameraView>>,
    config: Option<ResMut<CameraConfig>>,
    regions: Query<(&GestureRegion, &RegionMotion)>,
    hands: Query<&TrackedHand>,
) -> Result {
    let (Some(view), Some(mut config)) = (view, config) else {
        return Ok(());
    };
    if !state.camera {
        return Ok(());
    }
    // Edited on a copy and written back only when it changed: a write marks the settings
    // changed, and a change restarts the camera or re-sends its zones.
    let mut edited = config.clone();
    let ctx = contexts.ctx_mut()?.clone();
    let mut open = true;
    egui::Window::new("camera").open(&mut open).show(&ctx, |ui| {
        choose(ui, &mut ui_state, &view, &mut edited);
        status(ui, &view);
        if let Some(p) = &view.preview {
            if ui_state.shown != Some(p.index) || ui_state.texture.is_none() {
                let size = [p.width as usize, p.height as usize];
                let image = egui::ColorImage::from_rgb(size, &p.rgb);
                match &mut ui_state.texture {
                    // Written into the texture the window already shows: a whole new texture
                    // for each frame would be a new GPU image each time, never ready to draw.
                    Some(t) if t.size() == size => t.set_partial([0, 0], image, egui::TextureOptions::LINEAR),
                    _ => {
                        ui_state.texture = Some(ctx.load_texture("camera", image, egui::TextureOptions::LINEAR));
                    }
                }
                ui_state.shown = Some(p.index);
            }
            let size = egui::vec2(PREVIEW_WIDTH, PREVIEW_WIDTH * p.height as f32 / p.width.max(1) as f32);
            if let Some(t) = &ui_state.texture {
                let response = ui.add(egui::Image::new((t.id(), size)).sense(egui::Sense::click_and_drag()));
                overlay(ui, response.rect, &regions, &hands);
                edit_zones(ui, &response, &mut ui_state, &mut edited);
            }
        }
        ui.label(
            RichText::new("drag on the picture to draw a zone; right-click a zone to remove it")
                .small()
                .color(Color32::GRAY),
        );
    });
    state.camera = open;
    if edited != *config {
        *config = edited;
    }
    Ok(())
}

/// The camera list, the file field and the start and stop buttons.
fn choose(ui: &mut egui::Ui, ui_state: &mut CameraUi, view: &CameraView, config: &mut CameraConfig) {
    ui.horizontal_wrapped(|ui| {
        let cameras = ui_state.cameras.get_or_insert_with(|| {
            list_cameras()
                .map(|l| {
                    l.into_iter()
                        .map(|c| (c.index, format!("{} {}", c.index, c.name)))
                        .collect()
                })
                .map_err(|e| e.to_string())
        });
        match cameras {
            Ok(list) if list.is_empty() => {
                ui.label(RichText::new("no camera found").small().color(Color32::GRAY));
            }
            Ok(list) => {
                for (index, name) in list.iter() {
                    let chosen = config.camera == Some(CameraChoice::Index(*index));
                    if ui.selectable_label(chosen, name.as_str()).clicked() {
                        config.camera = Some(CameraChoice::Index(*index));
                    }
                }
            }
            Err(e) => {
                ui.label(RichText::new(format!("cameras: {e}")).small().color(WARN));
            }
        }
        if ui.small_button("⟳").on_hover_text("look for cameras again").clicked() {
            ui_state.cameras = None;
        }
        ui.add(
            egui::TextEdit::singleline(&mut ui_state.file)
                .desired_width(160.0)
                .hint_text("y4m / MJPEG file"),
        );
        if ui.small_button("play file").clicked() {
            match ui_state.file.trim().parse::<CameraChoice>() {
                Ok(c) => config.camera = Some(c),
                Err(e) => ui_state.cameras = Some(Err(e)),
            }
        }
        if view.source.is_some() && ui.small_button("stop").clicked() {
            config.camera = None;
        }
    });
}

/// The source, its state, the hand model and the notices.
fn status(ui: &mut egui::Ui, view: &CameraView) {
    let Some(source) = &view.source else {
        ui.label(RichText::new("no camera").color(Color32::GRAY));
        return;
    };
    ui.label(
        RichText::new(format!(
            "{source}: {}  {:.0} fps  {:.1} ms to the controls  {} frames, {} skipped",
            view.state, view.fps, view.latency_ms, view.frames, view.skipped
        ))
        .small(),
    );
    ui.label(RichText::new(&view.hands).small());
    if let Some(r) = &view.recording {
        ui.label(RichText::new(format!("● recording to {r}")).small().color(WARN));
    }
    for n in &view.notices {
        ui.label(RichText::new(format!("⚠ {n}")).small().color(WARN));
    }
}

/// Zones filled by their motion, the picture's moving region, and the hands, over the preview.
fn overlay(ui: &egui::Ui, rect: Rect, regions: &Query<(&GestureRegion, &RegionMotion)>, hands: &Query<&TrackedHand>) {
    let painter = ui.painter_at(rect);
    let at = |x: f32, y: f32| rect.min + egui::vec2(x * rect.width(), y * rect.height());
    for (g, m) in regions {
        let [x0, y0, x1, y1] = g.rect;
        let zone = Rect::from_min_max(at(x0, y0), at(x1, y1));
        match &g.region {
            Region::Zone(name) => {
                let fill = Color32::from_rgba_unmultiplied(120, 200, 255, (m.energy * 120.0) as u8);
                painter.rect_filled(zone, 2.0, fill);
                painter.rect_stroke(zone, 2.0, Stroke::new(1.5, ZONE), egui::StrokeKind::Inside);
                painter.text(
                    zone.left_top() + egui::vec2(3.0, 2.0),
                    egui::Align2::LEFT_TOP,
                    format!("{name} {:.2}", m.energy),
                    egui::FontId::proportional(11.0),
                    ZONE,
                );
            }
            Region::Frame => {
                if let Some([bx0, by0, bx1, by1]) = m.bbox {
                    let moving = Rect::from_min_max(at(bx0, by0), at(bx1, by1));
                    painter.rect_stroke(moving, 0.0, Stroke::new(1.0, Color32::WHITE), egui::StrokeKind::Inside);
                }
                painter.circle_filled(at(m.centre[0], m.centre[1]), 3.0, Color32::WHITE);
            }
        }
    }
    for h in hands {
        let p: Vec<Pos2> = h.seen.landmarks.iter().map(|l| at(l[0], l[1])).collect();
        for (a, b) in HAND_BONES {
            if let (Some(a), Some(b)) = (p.get(a), p.get(b)) {
                painter.line_segment([*a, *b], Stroke::new(2.0, HAND));
            }
        }
        painter.text(
            at(h.seen.palm[0], h.seen.palm[1]),
            egui::Align2::CENTER_CENTER,
            format!(
                "{} open {:.1} pinch {:.1}",
                side_name(h.seen.side),
                h.seen.openness,
                h.seen.pinch
            ),
            egui::FontId::proportional(11.0),
            Color32::WHITE,
        );
    }
}

/// A drag on the picture draws a zone; a right-click on a zone removes it.
fn edit_zones(ui: &egui::Ui, response: &egui::Response, ui_state: &mut CameraUi, config: &mut CameraConfig) {
    let rect = response.rect;
    let unit = |p: Pos2| {
        let v = (p - rect.min) / rect.size();
        (v.x.clamp(0.0, 1.0), v.y.clamp(0.0, 1.0))
    };
    if response.drag_started() {
        ui_state.drag_from = response.interact_pointer_pos();
    }
    if let (Some(from), Some(to)) = (ui_state.drag_from, response.interact_pointer_pos()) {
        ui.painter_at(rect).rect_stroke(
            Rect::from_two_pos(from, to),
            0.0,
            Stroke::new(1.0, ZONE),
            egui::StrokeKind::Inside,
        );
    }
    if response.drag_stopped()
        && let (Some(from), Some(to)) = (ui_state.drag_from.take(), response.interact_pointer_pos())
    {
        let ((ax, ay), (bx, by)) = (unit(from), unit(to));
        if (ax - bx).abs() >= SMALLEST_ZONE && (ay - by).abs() >= SMALLEST_ZONE {
            let n = (1..)
                .map(|i| format!("zone {i}"))
                .find(|name| config.settings.zones.iter().all(|z| z.name != *name))
                .unwrap_or_default();
            let mut settings = config.settings.clone();
            settings
                .zones
                .push(Zone::new(n, ax.min(bx), ay.min(by), ax.max(bx), ay.max(by)));
            if settings.validate().is_ok() {
                config.settings = settings;
            }
        }
    }
    if response.secondary_clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        let (x, y) = unit(p);
        let hit = config.settings.zones.iter().rposition(|z| {
            let [x0, y0, x1, y1] = z.rect();
            (x0..=x1).contains(&x) && (y0..=y1).contains(&y)
        });
        if let Some(i) = hit {
            config.settings.zones.remove(i);
        }
    }
}
