//! Key tests on synthetic chord progressions: additive tones with harmonics, optional drums and
//! noise, any tonic, sample rate and detuning.

use super::*;

/// Small deterministic noise source (xorshift), so tests need no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

struct Song {
    rate: u32,
    /// Chords as MIDI notes, one per `chord_seconds`.
    chords: Vec<Vec<f64>>,
    chord_seconds: f64,
    cents: f64,
    drums: bool,
    noise: f32,
    repeats: usize,
}

/// One period of a tone with `harmonics` partials at 1/h amplitude.
fn table(harmonics: usize) -> Vec<f32> {
    let n = 2048;
    (0..n)
        .map(|i| {
            (1..=harmonics)
                .map(|h| (2.0 * std::f64::consts::PI * (h * i) as f64 / n as f64).sin() / h as f64)
                .sum::<f64>() as f32
                * 0.5
        })
        .collect()
}

fn render(song: &Song) -> Vec<f32> {
    let rate = f64::from(song.rate);
    let seg = (song.chord_seconds * rate) as usize;
    let total = seg * song.chords.len() * song.repeats;
    let mut out = vec![0.0f32; total];
    let tables: Vec<Vec<f32>> = (1..=8).map(table).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (s, chord) in song
        .chords
        .iter()
        .cycle()
        .take(song.chords.len() * song.repeats)
        .enumerate()
    {
        for &note in chord {
            let hz = 440.0 * 2f64.powf((note - 69.0 + song.cents / 100.0) / 12.0);
            // Keep every partial under Nyquist.
            let h = ((0.45 * rate / hz) as usize).clamp(1, 8);
            let t = &tables[h - 1];
            let step = hz * t.len() as f64 / rate;
            let mut phase = 0.0f64;
            for i in 0..seg {
                let env = (i as f64 / (0.01 * rate)).min(1.0) * (-(i as f64) / rate / 3.0).exp();
                out[s * seg + i] += 0.15 * env as f32 * t[phase as usize % t.len()];
                phase += step;
            }
        }
    }
    if song.drums {
        // 120 BPM: kick on every beat, snare on 2 and 4, hats on eighths.
        let beat = (0.5 * rate) as usize;
        let mut b = 0;
        while b * beat < total {
            let start = b * beat;
            let mut phase = 0.0f64;
            for i in 0..(0.25 * rate) as usize {
                let Some(o) = out.get_mut(start + i) else { break };
                let t = i as f64 / rate;
                phase += 2.0 * std::f64::consts::PI * (40.0 + 110.0 * (-t / 0.03).exp()) / rate;
                *o += (0.6 * (-t / 0.08).exp() * phase.sin()) as f32;
            }
            for half in 0..2 {
                let hat = start + half * beat / 2;
                let mut prev = 0.0;
                for i in 0..(0.05 * rate) as usize {
                    let Some(o) = out.get_mut(hat + i) else { break };
                    let x = rng.next();
                    *o += 0.15 * (-(i as f32) / (0.01 * rate as f32)).exp() * (x - prev);
                    prev = x;
                }
            }
            if b % 2 == 1 {
                for i in 0..(0.2 * rate) as usize {
                    let Some(o) = out.get_mut(start + i) else { break };
                    *o += 0.3 * (-(i as f32) / (0.05 * rate as f32)).exp() * rng.next();
                }
            }
            b += 1;
        }
    }
    if song.noise > 0.0 {
        for o in &mut out {
            *o += song.noise * rng.next();
        }
    }
    out
}

fn progression(tonic: u8, minor: bool) -> Vec<Vec<f64>> {
    // Tonic between G3 and F#4; bass two octaves under each chord root.
    let t = 55.0 + f64::from((tonic + 5) % 12);
    let third = if minor { 3.0 } else { 4.0 };
    let triads = [
        [0.0, third, 7.0],
        [5.0, 5.0 + if minor { 3.0 } else { 4.0 }, 12.0],
        [7.0, 11.0, 14.0],
        [0.0, third, 7.0],
    ];
    triads
        .iter()
        .map(|c| {
            let mut v: Vec<f64> = c.iter().map(|i| t + i).collect();
            v.push(t + c[0] - 24.0);
            v
        })
        .collect()
}

fn analyse(rate: u32, samples: &[f32]) -> Option<KeyEstimate> {
    let mut a = KeyAnalyser::new(rate);
    for chunk in samples.chunks(1000) {
        a.push(chunk);
    }
    a.finish()
}

