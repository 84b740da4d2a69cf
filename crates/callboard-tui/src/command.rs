//! The `:` command line (k9s style).
//!
//! | command | does |
//! |---|---|
//! | `:kind api` `:owner team-a` `:type service` `:lifecycle production` `:tag java` `:system payments` `:namespace default` | set that search filter (`,` for any of; no value removes it) |
//! | `:clear` | clear the query and every filter |
//! | `:find TEXT` | search for TEXT (filters kept) |
//! | `:open REF` (`:show`, `:e`) | open an entity by ref or unique name |
//! | `:sync` | sync the sources in the background |
//! | `:sync cancel` (`:cancel`) | cancel the running sync (`s` again does too); the last snapshot stays |
//! | `:templates` (`:t`, `:create`) | the software templates list |
//! | `:theme light` | switch theme: `auto`, `dark`, `light`, `mono` |
//! | `:help` | the key list |
//! | `:q` `:quit` | quit |

use callboard_core::search::FilterKey;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Quit,
    Sync,
    /// Cancel the running sync.
    CancelSync,
    Help,
    /// Replace one filter; no values removes it.
    Filter(FilterKey, Vec<String>),
    Clear,
    Find(String),
    Open(String),
    Theme(String),
    Templates,
}

pub const USAGE: &str = ":kind api  :owner team-a  :tag java  :clear  :find TEXT  :open REF  :sync  :theme mono  :help  :q";

/// Parse what was typed after `:`.
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim().trim_start_matches(':').trim();
    let (word, rest) = match line.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (line, ""),
    };
    if word.is_empty() {
        return Err(format!("type a command: {USAGE}"));
    }
    let lower = word.to_ascii_lowercase();
    let no_args = |c: Command| {
        if rest.is_empty() {
            Ok(c)
        } else {
            Err(format!(":{lower} takes no arguments"))
        }
    };
    let filter_key = match lower.as_str() {
        "ns" => Some(FilterKey::Namespace),
        "tags" => Some(FilterKey::Tag),
        "kinds" => Some(FilterKey::Kind),
        other => FilterKey::parse(other.trim_end_matches(':')),
    };
    if let Some(key) = filter_key {
        let values = rest
            .split([',', ' '])
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect();
        return Ok(Command::Filter(key, values));
    }
    match lower.as_str() {
        "q" | "q!" | "quit" | "qa" | "qa!" | "exit" => no_args(Command::Quit),
        "sync" | "refresh" if rest.trim().eq_ignore_ascii_case("cancel") => Ok(Command::CancelSync),
        "cancel" => no_args(Command::CancelSync),
        "sync" | "refresh" => no_args(Command::Sync),
        "templates" | "template" | "t" | "create" => no_args(Command::Templates),
        "help" | "h" | "keys" => no_args(Command::Help),
        "clear" | "reset" => no_args(Command::Clear),
        "find" | "search" | "f" => Ok(Command::Find(rest.to_string())),
        "open" | "show" | "e" | "edit" | "o" => {
            if rest.is_empty() {
                Err(format!(
                    ":{lower} needs a ref: :{lower} component:payments-service"
                ))
            } else {
                Ok(Command::Open(rest.to_string()))
            }
        }
        "theme" | "colorscheme" | "colo" => {
            if rest.is_empty() {
                Err(format!(":{lower} needs a name: auto, dark, light or mono"))
            } else {
                Ok(Command::Theme(rest.to_string()))
            }
        }
        _ => {
            let known = COMMANDS
                .iter()
                .copied()
                .chain(FilterKey::ALL.iter().map(|k| k.as_str()));
            let guess = closest(&lower, known)
                .map(|c| format!("did you mean :{c}? "))
                .unwrap_or_default();
            Err(format!(
                "unknown command ':{}'; {guess}try {USAGE}",
                callboard_core::text::sanitize::sanitize_line(word)
            ))
        }
    }
}

