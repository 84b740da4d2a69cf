//! The light theme: code in the docs readable on white (dark colours), and
//! `:theme` re-colouring a docs page that is already open.

use callboard_tui::layout;
use callboard_tui::screens::docs::areas;
use callboard_tui::testing::Harness;
use callboard_tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Color;

/// WCAG relative luminance of an sRGB colour.
fn luminance(r: u8, g: u8, b: u8) -> f64 {
    let lin = |c: u8| {
        let c = c as f64 / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// Readable on white: an RGB colour with a contrast of at least 4.5:1
/// (WCAG AA), or a named colour that is not one of the pale ones (those
/// follow the terminal's palette).
fn readable_on_white(c: Color) -> bool {
    match c {
        Color::Rgb(r, g, b) => 1.05 / (luminance(r, g, b) + 0.05) >= 4.5,
        Color::Yellow
        | Color::LightYellow
        | Color::White
        | Color::Gray
        | Color::Cyan
        | Color::LightCyan
        | Color::LightGreen => false,
        _ => true,
    }
}

/// The foreground colours of the code cells on screen (the runbook's
/// `kubectl` block in view).
fn code_colours(h: &mut Harness) -> Vec<Color> {
    let (w, hgt) = h.app.size;
    let page = areas(layout::entity(Rect::new(0, 0, w, hgt)).body).page;
    let key = h.app.top().unwrap().key.clone();
    let pane = &h.app.docs[&key];
    let rendered = pane.doc.as_ref().unwrap().rendered.clone();
    let offset = pane.offset;
    let cursor = pane.cursor;
    let buffer = h.buffer();
    let mut out = Vec::new();
    for row in 0..page.height {
        let line = offset + row as usize;
        let in_body = rendered
            .code_block_at(line)
            .is_some_and(|b| b.body.contains(&line));
        if !in_body || line == cursor {
            continue;
        }
        for x in page.x..page.x + page.width {
            let cell = &buffer[(x, page.y + row)];
            // (The `›` marker is dim text, in the terminal's own grey.)
            if cell.symbol().trim().is_empty() || cell.symbol() == "›" {
                continue;
            }
            out.push(cell.fg);
        }
    }
    out
}

fn runbook(theme: Theme) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let config = callboard_tui::workers::WorkerConfig {
        cache: callboard_io::cache::Cache::new(dir.path().join("cache")),
        sources: vec![callboard_io::config::Source {
            name: "demo".into(),
            kind: callboard_io::config::SourceKind::Demo,
        }],
        allowed_kinds: None,
        remotes: Default::default(),
    };
    let mut h = Harness::start(config, dir, (100, 30), theme);
    h.press("<esc>:open component:booking-api<enter>6");
    h.press("p");
    h.press("jjj<enter>");
    h.press("/scale deploy<enter>");
    h
}

fn all_dark(colours: &[Color]) -> bool {
    colours.iter().all(|c| readable_on_white(*c))
}

#[test]
fn light_theme_colours_code_dark_on_white() {
    let mut h = runbook(Theme::light());
    let colours = code_colours(&mut h);
    assert!(colours.len() > 20, "{colours:?}");
    // Highlighted (not all in the terminal's own colour) and dark.
    assert!(colours.iter().any(|c| *c != Color::Reset), "{colours:?}");
    assert!(all_dark(&colours), "{colours:?}");
    // The dark theme's code is light: the check tells them apart.
    let mut h = runbook(Theme::default_theme());
    assert!(!all_dark(&code_colours(&mut h)));
}

#[test]
fn theme_command_recolours_the_open_docs_page() {
    let mut h = runbook(Theme::default_theme());
    let dark = code_colours(&mut h);
    assert!(!all_dark(&dark));
    h.press(":theme light<enter>");
    assert_eq!(h.app.theme.name, "light");
    let light = code_colours(&mut h);
    assert!(all_dark(&light), "{light:?}");
    assert_ne!(dark, light);
    // And back.
    h.press(":theme dark<enter>");
    assert_eq!(code_colours(&mut h), dark);
    // The rest of the screen follows too: the tab bar's active tab.
    let buffer = h.buffer();
    assert!(buffer
        .content()
        .iter()
        .any(|c| c.bg == Theme::default_theme().tab_active.bg.unwrap()));
    h.press(":theme light<enter>");
    let buffer = h.buffer();
    assert!(buffer
        .content()
        .iter()
        .any(|c| c.bg == Theme::light().tab_active.bg.unwrap()));
}
