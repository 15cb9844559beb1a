//! Deterministic synthetic test clips: a textured still scene with sensor
//! noise, a hand-like shape (palm ellipse, four fingers and a thumb, brighter
//! than anything in the scene) following a path, and optional strobes.
//! Returns the frames and the truth: the shape's centre (centroid of its
//! drawn pixels, in 0..1 of the frame) per frame.
//!
//! Built for tests and benches (here and in integration tests), so it favours
//! clarity and determinism (a seeded xorshift PRNG) over speed.

use std::f32::consts::TAU;

/// Frame rate of generated clips, frames per second.
pub const CLIP_FPS: f64 = 30.0;
/// Luma of the hand shape (0..255), well above the scene's brightest texture.
pub const HAND_LUMA: f32 = 215.0;
/// Spacing of the scene's coarse noise texture, in fractions of the width.
const TEXTURE_CELL: f32 = 1.0 / 16.0;
/// Standard deviation of `u1 - u2` for independent uniform `u1`, `u2` in 0..1.
const UNIFORM_DIFF_SIGMA: f32 = 0.408_248_3;
/// Random-walk positions stay this far from the frame edges (0..1 of the frame).
const WALK_MARGIN: f32 = 0.15;

/// Tiny xorshift PRNG, deterministic from its seed.
#[derive(Clone, Debug)]
pub struct XorShift32(u32);

impl XorShift32 {
    /// A generator from any seed (scrambled so small seeds differ well).
    pub fn new(seed: u64) -> Self {
        let mixed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (seed >> 29);
        Self((mixed as u32 ^ (mixed >> 32) as u32) | 1)
    }

    /// Next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// Next uniform value in 0..1.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }
}

/// How the shape moves during a segment; positions are the palm centre in
/// 0..1 of the frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Path {
    /// No shape in view.
    Absent,
    /// Shape resting at a point.
    Still(
        /// Where.
        (f32, f32),
    ),
    /// Straight travel at constant speed, reaching `to` on the last frame.
    Linear {
        /// Start point.
        from: (f32, f32),
        /// End point.
        to: (f32, f32),
    },
    /// Circular travel from angle 0 (rightmost point), y down.
    Circle {
        /// Centre.
        centre: (f32, f32),
        /// Radius, 0..1 of the frame on each axis.
        radius: f32,
        /// Turns over the segment.
        turns: f32,
    },
    /// Random walk with steps up to `step` per frame on each axis.
    RandomWalk {
        /// Start point.
        start: (f32, f32),
        /// Largest step per frame and axis, 0..1 of the frame.
        step: f32,
    },
}

/// Which part of the frame a strobe brightens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StrobeArea {
    /// The whole frame.
    Global,
    /// A rectangle `[x0, y0, x1, y1]` in 0..1 of the frame.
    Rect([f32; 4]),
}

/// A brightness jump on one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strobe {
    /// Frame index.
    pub frame: usize,
    /// Brightness factor (1.6 = +60 %).
    pub gain: f32,
    /// Where.
    pub area: StrobeArea,
}

/// What clip to make; build with [`ClipSpec::new`], [`ClipSpec::then`] and
/// [`ClipSpec::strobe`].
#[derive(Clone, Debug, PartialEq)]
pub struct ClipSpec {
    /// Frame width in pixels.
    pub width: usize,
    /// Frame height in pixels.
    pub height: usize,
    /// PRNG seed for texture and noise.
    pub seed: u64,
    /// Sensor noise standard deviation, luma levels.
    pub noise: f32,
    /// Palm half-height as a fraction of the frame height.
    pub hand_size: f32,
    /// Consecutive path segments: `(path, frames)`.
    pub segments: Vec<(Path, usize)>,
    /// Strobed frames.
    pub strobes: Vec<Strobe>,
}

