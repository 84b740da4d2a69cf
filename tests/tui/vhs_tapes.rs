//! The vhs tapes (`vhs/*.tape`) replayed against the real binary in tmux,
//! so a recording never shows a flow that no longer works.
//!
//! Every command of a tape is carried out as vhs would: `Type` and the key
//! commands go in with `send-keys`, `Wait+Screen /regex/` waits until the
//! screen matches (vhs fails the recording the same way when it does not),
//! `Sleep` (there for the viewer of the recording: the screen is read, not
//! watched), `Hide`/`Show` and the settings are accepted. The tape runs in
//! bash with the freshly built `callboard` first on `PATH` and fresh cache
//! and config homes. At the end the last command (callboard itself for the
//! TUI tapes) must have exited 0, and no screen along the way may show a
//! panic. An unknown command fails the test: the tape would not record
//! either.
//!
//! The replay needs tmux (`#[ignore = "needs tmux"]`); the checks of each
//! tape's text always run.

use std::path::Path;
use std::time::Duration;

use regex::Regex;

use crate::tmux::Tmux;

/// A tape command, as far as a replay needs it.
#[derive(Debug, PartialEq)]
enum Step {
    /// Literal text, typed.
    Type(String),
    /// A tmux key name, pressed `count` times.
    Key(String, usize),
    Sleep(Duration),
    /// `Wait+Screen /regex/` (and `Wait+Line`, checked against the screen's
    /// last non-blank line), with its timeout.
    Wait {
        regex: String,
        whole_screen: bool,
        timeout: Duration,
    },
    /// `Require PROGRAM`: it must be on PATH.
    Require(String),
    /// `Set Shell NAME`.
    Shell(String),
    /// Output, other settings, Hide, Show: nothing to replay.
    Nothing,
}

fn duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    number
        .parse::<f64>()
        .map(|n| Duration::from_secs_f64(n * scale))
        .map_err(|_| format!("not a duration: {text:?}"))
}

/// The quoted argument of `Type`: "…", '…' or `…`.
fn quoted(text: &str) -> Result<String, String> {
    let text = text.trim();
    let mut chars = text.chars();
    let quote = chars.next().ok_or("Type needs a string")?;
    if !matches!(quote, '"' | '\'' | '`') || text.len() < 2 || !text.ends_with(quote) {
        return Err(format!("Type needs a quoted string: {text}"));
    }
    Ok(text[1..text.len() - 1].to_string())
}

/// vhs key names to tmux's.
fn tmux_key(name: &str) -> Option<String> {
    let plain = match name {
        "Enter" => "Enter",
        "Escape" => "Escape",
        "Space" => "Space",
        "Tab" => "Tab",
        "Backspace" => "BSpace",
        "Delete" => "DC",
        "Up" => "Up",
        "Down" => "Down",
        "Left" => "Left",
        "Right" => "Right",
        "PageUp" => "PPage",
        "PageDown" => "NPage",
        "Home" => "Home",
        "End" => "End",
        _ => "",
    };
    if !plain.is_empty() {
        return Some(plain.to_string());
    }
    // Ctrl+N, Alt+X, Ctrl+Alt+X, Shift+Tab.
    let parts: Vec<&str> = name.split('+').collect();
    let (key, modifiers) = parts.split_last()?;
    if modifiers.is_empty() {
        return None;
    }
    let mut out = String::new();
    for m in modifiers {
        out.push_str(match *m {
            "Ctrl" => "C-",
            "Alt" => "M-",
            "Shift" => "S-",
            _ => return None,
        });
    }
    let key = if key.chars().count() == 1 {
        key.to_lowercase()
    } else {
        tmux_key(key)?
    };
    out.push_str(&key);
    Some(out)
}

