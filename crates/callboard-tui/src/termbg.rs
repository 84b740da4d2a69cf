//! Is the terminal's background dark or light? For the `auto` theme.
//!
//! Asked of the terminal itself where it answers: an OSC 11 query
//! (`ESC ] 11 ; ? ST`, answered with `ESC ] 11 ; rgb:RRRR/GGGG/BBBB ST`)
//! followed by a primary device attributes query (`ESC [ c`), which every
//! terminal answers, and answers after the OSC 11 reply when there is one:
//! so a terminal that does not know OSC 11 costs one round trip, not a
//! timeout. Sent in raw mode before the alternate screen is entered.
//! Without an answer, `COLORFGBG` (set by rxvt, Konsole and others:
//! `15;0` is white on black) decides; without it, dark.

use std::io::Write;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Background {
    #[default]
    Dark,
    Light,
}

impl Background {
    /// From the colour's relative luminance (sRGB, 0..=1).
    fn of_rgb(r: f64, g: f64, b: f64) -> Background {
        let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        if luminance >= 0.5 {
            Background::Light
        } else {
            Background::Dark
        }
    }
}

/// How long the terminal gets to answer (an SSH round trip included).
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(400);

/// The background from an OSC 11 reply found anywhere in `bytes`
/// (`rgb:` with 1 to 4 hex digits a component, or `rgba:`; ended by BEL
/// or ST).
pub fn parse_osc11(bytes: &[u8]) -> Option<Background> {
    let text = String::from_utf8_lossy(bytes);
    let start = text.find("\x1b]11;")? + 5;
    let rest = &text[start..];
    let end = rest.find(['\x07', '\x1b']).unwrap_or(rest.len());
    let value = &rest[..end];
    let spec = value
        .strip_prefix("rgb:")
        .or_else(|| value.strip_prefix("rgba:"))?;
    let parts: Vec<&str> = spec.split('/').collect();
    if parts.len() < 3 {
        return None;
    }
    let component = |s: &str| -> Option<f64> {
        if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let max = (1u32 << (4 * s.len())) - 1;
        Some(u32::from_str_radix(s, 16).ok()? as f64 / max as f64)
    };
    Some(Background::of_rgb(
        component(parts[0])?,
        component(parts[1])?,
        component(parts[2])?,
    ))
}

/// The background from `COLORFGBG` (`fg;bg` or `fg;default;bg`, ANSI
/// colour numbers): 7 and 9–15 are light backgrounds, 0–6 and 8 dark.
pub fn parse_colorfgbg(value: &str) -> Option<Background> {
    let bg: u8 = value.rsplit(';').next()?.trim().parse().ok()?;
    match bg {
        7 | 9..=15 => Some(Background::Light),
        0..=6 | 8 => Some(Background::Dark),
        _ => None,
    }
}

/// Does `bytes` hold the end of a device attributes reply (`ESC [ ? … c`)?
fn has_da1_reply(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.match_indices("\x1b[?").any(|(i, _)| {
        text[i + 3..]
            .chars()
            .find(|c| !(c.is_ascii_digit() || *c == ';'))
            == Some('c')
    })
}

/// Send the queries to `out` and read the answers from `fd` (a terminal
/// in raw mode) until the device attributes reply comes or `timeout`
/// passes. None when the terminal did not say.
pub fn query(fd: i32, out: &mut dyn Write, timeout: Duration) -> Option<Background> {
    out.write_all(b"\x1b]11;?\x1b\\\x1b[c").ok()?;
    out.flush().ok()?;
    let reply = read_reply(fd, timeout);
    parse_osc11(&reply)
}

/// Bytes from `fd` until a device attributes reply or the deadline.
fn read_reply(fd: i32, timeout: Duration) -> Vec<u8> {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    while !has_da1_reply(&got) && got.len() < 4096 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let wait = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd for the call's duration.
        let ready = unsafe { libc::poll(&mut pfd, 1, wait) };
        if ready == 0 {
            continue; // the deadline check ends it
        }
        if ready < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        let mut buf = [0u8; 256];
        // SAFETY: reads into a buffer we own, at most its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        got.extend_from_slice(&buf[..n as usize]);
    }
    got
}

