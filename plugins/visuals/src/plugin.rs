//! The Bevy side: [`VisualsPlugin`] plans a frame from the audio being heard each update
//! ([`VisualSet::Frame`]), renders it on Bevy's GPU device into the [`Visuals::output`] image
//! (which the control window previews) and draws it through the keystone into the projector
//! window. Control surfaces steer it with [`VisualCommand`] messages.

use std::sync::{Arc, Mutex};

use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::extract_resource::{ExtractResource, ExtractResourcePlugin};
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{RenderAdapterInfo, RenderDevice, RenderGraph, RenderGraphSystems, RenderQueue};
use bevy::render::texture::GpuImage;
use bevy::render::view::ExtractedWindows;
use bevy::render::{Render, RenderApp, RenderSystems};
use bevy::window::{MonitorSelection, WindowMode, WindowRef, WindowResolution};
use engine_rt::Source;
use phosphene_engine_bridge::{Analysis, EngineStatus};

use crate::director::{Director, Plan, default_positions};
use crate::gpu::{OUTPUT_FORMAT, Renderer, WarpBuffer};
use crate::keystone::Keystone;
use crate::library::{LibraryChange, SceneLibrary, scenes_dir};
use crate::scene::{Scene, ShaderError};
use crate::setup::{VisualCue, VisualSetup};
use crate::show::ranges::{PARAM_POSITION, TRANSITION_BEATS};
use crate::show::{PostField, PostSettings, TransitionKind, VisualQuantize};
use crate::sync::{heard_by, newest_sample};
use crate::uniforms::UNIFORM_DECKS;
use engine_rt::intent::Policy;
use engine_rt::ranges::{Range, ValueError};
use engine_rt::ron_file::CheckValues;

/// Seconds between checks of the scenes folder for edits.
const WATCH_SECONDS: f32 = 0.25;
/// Video frames between planning a frame and it reaching the screen (pipelined rendering,
/// then the swap chain).
const VIDEO_FRAMES_IN_FLIGHT: f64 = 2.0;
/// Seconds over which the audio-to-light offset statistics are kept.
const SYNC_WINDOW_SECONDS: f64 = 2.0;
/// Widest composition drawn on a software renderer (Mesa's llvmpipe/lavapipe): larger ones
/// would take the CPU the audio and the control window need.
const SOFTWARE_MAX_WIDTH: u32 = 640;

/// Where the projector output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Projector {
    /// No projector window.
    Off,
    /// A normal window (drag it to the projector's screen).
    #[default]
    Window,
    /// Borderless fullscreen on monitor `n` (0-based).
    Fullscreen(usize),
}

/// Adds the visuals: scene library with hot reload, the show, the GPU renderer, the output
/// image and the projector window. Without the render plugins (headless) it plans and times
/// every frame but draws nothing.
pub struct VisualsPlugin {
    /// Where the projector output goes at start.
    pub projector: Projector,
}

/// Stages of the visuals in `Update`.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VisualSet {
    /// Commands apply and the scenes folder is watched.
    Control,
    /// The frame is planned from the analysis heard now (after [`VisualSet::Control`]).
    Frame,
}

/// What control surfaces ask of the visuals.
#[derive(Message, Debug, Clone)]
pub enum VisualCommand {
    /// Take on a set's visuals.
    Apply(Box<VisualSetup>),
    /// Change scene; unset fields use the setup's transition, length and quantization.
    Scene {
        /// Id of the scene to change to.
        id: String,
        /// How the scenes blend.
        transition: Option<TransitionKind>,
        /// Length of the transition in beats.
        beats: Option<f64>,
        /// Where the change starts.
        at: Option<VisualQuantize>,
    },
    /// Move user parameter `slot` of the scene on now (and the one coming on) to `position`
    /// (0..1 of the scene's range).
    Param {
        /// User parameter index, below [`crate::uniforms::PARAMS`].
        slot: usize,
        /// Control position, 0..1.
        position: f32,
    },
    /// Replace the post settings (a set or a recording taking over).
    Post(PostSettings),
    /// Change one post setting, leaving the others as they are (what live controls send).
    PostValue {
        /// Which setting.
        field: PostField,
        /// Its new value (on/off settings: on above 0.5).
        value: f32,
    },
    /// Change how scene changes happen by default.
    Transition {
        /// How the scenes blend.
        kind: TransitionKind,
        /// Length of the transition in beats.
        beats: f64,
        /// Where changes start.
        at: VisualQuantize,
    },
    /// Replace the keystone (ignored if the quad is not valid).
    Keystone(Keystone),
    /// Show the alignment test pattern.
    TestPattern(bool),
    /// Open, move or close the projector window.
    Projector(Projector),
}

