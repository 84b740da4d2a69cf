//! `callboard template run --remote` end to end against the live backend:
//! a run, a remote dry-run equal to the local preview, and the server's
//! validation errors.

use std::process::{Command, Output};

use serde_json::Value;

use crate::backend::{require_live, Live};

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn live_remote_run_and_remote_dry_run() {
    let Live { url, token } = require_live();
    let dir = tempfile::tempdir().unwrap();
    let source = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/backstage/catalog/templates/hello-offline/template.yaml"
    );
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_callboard"))
            .args(args)
            .env("CALLBOARD_CACHE_DIR", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("no-config"))
            .env("CALLBOARD_TOKEN", &token)
            .output()
            .unwrap()
    };
    let o = run(&[
        "--json",
        "template",
        "run",
        "hello-offline",
        "--set",
        "name=cli-live",
        "--set",
        "wait=0",
        "--remote",
        &url,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "completed");
    assert_eq!(
        v["output"]["links"][0]["url"],
        "http://127.0.0.1:3000/create/cli-live"
    );
    assert!(
        err(&o).is_empty(),
        "json mode keeps stderr quiet: {}",
        err(&o)
    );

    // Remote dry-run from a local copy of the template equals the local preview.
    let remote = run(&[
        "--source",
        source,
        "template",
        "run",
        "hello-offline",
        "--set",
        "name=cli-dry",
        "--remote",
        &url,
        "--dry-run",
    ]);
    assert_eq!(remote.status.code(), Some(0), "{}", err(&remote));
    let local = run(&[
        "--source",
        source,
        "template",
        "run",
        "hello-offline",
        "--set",
        "name=cli-dry",
        "--dry-run",
    ]);
    assert_eq!(local.status.code(), Some(0), "{}", err(&local));
    let tree = |o: &Output| {
        text(o)
            .lines()
            .filter(|l| l.starts_with(' ') || l.ends_with('/'))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(tree(&remote), tree(&local));
    assert!(text(&remote).contains("README.md"));

    // The server refuses what the form would: exit 2 with the messages.
    let o = run(&[
        "template",
        "run",
        "hello-offline",
        "--set",
        "name=x",
        "--set",
        "lifecycle=weird",
        "--remote",
        &url,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
}
