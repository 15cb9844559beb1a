//! Ending a performance from outside: Ctrl+C in a terminal (SIGINT), SIGTERM from a service
//! manager (installations run under systemd, which stops them with SIGTERM) or SIGHUP. Each ends
//! the app as closing the control window does: the recording is finished and the exit report is
//! printed.
//!
//! Bevy's own handler (`ctrlc`) is not enough: it reacts to SIGINT only, and with SIGTERM added
//! it refuses to install at all when the launcher ignores any one of the signals (`nohup`
//! ignores SIGHUP, a shell script's background job ignores SIGINT).

use std::sync::atomic::{AtomicU32, Ordering};

use bevy::prelude::*;

/// Signals received so far.
static RECEIVED: AtomicU32 = AtomicU32::new(0);

/// Makes SIGINT, SIGTERM and SIGHUP end `app` gracefully; a second one ends the process at
/// once. A signal the launcher set to be ignored stays ignored.
pub fn end_gracefully_on_signals(app: &mut App) {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        handle(signal);
    }
    app.add_systems(Update, exit_when_signalled);
}

/// Installs [`on_signal`] for `signal` unless it is ignored.
#[cfg(unix)]
fn handle(signal: libc::c_int) {
    // SAFETY: `sigaction` gets valid pointers to initialised structs (all-zero is a valid
    // `sigaction`), and the handler installed only does async-signal-safe work.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(signal, std::ptr::null(), &mut old) != 0 || old.sa_sigaction == libc::SIG_IGN {
            return;
        }
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        new.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut new.sa_mask);
        libc::sigaction(signal, &new, std::ptr::null_mut());
    }
}

/// Counts the signal; the second one ends the process without waiting for the app.
#[cfg(unix)]
extern "C" fn on_signal(_: libc::c_int) {
    if RECEIVED.fetch_add(1, Ordering::SeqCst) > 0 {
        // SAFETY: `_exit` is async-signal-safe; 130 is the shell's code for an interrupted run.
        unsafe { libc::_exit(130) };
    }
}

/// Ends the app once a signal has arrived.
fn exit_when_signalled(mut exit: MessageWriter<AppExit>) {
    if RECEIVED.load(Ordering::Relaxed) > 0 {
        exit.write(AppExit::Success);
    }
}
