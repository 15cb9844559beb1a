//! The audio thread never allocates or frees: every intent kind is driven through `process`
//! while both Rust's global allocator and the C allocator (which Rubber Band's C++ uses) are
//! watched on this thread.

#![allow(
    clippy::missing_safety_doc,
    reason = "the interposed allocator entry points have C's contracts; restating them here adds nothing"
)]

mod common;
use common::*;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::c_void;

use engine_rt::{DeckParam, EqBand, FxKind, IntentKind as K, MasterParam, Quantize, XfaderCurve, XfaderSide};

thread_local! {
    // Const-initialised without a destructor, so reading it never allocates. Counted per
    // thread: tests running side by side never see each other's allocations.
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static FREES: Cell<usize> = const { Cell::new(0) };
}

/// Adds one to this thread's `counter`.
fn bump(counter: &'static std::thread::LocalKey<Cell<usize>>) {
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

/// This thread's count so far.
fn count(counter: &'static std::thread::LocalKey<Cell<usize>>) -> usize {
    counter.try_with(Cell::get).unwrap_or(0)
}

fn watching() -> bool {
    WATCHING.try_with(|w| w.get()).unwrap_or(false)
}

/// Rust-side allocations.
struct Detector;

// SAFETY: every method forwards to `System` with the caller's arguments, so `System`'s
// guarantees hold; the counting around it touches only atomics and a const thread-local.
unsafe impl GlobalAlloc for Detector {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if watching() {
            bump(&ALLOCS);
        }
        // SAFETY: the caller upholds `GlobalAlloc`'s contract, which `System` shares.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if watching() {
            bump(&FREES);
        }
        // SAFETY: the caller upholds `GlobalAlloc`'s contract, which `System` shares.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if watching() {
            bump(&ALLOCS);
        }
        // SAFETY: the caller upholds `GlobalAlloc`'s contract, which `System` shares.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Detector = Detector;

// C-side allocations: this binary interposes glibc's allocator entry points and forwards to the
// real implementations, counting calls made while this thread is watching.
unsafe extern "C" {
    fn __libc_malloc(size: usize) -> *mut c_void;
    fn __libc_free(p: *mut c_void);
    fn __libc_calloc(n: usize, size: usize) -> *mut c_void;
    fn __libc_realloc(p: *mut c_void, size: usize) -> *mut c_void;
    fn __libc_memalign(align: usize, size: usize) -> *mut c_void;
}

fn count_alloc() {
    if watching() {
        bump(&ALLOCS);
    }
}

/// Counts an allocation, then forwards to glibc: interposes C `malloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
    count_alloc();
    // SAFETY: glibc's own entry point, called with the caller's arguments under the same contract.
    unsafe { __libc_malloc(size) }
}

/// Counts a free, then forwards to glibc: interposes C `free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn free(p: *mut c_void) {
    if !p.is_null() && watching() {
        bump(&FREES);
    }
    // SAFETY: glibc's own entry point, called with the caller's arguments under the same contract.
    unsafe { __libc_free(p) }
}

/// Counts an allocation, then forwards to glibc: interposes C `calloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
    count_alloc();
    // SAFETY: glibc's own entry point, called with the caller's arguments under the same contract.
    unsafe { __libc_calloc(n, size) }
}

/// Counts an allocation, then forwards to glibc: interposes C `realloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn realloc(p: *mut c_void, size: usize) -> *mut c_void {
    count_alloc();
    // SAFETY: glibc's own entry point, called with the caller's arguments under the same contract.
    unsafe { __libc_realloc(p, size) }
}

/// Counts an allocation, then forwards to glibc: interposes C `posix_memalign`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> i32 {
    count_alloc();
    // SAFETY: glibc's own entry point, called with the caller's arguments under the same contract.
    let p = unsafe { __libc_memalign(align, size) };
    if p.is_null() {
        return 12; // ENOMEM
    }
    // SAFETY: `posix_memalign`'s contract makes `out` valid for a pointer write.
    unsafe { *out = p };
    0
}

/// Counts an allocation, then forwards to glibc: interposes C `aligned_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
    count_alloc();
    // SAFETY: glibc's own entry point, called with the caller's arguments under the same contract.
    unsafe { __libc_memalign(align, size) }
}

/// Counts an allocation, then forwards to glibc: interposes C `memalign`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memalign(align: usize, size: usize) -> *mut c_void {
    count_alloc();
    // SAFETY: glibc's own entry point, called with the caller's arguments under the same contract.
    unsafe { __libc_memalign(align, size) }
}

