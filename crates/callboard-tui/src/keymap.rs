//! Key bindings: the actions a key can trigger, the screens each one is
//! bound on ([`Scope`]), their default keys, and the user's overrides from
//! the config file's `keys:` map. A key means one action within a screen;
//! the same key may mean another on another screen.
//!
//! ```yaml
//! keys:
//!   page_down: ctrl-f          # one key
//!   down: [j, down, ctrl-n]    # or several; the defaults of `down` are replaced
//! ```
//!
//! Key syntax: optional modifiers `ctrl-`, `alt-`, `shift-` (also written
//! `c-`, `a-`/`m-`, `s-`, or with `+`), then a character (`G`, `?`, `/`) or a
//! name: `enter esc tab backtab space backspace delete insert up down left
//! right home end pageup pagedown f1`..`f12`, `minus`, `plus`.

use std::collections::HashMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use callboard_io::config::KeyList;

/// Something a key can do. The bindable ones are listed in [`Action::bindings`]
/// with their config names; the rest come from typing and the mouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Search,
    Command,
    Up,
    Down,
    Top,
    Bottom,
    HalfPageDown,
    HalfPageUp,
    PageDown,
    PageUp,
    Open,
    Back,
    Copy,
    OpenLink,
    Runbook,
    Sync,
    /// Ask the backend to process the entity again, then sync it.
    RefreshEntity,
    NextPane,
    PrevPane,
    /// Switch to pane 0..=5 (Overview, Owner, Relations, Dependencies, API, Docs).
    Pane(usize),
    Expand,
    Collapse,
    Toggle,
    ExpandAll,
    /// The software templates list.
    Templates,
    /// Docs pane: the next / previous match of the page search.
    FindNext,
    FindPrev,
    /// Docs pane: the page's headings, to jump to one.
    Outline,
    /// Docs pane: the site's pages (the nav tree).
    DocsPages,
    /// Docs pane: the previous / next page in nav order.
    PrevPage,
    NextPage,
    /// Docs pane: back to the page before a followed link (and forward).
    HistoryBack,
    HistoryForward,
    /// Docs pane: scroll the code blocks sideways (they are never wrapped).
    CodeLeft,
    CodeRight,
    // ---- not bindable: text editing in the query and command lines ----
    Input(char),
    Paste(String),
    Backspace,
    DeleteChar,
    DeleteWord,
    CursorLeft,
    CursorRight,
    CursorHome,
    CursorEnd,
    ClearLine,
    // ---- not bindable: the mouse ----
    ScrollUp,
    ScrollDown,
    Click {
        column: u16,
        row: u16,
    },
    // ---- not bindable: the terminal ----
    /// A key as pressed, for the screens that read keys themselves (the
    /// template screens, where letters type into the form).
    Key(Key),
    Resize(u16, u16),
    /// Periodic: the clock moved (milliseconds since the epoch).
    Tick(u64),
}

/// The screens whose keys go through the key map. (The template screens
/// read keys themselves: letters type into their fields.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The query line (when not typing) and the result list.
    Catalog,
    /// An entity's panes, but for Docs.
    Entity,
    /// The Docs pane of an entity.
    Docs,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Catalog, Scope::Entity, Scope::Docs];
}

/// A bindable action with its config name, help text, default keys and the
/// screens it is bound on.
pub struct Binding {
    pub action: Action,
    pub name: &'static str,
    pub help: &'static str,
    pub defaults: &'static [&'static str],
    pub scopes: &'static [Scope],
}

const ALL: &[Scope] = &Scope::ALL;
const ENTITY: &[Scope] = &[Scope::Entity];
const DOCS: &[Scope] = &[Scope::Docs];
/// Both kinds of entity pane (`*` in Docs shows the expanded dependencies).
const PANES: &[Scope] = &[Scope::Entity, Scope::Docs];

