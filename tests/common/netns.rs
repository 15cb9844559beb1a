//! A private network namespace for Ableton Link peers: Link multicasts on every interface, so
//! its tests and benchmarks never run a peer on the host network. The namespace has only its
//! own loopback, where Link's discovery finds the peers started inside it.

use std::path::Path;
use std::process::{Command, Stdio};

/// A network namespace of our own, named uniquely; every process left in it is killed and the
/// namespace deleted on drop.
pub struct Netns {
    name: String,
}

impl Netns {
    /// Makes the namespace and brings its loopback up, or says why it cannot (`ip netns` needs
    /// root and iproute2; the test command installs iproute2).
    pub fn new(tag: &str) -> Result<Self, String> {
        let name = format!("phos-{tag}-{}", std::process::id());
        let ip = |args: &[&str]| {
            Command::new("ip")
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .map_err(|e| format!("cannot run ip: {e}"))
                .and_then(|o| {
                    if o.status.success() {
                        Ok(())
                    } else {
                        Err(format!(
                            "ip {}: {}",
                            args.join(" "),
                            String::from_utf8_lossy(&o.stderr).trim()
                        ))
                    }
                })
        };
        // Namespaces left by runs that were killed (their process is gone).
        if let Ok(out) = Command::new("ip").args(["netns", "list"]).output() {
            for ns in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let pid = ns.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
                if ns.starts_with("phos-") && pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
                    let _ = ip(&["netns", "del", ns]);
                }
            }
        }
        ip(&["netns", "add", &name])?;
        let ns = Self { name };
        ip(&["netns", "exec", &ns.name, "ip", "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// A command that runs `program` inside the namespace.
    pub fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Ok(out) = Command::new("ip").args(["netns", "pids", &self.name]).output() {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-KILL", pid]).status();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stderr(Stdio::null())
            .status();
    }
}
