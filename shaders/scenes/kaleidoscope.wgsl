/* phosphene
(
    name: "Kaleidoscope",
    description: "Mirrored slices of a spectrum-driven pattern; mids rotate it, hits add segments.",
    params: [
        (name: "segments", min: 3.0, max: 16.0, default: 6.0),
        (name: "zoom", min: 0.5, max: 4.0, default: 1.5),
        (name: "spin", min: -1.0, max: 1.0, default: 0.2),
        (name: "saturation", min: 0.0, max: 1.0, default: 0.8),
    ],
)
*/

@fragment
fn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {
    var p = centred(in.uv) * param(1);
    let n = floor(param(0)) + floor(u.decays.x * 2.0);
    let slice = TAU / n;
    var a = atan2(p.y, p.x) + u.time * param(2) + u.smoothed.y * 0.5;
    let r = length(p);
    a = abs(fract(a / slice + 0.5) - 0.5) * slice;
    p = vec2<f32>(cos(a), sin(a)) * r;
    var c = vec3<f32>(0.0);
    for (var i = 0; i < 4; i++) {
        let fi = f32(i);
        p = abs(p * rot2(0.6 + 0.2 * fi + u.beat_phase * 0.1)) - vec2<f32>(0.35 + 0.15 * u.smoothed.x, 0.2);
        let d = length(p);
        let level = spectrum_smooth(fract(d * 0.5 + fi * 0.21));
        c += palette(d * 0.3 + fi * 0.17 + u.time * 0.05) * (0.012 + 0.04 * level) / max(abs(d - 0.3 * level), 0.01);
    }
    let grey = dot(c, vec3<f32>(0.299, 0.587, 0.114));
    c = mix(vec3<f32>(grey), c, param(3));
    return vec4<f32>(c * (0.35 + 0.9 * u.smoothed.w) * (1.0 + 0.6 * u.decays.w), 1.0);
}