fn parse_line(line: &str) -> Result<Step, String> {
    let line = line.trim();
    let (head, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    // `Type@100ms "x"`, `Enter@1s 3`: the speed only matters on video.
    let (command, _speed) = head.split_once('@').unwrap_or((head, ""));
    match command {
        "Output" | "Hide" | "Show" | "Env" => Ok(Step::Nothing),
        "Set" => match rest.split_once(char::is_whitespace) {
            Some(("Shell", shell)) => Ok(Step::Shell(shell.trim().trim_matches('"').into())),
            Some(_) => Ok(Step::Nothing),
            None => Err(format!("Set needs a setting and a value: {line}")),
        },
        "Require" => Ok(Step::Require(rest.to_string())),
        "Type" => quoted(rest).map(Step::Type),
        "Sleep" => duration(rest).map(Step::Sleep),
        "Wait" | "Wait+Screen" | "Wait+Line" => {
            let (timeout, pattern) = match head.split_once('@') {
                Some((_, t)) => (duration(t)?, rest),
                None => (Duration::from_secs(15), rest),
            };
            let regex = pattern
                .strip_prefix('/')
                .and_then(|p| p.strip_suffix('/'))
                .ok_or_else(|| format!("Wait needs /regex/: {line}"))?;
            Regex::new(regex).map_err(|e| format!("{line}: {e}"))?;
            Ok(Step::Wait {
                regex: regex.to_string(),
                whole_screen: command == "Wait+Screen",
                timeout,
            })
        }
        key => {
            let name = tmux_key(key).ok_or_else(|| format!("unknown tape command: {line}"))?;
            let count = if rest.is_empty() {
                1
            } else {
                rest.parse()
                    .map_err(|_| format!("a key takes a repeat count: {line}"))?
            };
            Ok(Step::Key(name, count))
        }
    }
}

/// A whole tape; `Err` names the line.
fn parse_tape(text: &str) -> Result<Vec<Step>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(n, l)| parse_line(l).map_err(|e| format!("line {}: {e}", n + 1)))
        .collect()
}

#[test]
fn tape_commands_parse_as_vhs_writes_them() {
    assert_eq!(
        parse_line("Type \"a b\"").unwrap(),
        Step::Type("a b".into())
    );
    assert_eq!(parse_line("Type@50ms 'x'").unwrap(), Step::Type("x".into()));
    assert_eq!(parse_line("Enter 3").unwrap(), Step::Key("Enter".into(), 3));
    assert_eq!(parse_line("Ctrl+N").unwrap(), Step::Key("C-n".into(), 1));
    assert_eq!(
        parse_line("Sleep 1.5s").unwrap(),
        Step::Sleep(Duration::from_millis(1500))
    );
    assert_eq!(
        parse_line("Sleep 300ms").unwrap(),
        Step::Sleep(Duration::from_millis(300))
    );
    assert_eq!(
        parse_line("Wait+Screen@5s /Members \\(2\\)/").unwrap(),
        Step::Wait {
            regex: "Members \\(2\\)".into(),
            whole_screen: true,
            timeout: Duration::from_secs(5)
        }
    );
    assert_eq!(
        parse_line("Set Shell bash").unwrap(),
        Step::Shell("bash".into())
    );
    assert!(parse_line("Frobnicate").is_err());
    assert!(parse_line("Type unquoted").is_err());
    assert!(parse_line("Wait+Screen /unclosed(/").is_err());
    let err = parse_tape("# comment\n\nType \"x\"\nBogus\n").unwrap_err();
    assert!(err.starts_with("line 4:"), "{err}");
}

fn tapes() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vhs");
    let mut tapes: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tape"))
        .collect();
    tapes.sort();
    tapes
}

/// The gap after a replayed Escape, so that it and the next key reach
/// callboard as separate reads (ESC then `q` in one read is Alt-q). Input
/// framing, not waiting for anything: the tapes' `Wait`s cover what must be
/// on screen.
const AFTER_ESCAPE: Duration = Duration::from_millis(40);