impl CheckValues for VisualCommand {
    /// Every number against [`crate::show::ranges`].
    fn checked_with(self, policy: Policy) -> Result<Self, ValueError> {
        let beats = |b: f64| policy(&TRANSITION_BEATS, b);
        Ok(match self {
            Self::Scene {
                id,
                transition,
                beats: b,
                at,
            } => Self::Scene {
                id,
                transition,
                beats: b.map(beats).transpose()?,
                at,
            },
            Self::Param { slot, position } => Self::Param {
                slot,
                position: policy(&PARAM_POSITION, position as f64)? as f32,
            },
            Self::Post(post) => Self::Post(post.checked_with(policy)?),
            Self::PostValue { field, value } => Self::PostValue {
                field,
                value: match field.range() {
                    Some(r) => policy(r, value as f64)? as f32,
                    None if value.is_finite() => value,
                    None => return Err(ValueError::NotFinite { what: field.key() }),
                },
            },
            Self::Transition { kind, beats: b, at } => Self::Transition {
                kind,
                beats: beats(b)?,
                at,
            },
            other => other,
        })
    }
}

/// The scene library, as the world sees it.
#[derive(Resource, Debug)]
pub struct Scenes(pub SceneLibrary);

/// How well the light follows the sound: the analysis frame shown against the audio heard
/// when the frame reaches the screen.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AvSync {
    /// Latest offset in ms (positive: the light shows audio slightly ahead of the ear).
    pub offset_ms: f64,
    /// Mean absolute offset over the last two seconds, ms.
    pub mean_abs_ms: f64,
    /// Largest absolute offset over the last two seconds, ms.
    pub max_abs_ms: f64,
    /// Frames with no analysis for the audio heard (analysis behind the output).
    pub late_frames: u64,
    /// Frames measured since the start.
    pub frames: u64,
    /// Mean absolute offset of those frames, ms.
    pub overall_mean_abs_ms: f64,
}

/// The running visuals.
#[derive(Resource)]
pub struct Visuals {
    director: Director,
    setup: VisualSetup,
    /// The composition, for previews (`size` pixels, RGBA8).
    pub output: Handle<Image>,
    /// Size drawn now: the set's, or smaller on a software renderer.
    pub size: (u32, u32),
    /// Whether the alignment test pattern is shown.
    pub test_pattern: bool,
    /// Where the projector output goes.
    pub projector: Projector,
    projector_window: Option<Entity>,
    projector_camera: Option<Entity>,
    /// How well the light follows the sound.
    pub sync: AvSync,
    recent: std::collections::VecDeque<(f64, f64)>,
    plan: Plan,
    /// The visuals as the last set opened them, and the scene changes asked for since (at the
    /// beats they start on): what a recording needs to show the same light again.
    opened: VisualSetup,
    performed: Vec<VisualCue>,
}

impl Visuals {
    /// The show (scene on, pending change, post settings).
    pub fn show(&self) -> &crate::show::Show {
        &self.director.show
    }

    /// The frame last planned.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Transition, keystone, size and cues as last set.
    pub fn setup(&self) -> &VisualSetup {
        &self.setup
    }

    /// The visuals of the performance so far, for a recording: as the set opened them, with
    /// every scene change since as a cue (beats count from the start of the engine clock).
    pub fn performance(&self) -> VisualSetup {
        let mut setup = self.opened.clone();
        setup.cues.extend(self.performed.iter().cloned());
        setup.cues.sort_by(|a, b| a.beat.total_cmp(&b.beat));
        setup
    }

    /// The visuals as a set stores them now.
    pub fn snapshot(&self) -> VisualSetup {
        let show = &self.director.show;
        VisualSetup {
            scene: show.scene().map(str::to_string),
            positions: show
                .all_positions()
                .iter()
                .map(|(k, v)| (k.clone(), v.to_vec()))
                .collect(),
            post: show.post.clone(),
            ..self.setup.clone()
        }
    }
}

/// Scenes to compile and the GPU's rejections, passed between the worlds.
#[derive(Resource, Clone, Default)]
struct Mailbox(Arc<Mutex<Mail>>);

#[derive(Default)]
struct Mail {
    compile: Vec<Scene>,
    rejected: Vec<ShaderError>,
}

