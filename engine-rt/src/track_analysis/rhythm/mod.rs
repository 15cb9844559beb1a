//! Track rhythm analysis: tempo, beat map and downbeats of recorded music.
//!
//! Pipeline (each stage documented in its module):
//! 1. [`onset`]: streaming log-band spectral flux (all bands, low and mid bands apart) at about
//!    100 frames a second; the samples are never stored, so memory grows by a few bytes per
//!    10 ms whatever the sample rate.
//! 2. [`tempo`]: local-mean removal, rectification, local RMS normalisation and a square root
//!    (compressed accents); windowed autocorrelation, salience with bar-level multiples and
//!    sub-divisions, a broad tempo prior and a metrical check between octave-related levels →
//!    the global tempo and a periodicity strength.
//! 3. [`beats`]: Viterbi over (beat frame, beat interval) that pays for interval changes →
//!    beat map following tempo drift, of the compressed and plain envelopes' maps the one
//!    that holds a steadier grid, the low band deciding between equals (at slow tempi the pulse at twice the tempo is tracked
//!    and every other pulse kept, the one with the stronger accents); a least-squares grid
//!    through it → `bpm`, `first_beat`, `tempo_varies`; bar phase from low-band onsets and
//!    spectral change at beats.
//!
//! Confidence is the periodicity strength mapped from its pulse-less level (noise, speech)
//! to a clear beat, modulated by how far the tracked beats stand out from the positions
//! half-way between them and shrunk for short inputs; below [`NO_PULSE`] no grid is returned.
//!
//! Memory: about 22 bytes of features per 10 ms frame while streaming (≈ 24 MB for 3 hours),
//! plus at `finish` the Viterbi back-pointers (one byte per frame and tempo state, ≈ 35-75 MB
//! for 3 hours); a streamed 3-hour file peaks at about 75 MB RSS.

pub mod beats;
pub mod onset;
pub mod tempo;

/// Below this confidence the input is taken to have no pulse and `finish` returns `None`.
pub const NO_PULSE: f64 = 0.1;
/// Periodicity strength of pulse-less input (noise, speech measure 0.04-0.06).
const STRENGTH_FLOOR: f64 = 0.07;
/// Strength above the floor that counts as a fully clear pulse.
const STRENGTH_SPAN: f64 = 0.35;
/// Shortest input analysed, seconds: below this no tempo can be told.
const MIN_SECONDS: f64 = 2.5;
/// Where the flux peak sits relative to the window centre for a sharp attack, seconds
/// (measured on clicks and kicks; the log compression makes the flux rise while the attack
/// is still entering the window).
const ONSET_LATENCY: f64 = 0.0;

/// Streaming rhythm analyser: `push` mono samples in chunks of any size, then `finish`.
pub struct RhythmAnalyser {
    front: onset::Frontend,
}

/// Rhythm of a track.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rhythm {
    /// Main tempo in beats per minute, 60..=200 (the constant grid's tempo).
    pub bpm: f64,
    /// Seconds: the earliest line >= 0 of the constant grid that best fits the beats.
    pub first_beat: f64,
    /// 0..1: how clearly the music has this pulse (low values are reported, not hidden).
    pub confidence: f64,
    /// Tracked beat times in seconds (a beat map: follows tempo changes).
    pub beats: Vec<f64>,
    /// 3 or 4 (4 when unsure).
    pub beats_per_bar: u32,
    /// Index into `beats` of the first downbeat.
    pub downbeat: usize,
    /// Stretches (start, end in seconds) where the tracked beats lie more than an eighth of a
    /// beat from the constant grid: the deck's grid is approximate there.
    #[serde(default)]
    pub off_grid: Vec<(f64, f64)>,
    /// Whether the tempo varies: some stretches of 16 beats run more than 1 % off the track's
    /// tempo ([`beats::drifts`]).
    pub tempo_varies: bool,
}

/// A grid line this close before the start (seconds) is taken to be at the start.
const START_SLACK: f64 = 0.025;