fn song(tonic: u8, minor: bool, rate: u32, cents: f64, drums: bool) -> Vec<f32> {
    render(&Song {
        rate,
        chords: progression(tonic, minor),
        chord_seconds: 2.0,
        cents,
        drums,
        noise: if drums { 0.02 } else { 0.0 },
        repeats: 2,
    })
}

fn check_all_keys(rate: u32, cents: f64, drums: bool) {
    let mut wrong = Vec::new();
    for tonic in 0..12 {
        for minor in [false, true] {
            let want = Key::new(tonic, minor);
            let got = analyse(rate, &song(tonic, minor, rate, cents, drums));
            match got {
                Some(e) if e.key == want => {
                    assert!((e.tuning_cents - cents).abs() < 8.0, "{want}: tuning {e:?}");
                }
                _ => wrong.push(format!("{want} -> {got:?}")),
            }
        }
    }
    assert!(wrong.is_empty(), "{rate} Hz, {cents} cents, drums {drums}: {wrong:#?}");
}

#[test]
fn all_keys_44k_with_drums_and_noise() {
    check_all_keys(44_100, 0.0, true);
}

#[test]
fn all_keys_clean_48k() {
    check_all_keys(48_000, 0.0, false);
}

#[test]
fn all_keys_22k() {
    check_all_keys(22_050, 0.0, true);
}

#[test]
fn all_keys_96k() {
    check_all_keys(96_000, 0.0, true);
}

#[test]
fn all_keys_detuned_30_cents() {
    check_all_keys(44_100, 30.0, true);
    check_all_keys(48_000, -30.0, false);
}

#[test]
fn no_key_in_silence_noise_or_drums() {
    let rate = 44_100;
    assert_eq!(analyse(rate, &vec![0.0; rate as usize * 10]), None);
    assert_eq!(KeyAnalyser::new(rate).finish(), None);
    let mut rng = Rng(1);
    let noise: Vec<f32> = (0..rate * 20).map(|_| 0.3 * rng.next()).collect();
    assert_eq!(analyse(rate, &noise), None, "white noise");
    // Pink-ish noise (leaky integration of white) has a strong spectral tilt.
    let mut y = 0.0f32;
    let pink: Vec<f32> = noise
        .iter()
        .map(|&x| {
            y = 0.995 * y + 0.05 * x;
            y
        })
        .collect();
    assert_eq!(analyse(rate, &pink), None, "pink noise");
    let drums = render(&Song {
        rate,
        chords: vec![vec![]],
        chord_seconds: 20.0,
        cents: 0.0,
        drums: true,
        noise: 0.01,
        repeats: 1,
    });
    assert_eq!(analyse(rate, &drums), None, "drums only");
}

#[test]
fn garbage_input_stays_finite() {
    let rate = 48_000;
    let mut s = song(9, true, rate, 0.0, false);
    for (i, x) in s.iter_mut().enumerate().step_by(9973) {
        *x = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, f32::MAX][i % 5];
    }
    let e = analyse(rate, &s).expect("still music");
    assert!(e.confidence.is_finite() && e.tuning_cents.is_finite());
    assert_eq!(e.key, Key::new(9, true));
    assert_eq!(analyse(rate, &vec![f32::NAN; 200_000]), None);
    assert_eq!(analyse(rate, &vec![f32::INFINITY; 200_000]), None);
    // Odd rates and tiny inputs do not panic.
    for rate in [0, 1, 8_000, 11_025, 32_000, 88_200, 192_000, 384_000] {
        let mut a = KeyAnalyser::new(rate);
        a.push(&[0.5; 10]);
        a.push(&[]);
        let _ = a.finish();
    }
}

#[test]
fn names_and_camelot() {
    let k = |t, m| Key::new(t, m);
    assert_eq!((k(0, false).name(), k(0, false).camelot()), ("C".into(), "8B".into()));
    assert_eq!((k(9, true).name(), k(9, true).camelot()), ("Am".into(), "8A".into()));
    assert_eq!((k(6, true).name(), k(6, true).camelot()), ("F#m".into(), "11A".into()));
    assert_eq!((k(10, true).name(), k(10, true).camelot()), ("Bbm".into(), "3A".into()));
    assert_eq!((k(8, false).name(), k(8, false).camelot()), ("Ab".into(), "4B".into()));
    assert_eq!(
        (k(11, false).camelot(), k(4, false).camelot(), k(7, false).camelot()),
        ("1B".into(), "12B".into(), "9B".into())
    );
    for t in 0..12 {
        for m in [false, true] {
            let key = k(t, m);
            assert_eq!(Key::parse(&key.name()), Some(key));
            assert_eq!(Key::parse(&key.camelot()), Some(key));
            assert_eq!(Key::parse(&key.camelot().to_lowercase()), Some(key));
            assert_eq!(key.shift_to(&key), 0);
        }
    }
}

