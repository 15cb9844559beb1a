//! Set files: load, save and autosave a Phosphene set (RON).
//!
//! Send [`SetCommand`]s; results come back as [`SetEvent`]s and in [`CurrentSet`]. A set that
//! fails to parse is reported with file, line and column and changes nothing: the world keeps
//! the set it had and the file on disk is never written over by an autosave (autosaves go to a
//! file of their own, `NAME.autosave.ron`: beside the set, or for a set bundled with Phosphene
//! into the user's data folder, see [`BundledSets`]).

mod file;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use engine_rt::{IntentKind, Quantize};
use phosphene_controls::Mappings;
use phosphene_controls::mapping::file::MappingFile;
use phosphene_decks::{
    BeatGrid, Deck, DeckControls, DeckLoop, DeckSet, DeckTrack, HotCue, MixerState, Transport, control_intents,
    mixer_intents,
};
use phosphene_engine_bridge::{AbletonLink, Intents, LoadRequest, relative_to};
use phosphene_gestures::{CameraConfig, CameraSettings};
use phosphene_osc::{OscConfig, OscSettings};
use phosphene_visuals::setup::VisualSetup;
use phosphene_visuals::{VisualCommand, Visuals};

pub use file::{DeckEntry, LoopEntry, SET_VERSION, SetError, SetFile, TrackEntry};

/// How often the set is autosaved when it changed.
pub const AUTOSAVE_INTERVAL: Duration = Duration::from_secs(30);

/// Stages of the set plugin.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetSet {
    /// `Update`, before [`DeckSet::Script`] (and so before [`DeckSet::Actions`]): commands run
    /// first, so scripted actions see a loading set and a loaded set's intents go out in the
    /// same frame.
    Commands,
}

/// What to do with the set.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum SetCommand {
    /// Open a set file and put it on the decks.
    Load(PathBuf),
    /// Put an already parsed set on the decks; `path` is where it lives (tracks are relative
    /// to its folder) or `None` for an unsaved set.
    Apply {
        /// The parsed set.
        set: Box<SetFile>,
        /// Where it lives; `None` when unsaved.
        path: Option<PathBuf>,
    },
    /// Save to the current path (an error when the set has none yet).
    Save,
    /// Save to a new path, which becomes the current one.
    SaveAs(PathBuf),
    /// Write the autosave file now if anything changed.
    Autosave,
}

/// What happened to the set.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum SetEvent {
    /// The set from this path is on the decks (an empty path for an unsaved set).
    Loaded(PathBuf),
    /// The set was saved to this path.
    Saved(PathBuf),
    /// The autosave file at this path was written.
    Autosaved(PathBuf),
    /// A load or save failed; the message names the file and, for parse errors, line and column.
    Failed(String),
}

/// The set being played.
#[derive(Resource, Debug, Default)]
pub struct CurrentSet {
    /// Where the set lives, if it was loaded or saved.
    pub path: Option<PathBuf>,
    /// The set's visuals as loaded, written back when no visuals run (headless).
    visuals: VisualSetup,
    /// Mappings from the file, kept for writing back.
    mappings: MappingFile,
    /// OSC settings from the file, kept for writing back.
    osc: OscSettings,
    /// Camera settings (zones) from the file, kept for writing back.
    camera: CameraSettings,
    /// The set as last saved or autosaved, to skip writes when nothing changed.
    last_written: Option<SetFile>,
    /// The last error, for displays.
    pub error: Option<String>,
}

/// The sets bundled with Phosphene (the demo set). They are read-only in an installed copy and
/// part of the source tree in a checkout, so they autosave into the user's data folder instead
/// of beside themselves. Without this resource every set autosaves beside itself.
#[derive(Resource, Debug, Clone)]
pub struct BundledSets {
    /// The folder the bundled sets live under.
    pub root: PathBuf,
    /// Where bundled sets autosave, as `NAME.autosave.ron`.
    pub autosave_dir: PathBuf,
}

impl BundledSets {
    /// Whether the set at `path` is one of the bundled sets (links and `..` resolved).
    pub fn holds(&self, path: &Path) -> bool {
        let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        abs(path).starts_with(abs(&self.root))
    }
}