/// A tape's name and steps, checked for what a replay (and vhs) needs: it
/// parses, runs in bash, and checks what it shows with at least one `Wait`.
fn checked_steps(tape: &Path) -> (String, Vec<Step>) {
    let text = std::fs::read_to_string(tape).unwrap();
    let name = tape.file_name().unwrap().to_string_lossy().into_owned();
    let steps = parse_tape(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        steps.contains(&Step::Shell("bash".into())),
        "{name}: the tapes run in bash (Set Shell bash)"
    );
    assert!(
        steps.iter().any(|s| matches!(s, Step::Wait { .. })),
        "{name}: a tape checks what it shows with Wait+Screen"
    );
    (name, steps)
}

fn replay(tape: &Path) {
    let (name, steps) = checked_steps(tape);
    let t = Tmux::start_with((80, 24), &["bash", "--norc", "--noprofile", "-i"]);
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_callboard")).parent().unwrap();
    let tmp = t.home().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    t.wait("the shell", 10, |s| !s.trim().is_empty());
    // What `cargo install` gives a user: callboard on PATH; mktemp in the
    // test's own directory.
    t.type_text(&format!(
        "export PATH='{}':\"$PATH\" TMPDIR='{}' PS1='$ '; clear",
        bin_dir.display(),
        tmp.display()
    ));
    t.keys(&["Enter"]);
    t.wait("the prompt", 10, |s| s.trim() == "$");
    let check = |screen: &str, step: &Step| {
        assert!(
            !screen.contains("panicked"),
            "{name}: a panic after {step:?}:\n{screen}"
        );
    };
    for step in &steps {
        match step {
            Step::Type(text) => t.type_text(text),
            Step::Key(key, count) => {
                for _ in 0..*count {
                    t.keys(&[key]);
                    if key == "Escape" {
                        std::thread::sleep(AFTER_ESCAPE);
                    }
                }
            }
            // For the recording's viewer; the next `Wait` reads the screen.
            Step::Sleep(_) => {}
            Step::Wait {
                regex,
                whole_screen,
                timeout,
            } => {
                let re = Regex::new(regex).unwrap();
                let matches = |screen: &str| {
                    let target = if *whole_screen {
                        screen
                    } else {
                        screen.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
                    };
                    re.is_match(target)
                };
                // A panic ends the wait early, to be reported as one.
                let screen = t.wait(
                    &format!("{name}: Wait /{regex}/"),
                    timeout.as_secs().max(1),
                    |s| matches(s) || s.contains("panicked"),
                );
                check(&screen, step);
            }
            Step::Require(program) => {
                let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                    .chain([bin_dir.to_path_buf()])
                    .any(|d| d.join(program).is_file());
                assert!(found, "{name}: Require {program}: not on PATH");
            }
            Step::Shell(_) | Step::Nothing => {}
        }
        if !matches!(step, Step::Wait { .. }) {
            check(&t.screen(), step);
        }
    }
    // The tape's last command has finished (the shell has the terminal
    // again, so what is typed next is not keys for callboard), and succeeded.
    t.wait_var("pane_current_command", "bash", 15);
    t.type_text("echo \"tape-exit=$?\"");
    t.keys(&["Enter"]);
    // The echo's output, not the typed command line (which holds the same text).
    let exit_line = |s: &str| {
        s.lines().find_map(|l| {
            l.strip_prefix("tape-exit=")
                .map(|code| code.trim().to_string())
        })
    };
    let screen = t.wait("the shell after the tape", 15, |s| exit_line(s).is_some());
    assert!(
        exit_line(&screen).as_deref() == Some("0"),
        "{name}: the last command failed (or callboard is still running):\n{screen}"
    );
    assert_eq!(
        t.var("alternate_on"),
        "0",
        "{name}: the terminal is restored"
    );
}

#[test]
fn every_tape_parses_runs_in_bash_and_waits() {
    let tapes = tapes();
    assert!(tapes.len() >= 4, "{tapes:?}");
    for tape in &tapes {
        checked_steps(tape);
    }
}

#[test]
#[ignore = "needs tmux"]
fn every_tape_replays_against_the_binary() {
    let tapes = tapes();
    assert!(tapes.len() >= 4, "{tapes:?}");
    for tape in &tapes {
        replay(tape);
    }
}
