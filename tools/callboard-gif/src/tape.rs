//! vhs tapes (`vhs/*.tape`), parsed as far as a replay needs: what is
//! typed, the keys, the waits and the pauses. Shared by the GIF recorder
//! and the tmux replay test (`tests/tui/vhs_tapes.rs`).

use std::time::Duration;

use regex::Regex;

/// A tape command.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Literal text, typed.
    Type(String),
    /// A key as vhs names it (`Enter`, `Escape`, `Ctrl+N`), pressed
    /// `count` times.
    Key(String, usize),
    /// A pause for the viewer.
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
    /// `Set TypingSpeed 120ms`: the pause after each typed character.
    TypingSpeed(Duration),
    /// `Output FILE`: where vhs (and the recorder) write the GIF.
    Output(String),
    /// `Hide` / `Show`: what follows is (not) recorded.
    Hide,
    Show,
    /// Other settings and `Env`: nothing to replay.
    Nothing,
}

pub fn duration(text: &str) -> Result<Duration, String> {
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

/// The named keys vhs knows.
pub const KEYS: [&str; 14] = [
    "Enter",
    "Escape",
    "Space",
    "Tab",
    "Backspace",
    "Delete",
    "Up",
    "Down",
    "Left",
    "Right",
    "PageUp",
    "PageDown",
    "Home",
    "End",
];

/// A key split into its modifiers (`Ctrl`, `Alt`, `Shift`) and the key
/// (one character or a name of [`KEYS`]); None when vhs has no such key.
pub fn split_key(name: &str) -> Option<(Vec<&str>, &str)> {
    if KEYS.contains(&name) {
        return Some((Vec::new(), name));
    }
    let parts: Vec<&str> = name.split('+').collect();
    let (key, modifiers) = parts.split_last()?;
    if modifiers.is_empty()
        || !modifiers
            .iter()
            .all(|m| matches!(*m, "Ctrl" | "Alt" | "Shift"))
        || !(key.chars().count() == 1 || KEYS.contains(key))
    {
        return None;
    }
    Some((modifiers.to_vec(), key))
}

pub fn parse_line(line: &str) -> Result<Step, String> {
    let line = line.trim();
    let (head, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    // `Type@100ms "x"`, `Enter@1s 3`: the speed only matters on video.
    let (command, _speed) = head.split_once('@').unwrap_or((head, ""));
    match command {
        "Hide" => Ok(Step::Hide),
        "Show" => Ok(Step::Show),
        "Env" => Ok(Step::Nothing),
        "Output" => Ok(Step::Output(rest.trim_matches('"').to_string())),
        "Set" => match rest.split_once(char::is_whitespace) {
            Some(("Shell", shell)) => Ok(Step::Shell(shell.trim().trim_matches('"').into())),
            Some(("TypingSpeed", speed)) => duration(speed.trim()).map(Step::TypingSpeed),
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
            split_key(key).ok_or_else(|| format!("unknown tape command: {line}"))?;
            let count = if rest.is_empty() {
                1
            } else {
                rest.parse()
                    .map_err(|_| format!("a key takes a repeat count: {line}"))?
            };
            Ok(Step::Key(key.to_string(), count))
        }
    }
}

/// A whole tape; `Err` names the line.
pub fn parse_tape(text: &str) -> Result<Vec<Step>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(n, l)| parse_line(l).map_err(|e| format!("line {}: {e}", n + 1)))
        .collect()
}

/// Does `screen` satisfy a `Wait`?
pub fn wait_matches(re: &Regex, whole_screen: bool, screen: &str) -> bool {
    let target = if whole_screen {
        screen
    } else {
        screen.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
    };
    re.is_match(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tape_commands_parse_as_vhs_writes_them() {
        assert_eq!(
            parse_line("Type \"a b\"").unwrap(),
            Step::Type("a b".into())
        );
        assert_eq!(parse_line("Type@50ms 'x'").unwrap(), Step::Type("x".into()));
        assert_eq!(parse_line("Enter 3").unwrap(), Step::Key("Enter".into(), 3));
        assert_eq!(parse_line("Ctrl+N").unwrap(), Step::Key("Ctrl+N".into(), 1));
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
        assert_eq!(
            parse_line("Set TypingSpeed 120ms").unwrap(),
            Step::TypingSpeed(Duration::from_millis(120))
        );
        assert_eq!(
            parse_line("Output vhs/x.gif").unwrap(),
            Step::Output("vhs/x.gif".into())
        );
        assert_eq!(parse_line("Set FontSize 16").unwrap(), Step::Nothing);
        assert!(parse_line("Frobnicate").is_err());
        assert!(parse_line("Ctrl+Frob").is_err());
        assert!(parse_line("Type unquoted").is_err());
        assert!(parse_line("Wait+Screen /unclosed(/").is_err());
        let err = parse_tape("# comment\n\nType \"x\"\nBogus\n").unwrap_err();
        assert!(err.starts_with("line 4:"), "{err}");
    }

    #[test]
    fn keys_split_into_modifiers_and_key() {
        assert_eq!(split_key("Enter"), Some((vec![], "Enter")));
        assert_eq!(split_key("Ctrl+Alt+x"), Some((vec!["Ctrl", "Alt"], "x")));
        assert_eq!(split_key("Shift+Tab"), Some((vec!["Shift"], "Tab")));
        assert_eq!(split_key("x"), None);
        assert_eq!(split_key("Hyper+x"), None);
    }
}
