/* phosphene
(
    name: "Tunnel",
    description: "Flying down a ringed tunnel: bass pushes the speed, hits flash the rings, the bar turns it.",
    params: [
        (name: "speed", min: 0.0, max: 4.0, default: 1.0),
        (name: "twist", min: -2.0, max: 2.0, default: 0.4),
        (name: "rings", min: 2.0, max: 24.0, default: 8.0),
        (name: "hue", min: 0.0, max: 1.0, default: 0.6),
    ],
)
*/

@fragment
fn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {
    let p = centred(in.uv);
    let r = max(length(p), 1e-3);
    let a = atan2(p.y, p.x);
    let depth = 1.0 / r;
    let travel = u.time * param(0) * (0.6 + 1.5 * u.smoothed.x);
    let z = depth + travel;
    let turn = a + param(1) * depth + TAU * u.bar_phase * 0.25;
    let rings = 0.5 + 0.5 * cos(TAU * z * param(2) * 0.25);
    let ribs = 0.5 + 0.5 * cos(turn * 6.0 + z * 2.0);
    let band = spectrum_smooth(fract(turn / TAU));
    var glow = pow(rings, 6.0) * (0.4 + 1.6 * u.decays.x) + 0.35 * pow(ribs, 8.0) * (0.3 + band);
    glow *= smoothstep(0.0, 0.35, r);
    let hue = param(3) + 0.1 * z * 0.1 + 0.15 * u.smoothed.y;
    let colour = hsv2rgb(vec3<f32>(fract(hue), 0.75, 1.0)) * glow;
    let fog = exp(-0.08 * depth);
    return vec4<f32>(colour * fog + u.decays.w * 0.08, 1.0);
}
