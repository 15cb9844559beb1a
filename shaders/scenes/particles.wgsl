/* phosphene
(
    name: "Particle field",
    description: "Sixteen thousand particles simulated by a compute pass: they orbit the centre, bass hits blast them outwards, highs make them sparkle.",
    params: [
        (name: "swirl", min: 0.0, max: 3.0, default: 1.0),
        (name: "blast", min: 0.0, max: 4.0, default: 1.5),
        (name: "size", min: 0.5, max: 6.0, default: 2.0),
        (name: "trails", min: 0.0, max: 0.95, default: 0.5),
        (name: "hue", min: 0.0, max: 1.0, default: 0.08),
    ],
    particles: 16384,
)
*/

@compute @workgroup_size(64)
fn cs_main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= arrayLength(&particles) {
        return;
    }
    var p = particles[i];
    let seed = f32(i) * 1.618 + floor(u.time * 0.5) * 7.0;
    if p.color.a <= 0.0 || length(p.pos) > 2.5 {
        // (Re)spawn on a ring round the centre, with a life of a few seconds.
        let a = hash11(seed) * TAU;
        let r = 0.1 + 1.4 * sqrt(hash11(seed + 3.1));
        p.pos = vec2<f32>(cos(a), sin(a)) * r;
        p.vel = vec2<f32>(0.0);
        p.color = vec4<f32>(fract(param(4) + 0.2 * hash11(seed + 5.7)), 0.0, 0.0, 2.0 + 4.0 * hash11(seed + 9.2));
    }
    let dt = min(u.delta, 0.1);
    let r = max(length(p.pos), 0.05);
    let out_dir = p.pos / r;
    let tangent = vec2<f32>(-out_dir.y, out_dir.x);
    var force = tangent * param(0) * (0.4 + u.smoothed.y) - out_dir * 0.3 * (r - 0.9);
    force += out_dir * param(1) * u.hits.x * 3.0 / max(u.delta, 0.004) * 0.02;
    p.vel = p.vel * 0.96 + force * dt;
    p.pos += p.vel * dt;
    p.color.y = u.decays.z * hash11(seed + u.frame);
    p.color.a -= dt;
    particles[i] = p;
}

struct ParticleOut {
    @builtin(position) position: vec4<f32>,
    @location(0) local: vec2<f32>,
    @location(1) colour: vec3<f32>,
};

@vertex
fn vs_particle(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> ParticleOut {
    let p = particles_in[i];
    let corner = quad_corner(v);
    let aspect = u.resolution.x / max(u.resolution.y, 1.0);
    // Half-size in pixels, then in clip space along each axis.
    let size = param(2) * (1.0 + 2.0 * p.color.y);
    var out: ParticleOut;
    out.position = vec4<f32>(
        p.pos.x / aspect + corner.x * size * 2.0 / u.resolution.x,
        p.pos.y + corner.y * size * 2.0 / u.resolution.y,
        0.0,
        1.0,
    );
    out.local = corner;
    let speed = length(p.vel);
    // Sixteen thousand additive sprites: each one faint, so only crowds and sparkles shine.
    out.colour = hsv2rgb(vec3<f32>(p.color.x + speed * 0.2, 0.7 - 0.5 * p.color.y, 1.0)) * min(p.color.a, 1.0) * (0.012 + 0.03 * u.smoothed.w + 0.25 * p.color.y);
    return out;
}

@fragment
fn fs_particle(in: ParticleOut) -> @location(0) vec4<f32> {
    let fall = max(0.0, 1.0 - dot(in.local, in.local));
    return vec4<f32>(in.colour * fall, 1.0);
}

// The background under the particles: the last frame, fading.
@fragment
fn fs_main(in: FullscreenOut) -> @location(0) vec4<f32> {
    return vec4<f32>(prev(in.uv).rgb * param(3), 1.0);
}