impl Rhythm {
    /// The first downbeat at or after the start on the constant grid: the grid line of
    /// [`Rhythm::first_beat`] moved on by whole beats to the bar phase of the tracked downbeat.
    pub fn first_downbeat(&self) -> f64 {
        let period = 60.0 / self.bpm;
        let Some(&down) = self.beats.get(self.downbeat) else {
            return self.first_beat;
        };
        let bar = self.beats_per_bar.max(1) as f64;
        let k = ((down - self.first_beat) / period).round().rem_euclid(bar);
        // A downbeat a hair before the start (the fit's rounding) is the start.
        let mut at = self.first_beat + k * period;
        while at - bar * period >= -START_SLACK {
            at -= bar * period;
        }
        at.max(0.0)
    }
}

impl RhythmAnalyser {
    /// An analyser for mono input at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        RhythmAnalyser {
            front: onset::Frontend::new(sample_rate),
        }
    }

    /// Feeds samples; work is proportional to the chunk. Non-finite samples count as silence.
    pub fn push(&mut self, mono: &[f32]) {
        self.front.push(mono);
    }

    /// Analyses what was pushed: `None` when there is no pulse (silence, noise, speech) or
    /// the input is too short.
    pub fn finish(self) -> Option<Rhythm> {
        analyse(&self.front.feats)
    }
}

/// The largest value of `env` within `reach` frames of frame `x` (beats and onsets are a frame
/// or so apart once refined to peaks); 0 outside the envelope.
fn peak_near(env: &[f32], x: f64, reach: usize) -> f64 {
    let c = x.round().max(0.0) as usize;
    (c.saturating_sub(reach)..(c + reach + 1).min(env.len()))
        .map(|i| env[i])
        .fold(0.0f32, f32::max) as f64
}

/// Mean of `env` at the frames `at` ([`peak_near`] by one frame); 0 for none.
fn mean_at(env: &[f32], at: &[f64]) -> f64 {
    if at.is_empty() {
        0.0
    } else {
        at.iter().map(|&x| peak_near(env, x, 1)).sum::<f64>() / at.len() as f64
    }
}

