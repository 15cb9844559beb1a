//! Small controls shared by the panels.

use bevy_egui::egui::{self, Color32, RichText};
use engine_rt::ranges::Range;

/// A button that shows an on/off state; true when clicked.
pub fn toggle(ui: &mut egui::Ui, label: &str, on: bool) -> bool {
    let text = if on {
        RichText::new(label).color(Color32::BLACK).strong()
    } else {
        RichText::new(label)
    };
    let fill = if on {
        Color32::from_rgb(255, 170, 60)
    } else {
        Color32::from_gray(45)
    };
    ui.add(egui::Button::new(text).fill(fill)).clicked()
}

/// A compact labelled drag value standing in for a rotary knob over `range` (its unit
/// shown); double-click resets to the range's default. Returns the new value when it changed.
pub fn knob(ui: &mut egui::Ui, label: &str, value: f32, range: &Range) -> Option<f32> {
    let neutral = range.default as f32;
    let unit = range.unit;
    let range = range.min as f32..=range.max as f32;
    let mut v = value;
    let mut changed = false;
    ui.vertical(|ui| {
        ui.label(RichText::new(label).small());
        let speed = (range.end() - range.start()) / 200.0;
        let r = ui.add(
            egui::DragValue::new(&mut v)
                .range(range.clone())
                .speed(speed)
                .fixed_decimals(1)
                .suffix(unit),
        );
        changed = r.changed();
        if r.double_clicked() {
            v = neutral;
            changed = true;
        }
    });
    changed.then_some(v)
}

/// A vertical level meter (linear peak 0..1 shown on a dB scale from -48 dB).
pub fn meter(ui: &mut egui::Ui, peak: f32, height: f32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, height), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 1.0, Color32::from_gray(20));
    let db = 20.0 * peak.max(1e-6).log10();
    let f = ((db + 48.0) / 48.0).clamp(0.0, 1.0);
    let top = rect.bottom() - f * rect.height();
    let colour = if db > -1.0 {
        Color32::from_rgb(255, 60, 60)
    } else if db > -9.0 {
        Color32::from_rgb(240, 200, 60)
    } else {
        Color32::from_rgb(80, 210, 110)
    };
    painter.rect_filled(
        egui::Rect::from_x_y_ranges(rect.x_range(), top..=rect.bottom()),
        1.0,
        colour,
    );
}
