//! Copy and open, SSH-aware.
//!
//! Copy writes OSC 52 (`ESC ] 52 ; c ; <base64> BEL`) to the terminal, which
//! reaches the clipboard of the machine the person sits at, over SSH too
//! (when the terminal allows it). What is written depends on what is between
//! callboard and the terminal ([`osc52`]):
//!
//! - tmux: the plain sequence, which tmux takes when `set-clipboard` is
//!   `on` (it stores a paste buffer and passes it on to the terminal; what
//!   neovim and helix send), then the same wrapped in tmux's passthrough
//!   (`ESC P tmux; …`), which reaches the terminal when `allow-passthrough`
//!   is on; tmux ≥ 3.3 drops it by default. Besides, `tmux load-buffer -w -`
//!   puts the text in tmux's paste buffer (and, with `-w`, the terminal's
//!   clipboard) whatever `set-clipboard` says.
//! - GNU screen: screen does not forward OSC 52; the sequence goes through
//!   its DCS passthrough (`ESC P … ESC \`), in chunks screen's buffer holds.
//! - anything else: the plain sequence.
//!
//! Then, on a local desktop session, a native tool (`wl-copy`, `xclip`,
//! `xsel`, `pbcopy`) when one is installed. Whether a terminal took an OSC
//! 52 write cannot be known (it answers nothing), so the status bar says the
//! text was sent, not copied, unless a tool confirmed it.
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
    /// Inside tmux (`TMUX`).
    pub tmux: bool,
    /// Inside GNU screen (`STY`, or `TERM=screen…` outside tmux).
    pub screen: bool,
}

impl Desktop {
    pub fn detect() -> Desktop {
        Desktop::from_env(|k| std::env::var(k).ok())
    }

