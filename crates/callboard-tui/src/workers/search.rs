//! The search thread: asks each Backstage source's `/api/search/query`
//! for what is typed in the catalog's query line. Typing sends a request
//! a keystroke; the thread waits a moment for the typing to settle and
//! asks only for the newest text.

use std::sync::mpsc;
use std::time::Duration;

use super::WorkerConfig;
use crate::messages::{Msg, UiSender};
use callboard_io::config::SourceKind;

/// How long typing must pause before the backend is asked.
const SETTLE: Duration = Duration::from_millis(150);

pub(super) fn spawn(config: WorkerConfig, ui: UiSender) -> mpsc::Sender<String> {
    let (tx, rx) = mpsc::channel::<String>();
    let remote = config
        .sources
        .iter()
        .any(|s| matches!(s.kind, SourceKind::Remote(_)));
    if remote {
        let _ = std::thread::Builder::new()
            .name("callboard-search".into())
            .spawn(move || run(&config, &rx, &ui));
    }
    tx
}

fn run(config: &WorkerConfig, rx: &mpsc::Receiver<String>, ui: &UiSender) {
    while let Ok(mut query) = rx.recv() {
        // Let the typing settle; only the newest text is asked.
        loop {
            std::thread::sleep(SETTLE);
            match rx.try_iter().last() {
                Some(newer) => query = newer,
                None => break,
            }
        }
        if query.trim().is_empty() {
            continue;
        }
        let answer = super::guard::guarded(|| search(config, &query));
        let (hits, notes) = answer.unwrap_or_else(|e| (Vec::new(), vec![e]));
        if ui.send(Msg::BackendSearch { query, hits, notes }).is_err() {
            return;
        }
    }
}

type Answer = (
    Vec<callboard_core::search::backend::BackendHit>,
    Vec<String>,
);

fn search(config: &WorkerConfig, query: &str) -> Answer {
    let mut hits = Vec::new();
    let mut notes = Vec::new();
    for source in &config.sources {
        if let SourceKind::Remote(endpoint) = &source.kind {
            match config.remotes.search(&source.name, endpoint, query, 50) {
                Ok(h) => hits.extend(h),
                Err(e) if e.is_unreachable() => notes.push(format!(
                    "docs search needs the backend ('{}' is offline)",
                    source.name
                )),
                Err(e) => notes.push(format!("docs search: {e}")),
            }
        }
    }
    (hits, notes)
}