/// The analysis proper, on extracted features.
pub fn analyse(f: &onset::Features) -> Option<Rhythm> {
    let fps = f.fps;
    let n = f.flux.len();
    if fps.is_nan() || fps <= 0.0 || (n as f64) < MIN_SECONDS * fps {
        return None;
    }
    let env = tempo::condition(&f.flux, fps);
    let max_lag = ((60.0 / tempo::MIN_BPM * 4.2 * fps) as usize).min(n);
    // The tempo search sees the square root of the envelope: a pulse is about onsets being
    // there, and compressing accents keeps a loud kick every other beat from making the bar
    // look like the beat (kick / snare alternation read at half tempo).
    let tenv: Vec<f32> = env.iter().map(|&x| x.sqrt()).collect();
    let per = tempo::periodicity(&tenv, fps, max_lag);
    let choice = tempo::choose_tempo(&per, fps)?;
    // Beats are tracked twice: on the compressed envelope, where the phase that catches the most
    // onsets wins over one that catches a few loud hits, and on the plain one, where loud hits
    // (the kick, the snare) count fully. The map that holds a steady grid where the other slips
    // is kept (with even eighths a tracker can drift onto the off-beats half-way through): letting
    // the low band choose first moved more tracks off the beat than onto it, as it also sounds
    // between the beats (syncopated kicks, bass lines). Where both hold the grid alike (a
    // steady track, the two a half beat apart or not), the low band decides: kick and bass mark
    // the beat in most music with drums.
    let low = tempo::condition(&f.low_flux, fps);
    let track_at = |period: f64| {
        let [compressed, plain] = [&tenv, &env].map(|e| {
            let mut b = beats::track(e, period);
            beats::trim(&mut b, &f.flux, fps);
            b
        });
        let plain_wins =
            beats::steadier(&plain, &compressed).unwrap_or_else(|| mean_at(&low, &plain) > mean_at(&low, &compressed));
        if plain_wins { plain } else { compressed }
    };
    // At slow tempi the pulse between the beats (hi-hat or melody eighths) is often about as
    // strong as the beat, and a tracker at the beat period settles on either. The pulse at
    // the faster level is unambiguous, so it is tracked there, and which of each two pulses
    // is the beat is a metrical question, settled by accents as the bar phase is.
    let beats = if tempo::has_faster_level(choice.bpm) {
        let pulses = track_at(choice.period / 2.0);
        let mid = tempo::condition(&f.mid_flux, fps);
        let p = beats::beat_phase(
            &pulses,
            &f.low_flux,
            &mid,
            &f.flux,
            &f.profile,
            f.n_bands,
            onset::PROFILE_DECIM,
        );
        pulses.into_iter().skip(p).step_by(2).collect()
    } else {
        track_at(choice.period)
    };
    if beats.len() < 3 {
        return None;
    }
    let (offset, period) = beats::fit_grid(&beats)?;
    // Beat salience: onset strength at the beats against half-way between them.
    let mids: Vec<f64> = beats.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
    let (on, off) = (mean_at(&tenv, &beats), mean_at(&tenv, &mids));
    let contrast = ((on - off) / (on + off + 1e-9)).max(0.0);
    let coverage = (beats.len() as f64 * period / n as f64).min(1.0);
    // Periodicity strength carries the decision: noise and speech stay near 0.04-0.06 (the
    // bias of a maximum over a few lags of 12 s windows), music with a clear beat is 0.3-0.9.
    // The contrast of beats over off-beats only modulates it (speech can show contrast).
    let raw = ((choice.strength - STRENGTH_FLOOR) / STRENGTH_SPAN).clamp(0.0, 1.0) * (0.8 + 0.2 * contrast);
    let duration_factor = ((n as f64 / fps) / 10.0).min(1.0).sqrt();
    let confidence = (raw * duration_factor * coverage.sqrt()).clamp(0.0, 1.0);
    if confidence.is_nan() || confidence < NO_PULSE {
        return None;
    }
    let tempo_varies = beats::drifts(&beats);
    let to_s = |x: f64| f.frame0 + ONSET_LATENCY + x / fps;
    let bpm_grid = 60.0 * fps / period;
    let bpm = if tempo_varies {
        // The grid's tempo is an average; the median interval is the tempo most heard.
        let mut ibi: Vec<f64> = beats.windows(2).map(|w| w[1] - w[0]).collect();
        ibi.sort_by(f64::total_cmp);
        ibi.get(ibi.len() / 2).map_or(bpm_grid, |&m| 60.0 * fps / m)
    } else {
        bpm_grid
    };
    let bpm = bpm.clamp(tempo::MIN_BPM, tempo::MAX_BPM);
    let p_s = period / fps;
    let o_s = to_s(offset);
    let first_beat = o_s - (o_s / p_s).floor() * p_s;
    let (beats_per_bar, downbeat) = beats::downbeats(
        &beats,
        &f.low_flux,
        &f.flux,
        &f.profile,
        f.n_bands,
        onset::PROFILE_DECIM,
    );
    let off_grid = beats::off_grid(&beats, offset, period)
        .into_iter()
        .map(|(a, z)| (to_s(beats[a]).max(0.0), to_s(beats[z]).max(0.0)))
        .collect();
    let beats: Vec<f64> = beats.iter().map(|&b| to_s(b).max(0.0)).collect();
    let ok = bpm.is_finite() && first_beat.is_finite() && beats.iter().all(|b| b.is_finite());
    ok.then_some(Rhythm {
        bpm,
        first_beat: if first_beat >= 0.0 { first_beat } else { 0.0 },
        confidence,
        beats,
        beats_per_bar,
        downbeat,
        off_grid,
        tempo_varies,
    })
}
