//! Importer of Mixxx controller mappings (`.midi.xml`), the parts that are not JavaScript.
//!
//! A Mixxx mapping lists `<control>` elements (a MIDI status byte and data byte that drive a Mixxx
//! control, named by a `<group>` and a `<key>`, with `<options>`) and `<output>` elements (a Mixxx
//! control whose value lights an LED by a status and data byte). [`import`] turns them into one
//! [`DeviceProfile`] (its controls are the distinct messages the file lists) and [`Binding`]s, and
//! lists every line it could not carry over, with the reason, in [`Imported::skipped`].
//!
//! # Messages
//! | Mixxx | Phosphene |
//! | --- | --- |
//! | status `0x9n` / `0x8n` | `Note` on channel n+1 (a note-off line merges with its note-on line) |
//! | status `0xBn` | `Cc`; with `<fourteen-bit-msb>` and a `<fourteen-bit-lsb>` line on `midino + 32`: one `Cc14` |
//! | `0xBn` with `<rot64>`, `<rot64inv>`, `<rot64fast>`, `<spread64>` | `Encoder`, `Offset64` |
//! | `0xBn` with `<diff>`, `<selectknob>`, `<hercjog>`, `<hercjogfast>` | `Encoder`, `TwosComplement` |
//! | status `0xEn` / `0xCn` | `PitchBend` / `Program` |
//! | `<invert>`, `<rot64inv>` | `invert: true` |
//! | `<soft-takeover>` | `takeover: PickUp`, else `takeover: None` |
//! | a toggle target (sync, keylock, headphone cue, EQ kills) | `button: Toggle`; with `<switch>`: `Momentary` (the switch holds its state) |
//! | `<button>` on a continuous target | `button: Toggle` |
//! | `<script-binding>` or a key with a `.` (a script function) | skipped |
//!
//! The speed factors of `<rot64fast>`, `<hercjogfast>` and `<spread64>` are not carried.
//!
//! # Controls
//! `D` is the deck of `[ChannelD]` (1..4; decks 5 and up are skipped).
//! | Mixxx group, key | Phosphene address |
//! | --- | --- |
//! | `[ChannelD]` `play`, `cue_default`, `stop`, `eject` | `/deck/D/play`, `cue`, `stop`, `eject` |
//! | `sync_enabled`, `keylock`, `pfl` | `/deck/D/sync`, `keylock`, `headphone` |
//! | `rate` | `/deck/D/tempo`, `range: (0.92, 1.08)`: Mixxx's rate is -1..1 of its rate range, read as ±8 % |
//! | `rate_temp_up`/`_down` (`_small`) | `/deck/D/nudge`, `range: (0, ±0.04)` (`±0.01`) |
//! | `pregain`, `volume`, `playposition`, `orientation` | `/deck/D/gain`, `volume`, `position`, `xfader` |
//! | (gain knobs: `pregain`, EQ `parameterK`, `[Master]` `gain`/`headGain`) | over Phosphene's whole dB range, with a `Points` curve putting the knob's centre at 0 dB as in Mixxx |
//! | `hotcue_K_activate` / `_clear` / `_set` (K 1..8) | `/deck/D/hotcue/K` / `K/delete` / `K/set` |
//! | `beatloop_B_toggle`, `beatloop_B_activate` (B 0.25..32) | `/deck/D/loop/beats/B` |
//! | `loop_in`, `loop_out` | `/deck/D/loop/in`, `loop/out` |
//! | `reloop_toggle`, `reloop_exit` | `/deck/D/loop/exit` (the re-enter half of `reloop_toggle` is lost) |
//! | `beatjump_forward`, `beatjump_backward`, `beatjump_size` | `/deck/D/beatjump/forward`, `back`, `size` |
//! | `filterLow`/`Mid`/`High` (`Kill`) (old EQ keys) | `/deck/D/eq/low`/`mid`/`high` (`/kill`) |
//! | `[EqualizerRack1_[ChannelD]_Effect1]` `parameter1`/`2`/`3` | `/deck/D/eq/low`/`mid`/`high` |
//! | same group, `button_parameter1`/`2`/`3` | `/deck/D/eq/low/kill`/`mid/kill`/`high/kill` |
//! | `[QuickEffectRack1_[ChannelD]]` `super1` | `/deck/D/filter` |
//! | `[EffectRack1_EffectUnitK]` `mix` / `super1` (K 1..3) | `/deck/focused/fx/K/amount` / `param` |
//! | `[Master]` (or `[Mixer]`) `crossfader`, `gain`, `headMix`, `headGain` | `/mixer/crossfader`, `master`, `headphone/mix`, `headphone/gain` |
//!
//! Mixxx's effect units are global and assigned to channels by the user; Phosphene's FX slots belong
//! to a deck, so unit K drives slot K of the focused deck. Outputs map `play_indicator` to `play`,
//! `cue_indicator` to `cue_default`, `hotcue_K_enabled`/`_status` to `hotcue_K_activate`,
//! `beatloop_B_enabled` to `beatloop_B_toggle`, and any other key to itself; the output then sets
//! `feedback` on the control bound to that address (`Same` when the LED answers on the control's own
//! message, `To(..)` otherwise). A control shows one LED; `<minimum>`/`<maximum>` thresholds are not
//! carried (Phosphene sends the value), and `<on>`/`<off>` other than 0x7F/0x00 are noted as skipped.
//! Everything is bound on the base layer: Mixxx mappings have no shift layer outside scripts (the
//! hardware's own shift sends other messages, which are carried as they are).

