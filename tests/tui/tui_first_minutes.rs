//! The first minutes of a new user (issue 12): typeahead that does not race
//! the matcher, the first keys doing what the hints say, Esc leaving the
//! Docs pane, the status line, stale data, the `:` filters.

use callboard_tui::testing::Harness;

use crate::tmux::Tmux;

fn top_key(h: &Harness) -> Option<String> {
    h.app.top().map(|v| v.key.clone())
}

/// Keys pressed one after another with no time for the matcher in
/// between (as a paste or a laggy SSH link delivers them).
fn burst(h: &mut Harness, keys: &[&str]) {
    for k in keys {
        h.key_no_settle(k);
    }
    h.settle();
}

/// What the list ranks first for `query`, given time to rank it.
fn settled_top(query: &str) -> String {
    let mut h = Harness::demo((80, 24));
    h.press(query);
    h.app.catalog.selected_key().expect("a match")
}

#[test]
fn enter_typed_ahead_opens_the_match_for_everything_typed_before_it() {
    let expected = settled_top("pay serv");
    let mut h = Harness::demo((80, 24));
    let old_top = h.app.catalog.selected_key().unwrap();
    assert_ne!(old_top, expected, "the test needs the top row to change");
    let mut keys: Vec<String> = "pay serv".chars().map(|c| c.to_string()).collect();
    keys.push("enter".into());
    // Space is a named key for the harness.
    let keys: Vec<&str> = keys
        .iter()
        .map(|k| if k == " " { "space" } else { k.as_str() })
        .collect();
    burst(&mut h, &keys);
    assert_eq!(top_key(&h).as_deref(), Some(expected.as_str()));
    // Keys after Enter went to the screen Enter opened, in order.
    let mut h = Harness::demo((80, 24));
    let mut keys = keys.clone();
    keys.push("2");
    burst(&mut h, &keys);
    assert_eq!(top_key(&h).as_deref(), Some(expected.as_str()));
    assert_eq!(h.app.top().unwrap().pane, callboard_tui::app::OWNER);
}

#[test]
fn enter_typed_before_the_catalog_loaded_opens_the_match_once_it_has() {
    let expected = settled_top("pay serv");
    let mut h = Harness::demo_unsettled((80, 24));
    assert!(
        h.app.catalog.picker.is_none(),
        "the test types before the load"
    );
    burst(
        &mut h,
        &["p", "a", "y", "space", "s", "e", "r", "v", "enter", "2"],
    );
    assert_eq!(top_key(&h).as_deref(), Some(expected.as_str()));
    assert_eq!(h.app.top().unwrap().pane, callboard_tui::app::OWNER);
}

#[test]
fn two_quick_next_page_keys_move_two_pages() {
    let mut h = Harness::demo((80, 24));
    h.press("<esc>:open component:booking-api<enter>6");
    let key = h.app.top().unwrap().key.clone();
    let pages = h.app.docs[&key].doc.as_ref().unwrap().site.pages.clone();
    assert!(pages.len() >= 3, "{pages:?}");
    burst(&mut h, &["]", "]"]);
    assert_eq!(h.app.docs[&key].doc.as_ref().unwrap().page, pages[2]);
    burst(&mut h, &["[", "["]);
    assert_eq!(h.app.docs[&key].doc.as_ref().unwrap().page, pages[0]);
}

#[test]
#[ignore = "needs tmux"]
fn tmux_enter_in_the_same_write_opens_the_new_top_match() {
    let expected = settled_top("pay serv");
    let name = expected.rsplit('/').next().unwrap().to_string();
    let t = Tmux::start((80, 24));
    t.wait("the catalog", 30, |s| {
        s.contains("demo · synced") && s.contains("›")
    });
    // One send-keys: the text and Enter in one write.
    t.keys(&["pay serv", "Enter"]);
    let screen = t.wait("an entity to open", 10, |s| {
        s.lines().next().is_some_and(|l| l.contains("Catalog › "))
    });
    let header = screen.lines().next().unwrap();
    let opened: Vec<&str> = header.split_whitespace().collect();
    let after = opened.iter().position(|w| *w == "›").map(|i| opened[i + 1]);
    assert_eq!(after, Some(name.as_str()), "expected {expected}:\n{screen}");
}

