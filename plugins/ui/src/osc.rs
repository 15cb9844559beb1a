//! The OSC strip: where the server listens (and a warning while it is open to a network),
//! OSCQuery and the mirror, what came in and was refused, and the destinations, which the
//! performer can add and remove (saved with the set).

use bevy_egui::egui::{self, Color32, RichText};
use phosphene_osc::{Destination, Endpoint, OscSettings, OscStatus};

const WARN: Color32 = Color32::from_rgb(255, 120, 80);

/// Draws the strip; returns the set's new destinations when the performer changed them.
/// `draft` holds the address being typed.
pub fn osc_strip(
    ui: &mut egui::Ui,
    status: &OscStatus,
    set: &OscSettings,
    draft: &mut String,
) -> Option<Vec<Destination>> {
    let mut changed = None;
    ui.horizontal_wrapped(|ui| {
        match status.listening {
            Some(a) if !a.ip().is_loopback() => {
                ui.label(
                    RichText::new(format!("⚠ OSC open to the network on {a}"))
                        .small()
                        .color(WARN),
                )
                .on_hover_text("anyone on this network can play the instrument");
            }
            Some(a) => {
                ui.label(RichText::new(format!("OSC {a}")).small());
            }
            None => {
                ui.label(RichText::new("OSC off").small().color(Color32::GRAY));
            }
        }
        if let Some(q) = status.oscquery {
            ui.label(RichText::new(format!("OSCQuery {q} ({} listening)", status.oscquery_clients)).small());
        }
        if let Some(m) = status.mirror {
            ui.label(RichText::new(format!("mirror {m}")).small());
        }
        ui.label(RichText::new(format!("in {}  out {}", status.received, status.sent)).small());
        if status.shed > 0 || status.refused > 0 {
            let text = format!("shed {}  refused {}", status.shed, status.refused);
            ui.label(RichText::new(text).small().color(WARN))
                .on_hover_text(status.last_problem.clone().unwrap_or_default());
        }
        ui.separator();
        let mut remove = None;
        for (i, d) in set.destinations.iter().enumerate() {
            if ui
                .small_button(format!("→ {} ✕", d.to))
                .on_hover_text("stop sending feedback and analysis there")
                .clicked()
            {
                remove = Some(i);
            }
        }
        if let Some(i) = remove {
            let mut list = set.destinations.clone();
            list.remove(i);
            changed = Some(list);
        }
        let typed = ui.add(
            egui::TextEdit::singleline(draft)
                .hint_text("HOST:PORT")
                .desired_width(120.0),
        );
        let add =
            ui.small_button("add").clicked() || (typed.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)));
        if add && !draft.is_empty() {
            match Endpoint::parse(draft) {
                Ok(to) => {
                    let mut list = set.destinations.clone();
                    list.push(Destination::new(to));
                    changed = Some(list);
                    draft.clear();
                }
                Err(e) => {
                    ui.label(RichText::new(e).small().color(WARN));
                }
            }
        }
    });
    changed
}
