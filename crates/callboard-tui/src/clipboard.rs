//! Copy and open, SSH-aware.
//!
//! Copy writes OSC 52 (`ESC ] 52 ; c ; <base64> BEL`) to the terminal, which
//! reaches the clipboard of the machine the person sits at, over SSH too
//! (when the terminal allows it); then, on a local desktop session, a native
//! tool (`wl-copy`, `xclip`, `xsel`, `pbcopy`) when one is installed. The
//! status bar says which of these happened.
//!
//! Opening a link launches `xdg-open` / `open` only on a local desktop;
//! over SSH (`SSH_CONNECTION`/`SSH_TTY`) or without a display the URL is
//! shown and copied instead. Only http(s) and mailto links are launched.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The session, as far as copying and opening care.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Desktop {
    pub ssh: bool,
    pub x11: bool,
    pub wayland: bool,
    pub macos: bool,
    /// Inside tmux or screen: OSC 52 must be wrapped to pass through.
    pub tmux: bool,
}

impl Desktop {
    pub fn detect() -> Desktop {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        Desktop {
            ssh: set("SSH_CONNECTION") || set("SSH_TTY") || set("SSH_CLIENT"),
            x11: set("DISPLAY"),
            wayland: set("WAYLAND_DISPLAY"),
            macos: cfg!(target_os = "macos"),
            tmux: set("TMUX"),
        }
    }

    /// A local graphical session a browser can open on.
    pub fn has_display(&self) -> bool {
        !self.ssh && (self.x11 || self.wayland || self.macos)
    }

    /// Native clipboard tools to try, in order (none over SSH: the remote
    /// machine's clipboard is not the person's).
    pub fn copy_tools(&self) -> Vec<(&'static str, &'static [&'static str])> {
        let mut tools: Vec<(&'static str, &'static [&'static str])> = Vec::new();
        if !self.has_display() {
            return tools;
        }
        if self.macos {
            tools.push(("pbcopy", &[]));
        }
        if self.wayland {
            tools.push(("wl-copy", &[]));
        }
        if self.x11 {
            tools.push(("xclip", &["-selection", "clipboard"]));
            tools.push(("xsel", &["--clipboard", "--input"]));
        }
        tools
    }
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The OSC 52 sequence that sets the clipboard to `text`; wrapped in a
/// DCS passthrough inside tmux.
pub fn osc52(text: &str, tmux: bool) -> String {
    let seq = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    if tmux {
        format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
    } else {
        seq
    }
}

/// Find a program on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Copy with the first native tool that is installed and works; its name.
/// Blocks for up to two seconds: call it off the UI thread.
pub fn copy_native(
    text: &str,
    tools: &[(&'static str, &'static [&'static str])],
) -> Result<&'static str, String> {
    let mut tried = Vec::new();
    for (tool, args) in tools {
        let Some(path) = which(tool) else { continue };
        tried.push(*tool);
        let child = Command::new(path)
            .args(*args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = child else { continue };
        if let Some(mut stdin) = child.stdin.take() {
            if stdin.write_all(text.as_bytes()).is_err() {
                let _ = child.kill();
                continue;
            }
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(tool),
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                // Tools that keep serving the selection: it was taken.
                Ok(None) => return Ok(tool),
                Err(_) => break,
            }
        }
    }
    if tried.is_empty() {
        Err("no native clipboard tool".to_string())
    } else {
        Err(format!("{} failed", tried.join(", ")))
    }
}

/// What the status bar says after a copy.
pub fn copy_message(what: &str, text: &str, native: &Result<&'static str, String>) -> String {
    let shown =
        callboard_core::text::truncate(&callboard_core::text::sanitize::sanitize_line(text), 60)
            .into_owned();
    match native {
        Ok(tool) => format!("copied {what} {shown} (OSC 52 + {tool})"),
        Err(_) => {
            format!("copied {what} {shown} via OSC 52 (the terminal must allow clipboard writes)")
        }
    }
}

/// What `o` does with a URL here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenPlan {
    /// Launch this program with the URL.
    Launch(&'static str),
    /// Show the URL and copy it, with the reason.
    ShowAndCopy(&'static str),
}

pub fn open_plan(url: &str, desktop: &Desktop) -> OpenPlan {
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return OpenPlan::ShowAndCopy("the link has control characters or spaces");
    }
    let lower = url.trim().to_ascii_lowercase();
    let web = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:");
    if !web {
        return OpenPlan::ShowAndCopy("not a web link");
    }
    if desktop.ssh {
        return OpenPlan::ShowAndCopy("over SSH");
    }
    if !desktop.has_display() {
        return OpenPlan::ShowAndCopy("no display");
    }
    OpenPlan::Launch(if desktop.macos { "open" } else { "xdg-open" })
}

/// Start the browser without waiting for it (a thread reaps it).
pub fn launch(program: &str, url: &str) -> Result<(), String> {
    let path = which(program).ok_or_else(|| format!("{program} is not installed"))?;
    let mut child = Command::new(path)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn osc52_sequence_and_tmux_passthrough() {
        assert_eq!(osc52("foo", false), "\x1b]52;c;Zm9v\x07");
        assert_eq!(osc52("foo", true), "\x1bPtmux;\x1b\x1b]52;c;Zm9v\x07\x1b\\");
    }

    #[test]
    fn over_ssh_links_are_shown_and_copied_not_launched() {
        let ssh = Desktop {
            ssh: true,
            x11: true,
            ..Desktop::default()
        };
        assert_eq!(
            open_plan("https://x.example", &ssh),
            OpenPlan::ShowAndCopy("over SSH")
        );
        assert!(ssh.copy_tools().is_empty());
        let headless = Desktop::default();
        assert_eq!(
            open_plan("https://x.example", &headless),
            OpenPlan::ShowAndCopy("no display")
        );
        let desk = Desktop {
            x11: true,
            ..Desktop::default()
        };
        assert_eq!(
            open_plan("https://x.example", &desk),
            OpenPlan::Launch("xdg-open")
        );
        assert_eq!(
            open_plan("file:///etc/passwd", &desk),
            OpenPlan::ShowAndCopy("not a web link")
        );
        assert_eq!(
            open_plan("-e", &desk),
            OpenPlan::ShowAndCopy("not a web link")
        );
        assert_eq!(
            open_plan("https://x.example/\x1b[6n", &desk),
            OpenPlan::ShowAndCopy("the link has control characters or spaces")
        );
        let names: Vec<_> = desk.copy_tools().iter().map(|t| t.0).collect();
        assert_eq!(names, vec!["xclip", "xsel"]);
        let wl = Desktop {
            wayland: true,
            ..Desktop::default()
        };
        assert_eq!(wl.copy_tools()[0].0, "wl-copy");
    }

    #[test]
    fn messages_say_what_happened_and_stay_inert() {
        let m = copy_message("ref", "component:default/x", &Ok("xclip"));
        assert_eq!(m, "copied ref component:default/x (OSC 52 + xclip)");
        let m = copy_message("URL", "https://x\x1b[2J", &Err("none".into()));
        assert!(m.contains("via OSC 52") && !m.contains('\x1b'));
        assert!(copy_native("x", &[("callboard-no-such-tool", &[])]).is_err());
    }
}
