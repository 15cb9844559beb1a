// Phosphene prelude: prepended (after fullscreen.wgsl) to every scene before it compiles. It
// declares the uniform block, the analysis textures, the previous frame and the particle
// buffer, plus helpers.
// Scene line numbers in error messages do not count these lines. See docs/SHADERS.md.

struct Phosphene {
    // Output size in pixels, seconds of audio heard, video frames drawn.
    resolution: vec2<f32>,
    time: f32,
    frame: f32,
    // Clock beat (counting from 0), position in the beat and in the bar (0..1), tempo.
    beat: f32,
    beat_phase: f32,
    bar_phase: f32,
    bpm: f32,
    // Master level and peak (0..1 on a -60..0 dB scale); seconds since the last video frame;
    // strength of the newest onset (0..1).
    level: f32,
    peak: f32,
    delta: f32,
    onset_strength: f32,
    // Energy below 250 Hz, 250 Hz..4 kHz, above 4 kHz (0..1), raw.
    bass: f32,
    mid: f32,
    high: f32,
    // Seconds since this scene became active.
    scene_time: f32,
    // bass, mid, high, level smoothed (about 150 ms).
    smoothed: vec4<f32>,
    // bass, mid, high, onset: 1.0 on the frame after a hit, else 0.
    hits: vec4<f32>,
    // The same, decaying from 1 towards 0 after each hit (about 250 ms).
    decays: vec4<f32>,
    // Level of decks 1..4 (0..1).
    decks: vec4<f32>,
    // The eight user parameters, already scaled to the ranges the scene declares.
    params: array<vec4<f32>, 2>,
};

@group(0) @binding(0) var<uniform> u: Phosphene;
// Row 0: spectrum levels on a log-frequency axis (30 Hz..12 kHz, 0..1). Row 1: smoothed.
@group(0) @binding(1) var spectrum_tex: texture_2d<f32>;
// The waveform of the newest analysis window, -1..1, oldest first.
@group(0) @binding(2) var waveform_tex: texture_2d<f32>;
// This scene's previous frame (for feedback effects).
@group(0) @binding(3) var prev_tex: texture_2d<f32>;
@group(0) @binding(4) var linear_sampler: sampler;

// Particle scenes: the compute pass writes `particles`, the particle draw reads `particles_in`.
struct Particle {
    pos: vec2<f32>,
    vel: vec2<f32>,
    color: vec4<f32>,
};
@group(1) @binding(0) var<storage, read_write> particles: array<Particle>;
@group(1) @binding(1) var<storage, read> particles_in: array<Particle>;

const PI: f32 = 3.14159265;
const TAU: f32 = 6.2831853;

// User parameter `i` (0..7).
fn param(i: u32) -> f32 {
    return u.params[i / 4u][i % 4u];
}

fn row_lerp(t: texture_2d<f32>, x: f32, row: i32) -> f32 {
    let n = f32(textureDimensions(t).x);
    let p = clamp(x, 0.0, 1.0) * (n - 1.0);
    let i = i32(floor(p));
    let a = textureLoad(t, vec2<i32>(i, row), 0).r;
    let b = textureLoad(t, vec2<i32>(min(i + 1, i32(n) - 1), row), 0).r;
    return mix(a, b, fract(p));
}

// Spectrum level at `x` (0 = 30 Hz, 1 = 12 kHz, log scale), 0..1.
fn spectrum(x: f32) -> f32 {
    return row_lerp(spectrum_tex, x, 0);
}

// The same, smoothed over time.
fn spectrum_smooth(x: f32) -> f32 {
    return row_lerp(spectrum_tex, x, 1);
}

// Waveform sample at `x` (0..1 across the window), -1..1.
fn waveform(x: f32) -> f32 {
    return row_lerp(waveform_tex, x, 0);
}

// The previous frame at `uv`.
fn prev(uv: vec2<f32>) -> vec4<f32> {
    return textureSampleLevel(prev_tex, linear_sampler, uv, 0.0);
}

// Centred coordinates: y up, -1..1 vertically, aspect-correct horizontally.
fn centred(uv: vec2<f32>) -> vec2<f32> {
    let aspect = u.resolution.x / max(u.resolution.y, 1.0);
    return vec2<f32>((uv.x * 2.0 - 1.0) * aspect, 1.0 - uv.y * 2.0);
}

fn rot2(a: f32) -> mat2x2<f32> {
    let c = cos(a);
    let s = sin(a);
    return mat2x2<f32>(c, s, -s, c);
}

fn hash11(p: f32) -> f32 {
    var x = fract(p * 0.1031);
    x *= x + 33.33;
    x *= x + x;
    return fract(x);
}

fn hash21(p: vec2<f32>) -> f32 {
    var q = fract(vec3<f32>(p.xyx) * 0.1031);
    q += dot(q, q.yzx + 33.33);
    return fract((q.x + q.y) * q.z);
}

fn hsv2rgb(c: vec3<f32>) -> vec3<f32> {
    let k = vec4<f32>(1.0, 2.0 / 3.0, 1.0 / 3.0, 3.0);
    let p = abs(fract(c.xxx + k.xyz) * 6.0 - k.www);
    return c.z * mix(k.xxx, clamp(p - k.xxx, vec3<f32>(0.0), vec3<f32>(1.0)), c.y);
}

// A cosine palette (Inigo Quilez's form): t in 0..1 cycles through warm and cool colours.
fn palette(t: f32) -> vec3<f32> {
    return 0.5 + 0.5 * cos(TAU * (vec3<f32>(1.0, 1.0, 1.0) * t + vec3<f32>(0.0, 0.33, 0.67)));
}

// The corner of a particle's quad for vertex `v` (0..5), -1..1.
fn quad_corner(v: u32) -> vec2<f32> {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0),
    );
    return corners[v % 6u];
}