use std::fmt;

use roxmltree::{Document, Node};

use crate::binding::BindingOptions;
use crate::binding::button::ButtonMode;
use crate::binding::curve::Curve;
use crate::binding::takeover::Takeover;
use crate::mapping::file::{
    Binding, DeviceKind, DeviceProfile, Feedback, HardwareControl, Input, LedMode, MappingFile,
};
use crate::midi::relative::RelativeEncoding;
use crate::state::Layer;

/// What an import produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// One device profile (named by the mapping's `<info><name>`) and its bindings.
    pub file: MappingFile,
    /// One line per control or output not carried over, and why.
    pub skipped: Vec<String>,
}

/// Why a file could not be imported at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The file is not well-formed XML.
    Xml {
        /// The name the file was imported under.
        source: String,
        /// Line of the error, from 1.
        line: u32,
        /// Column of the error, from 1.
        column: u32,
        /// What the XML parser said.
        message: String,
    },
    /// Well-formed XML, but not a Mixxx controller mapping.
    NotMixxx {
        /// The name the file was imported under.
        source: String,
        /// What is missing or wrong.
        reason: String,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xml {
                source,
                line,
                column,
                message,
            } => {
                write!(f, "{source}: XML syntax error at {line}:{column}: {message}")
            }
            Self::NotMixxx { source, reason } => write!(f, "{source}: not a Mixxx mapping: {reason}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// Imports the static part of a Mixxx `.midi.xml` mapping. `source_name` names the file in errors
/// and names the device when the mapping has no `<info><name>`.
pub fn import(xml: &str, source_name: &str) -> Result<Imported, ImportError> {
    let doc = Document::parse(xml).map_err(|e| {
        let pos = e.pos();
        ImportError::Xml {
            source: source_name.to_owned(),
            line: pos.row,
            column: pos.col,
            message: e.to_string(),
        }
    })?;
    let not_mixxx = |reason: String| ImportError::NotMixxx {
        source: source_name.to_owned(),
        reason,
    };

    let root = doc.root_element();
    let root_name = root.tag_name().name();
    if root_name != "MixxxControllerPreset" && root_name != "MixxxMIDIPreset" {
        return Err(not_mixxx(format!(
            "the root element is <{root_name}>, not <MixxxControllerPreset>"
        )));
    }
    let mut controllers = children(root, "controller");
    let controller = controllers
        .next()
        .ok_or_else(|| not_mixxx("no <controller> element".to_owned()))?;

    let mut importer = Importer::new(&doc, source_name);
    for extra in controllers {
        let line = importer.line(extra);
        importer.skip(
            line,
            "a second <controller> element: only the first is imported".to_owned(),
        );
    }

    let name = child(root, "info")
        .and_then(|info| child(info, "name"))
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(source_name)
        .to_owned();
    let port = controller
        .attribute("id")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .unwrap_or(&name)
        .to_owned();

    importer.device = name.clone();
    if let Some(scripts) = child(controller, "scriptfiles") {
        for file in children(scripts, "file") {
            let line = importer.line(file);
            let filename = file.attribute("filename").unwrap_or("?");
            let prefix = file.attribute("functionprefix").unwrap_or("");
            importer.skip(
                line,
                format!("script file {filename} (functions {prefix}.*): JavaScript is not imported"),
            );
        }
    }
    if let Some(controls) = child(controller, "controls") {
        importer.controls(controls);
    }
    if let Some(outputs) = child(controller, "outputs") {
        for output in children(outputs, "output") {
            importer.output(output);
        }
    }

    let Importer {
        controls,
        bindings,
        mut skipped,
        ..
    } = importer;
    skipped.sort_by_key(|(line, _)| *line);
    let skipped = skipped
        .into_iter()
        .map(|(line, text)| format!("line {line}: {text}"))
        .collect();
    let profile = DeviceProfile {
        name,
        kind: DeviceKind::Midi,
        ports: vec![port],
        controls,
        ..DeviceProfile::default()
    };
    Ok(Imported {
        file: MappingFile {
            devices: vec![profile],
            bindings,
        },
        skipped,
    })
}

/// How a Phosphene control takes values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Fires on a press.
    Trigger,
    /// On or off.
    Toggle,
    /// A range.
    Continuous,
    /// One of a few values.
    Choice,
}

/// A Phosphene address, how it takes values, the part of its range a binding spans, and the curve
/// that puts the knob's centre where Mixxx puts it.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    address: String,
    kind: Kind,
    range: Option<(f64, f64)>,
    curve: Curve,
}

