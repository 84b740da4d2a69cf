//! The Docs pane: the demo catalog's TechDocs drawn at 80x24 and 120x40
//! (insta snapshots), keys (pages, outline, search, links, back), the `r`
//! runbook jump, a remote TechDocs site from the recorded backend, bad docs.

use callboard_io::cache::Cache;
use callboard_io::config::{Endpoint, Source, SourceKind};
use callboard_tui::app::{Loadable, DOCS};
use callboard_tui::testing::Harness;
use callboard_tui::theme::Theme;
use callboard_tui::workers::WorkerConfig;

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

fn pane(h: &Harness) -> &callboard_tui::screens::docs::DocsPane {
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
fn wide_tables_fit_80_columns_as_records() {
    let mut h = booking_docs((80, 24));
    h.press("]");
    assert_eq!(pane(&h).doc.as_ref().unwrap().page, "architecture.md");
    h.press("O");
    let screen = h.render();
    assert!(screen.contains("Outline"), "{screen}");
    h.press("j<enter>");
    // Five columns do not fit 80 without breaking words: one record a row.
    let screen = snap(&mut h, "docs_table");
    assert!(screen.contains("- Dependency: postgres-main"), "{screen}");
    assert!(screen.contains("    - Protocol: PostgreSQL 16"), "{screen}");
    for line in screen.lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
}

fn page_of(h: &Harness) -> String {
    pane(h).doc.as_ref().unwrap().page.clone()
}

fn message(h: &Harness) -> String {
    h.app.message.clone().map(|m| m.text).unwrap_or_default()
}

#[test]
fn links_between_pages_are_followed_and_h_comes_back() {
    let mut h = booking_docs((80, 24));
    // Search for the runbook row of the table, then follow its link.
    h.press("/fix a production<enter>");
    assert!(message(&h).starts_with("match 1/1"), "{}", message(&h));
    let cursor = pane(&h).cursor;
    h.press("<enter>");
    assert_eq!(page_of(&h), "runbook.md");
    let screen = h.render();
    assert!(screen.contains("Booking API › Runbook"), "{screen}");
    // A link to a heading of another page lands on the heading.
    h.press("/Deploying<enter>");
    h.press("<enter>");
    assert_eq!(page_of(&h), "guides/deploy.md");
    let p = pane(&h);
    let heading = &p.doc.as_ref().unwrap().rendered.headings;
    let rolling = heading.iter().find(|x| x.anchor == "rolling-back").unwrap();
    assert_eq!(p.cursor, rolling.line, "{}", message(&h));
    // H walks back through the pages (L forward again); Esc leaves.
    h.press("H");
    assert_eq!(page_of(&h), "runbook.md");
    h.press("H");
    assert_eq!(page_of(&h), "index.md");
    assert_eq!(pane(&h).cursor, cursor);
    h.press("L");
    assert_eq!(page_of(&h), "runbook.md");
    h.press("<esc>");
    assert!(h.app.stack.is_empty());
}

#[test]
fn search_steps_through_matches_and_wraps() {
    let mut h = booking_docs((80, 24));
    h.press("/booking<enter>");
    let first = pane(&h).cursor;
    let total: usize = message(&h)
        .trim_start_matches("match 1/")
        .parse()
        .unwrap_or_else(|_| panic!("{}", message(&h)));
    assert!(total >= 3);
    h.press("n");
    assert!(pane(&h).cursor > first);
    assert_eq!(message(&h), format!("match 2/{total}"));
    h.press("N");
    assert_eq!(pane(&h).cursor, first);
    h.press("N");
    assert!(message(&h).ends_with("(wrapped)"), "{}", message(&h));
    h.press("/zzz-not-there<enter>");
    assert!(message(&h).contains("is not on this page"));
    // While typing, letters are text, not keys.
    h.press("/q");
    assert!(!h.app.quit && pane(&h).search.is_some());
    h.press("<esc>");
    assert!(pane(&h).search.is_none());
}

#[test]
fn pages_and_outline_popups() {
    for size in SIZES {
        let mut h = booking_docs(size);
        h.press("p");
        let screen = snap(&mut h, "docs_pages");
        assert!(screen.contains("Pages — Enter opens"), "{screen}");
        // Home, Architecture, Operations (a section), Runbook.
        h.press("jjj<enter>");
        assert_eq!(page_of(&h), "runbook.md");
        h.press("O");
        let screen = snap(&mut h, "docs_outline");
        assert!(screen.contains("3. Kafka outbox lag"), "{screen}");
        h.press("G<enter>");
        let p = pane(&h);
        let last = p.doc.as_ref().unwrap().rendered.headings.last().unwrap();
        assert_eq!((p.cursor, last.title.as_str()), (last.line, "Escalation"));
        h.press("]");
        assert_eq!(page_of(&h), "guides/deploy.md");
        h.press("]");
        assert!(message(&h).contains("the last page"));
    }
}

#[test]
fn r_opens_the_docs_runbook_when_the_entity_has_no_runbook_link() {
    // ticket-issuer shows booking-api's docs (techdocs-entity) but has its
    // own runbook link: that one comes first, as before.
    let mut h = Harness::demo((80, 24));
    h.press("<esc>:open component:ticket-issuer<enter>r");
    assert!(message(&h).contains("runbook: https://runbooks.northwind.example/ticket-issuer"));
    // An entity with docs but no runbook link.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("docs")).unwrap();
    std::fs::write(
        repo.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  type: service\n  lifecycle: production\n  owner: user:someone\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("docs/index.md"),
        "# Svc\n\nIntro.\n\n## Design\n\ntext\n\n## On-call runbook\n\n1. Restart it.\n",
    )
    .unwrap();
    let mut h = local_harness(&repo, (80, 24));
    h.press("<esc>:open component:svc<enter>r");
    let view = h.app.top().unwrap();
    assert_eq!(view.pane, DOCS);
    let p = pane(&h);
    let heading = p
        .doc
        .as_ref()
        .unwrap()
        .rendered
        .heading("on-call-runbook")
        .unwrap();
    assert_eq!(p.cursor, heading.line);
    assert!(h.render().contains("## On-call runbook"));
}

fn local_harness(repo: &std::path::Path, size: (u16, u16)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let config = WorkerConfig {
        cache: Cache::new(dir.path().join("cache")),
        sources: vec![Source {
            name: "repo".into(),
            kind: SourceKind::Local {
                roots: vec![repo.to_path_buf()],
            },
        }],
        allowed_kinds: None,
        remotes: Default::default(),
    };
    Harness::start(config, dir, size, Theme::default_theme())
}

#[test]
fn bad_docs_say_what_is_wrong_and_links_out_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("docs")).unwrap();
    std::fs::write(
        repo.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  type: service\n  lifecycle: production\n  owner: user:someone\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: nodocs\nspec:\n  type: service\n  lifecycle: production\n  owner: user:someone\n",
    )
    .unwrap();
    std::fs::write(repo.join("mkdocs.yml"), "site_name: [unclosed\n").unwrap();
    let mut h = local_harness(&repo, (80, 24));
    h.press("<esc>:open component:svc<enter>6");
    let screen = h.render();
    assert!(
        screen.contains("mkdocs.yml:") && screen.contains("not valid YAML"),
        "{screen}"
    );
    h.press("<esc>:open component:nodocs<enter>6");
    let screen = snap(&mut h, "docs_none");
    assert!(screen.contains("has no TechDocs"), "{screen}");

    std::fs::write(repo.join("mkdocs.yml"), "site_name: Svc\n").unwrap();
    std::fs::write(
        repo.join("docs/index.md"),
        "# Svc \u{1b}]0;title\u{7}\n\n[secret](../catalog-info.yaml)\n\n<img src=x onerror=alert(1)>\n",
    )
    .unwrap();
    let mut h = local_harness(&repo, (80, 24));
    h.press("<esc>:open component:svc<enter>6");
    let screen = h.render();
    assert!(
        !screen.contains('\u{1b}') && screen.contains("# Svc"),
        "{screen:?}"
    );
    assert!(
        screen.contains("<img src=x onerror=alert(1)>"),
        "inert HTML: {screen}"
    );
    h.press("/secret<enter><enter>");
    assert!(
        message(&h).contains("leaves the docs folder"),
        "{}",
        message(&h)
    );
    assert_eq!(page_of(&h), "index.md");
}

