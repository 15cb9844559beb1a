//! Sample-by-sample DSP building blocks. Everything here works one frame at a time so that
//! the engine can split blocks anywhere and still produce identical output.

/// Defines a function whose body is compiled twice: with AVX, used where the CPU has it, and
/// for the baseline x86-64 (SSE2) otherwise. Lane-parallel kernels then run on 8-wide vectors.
/// AVX brings no fused multiply-add, so both versions round every operation the same way and
/// give the same bits.
macro_rules! wide_kernel {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx")]
                fn avx($($arg: $ty),*) $body
                if std::arch::is_x86_feature_detected!("avx") {
                    // SAFETY: the CPU was just checked to have AVX.
                    return unsafe { avx($($arg),*) };
                }
            }
            $body
        }
    };
}
pub(crate) use wide_kernel;

pub mod eq;
pub mod filter;
pub mod fx;
pub mod limiter;
pub mod smooth;
pub mod svf;

/// Decks whose strips run side by side: their filter chains are independent, so interleaving
/// them lets the CPU overlap what would otherwise wait on one chain's latency.
pub const GROUP: usize = 4;
/// Lanes of one stereo signal per deck of a group: deck `g` in lanes `2g` and `2g + 1`.
pub const GROUP_LANES: usize = 2 * GROUP;

/// Frames per pass of a group kernel: its lanes stay in a small stack buffer.
pub(crate) const GROUP_CHUNK: usize = 64;

/// The members of a group: each deck's processor of one kind and its buffer.
pub(crate) type Members<'a, T> = [Option<(&'a mut T, &'a mut [svf::Stereo])>; GROUP];

/// Runs `kernel` over the first `n` frames of the members' buffers, [`GROUP_CHUNK`] frames at
/// a time, interleaved into lanes: frame `i` of deck `g` in `x[i][2g..2g + 2]`. Lanes of absent
/// members hold silence. The kernel also gets the members, for what it advances per run.
pub(crate) fn in_lanes<T>(
    members: &mut Members<'_, T>,
    n: usize,
    mut kernel: impl FnMut(&mut Members<'_, T>, &mut [[f32; GROUP_LANES]]),
) {
    let mut lanes = [[0.0f32; GROUP_LANES]; GROUP_CHUNK];
    for start in (0..n).step_by(GROUP_CHUNK) {
        let run = start..GROUP_CHUNK.min(n - start) + start;
        let x = &mut lanes[..run.len()];
        for (g, m) in members.iter().enumerate() {
            if let Some((_, buf)) = m {
                for (x, f) in x.iter_mut().zip(&buf[run.clone()]) {
                    x[2 * g..2 * g + 2].copy_from_slice(f);
                }
            }
        }
        kernel(members, x);
        for (g, m) in members.iter_mut().enumerate() {
            if let Some((_, buf)) = m {
                for (x, f) in x.iter().zip(&mut buf[run.clone()]) {
                    f.copy_from_slice(&x[2 * g..2 * g + 2]);
                }
            }
        }
    }
}

/// The larger of `a` and `b` in one instruction (`f32::max` needs several to pass NaN over):
/// a NaN `a` gives `b`. For meters and envelopes, which must stay cheap.
#[inline(always)]
pub fn fast_max(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// The highest absolute sample of `frames`, or `floor` if higher; NaN samples are passed over.
/// Eight running maxima side by side, so the meter does not wait on one chain.
pub fn peak(frames: &[[f32; 2]], floor: f32) -> f32 {
    let mut m = [floor; 8];
    let mut runs = frames.chunks_exact(4);
    for run in &mut runs {
        for (m, x) in m.iter_mut().zip(run.iter().flatten()) {
            *m = fast_max(x.abs(), *m);
        }
    }
    for x in runs.remainder().iter().flatten() {
        m[0] = fast_max(x.abs(), m[0]);
    }
    m.into_iter().fold(floor, |a, b| fast_max(b, a))
}

/// Converts decibels to a linear gain.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// Converts a linear gain to decibels (-inf for 0).
#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    20.0 * gain.log10()
}
