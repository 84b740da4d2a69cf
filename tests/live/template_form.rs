//! The TUI against the live Backstage backend: pick `hello-offline` from
//! the synced catalog, fill its form from the keyboard, run it on the
//! server with the event stream in the run-log pane, and cancel a second
//! run half way with `c`.

use std::time::{Duration, Instant};

use callboard_io::config::{Endpoint, Source, SourceKind, TokenSource};
use callboard_tui::screens::templates::run_log::Finish;
use callboard_tui::screens::templates::TemplateScreen;
use callboard_tui::testing::Harness;

use crate::backend::require_live;

fn harness(url: &str, cache: &std::path::Path) -> Harness {
    let source = Source {
        name: "live".into(),
        kind: SourceKind::Remote(Endpoint {
            url: url.to_string(),
            token: TokenSource::Env {
                var: "CALLBOARD_LIVE_TOKEN".into(),
                required: true,
            },
            kinds: vec!["Template".into(), "Group".into(), "User".into()],
            namespaces: Vec::new(),
            page_size: 200,
            timeout: Duration::from_secs(20),
            ca_cert: None,
            refresh_after: None,
            ..Endpoint::from_url(url)
        }),
    };
    Harness::over(cache, vec![source], (80, 24))
}

fn wait_for_end(h: &mut Harness, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        h.settle();
        if let Some(TemplateScreen::Run(r)) = &h.app.templates {
            if r.is_finished() {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the run did not end in {secs} s:\n{}", h.render());
}

fn open_hello(h: &mut Harness) {
    h.press("<esc>t");
    h.press("hello offline<enter>");
    assert!(
        matches!(h.app.templates, Some(TemplateScreen::Form(..))),
        "{}",
        h.render()
    );
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn live_remote_run_streams_into_the_run_log() {
    let url = require_live().url;
    let cache = tempfile::tempdir().unwrap();
    let mut h = harness(&url, cache.path());
    open_hello(&mut h);
    h.press("tui-form-live<ctrl-n><ctrl-n>");
    assert!(h.render().contains("r run on Backstage"), "{}", h.render());
    h.press("r");
    wait_for_end(&mut h, 90);
    let screen = h.render();
    let Some(TemplateScreen::Run(run)) = &h.app.templates else {
        panic!("{screen}")
    };
    assert!(run.log.task_id.is_some(), "{screen}");
    match &run.log.finish {
        Some(Finish::Completed { output }) => {
            let text = output.to_string();
            assert!(text.contains("tui-form-live"), "{text}");
        }
        other => panic!("{other:?}\n{screen}"),
    }
    assert!(screen.contains("completed"), "{screen}");
    assert!(!screen.contains('\u{1b}'), "ANSI reached the screen");
    h.press("<esc>");
    assert!(h.app.templates.is_none());
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn live_remote_run_cancels_with_c() {
    let url = require_live().url;
    let cache = tempfile::tempdir().unwrap();
    let mut h = harness(&url, cache.path());
    open_hello(&mut h);
    // Page 2: a long pause, so there is time to cancel.
    h.press("tui-form-cancel<ctrl-n><down><down><ctrl-u>25<ctrl-n>r");
    let deadline = Instant::now() + Duration::from_secs(30);
    // Cancel once the task exists on the server.
    loop {
        h.settle();
        if let Some(TemplateScreen::Run(r)) = &h.app.templates {
            if r.log.task_id.is_some() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "no task:\n{}", h.render());
        std::thread::sleep(Duration::from_millis(50));
    }
    h.press("c");
    wait_for_end(&mut h, 60);
    let screen = h.render();
    let Some(TemplateScreen::Run(run)) = &h.app.templates else {
        panic!("{screen}")
    };
    assert!(run.log.cancelling, "{screen}");
    assert!(
        matches!(run.log.finish, Some(Finish::Failed { .. })),
        "{:?}\n{screen}",
        run.log.finish
    );
}
