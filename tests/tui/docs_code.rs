//! Code blocks in the Docs pane: never wrapped (cut at the edge with a
//! marker, scrolled sideways with `h`/`l`), `y` copies a whole block;
//! the page search highlights what it found and centres it; `Ctrl-d`
//! scrolls half a page.

use callboard_io::cache::Cache;
use callboard_io::config::{Source, SourceKind};
use callboard_tui::layout;
use callboard_tui::screens::docs::{areas, DocsPane};
use callboard_tui::testing::{buffer_text, Harness};
use callboard_tui::theme::Theme;
use callboard_tui::workers::WorkerConfig;
use ratatui::layout::Rect;
use ratatui::style::Modifier;

const PSQL: &str = "psql \"host=postgres-main.db.northwind.example port=5432 dbname=booking user=readonly_oncall sslmode=require\"";

const DIAGRAM: [&str; 5] = [
    "+-------------+        +-----------------+        +--------------------+        +---------------+",
    "| rider apps  | -----> | journey-gateway | -----> |    booking-api     | -----> | postgres-main |",
    "+-------------+        +-----------------+        +--------------------+        +---------------+",
    "                                                            |",
    "                                                            +--> payments-service --> fraud-check",
];

fn page() -> String {
    let mut md = String::from("# Connecting\n\n");
    for i in 0..30 {
        md.push_str(&format!("Filler paragraph {i} before the code.\n\n"));
    }
    md.push_str(&format!("```sh\n{PSQL}\n```\n\n"));
    for i in 0..10 {
        md.push_str(&format!("Filler paragraph {i} between.\n\n"));
    }
    md.push_str("## The path of a booking\n\n```\n");
    for l in DIAGRAM {
        md.push_str(l);
        md.push('\n');
    }
    md.push_str("```\n\n");
    for i in 0..30 {
        md.push_str(&format!("Filler paragraph {i} after.\n\n"));
    }
    md
}

fn harness(width: u16, theme: Theme) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("docs")).unwrap();
    std::fs::write(
        repo.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  type: service\n  lifecycle: production\n  owner: user:someone\n",
    )
    .unwrap();
    std::fs::write(repo.join("docs/index.md"), page()).unwrap();
    let config = WorkerConfig {
        cache: Cache::new(dir.path().join("cache")),
        sources: vec![Source {
            name: "repo".into(),
            kind: SourceKind::Local { roots: vec![repo] },
        }],
        allowed_kinds: None,
        remotes: Default::default(),
    };
    let mut h = Harness::start(config, dir, (width, 24), theme);
    h.press("<esc>:open component:svc<enter>6");
    assert!(pane(&h).doc.is_some(), "{}", h.render());
    h
}

fn pane(h: &Harness) -> &DocsPane {
    &h.app.docs[&h.app.top().unwrap().key]
}

fn page_area(h: &Harness) -> Rect {
    let (w, hgt) = h.app.size;
    areas(layout::entity(Rect::new(0, 0, w, hgt)).body).page
}

