//! Frames without a window: a headless wgpu device (Mesa's lavapipe where there is no GPU),
//! reading the composition back, and numbered PNG files.

use std::collections::VecDeque;
use std::path::Path;

use engine_rt::{AnalysisFrame, Source};

use crate::director::{Director, Plan};
use crate::gpu::{OUTPUT_FORMAT, Renderer, Target, WarpBuffer};
use crate::keystone::Keystone;
use crate::library::SceneLibrary;
use crate::setup::VisualSetup;
use crate::sync::{HEARD_AHEAD, heard_by};
use crate::uniforms::UNIFORM_DECKS;

/// A device of our own, for offline frames, tests and benchmarks.
pub struct Gpu {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter, in words (e.g. "llvmpipe (LLVM 15.0.6)").
    pub adapter: String,
}

impl Gpu {
    /// Opens the first Vulkan adapter, without a surface.
    pub fn headless() -> Result<Self, String> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::VULKAN,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = bevy::tasks::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
            .map_err(|e| format!("no Vulkan adapter for offline rendering ({e}); install mesa-vulkan-drivers"))?;
        let name = adapter.get_info().name;
        let (device, queue) = bevy::tasks::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("phosphene offline"),
            required_limits: wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits()),
            ..Default::default()
        }))
        .map_err(|e| format!("cannot open the {name} adapter: {e}"))?;
        Ok(Self {
            device,
            queue,
            adapter: name,
        })
    }
}

/// An output texture of [`OUTPUT_FORMAT`] and the buffer its pixels are read back through.
pub struct Readback {
    size: (u32, u32),
    target: Target,
    buffer: wgpu::Buffer,
    padded_row: u32,
}

impl Readback {
    /// A texture and readback buffer of `size` pixels (width, height) on `device`.
    pub fn new(device: &wgpu::Device, size: (u32, u32)) -> Self {
        let padded_row = (size.0 * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("offline readback"),
            size: padded_row as u64 * size.1 as u64,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        Self {
            size,
            target: Target::new(device, "offline output", size, OUTPUT_FORMAT),
            buffer,
            padded_row,
        }
    }

    /// Records the copy of the texture into the readback buffer (submit, then [`Readback::read`]).
    pub fn copy(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.copy_texture_to_buffer(
            self.target.texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &self.buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(self.padded_row),
                    rows_per_image: Some(self.size.1),
                },
            },
            wgpu::Extent3d {
                width: self.size.0,
                height: self.size.1,
                depth_or_array_layers: 1,
            },
        );
    }

    /// Waits for the GPU and returns the pixels as tightly packed RGBA rows.
    pub fn read(&self, device: &wgpu::Device) -> Result<Vec<u8>, String> {
        let slice = self.buffer.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| format!("GPU wait failed: {e}"))?;
        rx.recv()
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot read the frame back: {e}"))?;
        let row = self.size.0 as usize * 4;
        let mut pixels = Vec::with_capacity(row * self.size.1 as usize);
        {
            let data = slice.get_mapped_range();
            for r in data.chunks(self.padded_row as usize) {
                pixels.extend_from_slice(&r[..row]);
            }
        }
        self.buffer.unmap();
        Ok(pixels)
    }
}

/// Writes RGBA pixels as an 8-bit PNG.
pub fn write_png(path: &Path, size: (u32, u32), rgba: &[u8]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("cannot write '{}': {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| err(&e))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), size.0, size.1);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(|e| err(&e))?;
    writer.write_image_data(rgba).map_err(|e| err(&e))?;
    writer.finish().map_err(|e| err(&e))
}

/// An offline render of video frames in step with an offline audio render.
pub struct FrameJob<'a> {
    /// Folder the numbered PNG files go into (`frame-000000.png`, ...).
    pub dir: &'a Path,
    /// Video frames per second.
    pub fps: f64,
    /// Frame size in pixels (width, height).
    pub size: (u32, u32),
    /// Sample rate of the audio render in Hz.
    pub sample_rate: u32,
    /// The set's visuals: scene, controls, post, cues.
    pub setup: &'a VisualSetup,
    /// The scenes to draw from.
    pub library: &'a SceneLibrary,
}

