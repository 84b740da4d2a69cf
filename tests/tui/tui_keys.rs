//! What the keys do: the real app, workers and cache, driven key by key.

use callboard_tui::app::{Focus, Mode, API, DEPENDENCIES, OVERVIEW, OWNER};
use callboard_tui::keymap::{Action, Keymap};
use callboard_tui::testing::{fixture, Harness};

fn h80() -> Harness {
    Harness::with_entities(fixture(), (80, 24))
}

fn top_key(h: &Harness) -> Option<String> {
    h.app.top().map(|v| v.key.clone())
}

#[test]
fn typing_filters_and_enter_opens_the_top_match() {
    let mut h = h80();
    assert_eq!(h.app.catalog.focus, Focus::Query, "start in the query line");
    h.press("checkout");
    // The component by name, and team-a by its description ("Payments
    // and checkout."): the exact name comes first.
    assert_eq!(h.app.catalog.progress.matched, 2);
    h.press("<enter>");
    assert_eq!(top_key(&h).as_deref(), Some("component:default/checkout"));
    assert!(h.render().contains("Catalog › checkout"));
    h.press("<esc>");
    assert!(h.app.stack.is_empty());
    assert_eq!(h.app.catalog.focus, Focus::List);
    assert_eq!(
        h.app.catalog.query.text, "checkout",
        "the query survives the round trip"
    );
    // Esc in the list clears the query; `/` goes back to typing.
    h.press("<esc>");
    assert_eq!(h.app.catalog.query.text, "");
    h.press("/db");
    assert_eq!(h.app.catalog.query.text, "db");
}

#[test]
fn list_movement_keys() {
    let mut h = h80();
    h.press("<esc>");
    let total = h.app.catalog.progress.matched as usize;
    h.press("j");
    assert_eq!(h.app.catalog.cursor, 1);
    h.press("<down><ctrl-j><ctrl-n>");
    assert_eq!(h.app.catalog.cursor, 4);
    h.press("k<up>");
    assert_eq!(h.app.catalog.cursor, 2);
    h.press("G");
    assert_eq!(h.app.catalog.cursor, total - 1);
    h.press("g");
    assert_eq!(h.app.catalog.cursor, 0);
    h.press("<ctrl-d>");
    assert_eq!(h.app.catalog.cursor, 9, "half of the 19-row list");
    h.press("<ctrl-u>");
    assert_eq!(h.app.catalog.cursor, 0);
    // In the query line, letters type and Ctrl-j / arrows move.
    h.press("/");
    h.press("<ctrl-j><down>");
    assert_eq!(h.app.catalog.cursor, 2);
    h.press("j");
    assert_eq!(h.app.catalog.query.text, "j");
}

#[test]
fn panes_switch_by_tab_shift_tab_and_numbers() {
    let mut h = h80();
    h.press("payments-service<enter>");
    let pane = |h: &Harness| h.app.top().unwrap().pane;
    assert_eq!(pane(&h), OVERVIEW);
    h.press("<tab>");
    assert_eq!(pane(&h), OWNER);
    // Shift-Tab wraps round from Overview to the last pane, Docs.
    h.press("<shift-tab><shift-tab><shift-tab>");
    assert_eq!(pane(&h), API);
    h.press("4");
    assert_eq!(pane(&h), DEPENDENCIES);
    // A number on a list row opens it at that pane.
    h.press("<esc><esc>g2");
    assert_eq!(pane(&h), OWNER);
}

#[test]
fn follow_a_dependency_go_back_and_breadcrumbs() {
    let mut h = h80();
    h.press("checkout<enter>4");
    // The cursor starts on the first node: payments-service (dependsOn) or
    // payments-api (consumesApi); move to the service.
    let screen = h.render();
    assert!(screen.contains("Depends on — "), "{screen}");
    while !h.app.current_lines()
        [callboard_tui::app::App::cursor_line(h.app.top().unwrap(), &h.app.current_lines())]
    .line
    .spans
    .iter()
    .any(|s| s.content.contains("component:payments-service"))
    {
        h.press("j");
    }
    h.press("<enter>");
    assert_eq!(
        top_key(&h).as_deref(),
        Some("component:default/payments-service")
    );
    assert!(h.render().contains("Catalog › checkout › payments-service"));
    // A dangling dependency does not open; it says why.
    h.press("4");
    h.press("j");
    h.press("<enter>");
    let msg = h.app.message.clone().map(|m| m.text).unwrap_or_default();
    assert!(
        msg.contains("ghost") && msg.contains("not in the catalog"),
        "{msg}"
    );
    assert_eq!(h.app.stack.len(), 2);
    h.press("<esc>");
    assert_eq!(top_key(&h).as_deref(), Some("component:default/checkout"));
    assert_eq!(
        h.app.top().unwrap().pane,
        DEPENDENCIES,
        "each entity keeps its pane"
    );
}

