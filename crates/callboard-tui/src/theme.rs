//! Colours and emphasis. `dark` (also called `default`) and `light` use a
//! few ANSI colours (so they follow the terminal's palette), chosen to read
//! on a dark or a light background; `mono` uses only bold, dim, underline
//! and reverse video, and is what `NO_COLOR` gets; `auto` is `light` or
//! `dark` after the terminal's background ([`crate::termbg`]). The
//! selection is reverse video in all, so it stays visible without colour.

use ratatui::style::{Color, Modifier, Style};

pub use crate::termbg::Background;

/// How docs pages are coloured (headings, inline code, the syntax
/// highlighting of code blocks): for a dark background, a light one, or
/// not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Palette {
    #[default]
    Dark,
    Light,
    Mono,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub name: &'static str,
    /// The docs' colours.
    pub palette: Palette,
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
    pub const NAMES: [&'static str; 4] = ["auto", "dark", "light", "mono"];

    /// The dark-background theme.
    pub fn default_theme() -> Theme {
        let s = Style::new();
        Theme {
            name: "dark",
            palette: Palette::Dark,
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
            palette: Palette::Mono,
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

    /// For a light background: no yellow, white or grey text, which
    /// vanish on white; blue where the dark theme has cyan.
    pub fn light() -> Theme {
        let s = Style::new();
        Theme {
            name: "light",
            palette: Palette::Light,
            text: s,
            dim: s.fg(Color::DarkGray),
            title: s.add_modifier(Modifier::BOLD),
            heading: s.fg(Color::Blue).add_modifier(Modifier::BOLD),
            label: s.fg(Color::Blue),
            accent: s.fg(Color::Magenta),
            selection: s.add_modifier(Modifier::REVERSED),
            matched: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            chip: s.fg(Color::White).bg(Color::Blue),
            link: s.fg(Color::Blue).add_modifier(Modifier::UNDERLINED),
            runbook: s.fg(Color::Green).add_modifier(Modifier::BOLD),
            error: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: s.fg(Color::Magenta),
            ok: s.fg(Color::Green),
            border: s.fg(Color::DarkGray),
            tab_active: s
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            tab: s.fg(Color::DarkGray),
            key: s.fg(Color::Blue).add_modifier(Modifier::BOLD),
            status: s.fg(Color::DarkGray),
            dangling: s.fg(Color::Red),
        }
    }

    /// The theme for a config value, `auto` taken as dark; `no_color`
    /// (the `NO_COLOR` variable) always gives `mono`.
    pub fn from_config(name: Option<&str>, no_color: bool) -> Result<Theme, String> {
        Theme::select(name, no_color, None)
    }

    /// The theme for a config value (none: `auto`); `auto` follows
    /// `background` (unknown: dark). `no_color` always gives `mono`.
    pub fn select(
        name: Option<&str>,
        no_color: bool,
        background: Option<Background>,
    ) -> Result<Theme, String> {
        let theme = match name.map(str::trim) {
            None | Some("") | Some("auto") => match background {
                Some(Background::Light) => Theme::light(),
                _ => Theme::default_theme(),
            },
            Some("dark") | Some("default") => Theme::default_theme(),
            Some("light") => Theme::light(),
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

    /// Does the config (or `:theme`) ask for `auto`?
    pub fn is_auto(name: Option<&str>) -> bool {
        matches!(name.map(str::trim), None | Some("") | Some("auto"))
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
        assert_eq!(Theme::from_config(None, false).unwrap().name, "dark");
        assert_eq!(
            Theme::from_config(Some("default"), false).unwrap().name,
            "dark"
        );
        let light = Some(Background::Light);
        assert_eq!(Theme::select(None, false, light).unwrap().name, "light");
        assert_eq!(
            Theme::select(Some("auto"), false, light).unwrap().name,
            "light"
        );
        assert_eq!(
            Theme::select(Some("auto"), false, Some(Background::Dark))
                .unwrap()
                .name,
            "dark"
        );
        assert_eq!(
            Theme::select(Some("auto"), false, None).unwrap().name,
            "dark"
        );
        assert_eq!(
            Theme::select(Some("dark"), false, light).unwrap().name,
            "dark"
        );
        assert_eq!(
            Theme::select(Some("light"), true, None).unwrap().name,
            "mono"
        );
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
            .contains("auto, dark, light, mono"));
    }

    fn all_styles(t: &Theme) -> Vec<Style> {
        vec![
            t.text,
            t.dim,
            t.title,
            t.heading,
            t.label,
            t.accent,
            t.selection,
            t.matched,
            t.chip,
            t.link,
            t.runbook,
            t.error,
            t.warn,
            t.ok,
            t.border,
            t.tab_active,
            t.tab,
            t.key,
            t.status,
            t.dangling,
        ]
    }

    #[test]
    fn light_has_no_text_colour_that_vanishes_on_white() {
        let pale = [
            Color::Yellow,
            Color::LightYellow,
            Color::White,
            Color::Gray,
            Color::LightCyan,
            Color::Cyan,
            Color::LightGreen,
        ];
        let light = Theme::light();
        for style in all_styles(&light) {
            // Text on the terminal's own (white) background.
            if style.bg.is_none() {
                assert!(!style.fg.is_some_and(|c| pale.contains(&c)), "{style:?}");
            }
        }
        assert_eq!(light.palette, Palette::Light);
        // The dark theme has such colours: the check can fail.
        assert!(all_styles(&Theme::default_theme())
            .iter()
            .any(|s| s.bg.is_none() && s.fg.is_some_and(|c| pale.contains(&c))));
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
