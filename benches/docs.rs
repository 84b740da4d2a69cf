//! Docs pane figures: `cargo bench --bench docs`.
//!
//! A generated 1 MB Markdown page (headings, paragraphs, lists, tables and
//! highlighted code blocks) in a temp MkDocs project:
//!
//! 1. open → first frame: read and sanitize the page, parse its first
//!    64 KiB into chunks and render its first screens (what the docs worker
//!    sends first), then draw the Docs pane into a 120x40 `TestBackend`;
//! 2. the whole page rendered (the worker's second answer, off the UI thread);
//! 3. a scroll step: one line down, then a page down, each with its frame.
//!
//! Before the timed runs it prints the cold first open (the syntax sets
//! of the highlighter load on first use).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use callboard_core::docs::Site;
use callboard_io::docs::local;
use callboard_tui::app::{App, EntityView, Env, DOCS};
use callboard_tui::docs_render::{self as render, RenderOptions};
use callboard_tui::keymap::{Action, Keymap};
use callboard_tui::messages::DocsDoc;
use callboard_tui::screens::docs::DocsPane;
use callboard_tui::theme::Theme;
use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const SIZE: (u16, u16) = (120, 40);
const KEY: &str = "component:default/big-docs";

/// About `bytes` of varied Markdown.
fn big_page(bytes: usize) -> String {
    let mut md = String::from("# A very big page\n\n");
    let mut i = 0;
    while md.len() < bytes {
        md.push_str(&format!(
            "## Section {i}: the booking flow\n\n\
             Bookings hold seats for **15 minutes**, authorise payment through `payments-service` \
             and confirm; see [the runbook](runbook.md#section-{i}) and \
             [Grafana](https://grafana.example.com/d/{i}). A longer sentence follows so that the \
             paragraph wraps over a few lines at any sensible width of a terminal window.\n\n\
             - first item {i}\n- second item with `code`\n  - nested item\n\n\
             | Alert | Meaning | Action |\n|---|---|---|\n\
             | `High5xx{i}` | errors at checkout | roll back the last deploy, then page the team |\n\
             | `Lag{i}` | tickets late | restart the connector |\n\n\
             ```sh\nkubectl -n ticketing get pods -l app=booking-api-{i}\n\
             nwlogs query --app booking-api --since 15m | jq -r '.error.class' | sort | uniq -c\n```\n\n\
             ```python\ndef handler_{i}(event, context):\n    return {{\"status\": {i}}}\n```\n\n"
        ));
        i += 1;
    }
    md
}

fn project(md: &str) -> (tempfile::TempDir, Site) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("mkdocs.yml"), "site_name: Big\n").unwrap();
    std::fs::write(dir.path().join("docs/index.md"), md).unwrap();
    let site = local::load_site(dir.path(), KEY).unwrap();
    (dir, site)
}

fn app_with(doc: DocsDoc) -> App {
    let mut app = App::new(
        Keymap::default(),
        Theme::default_theme(),
        Env::default(),
        SIZE,
        0,
    );
    app.effects.clear();
    app.stack.push(EntityView::new(KEY, DOCS));
    let pane = DocsPane {
        width: doc.rendered.width,
        doc: Some(doc),
        ..Default::default()
    };
    app.docs.insert(KEY.to_string(), pane);
    app
}

/// Open the page the way the pane does, up to its first frame.
fn open_first_frame(site: &Arc<Site>, width: u16, terminal: &mut Terminal<TestBackend>) -> App {
    let page = local::load_page(site, "index.md").unwrap();
    let rendered = render::first_screens(
        &page.markdown,
        RenderOptions {
            width,
            palette: callboard_tui::theme::Palette::Dark,
        },
    );
    let app = app_with(DocsDoc {
        site: site.clone(),
        docs_of: KEY.to_string(),
        page: page.path.clone(),
        title: page.title.clone(),
        notes: page.notes.clone(),
        rendered: Arc::new(rendered),
    });
    terminal
        .draw(|f| callboard_tui::view::draw(f, &app))
        .unwrap();
    app
}

fn docs_benches(c: &mut Criterion) {
    let md = big_page(1_000_000);
    let (_dir, site) = project(&md);
    let site = Arc::new(site);
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    let width = {
        let app = App::new(
            Keymap::default(),
            Theme::default_theme(),
            Env::default(),
            SIZE,
            0,
        );
        let mut app = app;
        app.stack.push(EntityView::new(KEY, DOCS));
        callboard_tui::screens::docs::areas(callboard_tui::layout::entity(app.area()).body)
            .page
            .width
    };

    let t = Instant::now();
    let app = open_first_frame(&site, width, &mut terminal);
    println!(
        "cold open of a {} byte page → first frame: {:.2} ms ({} lines rendered first)",
        md.len(),
        t.elapsed().as_secs_f64() * 1000.0,
        app.docs[KEY].doc.as_ref().unwrap().rendered.lines.len()
    );
    let page = local::load_page(&site, "index.md").unwrap();
    let prepared = render::prepare(&page.markdown);
    let t = Instant::now();
    let full = render::render(
        &page.markdown,
        &prepared,
        RenderOptions {
            width,
            palette: callboard_tui::theme::Palette::Dark,
        },
        None,
    );
    println!(
        "whole page rendered (docs worker, background): {:.0} ms, {} lines, {} headings, {} links",
        t.elapsed().as_secs_f64() * 1000.0,
        full.lines.len(),
        full.headings.len(),
        full.links.len()
    );

    let mut group = c.benchmark_group("docs 1 MB page");
    group.sample_size(30);
    group.bench_function("open → first frame", |b| {
        b.iter(|| black_box(open_first_frame(&site, width, &mut terminal)))
    });
    group.bench_function("prepare (parse into chunks)", |b| {
        b.iter(|| black_box(render::prepare(&page.markdown)))
    });
    group.sample_size(10);
    group.bench_function("whole page render (background)", |b| {
        b.iter(|| {
            black_box(render::render(
                &page.markdown,
                &prepared,
                RenderOptions {
                    width,
                    palette: callboard_tui::theme::Palette::Dark,
                },
                None,
            ))
        })
    });
    group.finish();

    let mut app = app_with(DocsDoc {
        site: site.clone(),
        docs_of: KEY.to_string(),
        page: page.path.clone(),
        title: page.title.clone(),
        notes: Vec::new(),
        rendered: Arc::new(full),
    });
    let mut group = c.benchmark_group("docs scroll (rendered 1 MB page)");
    group.bench_function("line down + frame", |b| {
        b.iter(|| {
            app.update(Action::Down);
            terminal
                .draw(|f| callboard_tui::view::draw(f, &app))
                .unwrap();
        })
    });
    group.bench_function("page down + frame", |b| {
        b.iter(|| {
            app.update(Action::PageDown);
            if app.docs[KEY].cursor + 50 > app.docs[KEY].doc.as_ref().unwrap().rendered.lines.len()
            {
                app.update(Action::Top);
            }
            terminal
                .draw(|f| callboard_tui::view::draw(f, &app))
                .unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, docs_benches);
criterion_main!(benches);
