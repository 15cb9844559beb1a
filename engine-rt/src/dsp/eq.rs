//! Three-band DJ isolator EQ. Linkwitz-Riley (4th order) crossovers split the signal into
//! bands that sum back flat, so a kill removes its band completely and 0 dB is transparent.

use super::smooth::Smoothed;
use super::svf::{Svf, SvfCoefs};
use super::{GROUP_CHUNK as CHUNK, GROUP_LANES as S, Members, in_lanes};

/// Crossover between low and mid in Hz (as on common DJ mixers).
pub const LOW_MID_HZ: f32 = 250.0;
/// Crossover between mid and high in Hz.
pub const MID_HIGH_HZ: f32 = 2_500.0;

const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Lanes of a paired section for a whole group: its first section for every deck in lanes
/// `0..S`, its second in `S..2S` (deck `g` at `2g` in each half), so handing a band from one
/// step to the next moves whole halves.
const Q: usize = 2 * S;

/// All filter state of one isolator (`State<2, 4>`: lanes 0-1 the first section of a pair,
/// 2-3 the second) or of a group of them (`State<S, Q>`); `Copy` so a run works on a local
/// copy held in registers instead of going through memory every sample.
///
/// The isolator is two Linkwitz-Riley 4 crossovers (a 2nd-order split, then a second low-pass
/// on the low side and a second high-pass on the high side) and an all-pass that gives the low
/// band the mid/high split's phase. Sections with equal coefficients and no dependency between
/// them run side by side: seven stereo sections in four steps.
#[derive(Debug, Clone, Copy, Default)]
struct State<const STEREO: usize, const PAIR: usize> {
    /// Low/mid split, first section.
    low_mid_first: Svf<STEREO>,
    /// Low/mid split, second sections: low-pass of the low side, then high-pass of the rest.
    low_mid_second: Svf<PAIR>,
    /// Mid/high split, first section, then the low band's all-pass.
    mid_high_first_and_align: Svf<PAIR>,
    /// Mid/high split, second sections: mid, then high.
    mid_high_second: Svf<PAIR>,
}

/// One deck's isolator state.
type DeckState = State<2, 4>;

/// Two halves side by side.
#[inline(always)]
fn halves(first: [f32; S], second: [f32; S]) -> [f32; Q] {
    std::array::from_fn(|l| if l < S { first[l] } else { second[l - S] })
}

/// The first half of a paired section's lanes.
#[inline(always)]
fn first(x: [f32; Q]) -> [f32; S] {
    std::array::from_fn(|l| x[l])
}

/// The second half of a paired section's lanes.
#[inline(always)]
fn second(x: [f32; Q]) -> [f32; S] {
    std::array::from_fn(|l| x[S + l])
}