/// What the render world needs each frame.
#[derive(Resource, Clone)]
struct RenderInput {
    plan: Plan,
    output: Handle<Image>,
    size: (u32, u32),
    keystone: Keystone,
    test_pattern: bool,
    projector: Option<Entity>,
}

impl ExtractResource for RenderInput {
    type Source = RenderInput;
    fn extract_resource(source: &Self::Source) -> Self {
        source.clone()
    }
}

impl Plugin for VisualsPlugin {
    fn build(&self, app: &mut App) {
        let library = SceneLibrary::open(&scenes_dir());
        // From here on an edit to a scene file is picked up (tests wait for this line).
        info!(
            "scene library: {} scenes in {}",
            library.scenes().count(),
            library.dir().display()
        );
        for e in library.errors() {
            error!("{e}");
        }
        let mailbox = Mailbox::default();
        if let Ok(mut mail) = mailbox.0.lock() {
            mail.compile.extend(library.scenes().cloned());
        }
        let setup = VisualSetup::default();
        // Without the render plugins (headless) frames are planned, and timed, but not drawn.
        let output = app
            .world_mut()
            .get_resource_mut::<Assets<Image>>()
            .map(|mut images| images.add(output_image(setup.size)))
            .unwrap_or_default();
        let director = Director::from_setup(&setup, &library);
        app.add_message::<VisualCommand>()
            .insert_resource(Scenes(library))
            .insert_resource(Visuals {
                director,
                output: output.clone(),
                size: setup.size,
                test_pattern: false,
                projector: self.projector,
                projector_window: None,
                projector_camera: None,
                sync: AvSync::default(),
                recent: Default::default(),
                plan: Plan::default(),
                opened: setup.clone(),
                performed: Vec::new(),
                setup: setup.clone(),
            })
            .insert_resource(RenderInput {
                plan: Plan::default(),
                output,
                size: setup.size,
                keystone: setup.keystone,
                test_pattern: false,
                projector: None,
            })
            .insert_resource(mailbox.clone())
            .configure_sets(Update, (VisualSet::Control, VisualSet::Frame).chain())
            .add_systems(
                Update,
                (apply_commands, watch_scenes, manage_projector).in_set(VisualSet::Control),
            )
            .add_systems(Update, plan_frame.in_set(VisualSet::Frame))
            .add_systems(Last, report_at_exit);
        if app.get_sub_app(RenderApp).is_some() {
            app.add_plugins(ExtractResourcePlugin::<RenderInput>::default())
                .sub_app_mut(RenderApp)
                .insert_resource(mailbox)
                .add_systems(Render, render_frame.in_set(RenderSystems::PrepareResources))
                .add_systems(RenderGraph, present_projector.in_set(RenderGraphSystems::Finish));
        }
    }
}

fn output_image(size: (u32, u32)) -> Image {
    let mut image = Image::new_target_texture(size.0, size.1, OUTPUT_FORMAT, None);
    image.asset_usage = RenderAssetUsages::RENDER_WORLD;
    image
}