#[test]
fn slash_colon_and_question_mark_on_an_empty_query_are_commands() {
    use callboard_tui::app::Mode;
    let mut h = Harness::demo((80, 24));
    // `/` focuses the search (it is there already): not typed.
    h.press("/pay");
    assert_eq!(h.app.catalog.query.text, "pay");
    // In a query `/` is text (namespace/name).
    h.press("/x");
    assert_eq!(h.app.catalog.query.text, "pay/x");
    let mut h = Harness::demo((80, 24));
    h.press(":");
    assert!(matches!(h.app.mode, Mode::Command(_)), "{:?}", h.app.mode);
    h.press("kind api<enter>");
    assert_eq!(h.app.catalog.query.text, "kind:api");
    // `:` inside a query is the filter syntax.
    h.press("/");
    h.press("owner:x");
    assert!(h.app.catalog.query.text.ends_with("owner:x"));
    assert!(matches!(h.app.mode, Mode::Normal));
    let mut h = Harness::demo((80, 24));
    h.press("?");
    assert!(matches!(h.app.mode, Mode::Help { .. }), "{:?}", h.app.mode);
    h.press("<esc>");
    // Letters and digits still search from the first key: `q` is text.
    h.press("q");
    assert_eq!(h.app.catalog.query.text, "q");
    assert!(!h.app.quit);
    let mut h = Harness::demo((80, 24));
    h.press("2");
    assert_eq!(h.app.catalog.query.text, "2");
}

#[test]
fn o_on_an_email_writes_to_it_and_never_opens_the_runbook() {
    use callboard_tui::screens::entity::panes::Target;
    let mut h = Harness::with_entities(callboard_tui::testing::fixture(), (80, 24));
    h.press("payments-service<enter>2");
    let mut guard = 0;
    loop {
        let lines = h.app.current_lines();
        let at = callboard_tui::app::App::cursor_line(h.app.top().unwrap(), &lines);
        if matches!(lines[at].target, Some(Target::Email(_))) {
            break;
        }
        guard += 1;
        assert!(guard < 40, "no email line on the Owner pane");
        h.press("j");
    }
    h.press("o");
    assert_eq!(h.opened, vec!["mailto:team-a@example.com".to_string()]);
    assert!(h.copied.is_empty(), "{:?}", h.copied);
}

/// `y` in tmux: the ref lands in tmux's paste buffer (`tmux show-buffer`).
fn tmux_copy(set_clipboard: &str, env: &[&str]) -> (String, String) {
    let t = Tmux::start_env((80, 24), env);
    t.run(&["set-option", "-s", "set-clipboard", set_clipboard]);
    t.wait("the catalog", 30, |s| s.contains("demo · synced"));
    t.type_text("payments-service");
    t.wait_for("/ payments-service");
    t.keys(&["Enter"]);
    t.wait_for("Catalog › payments-service");
    t.keys(&["y"]);
    let screen = t.wait("the copy message", 10, |s| s.contains("OSC 52"));
    let out = t.run(&["show-buffer"]);
    (String::from_utf8_lossy(&out.stdout).into_owned(), screen)
}

#[test]
#[ignore = "needs tmux"]
fn tmux_y_reaches_the_paste_buffer_with_set_clipboard_on() {
    let (buffer, screen) = tmux_copy("on", &[]);
    assert_eq!(buffer, "component:default/payments-service", "{screen}");
}

#[test]
#[ignore = "needs tmux"]
fn tmux_y_reaches_the_paste_buffer_with_set_clipboard_off_too() {
    let (buffer, screen) = tmux_copy("off", &[]);
    assert_eq!(buffer, "component:default/payments-service", "{screen}");
    assert!(screen.contains("tmux's paste buffer"), "{screen}");
}

#[test]
fn esc_leaves_the_docs_pane_after_any_number_of_page_moves() {
    let mut h = Harness::demo((80, 24));
    h.press("<esc>:open component:booking-api<enter>");
    h.press("6");
    let key = h.app.top().unwrap().key.clone();
    let pages = h.app.docs[&key].doc.as_ref().unwrap().site.pages.len();
    for _ in 0..pages + 3 {
        h.press("]");
    }
    for _ in 0..3 {
        h.press("[");
    }
    h.press("<esc>");
    assert!(h.app.stack.is_empty(), "one Esc leaves the entity");
}

