//! A JACK server of the test's own (dummy driver), for tests that play live.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Seconds `jack_wait` waits for the server to answer: a bound only a broken start reaches.
const START_BOUND_SECONDS: &str = "120";

/// Servers register and unregister in one shared-memory registry that does not take two
/// changes at once: the tests of one binary start and stop theirs one after the other.
fn registry_lock() -> std::sync::MutexGuard<'static, ()> {
    static REGISTRY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A JACK server of our own, named uniquely so parallel runs never meet; stopped on drop.
pub struct Jackd {
    child: Child,
    name: String,
}

impl Jackd {
    /// Starts `jackd -d dummy` at 48 kHz / 256 frames under a unique name and waits until it
    /// answers. The dummy driver's monitor ports (`system:monitor_N`) carry what reaches its
    /// playback ports, so a recorder attached to them before a player starts misses nothing.
    pub fn start(tag: &str) -> Self {
        let _one_at_a_time = registry_lock();
        let name = format!("phos-test-{}-{tag}", std::process::id());
        let child = Command::new("jackd")
            .env("JACK_DEFAULT_SERVER", &name)
            .args(["--no-realtime", "-d", "dummy", "-r", "48000", "-p", "256", "-m"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("jackd must be installed (the test command installs jackd2)");
        let s = Self { child, name };
        // `jack_wait -w` blocks until the server answers.
        let ok = s
            .cmd("jack_wait")
            .args(["-w", "-t", START_BOUND_SECONDS])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|st| st.success());
        assert!(ok, "jackd did not come up");
        s
    }

    /// The server's name (`JACK_DEFAULT_SERVER` for its clients).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that talks to this server.
    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("JACK_DEFAULT_SERVER", &self.name);
        c
    }
}

impl Drop for Jackd {
    /// SIGTERM, and wait until it has gone: a stopped jackd removes itself from JACK's
    /// shared-memory registry, which has room for only a few servers (killed ones stay
    /// registered and make later starts fail). SIGKILL only if it is still there after
    /// [`super::live::BOUND`].
    fn drop(&mut self) {
        let _one_at_a_time = registry_lock();
        if super::live::signal(self.child.id(), "TERM") {
            let start = Instant::now();
            while start.elapsed() < super::live::BOUND {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `jack_rec` has written to `path` so far, as interleaved samples scaled to -1..1 (it
/// records 32-bit integers). Its header's sizes are filled in only when it stops by itself, so
/// the data chunk is read to the end of the file, whole frames only.
pub fn recorded_so_far(path: &Path, channels: usize) -> Option<Vec<f32>> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut at = 12;
    loop {
        let id = bytes.get(at..at + 4)?;
        let size = u32::from_le_bytes(bytes.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        if id == b"data" {
            let data = &bytes[at + 8..];
            let whole = data.len() / (4 * channels) * (4 * channels);
            let scale = 2f64.powi(31);
            return Some(
                data[..whole]
                    .chunks_exact(4)
                    .map(|b| (i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64 / scale) as f32)
                    .collect(),
            );
        }
        at += 8 + size + size % 2;
    }
}
