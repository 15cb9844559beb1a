//! Waveform displays drawn from a track's overview: the whole track, and a zoomed window that
//! scrolls under a fixed playhead with the beat grid on top.

use bevy_egui::egui::{self, Color32, Pos2, Rect, Sense, Stroke, Vec2};
use engine_rt::analysis::overview::Overview;
use phosphene_decks::{BeatGrid, HotCue};

/// Seconds shown either side of the playhead in the zoomed view.
pub const ZOOM_SECONDS: f64 = 4.0;

/// What both views mark on the waveform.
pub struct Marks<'a> {
    pub position: f64,
    pub cues: &'a [HotCue],
    pub loop_region: Option<(f64, f64)>,
    pub loop_active: bool,
    pub grid: Option<&'a BeatGrid>,
    /// Stretches (seconds) where the grid is approximate: the tempo drifts from it.
    pub off_grid: &'a [(f64, f64)],
}

/// Colour of one column: low band red, mid green, high blue, brightness from the peak.
fn column_colour(v: [u8; 4]) -> Color32 {
    let [_, l, m, h] = v;
    let max = l.max(m).max(h).max(1) as f32;
    let c = |x: u8, base: f32| (base + 190.0 * x as f32 / max).min(255.0) as u8;
    Color32::from_rgb(c(l, 40.0), c(m, 30.0), c(h, 60.0))
}

/// Draws columns over `[from, to)` seconds into `rect`.
fn columns(painter: &egui::Painter, rect: Rect, overview: &Overview, from: f64, to: f64) {
    let width = rect.width().max(1.0) as usize;
    let span = (to - from) / width as f64;
    let mid = rect.center().y;
    let half = rect.height() * 0.5;
    for x in 0..width {
        let t = from + x as f64 * span;
        if t < 0.0 || t >= overview.seconds() {
            continue;
        }
        let v = overview.max_over(t, t + span);
        let h = half * v[0] as f32 / 255.0;
        let px = rect.left() + x as f32 + 0.5;
        painter.line_segment(
            [Pos2::new(px, mid - h), Pos2::new(px, mid + h)],
            Stroke::new(1.0, column_colour(v)),
        );
    }
}

fn x_of(rect: Rect, from: f64, to: f64, t: f64) -> Option<f32> {
    (from..=to)
        .contains(&t)
        .then(|| rect.left() + ((t - from) / (to - from)) as f32 * rect.width())
}

fn cue_colour(c: &HotCue) -> Color32 {
    Color32::from_rgb(c.colour[0], c.colour[1], c.colour[2])
}

fn marks(painter: &egui::Painter, rect: Rect, from: f64, to: f64, m: &Marks) {
    // An amber band along the bottom where the grid is approximate.
    for &(a, b) in m.off_grid {
        if b < from || a > to {
            continue;
        }
        let xa = x_of(rect, from, to, a.clamp(from, to)).unwrap_or(rect.left());
        let xb = x_of(rect, from, to, b.clamp(from, to)).unwrap_or(rect.right());
        let band = Rect::from_x_y_ranges(xa..=xb.max(xa + 1.0), rect.bottom() - 4.0..=rect.bottom());
        painter.rect_filled(band, 0.0, Color32::from_rgba_unmultiplied(255, 190, 60, 200));
    }
    if let Some((a, b)) = m.loop_region {
        let xa = x_of(rect, from, to, a.clamp(from, to)).unwrap_or(rect.left());
        let xb = x_of(rect, from, to, b.clamp(from, to)).unwrap_or(rect.right());
        let alpha = if m.loop_active { 70 } else { 30 };
        let r = Rect::from_x_y_ranges(xa..=xb, rect.y_range());
        painter.rect_filled(r, 0.0, Color32::from_rgba_unmultiplied(80, 200, 120, alpha));
    }
    for c in m.cues {
        if let Some(x) = x_of(rect, from, to, c.seconds) {
            let col = cue_colour(c);
            painter.line_segment(
                [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
                Stroke::new(1.5, col),
            );
            let tri = vec![
                Pos2::new(x, rect.top() + 7.0),
                Pos2::new(x - 5.0, rect.top()),
                Pos2::new(x + 5.0, rect.top()),
            ];
            painter.add(egui::Shape::convex_polygon(tri, col, Stroke::NONE));
        }
    }
}

/// The whole track; clicking seeks there. Returns the clicked position in seconds.
pub fn overview(ui: &mut egui::Ui, overview: &Overview, seconds: f64, m: &Marks) -> Option<f64> {
    let (rect, response) = ui.allocate_exact_size(Vec2::new(ui.available_width(), 34.0), Sense::click());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(18));
    columns(&painter, rect, overview, 0.0, seconds);
    marks(&painter, rect, 0.0, seconds, m);
    if let Some(x) = x_of(rect, 0.0, seconds, m.position) {
        painter.rect_filled(
            Rect::from_x_y_ranges(rect.left()..=x, rect.y_range()),
            0.0,
            Color32::from_black_alpha(110),
        );
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(2.0, Color32::WHITE),
        );
    }
    let click = response.interact_pointer_pos().filter(|_| response.clicked())?;
    Some(((click.x - rect.left()) / rect.width()) as f64 * seconds)
}

/// The zoomed view centred on the playhead, with bar lines brighter than beat lines.
pub fn zoomed(ui: &mut egui::Ui, overview: &Overview, m: &Marks) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(ui.available_width(), 72.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(12));
    let (from, to) = (m.position - ZOOM_SECONDS, m.position + ZOOM_SECONDS);
    if let Some(g) = m.grid {
        let beat = g.beat_seconds();
        let first = ((from - g.first_beat) / beat).ceil() as i64;
        let last = ((to - g.first_beat) / beat).floor() as i64;
        for k in first..=last {
            let t = g.first_beat + k as f64 * beat;
            if let Some(x) = x_of(rect, from, to, t) {
                let bar = k.rem_euclid(4) == 0;
                let col = if bar {
                    Color32::from_gray(120)
                } else {
                    Color32::from_gray(55)
                };
                painter.line_segment(
                    [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
                    Stroke::new(1.0, col),
                );
            }
        }
    }
    columns(&painter, rect, overview, from, to);
    marks(&painter, rect, from, to, m);
    let x = rect.center().x;
    painter.line_segment(
        [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
        Stroke::new(2.0, Color32::from_rgb(255, 80, 80)),
    );
}
