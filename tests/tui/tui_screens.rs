//! Every screen and pane drawn into ratatui's `TestBackend` at 80x24 and
//! 120x40, compared with the snapshots in `tests/snapshots/` (insta), plus
//! checks that hold whatever the snapshots say: catalog strings arrive
//! inert, the mono theme has no colour and a visible selection.

use callboard_tui::app::{App, Env, Loadable};
use callboard_tui::keymap::Keymap;
use callboard_tui::messages::{Msg, SourceStatus, SyncEvent};
use callboard_tui::testing::{buffer_text, fixture, Harness};
use callboard_tui::theme::Theme;
use ratatui::style::{Color, Modifier};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snap(h: &mut Harness, name: &str) -> String {
    let (w, hgt) = h.app.size;
    let screen = h.render();
    insta::assert_snapshot!(format!("{name}_{w}x{hgt}"), screen);
    screen
}

fn fixture_at(size: (u16, u16)) -> Harness {
    Harness::with_entities(fixture(), size)
}

/// Open an entity by typing its name and pressing Enter.
fn open(h: &mut Harness, query: &str) {
    h.press(&format!("{query}<enter>"));
    assert!(
        !h.app.stack.is_empty(),
        "{query} did not open:\n{}",
        h.render()
    );
}

#[test]
fn catalog_list_and_preview() {
    for size in SIZES {
        let mut h = fixture_at(size);
        let screen = snap(&mut h, "catalog");
        assert!(screen.contains("15 / 15"), "{screen}");
        assert!(screen.contains("test · synced 3 min ago"), "{screen}");
        if size.0 >= 100 {
            assert!(
                screen.contains("│"),
                "the preview pane is drawn at {size:?}"
            );
        }
    }
}

#[test]
fn catalog_query_highlights_and_counts() {
    for size in SIZES {
        let mut h = fixture_at(size);
        h.press("pay");
        let screen = snap(&mut h, "catalog_query");
        let first_row = screen.lines().nth(2).unwrap();
        assert!(first_row.contains("payments"), "{screen}");
        // The matched letters of the name are highlighted.
        let buf = h.buffer();
        let row = 2;
        let highlighted: String = (0..buf.area.width)
            .filter(|&x| {
                buf[(x, row)].modifier.contains(Modifier::BOLD) && buf[(x, row)].fg == Color::Yellow
            })
            .map(|x| buf[(x, row)].symbol().to_string())
            .collect();
        assert_eq!(highlighted.to_lowercase(), "pay", "{screen}");
    }
}

#[test]
fn catalog_filter_chips() {
    for size in SIZES {
        let mut h = fixture_at(size);
        h.press("kind:component owner:team-a ");
        let screen = snap(&mut h, "catalog_chips");
        assert!(
            screen.contains(" kind:component ") && screen.contains(" owner:team-a "),
            "{screen}"
        );
        assert!(screen.contains("4 pass the filters"), "{screen}");
        assert!(screen.contains("4 / 4"), "{screen}");
    }
}

#[test]
fn catalog_no_results_and_no_filter_match() {
    for size in SIZES {
        let mut h = fixture_at(size);
        h.press("zzzqqq");
        let screen = snap(&mut h, "catalog_no_results");
        assert!(screen.contains("Nothing matches \"zzzqqq\""), "{screen}");
        assert!(screen.contains("0 / 15"), "{screen}");
        let mut h = fixture_at(size);
        h.press("kind:widget");
        let screen = snap(&mut h, "catalog_no_filter_match");
        assert!(screen.contains("No entity passes the filters"), "{screen}");
    }
}

#[test]
fn empty_catalog() {
    for size in SIZES {
        let mut h = Harness::with_entities(Vec::new(), size);
        let screen = snap(&mut h, "catalog_empty");
        assert!(screen.contains("The catalog is empty."), "{screen}");
        assert!(screen.contains("0 / 0"), "{screen}");
    }
}

#[test]
fn loading_screen_before_the_catalog_arrives() {
    for (w, hgt) in SIZES {
        let mut app = App::new(
            Keymap::default(),
            Theme::default_theme(),
            Env::default(),
            (w, hgt),
            0,
        );
        app.load = Loadable::Loading;
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, hgt)).unwrap();
        terminal
            .draw(|f| callboard_tui::view::draw(f, &app))
            .unwrap();
        let screen = buffer_text(terminal.backend().buffer());
        assert!(screen.contains("Loading the catalog…"), "{screen}");
        insta::assert_snapshot!(format!("loading_{w}x{hgt}"), screen);
    }
}