#[test]
fn dependency_nodes_expand_and_collapse() {
    let mut h = h80();
    h.press("db<enter>4");
    let before = h.app.current_lines().len();
    let screen = h.render();
    assert!(screen.contains("blast radius 3 entities"), "{screen}");
    h.press("*");
    let all = h.app.current_lines().len();
    assert!(all >= before);
    h.press("*");
    assert_eq!(h.app.current_lines().len(), before);
    // Collapse the first dependent (payments-service has children).
    let find = |h: &Harness, needle: &str| {
        h.app
            .current_lines()
            .iter()
            .position(|l| l.line.spans.iter().any(|s| s.content.contains(needle)))
            .unwrap()
    };
    let at = find(&h, "component:payments-service");
    h.app.stack.last_mut().unwrap().cursor[DEPENDENCIES] = Some(at);
    h.press("h");
    let collapsed = h.app.current_lines().len();
    assert!(collapsed < before, "{collapsed} < {before}");
    assert!(h.render().contains("▸ component:payments-service"));
    h.press("<space>");
    assert_eq!(h.app.current_lines().len(), before);
}

#[test]
fn copy_acts_on_the_item_under_the_cursor() {
    let mut h = h80();
    h.press("<esc>y");
    assert_eq!(h.copied.last().unwrap().0, "ref");
    h.press("/payments-service<enter>");
    h.press("y");
    assert_eq!(
        h.copied.last().unwrap(),
        &(
            "value".to_string(),
            "component:default/payments-service".to_string()
        )
    );
    h.press("2");
    // Move to Ann's line and copy: her email.
    let lines = h.app.current_lines();
    let ann = lines
        .iter()
        .position(|l| l.line.spans.iter().any(|s| s.content.contains("Ann Lee")))
        .unwrap();
    h.app.stack.last_mut().unwrap().cursor[OWNER] = Some(ann);
    h.press("y");
    assert_eq!(
        h.copied.last().unwrap(),
        &("email".to_string(), "ann@example.com".to_string())
    );
    // Bo has no email: his ref.
    h.press("j");
    h.press("y");
    assert_eq!(
        h.copied.last().unwrap(),
        &("ref".to_string(), "user:default/bo".to_string())
    );
    // Enter on a member opens them.
    h.press("k<enter>");
    assert_eq!(top_key(&h).as_deref(), Some("user:default/ann"));
}

#[test]
fn runbook_jumps_to_the_entitys_or_the_owners() {
    let mut h = h80();
    h.press("<esc>");
    // From the list: r opens the entity at its runbook.
    h.press("/payments-service<esc>r");
    let view = h.app.top().unwrap().clone();
    assert_eq!(view.pane, OVERVIEW);
    let lines = h.app.current_lines();
    let line = callboard_tui::app::App::cursor_line(&view, &lines);
    let text: String = lines[line]
        .line
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    assert!(text.contains("Runbook"), "{text}");
    let msg = h.app.message.clone().unwrap().text;
    assert!(
        msg.contains("runbook: https://runbooks.example.com/payments-service"),
        "{msg}"
    );
    h.press("o");
    assert_eq!(
        h.opened.last().unwrap(),
        "https://runbooks.example.com/payments-service"
    );
    h.press("y");
    assert_eq!(
        h.copied.last().unwrap().1,
        "https://runbooks.example.com/payments-service"
    );

    // No runbook of its own: the owner's.
    h.press("/db<enter>r");
    assert_eq!(h.app.top().unwrap().pane, OWNER);
    let msg = h.app.message.clone().unwrap().text;
    assert!(
        msg.contains("the owner's runbook: https://runbooks.example.com/team-a"),
        "{msg}"
    );

    // Neither: say so.
    h.press("/no-runbook<enter>r");
    let msg = h.app.message.clone().unwrap().text;
    assert!(
        msg.contains("no runbook link on no-runbook or its owner user:bo"),
        "{msg}"
    );
}

