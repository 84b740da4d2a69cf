//! A tape replayed into frames, without a terminal: the TUI runs in the
//! TestBackend harness (the real app and workers over the embedded demo
//! catalog, in fresh temp dirs), and a small stand-in for the shell shows
//! the prompt, what is typed, and the output of `callboard` commands (run
//! as processes). Every `Wait` is checked against the screen, as vhs
//! does; `Sleep`s and the typing speed become frame durations.
//!
//! The tapes' hidden setup (fresh cache and config homes, `clear`) is not
//! run: every `callboard` here starts from fresh homes anyway.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use regex::Regex;

use crate::tape::{split_key, wait_matches, Step};
use callboard_tui::messages::Msg;
use callboard_tui::testing::{buffer_text, Harness};

pub struct Options {
    /// The terminal, in cells.
    pub size: (u16, u16),
    /// The `callboard` binary, for commands typed at the prompt.
    pub callboard: Option<PathBuf>,
    /// The TUI's working directory (where a template's local run writes,
    /// as the tapes' `cd $(mktemp -d)` does): the process changes into it
    /// while the TUI runs, and back.
    pub workdir: Option<PathBuf>,
}

/// The TUI running, in its working directory.
struct Tui {
    h: Harness,
    _cwd: Cwd,
}

/// Back to the directory we were in, when the TUI quits.
struct Cwd(Option<PathBuf>);

impl Cwd {
    fn enter(dir: Option<&PathBuf>) -> Result<Cwd> {
        let Some(dir) = dir else { return Ok(Cwd(None)) };
        let here = std::env::current_dir()?;
        std::env::set_current_dir(dir).with_context(|| format!("cd {}", dir.display()))?;
        Ok(Cwd(Some(here)))
    }
}

impl Drop for Cwd {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            let _ = std::env::set_current_dir(d);
        }
    }
}

/// The frames (screen, milliseconds shown) and how many `Wait`s held.
pub struct Recording {
    pub frames: Vec<(Buffer, u64)>,
    pub waits: usize,
}

/// The stand-in shell: lines printed so far and the line being typed.
struct Shell {
    lines: Vec<String>,
    input: String,
    homes: tempfile::TempDir,
}

const PROMPT: &str = "$ ";

impl Shell {
    fn draw(&self, size: (u16, u16)) -> Buffer {
        let (w, h) = (size.0 as usize, size.1 as usize);
        let mut rows: Vec<(String, bool)> = Vec::new();
        for line in &self.lines {
            // The terminal wraps long lines.
            let chars: Vec<char> = line.chars().collect();
            if chars.is_empty() {
                rows.push((String::new(), false));
            }
            for piece in chars.chunks(w.max(1)) {
                rows.push((piece.iter().collect(), false));
            }
        }
        rows.push((format!("{PROMPT}{}", self.input), true));
        let start = rows.len().saturating_sub(h);
        let mut buffer = Buffer::empty(Rect::new(0, 0, size.0, size.1));
        for (y, (row, prompt)) in rows[start..].iter().enumerate() {
            let y = y as u16;
            if *prompt {
                buffer.set_string(0, y, PROMPT, Style::new().fg(Color::Green));
                buffer.set_string(2, y, &self.input, Style::new());
                let x = (PROMPT.len() + self.input.chars().count()).min(w - 1) as u16;
                buffer[(x, y)].set_style(Style::new().add_modifier(Modifier::REVERSED));
            } else {
                buffer.set_string(0, y, row, Style::new());
            }
        }
        buffer
    }

