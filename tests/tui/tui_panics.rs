//! Panics off the UI thread: a worker request that panics is answered with
//! the error, shown where the UI waited for it, and the worker goes on; the
//! UI keeps the terminal. (A panic of the UI thread gives the terminal
//! back: `tui_e2e.rs`.) Debug builds only: their workers panic on request
//! (`CALLBOARD_TEST_PANIC_ENTITY`).

#![cfg(debug_assertions)]

use std::sync::Arc;

use callboard_tui::testing::{fixture, Harness};

use crate::tmux::Tmux;

#[test]
fn a_worker_panic_is_an_error_in_the_pane_and_the_worker_goes_on() {
    // As the app's hook does: a caught panic is not printed over the
    // screen; it is answered with where it happened.
    let previous: Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
        Arc::from(std::panic::take_hook());
    std::panic::set_hook(Box::new(move |info| {
        if !callboard_tui::workers::guard::caught(info.location()) {
            previous(info);
        }
    }));
    // An entity of its own: the panic switch is process-wide, and the
    // other tests in this binary open the fixture's entities.
    callboard_tui::workers::panic_on_detail_for_tests("component:default/panic-probe");
    let mut entities = fixture();
    entities.push(serde_json::json!({
        "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": {"name": "panic-probe"},
        "spec": {"type": "service", "lifecycle": "experimental", "owner": "team-a"}
    }));

    let mut h = Harness::with_entities(entities, (80, 24));
    h.press("panic-probe<enter>");
    let screen = h.render();
    assert!(screen.contains("Catalog › panic-probe"), "{screen}");
    assert!(
        screen.contains("internal error: test panic"),
        "the pane shows the error:\n{screen}"
    );
    assert!(screen.contains("workers/mod.rs"), "and where:\n{screen}");
    assert!(!screen.contains("Loading"), "{screen}");

    // The worker goes on: the next entity opens.
    h.press("<esc>/payments-service<enter>");
    let screen = h.render();
    assert!(
        screen.contains("Authorises, captures and refunds card payments."),
        "{screen}"
    );
}

#[test]
#[ignore = "needs tmux"]
fn a_worker_panic_leaves_the_terminal_to_the_ui() {
    let t = Tmux::start_env(
        (80, 24),
        &[
            "CALLBOARD_TEST_PANIC_ENTITY=component:default/payments-service",
            "RUST_BACKTRACE=0",
        ],
    );
    t.wait("the catalog", 30, |s| s.contains("demo · synced"));
    t.type_text("payments-serv");
    t.wait("the list to narrow", 10, |s| {
        s.lines()
            .nth(2)
            .is_some_and(|l| l.contains("› component payments-service"))
    });
    t.keys(&["Enter"]);
    let screen = t.wait("the error in the pane", 10, |s| {
        s.contains("Catalog › payments-service") && s.contains("internal error: test panic")
    });
    assert!(
        !screen.contains("panicked at"),
        "nothing printed over the UI:\n{screen}"
    );
    assert_eq!(t.var("alternate_on"), "1", "the UI keeps the terminal");

    // Still running: back to the list, another entity, quit as usual.
    t.keys(&["Escape"]);
    t.wait("the list focus", 10, |s| {
        s.lines().last().is_some_and(|l| l.contains("/ search"))
    });
    t.type_text("/fraud-check");
    t.wait("the list to narrow", 10, |s| {
        s.lines()
            .nth(2)
            .is_some_and(|l| l.contains("› component fraud-check"))
    });
    t.keys(&["Enter"]);
    t.wait_for("Catalog › fraud-check");
    t.keys(&["Escape"]);
    t.wait("the list focus", 10, |s| {
        s.lines().last().is_some_and(|l| l.contains("/ search"))
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), "0");
    assert_eq!(t.var("alternate_on"), "0");
}