#[test]
fn an_old_error_clears_on_the_next_key_and_the_hints_come_back() {
    use callboard_tui::keymap::Action;
    use callboard_tui::messages::Msg;
    let mut h = Harness::with_entities(callboard_tui::testing::fixture(), (80, 24));
    h.press("<esc>");
    let hints = h.render().lines().last().unwrap().to_string();
    assert!(hints.contains("/ search"), "{hints}");
    h.app.handle_msg(Msg::Notice {
        text: "sync of 'prod' failed: cannot connect".into(),
        error: true,
    });
    let now = h.app.now_ms;
    // Still there after a minute of nothing.
    h.app.update(Action::Tick(now + 60_000));
    assert!(h.render().contains("cannot connect"));
    // The next key clears it (the key itself says nothing here).
    h.key_no_settle("j");
    let screen = h.render();
    assert!(!screen.contains("cannot connect"), "{screen}");
    assert!(
        screen.lines().last().unwrap().contains("/ search"),
        "{screen}"
    );
    // A message a key just produced is not cleared by the next key at once
    // (it has to be seen first) …
    h.app.handle_msg(Msg::Notice {
        text: "an error that just arrived".into(),
        error: true,
    });
    h.key_no_settle("k");
    assert!(h.render().contains("an error that just arrived"));
    // … but is once it was on screen a moment.
    h.app.update(Action::Tick(now + 62_000));
    h.key_no_settle("j");
    assert!(!h.render().contains("an error that just arrived"));
}

#[test]
fn a_very_long_message_wraps_and_is_never_cut() {
    use callboard_tui::messages::Msg;
    let mut h = Harness::with_entities(callboard_tui::testing::fixture(), (80, 24));
    let words: Vec<String> = (0..120).map(|i| format!("word{i}")).collect();
    h.app.handle_msg(Msg::Notice {
        text: words.join(" "),
        error: true,
    });
    let screen = h.render();
    assert_eq!(screen.lines().count(), 24);
    let shown: Vec<&str> = screen.split_whitespace().collect();
    for w in &words {
        assert!(shown.contains(&w.as_str()), "{w} missing:\n{screen}");
    }
}

/// A loopback "backend" that accepts connections and closes them at once.
fn closing_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    url
}

/// A URL where nothing listens (connections are refused).
fn refusing_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn remote_harness(url: &str, cached_hours_ago: Option<u64>) -> Harness {
    use callboard_io::cache::Cache;
    use callboard_io::config::{Endpoint, Source, SourceKind};
    use callboard_tui::workers::WorkerConfig;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    if let Some(hours) = cached_hours_ago {
        let entities = callboard_tui::testing::entities(callboard_tui::testing::fixture());
        cache.write_snapshot("prod", url, &entities, &[]).unwrap();
        // Time passing, without waiting for it.
        let db = rusqlite::Connection::open(cache.snapshot_path("prod")).unwrap();
        let synced: String = db
            .query_row(
                "SELECT value FROM meta WHERE key = 'synced_at_ms'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let backdated = synced.parse::<u64>().unwrap() - hours * 3_600_000;
        db.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'synced_at_ms'",
            [backdated.to_string()],
        )
        .unwrap();
        // Synced as whom this source reads as now (a sync records it; a
        // snapshot of another identity is never shown).
        let who =
            callboard_io::sync::identity(&Default::default(), "prod", &Endpoint::from_url(url));
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            [callboard_io::sync::META_PRINCIPAL, who.as_str()],
        )
        .unwrap();
    }
    let config = WorkerConfig {
        cache,
        sources: vec![Source {
            name: "prod".into(),
            kind: SourceKind::Remote(Endpoint::from_url(url)),
        }],
        allowed_kinds: None,
        remotes: Default::default(),
    };
    Harness::start(
        config,
        dir,
        (100, 30),
        callboard_tui::theme::Theme::default_theme(),
    )
}

#[test]
fn a_stale_remote_cache_is_refreshed_at_start_and_says_offline_in_words() {
    for url in [refusing_url(), closing_server()] {
        let mut h = remote_harness(&url, Some(2));
        // The cache answered, and a refresh was tried (and failed).
        assert!(h.app.catalog.progress.matched > 0);
        let screen = h.render();
        let status = screen.lines().last().unwrap();
        assert!(status.contains("prod offline — cache"), "{url}:\n{screen}");
        let message = h.app.message.clone().expect("a message").text;
        assert!(
            message.starts_with("offline: ")
                && message.contains("showing the cached catalog of 'prod'"),
            "{message}"
        );
        assert!(message.contains("a connection problem"), "{message}");
        // In words: not the HTTP client's chain of errors.
        for chain in ["error sending request", "client error", "os error", "hyper"] {
            assert!(!message.contains(chain), "{message}");
        }
    }
}

#[test]
fn a_fresh_remote_cache_is_not_refreshed_at_start() {
    let url = refusing_url();
    let mut h = remote_harness(&url, Some(0));
    assert!(h.app.message.is_none(), "{:?}", h.app.message);
    let screen = h.render();
    assert!(!screen.contains("offline"), "{screen}");
}