fn apply_commands(
    mut commands_in: MessageReader<VisualCommand>,
    mut visuals: ResMut<Visuals>,
    scenes: Res<Scenes>,
    transport: Option<Res<phosphene_decks::Transport>>,
    mut status: Option<ResMut<EngineStatus>>,
) {
    let v = &mut *visuals;
    let (beat, quantum) = transport.map_or((0.0, 4.0), |t| (t.beat, t.quantum));
    let beat = if v.plan.frame > 0 { v.director.beat() } else { beat };
    for c in commands_in.read() {
        // Held to the ranges first; a command with a non-finite value changes nothing.
        let c = match c.clone().checked_with(Range::clamp) {
            Ok(c) => c,
            Err(e) => {
                let why = format!("visuals command refused: {e}");
                match status.as_deref_mut() {
                    Some(s) => s.refuse(why),
                    None => warn!("{why}"),
                }
                continue;
            }
        };
        let c = &c;
        match c {
            VisualCommand::Apply(setup) => {
                v.setup = (**setup).clone();
                v.director.apply(setup, &scenes.0);
                v.opened = v.snapshot();
                v.performed.clear();
            }
            VisualCommand::Scene {
                id,
                transition,
                beats,
                at,
            } => {
                if scenes.0.get(id).is_none() {
                    warn!("no scene '{id}' in {}", scenes.0.dir().display());
                    continue;
                }
                let (kind, beats) = (
                    transition.unwrap_or(v.setup.transition),
                    beats.unwrap_or(v.setup.transition_beats),
                );
                let start = v
                    .director
                    .show
                    .request(id, kind, beats, at.unwrap_or(v.setup.quantize), beat, quantum);
                v.performed.push(VisualCue {
                    beat: start,
                    scene: id.clone(),
                    transition: kind,
                    beats,
                });
            }
            VisualCommand::Param { slot, position } => {
                let show = &mut v.director.show;
                let on: Vec<String> = show
                    .scene()
                    .into_iter()
                    .chain(show.pending().map(|p| p.0))
                    .map(str::to_string)
                    .collect();
                for id in on {
                    show.set_position(&id, *slot, *position, || default_positions(&scenes.0, &id));
                }
            }
            VisualCommand::Post(post) => v.director.show.post = post.clone(),
            VisualCommand::PostValue { field, value } => v.director.show.post.set(*field, *value),
            VisualCommand::Transition { kind, beats, at } => {
                v.setup.transition = *kind;
                v.setup.transition_beats = *beats;
                v.setup.quantize = *at;
            }
            VisualCommand::Keystone(k) => {
                if k.is_valid() {
                    v.setup.keystone = *k;
                }
            }
            VisualCommand::TestPattern(on) => v.test_pattern = *on,
            VisualCommand::Projector(p) => v.projector = *p,
        }
    }
}

fn watch_scenes(time: Res<Time<Real>>, mut since: Local<f32>, mut scenes: ResMut<Scenes>, mailbox: Res<Mailbox>) {
    let Ok(mut mail) = mailbox.0.lock() else { return };
    for e in mail.rejected.drain(..) {
        error!("{e}");
        scenes.0.reject(e);
    }
    *since += time.delta_secs();
    if *since < WATCH_SECONDS {
        return;
    }
    *since = 0.0;
    for change in scenes.0.poll() {
        match change {
            LibraryChange::Updated(id) => {
                info!("scene '{id}' reloaded");
                if let Some(s) = scenes.0.get(&id) {
                    mail.compile.push(s.clone());
                }
            }
            LibraryChange::Failed(e) => error!("{e} (the last good version keeps running)"),
            LibraryChange::Removed(p) => warn!("scene file '{}' removed", p.display()),
        }
    }
}

/// Opens, moves and closes the projector window to match [`Visuals::projector`].
fn manage_projector(
    mut commands: Commands,
    mut visuals: ResMut<Visuals>,
    mut windows: Query<&mut Window>,
    mut frames: Local<u32>,
) {
    // Wait a few frames so the control window's camera is the first one (egui's context).
    *frames += 1;
    if *frames < 3 {
        return;
    }
    let v = &mut *visuals;
    if let Some(w) = v.projector_window
        && windows.get(w).is_err()
    {
        // The performer closed the window.
        v.projector = Projector::Off;
    }
    let mode = match v.projector {
        Projector::Fullscreen(n) => WindowMode::BorderlessFullscreen(MonitorSelection::Index(n)),
        _ => WindowMode::Windowed,
    };
    match (v.projector, v.projector_window) {
        (Projector::Off, Some(w)) => {
            for e in [Some(w), v.projector_camera.take()].into_iter().flatten() {
                if let Ok(mut e) = commands.get_entity(e) {
                    e.despawn();
                }
            }
            v.projector_window = None;
        }
        (Projector::Off, None) => {}
        (_, Some(w)) => {
            if let Ok(mut window) = windows.get_mut(w)
                && window.mode != mode
            {
                window.mode = mode;
            }
        }
        (_, None) => {
            let window = commands
                .spawn(Window {
                    title: "Phosphene projector".into(),
                    resolution: WindowResolution::new(960, 540),
                    mode,
                    ..default()
                })
                .id();
            // The camera makes Bevy acquire and present the window's swap chain.
            let camera = commands
                .spawn((
                    Camera2d,
                    Camera {
                        order: 1,
                        clear_color: ClearColorConfig::Custom(Color::BLACK),
                        ..default()
                    },
                    RenderTarget::Window(WindowRef::Entity(window)),
                ))
                .id();
            v.projector_window = Some(window);
            v.projector_camera = Some(camera);
        }
    }
}

