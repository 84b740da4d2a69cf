//! The Docs pane: the demo catalog's TechDocs drawn at 80x24 and 120x40
//! (insta snapshots), keys (pages, outline, search, links, back), the `r`
//! runbook jump, a remote TechDocs site from the recorded backend, bad docs.

mod support;

use callboard::cache::Cache;
use callboard::config::{Endpoint, Source, SourceKind};
use callboard::tui::app::{Loadable, DOCS};
use callboard::tui::testing::Harness;
use callboard::tui::theme::Theme;
use callboard::tui::worker::WorkerConfig;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snap(h: &mut Harness, name: &str) -> String {
    let (w, hgt) = h.app.size;
    let screen = h.render();
    insta::assert_snapshot!(format!("{name}_{w}x{hgt}"), screen);
    screen
}

fn booking_docs(size: (u16, u16)) -> Harness {
    let mut h = Harness::demo(size);
    h.press("<esc>:open component:booking-api<enter>");
    assert_eq!(h.app.top().unwrap().key, "component:default/booking-api");
    h.press("6");
    h
}

fn pane(h: &Harness) -> &callboard::tui::docs_pane::DocsPane {
    &h.app.docs[&h.app.top().unwrap().key]
}

#[test]
fn docs_pane_shows_the_home_page_with_nav() {
    for size in SIZES {
        let mut h = booking_docs(size);
        let screen = snap(&mut h, "docs_home");
        assert!(screen.contains("Booking API › Home"), "{screen}");
        assert!(screen.contains("# Booking API"), "{screen}");
        if size.0 >= 100 {
            assert!(
                screen.contains("▸ Home") && screen.contains("Deploying"),
                "{screen}"
            );
        }
    }
}

#[test]
fn wide_tables_fit_80_columns() {
    let mut h = booking_docs((80, 24));
    h.press("]");
    assert_eq!(pane(&h).doc.as_ref().unwrap().page, "architecture.md");
    h.press("t");
    let screen = h.render();
    assert!(screen.contains("Outline"), "{screen}");
    h.press("j<enter>");
    let screen = snap(&mut h, "docs_table");
    assert!(screen.contains("│ postgres-main"), "{screen}");
    for line in screen.lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
}
