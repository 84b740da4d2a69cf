//! The backends' search in the catalog screen: TechDocs hits under the
//! fuzzy list, for the text typed now only; ↓ past the last match selects
//! one, Enter opens that entity's Docs pane at the page; offline a note.

use callboard_core::search::backend::BackendHit;
use callboard_tui::messages::Msg;
use callboard_tui::testing::{fixture, Harness};

fn docs_hit(title: &str, entity: &str, path: &str) -> BackendHit {
    BackendHit {
        kind: "techdocs".into(),
        entity_ref: Some(entity.into()),
        title: title.into(),
        text: "Restart the service with the runbook steps.".into(),
        location: format!("/docs/default/component/payments-service/{path}"),
        docs_path: Some(path.into()),
        title_highlights: vec![(0, title.len().min(5))],
        text_highlights: vec![],
    }
}

#[test]
fn techdocs_hits_sit_under_the_list_and_enter_opens_the_page() {
    let mut h = Harness::with_entities(fixture(), (100, 30));
    h.press("guide");
    // A late answer for other text is not shown.
    h.app.handle_msg(Msg::BackendSearch {
        query: "gui".into(),
        hits: vec![docs_hit(
            "Stale",
            "component:default/payments-service",
            "old/",
        )],
        notes: vec![],
    });
    assert!(!h.render().contains("Stale"));
    h.app.handle_msg(Msg::BackendSearch {
        query: "guide".into(),
        hits: vec![
            docs_hit("Guide", "component:default/payments-service", "guide/"),
            BackendHit {
                kind: "software-catalog".into(),
                ..docs_hit("Catalog doc", "component:default/checkout", "")
            },
        ],
        notes: vec![],
    });
    let screen = h.render();
    assert!(
        screen.contains("TechDocs · 1 from the backend's search"),
        "{screen}"
    );
    assert!(
        screen.contains("Guide  component:payments-service · guide/"),
        "{screen}"
    );
    assert!(
        !screen.contains("Catalog doc"),
        "catalog documents are the fuzzy list's: {screen}"
    );
    // Nothing fuzzy matches "guide": ↓ selects the docs hit, Enter opens it.
    h.press("<down><enter>");
    let top = h.app.top().expect("an entity opened");
    assert_eq!(top.key, "component:default/payments-service");
    assert_eq!(top.pane, 5, "the Docs pane");
}

#[test]
fn offline_the_strip_says_docs_search_needs_the_backend() {
    let mut h = Harness::with_entities(fixture(), (100, 30));
    h.press("pay");
    h.app.handle_msg(Msg::BackendSearch {
        query: "pay".into(),
        hits: vec![],
        notes: vec!["docs search needs the backend ('prod' is offline)".into()],
    });
    let screen = h.render();
    assert!(
        screen.contains("docs search needs the backend ('prod' is offline)"),
        "{screen}"
    );
    assert!(
        screen.contains("payments-service"),
        "the fuzzy hits stay: {screen}"
    );
}

#[test]
fn capital_r_refreshes_the_entity_on_its_backend_and_shows_its_errors() {
    let mut h = Harness::with_entities(fixture(), (100, 30));
    h.press("payments<esc>R");
    // The fixture is local files: the refresh says where to look instead.
    // (The refresh runs on a thread of its own: wait for its answer.)
    let mut screen = h.render();
    for _ in 0..400 {
        if screen.contains("comes from local files") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
        h.settle();
        screen = h.render();
    }
    assert!(
        screen.contains("refresh of system:default/payments")
            && screen.contains("comes from local files"),
        "{screen}"
    );
    // A report with processing errors is shown as an error.
    h.app.handle_msg(Msg::Refreshed {
        key: "component:default/payments-service".into(),
        result: Ok(callboard_io::refresh::RefreshReport {
            entity_ref: "component:default/payments-service".into(),
            source: "prod".into(),
            changed: true,
            gone: false,
            errors: vec!["error: Policy check failed: spec.owner missing (InputError)".into()],
            synced: "78 entities in 'prod'".into(),
        }),
    });
    let screen = h.render();
    assert!(
        screen.contains("1 processing error: error: Policy check failed"),
        "{screen}"
    );
}
