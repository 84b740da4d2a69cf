//! The health commands over the demo catalog, the example catalogs and
//! temp files: plugin surfaces in `show`, `score`, `hygiene`, `impact`.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_callboard"));
        cmd.args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("HOME", self.dir.path())
            .env_remove("CALLBOARD_CONFIG")
            .env_remove("CALLBOARD_CACHE_DIR")
            .env("NO_COLOR", "1");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn json(&self, args: &[&str]) -> (Option<i32>, Value) {
        let out = self.run(args);
        let value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        (out.status.code(), value)
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn show_turns_annotations_into_surfaces_with_configured_hosts() {
    let env = Env::new();
    let out = env.run(&["show", "payments-service"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        text.contains("GitHub repository  https://github.com/northwind-rail/payments-service"),
        "{text}"
    );
    assert!(
        text.contains("PagerDuty service  PPY8C3V  (set surfaces.pagerduty to link it)"),
        "{text}"
    );
    let config = env.write(
        "config/callboard/config.yaml",
        "surfaces:\n  pagerduty: northwind\n  opsgenie: https://northwind.app.opsgenie.com\n",
    );
    let (code, json) = env.json(&[
        "--config",
        config.to_str().unwrap(),
        "show",
        "payments-service",
        "--json",
    ]);
    assert_eq!(code, Some(0));
    let surfaces = json["surfaces"].as_array().unwrap();
    let url_of = |annotation: &str| {
        surfaces
            .iter()
            .find(|s| s["annotation"] == annotation)
            .and_then(|s| s["url"].as_str())
            .map(str::to_string)
    };
    assert_eq!(
        url_of("pagerduty.com/service-id").as_deref(),
        Some("https://northwind.pagerduty.com/service-directory/PPY8C3V")
    );
    assert_eq!(
        url_of("opsgenie.com/component-selector").as_deref(),
        Some("https://northwind.app.opsgenie.com/alert/list?query=tag%3Apayments-service")
    );
    let bad = env.write("bad.yaml", "surfaces:\n  grafana: ftp://x\n");
    let out = env.run(&[
        "--config",
        bad.to_str().unwrap(),
        "show",
        "payments-service",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
