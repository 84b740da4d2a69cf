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
//! tape's text, and its replay in the GIF recorder (`tools/callboard-gif`,
//! which makes the README's pictures from the tapes, over the TestBackend
//! harness), always run. The tape parser is the recorder's.

use std::path::Path;
use std::time::Duration;

use regex::Regex;

use crate::tmux::Tmux;
use callboard_gif::tape::{parse_tape, split_key, wait_matches, Step};

/// vhs key names to tmux's (`Ctrl+N` → `C-n`, `Backspace` → `BSpace`).
fn tmux_key(name: &str) -> Option<String> {
    let (modifiers, key) = split_key(name)?;
    let mut out = String::new();
    for m in modifiers {
        out.push_str(match m {
            "Ctrl" => "C-",
            "Alt" => "M-",
            _ => "S-",
        });
    }
    let key = match key {
        "Backspace" => "BSpace".to_string(),
        "Delete" => "DC".to_string(),
        "PageUp" => "PPage".to_string(),
        "PageDown" => "NPage".to_string(),
        k if k.chars().count() == 1 => k.to_lowercase(),
        k => k.to_string(),
    };
    out.push_str(&key);
    Some(out)
}

#[test]
fn vhs_keys_become_tmux_keys() {
    assert_eq!(tmux_key("Enter").as_deref(), Some("Enter"));
    assert_eq!(tmux_key("Ctrl+N").as_deref(), Some("C-n"));
    assert_eq!(tmux_key("Backspace").as_deref(), Some("BSpace"));
    assert_eq!(tmux_key("Alt+PageDown").as_deref(), Some("M-NPage"));
    assert_eq!(tmux_key("Bogus"), None);
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
                let key = tmux_key(key).expect("a key the tape parser accepted");
                for _ in 0..*count {
                    t.keys(&[&key]);
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
                let matches = |screen: &str| wait_matches(&re, *whole_screen, screen);
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
            Step::Shell(_)
            | Step::TypingSpeed(_)
            | Step::Output(_)
            | Step::Hide
            | Step::Show
            | Step::Nothing => {}
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

/// Every tape replayed in the GIF recorder (`tools/callboard-gif`: the
/// TUI in the TestBackend harness, the commands as processes): every
/// `Wait` holds, and the GIF it makes is under 1 MB. No tmux needed.
#[test]
fn every_tape_replays_in_the_gif_recorder() {
    let tapes = tapes();
    assert!(tapes.len() >= 4, "{tapes:?}");
    let work = tempfile::tempdir().unwrap();
    for tape in &tapes {
        let (name, steps) = checked_steps(tape);
        let opts = callboard_gif::replay::Options {
            size: (80, 24),
            callboard: Some(env!("CARGO_BIN_EXE_callboard").into()),
            workdir: Some(work.path().to_path_buf()),
        };
        let rec = callboard_gif::replay::replay(&steps, &opts)
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let waits = steps
            .iter()
            .filter(|s| matches!(s, Step::Wait { .. }))
            .count();
        assert_eq!(rec.waits, waits, "{name}");
        for (buffer, _) in &rec.frames {
            let text = callboard_tui::testing::buffer_text(buffer);
            assert!(!text.contains("panicked"), "{name}:\n{text}");
        }
        let frames: Vec<_> = rec
            .frames
            .iter()
            .map(|(b, ms)| (callboard_gif::render::render(b), *ms))
            .collect();
        let mut gif = Vec::new();
        callboard_gif::render::write_gif(&mut gif, &frames).unwrap();
        assert!(gif.len() < 1 << 20, "{name}: {} bytes", gif.len());
        // The committed picture is there (made by `cargo run -p callboard-gif`).
        let committed = tape.with_extension("gif");
        assert!(committed.is_file(), "{name}: no {}", committed.display());
        let size = std::fs::metadata(&committed).unwrap().len();
        assert!(size < 1 << 20, "{name}: the GIF is {size} bytes");
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
