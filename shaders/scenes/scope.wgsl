/* phosphene
(
    name: "Waveform scope",
    description: "An oscilloscope of the master: a glowing trace, straight or bent into a circle, persistence on the phosphor.",
    params: [
        (name: "gain", min: 0.5, max: 8.0, default: 2.0),
        (name: "circle", min: 0.0, max: 1.0, default: 0.0),
        (name: "persistence", min: 0.0, max: 0.97, default: 0.8),
        (name: "hue", min: 0.0, max: 1.0, default: 0.33),
    ],
)
*/

fn trace_distance(p: vec2<f32>) -> f32 {
    // Straight: y = waveform(x); circular: radius = 0.55 + waveform(angle).
    let gain = param(0) * 0.25;
    let straight = abs(p.y - waveform(p.x * 0.5 + 0.5) * gain);
    let a = atan2(p.y, p.x) / TAU + 0.5;
    let radial = abs(length(p) - 0.55 - waveform(a) * gain * 0.5);
    return mix(straight, radial, param(1));
}

@fragment
fn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {
    let p = centred(in.uv) * vec2<f32>(u.resolution.y / u.resolution.x, 1.0);
    let d = trace_distance(p);
    let px = 2.0 / u.resolution.y;
    let core = smoothstep(2.5 * px, 0.0, d);
    let halo = 0.004 / max(d, 0.002) * (0.4 + u.smoothed.w);
    let colour = hsv2rgb(vec3<f32>(fract(param(3) + 0.1 * u.decays.y), 0.6, 1.0));
    let grid = 0.05 * (step(abs(fract(p.x * 4.0 + 0.5) - 0.5), px * 2.0) + step(abs(fract(p.y * 4.0 + 0.5) - 0.5), px * 2.0));
    let old = prev(in.uv).rgb * param(2);
    return vec4<f32>(max(old, colour * (core + halo) + vec3<f32>(0.0, grid, grid * 0.5)), 1.0);
}
