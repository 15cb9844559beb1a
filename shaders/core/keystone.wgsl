// Output pass: draws the composition through the corner-pin keystone (the inverse homography
// maps each output pixel back into the image), with an optional alignment test pattern.

struct Warp {
    // Output position (0..1, y down) to image position, column-major.
    inverse: mat3x3<f32>,
    // x: 1 when the target is an sRGB view (values are decoded so they display unchanged);
    // y: 1 to draw the test pattern; zw: target size in pixels.
    flags: vec4<f32>,
};

@group(0) @binding(0) var<uniform> warp: Warp;
@group(0) @binding(1) var image: texture_2d<f32>;
@group(0) @binding(2) var linear_sampler: sampler;

fn pattern(uv: vec2<f32>, size: vec2<f32>) -> vec3<f32> {
    // A grid of 16 x 9 cells, the centre cross, a circle and numbered-looking corner blocks.
    let px = 1.5 / size;
    let cells = uv * vec2<f32>(16.0, 9.0);
    let grid = fract(cells);
    let line = step(grid.x, px.x * 16.0) + step(grid.y, px.y * 9.0);
    let aspect = size.x / size.y;
    let r = length((uv - 0.5) * vec2<f32>(aspect, 1.0));
    let circle = step(abs(r - 0.4), px.y * 2.0);
    let cross_ = step(abs(uv.x - 0.5), px.x) + step(abs(uv.y - 0.5), px.y);
    let corner = step(max(min(uv.x, 1.0 - uv.x), min(uv.y, 1.0 - uv.y)) * 16.0, 1.0);
    let checker = f32((i32(floor(cells.x)) + i32(floor(cells.y))) % 2 == 0) * 0.08;
    var c = vec3<f32>(checker) + vec3<f32>(min(line, 1.0) * 0.8);
    c = max(c, vec3<f32>(1.0, 0.9, 0.1) * min(circle + cross_, 1.0));
    c = max(c, vec3<f32>(0.1, 0.8, 1.0) * corner);
    return c;
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

@fragment
fn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {
    let h = warp.inverse * vec3<f32>(in.uv, 1.0);
    let uv = h.xy / h.z;
    var c = vec3<f32>(0.0);
    if all(uv >= vec2<f32>(0.0)) && all(uv <= vec2<f32>(1.0)) && h.z > 0.0 {
        c = clamp(textureSampleLevel(image, linear_sampler, uv, 0.0).rgb, vec3<f32>(0.0), vec3<f32>(1.0));
        // A select, not a branch on the uniform: with a branch here, Mesa's lavapipe (22.3)
        // grew by about 400 KB at every draw of this pass, so a long offline render ran out
        // of memory.
        c = select(c, pattern(uv, warp.flags.zw), warp.flags.y > 0.5);
    }
    if warp.flags.x > 0.5 {
        c = srgb_to_linear(c);
    }
    return vec4<f32>(c, 1.0);
}