/// The page area's rows as text.
fn page_rows(h: &mut Harness) -> Vec<String> {
    let area = page_area(h);
    let buffer = h.buffer();
    (area.y..area.y + area.height)
        .map(|y| {
            (area.x..area.x + area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

fn chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[test]
fn code_lines_are_cut_with_a_marker_never_wrapped_at_60_80_120() {
    for width in [60u16, 80, 120] {
        let mut h = harness(width, Theme::default_theme());
        let w = page_area(&h).width as usize;
        h.press("/psql<enter>");
        let rows = page_rows(&mut h);
        let all = rows.join("\n");
        let at = rows
            .iter()
            .position(|r| r.starts_with("psql \"host="))
            .unwrap_or_else(|| panic!("{width}: no psql row:\n{all}"));
        // Cut one column before the edge, the marker in the last column.
        assert_eq!(rows[at], format!("{}›", chars(PSQL, w - 1)), "{width}");
        // Nothing of the rest of the line shows up on the rows below.
        for r in &rows {
            for tail in ["user=readonly", "sslmode=require", "5432 dbname"] {
                assert!(
                    !r.trim_start().starts_with(tail),
                    "{width}: wrapped:\n{all}"
                );
            }
        }
        // The diagram keeps its columns.
        h.press("/rider apps<enter>");
        let rows = page_rows(&mut h);
        let all = rows.join("\n");
        let top = rows
            .iter()
            .position(|r| r.starts_with("+-------------+"))
            .unwrap_or_else(|| panic!("{width}: no diagram:\n{all}"));
        for (i, l) in DIAGRAM.iter().enumerate() {
            let shown = &rows[top + i];
            if l.chars().count() > w {
                assert_eq!(*shown, format!("{}›", chars(l, w - 1)), "{width}:\n{all}");
            } else {
                assert_eq!(shown, l, "{width}:\n{all}");
            }
        }
        let screen = h.render();
        assert!(!screen.contains("fraud-check\n") || w >= 97, "{screen}");
    }
}

#[test]
fn h_and_l_scroll_code_blocks_sideways_and_prose_stays() {
    let mut h = harness(60, Theme::default_theme());
    h.press("/psql<enter>");
    let before = page_rows(&mut h);
    let at = before.iter().position(|r| r.starts_with("psql")).unwrap();
    h.press("l");
    let rows = page_rows(&mut h);
    let shift = pane(&h).hscroll;
    assert!(shift > 0);
    // `‹` marks text hidden on the left; the rest of the line shows.
    assert!(rows[at].starts_with('‹'), "{}", rows[at]);
    assert!(
        rows[at].contains(&chars(&PSQL[shift + 1..], 10)),
        "{shift}: {}",
        rows[at]
    );
    // Prose lines do not move.
    let prose = rows
        .iter()
        .find(|r| r.starts_with("Filler paragraph"))
        .unwrap();
    assert!(before.contains(prose), "{prose}");
    // Far enough right, the end of the line shows and no marker follows it.
    h.press("llllllllll");
    let rows = page_rows(&mut h);
    assert!(rows[at].ends_with("sslmode=require\""), "{}", rows[at]);
    h.press("<left>hhhhhhhhhhhh");
    assert_eq!(pane(&h).hscroll, 0);
    assert_eq!(page_rows(&mut h), before);
}

#[test]
fn y_on_a_code_block_copies_the_whole_block() {
    let mut h = harness(80, Theme::default_theme());
    h.press("/rider apps<enter>");
    h.press("j");
    h.press("y");
    let (what, text) = h.copied.last().cloned().unwrap();
    assert_eq!(what, "code block (5 lines)");
    assert_eq!(text, DIAGRAM.join("\n") + "\n");
    // On prose, `y` copies what it did before (the page).
    h.press("g");
    h.press("y");
    assert_eq!(h.copied.last().unwrap().0, "page");
}

#[test]
fn search_highlights_the_match_and_centres_its_line() {
    let theme = Theme::default_theme();
    let mut h = harness(80, theme);
    h.press("/between.<enter>");
    let area = page_area(&h);
    let height = area.height as usize;
    let p = pane(&h);
    let row = p.cursor - p.offset;
    assert!(
        row.abs_diff(height / 2) <= 1,
        "match on row {row} of {height}"
    );
    let buffer = h.buffer();
    let text = buffer_text(&buffer);
    let y = area.y + row as u16;
    let line: String = (area.x..area.x + area.width)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect();
    let col = line.find("between.").unwrap_or_else(|| panic!("{text}")) as u16;
    for x in area.x + col..area.x + col + 8 {
        let cell = &buffer[(x, y)];
        assert_eq!(cell.fg, theme.matched.fg.unwrap(), "{x}: {cell:?}");
        assert!(cell.modifier.contains(Modifier::BOLD), "{cell:?}");
    }
    // The rest of the line is not highlighted, and other matches on
    // screen are.
    assert_ne!(buffer[(area.x, y)].fg, theme.matched.fg.unwrap());
    let others = (area.y..area.y + area.height)
        .filter(|&r| r != y)
        .filter(|&r| {
            (area.x..area.x + area.width).any(|x| buffer[(x, r)].fg == theme.matched.fg.unwrap())
        })
        .count();
    assert!(others >= 2, "{text}");
}

#[test]
fn ctrl_d_and_ctrl_u_scroll_half_a_page() {
    let mut h = harness(80, Theme::default_theme());
    let half = page_area(&h).height as usize / 2;
    assert_eq!((pane(&h).cursor, pane(&h).offset), (0, 0));
    h.press("<ctrl-d>");
    assert_eq!((pane(&h).cursor, pane(&h).offset), (half, half));
    h.press("<ctrl-d>");
    assert_eq!((pane(&h).cursor, pane(&h).offset), (2 * half, 2 * half));
    h.press("<ctrl-u>");
    assert_eq!((pane(&h).cursor, pane(&h).offset), (half, half));
    // The view shows the lines from the offset.
    let rows = page_rows(&mut h);
    let first = &pane(&h).doc.as_ref().unwrap().rendered.plain[half];
    assert_eq!(rows[0].to_lowercase(), *first);
}