macro_rules! bindings {
    ($($action:expr, $name:literal, $help:literal, [$($key:literal),*], $scopes:expr;)*) => {
        fn all_bindings() -> Vec<Binding> {
            vec![$(Binding {
                action: $action,
                name: $name,
                help: $help,
                defaults: &[$($key),*],
                scopes: $scopes,
            }),*]
        }
    };
}

bindings! {
    Action::Search, "search", "search the catalog (focus the query line)", ["/"], ALL;
    Action::Command, "command", "command line: :kind api  :owner team-a  :sync  :q", [":"], ALL;
    Action::Open, "open", "open the selected entity or link", ["enter"], ALL;
    Action::Back, "back", "back (leave the query line, close, previous entity)", ["esc"], ALL;
    Action::Down, "down", "move down", ["j", "down", "ctrl-j", "ctrl-n"], ALL;
    Action::Up, "up", "move up", ["k", "up", "ctrl-k", "ctrl-p"], ALL;
    Action::Top, "top", "go to the top", ["g", "home"], ALL;
    Action::Bottom, "bottom", "go to the bottom", ["G", "end"], ALL;
    Action::HalfPageDown, "half_page_down", "half a page down", ["ctrl-d"], ALL;
    Action::HalfPageUp, "half_page_up", "half a page up", ["ctrl-u"], ALL;
    Action::PageDown, "page_down", "a page down", ["pagedown", "ctrl-f"], ALL;
    Action::PageUp, "page_up", "a page up", ["pageup", "ctrl-b"], ALL;
    Action::NextPane, "next_pane", "next pane", ["tab"], ALL;
    Action::PrevPane, "prev_pane", "previous pane", ["backtab"], ALL;
    Action::Pane(0), "pane_overview", "Overview pane", ["1"], ALL;
    Action::Pane(1), "pane_owner", "Owner pane: group, members, emails, on-call", ["2"], ALL;
    Action::Pane(2), "pane_relations", "Relations pane", ["3"], ALL;
    Action::Pane(3), "pane_dependencies", "Dependencies pane (blast radius)", ["4"], ALL;
    Action::Pane(4), "pane_api", "API pane", ["5"], ALL;
    Action::Pane(5), "pane_docs", "Docs pane: the entity's TechDocs", ["6"], ALL;
    Action::Copy, "copy", "copy the ref, URL or email under the cursor", ["y"], ALL;
    Action::OpenLink, "open_link", "open the link (over SSH: show and copy it)", ["o"], ALL;
    Action::Runbook, "runbook", "jump to the runbook (the entity's link, its docs, else its owner's)", ["r"], ALL;
    Action::Toggle, "toggle", "expand or collapse a dependency", ["space"], ENTITY;
    Action::Expand, "expand", "expand a dependency", ["l", "right"], ENTITY;
    Action::Collapse, "collapse", "collapse a dependency", ["h", "left"], ENTITY;
    Action::ExpandAll, "expand_all", "expand or collapse every dependency", ["*"], PANES;
    Action::Templates, "templates", "software templates: pick one and fill in its form", ["t"], ALL;
    Action::DocsPages, "docs_pages", "Docs: the pages (nav tree)", ["p"], DOCS;
    Action::Outline, "outline", "Docs: the page's headings, to jump to", ["O"], DOCS;
    Action::PrevPage, "prev_page", "Docs: previous page", ["["], DOCS;
    Action::NextPage, "next_page", "Docs: next page", ["]"], DOCS;
    Action::HistoryBack, "history_back", "Docs: back to the page a link left (Esc leaves the pane)", ["H", "backspace"], DOCS;
    Action::HistoryForward, "history_forward", "Docs: forward again", ["L"], DOCS;
    Action::FindNext, "find_next", "Docs: next match of the page search (/ searches)", ["n"], DOCS;
    Action::FindPrev, "find_prev", "Docs: previous match", ["N"], DOCS;
    Action::CodeLeft, "code_left", "Docs: scroll code blocks left", ["h", "left"], DOCS;
    Action::CodeRight, "code_right", "Docs: scroll code blocks right (long lines are cut, not wrapped)", ["l", "right"], DOCS;
    Action::Sync, "sync", "sync the sources in the background (again while one runs: cancel it)", ["s"], ALL;
    Action::RefreshEntity, "refresh_entity", "ask Backstage to process this entity again, sync it, show its errors", ["R"], ALL;
    Action::Help, "help", "this help", ["?", "f1"], ALL;
    Action::Quit, "quit", "quit (Ctrl-C always quits)", ["q"], ALL;
}

