//! Real peers the live tests talk to (a MIDI sender, a MIDI monitor): processes whose stdout
//! is read line by line as they run, and whose stdin takes commands.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Instant;

use super::live::BOUND;

/// A peer process; killed when dropped.
pub struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Everything it printed so far.
    pub seen: String,
}

impl Peer {
    /// Starts `cmd` with stdin and stdout piped.
    pub fn spawn(cmd: &mut Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            lines,
            seen: String::new(),
        }
    }

    /// Reads what it prints until `done` holds for the whole of it; panics naming `what` if it
    /// ends first or [`BOUND`] passes.
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while !done(&self.seen) {
            match self.lines.recv_timeout(BOUND.saturating_sub(start.elapsed())) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                }
                Err(RecvTimeoutError::Timeout) => panic!("gave up waiting for {what}; seen:\n{}", self.seen),
                Err(RecvTimeoutError::Disconnected) => panic!("the peer ended before {what}; seen:\n{}", self.seen),
            }
        }
    }

    /// Reads what it prints for up to `within`; true as soon as `done` holds. For peers on a
    /// lossy transport (JACK may drop an event in a cycle it overran): the caller repeats what
    /// it sent and asks again, so the outcome never depends on how fast the machine is.
    pub fn seen_within(&mut self, within: std::time::Duration, done: impl Fn(&str) -> bool) -> bool {
        let start = Instant::now();
        while !done(&self.seen) {
            match self.lines.recv_timeout(within.saturating_sub(start.elapsed())) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                }
                Err(_) => return false,
            }
        }
        true
    }

    /// Writes one line to its stdin.
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("write to the peer");
        stdin.flush().expect("flush");
    }

    /// Closes its stdin (a peer that reads commands then ends) and waits for it to end.
    pub fn close(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python with the test peers' packages (python-rtmidi): the virtual environment the test
/// command makes in the target folder (`.ci/deps.sh`).
pub fn python() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let python = target.parent().map(|t| t.join("pyenv/bin/python")).unwrap_or_default();
    assert!(
        python.exists(),
        "{} is missing: run `bash .ci/run` (or `source .ci/deps.sh && phos_install_deps`) to make it",
        python.display()
    );
    python
}

/// A test peer script in `tests/peers`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers").join(name)
}
