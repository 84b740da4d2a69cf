//! Live TechDocs against a real Backstage backend (../shared/backstage,
//! which publishes a prebuilt site for component:default/tui-web).

use std::process::{Command, Output};

use crate::backend::{require_live, Live};

fn run(dir: &std::path::Path, url: &str, token: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callboard"))
        .arg("--endpoint")
        .arg(url)
        .args(args)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("HOME", dir)
        .env_remove("CALLBOARD_CONFIG")
        .env_remove("CALLBOARD_CACHE_DIR")
        .env("CALLBOARD_TOKEN", token)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn live_techdocs_site_of_tui_web() {
    let Live { url, token } = require_live();
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &url,
        &token,
        &["--json", "docs", "component:default/tui-web"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["site"]["name"], "TUI Web");
    assert_eq!(
        v["site"]["pages"],
        serde_json::json!(["index.html", "guide/index.html"])
    );
    let text = v["page"]["text"].as_str().unwrap();
    assert!(text.starts_with("# TUI Web\n"), "{text}");
    assert!(text.contains("- Guide (guide/index.html)"), "{text}");

    let out = run(
        dir.path(),
        &url,
        &token,
        &["docs", "component:default/tui-web", "Guide"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "# Guide\n\nSecond page.\n"
    );

    // No site is built for tui-orders.
    let out = run(
        dir.path(),
        &url,
        &token,
        &["docs", "component:default/tui-orders"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("docs not built"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A wrong token: a clear 401, not a crash.
    let out = run(
        dir.path(),
        &url,
        "wrong-token",
        &["--json", "docs", "component:default/tui-web"],
    );
    assert_ne!(out.status.code(), Some(0));
}
