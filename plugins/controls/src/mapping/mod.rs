//! Mappings: the file format ([`file`]), where files come from ([`load`]), the compiled
//! bindings at work ([`runtime`]), and the systems that run them each frame.

pub mod file;
pub mod load;
pub mod runtime;

use std::path::PathBuf;
use std::time::Instant;

use bevy::prelude::*;
use phosphene_decks::Transport;

use crate::change::{ControlChange, ControlInput};
use crate::devices::{DeviceClass, DeviceEvent, Devices};
use crate::mapping::file::MappingFile;
use crate::mapping::load::{Loaded, Origin};
use crate::mapping::runtime::Runtime;
use crate::midi::source::Midi;
use crate::registry::Registry;
use crate::state::{ControlState, Layer};
use crate::values::ControlValues;

/// Where the mapping files are read from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappingPaths {
    /// The mappings shipped with Phosphene (`assets/mappings`).
    pub shipped: Option<PathBuf>,
    /// The performer's global folder ([`load::global_dir`]); `None` in tests.
    pub global: Option<PathBuf>,
    /// Files from `--mappings FILE`, applied last.
    pub extra: Vec<PathBuf>,
}

/// The mappings in force: every file read, the set's own, and the bindings compiled from them.
#[derive(Resource, Debug, Default)]
pub struct Mappings {
    /// Where files come from.
    pub paths: MappingPaths,
    /// The open set's `mappings` field.
    set: MappingFile,
    /// Every file read, in the order later ones win.
    pub loaded: Vec<Loaded>,
    /// The bindings at work.
    pub runtime: Runtime,
    /// Files that did not read, and bindings that did not compile, one line each.
    pub errors: Vec<String>,
    dirty: bool,
}

impl Mappings {
    /// Mappings read from these places (on the first frame).
    pub fn new(paths: MappingPaths) -> Self {
        Self {
            paths,
            dirty: true,
            ..default()
        }
    }

    /// The open set's mappings (a set file's `mappings` field).
    pub fn set_file(&self) -> &MappingFile {
        &self.set
    }

    /// Takes on a set's mappings (a set was opened); read again on the next frame.
    pub fn use_set(&mut self, file: MappingFile) {
        self.set = file;
        self.dirty = true;
    }

    /// Reads every file again on the next frame (one was written).
    pub fn reload(&mut self) {
        self.dirty = true;
    }

    /// Reads the files and compiles the bindings; what fails is reported and left out.
    fn read(&mut self, registry: &Registry) {
        let mut loaded = Vec::new();
        let mut errors = Vec::new();
        for (dir, origin) in [
            (self.paths.shipped.clone(), Origin::Shipped as fn(PathBuf) -> Origin),
            (self.paths.global.clone(), Origin::Global),
        ] {
            if let Some(dir) = dir {
                let (l, e) = load::read_dir(&dir, origin);
                loaded.extend(l);
                errors.extend(e);
            }
        }
        loaded.push(Loaded {
            origin: Origin::Set,
            file: self.set.clone(),
        });
        for path in &self.paths.extra {
            match load::read(path) {
                Ok(file) => loaded.push(Loaded {
                    origin: Origin::Flag(path.clone()),
                    file,
                }),
                Err(e) => errors.push(e),
            }
        }
        self.runtime = Runtime::compile(&loaded, registry);
        errors.extend(self.runtime.errors.iter().cloned());
        for e in &errors {
            warn!("mapping: {e}");
        }
        self.loaded = loaded;
        self.errors = errors;
    }
}

/// Reads the mappings when asked (start, a set opened, a file written, the scenes changed).
pub(crate) fn read_mappings(
    mut mappings: ResMut<Mappings>,
    registry: Res<Registry>,
    devices: Res<Devices>,
    mut midi: Option<ResMut<Midi>>,
) {
    if !mappings.dirty && !registry.is_changed() {
        return;
    }
    mappings.dirty = false;
    mappings.read(&registry);
    if let Some(midi) = midi.as_deref_mut() {
        for d in devices.iter().filter(|d| d.class == DeviceClass::Midi && d.connected) {
            configure_14bit(&mappings.runtime, midi, d.id, &d.name);
        }
    }
}

fn configure_14bit(runtime: &Runtime, midi: &mut Midi, id: crate::devices::DeviceId, name: &str) {
    for (channel, msb) in runtime.pairs_14bit(name) {
        midi.set_14bit(id, channel, msb, true);
    }
}

/// Device input through the bindings into control changes; time-driven binding work (smoothing,
/// holds); takeover re-armed when the layer or a device changes.
pub(crate) fn map_inputs(
    mut inputs: MessageReader<ControlInput>,
    mut device_events: MessageReader<DeviceEvent>,
    mut mappings: ResMut<Mappings>,
    registry: Res<Registry>,
    state: Res<ControlState>,
    values: Res<ControlValues>,
    devices: Res<Devices>,
    transport: Res<Transport>,
    mut midi: Option<ResMut<Midi>>,
    learn: Res<crate::learn::Learn>,
    mut last_layer: Local<Layer>,
    mut changes: MessageWriter<ControlChange>,
) {
    // While learn listens, what moves is being learnt, not played.
    if matches!(learn.phase, crate::learn::LearnPhase::Listening(_)) {
        inputs.clear();
        return;
    }
    let runtime = &mut mappings.runtime;
    if state.layer() != *last_layer {
        *last_layer = state.layer();
        runtime.arm_all();
    }
    for e in device_events.read() {
        if let DeviceEvent::Connected(id) = e
            && let Some(d) = devices.get(*id)
            && let Some(midi) = midi.as_deref_mut()
        {
            configure_14bit(runtime, midi, d.id, &d.name);
        }
    }
    let mut out = Vec::new();
    for input in inputs.read() {
        let Some(d) = devices.get(input.device) else { continue };
        let layer = state.layer();
        runtime.input(
            (d.id, &d.name, d.class),
            &input.event,
            input.at,
            layer,
            &registry,
            |id| values.get(id),
            &mut out,
        );
    }
    runtime.tick(Instant::now(), 60.0 / transport.bpm.max(1.0), &registry, &mut out);
    changes.write_batch(out);
}