/// What an offline frame render did.
#[derive(Debug, Clone)]
pub struct FrameReport {
    /// Video frames written.
    pub frames: u64,
    /// The adapter they were drawn on, in words.
    pub adapter: String,
    /// Wall seconds spent rendering and writing frames.
    pub wall_seconds: f64,
}

/// File name of video frame `n`.
pub fn frame_name(n: u64) -> String {
    format!("frame-{n:06}.png")
}

/// The `ffmpeg` input pattern matching [`frame_name`].
pub const FRAME_PATTERN: &str = "frame-%06d.png";

/// Video frames in `audio_frames` of audio at `sample_rate`: the video is as long as the audio.
pub fn video_frames(audio_frames: u64, sample_rate: u32, fps: f64) -> u64 {
    (audio_frames as f64 / sample_rate as f64 * fps).round().max(0.0) as u64
}

/// A renderer on a headless device drawing into a readback texture: offline frames, tests
/// and benchmarks.
pub struct Stage {
    /// The headless device.
    pub gpu: Gpu,
    /// The renderer on it.
    pub renderer: Renderer,
    readback: Readback,
    warp: WarpBuffer,
}

impl Stage {
    /// A stage of `size` pixels with every scene of `library` compiled.
    pub fn new(size: (u32, u32), library: &SceneLibrary) -> Result<Self, String> {
        let gpu = Gpu::headless()?;
        let mut renderer = Renderer::new(&gpu.device, size);
        for scene in library.scenes() {
            renderer.compile(&gpu.device, scene).map_err(|e| e.to_string())?;
        }
        Ok(Self {
            readback: Readback::new(&gpu.device, size),
            warp: WarpBuffer::new(&gpu.device),
            gpu,
            renderer,
        })
    }

    /// Draws a planned frame and waits for the GPU; returns its pixels (RGBA rows) when `read`.
    pub fn draw(&mut self, plan: &Plan, read: bool) -> Result<Option<Vec<u8>>, String> {
        let (device, queue) = (&self.gpu.device, &self.gpu.queue);
        let mut encoder = device.create_command_encoder(&Default::default());
        self.renderer.render(device, queue, &mut encoder, &plan.spec());
        self.renderer.present(
            device,
            queue,
            &mut encoder,
            &self.readback.target.view,
            OUTPUT_FORMAT,
            self.readback.size,
            &Keystone::default(),
            false,
            &self.warp,
        );
        if read {
            self.readback.copy(&mut encoder);
        }
        queue.submit([encoder.finish()]);
        if read {
            self.readback.read(device).map(Some)
        } else {
            device
                .poll(wgpu::PollType::wait_indefinitely())
                .map(|_| None)
                .map_err(|e| format!("GPU wait failed: {e}"))
        }
    }
}

/// Video frames rendered while the audio renders: frame `n` shows the analysis of the audio
/// at `n / fps` seconds, exactly as the projector would have shown it live, and is drawn and
/// written as soon as that analysis exists. Only the analysis frames a future video frame can
/// still need are kept, so memory stays bounded whatever the length.
pub struct FrameStream<'a> {
    job: FrameJob<'a>,
    stage: Stage,
    director: Director,
    timeline: Timeline,
    /// The next video frame to draw.
    next: u64,
    busy: std::time::Duration,
}

impl<'a> FrameStream<'a> {
    /// Creates the folder and opens the headless device with every scene compiled.
    pub fn new(job: FrameJob<'a>) -> Result<Self, String> {
        let started = std::time::Instant::now();
        std::fs::create_dir_all(job.dir).map_err(|e| format!("cannot create '{}': {e}", job.dir.display()))?;
        let stage = Stage::new(job.size, job.library)?;
        let director = Director::from_setup(job.setup, job.library);
        Ok(Self {
            job,
            stage,
            director,
            timeline: Timeline::default(),
            next: 0,
            busy: started.elapsed(),
        })
    }

    /// Takes the analysis of the audio rendered so far (`rendered` output frames, of which the
    /// first `audio_frames` are the video's audio) and draws every video frame it completes.
    pub fn advance(
        &mut self,
        analysis: impl IntoIterator<Item = AnalysisFrame>,
        rendered: u64,
        audio_frames: u64,
    ) -> Result<(), String> {
        for f in analysis {
            self.timeline.push(f);
        }
        let frames = video_frames(audio_frames, self.job.sample_rate, self.job.fps);
        while self.next < frames && self.sample(self.next) + HEARD_AHEAD <= rendered {
            self.draw_next()?;
        }
        Ok(())
    }