#[test]
fn entity_panes() {
    for size in SIZES {
        let mut h = fixture_at(size);
        open(&mut h, "payments-service");
        let overview = snap(&mut h, "entity_overview");
        assert!(
            overview.contains("Catalog › payments-service"),
            "{overview}"
        );
        assert!(overview.contains("Team A (group:team-a)"), "{overview}");
        assert!(
            overview.contains("★ Runbook"),
            "runbooks first:\n{overview}"
        );
        let runbook_at = overview.find("★ Runbook").unwrap();
        let dashboard_at = overview.find("Dashboard").unwrap_or(usize::MAX);
        assert!(runbook_at < dashboard_at, "{overview}");

        h.press("2");
        let owner = snap(&mut h, "entity_owner");
        for needle in [
            "Owner: Team A",
            "team-a@example.com",
            "group:org",
            "ann@example.com",
            "no email",
            "PTEAM01",
            "PSVC001",
        ] {
            assert!(owner.contains(needle), "{needle} missing:\n{owner}");
        }

        h.press("3");
        let relations = snap(&mut h, "entity_relations");
        assert!(relations.contains("dependsOn (2)"), "{relations}");
        assert!(
            relations.contains("component:ghost  ✗ not in the catalog"),
            "{relations}"
        );

        h.press("4");
        let deps = snap(&mut h, "entity_dependencies");
        assert!(deps.contains("Depends on — 3 entities"), "{deps}");
        assert!(deps.contains("blast radius 2 entities"), "{deps}");
        assert!(deps.contains("component:checkout"), "{deps}");

        h.press("5");
        let api = snap(&mut h, "entity_api_component");
        assert!(
            api.contains("Provides (1)") && api.contains("api:payments-api"),
            "{api}"
        );
        assert!(
            api.contains("Consumes (1)") && api.contains("api:fares-api"),
            "{api}"
        );
    }
}

#[test]
fn api_pane_of_an_openapi_entity() {
    for size in SIZES {
        let mut h = fixture_at(size);
        h.press("<esc>:open api:payments-api<enter>");
        h.press("5");
        let screen = snap(&mut h, "entity_api_openapi");
        assert!(screen.contains("Operations (3)"), "{screen}");
        assert!(
            screen.contains("POST")
                && screen.contains("/payments/{id}/refund")
                && screen.contains("Refund a payment"),
            "{screen}"
        );
        assert!(screen.contains("Provided by (1)"), "{screen}");
        // The definition scrolls: G goes to its last line.
        h.press("G");
        let bottom = h.render();
        assert!(bottom.contains("summary: Refund a payment"), "{bottom}");
    }
}

#[test]
fn long_names_and_wide_characters() {
    for size in SIZES {
        let mut h = fixture_at(size);
        h.press("kessai");
        let screen = snap(&mut h, "catalog_cjk");
        assert!(screen.contains("決済サービス"), "{screen}");
        h.press("<enter>");
        let screen = snap(&mut h, "entity_cjk");
        assert!(screen.contains("日本のカード決済"), "{screen}");
        for line in screen.lines() {
            assert!(
                callboard_core::text::width(line) <= size.0 as usize,
                "line too wide: {line}"
            );
        }

        let mut h = fixture_at(size);
        h.press("^a-component-with");
        let screen = snap(&mut h, "catalog_long_name");
        assert!(
            screen.contains("…"),
            "long names are cut with an ellipsis:\n{screen}"
        );
        h.press("<enter>");
        let screen = snap(&mut h, "entity_long_name");
        assert!(screen.contains("a-group-with-a-long-name-too"), "{screen}");
        assert!(screen.contains("not in the catalog"), "{screen}");
    }
}

/// No cell may hold a control character: ESC, CSI, OSC and C1 bytes in
/// catalog strings are dropped before drawing.
fn assert_inert(h: &mut Harness, what: &str) -> String {
    let buf = h.buffer();
    for cell in buf.content() {
        for c in cell.symbol().chars() {
            assert!(
                !c.is_control(),
                "{what}: control character {c:?} reached the screen"
            );
        }
    }
    let screen = buffer_text(&buf);
    for banned in ["pwned", "ZXZpbA", "[31m", "]8;;"] {
        assert!(
            !screen.contains(banned),
            "{what}: {banned} leaked:\n{screen}"
        );
    }
    screen
}

#[test]
fn hostile_strings_arrive_inert() {
    for size in SIZES {
        let mut h = fixture_at(size);
        h.press("evil");
        assert_inert(&mut h, "list");
        let list = snap(&mut h, "hostile_list");
        assert!(list.contains("Evil red title"), "{list}");
        h.press("<enter>");
        let overview = assert_inert(&mut h, "overview");
        snap(&mut h, "hostile_overview");
        assert!(
            overview.contains("before after overwrite") || overview.contains("before after"),
            "{overview}"
        );
        for pane in ["2", "3", "4", "5"] {
            h.press(pane);
            assert_inert(&mut h, pane);
        }
        // Copying a hostile link copies it as it is, but says it inertly.
        h.press("1G");
    }
}

#[test]
fn help_and_command_line() {
    for size in SIZES {
        let mut h = fixture_at(size);
        h.press("<esc>?");
        let screen = snap(&mut h, "help");
        assert!(screen.contains("Help — Esc closes"), "{screen}");
        assert!(screen.contains("Ctrl-d"), "{screen}");
        h.press("<esc>");
        h.press(":kind ap");
        let screen = snap(&mut h, "command_line");
        assert!(
            screen.lines().last().unwrap().starts_with(":kind ap"),
            "{screen}"
        );
    }
}

#[test]
fn status_bar_sync_progress_staleness_and_errors() {
    for size in SIZES {
        status_bar_at(size);
    }
}

