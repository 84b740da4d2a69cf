//! Leave when the terminal goes away.
//!
//! When an SSH connection drops or a tmux pane is killed, the terminal is
//! hung up. crossterm's Unix event source then re-reads the dead tty in a
//! loop that never returns (crossterm-rs/crossterm#793), so the event loop
//! can no longer see its SIGHUP or SIGTERM either: the process would spin
//! on a core forever. A thread of its own asks the kernel, without reading
//! any input, whether standard input has hung up, and ends the process if
//! so. There is no terminal left to restore; a sync under way is safe to
//! cut short (snapshots are replaced atomically).

use std::time::Duration;

/// How often the terminal is checked.
const EVERY: Duration = Duration::from_millis(250);

/// Exit status of a process ended by its terminal's hangup (128 + SIGHUP).
const HANGUP_STATUS: i32 = 129;

/// Starts the watch on standard input.
pub fn watch_stdin() {
    #[cfg(unix)]
    {
        let _ = std::thread::Builder::new()
            .name("callboard-hangup".into())
            .spawn(|| loop {
                std::thread::sleep(EVERY);
                if hung_up(libc::STDIN_FILENO) {
                    std::process::exit(HANGUP_STATUS);
                }
            });
    }
}

/// True when `fd` is a hung-up or closed descriptor. `poll` with no events
/// asked reports only hangups and errors, and consumes nothing.
#[cfg(unix)]
pub fn hung_up(fd: libc::c_int) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, a zero timeout.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    n > 0 && pfd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

#[cfg(all(test, unix))]
mod tests {
    use super::hung_up;

    #[test]
    fn a_pipe_is_hung_up_once_its_writer_is_gone_and_not_before() {
        let mut fds = [0; 2];
        // SAFETY: a two-element array for pipe(2).
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let (read, write) = (fds[0], fds[1]);
        assert!(!hung_up(read), "an open pipe is not hung up");
        // SAFETY: closing the descriptor this test opened.
        unsafe { libc::close(write) };
        assert!(hung_up(read), "a pipe without its writer is hung up");
        // SAFETY: as above.
        unsafe { libc::close(read) };
    }

    #[test]
    fn a_terminal_is_hung_up_once_its_other_end_is_closed() {
        // What an SSH drop or a killed tmux pane does to callboard's stdin.
        let (mut master, mut slave) = (0, 0);
        // SAFETY: out-pointers to two ints; no name, termios or winsize.
        let opened = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(opened, 0, "openpty");
        assert!(!hung_up(slave), "a live terminal is not hung up");
        // SAFETY: closing descriptors this test opened.
        unsafe { libc::close(master) };
        assert!(
            hung_up(slave),
            "a terminal whose other end is gone is hung up"
        );
        unsafe { libc::close(slave) };
    }
}
