//! The performer control surface (bevy_egui).

use bevy::prelude::*;

/// The control window's panels.
pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, _app: &mut App) {}
}