impl CurrentSet {
    /// The autosave file for the current set (none until the set has a path): `NAME.autosave.ron`
    /// beside the set, where the performer finds it next to the set they opened, or in the
    /// bundled sets' autosave folder for a bundled set.
    pub fn autosave_path(&self, bundled: Option<&BundledSets>) -> Option<PathBuf> {
        let p = self.path.as_ref()?;
        let stem = p.file_stem().map_or_else(|| "set".into(), |s| s.to_string_lossy());
        let name = format!("{}.autosave.ron", stem.trim_end_matches(".set"));
        Some(match bundled.filter(|b| b.holds(p)) {
            Some(b) => b.autosave_dir.join(name),
            None => p.with_file_name(name),
        })
    }

    /// The folder track paths are relative to.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_deref()
            .and_then(Path::parent)
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }
}

/// Adds set commands, autosave and [`CurrentSet`].
pub struct SetPlugin;

impl Plugin for SetPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<SetCommand>()
            .add_message::<SetEvent>()
            .add_message::<VisualCommand>()
            .init_resource::<CurrentSet>()
            .configure_sets(Update, SetSet::Commands.before(DeckSet::Script))
            .add_systems(Update, (autosave_timer, run_commands).chain().in_set(SetSet::Commands))
            .add_systems(Last, autosave_on_exit);
    }
}

fn autosave_timer(time: Res<Time<Real>>, mut next: Local<Option<Duration>>, mut commands: MessageWriter<SetCommand>) {
    let now = time.elapsed();
    match *next {
        Some(t) if now >= t => {
            commands.write(SetCommand::Autosave);
            *next = Some(now + AUTOSAVE_INTERVAL);
        }
        Some(_) => {}
        None => *next = Some(now + AUTOSAVE_INTERVAL),
    }
}

/// A deck as sets see it.
type DeckParts = (
    Entity,
    &'static Deck,
    &'static mut DeckControls,
    &'static mut DeckLoop,
    &'static mut DeckTrack,
    Option<&'static BeatGrid>,
);

/// The parts of the world a set is captured from and applied to.
#[derive(SystemParam)]
struct SetWorld<'w, 's> {
    decks: Query<'w, 's, DeckParts>,
    cues: Query<'w, 's, (Entity, &'static HotCue, &'static ChildOf)>,
    transport: ResMut<'w, Transport>,
    mixer: ResMut<'w, MixerState>,
    intents: ResMut<'w, Intents>,
    loads: MessageWriter<'w, LoadRequest>,
    commands: Commands<'w, 's>,
    /// The running visuals (absent when headless).
    visuals: Option<Res<'w, Visuals>>,
    visual_commands: MessageWriter<'w, VisualCommand>,
    /// The control map's mappings (absent when no controls run).
    mappings: Option<ResMut<'w, Mappings>>,
    /// OSC's settings (absent when OSC does not run).
    osc: Option<ResMut<'w, OscConfig>>,
    /// The camera's settings (absent when gestures do not run).
    camera: Option<ResMut<'w, CameraConfig>>,
    /// Ableton Link (absent when the clock cannot follow Link: offline runs).
    link: Option<Res<'w, AbletonLink>>,
}

fn run_commands(
    mut commands_in: MessageReader<SetCommand>,
    mut events: MessageWriter<SetEvent>,
    mut current: ResMut<CurrentSet>,
    bundled: Option<Res<BundledSets>>,
    mut world: SetWorld,
) {
    let bundled = bundled.as_deref();
    for command in commands_in.read() {
        let result = match command {
            SetCommand::Load(_) | SetCommand::Apply { .. } => {
                let parsed = match command {
                    SetCommand::Load(path) => SetFile::load(path).map(|set| (set, Some(path.clone()))),
                    SetCommand::Apply { set, path } => Ok(((**set).clone(), path.clone())),
                    _ => unreachable!("matched above"),
                };
                parsed.map(|(set, path)| {
                    // The set being replaced keeps its last changes in its autosave file.
                    if let Err(e) = autosave(&mut current, &world, bundled) {
                        error!("{e}");
                    }
                    apply(&set, path.as_ref(), &mut current, &mut world);
                    Some(SetEvent::Loaded(path.unwrap_or_default()))
                })
            }
            SetCommand::Save | SetCommand::SaveAs(_) => {
                let target = match command {
                    SetCommand::SaveAs(p) => Some(p.clone()),
                    _ => current.path.clone(),
                };
                let Some(path) = target else {
                    let e = "this set has no file yet: choose where to save it".to_string();
                    error!("{e}");
                    events.write(SetEvent::Failed(e));
                    continue;
                };
                let base = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
                let set = capture(&current, &base, &world);
                set.save(&path).map(|()| {
                    current.path = Some(path.clone());
                    current.last_written = Some(set);
                    Some(SetEvent::Saved(path))
                })
            }
            SetCommand::Autosave => autosave(&mut current, &world, bundled),
        };
        match result {
            Ok(None) => {}
            Ok(Some(e)) => {
                info!("{e:?}");
                current.error = None;
                events.write(e);
            }
            Err(e) => {
                let message = e.to_string();
                error!("{message}");
                current.error = Some(message.clone());
                events.write(SetEvent::Failed(message));
            }
        }
    }
}

