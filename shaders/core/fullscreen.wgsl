// The full-screen triangle every pass draws with (prepended to the prelude, the post pass and
// the keystone pass).

struct FullscreenOut {
    @builtin(position) position: vec4<f32>,
    // 0..1 across the output, y down.
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_fullscreen(@builtin(vertex_index) i: u32) -> FullscreenOut {
    let p = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
    var out: FullscreenOut;
    out.position = vec4<f32>(p * 2.0 - 1.0, 0.0, 1.0);
    out.uv = vec2<f32>(p.x, 1.0 - p.y);
    return out;
}