impl Target {
    fn new(address: String, kind: Kind) -> Self {
        Self {
            address,
            kind,
            range: None,
            curve: Curve::Linear,
        }
    }

    fn ranged(address: String, range: (f64, f64)) -> Self {
        Self {
            address,
            kind: Kind::Continuous,
            range: Some(range),
            curve: Curve::Linear,
        }
    }

    /// A gain knob whose centre is unity (0 dB), as Mixxx's gain and EQ knobs are: `centre` is the
    /// share of the control's dB range below 0 dB.
    fn unity_centre(address: String, centre: f64) -> Self {
        Self {
            address,
            kind: Kind::Continuous,
            range: None,
            curve: Curve::Points(vec![(0.0, 0.0), (0.5, centre), (1.0, 1.0)]),
        }
    }
}

/// Where 0 dB lies in Phosphene's trim range (-24..12 dB).
const TRIM_CENTRE: f64 = 24.0 / 36.0;
/// Where 0 dB lies in Phosphene's EQ range (-26..6 dB).
const EQ_CENTRE: f64 = 26.0 / 32.0;
/// Where 0 dB lies in Phosphene's master and headphone gain range (-60..12 dB).
const GAIN_CENTRE: f64 = 60.0 / 72.0;

/// One `<control>` line, read.
struct Line {
    line: u32,
    group: String,
    key: String,
    status: Option<u8>,
    midino: Option<u8>,
    options: Vec<String>,
}

impl Line {
    fn has(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }

    /// How the line is named in the skipped list (after its line number).
    fn label(&self) -> String {
        format!("{} {} ({})", self.group, self.key, bytes(self.status, self.midino))
    }
}

/// A `<fourteen-bit-lsb>` line waiting for its MSB line.
struct Lsb {
    index: usize,
    used: bool,
    note: Option<String>,
}

struct Importer<'a, 'input> {
    doc: &'a Document<'input>,
    device: String,
    controls: Vec<HardwareControl>,
    bindings: Vec<Binding>,
    /// Lines not carried over, with the line of the file they are about.
    skipped: Vec<(u32, String)>,
}