/// A rendered clip.
#[derive(Clone, Debug)]
pub struct Clip {
    /// Frame width in pixels.
    pub width: usize,
    /// Frame height in pixels.
    pub height: usize,
    /// Luma frames, row-major.
    pub frames: Vec<Vec<u8>>,
    /// Centre of the drawn shape per frame (0..1 of the frame), `None` when
    /// it is not in view.
    pub truth: Vec<Option<(f32, f32)>>,
}

impl Clip {
    /// Capture time of frame `i`, seconds.
    pub fn time(i: usize) -> f64 {
        i as f64 / CLIP_FPS
    }
}

impl ClipSpec {
    /// An empty clip of the given size: 3 levels of noise, a palm 9 % of the
    /// height in half-height.
    pub fn new(width: usize, height: usize, seed: u64) -> Self {
        Self {
            width,
            height,
            seed,
            noise: 3.0,
            hand_size: 0.09,
            segments: Vec::new(),
            strobes: Vec::new(),
        }
    }

    /// Appends a segment of `frames` frames.
    pub fn then(mut self, path: Path, frames: usize) -> Self {
        self.segments.push((path, frames));
        self
    }

    /// Adds a strobe on frame `frame`.
    pub fn strobe(mut self, frame: usize, gain: f32, area: StrobeArea) -> Self {
        self.strobes.push(Strobe { frame, gain, area });
        self
    }

    /// Index of the last frame of segment `k` (e.g. where a swipe completes).
    pub fn segment_end(&self, k: usize) -> usize {
        self.segments[..=k].iter().map(|s| s.1).sum::<usize>() - 1
    }

    /// Palm-centre positions per frame.
    fn positions(&self, rng: &mut XorShift32) -> Vec<Option<(f32, f32)>> {
        let mut out = Vec::new();
        let mut walk = (0.5, 0.5);
        for &(path, n) in &self.segments {
            for i in 0..n {
                let s = (i + 1) as f32 / n as f32;
                out.push(match path {
                    Path::Absent => None,
                    Path::Still(p) => Some(p),
                    Path::Linear { from, to } => Some((from.0 + (to.0 - from.0) * s, from.1 + (to.1 - from.1) * s)),
                    Path::Circle { centre, radius, turns } => {
                        let a = TAU * turns * s;
                        Some((centre.0 + radius * a.cos(), centre.1 + radius * a.sin()))
                    }
                    Path::RandomWalk { start, step } => {
                        if i == 0 {
                            walk = start;
                        }
                        let mut wander = |v: f32| {
                            let d = (rng.next_f32() * 2.0 - 1.0) * step;
                            (v + d).clamp(WALK_MARGIN, 1.0 - WALK_MARGIN)
                        };
                        walk = (wander(walk.0), wander(walk.1));
                        Some(walk)
                    }
                });
            }
        }
        out
    }

    /// Renders the clip.
    pub fn render(&self) -> Clip {
        let (w, h) = (self.width, self.height);
        let mut rng = XorShift32::new(self.seed);
        let scene = self.scene(&mut rng);
        let positions = self.positions(&mut rng);
        let noise_scale = self.noise / UNIFORM_DIFF_SIGMA;
        let mut frames = Vec::with_capacity(positions.len());
        let mut truth = Vec::with_capacity(positions.len());
        let mut img = vec![0.0f32; w * h];
        for (i, pos) in positions.iter().enumerate() {
            img.copy_from_slice(&scene);
            truth.push(pos.and_then(|p| self.draw_hand(&mut img, p)));
            for s in self.strobes.iter().filter(|s| s.frame == i) {
                let [x0, y0, x1, y1] = match s.area {
                    StrobeArea::Global => [0.0, 0.0, 1.0, 1.0],
                    StrobeArea::Rect(r) => r,
                };
                let px = |v: f32, n: usize| ((v * n as f32) as usize).min(n);
                for y in px(y0, h)..px(y1, h) {
                    for v in &mut img[y * w + px(x0, w)..y * w + px(x1, w)] {
                        *v *= s.gain;
                    }
                }
            }
            let frame = img
                .iter()
                .map(|&v| {
                    let n = (rng.next_f32() - rng.next_f32()) * noise_scale;
                    (v + n).round().clamp(0.0, 255.0) as u8
                })
                .collect();
            frames.push(frame);
        }
        Clip {
            width: w,
            height: h,
            frames,
            truth,
        }
    }

