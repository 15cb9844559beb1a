//! A JACK server of the test's own (dummy driver), for tests that play live.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A JACK server of our own, named uniquely so parallel runs never meet; killed on drop.
pub struct Jackd {
    child: Child,
    name: String,
}

impl Jackd {
    /// Starts `jackd -d dummy` at 48 kHz / 256 frames under a unique name and waits for it.
    pub fn start(tag: &str) -> Self {
        let name = format!("phos-test-{}-{tag}", std::process::id());
        let child = Command::new("jackd")
            .env("JACK_DEFAULT_SERVER", &name)
            .args(["--no-realtime", "-d", "dummy", "-r", "48000", "-p", "256"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("jackd must be installed (the test command installs jackd2)");
        let s = Self { child, name };
        let ok = s
            .cmd("jack_wait")
            .args(["-w", "-t", "10"])
            .status()
            .map(|st| st.success())
            .unwrap_or(false);
        assert!(ok, "jackd did not come up");
        s
    }

    /// A command that talks to this server.
    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("JACK_DEFAULT_SERVER", &self.name);
        c
    }
}

impl Drop for Jackd {
    /// SIGTERM, so jackd removes itself from JACK's shared-memory registry (it has room for
    /// only a few servers; killed ones stay registered); SIGKILL only if it will not go.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
