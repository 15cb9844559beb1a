//! The renderer: scene layers (with their feedback textures and particle buffers), the post
//! pass and the keystone output pass, recorded on any wgpu device. The Bevy plugin runs it on
//! Bevy's device; offline rendering on a headless device of its own. It never touches a window.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::Arc;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::keystone::{Keystone, to_gpu};
use crate::scene::{COMPUTE_ENTRY, FRAGMENT_ENTRY, PARTICLE_FRAGMENT_ENTRY, PARTICLE_VERTEX_ENTRY, Scene, ShaderError};
use crate::show::{PostSettings, TransitionKind};
use crate::uniforms::{FrameInputs, PARAMS, SPECTRUM_POINTS, Uniforms};

const POST_WGSL: &str = concat!(
    include_str!("../../../shaders/core/fullscreen.wgsl"),
    include_str!("../../../shaders/core/post.wgsl")
);
const KEYSTONE_WGSL: &str = concat!(
    include_str!("../../../shaders/core/fullscreen.wgsl"),
    include_str!("../../../shaders/core/keystone.wgsl")
);
/// Format of scene and post textures: float, so long feedback trails fade smoothly.
const WORK_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;
/// Format of the composition handed to previews, outputs and PNG files.
pub const OUTPUT_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// Bytes of one particle (`Particle` in the prelude).
const PARTICLE_BYTES: u64 = 32;
/// Threads per compute workgroup (`@workgroup_size` of `cs_main`).
const WORKGROUP: u32 = 64;

/// One scene layer of a frame: which scene, its control positions (0..1) and how long it has
/// been on.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSpec {
    /// Id of the scene in the library.
    pub scene: String,
    /// Its control positions, 0..1 each.
    pub positions: [f32; PARAMS],
    /// Seconds since the scene became active.
    pub scene_time: f32,
}

/// What to draw this frame.
#[derive(Debug, Clone)]
pub struct FrameSpec<'a> {
    /// What the scenes read from the audio.
    pub inputs: &'a FrameInputs,
    /// The current scene, and during a transition the incoming one.
    pub layers: &'a [LayerSpec],
    /// Progress of the transition to the second layer (0..1).
    pub transition: f32,
    /// How the transition blends the two layers.
    pub transition_kind: TransitionKind,
    /// Colour and feedback settings of the post pass.
    pub post: &'a PostSettings,
    /// White flash now (from the strobe setting and the hits), 0..1.
    pub strobe: f32,
    /// How far towards black, 0..1.
    pub blackout: f32,
    /// Video frames drawn so far.
    pub frame: u64,
}

/// The post pass's uniforms (mirrors `Post` in `shaders/core/post.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct PostUniforms {
    mix: f32,
    wipe: f32,
    strobe: f32,
    blackout: f32,
    brightness: f32,
    contrast: f32,
    saturation: f32,
    hue: f32,
    feedback: f32,
    feedback_zoom: f32,
    pad: [f32; 2],
}

/// The keystone pass's uniforms (mirrors `Warp` in `shaders/core/keystone.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct WarpUniforms {
    inverse: [[f32; 4]; 3],
    flags: [f32; 4],
}

/// A texture with its default view, usable as render target, binding and copy source.
pub(crate) struct Target {
    pub(crate) texture: wgpu::Texture,
    pub(crate) view: wgpu::TextureView,
}

impl Target {
    pub(crate) fn new(device: &wgpu::Device, label: &str, size: (u32, u32), format: wgpu::TextureFormat) -> Self {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width: size.0,
                height: size.1,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC
                | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        Self { texture, view }
    }
}

/// A scene's pipelines.
struct Compiled {
    scene: Scene,
    fragment: wgpu::RenderPipeline,
    particles: Option<(wgpu::ComputePipeline, wgpu::RenderPipeline)>,
}

/// A scene being drawn: its ping-pong frames and particles.
struct Layer {
    compiled: Arc<Compiled>,
    frames: [Target; 2],
    /// Which of `frames` holds the newest image.
    newest: usize,
    uniforms: wgpu::Buffer,
    particles: Option<(wgpu::Buffer, u32)>,
}