#[test]
fn remote_docs_from_the_recorded_techdocs_backend() {
    let server = crate::support::Server::start();
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let mut endpoint = Endpoint::from_url(&server.url());
    endpoint.token = crate::support::token_command(crate::support::TOKEN);
    let config = WorkerConfig {
        cache,
        sources: vec![Source {
            name: "backstage".into(),
            kind: SourceKind::Remote(endpoint),
        }],
        allowed_kinds: None,
        remotes: Default::default(),
    };
    let mut h = Harness::start(config, dir, (80, 24), Theme::default_theme());
    h.press("<esc>:open component:default/tui-web<enter>6");
    let screen = snap(&mut h, "docs_remote");
    assert!(
        screen.contains("TUI Web › TUI Web") && screen.contains("# TUI Web"),
        "{screen}"
    );
    h.press("/guide<enter><enter>");
    assert_eq!(page_of(&h), "guide/index.html");
    assert!(h.render().contains("Second page."));
    h.press("<esc>:open component:default/tui-orders<enter>6");
    let key = h.app.top().unwrap().key.clone();
    let err = h.app.docs[&key].error.clone().unwrap_or_default();
    assert!(err.contains("docs not built"), "{err}");
    assert!(matches!(h.app.details.get(&key), Some(Loadable::Ready(_))));
}

