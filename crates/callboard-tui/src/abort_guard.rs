//! The terminal given back when the process aborts (out of memory, a stack
//! overflow, `abort()`): no destructor or panic hook runs then, so a
//! SIGABRT handler writes the sequences that leave the alternate screen,
//! stop mouse capture and bracketed paste and show the cursor, and puts back
//! the terminal modes saved before raw mode. Only async-signal-safe calls
//! (`write`, `tcsetattr`, `signal`, `raise`) are made in the handler.

use std::sync::atomic::{AtomicBool, Ordering};

/// What [`crate::run::restore_terminal`] sends, as fixed bytes.
pub(crate) const RESTORE: &[u8] =
    b"\x1b[?2026l\x1b[?2004l\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?1049l\x1b[?25h";

static HAVE_SAVED: AtomicBool = AtomicBool::new(false);
static mut SAVED: std::mem::MaybeUninit<libc::termios> = std::mem::MaybeUninit::uninit();

extern "C" fn on_abort(sig: libc::c_int) {
    // SAFETY: async-signal-safe calls only; SAVED is written once, before
    // the handler is installed, and only read here.
    unsafe {
        libc::write(1, RESTORE.as_ptr().cast(), RESTORE.len());
        if HAVE_SAVED.load(Ordering::SeqCst) {
            libc::tcsetattr(0, libc::TCSANOW, std::ptr::addr_of!(SAVED).cast());
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Save the terminal's modes (before raw mode) and install the handler.
pub(crate) fn install() {
    // SAFETY: tcgetattr writes a termios into SAVED before the handler
    // that reads it exists; signal() installs a plain handler.
    unsafe {
        if libc::isatty(0) == 1 && libc::tcgetattr(0, std::ptr::addr_of_mut!(SAVED).cast()) == 0 {
            HAVE_SAVED.store(true, Ordering::SeqCst);
        }
        libc::signal(
            libc::SIGABRT,
            on_abort as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run in a child process: install the handler, then abort.
    #[test]
    fn an_abort_gives_the_terminal_back() {
        if std::env::var_os("CALLBOARD_ABORT_CHILD").is_some() {
            install();
            std::process::abort();
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "abort_guard::tests::an_abort_gives_the_terminal_back",
                "--nocapture",
            ])
            .env("CALLBOARD_ABORT_CHILD", "1")
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{out:?}");
        assert!(
            out.stdout.windows(RESTORE.len()).any(|w| w == RESTORE),
            "{:?}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
