// Post pass: the transition between the outgoing and incoming scene, colour grading, feedback,
// strobe and blackout. Renders into the composition the previews and outputs show.

struct Post {
    // Transition progress 0..1 and kind (0 crossfade, 1 wipe left to right).
    mix: f32,
    wipe: f32,
    // White flash added now (0..1), and how far towards black (0..1).
    strobe: f32,
    blackout: f32,
    // Grading: gain, contrast around mid-grey, saturation, hue rotation in turns.
    brightness: f32,
    contrast: f32,
    saturation: f32,
    hue: f32,
    // Share of the last composition kept (max-blend trails) and its zoom per frame.
    feedback: f32,
    feedback_zoom: f32,
    _pad0: f32,
    _pad1: f32,
};

@group(0) @binding(0) var<uniform> post: Post;
@group(0) @binding(1) var scene_a: texture_2d<f32>;
@group(0) @binding(2) var scene_b: texture_2d<f32>;
@group(0) @binding(3) var last: texture_2d<f32>;
@group(0) @binding(4) var linear_sampler: sampler;

fn hue_rotate(c: vec3<f32>, turns: f32) -> vec3<f32> {
    // Rotation about the grey axis.
    let k = vec3<f32>(0.57735);
    let a = turns * 6.2831853;
    let ca = cos(a);
    return c * ca + cross(k, c) * sin(a) + k * dot(k, c) * (1.0 - ca);
}

@fragment
fn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {
    let a = textureSampleLevel(scene_a, linear_sampler, in.uv, 0.0).rgb;
    let b = textureSampleLevel(scene_b, linear_sampler, in.uv, 0.0).rgb;
    let edge = smoothstep(post.mix - 0.01, post.mix + 0.01, in.uv.x);
    let t = mix(post.mix, 1.0 - edge, post.wipe);
    var c = mix(a, b, t);
    c = hue_rotate(c, post.hue);
    let grey = dot(c, vec3<f32>(0.299, 0.587, 0.114));
    c = mix(vec3<f32>(grey), c, post.saturation);
    c = (c - 0.5) * post.contrast + 0.5;
    c = max(c * post.brightness, vec3<f32>(0.0));
    let back = textureSampleLevel(last, linear_sampler, (in.uv - 0.5) / post.feedback_zoom + 0.5, 0.0).rgb;
    c = max(c, back * post.feedback);
    c += vec3<f32>(post.strobe);
    c *= 1.0 - post.blackout;
    return vec4<f32>(c, 1.0);
}
