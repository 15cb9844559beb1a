//! Three-band DJ isolator EQ. Linkwitz-Riley (4th order) crossovers split the signal into
//! bands that sum back flat, so a kill removes its band completely and 0 dB is transparent.

use super::smooth::Smoothed;
use super::svf::{Stereo, Svf, SvfCoefs};
use super::{GROUP, GROUP_CHUNK as CHUNK, GROUP_LANES as S, deinterleave, interleave};

/// Crossover between low and mid in Hz (as on common DJ mixers).
pub const LOW_MID_HZ: f32 = 250.0;
/// Crossover between mid and high in Hz.
pub const MID_HIGH_HZ: f32 = 2_500.0;
/// Lowest band gain short of a kill, in dB.
pub const MIN_DB: f32 = -26.0;
/// Highest band boost in dB.
pub const MAX_DB: f32 = 6.0;

const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Lanes of a paired section for a whole group (deck `g` in lanes `4g..4g + 4`).
const Q: usize = 4 * GROUP;

/// All filter state of one isolator (`State<2, 4>`) or of a group of them (`State<S, Q>`,
/// lanes of deck `g` at `2g` and `4g`); `Copy` so a run works on a local copy held in
/// registers instead of going through memory every sample.
///
/// The isolator is two Linkwitz-Riley 4 crossovers (a 2nd-order split, then a second low-pass
/// on the low side and a second high-pass on the high side) and an all-pass that gives the low
/// band the mid/high split's phase. Sections with equal coefficients and no dependency between
/// them run side by side: seven stereo sections in four steps.
#[derive(Debug, Clone, Copy, Default)]
struct State<const S: usize, const Q: usize> {
    /// Low/mid split, first section.
    low_mid_first: Svf<S>,
    /// Low/mid split, second sections: low-pass of the low side (lanes 0-1), high-pass of the
    /// rest (lanes 2-3).
    low_mid_second: Svf<Q>,
    /// Mid/high split, first section (lanes 0-1), beside the low band's all-pass (lanes 2-3).
    mid_high_first_and_align: Svf<Q>,
    /// Mid/high split, second sections: mid (lanes 0-1), high (lanes 2-3).
    mid_high_second: Svf<Q>,
}

/// One deck's isolator state.
type DeckState = State<2, 4>;

impl State<S, Q> {
    /// Puts deck `g`'s state into its lanes.
    fn put(&mut self, g: usize, d: &DeckState) {
        self.low_mid_first.set_lanes(2 * g, &d.low_mid_first);
        self.low_mid_second.set_lanes(4 * g, &d.low_mid_second);
        self.mid_high_first_and_align
            .set_lanes(4 * g, &d.mid_high_first_and_align);
        self.mid_high_second.set_lanes(4 * g, &d.mid_high_second);
    }

    /// Deck `g`'s state, taken from its lanes.
    fn get(&self, g: usize) -> DeckState {
        State {
            low_mid_first: self.low_mid_first.lanes(2 * g),
            low_mid_second: self.low_mid_second.lanes(4 * g),
            mid_high_first_and_align: self.mid_high_first_and_align.lanes(4 * g),
            mid_high_second: self.mid_high_second.lanes(4 * g),
        }
    }

    /// Filters a run of frames of every deck in place (`x[i]` is frame `i` of all of them),
    /// weighting the bands of deck `g` at frame `i` by `gain[i][g]`. Every stage's recurrence
    /// runs over the whole run before the next starts, so the four dependency chains of a
    /// frame no longer wait on each other. Each lane sees exactly the arithmetic of one deck
    /// filtered on its own, frame by frame.
    #[inline(always)]
    fn run(&mut self, c_low: &SvfCoefs, c_high: &SvfCoefs, x: &mut [[f32; S]], gain: &[[[f32; 3]; GROUP]]) {
        let n = x.len();
        let mut a = [[0.0f32; Q]; CHUNK];
        let mut low = [[0.0f32; S]; CHUNK];
        for (x, a) in x.iter().zip(a.iter_mut()) {
            let o = self.low_mid_first.tick(c_low, *x);
            for g in 0..GROUP {
                for c in 0..2 {
                    a[4 * g + c] = o.low[2 * g + c];
                    a[4 * g + 2 + c] = o.high[2 * g + c];
                }
            }
        }
        for (a, low) in a[..n].iter_mut().zip(low.iter_mut()) {
            let s = self.low_mid_second.tick(c_low, *a);
            for g in 0..GROUP {
                for c in 0..2 {
                    low[2 * g + c] = s.low[4 * g + c];
                    a[4 * g + c] = s.high[4 * g + 2 + c];
                    a[4 * g + 2 + c] = low[2 * g + c];
                }
            }
        }
        let k2 = 2.0 * c_high.k();
        for (a, low) in a[..n].iter_mut().zip(low.iter_mut()) {
            let t = self.mid_high_first_and_align.tick(c_high, *a);
            for g in 0..GROUP {
                for c in 0..2 {
                    low[2 * g + c] -= k2 * t.band[4 * g + 2 + c];
                    a[4 * g + c] = t.low[4 * g + c];
                    a[4 * g + 2 + c] = t.high[4 * g + c];
                }
            }
        }
        for (((x, a), low), gain) in x.iter_mut().zip(a.iter()).zip(low.iter()).zip(gain) {
            let u = self.mid_high_second.tick(c_high, *a);
            for g in 0..GROUP {
                let k = gain[g];
                for c in 0..2 {
                    let (mid, high) = (u.low[4 * g + c], u.high[4 * g + 2 + c]);
                    x[2 * g + c] = low[2 * g + c] * k[0] + mid * k[1] + high * k[2];
                }
            }
        }
    }
}