#[test]
fn open_link_from_the_list_waits_for_the_details() {
    let mut h = h80();
    h.press("payments-service<esc>o");
    assert_eq!(
        h.opened.last().map(String::as_str),
        Some("https://runbooks.example.com/payments-service")
    );
}

#[test]
fn command_line() {
    let mut h = h80();
    h.press("<esc>:kind api<enter>");
    assert_eq!(h.app.catalog.query.text, "kind:api");
    assert_eq!(h.app.catalog.progress.matched, 2);
    h.press(":owner team-a<enter>");
    assert_eq!(h.app.catalog.query.text, "kind:api owner:team-a");
    h.press(":kind<enter>");
    assert_eq!(h.app.catalog.query.text, "owner:team-a");
    h.press(":find pay<enter>");
    assert_eq!(h.app.catalog.query.text, "owner:team-a pay");
    h.press(":clear<enter>");
    assert_eq!(h.app.catalog.query.text, "");
    h.press(":open payments-service<enter>");
    assert_eq!(
        top_key(&h).as_deref(),
        Some("component:default/payments-service")
    );
    h.press(":open nothing-here<enter>");
    let msg = h.app.message.clone().unwrap();
    assert!(
        msg.error && msg.text.contains("no entity 'nothing-here'"),
        "{msg:?}"
    );
    h.press(":bogus<enter>");
    assert!(h
        .app
        .message
        .clone()
        .unwrap()
        .text
        .contains("unknown command ':bogus'"));
    h.press(":theme mono<enter>");
    assert_eq!(h.app.theme.name, "mono");
    h.press(":sync<enter>");
    assert_eq!(h.syncs_started, 1);
    h.press(":kind api");
    h.press("<esc>");
    assert_eq!(h.app.mode, Mode::Normal, "Esc cancels the command line");
    h.press(":q<enter>");
    assert!(h.app.quit);
}

#[test]
fn q_quits_from_the_list_but_types_in_the_query() {
    let mut h = h80();
    h.press("q");
    assert!(!h.app.quit);
    assert_eq!(h.app.catalog.query.text, "q");
    h.press("<esc>q");
    assert!(h.app.quit);
    let mut h = h80();
    h.press("<ctrl-c>");
    assert!(h.app.quit, "Ctrl-C always quits");
}

#[test]
fn help_lists_the_live_keys_and_closes() {
    let mut o = indexmap::IndexMap::new();
    o.insert(
        "runbook".to_string(),
        callboard_io::config::KeyList::One("R".into()),
    );
    let mut h = h80();
    h.app.keymap = Keymap::with_overrides(&o).unwrap();
    h.press("<esc>?");
    assert!(matches!(h.app.mode, Mode::Help { .. }));
    // Scroll until the runbook row shows (the list is longer than 24 rows).
    let mut screen = h.render();
    for _ in 0..60 {
        if screen.contains("jump to the runbook") {
            break;
        }
        h.press("j");
        screen = h.render();
    }
    let runbook_row = screen
        .lines()
        .find(|l| l.contains("jump to the runbook"))
        .unwrap();
    // The cell inside the popup's border: the key comes first.
    let cell = runbook_row
        .split('│')
        .find(|c| c.contains("jump to the runbook"))
        .unwrap();
    assert!(cell.trim_start().starts_with('R'), "{runbook_row}");
    h.press("j");
    h.press("q");
    assert_eq!(h.app.mode, Mode::Normal);
    assert!(!h.app.quit, "q closes the help first");
    // The remapped key works, the old one no longer does.
    h.press("/payments-service<esc>r");
    assert!(h.app.stack.is_empty());
    h.press("R");
    assert_eq!(
        top_key(&h).as_deref(),
        Some("component:default/payments-service")
    );
}