/// The composition size for the set's `wanted` size on this adapter.
fn drawn_size(wanted: (u32, u32), adapter: Option<&RenderAdapterInfo>) -> (u32, u32) {
    let software = adapter.is_some_and(|a| a.device_type == wgpu::DeviceType::Cpu);
    if software && wanted.0 > SOFTWARE_MAX_WIDTH {
        let h = (wanted.1 as u64 * SOFTWARE_MAX_WIDTH as u64 / wanted.0 as u64).max(16) as u32;
        (SOFTWARE_MAX_WIDTH, h)
    } else {
        wanted
    }
}

/// Plans this update's frame from the analysis matching the audio heard when it is shown.
fn plan_frame(
    mut visuals: ResMut<Visuals>,
    mut input: ResMut<RenderInput>,
    images: Option<ResMut<Assets<Image>>>,
    scenes: Res<Scenes>,
    analysis: Res<Analysis>,
    status: Res<EngineStatus>,
    time: Res<Time<Real>>,
    adapter: Option<Res<RenderAdapterInfo>>,
) {
    let v = &mut *visuals;
    let size = drawn_size(v.setup.size, adapter.as_deref());
    if let Some(mut images) = images
        && size != v.size
    {
        if size != v.setup.size {
            info!(
                "software renderer: drawing the visuals at {}x{} instead of {}x{}",
                size.0, size.1, v.setup.size.0, v.setup.size.1
            );
        }
        v.size = size;
        v.output = images.add(output_image(size));
    }
    let dt = time.delta_secs().max(1e-4);
    let rate = status.sample_rate.max(1);
    // The sample at the speaker when this frame is on screen.
    let shown_at = analysis.rendered_frames() as f64 - status.output_latency_frames as f64
        + VIDEO_FRAMES_IN_FLIGHT * dt as f64 * rate as f64;
    let target = shown_at.max(0.0) as u64;
    let pick = |source: Source| {
        analysis.frames(source).and_then(|h| {
            let n = h.partition_point(|f| heard_by(f.sample_time, target));
            n.checked_sub(1).and_then(|i| h.get(i))
        })
    };
    let master = pick(Source::Master);
    let decks: [_; UNIFORM_DECKS] = std::array::from_fn(|d| pick(Source::Deck(d as u8)));
    // Frames already used are skipped by the features (they remember the last one).
    let passed = analysis
        .frames(Source::Master)
        .into_iter()
        .flatten()
        .filter(|f| heard_by(f.sample_time, target));
    if let Some(m) = master {
        let offset = (newest_sample(m.sample_time) as f64 - shown_at) * 1000.0 / rate as f64;
        record_offset(v, time.elapsed_secs_f64(), offset);
    } else if analysis.frames(Source::Master).is_some() {
        v.sync.late_frames += 1;
    }
    v.plan = v.director.plan(&scenes.0, master, passed, decks, dt, rate);
    *input = RenderInput {
        plan: v.plan.clone(),
        output: v.output.clone(),
        size: v.size,
        keystone: v.setup.keystone,
        test_pattern: v.test_pattern,
        projector: v.projector_window,
    };
}

/// Prints how closely the light followed the sound, once, when the app exits.
fn report_at_exit(mut exit: MessageReader<AppExit>, visuals: Res<Visuals>, time: Res<Time<Real>>) {
    if exit.read().next().is_some() {
        let s = visuals.sync;
        eprintln!(
            "visuals: frames={} mean_frame_ms={:.1} av_offset_mean_abs_ms={:.1} av_offset_max_abs_ms_last_2s={:.1} late_frames={}",
            s.frames,
            time.elapsed_secs_f64() * 1000.0 / visuals.plan.frame.max(1) as f64,
            s.overall_mean_abs_ms,
            s.max_abs_ms,
            s.late_frames
        );
    }
}

fn record_offset(v: &mut Visuals, now: f64, offset_ms: f64) {
    v.recent.push_back((now, offset_ms));
    while v.recent.front().is_some_and(|(t, _)| now - t > SYNC_WINDOW_SECONDS) {
        v.recent.pop_front();
    }
    let n = v.recent.len().max(1) as f64;
    v.sync.offset_ms = offset_ms;
    v.sync.mean_abs_ms = v.recent.iter().map(|(_, o)| o.abs()).sum::<f64>() / n;
    v.sync.max_abs_ms = v.recent.iter().map(|(_, o)| o.abs()).fold(0.0, f64::max);
    v.sync.frames += 1;
    v.sync.overall_mean_abs_ms += (offset_ms.abs() - v.sync.overall_mean_abs_ms) / v.sync.frames as f64;
}