    /// Draws the video frames left once the audio is complete (`audio_frames` long).
    pub fn finish(mut self, audio_frames: u64) -> Result<FrameReport, String> {
        while self.next < video_frames(audio_frames, self.job.sample_rate, self.job.fps) {
            self.draw_next()?;
        }
        Ok(FrameReport {
            frames: self.next,
            adapter: self.stage.gpu.adapter.clone(),
            wall_seconds: self.busy.as_secs_f64(),
        })
    }

    /// The output sample video frame `n` shows.
    fn sample(&self, n: u64) -> u64 {
        (n as f64 * self.job.sample_rate as f64 / self.job.fps).round() as u64
    }

    fn draw_next(&mut self) -> Result<(), String> {
        let started = std::time::Instant::now();
        let sample = self.sample(self.next);
        let job = &self.job;
        let plan = self.timeline.plan(
            &mut self.director,
            job.library,
            sample,
            (1.0 / job.fps) as f32,
            job.sample_rate,
        );
        let pixels = self.stage.draw(&plan, true)?.unwrap_or_default();
        write_png(&job.dir.join(frame_name(self.next)), job.size, &pixels)?;
        self.next += 1;
        self.busy += started.elapsed();
        Ok(())
    }
}

/// The analysis frames of a render by source, walked forward one video frame at a time. Holds
/// only what a later plan can still use: per source the newest frame heard so far and the
/// frames after it.
#[derive(Default)]
pub struct Timeline {
    master: VecDeque<AnalysisFrame>,
    decks: [VecDeque<AnalysisFrame>; UNIFORM_DECKS],
    /// Master frames before this index were passed at an earlier plan.
    passed_from: usize,
}

impl Timeline {
    /// Adds a frame. The frames of each source come in time order, as the engine's analysis
    /// makes them; sources the visuals do not show are ignored.
    pub fn push(&mut self, frame: AnalysisFrame) {
        let queue = match frame.source {
            Source::Master => &mut self.master,
            Source::Deck(d) if (d as usize) < UNIFORM_DECKS => &mut self.decks[d as usize],
            _ => return,
        };
        debug_assert!(queue.back().is_none_or(|b| b.sample_time <= frame.sample_time));
        queue.push_back(frame);
    }

    /// Plans the video frame shown when output sample `sample` is heard (frames must come in
    /// order, and every analysis frame heard by `sample` must have been pushed).
    pub fn plan(&mut self, director: &mut Director, library: &SceneLibrary, sample: u64, dt: f32, rate: u32) -> Plan {
        let heard = |frames: &VecDeque<AnalysisFrame>| frames.partition_point(|f| heard_by(f.sample_time, sample));
        let upto = heard(&self.master);
        let decks_heard: [usize; UNIFORM_DECKS] = std::array::from_fn(|d| heard(&self.decks[d]));
        let plan = {
            let now = upto.checked_sub(1).map(|i| &self.master[i]);
            let decks = std::array::from_fn(|d| decks_heard[d].checked_sub(1).map(|i| &self.decks[d][i]));
            let passed = self.master.range(self.passed_from.min(upto)..upto);
            director.plan(library, now, passed, decks, dt, rate)
        };
        // Later plans look no further back than the newest frame heard now.
        let old = upto.saturating_sub(1);
        self.master.drain(..old);
        self.passed_from = upto - old;
        for (queue, heard) in self.decks.iter_mut().zip(decks_heard) {
            queue.drain(..heard.saturating_sub(1));
        }
        plan
    }
}

/// Muxes numbered frames and a WAV file into a video with `ffmpeg` (H.264 + AAC).
pub fn mux_video(dir: &Path, fps: f64, audio: &Path, out: &Path) -> Result<(), String> {
    let status = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-framerate"])
        .arg(format!("{fps}"))
        .args(["-start_number", "0", "-i"])
        .arg(dir.join(FRAME_PATTERN))
        .arg("-i")
        .arg(audio)
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
        .arg(out)
        .status()
        .map_err(|e| format!("cannot run ffmpeg ({e}); install it to make videos, or use the PNG frames"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("ffmpeg failed ({status}) making '{}'", out.display()))
    }
}
