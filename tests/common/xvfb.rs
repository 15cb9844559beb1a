//! An X display of the test's own (Xvfb), for running the windowed app under Mesa's software
//! renderer.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A virtual X server; stopped on drop.
pub struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts Xvfb on the first free display number and waits until it accepts clients: with
    /// `-displayfd` the server picks the number itself (so parallel runs never race for one, as
    /// `xvfb-run -a` can) and writes it once it is listening.
    pub fn start() -> Self {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb must be installed (the test command installs xvfb)");
        let mut line = String::new();
        let read = BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line);
        let number = line.trim();
        if read.is_err() || number.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Xvfb did not start");
        }
        Self {
            display: format!(":{number}"),
            child,
        }
    }

    /// The `DISPLAY` value for clients.
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        if !super::live::signal(self.child.id(), "TERM") {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