/// The command words, for suggestions.
const COMMANDS: [&str; 9] = [
    "quit",
    "sync",
    "templates",
    "help",
    "clear",
    "find",
    "open",
    "theme",
    "q",
];

/// The kinds Backstage knows, for `kind:` suggestions.
const KINDS: [&str; 9] = [
    "component",
    "api",
    "resource",
    "system",
    "domain",
    "group",
    "user",
    "location",
    "template",
];

/// The candidate a mistyped `word` most likely meant: one or two edits
/// away (one for short words), or the start of it.
fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    if word.is_empty() {
        return None;
    }
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .into_iter()
        .filter(|c| !c.eq_ignore_ascii_case(&word))
        .map(|c| {
            let d = if word.chars().count() >= 2 && c.starts_with(&word) {
                0
            } else {
                callboard_core::text::suggest::edit_distance(&word, c)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// What a query's filters probably meant, when a key is unknown (`knd:api`:
/// "did you mean kind:api?") or a kind is not one (`kind:apis`).
pub fn suggestions(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in query.split_whitespace() {
        let Some((key, value)) = token.split_once(':') else {
            continue;
        };
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        match FilterKey::parse(key) {
            None => {
                let keys = FilterKey::ALL.iter().map(|k| k.as_str());
                match closest(key, keys) {
                    Some(k) => out.push(format!("did you mean {k}:{value}?")),
                    None => out.push(format!(
                        "'{key}:' is not a filter; the filters are {}",
                        FilterKey::ALL.map(|k| format!("{}:", k.as_str())).join(" ")
                    )),
                }
            }
            Some(FilterKey::Kind) => {
                let values: Vec<&str> = value.split(',').filter(|v| !v.is_empty()).collect();
                let unknown = values
                    .iter()
                    .any(|v| !KINDS.iter().any(|k| k.eq_ignore_ascii_case(v)));
                if !unknown {
                    continue;
                }
                let fixed: Option<Vec<&str>> = values
                    .iter()
                    .map(|v| {
                        if KINDS.iter().any(|k| k.eq_ignore_ascii_case(v)) {
                            Some(*v)
                        } else {
                            closest(v, KINDS)
                        }
                    })
                    .collect();
                match fixed {
                    Some(f) => out.push(format!("did you mean kind:{}?", f.join(","))),
                    None => out.push(format!("the kinds are {}", KINDS.join(", "))),
                }
            }
            Some(_) => {}
        }
    }
    out
}

/// Rebuild a query string with one filter replaced: `:kind api` on
/// `owner:team-a pay kind:component` gives `owner:team-a kind:api pay`.
pub fn with_filter(query: &str, key: FilterKey, values: &[String]) -> String {
    let parsed = callboard_core::search::parse_query(query);
    let mut parts: Vec<String> = Vec::new();
    for f in &parsed.filters {
        if f.key != key {
            parts.push(filter_text(f.key, &f.values));
        }
    }
    if !values.is_empty() {
        parts.push(filter_text(key, values));
    }
    if !parsed.text.trim().is_empty() {
        parts.push(parsed.text.trim().to_string());
    }
    parts.join(" ")
}

/// Keep the filters of `query`, replace its free text.
pub fn with_text(query: &str, text: &str) -> String {
    let parsed = callboard_core::search::parse_query(query);
    let mut parts: Vec<String> = parsed
        .filters
        .iter()
        .map(|f| filter_text(f.key, &f.values))
        .collect();
    if !text.trim().is_empty() {
        parts.push(text.trim().to_string());
    }
    parts.join(" ")
}

fn filter_text(key: FilterKey, values: &[String]) -> String {
    let joined = values.join(",");
    if joined.contains(char::is_whitespace) {
        format!("{}:\"{joined}\"", key.as_str())
    } else {
        format!("{}:{joined}", key.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters() {
        assert_eq!(
            parse("kind api").unwrap(),
            Command::Filter(FilterKey::Kind, vec!["api".into()])
        );
        assert_eq!(
            parse(":owner team-a").unwrap(),
            Command::Filter(FilterKey::Owner, vec!["team-a".into()])
        );
        assert_eq!(
            parse("kind api,component").unwrap(),
            Command::Filter(FilterKey::Kind, vec!["api".into(), "component".into()])
        );
        assert_eq!(
            parse("ns default").unwrap(),
            Command::Filter(FilterKey::Namespace, vec!["default".into()])
        );
        assert_eq!(
            parse("Lifecycle production").unwrap(),
            Command::Filter(FilterKey::Lifecycle, vec!["production".into()])
        );
        assert_eq!(
            parse("tag").unwrap(),
            Command::Filter(FilterKey::Tag, vec![])
        );
    }

    #[test]
    fn parses_the_other_commands() {
        assert_eq!(parse("q").unwrap(), Command::Quit);
        assert_eq!(parse("  :quit ").unwrap(), Command::Quit);
        assert_eq!(parse("sync").unwrap(), Command::Sync);
        assert_eq!(parse("sync cancel").unwrap(), Command::CancelSync);
        assert_eq!(parse("cancel").unwrap(), Command::CancelSync);
        assert_eq!(parse("help").unwrap(), Command::Help);
        assert_eq!(parse("clear").unwrap(), Command::Clear);
        assert_eq!(
            parse("find pay ment").unwrap(),
            Command::Find("pay ment".into())
        );
        assert_eq!(
            parse("open component:payments-service").unwrap(),
            Command::Open("component:payments-service".into())
        );
        assert_eq!(parse("theme mono").unwrap(), Command::Theme("mono".into()));
    }

    #[test]
    fn errors_say_what_to_type() {
        assert!(parse("").unwrap_err().contains(":kind api"));
        assert!(parse("fly away")
            .unwrap_err()
            .contains("unknown command ':fly'"));
        assert!(parse("q now").unwrap_err().contains("no arguments"));
        assert!(parse("open").unwrap_err().contains("needs a ref"));
        // Control sequences typed (or pasted) into the line come back inert.
        assert!(!parse("\x1b[31mred").unwrap_err().contains('\x1b'));
    }

    #[test]
    fn suggests_what_a_mistyped_filter_meant() {
        assert_eq!(suggestions("knd:api pay"), vec!["did you mean kind:api?"]);
        assert_eq!(suggestions("kind:apis"), vec!["did you mean kind:api?"]);
        assert_eq!(
            suggestions("kind:apis,Component"),
            vec!["did you mean kind:api,Component?"]
        );
        assert_eq!(
            suggestions("kind:comp"),
            vec!["did you mean kind:component?"]
        );
        assert_eq!(
            suggestions("ownr:team-a"),
            vec!["did you mean owner:team-a?"]
        );
        assert!(suggestions("kind:zzzzzz")[0].starts_with("the kinds are component"));
        assert!(suggestions("kind:api owner:x pay").is_empty());
        assert!(parse("knd api")
            .unwrap_err()
            .contains("did you mean :kind?"));
        assert!(parse("snyc").unwrap_err().contains("did you mean :sync?"));
    }

    #[test]
    fn rebuilds_queries() {
        assert_eq!(
            with_filter(
                "owner:team-a pay kind:component",
                FilterKey::Kind,
                &["api".into()]
            ),
            "owner:team-a kind:api pay"
        );
        assert_eq!(with_filter("kind:api pay", FilterKey::Kind, &[]), "pay");
        assert_eq!(
            with_filter("", FilterKey::Owner, &["team a".into()]),
            "owner:\"team a\""
        );
        assert_eq!(with_text("kind:api old", "new words"), "kind:api new words");
        let q = callboard_core::search::parse_query(&with_filter(
            "",
            FilterKey::Owner,
            &["team a".into()],
        ));
        assert_eq!(q.filters[0].values, vec!["team a"]);
    }
}