impl State<S, Q> {
    /// The paired sections of the group and of deck state `d`, matched.
    fn pairs<'a>(&'a mut self, d: &'a mut DeckState) -> [(&'a mut Svf<Q>, &'a mut Svf<4>); 3] {
        [
            (&mut self.low_mid_second, &mut d.low_mid_second),
            (&mut self.mid_high_first_and_align, &mut d.mid_high_first_and_align),
            (&mut self.mid_high_second, &mut d.mid_high_second),
        ]
    }

    /// Puts deck `g`'s state into its lanes.
    fn put(&mut self, g: usize, mut d: DeckState) {
        self.low_mid_first.set_lanes(2 * g, &d.low_mid_first);
        for (group, deck) in self.pairs(&mut d) {
            group.set_lanes(2 * g, &deck.lanes::<2>(0));
            group.set_lanes(S + 2 * g, &deck.lanes::<2>(2));
        }
    }

    /// Deck `g`'s state, taken from its lanes.
    fn get(&mut self, g: usize) -> DeckState {
        let mut d = DeckState {
            low_mid_first: self.low_mid_first.lanes(2 * g),
            ..DeckState::default()
        };
        for (group, deck) in self.pairs(&mut d) {
            deck.set_lanes(0, &group.lanes::<2>(2 * g));
            deck.set_lanes(2, &group.lanes::<2>(S + 2 * g));
        }
        d
    }

    /// Filters a run of frames of every deck in place (`x[i]` is frame `i` of all of them),
    /// weighting the low, mid and high bands in lane `l` at frame `i` by `gain[i][band][l]`
    /// (or by `gain[0]` throughout when it holds one row).
    /// Every stage's recurrence runs over the whole run before the next starts, so the four
    /// dependency chains of a frame no longer wait on each other. Each lane sees exactly the
    /// arithmetic of one deck filtered on its own, frame by frame.
    #[inline(always)]
    fn run(&mut self, c_low: &SvfCoefs, c_high: &SvfCoefs, x: &mut [[f32; S]], gain: &[[[f32; S]; 3]]) {
        let n = x.len();
        let mut a = [[0.0f32; Q]; CHUNK];
        let mut low = [[0.0f32; S]; CHUNK];
        for (x, a) in x.iter().zip(a.iter_mut()) {
            let o = self.low_mid_first.tick(c_low, *x);
            *a = halves(o.low, o.high);
        }
        for (a, low) in a[..n].iter_mut().zip(low.iter_mut()) {
            let s = self.low_mid_second.tick(c_low, *a);
            *low = first(s.low);
            *a = halves(second(s.high), *low);
        }
        let k2 = 2.0 * c_high.k();
        for (a, low) in a[..n].iter_mut().zip(low.iter_mut()) {
            let t = self.mid_high_first_and_align.tick(c_high, *a);
            for (low, align) in low.iter_mut().zip(second(t.band)) {
                *low -= k2 * align;
            }
            *a = halves(first(t.low), first(t.high));
        }
        for (((x, a), low), gain) in x.iter_mut().zip(a.iter()).zip(low.iter()).zip(gain.iter().cycle()) {
            let u = self.mid_high_second.tick(c_high, *a);
            let (mid, high) = (first(u.low), second(u.high));
            for l in 0..S {
                x[l] = low[l] * gain[0][l] + mid[l] * gain[1][l] + high[l] * gain[2][l];
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

    /// Sets a band's gain in dB (held to [`crate::ranges::EQ_DB`]), ramped over `ramp_frames`.
    pub fn set_db(&mut self, band: usize, db: f32, ramp_frames: u32) {
        self.db[band] = crate::ranges::EQ_DB.hold_f32(db);
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

    /// Processes up to [`GROUP`](super::GROUP) decks' buffers of stereo frames in place, side
    /// by side. All buffers have the same length; missing members cost what silence does.
    pub fn process_group(mut members: Members<'_, Eq3>) {
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
                st.put(g, eq.state);
            }
        }
        let mut gain = [[[0.0f32; S]; 3]; CHUNK];
        in_lanes(&mut members, n, |members, x| {
            // Settled gains are one row for the whole run.
            let moving = members
                .iter()
                .flatten()
                .any(|(eq, _)| eq.gains.iter().any(Smoothed::is_moving));
            let rows = if moving { x.len() } else { 1 };
            for (g, m) in members.iter_mut().enumerate() {
                if let Some((eq, _)) = m {
                    eq.gains_into(&mut gain[..rows], g);
                }
            }
            run_group(&mut st, &c_low, &c_high, x, &gain[..rows]);
        });
        for (g, m) in members.iter_mut().enumerate() {
            if let Some((eq, _)) = m {
                eq.state = st.get(g);
            }
        }
    }

    /// The band gains of the next frames into deck `g`'s lanes of `gain[i][band]`.
    fn gains_into(&mut self, gain: &mut [[[f32; S]; 3]], g: usize) {
        let moving = self.gains.iter().any(Smoothed::is_moving);
        for k in gain.iter_mut() {
            for (band, s) in k.iter_mut().zip(self.gains.iter_mut()) {
                let v = if moving { s.tick() } else { s.value() };
                band[2 * g..2 * g + 2].fill(v);
            }
        }
    }
}

super::wide_kernel! {
    /// [`State::run`] for a whole group, with AVX where the CPU has it.
    fn run_group(st: &mut State<S, Q>, c_low: &SvfCoefs, c_high: &SvfCoefs, x: &mut [[f32; S]], gain: &[[[f32; S]; 3]]) {
        st.run(c_low, c_high, x, gain)
    }
}
