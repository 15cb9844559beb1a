/* phosphene
(
    name: "Feedback trails",
    description: "Shapes thrown on every hit, smeared by zooming, rotating feedback of the last frame.",
    params: [
        (name: "feedback", min: 0.5, max: 0.99, default: 0.92),
        (name: "zoom", min: 0.9, max: 1.1, default: 1.02),
        (name: "rotate", min: -0.1, max: 0.1, default: 0.015),
        (name: "shape size", min: 0.05, max: 0.6, default: 0.25),
        (name: "hue drift", min: 0.0, max: 0.2, default: 0.03),
    ],
)
*/

@fragment
fn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {
    // Feedback: sample the last frame zoomed and rotated about the centre, hue-shifted.
    let aspect = u.resolution.x / max(u.resolution.y, 1.0);
    var q = (in.uv - 0.5) * vec2<f32>(aspect, 1.0);
    q = rot2(param(2) * (1.0 + u.smoothed.y)) * q / (param(1) + 0.02 * u.smoothed.x);
    let back = prev(q / vec2<f32>(aspect, 1.0) + 0.5).rgb;
    let drift = param(4);
    var c = back.gbr * drift + back * (1.0 - drift);
    c *= param(0);
    // New shapes: a ring on bass hits, a square on mid hits, and a dot following the level.
    let p = centred(in.uv);
    let size = param(3);
    let ring = smoothstep(0.02, 0.0, abs(length(p) - size * (1.0 + u.decays.x))) * u.decays.x;
    let rp = rot2(u.beat * 0.25) * p;
    let box = max(abs(rp.x), abs(rp.y));
    let square = smoothstep(0.015, 0.0, abs(box - size * 0.6)) * u.decays.y;
    let orbit = vec2<f32>(cos(u.beat * PI * 0.5), sin(u.beat * PI * 0.5)) * 0.6;
    let dot_ = smoothstep(0.05 + 0.1 * u.level, 0.0, length(p - orbit)) * u.level;
    c += palette(u.time * 0.1) * ring + palette(u.time * 0.1 + 0.33) * square + palette(u.time * 0.1 + 0.66) * dot_;
    return vec4<f32>(min(c, vec3<f32>(4.0)), 1.0);
}