/// The visuals renderer. Create it once per device; feed it scenes with
/// [`Renderer::compile`] and draw with [`Renderer::render`] and [`Renderer::present`].
pub struct Renderer {
    size: (u32, u32),
    scene_layout: wgpu::BindGroupLayout,
    particle_write_layout: wgpu::BindGroupLayout,
    particle_read_layout: wgpu::BindGroupLayout,
    scene_pipeline_layout: wgpu::PipelineLayout,
    particle_pipeline_layout: wgpu::PipelineLayout,
    sampler: wgpu::Sampler,
    spectrum: Target,
    waveform: Target,
    compiled: HashMap<String, Arc<Compiled>>,
    layers: Vec<Layer>,
    black: Target,
    post_layout: wgpu::BindGroupLayout,
    post_pipeline: wgpu::RenderPipeline,
    post_uniforms: wgpu::Buffer,
    post_frames: [Target; 2],
    post_newest: usize,
    warp_layout: wgpu::BindGroupLayout,
    warp_pipeline_layout: wgpu::PipelineLayout,
    warp_module: wgpu::ShaderModule,
    warp_pipelines: HashMap<wgpu::TextureFormat, wgpu::RenderPipeline>,
}

/// A uniform buffer binding.
const UNIFORM: wgpu::BindingType = wgpu::BindingType::Buffer {
    ty: wgpu::BufferBindingType::Uniform,
    has_dynamic_offset: false,
    min_binding_size: None,
};
/// A filtering sampler binding.
const SAMPLER: wgpu::BindingType = wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering);

/// A 2D float texture binding.
fn texture(filterable: bool) -> wgpu::BindingType {
    wgpu::BindingType::Texture {
        sample_type: wgpu::TextureSampleType::Float { filterable },
        view_dimension: wgpu::TextureViewDimension::D2,
        multisampled: false,
    }
}

/// The particle buffer's binding.
fn storage(read_only: bool) -> wgpu::BindingType {
    wgpu::BindingType::Buffer {
        ty: wgpu::BufferBindingType::Storage { read_only },
        has_dynamic_offset: false,
        min_binding_size: NonZeroU64::new(PARTICLE_BYTES),
    }
}

/// A layout of `types` at bindings `first`, `first + 1`, ..., all seen by `visibility`.
fn layout(
    device: &wgpu::Device,
    label: &str,
    visibility: wgpu::ShaderStages,
    first: u32,
    types: &[wgpu::BindingType],
) -> wgpu::BindGroupLayout {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = types
        .iter()
        .zip(first..)
        .map(|(ty, binding)| wgpu::BindGroupLayoutEntry {
            binding,
            visibility,
            ty: *ty,
            count: None,
        })
        .collect();
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &entries,
    })
}

/// A bind group of `resources` at bindings `first`, `first + 1`, ...
fn group(
    device: &wgpu::Device,
    label: &str,
    layout: &wgpu::BindGroupLayout,
    first: u32,
    resources: Vec<wgpu::BindingResource>,
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = resources
        .into_iter()
        .zip(first..)
        .map(|(resource, binding)| wgpu::BindGroupEntry { binding, resource })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(label),
        layout,
        entries: &entries,
    })
}

fn fullscreen_pipeline(
    device: &wgpu::Device,
    label: &str,
    layout: &wgpu::PipelineLayout,
    module: &wgpu::ShaderModule,
    fragment: &str,
    format: wgpu::TextureFormat,
    blend: Option<wgpu::BlendState>,
) -> wgpu::RenderPipeline {
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(label),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module,
            entry_point: Some("vs_fullscreen"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some(fragment),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                blend,
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// Additive blending for particles.
const ADD: wgpu::BlendState = wgpu::BlendState {
    color: wgpu::BlendComponent {
        src_factor: wgpu::BlendFactor::One,
        dst_factor: wgpu::BlendFactor::One,
        operation: wgpu::BlendOperation::Add,
    },
    alpha: wgpu::BlendComponent::REPLACE,
};

fn clear_pass<'e>(encoder: &'e mut wgpu::CommandEncoder, view: &wgpu::TextureView, load: bool) -> wgpu::RenderPass<'e> {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some("phosphene pass"),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations {
                load: if load {
                    wgpu::LoadOp::Load
                } else {
                    wgpu::LoadOp::Clear(wgpu::Color::BLACK)
                },
                store: wgpu::StoreOp::Store,
            },
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    })
}