fn status_bar_at(size: (u16, u16)) {
    let mut h = fixture_at(size);
    h.app.handle_msg(Msg::Sync(SyncEvent::Started { total: 2 }));
    h.app.handle_msg(Msg::Sync(SyncEvent::Source {
        index: 1,
        name: "platform".into(),
    }));
    let screen = snap(&mut h, "status_syncing");
    assert!(
        screen
            .lines()
            .last()
            .unwrap()
            .contains("syncing platform (2/2)"),
        "{screen}"
    );

    h.app.handle_msg(Msg::Sync(SyncEvent::SourceDone {
        name: "test".into(),
        result: Err("cannot reach https://backstage.example.com: timed out".into()),
    }));
    h.app
        .handle_msg(Msg::Sync(SyncEvent::Finished { failed: 1 }));
    let screen = snap(&mut h, "status_offline");
    // At 80 columns the error takes rows above the status bar; it is
    // never cut, and the freshness stays at the right of the last row.
    let bottom: Vec<&str> = screen.lines().rev().take(3).collect();
    let message = format!(
        "{} {} {}",
        bottom[2].trim(),
        bottom[1].trim(),
        bottom[0].trim()
    );
    assert!(
        message.contains(
            "✗ sync of 'test' failed: cannot reach https://backstage.example.com: timed out"
        ),
        "{screen}"
    );
    assert!(
        bottom[0].ends_with("test offline — cache 3 min old"),
        "{screen}"
    );

    // Several sources: one freshness each.
    h.app.sources = vec![
        SourceStatus {
            name: "platform".into(),
            synced_at_ms: Some(h.app.now_ms - 120_000),
            entity_count: 1,
            problem_count: 0,
            stale: false,
            refresh_due: false,
            signed_in_as: None,
        },
        SourceStatus {
            name: "org".into(),
            synced_at_ms: Some(h.app.now_ms - 2 * 3_600_000),
            entity_count: 1,
            problem_count: 0,
            stale: false,
            refresh_due: false,
            signed_in_as: None,
        },
    ];
    h.app.message = None;
    let screen = h.render();
    assert!(
        screen
            .lines()
            .last()
            .unwrap()
            .ends_with("platform 2 min ago · org 2 h ago"),
        "{screen}"
    );

    // A Backstage source read as a signed-in user says who.
    h.app.sources.truncate(1);
    h.app.sources[0].signed_in_as = Some("user:default/bob".into());
    let screen = h.render();
    assert!(
        screen
            .lines()
            .last()
            .unwrap()
            .ends_with("platform as bob · synced 2 min ago"),
        "{screen}"
    );
}

#[test]
fn mono_theme_and_no_color_keep_the_selection_visible() {
    let dir = tempfile::tempdir().unwrap();
    let cache = callboard_io::cache::Cache::new(dir.path().join("cache"));
    cache
        .write_snapshot(
            "test",
            "/catalog",
            &callboard_tui::testing::entities(fixture()),
            &[],
        )
        .unwrap();
    let config = callboard_tui::workers::WorkerConfig {
        cache,
        sources: vec![callboard_io::config::Source {
            name: "test".into(),
            kind: callboard_io::config::SourceKind::Local {
                roots: vec!["/catalog".into()],
            },
        }],
        allowed_kinds: None,
        remotes: Default::default(),
    };
    let theme = Theme::from_config(Some("default"), true).unwrap();
    let mut h = Harness::start(config, dir, (120, 40), theme);
    h.press("<esc>j");
    let buf = h.buffer();
    for cell in buf.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "a colour under NO_COLOR: {cell:?}"
        );
    }
    let selected_row = 3;
    assert!(
        buf[(5, selected_row)].modifier.contains(Modifier::REVERSED),
        "the selection is reverse video"
    );
    assert!(!buf[(5, selected_row + 1)]
        .modifier
        .contains(Modifier::REVERSED));
    h.press("<enter>4");
    let buf = h.buffer();
    let reversed_rows: Vec<u16> = (0..buf.area.height)
        .filter(|&y| buf[(0, y)].modifier.contains(Modifier::REVERSED))
        .collect();
    assert_eq!(
        reversed_rows.len(),
        2,
        "the active tab and the cursor line, nothing else: {reversed_rows:?}"
    );
}

#[test]
fn a_long_notice_is_shown_whole_at_80_columns() {
    // What `o` says over SSH: the URL must be readable to be typed or
    // clicked elsewhere, however long.
    let url = "https://runbooks.northwind.example/teams/payments/services/payments-service/incidents/card-authorisation-failures";
    for size in SIZES {
        let mut h = fixture_at(size);
        h.app.handle_msg(Msg::Notice {
            text: format!("over SSH: {url} (copied)"),
            error: false,
        });
        let screen = h.render();
        let joined: String = screen
            .lines()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(str::trim)
            .collect();
        assert!(joined.contains(url), "{size:?}:\n{screen}");
        assert!(
            screen
                .lines()
                .last()
                .unwrap()
                .ends_with("test · synced 3 min ago"),
            "{screen}"
        );
        assert_eq!(screen.lines().count(), size.1 as usize);
    }
}