#[test]
fn parse_forms() {
    let am = Some(Key::new(9, true));
    for s in [
        "Am", "A minor", "Amin", "a min", "A-minor", "8A", "08a", " 8A ", "1m", "A moll",
    ] {
        assert_eq!(Key::parse(s), am, "{s}");
    }
    assert_eq!(Key::parse("1d"), Some(Key::new(0, false)));
    assert_eq!(Key::parse("Db major"), Some(Key::new(1, false)));
    assert_eq!(Key::parse("C#"), Some(Key::new(1, false)));
    assert_eq!(Key::parse("D♭"), Some(Key::new(1, false)));
    assert_eq!(Key::parse("E♭m"), Some(Key::new(3, true)));
    assert_eq!(Key::parse("D#m"), Some(Key::new(3, true)));
    assert_eq!(Key::parse("Cb"), Some(Key::new(11, false)));
    assert_eq!(Key::parse("B#m"), Some(Key::new(0, true)));
    assert_eq!(Key::parse("bbm"), Some(Key::new(10, true)));
    for bad in ["", "H", "13A", "0B", "8C", "Cx", "C minorish", "8", "A#/Bb", "🎵"] {
        assert_eq!(Key::parse(bad), None, "{bad}");
    }
}

#[test]
fn key_sync_shift() {
    let k = |s: &str| Key::parse(s).expect("valid");
    assert_eq!(k("C").shift_to(&k("Am")), 0);
    assert_eq!(k("C").shift_to(&k("D")), 2);
    assert_eq!(k("C").shift_to(&k("Bm")), 2);
    assert_eq!(k("Am").shift_to(&k("Gm")), -2);
    assert_eq!(k("C").shift_to(&k("G")), -5);
    assert_eq!(k("C").shift_to(&k("F")), 5);
    assert_eq!(k("C").shift_to(&k("F#")), 6);
    for a in 0..24u8 {
        for b in 0..24u8 {
            let (x, y) = (Key::new(a % 12, a >= 12), Key::new(b % 12, b >= 12));
            let s = x.shift_to(&y);
            assert!((-5..=6).contains(&s));
            let shifted = Key::new((i32::from(x.tonic) + i32::from(s)).rem_euclid(12) as u8, x.minor);
            assert_eq!(shifted.camelot_number(), y.camelot_number(), "{x} -> {y}");
        }
    }
}

#[test]
#[ignore = "prints confidences for calibration"]
fn print_confidences() {
    let rate = 44_100;
    for (t, m) in [(0, false), (9, true), (6, true)] {
        for drums in [false, true] {
            eprintln!(
                "{t} {m} drums {drums}: {:?}",
                analyse(rate, &song(t, m, rate, 0.0, drums))
            );
        }
    }
    let mut rng = Rng(1);
    let noise: Vec<f32> = (0..rate * 20).map(|_| 0.3 * rng.next()).collect();
    eprintln!("white {:?}", analyse(rate, &noise));
    let mut y = 0.0f32;
    let pink: Vec<f32> = noise
        .iter()
        .map(|&x| {
            y = 0.995 * y + 0.05 * x;
            y
        })
        .collect();
    eprintln!("pink {:?}", analyse(rate, &pink));
    let drums = render(&Song {
        rate,
        chords: vec![vec![]],
        chord_seconds: 20.0,
        cents: 0.0,
        drums: true,
        noise: 0.01,
        repeats: 1,
    });
    eprintln!("drums {:?}", analyse(rate, &drums));
    let tone = render(&Song {
        rate,
        chords: vec![vec![69.0]],
        chord_seconds: 20.0,
        cents: 0.0,
        drums: false,
        noise: 0.0,
        repeats: 1,
    });
    eprintln!("single A {:?}", analyse(rate, &tone));
}