impl Renderer {
    /// Builds the fixed passes for compositions of `size` pixels.
    pub fn new(device: &wgpu::Device, size: (u32, u32)) -> Self {
        let size = (size.0.max(1), size.1.max(1));
        let all = wgpu::ShaderStages::VERTEX_FRAGMENT | wgpu::ShaderStages::COMPUTE;
        let frag = wgpu::ShaderStages::FRAGMENT;
        let scene_layout = layout(
            device,
            "scene",
            all,
            0,
            &[UNIFORM, texture(false), texture(false), texture(true), SAMPLER],
        );
        let particle_write_layout = layout(
            device,
            "particles write",
            wgpu::ShaderStages::COMPUTE,
            0,
            &[storage(false)],
        );
        let particle_read_layout = layout(
            device,
            "particles read",
            wgpu::ShaderStages::VERTEX,
            1,
            &[storage(true)],
        );
        let scene_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("scene"),
            bind_group_layouts: &[Some(&scene_layout)],
            immediate_size: 0,
        });
        let particle_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("particle draw"),
            bind_group_layouts: &[Some(&scene_layout), Some(&particle_read_layout)],
            immediate_size: 0,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("linear clamp"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let post_layout = layout(
            device,
            "post",
            frag,
            0,
            &[UNIFORM, texture(true), texture(true), texture(true), SAMPLER],
        );
        let post_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("post.wgsl"),
            source: wgpu::ShaderSource::Wgsl(POST_WGSL.into()),
        });
        let post_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("post"),
            bind_group_layouts: &[Some(&post_layout)],
            immediate_size: 0,
        });
        let post_pipeline = fullscreen_pipeline(
            device,
            "post",
            &post_pipeline_layout,
            &post_module,
            "fs_main",
            WORK_FORMAT,
            None,
        );
        let warp_layout = layout(device, "keystone", frag, 0, &[UNIFORM, texture(true), SAMPLER]);
        let warp_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("keystone"),
            bind_group_layouts: &[Some(&warp_layout)],
            immediate_size: 0,
        });
        let warp_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("keystone.wgsl"),
            source: wgpu::ShaderSource::Wgsl(KEYSTONE_WGSL.into()),
        });
        let row = |label, width, height| Target::new(device, label, (width, height), wgpu::TextureFormat::R32Float);
        Self {
            size,
            spectrum: row("spectrum", SPECTRUM_POINTS as u32, 2),
            waveform: row("waveform", engine_rt::analysis::WAVEFORM_LEN as u32, 1),
            black: Target::new(device, "black", (1, 1), WORK_FORMAT),
            post_uniforms: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("post uniforms"),
                size: std::mem::size_of::<PostUniforms>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            post_frames: [
                Target::new(device, "post a", size, WORK_FORMAT),
                Target::new(device, "post b", size, WORK_FORMAT),
            ],
            post_newest: 0,
            scene_layout,
            particle_write_layout,
            particle_read_layout,
            scene_pipeline_layout,
            particle_pipeline_layout,
            sampler,
            compiled: HashMap::new(),
            layers: Vec::new(),
            post_layout,
            post_pipeline,
            warp_layout,
            warp_pipeline_layout,
            warp_module,
            warp_pipelines: HashMap::new(),
        }
    }

    /// Composition size in pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Whether a scene with this id has compiled.
    pub fn has_scene(&self, id: &str) -> bool {
        self.compiled.contains_key(id)
    }

    /// Compiles a checked scene. On failure the scene's previous version (if any) stays in use
    /// and the error names the file.
    pub fn compile(&mut self, device: &wgpu::Device, scene: &Scene) -> Result<(), ShaderError> {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(&scene.id),
            source: wgpu::ShaderSource::Wgsl(scene.source.as_str().into()),
        });
        let fragment = fullscreen_pipeline(
            device,
            &scene.id,
            &self.scene_pipeline_layout,
            &module,
            FRAGMENT_ENTRY,
            WORK_FORMAT,
            None,
        );
        let particles = (scene.meta.particles > 0).then(|| {
            let compute_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("particle compute"),
                bind_group_layouts: &[Some(&self.scene_layout), Some(&self.particle_write_layout)],
                immediate_size: 0,
            });
            let compute = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&scene.id),
                layout: Some(&compute_layout),
                module: &module,
                entry_point: Some(COMPUTE_ENTRY),
                compilation_options: Default::default(),
                cache: None,
            });
            let draw = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(&scene.id),
                layout: Some(&self.particle_pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some(PARTICLE_VERTEX_ENTRY),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some(PARTICLE_FRAGMENT_ENTRY),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format: WORK_FORMAT,
                        blend: Some(ADD),
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            });
            (compute, draw)
        });
        if let Some(e) = bevy::tasks::block_on(scope.pop()) {
            return Err(ShaderError {
                path: scene.path.clone(),
                line: 0,
                column: 0,
                message: format!("the GPU rejected the scene: {e}"),
            });
        }
        let compiled = Arc::new(Compiled {
            scene: scene.clone(),
            fragment,
            particles,
        });
        for layer in self.layers.iter_mut().filter(|l| l.compiled.scene.id == scene.id) {
            layer.compiled = compiled.clone();
            if layer.particles.as_ref().map(|p| p.1) != Some(scene.meta.particles) {
                layer.particles = make_particles(device, scene.meta.particles);
            }
        }
        self.compiled.insert(scene.id.clone(), compiled);
        Ok(())
    }

    /// Records one frame of the composition: every layer's scene, then the post pass. Layers
    /// not named in `spec` are let go (their feedback and particles start afresh next time).
    pub fn render(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        spec: &FrameSpec,
    ) {
        self.upload_inputs(queue, spec.inputs);
        let wanted: Vec<&LayerSpec> = spec
            .layers
            .iter()
            .filter(|l| self.compiled.contains_key(&l.scene))
            .collect();
        self.layers
            .retain(|l| wanted.iter().any(|w| w.scene == l.compiled.scene.id));
        for w in &wanted {
            if !self.layers.iter().any(|l| l.compiled.scene.id == w.scene) {
                let compiled = self.compiled[&w.scene].clone();
                self.layers.push(self.new_layer(device, compiled));
            }
        }
        let mut drawn: Vec<usize> = Vec::new();
        for w in &wanted {
            let Some(i) = self.layers.iter().position(|l| l.compiled.scene.id == w.scene) else {
                continue;
            };
            let mut u = spec.inputs.uniforms;
            u.resolution = [self.size.0 as f32, self.size.1 as f32];
            u.frame = spec.frame as f32;
            u.scene_time = w.scene_time;
            for (slot, p) in u.params.iter_mut().enumerate() {
                *p = self.layers[i].compiled.scene.param_value(slot, w.positions[slot]);
            }
            queue.write_buffer(&self.layers[i].uniforms, 0, bytemuck::bytes_of(&u));
            self.draw_layer(device, encoder, i);
            drawn.push(i);
        }
        let view_of = |k: usize| {
            drawn
                .get(k)
                .map(|&i| &self.layers[i].frames[self.layers[i].newest].view)
        };
        let a = view_of(0).unwrap_or(&self.black.view);
        let b = view_of(1).unwrap_or(a);
        let p = spec.post;
        let uniforms = PostUniforms {
            mix: if drawn.len() > 1 {
                spec.transition.clamp(0.0, 1.0)
            } else {
                0.0
            },
            wipe: f32::from(u8::from(spec.transition_kind == TransitionKind::Wipe)),
            strobe: spec.strobe,
            blackout: spec.blackout,
            brightness: p.brightness,
            contrast: p.contrast,
            saturation: p.saturation,
            hue: p.hue,
            feedback: p.feedback,
            feedback_zoom: p.feedback_zoom,
            pad: [0.0; 2],
        };
        queue.write_buffer(&self.post_uniforms, 0, bytemuck::bytes_of(&uniforms));
        let next = 1 - self.post_newest;
        let bind = group(
            device,
            "post",
            &self.post_layout,
            0,
            vec![
                self.post_uniforms.as_entire_binding(),
                wgpu::BindingResource::TextureView(a),
                wgpu::BindingResource::TextureView(b),
                wgpu::BindingResource::TextureView(&self.post_frames[self.post_newest].view),
                wgpu::BindingResource::Sampler(&self.sampler),
            ],
        );
        let mut pass = clear_pass(encoder, &self.post_frames[next].view, false);
        pass.set_pipeline(&self.post_pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.draw(0..3, 0..1);
        drop(pass);
        self.post_newest = next;
    }

    /// Records the composition drawn into `target` (a view of `format`, `size` pixels) through
    /// `keystone`. `warp` holds the pass's uniforms: one buffer per target, because writes to
    /// a buffer land before the whole submission.
    pub fn present(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        format: wgpu::TextureFormat,
        size: (u32, u32),
        keystone: &Keystone,
        test_pattern: bool,
        warp: &WarpBuffer,
    ) {
        let uniforms = WarpUniforms {
            inverse: to_gpu(&keystone.quad_to_square()),
            flags: [
                f32::from(u8::from(format.is_srgb())),
                f32::from(u8::from(test_pattern)),
                size.0 as f32,
                size.1 as f32,
            ],
        };
        queue.write_buffer(&warp.0, 0, bytemuck::bytes_of(&uniforms));
        let pipeline = self.warp_pipelines.entry(format).or_insert_with(|| {
            fullscreen_pipeline(
                device,
                "keystone",
                &self.warp_pipeline_layout,
                &self.warp_module,
                "fs_main",
                format,
                None,
            )
        });
        let bind = group(
            device,
            "keystone",
            &self.warp_layout,
            0,
            vec![
                warp.0.as_entire_binding(),
                wgpu::BindingResource::TextureView(&self.post_frames[self.post_newest].view),
                wgpu::BindingResource::Sampler(&self.sampler),
            ],
        );
        let mut pass = clear_pass(encoder, target, false);
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.draw(0..3, 0..1);
    }

    fn upload_inputs(&self, queue: &wgpu::Queue, inputs: &FrameInputs) {
        write_rows(
            queue,
            &self.spectrum.texture,
            bytemuck::cast_slice(&inputs.spectrum),
            SPECTRUM_POINTS as u32,
            2,
        );
        write_rows(
            queue,
            &self.waveform.texture,
            &inputs.waveform,
            inputs.waveform.len() as u32,
            1,
        );
    }

    fn new_layer(&self, device: &wgpu::Device, compiled: Arc<Compiled>) -> Layer {
        let particles = make_particles(device, compiled.scene.meta.particles);
        Layer {
            frames: [
                Target::new(device, "scene a", self.size, WORK_FORMAT),
                Target::new(device, "scene b", self.size, WORK_FORMAT),
            ],
            newest: 0,
            uniforms: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("scene uniforms"),
                size: std::mem::size_of::<Uniforms>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            particles,
            compiled,
        }
    }

    fn draw_layer(&mut self, device: &wgpu::Device, encoder: &mut wgpu::CommandEncoder, i: usize) {
        let layer = &self.layers[i];
        let next = 1 - layer.newest;
        let bind = group(
            device,
            "scene",
            &self.scene_layout,
            0,
            vec![
                layer.uniforms.as_entire_binding(),
                wgpu::BindingResource::TextureView(&self.spectrum.view),
                wgpu::BindingResource::TextureView(&self.waveform.view),
                wgpu::BindingResource::TextureView(&layer.frames[layer.newest].view),
                wgpu::BindingResource::Sampler(&self.sampler),
            ],
        );
        let particle_binds = layer.particles.as_ref().map(|(buffer, count)| {
            let particles =
                |layout, binding| group(device, "particles", layout, binding, vec![buffer.as_entire_binding()]);
            (
                particles(&self.particle_write_layout, 0),
                particles(&self.particle_read_layout, 1),
                *count,
            )
        });
        if let (Some((compute, _)), Some((write, _, count))) = (&layer.compiled.particles, &particle_binds) {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("particles"),
                timestamp_writes: None,
            });
            pass.set_pipeline(compute);
            pass.set_bind_group(0, &bind, &[]);
            pass.set_bind_group(1, write, &[]);
            pass.dispatch_workgroups(count.div_ceil(WORKGROUP), 1, 1);
        }
        let mut pass = clear_pass(encoder, &layer.frames[next].view, false);
        pass.set_pipeline(&layer.compiled.fragment);
        pass.set_bind_group(0, &bind, &[]);
        pass.draw(0..3, 0..1);
        if let (Some((_, draw)), Some((_, read, count))) = (&layer.compiled.particles, &particle_binds) {
            pass.set_pipeline(draw);
            pass.set_bind_group(1, read, &[]);
            pass.draw(0..6, 0..*count);
        }
        drop(pass);
        self.layers[i].newest = next;
    }
}

/// The uniform buffer of one keystone target (see [`Renderer::present`]).
pub struct WarpBuffer(wgpu::Buffer);

impl WarpBuffer {
    /// Creates the buffer on `device`.
    pub fn new(device: &wgpu::Device) -> Self {
        Self(device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("keystone uniforms"),
            size: std::mem::size_of::<WarpUniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }))
    }
}

/// A zeroed particle buffer (every particle dead, so the first compute pass spawns them).
fn make_particles(device: &wgpu::Device, count: u32) -> Option<(wgpu::Buffer, u32)> {
    (count > 0).then(|| {
        let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("particles"),
            contents: &vec![0u8; (count as u64 * PARTICLE_BYTES) as usize],
            usage: wgpu::BufferUsages::STORAGE,
        });
        (buffer, count)
    })
}

fn write_rows(queue: &wgpu::Queue, texture: &wgpu::Texture, data: &[f32], width: u32, rows: u32) {
    queue.write_texture(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        bytemuck::cast_slice(data),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(width * 4),
            rows_per_image: Some(rows),
        },
        wgpu::Extent3d {
            width,
            height: rows,
            depth_or_array_layers: 1,
        },
    );
}