#[test]
fn a_remote_docs_page_over_its_cap_says_so_in_the_docs_pane() {
    let server = crate::support::Server::start();
    let mut big = String::from("<html><body><article><h1>Guide</h1>");
    while big.len() < 200 << 10 {
        big.push_str("<p>lorem ipsum dolor sit amet</p>\n");
    }
    server.state.fault(
        "/static/docs/default/component/tui-web/guide",
        crate::support::Fault::Status {
            status: 200,
            headers: Vec::new(),
            body: big,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let mut endpoint = Endpoint::from_url(&server.url());
    endpoint.token = crate::support::token_command(crate::support::TOKEN);
    endpoint.max_docs_page_bytes = 64 << 10;
    let config = WorkerConfig {
        cache,
        sources: vec![Source {
            name: "backstage".into(),
            kind: SourceKind::Remote(endpoint),
        }],
        allowed_kinds: None,
        remotes: Default::default(),
    };
    let mut h = Harness::start(config, dir, (100, 30), Theme::default_theme());
    h.press("<esc>:open component:default/tui-web<enter>6");
    assert!(h.render().contains("# TUI Web"));
    h.press("/guide<enter><enter>");
    let screen = h.render();
    let said = format!("{screen}\n{}", message(&h));
    assert!(
        said.contains("page over 0.06 MiB") && said.contains("not downloaded"),
        "{said}"
    );
    assert!(!screen.contains("lorem ipsum"), "{screen}");
}

#[test]
fn mono_theme_docs_have_no_colour_even_in_code() {
    let dir = tempfile::tempdir().unwrap();
    let config = WorkerConfig {
        cache: Cache::new(dir.path().join("cache")),
        sources: vec![Source {
            name: "demo".into(),
            kind: SourceKind::Demo,
        }],
        allowed_kinds: None,
        remotes: Default::default(),
    };
    let mut h = Harness::start(config, dir, (120, 40), Theme::mono());
    h.press("<esc>:open component:booking-api<enter>6");
    // The runbook: tables, links and highlighted shell code.
    h.press("p");
    h.press("jjj<enter>");
    h.press("/kubectl<enter>");
    let buffer = h.buffer();
    let text = callboard_tui::testing::buffer_text(&buffer);
    assert!(text.contains("kubectl --context prod-eu"), "{text}");
    for cell in buffer.content() {
        assert!(
            matches!(cell.fg, ratatui::style::Color::Reset)
                && matches!(cell.bg, ratatui::style::Color::Reset),
            "a coloured cell {cell:?} in:\n{text}"
        );
    }
}

#[test]
fn a_one_megabyte_page_opens_and_is_whole_after_the_background_render() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("docs")).unwrap();
    std::fs::write(
        repo.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: big\n  annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  type: service\n  lifecycle: production\n  owner: user:someone\n",
    )
    .unwrap();
    let mut md = String::from("# Big\n\n");
    let mut i = 0;
    while md.len() < 1_000_000 {
        md.push_str(&format!(
            "## Part {i}\n\nText of part {i} with `code` and [a link](#part-{i}).\n\n```sh\necho {i}\n```\n\n"
        ));
        i += 1;
    }
    std::fs::write(repo.join("docs/index.md"), &md).unwrap();
    let mut h = local_harness(&repo, (80, 24));
    h.press("<esc>:open component:big<enter>6");
    let p = pane(&h);
    let rendered = &p.doc.as_ref().unwrap().rendered;
    assert!(rendered.complete && !p.loading);
    assert_eq!(rendered.headings.len(), i + 1);
    h.press("G");
    let screen = h.render();
    assert!(screen.contains(&format!("echo {}", i - 1)), "{screen}");
    h.press(&format!("/part {}<enter>", i / 2));
    assert!(message(&h).starts_with("match 1/"), "{}", message(&h));
}
