//! The address list of docs/CONTROLS.md, generated from the registry (a test checks the page
//! against it, so the page can never drift from the code).

use crate::address::{ControlId, DeckRef};
use crate::registry::{ControlKind, Registry};

/// The marker lines around the generated part of the page.
pub const BEGIN: &str = "<!-- generated from the registry: phosphene controls --markdown -->";
/// The line that ends the generated part.
pub const END: &str = "<!-- end of generated part -->";

/// The registry as a Markdown table. Deck controls are listed once, for `/deck/N/...` where N
/// is a deck number or `focused`; the scene choice lists whatever scenes the library holds.
pub fn markdown(registry: &Registry, decks: usize) -> String {
    let mut out = format!(
        "{BEGIN}\n\n`N` is a deck number, 1 to {decks}, or `focused` (the deck `/controls/focus` picks).\n\n\
         | address | kind | range or choices | what it does |\n|---|---|---|---|\n"
    );
    for spec in registry.specs() {
        let address = match spec.id {
            ControlId::Deck(DeckRef::Focused, _) => spec.address.replacen("/deck/focused/", "/deck/N/", 1),
            ControlId::Deck(DeckRef::Index(_), _) => continue,
            _ => spec.address.clone(),
        };
        let span = match (&spec.kind, spec.id) {
            (_, ControlId::Visuals(crate::address::VisualControl::Scene)) => "the scenes of the library".to_string(),
            (ControlKind::Choice(_), ControlId::Map(crate::address::MapControl::Focus)) => format!("1..{decks}"),
            (kind, _) => kind.span().replace(',', ", "),
        };
        let what = match spec.id {
            ControlId::Deck(..) => spec.description.replace("the focused deck", "deck N"),
            _ => spec.description.clone(),
        }
        .replace('|', "\\|");
        out.push_str(&format!("| `{address}` | {} | {span} | {what} |\n", spec.kind.word()));
    }
    out.push('\n');
    out.push_str(END);
    out.push('\n');
    out
}
