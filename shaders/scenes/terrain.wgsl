/* phosphene
(
    name: "Spectrum terrain",
    description: "The spectrum as a ridge line scrolling into the distance: each frame's spectrum joins the bottom of a landscape.",
    params: [
        (name: "height", min: 0.1, max: 1.0, default: 0.45),
        (name: "scroll", min: 0.0, max: 0.02, default: 0.006),
        (name: "glow", min: 0.0, max: 2.0, default: 1.0),
        (name: "hue", min: 0.0, max: 1.0, default: 0.55),
    ],
)
*/

@fragment
fn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {
    let uv = in.uv;
    // History: the last frame moved up towards the horizon and narrowed, fading as it goes.
    let horizon = 0.3;
    let t = clamp((uv.y - horizon) / (1.0 - horizon), 0.0, 1.0);
    let squeeze = 1.0 + param(1) * 6.0 * (1.0 - t);
    let source = vec2<f32>((uv.x - 0.5) * squeeze + 0.5, uv.y + param(1) * (0.3 + t));
    var c = prev(source).rgb * 0.975;
    if uv.y < horizon {
        c *= 0.0;
    }
    // Today's ridge along the bottom: a bright line over a dim fill, taking the brighter of
    // old and new so the history never piles up.
    let x = abs(uv.x - 0.5) * 2.0;
    let h = spectrum(x) * param(0) * 0.35;
    let ridge = 1.0 - uv.y;
    let line = smoothstep(0.012, 0.0, abs(ridge - h));
    let fill = step(ridge, h) * step(0.0, ridge) * 0.2;
    let colour = hsv2rgb(vec3<f32>(fract(param(3) + x * 0.25 + u.decays.x * 0.1), 0.8, 1.0));
    let fresh = colour * (line * param(2) * (0.6 + 0.6 * u.decays.x) + fill * (0.3 + u.smoothed.w));
    // Only the bottom rows take today's ridge; higher rows are history.
    c = max(c, fresh * step(1.0 - uv.y, 0.36));
    // Sky: a sun that breathes with the bass.
    let sun = smoothstep(0.16 + 0.04 * u.smoothed.x, 0.15, length((uv - vec2<f32>(0.5, horizon - 0.05)) * vec2<f32>(u.resolution.x / u.resolution.y, 1.0)));
    if uv.y < horizon {
        c += vec3<f32>(1.0, 0.45, 0.2) * sun * (0.4 + 0.6 * u.smoothed.w) + vec3<f32>(0.05, 0.02, 0.1) * (1.0 - uv.y / horizon);
    }
    return vec4<f32>(c, 1.0);
}
