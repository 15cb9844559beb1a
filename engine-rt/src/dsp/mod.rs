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
pub mod ftz;
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

#[cfg(test)]
mod tests {
    use super::eq::Eq3;
    use super::filter::DjFilter;
    use super::*;

    const RATE: u32 = 48_000;

    /// Deck `d`'s strip: EQ and filter set differently for every deck, some of them moving.
    fn strip(d: usize) -> (Eq3, DjFilter) {
        // Short glides, so most blocks find the controls settled and run in lanes.
        let (mut eq, mut filter) = (Eq3::new(RATE, 0.05), DjFilter::new(RATE, 0.05));
        match d {
            0 => {
                eq.set_db(0, -26.0, 0);
                eq.set_kill(1, true);
                filter.set_knob(-0.5, 0);
            }
            1 => {
                eq.set_db(2, 6.0, 700);
                filter.set_knob(0.6, 900);
            }
            2 => {}
            _ => {
                eq.set_db(1, -12.0, 0);
                filter.set_knob(-0.9, 0);
                filter.set_resonance(1.0, 0);
            }
        }
        (eq, filter)
    }

    /// A different mix of tones and noise for every deck.
    fn signal(d: usize, n: usize) -> Vec<[f32; 2]> {
        let mut s = 7 + d as u32;
        (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let t = i as f32 / RATE as f32;
                let tone = (t * 110.0 * (d + 1) as f32 * std::f32::consts::TAU).sin() * 0.5;
                let noise = (s as f32 / u32::MAX as f32 - 0.5) * 0.3;
                [tone + noise, tone - noise]
            })
            .collect()
    }

    /// Runs the strips over `bufs` in blocks of `block` frames, `group` decks at a time.
    fn render(strips: &mut [(Eq3, DjFilter)], bufs: &mut [Vec<[f32; 2]>], group: usize, block: usize) {
        let n = bufs[0].len();
        for start in (0..n).step_by(block) {
            let run = start..(start + block).min(n);
            for (strips, bufs) in strips.chunks_mut(group).zip(bufs.chunks_mut(group)) {
                let mut eqs = strips
                    .iter_mut()
                    .zip(bufs.iter_mut())
                    .map(|((eq, _), buf)| (eq, &mut buf[run.clone()]));
                Eq3::process_group(std::array::from_fn(|_| eqs.next()));
                let mut filters = strips
                    .iter_mut()
                    .zip(bufs.iter_mut())
                    .map(|((_, filter), buf)| (filter, &mut buf[run.clone()]));
                DjFilter::process_group(std::array::from_fn(|_| filters.next()));
            }
        }
    }

    /// Four decks set differently (a kill, a ramp, a bypass, a resonant sweep) give the same bits
    /// in one group as each alone, over blocks that end mid-run.
    #[test]
    fn grouped_decks_equal_decks_alone() {
        let n = 3_000;
        let mut grouped: Vec<_> = (0..GROUP).map(|d| signal(d, n)).collect();
        let mut alone = grouped.clone();
        render(&mut (0..GROUP).map(strip).collect::<Vec<_>>(), &mut grouped, GROUP, 300);
        render(&mut (0..GROUP).map(strip).collect::<Vec<_>>(), &mut alone, 1, 300);
        for (d, (g, a)) in grouped.iter().zip(&alone).enumerate() {
            let same = g
                .iter()
                .flatten()
                .zip(a.iter().flatten())
                .all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "deck {d} differs between its group and alone");
        }
        let input = signal(0, n);
        assert!(
            grouped[0].iter().zip(&input).any(|(y, x)| y != x),
            "the strips changed nothing"
        );
    }
}
