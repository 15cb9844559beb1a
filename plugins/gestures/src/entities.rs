//! Gestures as ECS entities: one per region (the whole picture and each zone) and one per
//! tracked hand, holding what the camera saw last, for the control window to draw over the
//! camera preview and for any system that wants to read them.

use bevy::prelude::*;
use phosphene_controls::input::{Region, Which};

use crate::seen::{HandSeen, RegionSeen, Seen};

/// A region of the picture whose motion is measured: the whole picture or a zone.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct GestureRegion {
    /// Which region.
    pub region: Region,
    /// Its rectangle, `[x0, y0, x1, y1]` in 0..1 of the picture.
    pub rect: [f32; 4],
}

/// The motion a region saw in the last frame.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct RegionMotion {
    /// Share of the region that moves, 0..1.
    pub energy: f32,
    /// Share of the region away from the still scene, 0..1.
    pub presence: f32,
    /// Centre of the motion, 0..1 of the region (y from the top).
    pub centre: [f32; 2],
    /// Velocity of that centre, regions per second.
    pub velocity: [f32; 2],
    /// Box around the moving part, 0..1 of the region.
    pub bbox: Option<[f32; 4]>,
}

/// A hand the model tracks.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct TrackedHand {
    /// Which of the hands seen (0 is the first, the one `Any` bindings follow).
    pub slot: usize,
    /// What was seen of it last.
    pub seen: HandSeen,
}

/// Which side a hand is, for the control window's label.
pub fn side_name(side: Which) -> &'static str {
    match side {
        Which::Any => "hand",
        Which::Left => "left hand",
        Which::Right => "right hand",
    }
}

impl From<&RegionSeen> for RegionMotion {
    fn from(r: &RegionSeen) -> Self {
        Self {
            energy: r.energy,
            presence: r.presence,
            centre: [r.x, r.y],
            velocity: r.velocity,
            bbox: r.bbox,
        }
    }
}

/// Brings the region and hand entities in line with a frame: values updated, entities for
/// regions and hands that came spawned, those that went despawned.
pub(crate) fn sync(
    commands: &mut Commands,
    seen: &Seen,
    regions: &mut Query<(Entity, &mut GestureRegion, &mut RegionMotion)>,
    hands: &mut Query<(Entity, &mut TrackedHand)>,
) {
    let mut kept = Vec::new();
    for r in &seen.regions {
        match regions.iter_mut().find(|(_, g, _)| g.region == r.region) {
            Some((e, mut g, mut m)) => {
                *m = RegionMotion::from(r);
                if g.rect != r.rect {
                    g.rect = r.rect;
                }
                kept.push(e);
            }
            None => kept.push(
                commands
                    .spawn((
                        GestureRegion {
                            region: r.region.clone(),
                            rect: r.rect,
                        },
                        RegionMotion::from(r),
                    ))
                    .id(),
            ),
        }
    }
    for (e, ..) in regions.iter() {
        if !kept.contains(&e) {
            commands.entity(e).despawn();
        }
    }
    let mut slots = vec![false; seen.hands.len()];
    for (e, mut h) in hands.iter_mut() {
        match seen.hands.get(h.slot) {
            Some(s) => {
                h.seen = s.clone();
                slots[h.slot] = true;
            }
            None => commands.entity(e).despawn(),
        }
    }
    for (slot, s) in seen.hands.iter().enumerate() {
        if !slots[slot] {
            commands.spawn(TrackedHand { slot, seen: s.clone() });
        }
    }
}
