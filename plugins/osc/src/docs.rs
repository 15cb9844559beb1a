//! docs/OSC.md: the guide (`guide.md`) with the address space filled in from the registry and
//! the analysis leaves, so the page always matches the code.

use phosphene_controls::Registry;

use crate::analysis_out;
use crate::inbound::osc_type;

/// The address space as `phosphene osc` prints it: `<address> <type> <range>` for each
/// control, then `<address> <type> read-only` for each analysis leaf.
pub fn listing(registry: &Registry) -> String {
    let mut out = String::new();
    for s in registry.specs() {
        out.push_str(&format!("{} {} {}\n", s.address, osc_type(&s.kind), s.kind.span()));
    }
    for (path, tag, _) in analysis_out::leaves(registry.decks()) {
        out.push_str(&format!("{path} {tag} read-only\n"));
    }
    out
}

/// The page for an instrument with this registry.
pub fn markdown(registry: &Registry) -> String {
    let mut controls = String::from("| Address | Type | Range | What it does |\n|---|---|---|---|\n");
    for s in registry.specs() {
        controls.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            s.address,
            osc_type(&s.kind),
            s.kind.span().replace(',', ", "),
            s.description
        ));
    }
    let mut analysis = String::from("| Address | Type | What it carries |\n|---|---|---|\n");
    for (path, tag, what) in analysis_out::leaves(registry.decks()) {
        analysis.push_str(&format!("| `{path}` | `{tag}` | {what} |\n"));
    }
    include_str!("../guide.md")
        .replace("<!-- controls -->\n", &controls)
        .replace("<!-- analysis -->\n", &analysis)
}