#[test]
fn sync_runs_in_the_background_and_reloads() {
    let mut h = h80();
    h.press("<esc>s");
    assert_eq!(h.syncs_started, 1);
    // The test source's root does not exist: the sync fails, the old
    // snapshot stays, the status bar says so in words.
    let screen = h.render();
    let bottom: Vec<&str> = screen.lines().rev().take(4).collect();
    // The whole error is readable: it wraps above the status bar, and the
    // source's freshness keeps the right of the last row.
    let message: String = bottom
        .iter()
        .rev()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(message.contains("sync of 'test' failed"), "{screen}");
    assert!(
        message.contains("catalog root not found: no such file or folder"),
        "{screen}"
    );
    assert!(
        bottom[0].ends_with("test offline — cache 3 min old"),
        "{screen}"
    );
    assert_eq!(
        h.app.catalog.progress.matched, 15,
        "the catalog is still there"
    );

    // The demo syncs for real and the list reloads.
    let mut d = Harness::demo((80, 24));
    let before = d.app.catalog.progress.total;
    d.press("<esc>s");
    assert!(d.app.sync.is_none());
    assert_eq!(d.app.catalog.progress.total, before);
    assert!(d
        .app
        .message
        .clone()
        .unwrap()
        .text
        .contains("synced 1 source"));
}

#[test]
fn mouse_scroll_and_click() {
    let mut h = Harness::with_entities(fixture(), (120, 40));
    h.app.update(Action::ScrollDown);
    h.settle();
    assert_eq!(h.app.catalog.cursor, 3);
    // Click the sixth row (list starts on row 2), then click it again to open.
    h.app.update(Action::Click { column: 10, row: 7 });
    h.settle();
    assert_eq!(h.app.catalog.cursor, 5);
    h.app.update(Action::Click { column: 10, row: 7 });
    h.settle();
    assert!(!h.app.stack.is_empty());
    // Click the Owner tab.
    h.app.update(Action::Click { column: 15, row: 2 });
    h.settle();
    assert_eq!(h.app.top().unwrap().pane, OWNER);
    // Click "Catalog" in the breadcrumbs.
    h.app.update(Action::Click { column: 14, row: 0 });
    h.settle();
    assert!(h.app.stack.is_empty());
}

#[test]
fn resize_folds_the_preview() {
    let mut h = Harness::with_entities(fixture(), (120, 40));
    h.press("payments-service");
    assert!(h
        .render()
        .contains("Runbook  https://runbooks.example.com/payments-service"));
    h.resize(80, 24);
    let screen = h.render();
    assert!(!screen.contains("Runbook  https"), "{screen}");
    assert!(
        screen.contains("─ owner team-a · production · service"),
        "{screen}"
    );
    assert_eq!(screen.lines().count(), 24);
}

#[test]
fn demo_catalog_on_call_flow() {
    // The on-call path of the README: a few keys from start to the owner's
    // emails and the runbook.
    let mut h = Harness::demo((80, 24));
    h.press("payments-serv<enter>");
    assert_eq!(
        top_key(&h).as_deref(),
        Some("component:default/payments-service")
    );
    h.press("2");
    let screen = h.render();
    assert!(screen.contains("Members (2)"), "{screen}");
    assert!(
        screen.contains("sofia.marquez@northwind.example"),
        "{screen}"
    );
    h.press("r");
    let msg = h.app.message.clone().unwrap().text;
    assert!(
        msg.contains("runbook: https://runbooks.northwind.example/payments-service"),
        "{msg}"
    );
    h.press("<esc>");
    h.press("/postgres-main<enter>4");
    let screen = h.render();
    assert!(screen.contains("blast radius"), "{screen}");
}

#[test]
fn copies_never_carry_control_characters() {
    let mut h = h80();
    h.press("evil<enter>");
    let lines = h.app.current_lines();
    let link = lines
        .iter()
        .position(|l| {
            matches!(
                l.target,
                Some(callboard_tui::screens::entity::panes::Target::Link { .. })
            )
        })
        .unwrap();
    h.app.stack.last_mut().unwrap().cursor[OVERVIEW] = Some(link);
    h.press("y");
    let (what, text) = h.copied.last().unwrap().clone();
    assert_eq!(what, "URL");
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert_eq!(text, "https://evil.example/");
}