impl<'a, 'input> Importer<'a, 'input> {
    fn new(doc: &'a Document<'input>, device: &str) -> Self {
        Self {
            doc,
            device: device.to_owned(),
            controls: Vec::new(),
            bindings: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn skip(&mut self, line: u32, text: String) {
        self.skipped.push((line, text));
    }

    fn line(&self, node: Node<'_, '_>) -> u32 {
        self.doc.text_pos_at(node.range().start).row
    }

    fn read(&self, node: Node<'_, '_>) -> Line {
        let text = |name: &str| {
            child(node, name)
                .and_then(|n| n.text())
                .map(str::trim)
                .unwrap_or("")
                .to_owned()
        };
        let options = child(node, "options")
            .map(|o| {
                o.children()
                    .filter(Node::is_element)
                    .map(|e| e.tag_name().name().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        Line {
            line: self.line(node),
            group: text("group"),
            key: text("key"),
            status: child(node, "status").and_then(|n| n.text()).and_then(parse_byte),
            midino: child(node, "midino").and_then(|n| n.text()).and_then(parse_byte),
            options,
        }
    }

    fn controls(&mut self, controls: Node<'_, '_>) {
        let lines: Vec<Line> = children(controls, "control").map(|c| self.read(c)).collect();
        let mut lsbs: Vec<Lsb> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.has("fourteen-bit-lsb") && !is_script(l))
            .map(|(index, _)| Lsb {
                index,
                used: false,
                note: None,
            })
            .collect();

        for line in &lines {
            if line.has("fourteen-bit-lsb") && !is_script(line) {
                continue;
            }
            if let Err(reason) = self.control(line, &lines, &mut lsbs) {
                self.skip(line.line, format!("{}: {reason}", line.label()));
            }
        }

        for lsb in lsbs.into_iter().filter(|l| !l.used) {
            let line = &lines[lsb.index];
            let plain_msb = lines.iter().any(|other| {
                other.group == line.group
                    && other.key == line.key
                    && other.status == line.status
                    && !other.has("fourteen-bit-lsb")
                    && !other.has("fourteen-bit-msb")
            });
            let reason = match (lsb.note, target(&line.group, &line.key)) {
                (Some(note), _) => note,
                (None, Err(reason)) => reason,
                (None, Ok(_)) if plain_msb => {
                    "its MSB line is not marked fourteen-bit-msb; only the 7-bit MSB was carried".to_owned()
                }
                (None, Ok(_)) => "a fourteen-bit-lsb line without its fourteen-bit-msb line".to_owned(),
            };
            self.skip(line.line, format!("{}: {reason}", line.label()));
        }
    }

    /// Carries one line over, or says why not.
    fn control(&mut self, line: &Line, lines: &[Line], lsbs: &mut [Lsb]) -> Result<(), String> {
        let (Some(status), Some(midino)) = (line.status, line.midino) else {
            return Err("status or midino missing, or not a byte".to_owned());
        };
        if status < 0x80 || midino > 0x7F {
            return Err("status or midino out of range".to_owned());
        }
        if is_script(line) {
            return Err("script binding: JavaScript is not imported".to_owned());
        }
        let target = target(&line.group, &line.key)?;
        let input = self.input(line, status, midino, lines, lsbs)?;
        let options = options(line, &target);
        let name = self.control_for(input);
        let binding = Binding {
            device: self.device.clone(),
            control: Some(name),
            input: None,
            to: target.address,
            layer: Layer::Base,
            hold_to: None,
            led: LedMode::Value,
            options,
        };
        if !self.bindings.contains(&binding) {
            self.bindings.push(binding);
        }
        Ok(())
    }

    /// The message a line listens to.
    fn input(&self, line: &Line, status: u8, midino: u8, lines: &[Line], lsbs: &mut [Lsb]) -> Result<Input, String> {
        let channel = (status & 0x0F) + 1;
        let relative = if ["rot64", "rot64inv", "rot64fast", "spread64"]
            .iter()
            .any(|o| line.has(o))
        {
            Some(RelativeEncoding::Offset64)
        } else if ["diff", "selectknob", "hercjog", "hercjogfast"]
            .iter()
            .any(|o| line.has(o))
        {
            Some(RelativeEncoding::TwosComplement)
        } else {
            None
        };
        match status >> 4 {
            0x8 | 0x9 if relative.is_none() => Ok(Input::Note { channel, note: midino }),
            0xB => {
                if let Some(encoding) = relative {
                    return Ok(Input::Encoder {
                        channel,
                        cc: midino,
                        encoding,
                    });
                }
                if !line.has("fourteen-bit-msb") {
                    return Ok(Input::Cc { channel, cc: midino });
                }
                let lsb = lsbs.iter_mut().find(|l| {
                    let other = &lines[l.index];
                    !l.used && other.group == line.group && other.key == line.key && other.status == Some(status)
                });
                match lsb {
                    Some(lsb) => {
                        let lsb_no = lines[lsb.index].midino.unwrap_or(0xFF);
                        if midino < 32 && lsb_no == midino + 32 {
                            lsb.used = true;
                            Ok(Input::Cc14 { channel, msb: midino })
                        } else {
                            lsb.note = Some(format!(
                                "the LSB half (0x{lsb_no:02X}) is not CC 0x{midino:02X} + 32; only the 7-bit MSB \
                                 was carried"
                            ));
                            Ok(Input::Cc { channel, cc: midino })
                        }
                    }
                    None => Ok(Input::Cc { channel, cc: midino }),
                }
            }
            0xE if relative.is_none() => Ok(Input::PitchBend { channel }),
            0xC if relative.is_none() => Ok(Input::Program { channel }),
            0x8 | 0x9 | 0xC | 0xE => Err("a relative option on a message that is not a CC".to_owned()),
            _ => Err(format!("message type 0x{:X}n is not supported", status >> 4)),
        }
    }

    /// The name of the profile's control for `input`, adding the control if it is new.
    fn control_for(&mut self, input: Input) -> String {
        if let Some(existing) = self.controls.iter().find(|c| c.input == input) {
            return existing.name.clone();
        }
        let name = control_name(&input);
        self.controls.push(HardwareControl {
            name: name.clone(),
            input,
            feedback: Feedback::None,
        });
        name
    }

    fn output(&mut self, node: Node<'_, '_>) {
        let line = self.read(node);
        let byte = |name: &str| child(node, name).and_then(|n| n.text()).and_then(parse_byte);
        let (on, off) = (byte("on"), byte("off"));
        let label = format!("output {}", line.label());
        match self.feedback(&line) {
            Ok(()) => {
                if on.is_some_and(|v| v != 0x7F) || off.is_some_and(|v| v != 0x00) {
                    self.skip(
                        line.line,
                        format!(
                            "{label}: LED values on={} off={} not carried (Phosphene sends the value itself)",
                            on.map_or("0x7F".to_owned(), |v| format!("0x{v:02X}")),
                            off.map_or("0x00".to_owned(), |v| format!("0x{v:02X}")),
                        ),
                    );
                }
            }
            Err(reason) => self.skip(line.line, format!("{label}: {reason}")),
        }
    }

    /// Sets the feedback an output describes, or says why not.
    fn feedback(&mut self, line: &Line) -> Result<(), String> {
        let (Some(status), Some(midino)) = (line.status, line.midino) else {
            return Err("status or midino missing, or not a byte".to_owned());
        };
        if status < 0x80 || midino > 0x7F {
            return Err("status or midino out of range".to_owned());
        }
        let channel = (status & 0x0F) + 1;
        let message = match status >> 4 {
            0x8 | 0x9 => Input::Note { channel, note: midino },
            0xB => Input::Cc { channel, cc: midino },
            kind => return Err(format!("LED message type 0x{kind:X}n is not supported")),
        };
        let key = output_key(&line.key);
        let target = target(&line.group, &key)?;
        let bound: Vec<usize> = self
            .controls
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                self.bindings.iter().any(|b| {
                    b.layer == Layer::Base && b.to == target.address && b.control.as_deref() == Some(c.name.as_str())
                })
            })
            .map(|(i, _)| i)
            .collect();
        if bound.is_empty() {
            return Err(format!("no carried input drives {}", target.address));
        }
        if let Some(&i) = bound.iter().find(|&&i| same_message(&self.controls[i].input, &message)) {
            return match self.controls[i].feedback {
                Feedback::None => {
                    self.controls[i].feedback = Feedback::Same;
                    Ok(())
                }
                Feedback::Same => Ok(()),
                _ => Err(format!(
                    "{} already shows on the LED of {} (one LED per control)",
                    target.address, self.controls[i].name
                )),
            };
        }
        match bound.iter().find(|&&i| self.controls[i].feedback == Feedback::None) {
            Some(&i) => {
                self.controls[i].feedback = Feedback::To(message);
                Ok(())
            }
            None => Err(format!(
                "{} already shows on the LED of {} (one LED per control)",
                target.address, self.controls[bound[0]].name
            )),
        }
    }
}

/// Whether a line calls a script function (`<script-binding>`, or a key like `Prefix.function`; the
/// dot in `beatloop_0.5_toggle` is a number's).
fn is_script(line: &Line) -> bool {
    let function = line
        .key
        .rsplit_once('.')
        .is_some_and(|(_, f)| f.starts_with(|c: char| c.is_ascii_alphabetic()));
    line.has("script-binding") || function
}

/// The binding options a line asks for.
fn options(line: &Line, target: &Target) -> BindingOptions {
    let button = match target.kind {
        Kind::Toggle if line.has("switch") => ButtonMode::Momentary,
        Kind::Toggle => ButtonMode::Toggle,
        Kind::Continuous if line.has("button") => ButtonMode::Toggle,
        _ => ButtonMode::Momentary,
    };
    BindingOptions {
        invert: line.has("invert") || line.has("rot64inv"),
        takeover: if line.has("soft-takeover") {
            Takeover::PickUp
        } else {
            Takeover::None
        },
        button,
        range: target.range,
        curve: target.curve.clone(),
        ..BindingOptions::default()
    }
}

/// Whether an LED message is the message a control sends.
fn same_message(input: &Input, message: &Input) -> bool {
    match (input, message) {
        (Input::Cc14 { channel, msb }, Input::Cc { channel: c, cc }) => channel == c && msb == cc,
        (Input::Encoder { channel, cc, .. }, Input::Cc { channel: c, cc: n }) => channel == c && cc == n,
        _ => input == message,
    }
}

/// A readable, unique name for a control that sends `input`.
fn control_name(input: &Input) -> String {
    match input {
        Input::Note { channel, note } => format!("ch{channel} note 0x{note:02X}"),
        Input::Cc { channel, cc } => format!("ch{channel} cc 0x{cc:02X}"),
        Input::Cc14 { channel, msb } => format!("ch{channel} cc14 0x{msb:02X}"),
        Input::Encoder { channel, cc, .. } => format!("ch{channel} encoder 0x{cc:02X}"),
        Input::PitchBend { channel } => format!("ch{channel} pitch bend"),
        Input::Program { channel } => format!("ch{channel} program"),
        Input::Nrpn { channel, param } => format!("ch{channel} nrpn {param}"),
        Input::Rpn { channel, param } => format!("ch{channel} rpn {param}"),
        Input::Aftertouch { channel, note: Some(n) } => format!("ch{channel} pressure 0x{n:02X}"),
        Input::Aftertouch { channel, note: None } => format!("ch{channel} pressure"),
        Input::Axis(axis) => format!("{axis:?}"),
        Input::Button(button) => format!("{button:?}"),
        Input::Osc(address) => address.clone(),
        Input::Gesture(g) => format!("{g:?}"),
    }
}

/// `0x90 0x0B`, or `?` for a missing byte.
fn bytes(status: Option<u8>, midino: Option<u8>) -> String {
    let hex = |b: Option<u8>| b.map_or("?".to_owned(), |b| format!("0x{b:02X}"));
    format!("{} {}", hex(status), hex(midino))
}

/// A byte written as `0x90` or `144`.
fn parse_byte(text: &str) -> Option<u8> {
    let text = text.trim();
    let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => text.parse::<u32>().ok()?,
    };
    u8::try_from(value).ok()
}

/// The first child element named `name` (ignoring case).
fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    children(node, name).next()
}