/// Runs `f` with this thread watched; returns (allocations, frees) it made.
fn watched(f: impl FnOnce()) -> (usize, usize) {
    let (a, b) = (count(&ALLOCS), count(&FREES));
    WATCHING.with(|w| w.set(true));
    f();
    WATCHING.with(|w| w.set(false));
    (count(&ALLOCS) - a, count(&FREES) - b)
}

#[test]
fn the_detector_sees_rust_and_cpp_allocations() {
    let (a, f) = watched(|| drop(std::hint::black_box(Box::new(7u64))));
    assert!(a >= 1 && f >= 1, "Rust heap: {a} allocs, {f} frees");
    // Rubber Band's constructor allocates with C++ `new`, which reaches malloc.
    let (a, f) = watched(|| {
        drop(engine_rt::stretch::Stretcher::new(
            SR,
            engine_rt::stretch::StretchEngine::Faster,
        ))
    });
    assert!(a > 10 && f > 10, "C++ heap: {a} allocs, {f} frees");
}

/// Both key-lock engines: restarts swap in spares the janitor thread cleared (R3's reset itself
/// allocates, in `BinClassifier::reset`).
#[test]
fn process_never_allocates_for_any_intent() {
    run_session(engine_rt::stretch::StretchEngine::Faster);
    run_session(engine_rt::stretch::StretchEngine::Finer);
}