/// The renderer on Bevy's device, made on first use.
#[derive(Resource)]
struct GpuVisuals {
    renderer: Renderer,
    output_warp: WarpBuffer,
    projector_warp: WarpBuffer,
}

fn render_frame(
    mut commands: Commands,
    device: Res<RenderDevice>,
    queue: Res<RenderQueue>,
    images: Res<RenderAssets<GpuImage>>,
    input: Option<Res<RenderInput>>,
    mailbox: Res<Mailbox>,
    gpu: Option<ResMut<GpuVisuals>>,
    mut compiled: Local<Vec<Scene>>,
) {
    let Some(input) = input else { return };
    let device = device.wgpu_device();
    let Some(mut gpu) = gpu else {
        commands.insert_resource(GpuVisuals {
            renderer: Renderer::new(device, input.size),
            output_warp: WarpBuffer::new(device),
            projector_warp: WarpBuffer::new(device),
        });
        return;
    };
    if gpu.renderer.size() != input.size {
        gpu.renderer = Renderer::new(device, input.size);
        // A new renderer has no scenes: compile the good ones again.
        if let Ok(mut mail) = mailbox.0.lock() {
            mail.compile.extend(compiled.drain(..));
        }
    }
    if let Ok(mut mail) = mailbox.0.lock() {
        let todo: Vec<Scene> = mail.compile.drain(..).collect();
        for scene in todo {
            match gpu.renderer.compile(device, &scene) {
                Ok(()) => {
                    compiled.retain(|s| s.id != scene.id);
                    compiled.push(scene);
                }
                Err(e) => mail.rejected.push(e),
            }
        }
    }
    let Some(target) = images.get(&input.output) else {
        return;
    };
    let mut encoder = device.create_command_encoder(&Default::default());
    if !input.plan.post.freeze {
        gpu.renderer.render(device, &queue, &mut encoder, &input.plan.spec());
    }
    let g = &mut *gpu;
    g.renderer.present(
        device,
        &queue,
        &mut encoder,
        &target.texture_view,
        OUTPUT_FORMAT,
        input.size,
        &Keystone::default(),
        input.test_pattern,
        &g.output_warp,
    );
    queue.submit([encoder.finish()]);
}

/// Draws the composition through the keystone into the projector window, after everything
/// else has drawn into it and before it is presented.
fn present_projector(
    device: Res<RenderDevice>,
    queue: Res<RenderQueue>,
    windows: Res<ExtractedWindows>,
    input: Option<Res<RenderInput>>,
    gpu: Option<ResMut<GpuVisuals>>,
) {
    let (Some(input), Some(mut gpu)) = (input, gpu) else {
        return;
    };
    let Some(window) = input.projector.and_then(|e| windows.get(&e)) else {
        return;
    };
    let (Some(view), Some(format)) = (&window.swap_chain_texture_view, window.swap_chain_texture_view_format) else {
        return;
    };
    let device = device.wgpu_device();
    let mut encoder = device.create_command_encoder(&Default::default());
    let g = &mut *gpu;
    g.renderer.present(
        device,
        &queue,
        &mut encoder,
        view,
        format,
        (window.physical_width, window.physical_height),
        &input.keystone,
        input.test_pattern,
        &g.projector_warp,
    );
    queue.submit([encoder.finish()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visual_commands_are_held_to_their_ranges_and_non_finite_ones_refused() {
        let post = PostSettings {
            brightness: f32::NAN,
            ..PostSettings::default()
        };
        let e = VisualCommand::Post(post).checked_with(Range::clamp).unwrap_err();
        assert_eq!(e.to_string(), "brightness must be a finite number");
        let far = PostSettings {
            feedback: 5.0,
            hue: -3.0,
            ..PostSettings::default()
        };
        let Ok(VisualCommand::Post(held)) = VisualCommand::Post(far).checked_with(Range::clamp) else {
            panic!("held, not refused");
        };
        assert_eq!((held.feedback, held.hue), (0.98, -0.5));
        let param = VisualCommand::Param {
            slot: 0,
            position: f32::INFINITY,
        };
        assert!(param.checked_with(Range::clamp).is_err());
        let transition = VisualCommand::Transition {
            kind: TransitionKind::Crossfade,
            beats: 1e9,
            at: VisualQuantize::Bar,
        };
        assert!(matches!(
            transition.checked_with(Range::clamp),
            Ok(VisualCommand::Transition { beats: 64.0, .. })
        ));
    }
}