/// The child elements named `name` (ignoring case).
fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    name: &str,
) -> impl Iterator<Item = Node<'a, 'input>> + use<'a, 'input> {
    let name = name.to_owned();
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case(&name))
}

/// The input key an output key stands for.
fn output_key(key: &str) -> String {
    match key {
        "play_indicator" => return "play".to_owned(),
        "cue_indicator" => return "cue_default".to_owned(),
        _ => {}
    }
    if let Some(rest) = key.strip_prefix("hotcue_")
        && let Some(k) = rest.strip_suffix("_enabled").or_else(|| rest.strip_suffix("_status"))
    {
        return format!("hotcue_{k}_activate");
    }
    if let Some(b) = key
        .strip_prefix("beatloop_")
        .and_then(|rest| rest.strip_suffix("_enabled"))
    {
        return format!("beatloop_{b}_toggle");
    }
    key.to_owned()
}

/// The deck of `[ChannelN]`.
fn deck_of(group: &str) -> Result<u8, String> {
    let number = group
        .strip_prefix("[Channel")
        .and_then(|s| s.strip_suffix(']'))
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| format!("group {group} has no Phosphene counterpart"))?;
    match u8::try_from(number) {
        Ok(deck @ 1..=4) => Ok(deck),
        _ => Err(format!("deck {number}: Phosphene has decks 1 to 4")),
    }
}