/// Three-band isolator EQ of one deck. Decks are filtered a group at a time
/// ([`Eq3::process_group`]).
#[derive(Debug, Clone)]
pub struct Eq3 {
    c_low: SvfCoefs,
    c_high: SvfCoefs,
    state: DeckState,
    gains: [Smoothed; 3],
    db: [f32; 3],
    kill: [bool; 3],
}

impl Eq3 {
    /// A flat EQ.
    pub fn new(sample_rate: u32, smoothing_ms: f32) -> Self {
        let sr = sample_rate as f32;
        Self {
            c_low: SvfCoefs::new(LOW_MID_HZ, BUTTERWORTH_Q, sr),
            c_high: SvfCoefs::new(MID_HIGH_HZ, BUTTERWORTH_Q, sr),
            state: DeckState::default(),
            gains: std::array::from_fn(|_| Smoothed::new(1.0, smoothing_ms, sample_rate)),
            db: [0.0; 3],
            kill: [false; 3],
        }
    }

    /// Sets a band's gain in dB (clamped to -26..+6), ramped over `ramp_frames`.
    pub fn set_db(&mut self, band: usize, db: f32, ramp_frames: u32) {
        self.db[band] = db.clamp(MIN_DB, MAX_DB);
        self.update(band, ramp_frames);
    }

    /// Kills or restores a band.
    pub fn set_kill(&mut self, band: usize, on: bool) {
        self.kill[band] = on;
        self.update(band, 0);
    }

    fn update(&mut self, band: usize, ramp_frames: u32) {
        let g = if self.kill[band] {
            0.0
        } else {
            super::db_to_gain(self.db[band])
        };
        self.gains[band].set(g, ramp_frames);
    }

    /// Processes up to [`GROUP`] decks' buffers of stereo frames in place, side by side. All
    /// buffers have the same length; missing members cost what silence does.
    pub fn process_group(mut members: [Option<(&mut Eq3, &mut [Stereo])>; GROUP]) {
        // All members share the crossover frequencies.
        let Some((c_low, c_high, n)) = members
            .iter()
            .flatten()
            .map(|(eq, buf)| (eq.c_low, eq.c_high, buf.len()))
            .next()
        else {
            return;
        };
        let mut st = State::<S, Q>::default();
        for (g, m) in members.iter().enumerate() {
            if let Some((eq, _)) = m {
                st.put(g, &eq.state);
            }
        }
        let mut x = [[0.0f32; S]; CHUNK];
        let mut gain = [[[0.0f32; 3]; GROUP]; CHUNK];
        for start in (0..n).step_by(CHUNK) {
            let run = start..CHUNK.min(n - start) + start;
            let len = run.len();
            interleave(
                members.iter().map(|m| m.as_ref().map(|(_, b)| &b[run.clone()])),
                &mut x[..len],
            );
            for (g, m) in members.iter_mut().enumerate() {
                if let Some((eq, _)) = m {
                    eq.gains_into(&mut gain[..len], g);
                }
            }
            run_group(&mut st, &c_low, &c_high, &mut x[..len], &gain[..len]);
            deinterleave(
                &x[..len],
                members.iter_mut().map(|m| m.as_mut().map(|(_, b)| &mut b[run.clone()])),
            );
        }
        for (g, m) in members.iter_mut().enumerate() {
            if let Some((eq, _)) = m {
                eq.state = st.get(g);
            }
        }
    }

    /// The band gains of the next frames into `gain[i][g]`.
    fn gains_into(&mut self, gain: &mut [[[f32; 3]; GROUP]], g: usize) {
        if self.gains.iter().any(Smoothed::is_moving) {
            for k in gain.iter_mut() {
                k[g] = [self.gains[0].tick(), self.gains[1].tick(), self.gains[2].tick()];
            }
        } else {
            let settled = [self.gains[0].value(), self.gains[1].value(), self.gains[2].value()];
            for k in gain.iter_mut() {
                k[g] = settled;
            }
        }
    }
}

super::wide_kernel! {
    /// [`State::run`] for a whole group, with AVX where the CPU has it.
    fn run_group(
        st: &mut State<S, Q>,
        c_low: &SvfCoefs,
        c_high: &SvfCoefs,
        x: &mut [[f32; S]],
        gain: &[[[f32; 3]; GROUP]],
    ) {
        st.run(c_low, c_high, x, gain)
    }
}
