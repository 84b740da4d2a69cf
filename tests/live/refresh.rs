//! `callboard refresh REF` against the live backend: the refresh is
//! accepted, the source is synced again, and the entity's processing
//! errors (none for `tui-web`) are reported.

use serde_json::Value;

use crate::backend::require_live;

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn refresh_an_entity_on_the_backend() {
    let live = require_live();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| live.callboard(dir.path()).args(args).output().unwrap();
    let out = run(&[
        "--json",
        "refresh",
        "component:default/tui-web",
        "--wait",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entity_ref"], "component:default/tui-web");
    assert_eq!(v["gone"], false);
    assert_eq!(v["errors"], serde_json::json!([]));
    assert!(
        v["synced"].as_str().unwrap().starts_with("78 entities"),
        "{v}"
    );
    // A ref the backend does not have.
    let out = run(&["refresh", "component:default/no-such-thing"]);
    assert_eq!(out.status.code(), Some(1));
}