/// The Phosphene address of a Mixxx group and key.
fn target(group: &str, key: &str) -> Result<Target, String> {
    use Kind::{Continuous, Toggle};
    let unknown = || Err(format!("key {key} of {group} has no Phosphene counterpart"));

    if let Some(channel) = group
        .strip_prefix("[EqualizerRack1_")
        .and_then(|s| s.strip_suffix("_Effect1]"))
    {
        let d = deck_of(channel)?;
        return match key {
            "parameter1" => Ok(Target::unity_centre(format!("/deck/{d}/eq/low"), EQ_CENTRE)),
            "parameter2" => Ok(Target::unity_centre(format!("/deck/{d}/eq/mid"), EQ_CENTRE)),
            "parameter3" => Ok(Target::unity_centre(format!("/deck/{d}/eq/high"), EQ_CENTRE)),
            "button_parameter1" => Ok(Target::new(format!("/deck/{d}/eq/low/kill"), Toggle)),
            "button_parameter2" => Ok(Target::new(format!("/deck/{d}/eq/mid/kill"), Toggle)),
            "button_parameter3" => Ok(Target::new(format!("/deck/{d}/eq/high/kill"), Toggle)),
            _ => unknown(),
        };
    }
    if let Some(channel) = group
        .strip_prefix("[QuickEffectRack1_")
        .and_then(|s| s.strip_suffix(']'))
    {
        let d = deck_of(channel)?;
        return match key {
            "super1" => Ok(Target::new(format!("/deck/{d}/filter"), Continuous)),
            _ => unknown(),
        };
    }
    if let Some(unit) = group
        .strip_prefix("[EffectRack1_EffectUnit")
        .and_then(|s| s.strip_suffix(']'))
    {
        let Ok(unit) = unit.parse::<u8>() else {
            return Err(format!(
                "group {group}: single effects of a unit are not carried (Phosphene's FX slots belong to a deck)"
            ));
        };
        if !(1..=3).contains(&unit) {
            return Err(format!("effect unit {unit}: Phosphene has FX slots 1 to 3"));
        }
        return match key {
            "mix" => Ok(Target::new(format!("/deck/focused/fx/{unit}/amount"), Continuous)),
            "super1" => Ok(Target::new(format!("/deck/focused/fx/{unit}/param"), Continuous)),
            _ => unknown(),
        };
    }
    if group == "[Master]" || group == "[Mixer]" {
        return match key {
            "crossfader" => Ok(Target::new("/mixer/crossfader".to_owned(), Continuous)),
            "headMix" => Ok(Target::new("/mixer/headphone/mix".to_owned(), Continuous)),
            "gain" => Ok(Target::unity_centre("/mixer/master".to_owned(), GAIN_CENTRE)),
            "headGain" => Ok(Target::unity_centre("/mixer/headphone/gain".to_owned(), GAIN_CENTRE)),
            _ => unknown(),
        };
    }
    if group.starts_with("[Channel") {
        let d = deck_of(group)?;
        return deck_target(d, key).unwrap_or_else(unknown);
    }
    Err(format!("group {group} has no Phosphene counterpart"))
}