/// Waits until the janitor thread has made every used stretcher a spare again. Live, restarts
/// of one deck are milliseconds apart and always find a spare; this loop is far faster, so it
/// waits after every block instead, and which restart gets a spare never depends on when the
/// janitor thread happens to run. The bound is reached only if the janitor is broken.
fn spares_ready(h: &engine_rt::EngineHandle) {
    let start = std::time::Instant::now();
    while h.stretchers_pending() > 0 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "the stretch janitor never made the spares ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

fn run_session(stretch: engine_rt::stretch::StretchEngine) {
    // Analysis on, four output channels and a half-second recording ring that nobody drains,
    // so the tap, the cue bus, and both the recording's write and its overflow paths are
    // exercised too.
    let (mut h, mut p) = engine_with(|c| {
        c.analysis = engine_rt::AnalysisMode::Thread;
        c.record_seconds = 0.5;
        c.channels = 4;
        c.stretch_engine = stretch;
        c.pending_capacity = 64;
        c.event_capacity = 64;
    });
    let tracks: Vec<_> = (0..6)
        .map(|i| h.share(noise(3 * SR as usize + i * 1000, 0.3)))
        .collect();
    let n = |b: f64| Quantize::Beat(b);
    let mut batches: Vec<Vec<(Quantize, K)>> = vec![
        vec![
            (
                Quantize::Now,
                K::Load {
                    deck: 0,
                    track: tracks[0].clone(),
                },
            ),
            (
                Quantize::Now,
                K::Load {
                    deck: 1,
                    track: tracks[1].clone(),
                },
            ),
            (
                Quantize::Now,
                K::Load {
                    deck: 2,
                    track: tracks[2].clone(),
                },
            ),
            (
                Quantize::Now,
                K::Load {
                    deck: 3,
                    track: tracks[3].clone(),
                },
            ),
            (
                Quantize::Now,
                K::XfaderAssign {
                    deck: 0,
                    side: XfaderSide::A,
                },
            ),
            (
                Quantize::Now,
                K::XfaderAssign {
                    deck: 1,
                    side: XfaderSide::B,
                },
            ),
            (Quantize::Now, K::CueMonitor { deck: 1, on: true }),
            (Quantize::NextBeat, K::Play { deck: 0 }),
            (Quantize::NextBar, K::Play { deck: 1 }),
            (Quantize::NextMultiple(0.5), K::Play { deck: 2 }),
            (n(0.1), K::KeyLock { deck: 2, on: true }),
            (n(0.2), K::Play { deck: 3 }),
            (
                n(0.2),
                K::Pitch {
                    deck: 3,
                    semitones: 4.0,
                },
            ),
        ],
        vec![
            (
                n(0.6),
                K::Rate {
                    deck: 2,
                    rate: 1.2,
                    ramp_beats: 0.5,
                },
            ),
            (
                n(0.7),
                K::Rate {
                    deck: 2,
                    rate: 0.7,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(0.8),
                K::Pitch {
                    deck: 2,
                    semitones: -7.0,
                },
            ),
            (n(0.9), K::Sync { deck: 0, on: true }),
            (
                n(1.0),
                K::Tempo {
                    bpm: 133.0,
                    ramp_beats: 1.0,
                },
            ),
            (
                n(1.1),
                K::SetHotCue {
                    deck: 2,
                    slot: 3,
                    seconds: 0.5,
                },
            ),
            (n(1.2), K::HotCue { deck: 2, slot: 3 }),
            (n(1.3), K::Seek { deck: 1, seconds: 1.25 }),
            (n(1.4), K::BeatLoop { deck: 2, beats: 0.25 }),
            (n(1.5), K::LoopIn { deck: 1 }),
            (n(1.7), K::LoopOut { deck: 1 }),
            (n(1.9), K::LoopExit { deck: 2 }),
            (
                n(1.95),
                K::SetLoop {
                    deck: 1,
                    start: 0.25,
                    end: 0.75,
                    active: true,
                },
            ),
        ],
        vec![
            (
                n(2.0),
                K::Deck {
                    deck: 0,
                    param: DeckParam::TrimDb,
                    value: 3.0,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.0),
                K::Deck {
                    deck: 0,
                    param: DeckParam::Volume,
                    value: 0.8,
                    ramp_beats: 0.5,
                },
            ),
            (
                n(2.0),
                K::Deck {
                    deck: 0,
                    param: DeckParam::EqLowDb,
                    value: -10.0,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.0),
                K::Deck {
                    deck: 0,
                    param: DeckParam::EqMidDb,
                    value: 4.0,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.0),
                K::Deck {
                    deck: 0,
                    param: DeckParam::EqHighDb,
                    value: -3.0,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.1),
                K::Deck {
                    deck: 1,
                    param: DeckParam::Filter,
                    value: 0.6,
                    ramp_beats: 1.0,
                },
            ),
            (
                n(2.1),
                K::Deck {
                    deck: 1,
                    param: DeckParam::FilterResonance,
                    value: 0.9,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.2),
                K::EqKill {
                    deck: 3,
                    band: EqBand::Mid,
                    on: true,
                },
            ),
            (
                n(2.2),
                K::FxSlot {
                    deck: 0,
                    slot: 0,
                    fx: Some(FxKind::Echo { beats: 0.75 }),
                },
            ),
            (
                n(2.2),
                K::FxSlot {
                    deck: 0,
                    slot: 1,
                    fx: Some(FxKind::Reverb),
                },
            ),
            (
                n(2.2),
                K::FxSlot {
                    deck: 0,
                    slot: 2,
                    fx: Some(FxKind::Bitcrusher),
                },
            ),
            (
                n(2.3),
                K::Deck {
                    deck: 0,
                    param: DeckParam::FxAmount(0),
                    value: 0.5,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.3),
                K::Deck {
                    deck: 0,
                    param: DeckParam::FxParam(1),
                    value: 0.9,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.3),
                K::Deck {
                    deck: 0,
                    param: DeckParam::FxAmount(2),
                    value: 0.4,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.4),
                K::Master {
                    param: MasterParam::Crossfader,
                    value: 0.3,
                    ramp_beats: 1.0,
                },
            ),
            (
                n(2.4),
                K::Master {
                    param: MasterParam::GainDb,
                    value: 6.0,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.4),
                K::Master {
                    param: MasterParam::CueMix,
                    value: 0.5,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.4),
                K::Master {
                    param: MasterParam::CueGainDb,
                    value: -3.0,
                    ramp_beats: 0.0,
                },
            ),
            (
                n(2.5),
                K::XfaderCurve {
                    curve: XfaderCurve::Sharp,
                },
            ),
        ],
        vec![
            (n(3.0), K::KeyLock { deck: 2, on: false }),
            (n(3.1), K::Pause { deck: 3 }),
            (n(3.2), K::Cue { deck: 3 }),
            (n(3.3), K::Cue { deck: 0 }),
            (n(3.4), K::Stop { deck: 1 }),
            (
                n(3.5),
                K::FxSlot {
                    deck: 0,
                    slot: 1,
                    fx: None,
                },
            ),
            (n(3.6), K::Sync { deck: 0, on: false }),
            // Replacing and ejecting tracks drops them on the audio thread: freed later.
            (
                n(3.7),
                K::Load {
                    deck: 2,
                    track: tracks[4].clone(),
                },
            ),
            (n(3.8), K::Eject { deck: 3 }),
            (n(3.9), K::Play { deck: 9 }),
        ],
    ];
    // Far-future intents to fill the pending list, and a flood to overflow the event queue.
    batches.push((0..80).map(|i| (n(100.0 + i as f64), K::Pause { deck: 0 })).collect());
    batches.push(
        (0..80)
            .map(|_| (Quantize::Now, K::CueMonitor { deck: 0, on: false }))
            .collect(),
    );
    drop(tracks);

    let mut out = vec![0.0f32; 256 * 4];
    let mut total = (0, 0);
    // Warm up outside the watch: nothing here should need it, but first-touch page faults and
    // lazily bound symbols are not what this test is about.
    p.process(&mut out, 4);
    for batch in batches {
        for (q, k) in batch {
            h.act(q, k);
        }
        for _ in 0..60 {
            let (a, f) = watched(|| p.process(&mut out, 4));
            total.0 += a;
            total.1 += f;
            spares_ready(&h);
        }
        while h.poll_event().is_some() {}
        h.collect();
    }
    assert!(out.iter().all(|v| v.is_finite()));
    assert_eq!(total, (0, 0), "{stretch:?}: allocations and frees on the audio thread");
}

#[path = "../../tests/common/netns.rs"]
mod netns;

/// Set in the copy of this test binary that runs inside the Link namespace.
const IN_NAMESPACE: &str = "PHOS_NO_ALLOC_IN_NETNS";

/// With Ableton Link on and followed (tempo steps and transport starts and stops published,
/// the session read every block, synced decks nudged), the audio thread still never allocates.
/// Link multicasts on every interface, so this test runs itself again inside a private network
/// namespace.
#[test]
fn process_never_allocates_with_link_on() {
    if std::env::var_os(IN_NAMESPACE).is_some() {
        return link_session();
    }
    let ns = netns::Netns::new("no-alloc").unwrap_or_else(|e| panic!("Link runs in a network namespace: {e}"));
    let exe = std::env::current_exe().expect("this test binary");
    let out = ns
        .cmd(exe)
        .env(IN_NAMESPACE, "1")
        .args(["--exact", "process_never_allocates_with_link_on", "--nocapture"])
        .output()
        .expect("run the test in the namespace");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "inside the namespace:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn link_session() {
    use engine_rt::InternalClock;
    use engine_rt::backend::CallbackStats;
    use engine_rt::link::Link;
    let (mut h, mut p) = engine_with(|c| c.pending_capacity = 64);
    let stats = CallbackStats::new();
    let link = Link::new(120.0);
    p.set_clock(Box::new(link.clock(
        InternalClock::new(SR, 120.0, 4.0),
        SR,
        stats.clone(),
        256.0,
        p.latency() as f64,
    )));
    let mut control = link.control();
    control.set_enabled(true);
    control.set_start_stop_sync(true);
    let mut out = vec![0.0f32; 256 * 2];
    let track = h.share(track("grid", 10 * SR as usize, Some(120.0), |i| {
        ((i % 480) as f32 / 480.0) - 0.5
    }));
    h.act(Quantize::Now, K::Load { deck: 0, track });
    h.act(Quantize::Now, K::Sync { deck: 0, on: true });
    h.act(Quantize::Now, K::Play { deck: 0 });
    // Until the audio thread follows Link (the handover's allocations are the control side's).
    let mut frame = 0u64;
    while !control.status(4.0).enabled {
        stats.clock.stamp(frame, None);
        p.process(&mut out, 2);
        frame += 256;
        control.update(4.0);
    }
    let mut total = (0, 0);
    let batches = [
        K::Tempo {
            bpm: 133.0,
            ramp_beats: 0.0,
        },
        K::Tempo {
            bpm: 90.0,
            ramp_beats: 2.0,
        },
        K::Rate {
            deck: 0,
            rate: 1.0,
            ramp_beats: 0.0,
        },
        K::Sync { deck: 0, on: true },
        // The last synced deck's pause and the first's start publish the session's transport.
        K::Pause { deck: 0 },
        K::Play { deck: 0 },
    ];
    for kind in batches {
        h.act(Quantize::Now, kind);
        for _ in 0..200 {
            // The stamp with a reported playback moment, as the device callback makes it.
            let heard_in = Some(std::time::Duration::from_micros(5_333));
            let (a, f) = watched(|| {
                stats.clock.stamp(frame, heard_in);
                p.process(&mut out, 2)
            });
            total.0 += a;
            total.1 += f;
            frame += 256;
        }
        while h.poll_event().is_some() {}
        h.collect();
    }
    assert!(out.iter().all(|v| v.is_finite()));
    assert_eq!(total, (0, 0), "allocations and frees on the audio thread with Link on");
    // Link hands the audio thread's commits to the app side on a thread of its own.
    let start = std::time::Instant::now();
    while (control.status(4.0).bpm - 90.0).abs() > 1e-6 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "the ramp was published"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    while !control.status(4.0).playing {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "the start was published"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    control.set_enabled(false);
}