/// Writes the autosave file if the set changed since it was last written.
fn autosave(
    current: &mut CurrentSet,
    world: &SetWorld,
    bundled: Option<&BundledSets>,
) -> Result<Option<SetEvent>, SetError> {
    let Some(path) = current.autosave_path(bundled) else {
        return Ok(None);
    };
    let set = capture(current, &current.base_dir(), world);
    if current.last_written.as_ref() == Some(&set) {
        return Ok(None);
    }
    // Track paths relative to the autosave's own folder, so it opens from where it lies (the
    // same as the set's when it sits beside it; absolute from the data folder).
    let folder = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    capture(current, folder, world).save(&path)?;
    current.last_written = Some(set);
    Ok(Some(SetEvent::Autosaved(path)))
}

/// Autosaves when the app exits, so the last minutes of a performance are never lost.
fn autosave_on_exit(
    mut exit: MessageReader<AppExit>,
    mut current: ResMut<CurrentSet>,
    bundled: Option<Res<BundledSets>>,
    world: SetWorld,
) {
    if exit.read().next().is_none() {
        return;
    }
    match autosave(&mut current, &world, bundled.as_deref()) {
        Ok(Some(e)) => info!("{e:?}"),
        Ok(None) => {}
        Err(e) => error!("{e}"),
    }
}

/// Puts a set on the decks: controls and mixer at once, tracks as they finish decoding, cues
/// and loops when their track is on the deck.
fn apply(set: &SetFile, path: Option<&PathBuf>, current: &mut CurrentSet, w: &mut SetWorld) {
    current.path = path.cloned();
    current.visuals = set.visuals.clone();
    w.visual_commands
        .write(VisualCommand::Apply(Box::new(set.visuals.clone())));
    current.mappings = set.mappings.clone();
    if let Some(m) = w.mappings.as_mut() {
        m.use_set(set.mappings.clone());
    }
    current.osc = set.osc.clone();
    if let Some(o) = w.osc.as_mut() {
        o.use_set(set.osc.clone());
    }
    current.camera = set.camera.clone();
    if let Some(c) = w.camera.as_mut() {
        c.settings = set.camera.clone();
    }
    current.last_written = Some(set.clone());
    let base = current.base_dir();
    w.transport.launch = set.launch;
    w.transport.link |= set.link;
    w.transport.link_start_stop |= set.link_start_stop;
    // In a Link session with other peers the session's tempo stands: a set loaded mid-show
    // never takes it over (Link's test plan, TEMPO-3).
    if !w.link.as_ref().is_some_and(|l| l.joined()) {
        w.transport.bpm = set.bpm;
        w.intents.push(
            Quantize::Now,
            IntentKind::Tempo {
                bpm: set.bpm,
                ramp_beats: 0.0,
            },
        );
    }
    *w.mixer = set.mixer.clone();
    for kind in mixer_intents(&set.mixer) {
        w.intents.push(Quantize::Now, kind);
    }
    let deck_count = w.decks.iter().count();
    if set.decks.len() > deck_count {
        warn!(
            "the set has {} decks, the engine {deck_count}: the extra decks are not loaded",
            set.decks.len()
        );
    }
    for (entity, deck, mut controls, mut lp, mut track, _) in w.decks.iter_mut() {
        let entry = set.decks.get(deck.index).cloned().unwrap_or_default();
        for (e, _, parent) in w.cues.iter() {
            if parent.parent() == entity {
                w.commands.entity(e).despawn();
            }
        }
        for cue in &entry.hot_cues {
            w.commands.spawn((cue.clone(), ChildOf(entity)));
        }
        *controls = entry.controls.clone();
        for kind in control_intents(deck.index, &controls) {
            w.intents.push(Quantize::Now, kind);
        }
        *lp = DeckLoop {
            region: entry.loop_region.map(|l| (l.start, l.end)),
            active: entry.loop_region.is_some_and(|l| l.active),
            roll: None,
        };
        match entry.track {
            Some(t) => {
                let file = base.join(&t.file);
                track.loading = Some((file.clone(), 0.0));
                track.error = None;
                w.loads.write(LoadRequest {
                    deck: deck.index,
                    path: file,
                    bpm: t.bpm,
                    first_beat: t.first_beat,
                    grid_locked: t.grid_locked,
                    at: Quantize::Now,
                });
            }
            None if track.info.is_some() => {
                w.intents.push(Quantize::Now, IntentKind::Eject { deck: deck.index });
            }
            None => {}
        }
    }
}