impl Action {
    /// Editing a text line (typing, paste, cursor keys in the line).
    pub fn edits_text(&self) -> bool {
        matches!(
            self,
            Action::Input(_)
                | Action::Paste(_)
                | Action::Backspace
                | Action::DeleteChar
                | Action::DeleteWord
                | Action::CursorLeft
                | Action::CursorRight
                | Action::CursorHome
                | Action::CursorEnd
                | Action::ClearLine
        )
    }

    /// Moving in the result list or acting on its selection: what must
    /// wait for a list that is still loading.
    pub fn acts_on_selection(&self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::Top
                | Action::Bottom
                | Action::HalfPageDown
                | Action::HalfPageUp
                | Action::PageDown
                | Action::PageUp
                | Action::Open
                | Action::Copy
                | Action::OpenLink
                | Action::Runbook
                | Action::RefreshEntity
                | Action::Pane(_)
        )
    }

    /// Every bindable action, in help order.
    pub fn bindings() -> Vec<Binding> {
        all_bindings()
    }

    /// The action a config name refers to (`page_down` or `page-down`).
    pub fn from_name(name: &str) -> Option<Action> {
        let name = name.trim().replace('-', "_").to_ascii_lowercase();
        all_bindings()
            .into_iter()
            .find(|b| b.name == name)
            .map(|b| b.action)
    }
}

/// One key with its modifiers, normalised so that `G` and `shift-g` are
/// the same key and `shift-tab` is `backtab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // A character already carries its case.
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) && c.is_ascii_uppercase() {
                    // Terminals cannot tell ctrl-a from ctrl-A.
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn from_event(event: &KeyEvent) -> Key {
        Key::new(event.code, event.modifiers)
    }

    /// Parse `ctrl-d`, `G`, `shift-tab`, `pagedown`, `f5`, `?`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let original = text;
        let text = text.trim();
        if text.is_empty() {
            return Err("an empty key".to_string());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            // A lone "-" or "+" is the key itself, not a separator.
            if rest.chars().count() == 1 {
                break;
            }
            let lower = rest.to_ascii_lowercase();
            let prefix = [
                "ctrl", "control", "c", "alt", "meta", "a", "m", "shift", "s",
            ]
            .iter()
            .find(|p| {
                lower.len() > p.len() + 1
                    && lower.starts_with(*p)
                    && matches!(lower.as_bytes()[p.len()], b'-' | b'+')
            });
            let Some(p) = prefix else { break };
            mods |= match *p {
                "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
                "alt" | "meta" | "a" | "m" => KeyModifiers::ALT,
                _ => KeyModifiers::SHIFT,
            };
            rest = &rest[p.len() + 1..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                let c = if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c
                };
                KeyCode::Char(c)
            }
            _ => {
                let name = rest.to_ascii_lowercase();
                match name.as_str() {
                    "enter" | "return" | "ret" | "cr" => KeyCode::Enter,
                    "esc" | "escape" => KeyCode::Esc,
                    "tab" => KeyCode::Tab,
                    "backtab" => KeyCode::BackTab,
                    "space" | "spc" => KeyCode::Char(' '),
                    "backspace" | "bs" => KeyCode::Backspace,
                    "delete" | "del" => KeyCode::Delete,
                    "insert" | "ins" => KeyCode::Insert,
                    "up" => KeyCode::Up,
                    "down" => KeyCode::Down,
                    "left" => KeyCode::Left,
                    "right" => KeyCode::Right,
                    "home" => KeyCode::Home,
                    "end" => KeyCode::End,
                    "pageup" | "pgup" => KeyCode::PageUp,
                    "pagedown" | "pgdown" | "pgdn" => KeyCode::PageDown,
                    "minus" => KeyCode::Char('-'),
                    "plus" => KeyCode::Char('+'),
                    f if f.starts_with('f') && f.len() > 1 => match f[1..].parse::<u8>() {
                        Ok(n @ 1..=24) => KeyCode::F(n),
                        _ => return Err(format!("'{original}' is not a key")),
                    },
                    _ => {
                        return Err(format!(
                            "'{original}' is not a key; write a character (G, ?, /), a name \
                             (enter, esc, tab, space, up, pagedown, f1, …) with optional \
                             ctrl-, alt- or shift-"
                        ))
                    }
                }
            }
        };
        Ok(Key::new(code, mods))
    }

    /// Whether typing this key in a text field inserts a character.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_)) && (self.mods - KeyModifiers::SHIFT).is_empty()
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The live key map: defaults with the user's overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_key: HashMap<(Scope, Key), Action>,
    /// In help order.
    rows: Vec<Row>,
}