    /// Run a typed command line: `clear`, `callboard ARGS`, joined by `;`.
    fn run(&mut self, line: &str, callboard: Option<&PathBuf>) -> Result<()> {
        self.lines.push(format!("{PROMPT}{line}"));
        for part in line.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            // `… | head -N`, as tapes shorten long output for the screen.
            let (part, head) = match part.rsplit_once('|') {
                Some((command, filter)) => {
                    let n = filter
                        .trim()
                        .strip_prefix("head -")
                        .and_then(|n| n.parse::<usize>().ok())
                        .ok_or_else(|| anyhow!("the recorder pipes only into `head -N`: {part}"))?;
                    (command.trim(), Some(n))
                }
                None => (part, None),
            };
            let words: Vec<&str> = part.split_whitespace().collect();
            match words.as_slice() {
                ["clear"] => self.lines.clear(),
                ["callboard", args @ ..] => {
                    let bin = callboard.ok_or_else(|| {
                        anyhow!("`{part}` needs the callboard binary (--callboard)")
                    })?;
                    let home = self.homes.path();
                    let out = Command::new(bin)
                        .args(args)
                        .env("XDG_CACHE_HOME", home.join("cache"))
                        .env("XDG_CONFIG_HOME", home.join("config"))
                        .env("HOME", home)
                        .env_remove("CALLBOARD_CONFIG")
                        .env_remove("CALLBOARD_CACHE_DIR")
                        .env("NO_COLOR", "1")
                        .output()
                        .with_context(|| format!("running {}", bin.display()))?;
                    let stdout = String::from_utf8_lossy(&out.stdout);
                    let shown = stdout.lines().take(head.unwrap_or(usize::MAX));
                    self.lines.extend(shown.map(str::to_string));
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    self.lines.extend(stderr.lines().map(str::to_string));
                }
                _ => {
                    bail!("the recorder runs only `callboard …` and `clear` at the prompt: {part}")
                }
            }
        }
        Ok(())
    }
}

/// The harness's name of a vhs key (`Ctrl+N` → `ctrl-n`).
fn harness_key(name: &str) -> Result<String> {
    let (mods, key) = split_key(name).ok_or_else(|| anyhow!("unknown key {name}"))?;
    let key = match key {
        "Escape" => "esc".to_string(),
        "Tab" if mods == ["Shift"] => return Ok("backtab".into()),
        k if k.chars().count() == 1 => k.to_lowercase(),
        k => k.to_lowercase(),
    };
    let mut out = String::new();
    for m in mods {
        out.push_str(&m.to_lowercase());
        out.push('-');
    }
    out.push_str(&key);
    Ok(out)
}

