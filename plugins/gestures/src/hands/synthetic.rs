//! A procedurally drawn hand (shaded skin-toned capsules on a plain
//! background) with known joint positions, for tests and benches: no hand
//! photo with a suitable licence is available to ship, and no camera is.

/// Joint positions of the drawn hand in frame pixels.
#[derive(Debug, Clone)]
pub struct DrawnHand {
    /// RGB pixels, width*height*3.
    pub rgb: Vec<u8>,
    /// Wrist position.
    pub wrist: (f32, f32),
    /// Fingertips: thumb, index, middle, ring, pinky (MediaPipe landmarks 4, 8, 12, 16, 20).
    pub tips: [(f32, f32); 5],
}

/// Joints of an upright open right hand, palm to the camera, in a 640x480
/// layout: (finger, [base, joints..., tip], radius).
const FINGERS: [([(f32, f32); 5], f32); 5] = [
    (
        [
            (290.0, 405.0),
            (275.0, 395.0),
            (245.0, 362.0),
            (225.0, 335.0),
            (210.0, 312.0),
        ],
        14.0,
    ),
    (
        [
            (282.0, 300.0),
            (282.0, 300.0),
            (272.0, 250.0),
            (267.0, 220.0),
            (263.0, 192.0),
        ],
        12.0,
    ),
    (
        [
            (318.0, 292.0),
            (318.0, 292.0),
            (317.0, 235.0),
            (316.0, 200.0),
            (315.0, 170.0),
        ],
        13.0,
    ),
    (
        [
            (352.0, 298.0),
            (352.0, 298.0),
            (357.0, 245.0),
            (360.0, 214.0),
            (362.0, 188.0),
        ],
        12.0,
    ),
    (
        [
            (382.0, 312.0),
            (382.0, 312.0),
            (392.0, 272.0),
            (398.0, 250.0),
            (403.0, 228.0),
        ],
        10.0,
    ),
];
const WRIST: (f32, f32) = (320.0, 420.0);
const CENTRE: (f32, f32) = (320.0, 330.0);

/// Draws the hand into a `width` x `height` frame, scaled by `scale`,
/// rotated by `angle` radians about its palm and moved by `offset` pixels
/// from the frame centre.
pub fn draw_hand(width: usize, height: usize, scale: f32, angle: f32, offset: (f32, f32)) -> DrawnHand {
    let (s, c) = angle.sin_cos();
    let (mx, my) = (width as f32 / 2.0 + offset.0, height as f32 / 2.0 + offset.1);
    let place = |p: (f32, f32)| {
        let (x, y) = ((p.0 - CENTRE.0) * scale, (p.1 - CENTRE.1) * scale);
        (mx + x * c - y * s, my + x * s + y * c)
    };
    // Capsules (a, b, radius): forearm, palm mass, fingers.
    let mut capsules = vec![(place((320.0, 560.0)), place(WRIST), 48.0 * scale)];
    for (joints, _) in &FINGERS[1..] {
        capsules.push((place(WRIST), place(joints[0]), 36.0 * scale));
    }
    capsules.push((place((300.0, 380.0)), place((360.0, 370.0)), 45.0 * scale));
    for (joints, radius) in &FINGERS {
        for pair in joints.windows(2) {
            capsules.push((place(pair[0]), place(pair[1]), radius * scale));
        }
    }
    let mut rgb = vec![0u8; width * height * 3];
    for y in 0..height {
        for x in 0..width {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            // Shade by the deepest capsule: a cylinder-like falloff to the edges.
            let mut shade: Option<f32> = None;
            for &((ax, ay), (bx, by), r) in &capsules {
                let (dx, dy) = (bx - ax, by - ay);
                let len2 = (dx * dx + dy * dy).max(1e-6);
                let t = (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0);
                let d = (px - ax - t * dx).hypot(py - ay - t * dy);
                if d < r {
                    let depth = (1.0 - (d / r).powi(2)).sqrt();
                    shade = Some(shade.map_or(depth, |v: f32| v.max(depth)));
                }
            }
            let colour = match shade {
                Some(v) => [224.0, 172.0, 140.0].map(|k: f32| k * (0.55 + 0.45 * v)),
                None => [70.0, 90.0, 110.0],
            };
            let o = (y * width + x) * 3;
            for (dst, v) in rgb[o..o + 3].iter_mut().zip(colour) {
                *dst = v as u8;
            }
        }
    }
    let tips = FINGERS.map(|(joints, _)| place(joints[4]));
    DrawnHand {
        rgb,
        wrist: place(WRIST),
        tips,
    }
}