/// The address of a `[ChannelD]` key: `None` for an unknown key, `Some(Err)` for a known key that
/// cannot be carried (with the reason).
fn deck_target(d: u8, key: &str) -> Option<Result<Target, String>> {
    use Kind::{Choice, Continuous, Toggle, Trigger};
    let at = |path: &str| format!("/deck/{d}/{path}");
    let simple = |path: &str, kind: Kind| Some(Ok(Target::new(at(path), kind)));
    match key {
        "play" => simple("play", Trigger),
        "cue_default" => simple("cue", Trigger),
        "stop" => simple("stop", Trigger),
        "eject" => simple("eject", Trigger),
        "sync_enabled" => simple("sync", Toggle),
        "keylock" => simple("keylock", Toggle),
        "pfl" => simple("headphone", Toggle),
        "rate" => Some(Ok(Target::ranged(at("tempo"), (0.92, 1.08)))),
        "rate_temp_up" => Some(Ok(Target::ranged(at("nudge"), (0.0, 0.04)))),
        "rate_temp_down" => Some(Ok(Target::ranged(at("nudge"), (0.0, -0.04)))),
        "rate_temp_up_small" => Some(Ok(Target::ranged(at("nudge"), (0.0, 0.01)))),
        "rate_temp_down_small" => Some(Ok(Target::ranged(at("nudge"), (0.0, -0.01)))),
        "pregain" => Some(Ok(Target::unity_centre(at("gain"), TRIM_CENTRE))),
        "volume" => simple("volume", Continuous),
        "playposition" => simple("position", Continuous),
        "orientation" => simple("xfader", Choice),
        "loop_in" => simple("loop/in", Trigger),
        "loop_out" => simple("loop/out", Trigger),
        "reloop_toggle" | "reloop_exit" => simple("loop/exit", Trigger),
        "beatjump_forward" => simple("beatjump/forward", Trigger),
        "beatjump_backward" => simple("beatjump/back", Trigger),
        "beatjump_size" => simple("beatjump/size", Choice),
        "filterLow" => Some(Ok(Target::unity_centre(at("eq/low"), EQ_CENTRE))),
        "filterMid" => Some(Ok(Target::unity_centre(at("eq/mid"), EQ_CENTRE))),
        "filterHigh" => Some(Ok(Target::unity_centre(at("eq/high"), EQ_CENTRE))),
        "filterLowKill" => simple("eq/low/kill", Toggle),
        "filterMidKill" => simple("eq/mid/kill", Toggle),
        "filterHighKill" => simple("eq/high/kill", Toggle),
        _ => numbered_deck_target(d, key),
    }
}