/// The terminal's background: asked of the terminal on stdin/stdout
/// (which must be in raw mode), else from `COLORFGBG`, else None.
pub fn detect() -> Option<Background> {
    let asked = query(0, &mut std::io::stdout(), QUERY_TIMEOUT);
    asked.or_else(from_env)
}

/// `COLORFGBG` alone (for the command line, which does not query).
pub fn from_env() -> Option<Background> {
    std::env::var("COLORFGBG")
        .ok()
        .and_then(|v| parse_colorfgbg(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc11_replies() {
        let light = b"\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?62;22c";
        assert_eq!(parse_osc11(light), Some(Background::Light));
        let dark = b"\x1b]11;rgb:1e1e/1e1e/2e2e\x07";
        assert_eq!(parse_osc11(dark), Some(Background::Dark));
        // Two digits a component, rgba, Solarized light's base3.
        assert_eq!(
            parse_osc11(b"\x1b]11;rgb:fd/f6/e3\x07"),
            Some(Background::Light)
        );
        assert_eq!(
            parse_osc11(b"\x1b]11;rgba:0000/0000/0000/ffff\x1b\\"),
            Some(Background::Dark)
        );
        // Noise around it (a key pressed meanwhile) does not matter.
        assert_eq!(
            parse_osc11(b"j\x1b]11;rgb:eeee/eeee/eeee\x1b\\"),
            Some(Background::Light)
        );
        for bad in [
            &b"\x1b[?62;22c"[..],
            b"\x1b]11;?\x1b\\",
            b"\x1b]11;rgb:zz/00/00\x07",
            b"\x1b]11;rgb:00000/0/0\x07",
            b"\x1b]11;#ffffff\x07",
            b"\x1b]10;rgb:ffff/ffff/ffff\x07",
        ] {
            assert_eq!(parse_osc11(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn colorfgbg_values() {
        assert_eq!(parse_colorfgbg("15;0"), Some(Background::Dark));
        assert_eq!(parse_colorfgbg("0;15"), Some(Background::Light));
        assert_eq!(parse_colorfgbg("0;default;7"), Some(Background::Light));
        assert_eq!(parse_colorfgbg("7;8"), Some(Background::Dark));
        assert_eq!(parse_colorfgbg("15;default"), None);
        assert_eq!(parse_colorfgbg(""), None);
        assert_eq!(parse_colorfgbg("0;200"), None);
    }

    fn pipe_with(bytes: &[u8]) -> (i32, i32) {
        let mut fds = [0i32; 2];
        // SAFETY: a two-int array for pipe(2) to fill.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: writes our own bytes to the pipe we just made.
        let n = unsafe { libc::write(fds[1], bytes.as_ptr().cast(), bytes.len()) };
        assert_eq!(n as usize, bytes.len());
        (fds[0], fds[1])
    }

    fn close(fds: (i32, i32)) {
        // SAFETY: closing the pipe's two ends, made by this test.
        unsafe {
            libc::close(fds.0);
            libc::close(fds.1);
        }
    }

    #[test]
    fn query_reads_the_reply_and_stops_at_the_device_attributes() {
        let fds = pipe_with(b"\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?64;1;2c");
        let mut sent = Vec::new();
        let t = Instant::now();
        let got = query(fds.0, &mut sent, Duration::from_secs(5));
        assert_eq!(got, Some(Background::Light));
        assert_eq!(sent, b"\x1b]11;?\x1b\\\x1b[c");
        assert!(t.elapsed() < Duration::from_secs(1));
        close(fds);
        // A terminal without OSC 11: only the attributes, no waiting.
        let fds = pipe_with(b"\x1b[?1;2c");
        let t = Instant::now();
        assert_eq!(query(fds.0, &mut Vec::new(), Duration::from_secs(5)), None);
        assert!(t.elapsed() < Duration::from_secs(1));
        close(fds);
        // No answer at all: the timeout.
        let fds = pipe_with(b"");
        let t = Instant::now();
        assert_eq!(
            query(fds.0, &mut Vec::new(), Duration::from_millis(50)),
            None
        );
        assert!(t.elapsed() >= Duration::from_millis(50));
        close(fds);
    }
}