/// The world's set as a file, track paths relative to `base` where possible.
fn capture(current: &CurrentSet, base: &Path, w: &SetWorld) -> SetFile {
    let (transport, mixer) = (&*w.transport, &*w.mixer);
    let mut entries: Vec<_> = w
        .decks
        .iter()
        .map(|(entity, deck, controls, lp, track, grid)| {
            let file = track
                .info
                .as_ref()
                .and_then(|i| i.path.clone())
                .or_else(|| track.loading.as_ref().map(|(p, _)| p.clone()));
            let entry = DeckEntry {
                track: file.map(|f| TrackEntry {
                    file: relative_to(&f, base),
                    bpm: grid.map(|g| g.bpm).or(track.info.as_ref().and_then(|i| i.bpm)),
                    first_beat: grid.map_or(0.0, |g| g.first_beat),
                    grid_locked: grid.is_some_and(|g| g.locked),
                }),
                hot_cues: {
                    let mut c: Vec<HotCue> = w
                        .cues
                        .iter()
                        .filter(|(_, _, p)| p.parent() == entity)
                        .map(|(_, c, _)| c.clone())
                        .collect();
                    c.sort_by_key(|c| c.slot);
                    c
                },
                loop_region: lp.region.map(|(start, end)| LoopEntry {
                    start,
                    end,
                    active: lp.active,
                }),
                controls: controls.clone(),
            };
            (deck.index, entry)
        })
        .collect();
    entries.sort_by_key(|(i, _)| *i);
    SetFile {
        version: SET_VERSION,
        bpm: transport.bpm,
        quantum: transport.quantum,
        launch: transport.launch,
        link: transport.link,
        link_start_stop: transport.link_start_stop,
        decks: entries.into_iter().map(|(_, e)| e).collect(),
        mixer: mixer.clone(),
        visuals: w
            .visuals
            .as_ref()
            .map_or_else(|| current.visuals.clone(), |v| v.snapshot()),
        mappings: w
            .mappings
            .as_ref()
            .map_or_else(|| current.mappings.clone(), |m| m.set_file().clone()),
        osc: w
            .osc
            .as_ref()
            .map_or_else(|| current.osc.clone(), |o| o.set_settings().clone()),
        camera: w
            .camera
            .as_ref()
            .map_or_else(|| current.camera.clone(), |c| c.settings.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_at(path: &Path) -> CurrentSet {
        CurrentSet {
            path: Some(path.to_path_buf()),
            ..default()
        }
    }

    #[test]
    fn a_set_autosaves_beside_itself() {
        let set = set_at(Path::new("/shows/friday/main.set.ron"));
        assert_eq!(
            set.autosave_path(None),
            Some(PathBuf::from("/shows/friday/main.autosave.ron"))
        );
        assert_eq!(
            CurrentSet::default().autosave_path(None),
            None,
            "an unsaved set has none"
        );
    }

    #[test]
    fn a_bundled_set_autosaves_into_the_data_folder() {
        let dir = std::env::temp_dir().join(format!("phos-set-bundled-{}", std::process::id()));
        let (assets, own) = (dir.join("assets"), dir.join("own"));
        for d in [assets.join("demo"), own.clone()] {
            std::fs::create_dir_all(d).expect("folders");
        }
        let (demo, mine) = (assets.join("demo/demo.set.ron"), own.join("mine.set.ron"));
        for f in [&demo, &mine] {
            std::fs::write(f, "SetFile()").expect("sets");
        }
        let bundled = BundledSets {
            // Reached through `..`, as a relative `PHOSPHENE_ASSETS` could be.
            root: own.join("..").join("assets"),
            autosave_dir: dir.join("data/phosphene/autosave"),
        };
        assert_eq!(
            set_at(&demo).autosave_path(Some(&bundled)),
            Some(dir.join("data/phosphene/autosave/demo.autosave.ron"))
        );
        // The performer's own set keeps its autosave beside it.
        assert_eq!(
            set_at(&mine).autosave_path(Some(&bundled)),
            Some(own.join("mine.autosave.ron"))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