/// The harness records copies instead of making them; say them as the
/// app does once the terminal has them.
fn report_copies(h: &mut Harness) {
    for (what, text) in std::mem::take(&mut h.copied) {
        let text = format!("copied {what} {}", first_line(&text));
        h.app.handle_msg(Msg::Notice { text, error: false });
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect()
}

fn char_key(c: char) -> String {
    match c {
        ' ' => "space".into(),
        c => c.to_string(),
    }
}

/// Replay `steps` into frames.
pub fn replay(steps: &[Step], opts: &Options) -> Result<Recording> {
    let mut shell = Shell {
        lines: Vec::new(),
        input: String::new(),
        homes: tempfile::tempdir()?,
    };
    let mut tui: Option<Tui> = None;
    let mut hidden = false;
    let mut typing = Duration::from_millis(50);
    let mut rec = Recording {
        frames: Vec::new(),
        waits: 0,
    };
    let screen = |tui: &mut Option<Tui>, shell: &Shell| match tui {
        Some(t) => t.h.buffer(),
        None => shell.draw(opts.size),
    };
    // A frame after each visible change; pauses lengthen the last one.
    let snap = |rec: &mut Recording, buffer: Buffer, ms: u64| match rec.frames.last_mut() {
        Some((last, d)) if *last == buffer => *d += ms,
        _ => rec.frames.push((buffer, ms)),
    };
    for step in steps {
        match step {
            Step::Hide => hidden = true,
            Step::Show => {
                hidden = false;
                // The hidden setup ended with `clear`.
                shell.lines.clear();
                shell.input.clear();
            }
            Step::TypingSpeed(d) => typing = *d,
            Step::Type(text) => {
                for c in text.chars() {
                    match &mut tui {
                        Some(t) => {
                            t.h.key(&char_key(c));
                            report_copies(&mut t.h);
                        }
                        None if hidden => {}
                        None => shell.input.push(c),
                    }
                    if tui.as_ref().is_some_and(|t| t.h.app.quit) {
                        // callboard quit: the shell's screen comes back.
                        tui = None;
                    }
                    if !hidden {
                        let b = screen(&mut tui, &shell);
                        snap(&mut rec, b, typing.as_millis() as u64);
                    }
                }
            }
            Step::Key(name, count) => {
                for _ in 0..*count {
                    match &mut tui {
                        Some(t) => {
                            t.h.key(&harness_key(name)?);
                            report_copies(&mut t.h);
                        }
                        None if hidden => {}
                        None if name == "Enter" => {
                            let line = std::mem::take(&mut shell.input);
                            if line.trim() == "callboard" {
                                shell.lines.push(format!("{PROMPT}{line}"));
                                let cwd = Cwd::enter(opts.workdir.as_ref())?;
                                tui = Some(Tui {
                                    h: Harness::demo(opts.size),
                                    _cwd: cwd,
                                });
                            } else {
                                shell.run(&line, opts.callboard.as_ref())?;
                            }
                        }
                        None => bail!("at the prompt the recorder knows only Enter, not {name}"),
                    }
                    if tui.as_ref().is_some_and(|t| t.h.app.quit) {
                        // callboard quit: the shell's screen comes back.
                        tui = None;
                    }
                    if !hidden {
                        let b = screen(&mut tui, &shell);
                        snap(&mut rec, b, typing.as_millis() as u64);
                    }
                }
            }
            Step::Sleep(d) => {
                if !hidden {
                    let b = screen(&mut tui, &shell);
                    snap(&mut rec, b, d.as_millis() as u64);
                }
            }
            Step::Wait {
                regex,
                whole_screen,
                timeout,
            } => {
                // As vhs: until the screen matches, or the timeout. (Work
                // the app started in the background, a template run, ends
                // meanwhile.)
                let re = Regex::new(regex)?;
                let deadline = Instant::now() + *timeout;
                loop {
                    let text = buffer_text(&screen(&mut tui, &shell));
                    if wait_matches(&re, *whole_screen, &text) {
                        break;
                    }
                    if Instant::now() >= deadline {
                        bail!("Wait /{regex}/ does not match the screen:\n{text}");
                    }
                    std::thread::sleep(Duration::from_millis(20));
                    if let Some(t) = &mut tui {
                        t.h.settle();
                    }
                }
                rec.waits += 1;
                if !hidden {
                    // What changed while waiting shows.
                    let b = screen(&mut tui, &shell);
                    snap(&mut rec, b, 0);
                }
            }
            Step::Require(_) | Step::Shell(_) | Step::Output(_) | Step::Nothing => {}
        }
    }
    if rec.frames.is_empty() {
        bail!("the tape shows nothing");
    }
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_the_harness_names() {
        assert_eq!(harness_key("Enter").unwrap(), "enter");
        assert_eq!(harness_key("Escape").unwrap(), "esc");
        assert_eq!(harness_key("Ctrl+N").unwrap(), "ctrl-n");
        assert_eq!(harness_key("Shift+Tab").unwrap(), "backtab");
        assert_eq!(harness_key("PageDown").unwrap(), "pagedown");
        assert_eq!(char_key(' '), "space");
    }

    #[test]
    fn a_tui_tape_replays_into_frames_and_checks_its_waits() {
        let tape = crate::tape::parse_tape(
            "Set TypingSpeed 100ms\nType \"callboard\"\nEnter\nWait+Screen /demo · synced/\nSleep 1s\nType \"pay\"\nWait+Screen /payments-service/\nEscape\nType \"q\"\n",
        )
        .unwrap();
        let opts = Options {
            size: (80, 24),
            callboard: None,
            workdir: None,
        };
        let rec = replay(&tape, &opts).unwrap();
        assert_eq!(rec.waits, 2);
        // The prompt, then the TUI; back at the prompt after `q`.
        let first = buffer_text(&rec.frames[0].0);
        assert!(first.starts_with("$ c"), "{first}");
        let last = buffer_text(&rec.frames.last().unwrap().0);
        assert!(last.starts_with("$ callboard\n$"), "{last}");
        assert!(rec.frames.iter().any(|(_, ms)| *ms >= 1000));
        // A Wait that does not hold fails the replay, like vhs.
        let bad = crate::tape::parse_tape(
            "Type \"callboard\"\nEnter\nWait+Screen@100ms /nothing like this/\n",
        )
        .unwrap();
        let err = replay(&bad, &opts).err().unwrap().to_string();
        assert!(err.contains("does not match"), "{err}");
    }
}
