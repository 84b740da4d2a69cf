//! The backend's own search beside the fuzzy catalog hits: a TechDocs hit
//! for `tui-web`'s Guide page, with its ref, title, text and location.

use std::time::Instant;

use serde_json::Value;

use crate::backend::require_live;

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn search_shows_techdocs_hits_from_the_backend() {
    let live = require_live();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| live.callboard(dir.path()).args(args).output().unwrap();
    assert!(run(&["sync"]).status.success());
    let started = Instant::now();
    let out = run(&["--json", "search", "guide"]);
    eprintln!(
        "live: `callboard search guide` (fuzzy + backend) took {:?}",
        started.elapsed()
    );
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let hits = v["backend_hits"].as_array().unwrap();
    let guide = hits
        .iter()
        .find(|h| h["type"] == "techdocs" && h["title"] == "Guide")
        .unwrap_or_else(|| panic!("no Guide hit: {v:#}"));
    assert_eq!(guide["ref"], "component:default/tui-web");
    assert_eq!(guide["location"], "/docs/default/component/tui-web/guide/");
    assert_eq!(guide["docs_path"], "guide/");
    assert!(!guide["text"].as_str().unwrap().is_empty());
    // The highlight markers are gone from the text, kept as ranges.
    let marker = regex::Regex::new(r"</?[0-9a-f]{8}-[0-9a-f]{4}-").unwrap();
    for h in hits {
        for field in ["title", "text"] {
            let s = h[field].as_str().unwrap();
            assert!(!marker.is_match(s), "marker left in {s}");
        }
    }
    assert_eq!(guide["title_highlights"][0], serde_json::json!([0, 5]));
    let text = String::from_utf8_lossy(&run(&["search", "guide"]).stdout).into_owned();
    assert!(
        text.contains("TechDocs") && text.contains("/docs/default/component/tui-web/guide/"),
        "{text}"
    );
}
