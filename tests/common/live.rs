//! Waiting on live processes by what they do, never by how long they usually take.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long any wait in a live test may last before the test fails. Only a broken run gets
/// near it: every wait ends on a condition, and a loaded machine merely takes longer.
pub const BOUND: Duration = Duration::from_secs(180);

/// Polls `probe` until it gives a value; panics naming `what` once [`BOUND`] has passed. The
/// pause between probes only spares the CPU: the outcome never depends on it.
pub fn wait_until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(start.elapsed() < BOUND, "gave up after {BOUND:?} waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (`INT`, `TERM`, ...) to process `pid` with `kill`; false if it could not.
pub fn signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// A child process whose stderr is read line by line as it runs, so a test can wait for what
/// it reports. Killed if the test ends (or fails) before [`LiveProcess::finish`].
pub struct LiveProcess {
    child: Option<Child>,
    lines: Receiver<String>,
    stderr: String,
    stdout: Option<std::thread::JoinHandle<String>>,
}

/// How a [`LiveProcess`] ended.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl LiveProcess {
    /// Starts `cmd` with stdout and stderr piped, and with SIGINT, SIGTERM and SIGHUP at their
    /// defaults as in a terminal, whatever this test runner inherited (a background job of a
    /// script ignores SIGINT, `nohup` ignores SIGHUP).
    pub fn spawn(cmd: &mut Command) -> Self {
        use std::os::unix::process::CommandExt;
        // SAFETY: runs in the forked child before exec and only calls `signal`, which is
        // async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                    libc::signal(s, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
        let err = child.stderr.take().expect("piped stderr");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut out = child.stdout.take().expect("piped stdout");
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        Self {
            child: Some(child),
            lines,
            stderr: String::new(),
            stdout: Some(stdout),
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr(&self) -> &str {
        &self.stderr
    }

    /// Reads stderr until `done` holds for all of it so far (it sees the whole text, so a
    /// message spread over several lines matches); panics naming `what` if the process ends
    /// first or [`BOUND`] passes.
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while !done(&self.stderr) {
            let left = BOUND.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stderr.push_str(&line);
                    self.stderr.push('\n');
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "gave up after {BOUND:?} waiting for {what}; stderr so far:\n{}",
                        self.stderr
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the process ended before {what}; stderr:\n{}", self.stderr)
                }
            }
        }
    }

    /// Panics, with what the process wrote to stderr, if it has already ended: a probe that
    /// waits on its files calls this so a crash fails the test at once.
    pub fn assert_running(&mut self) {
        let ended = self.child.as_mut().is_none_or(|c| !matches!(c.try_wait(), Ok(None)));
        if ended {
            while let Ok(line) = self.lines.recv_timeout(BOUND) {
                self.stderr.push_str(&line);
                self.stderr.push('\n');
            }
            panic!("the process ended early; stderr:\n{}", self.stderr);
        }
    }

    /// Sends `sig` (`INT`, `TERM`, ...) to the process.
    pub fn signal(&self, sig: &str) {
        assert!(signal(self.id(), sig), "kill -{sig} {}", self.id());
    }

    /// Waits for the process to end by itself (after a signal, or when its work is done) and
    /// returns what it wrote; panics if it is still running after [`BOUND`].
    pub fn finish(mut self) -> Finished {
        let start = Instant::now();
        loop {
            let left = BOUND.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stderr.push_str(&line);
                    self.stderr.push('\n');
                }
                // Stderr closed: the process has ended (or closed it on its way out).
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("still running after {BOUND:?}; stderr so far:\n{}", self.stderr)
                }
            }
        }
        let mut child = self.child.take().expect("not finished yet");
        let status = child.wait().expect("wait for the process");
        let stdout = self
            .stdout
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        Finished {
            status,
            stdout,
            stderr: std::mem::take(&mut self.stderr),
        }
    }
}

impl Drop for LiveProcess {
    /// A test that fails half-way leaves no process behind.
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