    /// The still scene: coarse value noise, two gradients and fine texture,
    /// within about 40..155 so that +60 % light does not clip.
    fn scene(&self, rng: &mut XorShift32) -> Vec<f32> {
        let (w, h) = (self.width, self.height);
        let cell = (TEXTURE_CELL * w as f32).max(1.0);
        let gx = (w as f32 / cell) as usize + 2;
        let gy = (h as f32 / cell) as usize + 2;
        let coarse: Vec<f32> = (0..gx * gy).map(|_| rng.next_f32()).collect();
        let mut out = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (x as f32 / cell, y as f32 / cell);
                let (ix, iy) = (fx as usize, fy as usize);
                let (tx, ty) = (fx - ix as f32, fy - iy as f32);
                let at = |i: usize, j: usize| coarse[j * gx + i];
                let top = at(ix, iy) * (1.0 - tx) + at(ix + 1, iy) * tx;
                let bottom = at(ix, iy + 1) * (1.0 - tx) + at(ix + 1, iy + 1) * tx;
                let smooth = top * (1.0 - ty) + bottom * ty;
                let fine = rng.next_f32() * 16.0 - 8.0;
                let grad = 25.0 * x as f32 / w as f32 + 15.0 * y as f32 / h as f32;
                out.push(48.0 + 60.0 * smooth + grad + fine);
            }
        }
        out
    }

    /// Draws the hand with its palm centred at `p` (0..1 of the frame) and
    /// returns the centroid of the drawn pixels, `None` if none is in view.
    fn draw_hand(&self, img: &mut [f32], p: (f32, f32)) -> Option<(f32, f32)> {
        let (w, h) = (self.width as f32, self.height as f32);
        let ry = self.hand_size * h;
        let rx = 0.85 * ry;
        let (cx, cy) = (p.0 * w, p.1 * h);
        let finger_w = 0.22 * ry;
        let finger_len = 0.9 * ry;
        let finger_top = cy - 0.7 * ry - finger_len;
        let inside = |x: f32, y: f32| {
            let (dx, dy) = ((x - cx) / rx, (y - cy) / ry);
            let palm = dx * dx + dy * dy <= 1.0;
            let finger = (finger_top..cy).contains(&y)
                && (0..4).any(|k| {
                    let fxc = cx + (k as f32 - 1.5) * 0.45 * rx;
                    (x - fxc).abs() <= finger_w / 2.0
                });
            let thumb = (cx - 1.6 * rx..cx).contains(&x) && (y - (cy - 0.1 * ry)).abs() <= finger_w / 2.0;
            palm || finger || thumb
        };
        let x_lo = (cx - 1.7 * rx).max(0.0) as usize;
        let x_hi = ((cx + 1.1 * rx).max(0.0) as usize).min(self.width);
        let y_lo = finger_top.max(0.0) as usize;
        let y_hi = ((cy + 1.1 * ry).max(0.0) as usize).min(self.height);
        let (mut n, mut sx, mut sy) = (0.0f64, 0.0f64, 0.0f64);
        for y in y_lo..y_hi {
            for x in x_lo..x_hi {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                if inside(px, py) {
                    // A faint stripe texture that moves with the hand.
                    let stripe = 8.0 * ((px - cx) * 0.6 + (py - cy) * 0.3).sin();
                    img[y * self.width + x] = HAND_LUMA + stripe;
                    n += 1.0;
                    sx += f64::from(px);
                    sy += f64::from(py);
                }
            }
        }
        (n > 0.0).then(|| ((sx / n) as f32 / w, (sy / n) as f32 / h))
    }
}
