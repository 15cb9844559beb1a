//! Phosphene's light: audio-reactive WGSL scenes rendered with wgpu, driven by engine-rt's
//! analysis frames.
//!
//! - [`uniforms`]: the block every scene receives and how analysis frames become it.
//! - [`scene`] and [`library`]: scene files, their headers, checking and hot reload.
//! - [`show`]: which scene is on, quantized transitions, post settings; [`setup`]: how a set
//!   file stores them.
//! - [`director`]: one frame's plan (audio features + show), live and offline.
//! - [`gpu`]: the renderer (scene layers, post, keystone output).
//! - [`sync`]: which analysis frame matches the audio heard.
//! - [`keystone`]: corner-pin maths. [`offline`]: headless device and PNG frames.

pub mod director;
pub mod gpu;
pub mod keystone;
pub mod library;
pub mod offline;
pub mod plugin;
pub mod scene;
pub mod setup;
pub mod show;
pub mod sync;
pub mod uniforms;

pub use plugin::{AvSync, Projector, Scenes, VisualCommand, VisualSet, Visuals, VisualsPlugin};