/// Keys with a number in them: hot cues, beat loops, fixed-size beat jumps.
fn numbered_deck_target(d: u8, key: &str) -> Option<Result<Target, String>> {
    if let Some((number, action)) = key.strip_prefix("hotcue_").and_then(|rest| rest.split_once('_')) {
        let path = match action {
            "activate" => "",
            "clear" => "/delete",
            "set" => "/set",
            _ => return None,
        };
        return Some(match number.parse::<u8>() {
            Ok(k @ 1..=8) => Ok(Target::new(format!("/deck/{d}/hotcue/{k}{path}"), Kind::Trigger)),
            _ => Err(format!("hot cue {number}: Phosphene has hot cues 1 to 8")),
        });
    }
    if let Some((size, action)) = key.strip_prefix("beatloop_").and_then(|rest| rest.rsplit_once('_')) {
        if action != "toggle" && action != "activate" {
            return None;
        }
        const SIZES: [(f64, &str); 8] = [
            (0.25, "0.25"),
            (0.5, "0.5"),
            (1.0, "1"),
            (2.0, "2"),
            (4.0, "4"),
            (8.0, "8"),
            (16.0, "16"),
            (32.0, "32"),
        ];
        let beats = size.parse::<f64>().ok();
        return Some(match SIZES.iter().find(|(b, _)| Some(*b) == beats) {
            Some((_, name)) => Ok(Target::new(format!("/deck/{d}/loop/beats/{name}"), Kind::Trigger)),
            None => Err(format!(
                "a loop of {size} beats: Phosphene loops 0.25 to 32 beats in powers of two"
            )),
        });
    }
    if let Some((size, direction)) = key.strip_prefix("beatjump_").and_then(|rest| rest.split_once('_'))
        && (direction == "forward" || direction == "backward")
    {
        let beats = if size == "1" { "beat" } else { "beats" };
        return Some(Err(format!(
            "a fixed beat jump ({size} {beats}): Phosphene jumps by /deck/{d}/beatjump/size, not by a fixed size"
        )));
    }
    None
}

#[cfg(test)]
mod tests;