#[derive(Debug, Clone)]
struct Row {
    action: Action,
    name: &'static str,
    help: &'static str,
    keys: Vec<Key>,
    scopes: &'static [Scope],
}

impl Row {
    fn shares_a_screen_with(&self, scopes: &[Scope]) -> bool {
        self.scopes.iter().any(|s| scopes.contains(s))
    }
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::with_overrides(&indexmap::IndexMap::new()).expect("the default keys parse")
    }
}

impl Keymap {
    /// Apply `keys:` from the config: each listed action gets exactly the
    /// keys given (its defaults are dropped), and a key taken by a listed
    /// action is removed from whichever action had it by default on the
    /// same screens.
    pub fn with_overrides(
        overrides: &indexmap::IndexMap<String, KeyList>,
    ) -> Result<Keymap, String> {
        let mut rows: Vec<Row> = Vec::new();
        for b in Action::bindings() {
            let keys = b
                .defaults
                .iter()
                .map(|k| Key::parse(k))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(Row {
                action: b.action,
                name: b.name,
                help: b.help,
                keys,
                scopes: b.scopes,
            });
        }
        // Keys the user gave, with the action (its row) and name.
        let mut taken: Vec<(Key, usize, &str)> = Vec::new();
        for (name, list) in overrides {
            let action = Action::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
                format!(
                    "keys: '{name}' is not an action; the actions are {}",
                    names.join(", ")
                )
            })?;
            let row = rows
                .iter()
                .position(|r| r.action == action)
                .expect("known action");
            let mut keys = Vec::new();
            for k in list.keys() {
                let key = Key::parse(k).map_err(|e| format!("keys.{name}: {e}"))?;
                if key.code == KeyCode::Char('c') && key.mods == KeyModifiers::CONTROL {
                    return Err(format!("keys.{name}: Ctrl-C is reserved for quitting"));
                }
                let clash = taken.iter().find(|(k, other, _)| {
                    *k == key
                        && *other != row
                        && rows[*other].shares_a_screen_with(rows[row].scopes)
                });
                if let Some((_, _, other_name)) = clash {
                    return Err(format!(
                        "keys: {key} is bound to both '{other_name}' and '{name}'"
                    ));
                }
                taken.push((key, row, name));
                keys.push(key);
            }
            rows[row].keys = keys;
        }
        // A key the user gave to one action leaves the defaults of the
        // others on that action's screens.
        let stolen = |row: usize, scope: Scope, key: &Key| {
            taken.iter().any(|(k, owner, _)| {
                k == key && *owner != row && rows[*owner].scopes.contains(&scope)
            })
        };
        let mut by_key = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            for scope in row.scopes {
                for key in row.keys.iter().filter(|k| !stolen(i, *scope, k)) {
                    by_key.insert((*scope, *key), row.action.clone());
                }
            }
        }
        // The keys listed for an action are those it has on some screen.
        let kept: Vec<Vec<Key>> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                row.keys
                    .iter()
                    .filter(|k| row.scopes.iter().any(|s| !stolen(i, *s, k)))
                    .copied()
                    .collect()
            })
            .collect();
        for (row, keys) in rows.iter_mut().zip(kept) {
            row.keys = keys;
        }
        Ok(Keymap { by_key, rows })
    }

    /// What `key` does on the screen `scope`.
    pub fn action(&self, scope: Scope, key: &Key) -> Option<Action> {
        self.by_key.get(&(scope, *key)).cloned()
    }

    /// The keys bound to an action, in the order given.
    pub fn keys_for(&self, action: &Action) -> &[Key] {
        self.rows
            .iter()
            .find(|r| &r.action == action)
            .map(|r| r.keys.as_slice())
            .unwrap_or_default()
    }

    /// The first key of an action, for hints (`?` help, `/` search).
    pub fn hint(&self, action: &Action) -> String {
        self.keys_for(action)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_else(|| format!(":{}", self.name_of(action)))
    }

    fn name_of(&self, action: &Action) -> &'static str {
        self.rows
            .iter()
            .find(|r| &r.action == action)
            .map(|r| r.name)
            .unwrap_or("?")
    }

    /// Help rows: keys (joined), config name, description.
    pub fn help_rows(&self) -> Vec<(String, &'static str, &'static str)> {
        self.rows
            .iter()
            .map(|row| {
                let keys: Vec<String> = row.keys.iter().map(|k| k.to_string()).collect();
                let keys = if keys.is_empty() {
                    "(unbound)".to_string()
                } else {
                    keys.join(" ")
                };
                (keys, row.name, row.help)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> Key {
        Key::new(code, mods)
    }

    #[test]
    fn parses_characters_names_and_modifiers() {
        assert_eq!(
            Key::parse("ctrl-d").unwrap(),
            key(KeyCode::Char('d'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            Key::parse("C-d").unwrap(),
            key(KeyCode::Char('d'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            Key::parse("Ctrl+D").unwrap(),
            key(KeyCode::Char('d'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            Key::parse("G").unwrap(),
            key(KeyCode::Char('G'), KeyModifiers::NONE)
        );
        assert_eq!(Key::parse("shift-g").unwrap(), Key::parse("G").unwrap());
        assert_eq!(
            Key::parse("shift-tab").unwrap(),
            key(KeyCode::BackTab, KeyModifiers::NONE)
        );
        assert_eq!(
            Key::parse("backtab").unwrap(),
            Key::parse("shift-tab").unwrap()
        );
        assert_eq!(
            Key::parse("alt-x").unwrap(),
            key(KeyCode::Char('x'), KeyModifiers::ALT)
        );
        assert_eq!(Key::parse("m-x").unwrap(), Key::parse("alt-x").unwrap());
        assert_eq!(
            Key::parse("pagedown").unwrap(),
            key(KeyCode::PageDown, KeyModifiers::NONE)
        );
        assert_eq!(
            Key::parse("PgUp").unwrap(),
            key(KeyCode::PageUp, KeyModifiers::NONE)
        );
        assert_eq!(
            Key::parse("f5").unwrap(),
            key(KeyCode::F(5), KeyModifiers::NONE)
        );
        assert_eq!(
            Key::parse("space").unwrap(),
            key(KeyCode::Char(' '), KeyModifiers::NONE)
        );
        assert_eq!(
            Key::parse("?").unwrap(),
            key(KeyCode::Char('?'), KeyModifiers::NONE)
        );
        assert_eq!(
            Key::parse("-").unwrap(),
            key(KeyCode::Char('-'), KeyModifiers::NONE)
        );
        assert_eq!(
            Key::parse("ctrl--").unwrap(),
            key(KeyCode::Char('-'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            Key::parse("c").unwrap(),
            key(KeyCode::Char('c'), KeyModifiers::NONE)
        );
        assert_eq!(
            Key::parse(" esc ").unwrap(),
            key(KeyCode::Esc, KeyModifiers::NONE)
        );
    }

    #[test]
    fn no_default_key_has_two_actions_within_one_screen() {
        // A later default would silently win over an earlier one.
        let keymap = Keymap::default();
        for scope in Scope::ALL {
            let mut seen: HashMap<Key, &str> = HashMap::new();
            for row in keymap.rows.iter().filter(|r| r.scopes.contains(&scope)) {
                for key in &row.keys {
                    if let Some(other) = seen.insert(*key, row.name) {
                        panic!(
                            "{key} is bound to both '{other}' and '{}' on {scope:?}",
                            row.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_what_is_not_a_key() {
        assert!(Key::parse("").is_err());
        assert!(Key::parse("ctrl-").is_err());
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("f99").is_err());
        let err = Key::parse("pagedwn").unwrap_err();
        assert!(err.contains("pagedwn") && err.contains("enter"), "{err}");
    }

    #[test]
    fn events_are_normalised_like_parsed_keys() {
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&shifted), Key::parse("G").unwrap());
        let backtab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&backtab), Key::parse("shift-tab").unwrap());
        let ctrl_upper = KeyEvent::new(
            KeyCode::Char('D'),
            KeyModifiers::CONTROL | KeyModifiers::SHIFT,
        );
        assert_eq!(Key::from_event(&ctrl_upper), Key::parse("ctrl-d").unwrap());
    }

    #[test]
    fn displays_keys_readably() {
        assert_eq!(Key::parse("ctrl-d").unwrap().to_string(), "Ctrl-d");
        assert_eq!(Key::parse("shift-tab").unwrap().to_string(), "Shift-Tab");
        assert_eq!(Key::parse("space").unwrap().to_string(), "Space");
        assert_eq!(Key::parse("down").unwrap().to_string(), "↓");
    }

    #[test]
    fn defaults_cover_the_documented_keys() {
        let map = Keymap::default();
        let a = |k: &str| map.action(Scope::Catalog, &Key::parse(k).unwrap());
        assert_eq!(a("/"), Some(Action::Search));
        assert_eq!(a(":"), Some(Action::Command));
        assert_eq!(a("j"), Some(Action::Down));
        assert_eq!(a("ctrl-j"), Some(Action::Down));
        assert_eq!(a("k"), Some(Action::Up));
        assert_eq!(a("g"), Some(Action::Top));
        assert_eq!(a("G"), Some(Action::Bottom));
        assert_eq!(a("ctrl-d"), Some(Action::HalfPageDown));
        assert_eq!(a("ctrl-u"), Some(Action::HalfPageUp));
        assert_eq!(a("enter"), Some(Action::Open));
        assert_eq!(a("esc"), Some(Action::Back));
        assert_eq!(a("y"), Some(Action::Copy));
        assert_eq!(a("o"), Some(Action::OpenLink));
        assert_eq!(a("r"), Some(Action::Runbook));
        assert_eq!(a("s"), Some(Action::Sync));
        assert_eq!(a("q"), Some(Action::Quit));
        assert_eq!(a("?"), Some(Action::Help));
        assert_eq!(a("tab"), Some(Action::NextPane));
        assert_eq!(a("shift-tab"), Some(Action::PrevPane));
        assert_eq!(a("2"), Some(Action::Pane(1)));
        assert_eq!(a("5"), Some(Action::Pane(4)));
        assert_eq!(a("x"), None);
        // Keys of one screen only.
        let on = |scope, k: &str| map.action(scope, &Key::parse(k).unwrap());
        assert_eq!(on(Scope::Catalog, "p"), None);
        assert_eq!(on(Scope::Docs, "p"), Some(Action::DocsPages));
        assert_eq!(on(Scope::Docs, "space"), None);
        assert_eq!(on(Scope::Entity, "space"), Some(Action::Toggle));
    }

    #[test]
    fn overrides_replace_an_actions_keys_and_steal_them_from_others() {
        let mut o = indexmap::IndexMap::new();
        o.insert("page-down".to_string(), KeyList::One("ctrl-f".into()));
        o.insert(
            "quit".to_string(),
            KeyList::Many(vec!["ctrl-q".into(), "Q".into()]),
        );
        o.insert("runbook".to_string(), KeyList::One("j".into()));
        let map = Keymap::with_overrides(&o).unwrap();
        let a = |k: &str| map.action(Scope::Catalog, &Key::parse(k).unwrap());
        assert_eq!(a("ctrl-f"), Some(Action::PageDown));
        assert_eq!(
            a("pagedown"),
            None,
            "defaults of a listed action are replaced"
        );
        assert_eq!(a("ctrl-q"), Some(Action::Quit));
        assert_eq!(a("Q"), Some(Action::Quit));
        assert_eq!(a("q"), None);
        assert_eq!(a("j"), Some(Action::Runbook), "the user's binding wins");
        assert_eq!(a("k"), Some(Action::Up));
        assert_eq!(a("down"), Some(Action::Down), "other default keys stay");
        assert!(!map
            .keys_for(&Action::Down)
            .contains(&Key::parse("j").unwrap()));
        assert_eq!(map.keys_for(&Action::Runbook), &[Key::parse("j").unwrap()]);
        assert_eq!(map.hint(&Action::Quit), "Ctrl-q");
    }

    #[test]
    fn bad_overrides_say_what_is_wrong() {
        let one = |name: &str, key: &str| {
            let mut o = indexmap::IndexMap::new();
            o.insert(name.to_string(), KeyList::One(key.into()));
            Keymap::with_overrides(&o).unwrap_err()
        };
        assert!(one("fly", "f").contains("not an action"));
        assert!(one("quit", "ctrl-").contains("keys.quit"));
        assert!(one("quit", "ctrl-c").contains("reserved"));
        let mut o = indexmap::IndexMap::new();
        o.insert("quit".to_string(), KeyList::One("x".into()));
        o.insert("sync".to_string(), KeyList::One("x".into()));
        assert!(Keymap::with_overrides(&o).unwrap_err().contains("both"));
        // Actions of different screens may share a key.
        let mut o = indexmap::IndexMap::new();
        o.insert("expand".to_string(), KeyList::One("x".into()));
        o.insert("outline".to_string(), KeyList::One("x".into()));
        assert!(Keymap::with_overrides(&o).is_ok());
    }

    #[test]
    fn an_override_takes_a_key_only_on_its_screens() {
        let mut o = indexmap::IndexMap::new();
        o.insert("find_next".to_string(), KeyList::One("j".into()));
        let map = Keymap::with_overrides(&o).unwrap();
        let on = |scope, k: &str| map.action(scope, &Key::parse(k).unwrap());
        assert_eq!(on(Scope::Docs, "j"), Some(Action::FindNext));
        assert_eq!(on(Scope::Catalog, "j"), Some(Action::Down));
        assert_eq!(on(Scope::Entity, "j"), Some(Action::Down));
        assert_eq!(on(Scope::Docs, "n"), None, "the default is replaced");
    }

    #[test]
    fn help_lists_every_action_with_its_live_keys() {
        let rows = Keymap::default().help_rows();
        assert_eq!(rows.len(), Action::bindings().len());
        let down = rows.iter().find(|r| r.1 == "down").unwrap();
        assert_eq!(down.0, "j ↓ Ctrl-j Ctrl-n");
    }
}