#[test]
fn a_failed_first_sync_says_it_is_a_connection_problem() {
    let url = refusing_url();
    let mut h = remote_harness(&url, None);
    let screen = h.render();
    assert!(
        screen.contains("The first sync failed") && screen.contains("a connection problem"),
        "{screen}"
    );
    assert!(!screen.contains("Add sources to the config"), "{screen}");
}

#[test]
fn colon_filters_typed_in_a_query_replace_the_filter_and_keep_the_text() {
    use callboard_tui::app::Mode;
    let mut h = Harness::demo((80, 24));
    // `:` at the start of a word in the query line is the command line.
    h.press("pay :");
    assert!(matches!(h.app.mode, Mode::Command(_)), "{:?}", h.app.mode);
    h.press("kind api<enter>");
    assert_eq!(h.app.catalog.query.text, "kind:api pay");
    h.press(":kind component<enter>");
    assert_eq!(h.app.catalog.query.text, "kind:component pay");
    h.press(":owner team-payments<enter>:owner team-booking<enter>");
    assert_eq!(
        h.app.catalog.query.text,
        "kind:component owner:team-booking pay"
    );
    // Inside a word `:` is the filter syntax.
    let mut h = Harness::demo((80, 24));
    h.press("kind:api");
    assert_eq!(h.app.catalog.query.text, "kind:api");
}

fn message(h: &Harness) -> String {
    h.app.message.clone().map(|m| m.text).unwrap_or_default()
}

#[test]
fn unknown_filter_keys_and_values_get_a_suggestion() {
    let mut h = Harness::demo((80, 24));
    h.press(":kind apis<enter>");
    assert!(
        message(&h).contains("did you mean kind:api?"),
        "{}",
        message(&h)
    );
    h.press(":knd api<enter>");
    assert!(
        message(&h).contains("did you mean :kind?"),
        "{}",
        message(&h)
    );
    // Typed in the query: the empty list says it.
    let mut h = Harness::demo((80, 24));
    h.press("knd:api<esc>");
    let screen = h.render();
    assert!(screen.contains("did you mean kind:api?"), "{screen}");
    let mut h = Harness::demo((80, 24));
    h.press("kind:apis<esc>");
    let screen = h.render();
    assert!(screen.contains("did you mean kind:api?"), "{screen}");
}

#[test]
fn cursor_movement_skips_lines_that_cannot_be_acted_on() {
    let mut h = Harness::with_entities(callboard_tui::testing::fixture(), (80, 24));
    h.press("payments-service<enter>");
    for pane in ["1", "2", "3", "4"] {
        h.press(pane);
        let lines = h.app.current_lines();
        let actionable: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].target.is_some())
            .collect();
        assert!(actionable.len() > 2, "pane {pane}");
        let at = |h: &Harness| {
            let lines = h.app.current_lines();
            callboard_tui::app::App::cursor_line(h.app.top().unwrap(), &lines)
        };
        assert_eq!(at(&h), actionable[0], "pane {pane}");
        for (i, &line) in actionable.iter().enumerate().skip(1) {
            h.press("j");
            // Within a page, j lands on the next line with something on it.
            assert_eq!(at(&h), line, "pane {pane}, step {i}");
        }
        h.press("g");
        assert_eq!(at(&h), actionable[0], "pane {pane}: g");
        h.press("G");
        assert_eq!(at(&h), *actionable.last().unwrap(), "pane {pane}: G");
        h.press("k");
        assert_eq!(at(&h), actionable[actionable.len() - 2], "pane {pane}: k");
    }
}

#[test]
fn esc_then_colon_in_one_read_is_two_keys() {
    use callboard_tui::app::Mode;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut h = Harness::with_entities(callboard_tui::testing::fixture(), (80, 24));
    h.press("payments-service<enter>");
    assert!(h.app.top().is_some());
    // What crossterm makes of ESC and ':' read together.
    h.app
        .handle_key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::ALT));
    h.settle();
    assert!(h.app.stack.is_empty(), "Esc left the entity");
    assert!(matches!(h.app.mode, Mode::Command(_)), "{:?}", h.app.mode);
}

#[test]
#[ignore = "needs tmux"]
fn tmux_escape_and_colon_in_one_write_open_the_command_line() {
    let t = Tmux::start((80, 24));
    t.wait("the catalog", 30, |s| s.contains("demo · synced"));
    t.type_text("payments-service");
    t.wait_for("/ payments-service");
    t.keys(&["Enter"]);
    t.wait_for("Catalog › payments-service");
    t.keys(&["Escape", ":"]);
    let screen = t.wait("the command line", 10, |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.starts_with(":  :kind api"))
    });
    assert!(!screen.contains("Catalog › payments-service"), "{screen}");
}