    /// The session described by these environment variables.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Desktop {
        let set = |k: &str| var(k).is_some_and(|v| !v.is_empty());
        let tmux = set("TMUX");
        let term = var("TERM").unwrap_or_default();
        Desktop {
            ssh: set("SSH_CONNECTION") || set("SSH_TTY") || set("SSH_CLIENT"),
            x11: set("DISPLAY"),
            wayland: set("WAYLAND_DISPLAY"),
            macos: cfg!(target_os = "macos"),
            tmux,
            screen: !tmux && (set("STY") || term.starts_with("screen")),
        }
    }

    /// A local graphical session a browser can open on.
    pub fn has_display(&self) -> bool {
        !self.ssh && (self.x11 || self.wayland || self.macos)
    }

    /// Native clipboard tools to try, in order (none over SSH: the remote
    /// machine's clipboard is not the person's), and tmux's own buffer
    /// inside tmux.
    pub fn copy_tools(&self) -> Vec<(&'static str, &'static [&'static str])> {
        let mut tools: Vec<(&'static str, &'static [&'static str])> = Vec::new();
        if self.has_display() {
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
        }
        if self.tmux {
            tools.push(("tmux", &["load-buffer", "-w", "-"]));
        }
        tools
    }
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// GNU screen keeps at most this many bytes of one DCS string.
const SCREEN_CHUNK: usize = 76;

/// The bytes that set the terminal's clipboard to `text` from inside this
/// session (see the module docs).
pub fn osc52(text: &str, desktop: &Desktop) -> String {
    let seq = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    if desktop.tmux {
        let passthrough = format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"));
        format!("{seq}{passthrough}")
    } else if desktop.screen {
        // The sequence is ASCII: chunks split between bytes safely.
        seq.as_bytes()
            .chunks(SCREEN_CHUNK)
            .map(|c| format!("\x1bP{}\x1b\\", String::from_utf8_lossy(c)))
            .collect()
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

/// What the status bar says after a copy: copied when a tool confirmed
/// it, else sent (a terminal never says whether it took an OSC 52 write).
pub fn copy_message(
    what: &str,
    text: &str,
    native: &Result<&'static str, String>,
    desktop: &Desktop,
) -> String {
    let shown =
        callboard_core::text::truncate(&callboard_core::text::sanitize::sanitize_line(text), 60)
            .into_owned();
    match native {
        Ok("tmux") => format!(
            "copied {what} {shown} into tmux's paste buffer (prefix ]), and sent to the terminal via OSC 52"
        ),
        Ok(tool) => format!("copied {what} {shown} ({tool}; also sent to the terminal via OSC 52)"),
        Err(_) => {
            let how = if desktop.tmux {
                "it reaches the clipboard if tmux has `set-clipboard on` and the terminal allows clipboard writes"
            } else if desktop.screen {
                "through screen's passthrough; it reaches the clipboard if the terminal allows clipboard writes"
            } else {
                "it reaches the clipboard if the terminal allows clipboard writes"
            };
            format!("{what} {shown} sent to the terminal via OSC 52; {how}")
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

    fn env(vars: &[(&str, &str)]) -> Desktop {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Desktop::from_env(move |k| {
            vars.iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn osc52_bytes_per_terminal() {
        let plain = env(&[("TERM", "xterm-256color")]);
        assert!(!plain.tmux && !plain.screen);
        assert_eq!(osc52("foo", &plain), "\x1b]52;c;Zm9v\x07");
        // tmux: the plain sequence first (set-clipboard on takes it), then
        // the passthrough (allow-passthrough on forwards it).
        let tmux = env(&[("TMUX", "/tmp/tmux-1/default,1,0"), ("TERM", "screen")]);
        assert!(tmux.tmux && !tmux.screen, "TERM=screen inside tmux is tmux");
        assert_eq!(
            osc52("foo", &tmux),
            "\x1b]52;c;Zm9v\x07\x1bPtmux;\x1b\x1b]52;c;Zm9v\x07\x1b\\"
        );
        assert!(osc52("foo", &tmux).starts_with("\x1b]52;c;Zm9v\x07"));
        // GNU screen: DCS passthrough, in chunks of at most 76 bytes.
        let screen = env(&[("STY", "1234.pts-0.host"), ("TERM", "screen")]);
        assert!(screen.screen && !screen.tmux);
        assert_eq!(osc52("foo", &screen), "\x1bP\x1b]52;c;Zm9v\x07\x1b\\");
        let long = "x".repeat(200);
        let bytes = osc52(&long, &screen);
        let seq = format!("\x1b]52;c;{}\x07", base64(long.as_bytes()));
        let chunks: Vec<&str> = bytes
            .split("\x1b\\")
            .filter(|c| !c.is_empty())
            .map(|c| c.strip_prefix("\x1bP").expect("each chunk is a DCS"))
            .collect();
        assert!(chunks.len() > 1 && chunks.iter().all(|c| c.len() <= 76));
        assert_eq!(chunks.concat(), seq);
        // screen's TERM without STY (e.g. over ssh from screen) too.
        assert!(env(&[("TERM", "screen.xterm-256color")]).screen);
        // tmux gets its own buffer as a tool, over SSH too.
        let ssh_tmux = env(&[
            ("TMUX", "x"),
            ("SSH_CONNECTION", "1 2 3 4"),
            ("DISPLAY", ":0"),
        ]);
        let tools: Vec<_> = ssh_tmux.copy_tools().iter().map(|t| t.0).collect();
        assert_eq!(tools, vec!["tmux"]);
        assert!(plain.copy_tools().is_empty());
    }

    #[test]
    fn copy_messages_are_honest_about_osc52() {
        let tmux = env(&[("TMUX", "x")]);
        let m = copy_message("ref", "component:default/x", &Err("none".into()), &tmux);
        assert!(
            m.starts_with("ref component:default/x sent to the terminal via OSC 52;"),
            "{m}"
        );
        assert!(m.contains("set-clipboard on"), "{m}");
        assert!(!m.starts_with("copied"), "{m}");
        let m = copy_message("ref", "x", &Ok("tmux"), &tmux);
        assert!(m.contains("tmux's paste buffer"), "{m}");
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
        let plain = Desktop::default();
        let m = copy_message("ref", "component:default/x", &Ok("xclip"), &plain);
        assert_eq!(
            m,
            "copied ref component:default/x (xclip; also sent to the terminal via OSC 52)"
        );
        let m = copy_message("URL", "https://x\x1b[2J", &Err("none".into()), &plain);
        assert!(m.contains("via OSC 52") && !m.contains('\x1b'));
        assert!(copy_native("x", &[("callboard-no-such-tool", &[])]).is_err());
    }
}
