//! Colours and emphasis. `default` uses a few ANSI colours (so it follows the
//! terminal's palette); `mono` uses only bold, dim, underline and reverse
//! video, and is what `NO_COLOR` gets. The selection is reverse video in
//! both, so it stays visible without colour.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub name: &'static str,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub heading: Style,
    pub label: Style,
    pub accent: Style,
    pub selection: Style,
    /// Matched characters of the fuzzy query.
    pub matched: Style,
    pub chip: Style,
    pub link: Style,
    pub runbook: Style,
    pub error: Style,
    pub warn: Style,
    pub ok: Style,
    pub border: Style,
    pub tab_active: Style,
    pub tab: Style,
    pub key: Style,
    pub status: Style,
    pub dangling: Style,
}

impl Theme {
    pub const NAMES: [&'static str; 2] = ["default", "mono"];

    pub fn default_theme() -> Theme {
        let s = Style::new();
        Theme {
            name: "default",
            text: s,
            dim: s.fg(Color::DarkGray),
            title: s.add_modifier(Modifier::BOLD),
            heading: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            label: s.fg(Color::Cyan),
            accent: s.fg(Color::Yellow),
            selection: s.add_modifier(Modifier::REVERSED),
            matched: s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            chip: s.fg(Color::Black).bg(Color::Cyan),
            link: s.fg(Color::Blue).add_modifier(Modifier::UNDERLINED),
            runbook: s.fg(Color::Green).add_modifier(Modifier::BOLD),
            error: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: s.fg(Color::Yellow),
            ok: s.fg(Color::Green),
            border: s.fg(Color::DarkGray),
            tab_active: s
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            tab: s.fg(Color::Gray),
            key: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            status: s.fg(Color::Gray),
            dangling: s.fg(Color::Red),
        }
    }

    pub fn mono() -> Theme {
        let s = Style::new();
        let bold = s.add_modifier(Modifier::BOLD);
        Theme {
            name: "mono",
            text: s,
            dim: s.add_modifier(Modifier::DIM),
            title: bold,
            heading: bold,
            label: bold,
            accent: bold,
            selection: s.add_modifier(Modifier::REVERSED),
            matched: s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            chip: s.add_modifier(Modifier::REVERSED),
            link: s.add_modifier(Modifier::UNDERLINED),
            runbook: bold,
            error: bold,
            warn: bold,
            ok: s,
            border: s,
            tab_active: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            tab: s,
            key: bold,
            status: s,
            dangling: s.add_modifier(Modifier::CROSSED_OUT),
        }
    }

    /// The theme for a config value; `no_color` (the `NO_COLOR` variable)
    /// always gives `mono`.
    pub fn from_config(name: Option<&str>, no_color: bool) -> Result<Theme, String> {
        let theme = match name.map(str::trim) {
            None | Some("") | Some("default") => Theme::default_theme(),
            Some("mono") | Some("monochrome") => Theme::mono(),
            Some(other) => {
                return Err(format!(
                    "theme: '{other}' is not a theme; use one of {}",
                    Theme::NAMES.join(", ")
                ))
            }
        };
        Ok(if no_color { Theme::mono() } else { theme })
    }

    /// `NO_COLOR` set to anything non-empty (https://no-color.org).
    pub fn no_color_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_no_color() {
        assert_eq!(Theme::from_config(None, false).unwrap().name, "default");
        assert_eq!(
            Theme::from_config(Some("mono"), false).unwrap().name,
            "mono"
        );
        assert_eq!(
            Theme::from_config(Some("default"), true).unwrap().name,
            "mono"
        );
        assert!(Theme::from_config(Some("neon"), false)
            .unwrap_err()
            .contains("default, mono"));
    }

    #[test]
    fn mono_has_no_colours_and_a_visible_selection() {
        let m = Theme::mono();
        for style in [
            m.text,
            m.dim,
            m.title,
            m.selection,
            m.matched,
            m.chip,
            m.error,
            m.tab_active,
        ] {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
        assert!(m.selection.add_modifier.contains(Modifier::REVERSED));
        assert!(Theme::default_theme()
            .selection
            .add_modifier
            .contains(Modifier::REVERSED));
    }
}
