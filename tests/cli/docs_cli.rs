//! `callboard docs`: the demo catalog's docs, Backstage's example
//! documented component, the recorded TechDocs backend (a loopback fake
//! serving the recorded answers), and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_callboard"))
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("HOME", self.dir.path())
            .env_remove("CALLBOARD_CONFIG")
            .env_remove("CALLBOARD_CACHE_DIR")
            .env("CALLBOARD_TOKEN", crate::support::TOKEN)
            .env("NO_COLOR", "1")
            // Debug builds: retry at once instead of waiting out backoffs.
            .env("CALLBOARD_TEST_RETRY_DELAY_MS", "0")
            .output()
            .unwrap()
    }

    fn write(&self, rel: &str, text: &[u8]) -> PathBuf {
        let p = self.dir.path().join("repo").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn repo(&self) -> String {
        self.dir.path().join("repo").display().to_string()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn examples() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/backstage-examples"
    ))
    .join("techdocs-documented-component")
}

#[test]
fn demo_docs_render_as_plain_text_when_piped() {
    let env = Env::new();
    let out = env.run(&["docs", "component:booking-api", "--width", "80"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("# Booking API\n"), "{text}");
    assert!(!text.contains('\x1b'), "no styling in a pipe");
    assert!(
        text.contains("│ fix a production problem    │ Runbook (runbook.md)"),
        "{text}"
    );
    assert!(text.lines().all(|l| unicode_width(l) <= 80), "{text}");
    // A page by nav title, by path, by path without .md.
    for page in ["Deploying", "guides/deploy.md", "guides/deploy"] {
        let out = env.run(&["docs", "component:booking-api", page]);
        assert!(
            stdout(&out).starts_with("# Deploying booking-api"),
            "{page}"
        );
    }
    let raw = env.run(&["docs", "component:booking-api", "runbook", "--raw"]);
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/services/booking-api/docs/runbook.md"
    ))
    .unwrap();
    assert_eq!(stdout(&raw), file);
}

#[test]
fn code_blocks_are_printed_whole_whatever_the_width() {
    let env = Env::new();
    let runbook = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/services/booking-api/docs/runbook.md"
    ))
    .unwrap();
    let psql = runbook
        .lines()
        .find(|l| l.starts_with("psql \"host="))
        .unwrap();
    assert!(psql.len() > 60);
    let arch = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/services/booking-api/docs/architecture.md"
    ))
    .unwrap();
    let diagram: Vec<&str> = arch
        .split("```text\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap()
        .lines()
        .collect();
    for width in ["60", "80", "120"] {
        let out = env.run(&["docs", "component:booking-api", "runbook", "--width", width]);
        let text = stdout(&out);
        assert!(text.lines().any(|l| l == psql), "{width}: {text}");
        let out = env.run(&[
            "docs",
            "component:booking-api",
            "architecture",
            "--width",
            width,
        ]);
        let text = stdout(&out);
        // The diagram's lines, one after another, as written.
        let joined = diagram.join("\n");
        assert!(text.contains(&joined), "{width}: {text}");
        // Prose is still wrapped to the width.
        let prose_too_wide = text
            .lines()
            .filter(|l| unicode_width(l) > width.parse::<usize>().unwrap())
            .filter(|l| !diagram.contains(l))
            .count();
        assert_eq!(prose_too_wide, 0, "{width}: {text}");
    }
}

fn unicode_width(s: &str) -> usize {
    s.chars().count()
}

#[test]
fn techdocs_entity_shows_the_other_entitys_docs_and_json_has_nav_and_outline() {
    let env = Env::new();
    let out = env.run(&["--json", "docs", "ticket-issuer", "runbook"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entity"], "component:default/ticket-issuer");
    assert_eq!(v["docs_of"], "component:default/booking-api");
    assert_eq!(v["site"]["name"], "Booking API");
    let nav: Vec<(u64, &str)> = v["site"]["nav"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["depth"].as_u64().unwrap(), n["title"].as_str().unwrap()))
        .collect();
    assert_eq!(
        nav,
        [
            (0, "Home"),
            (0, "Architecture"),
            (0, "Operations"),
            (1, "Runbook"),
            (1, "Guides"),
            (2, "Deploying")
        ]
    );
    assert_eq!(v["page"]["path"], "runbook.md");
    assert!(v["page"]["outline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["anchor"] == "3-kafka-outbox-lag"));
    assert!(v["page"]["text"]
        .as_str()
        .unwrap()
        .contains("## Escalation"));
}

#[test]
fn show_lists_the_docs_runbook_with_the_runbooks() {
    let env = Env::new();
    let out = env.run(&["show", "component:booking-api"]);
    let text = stdout(&out);
    let docs = text
        .find("RUNBOOK     docs runbook.md  (Runbook)")
        .expect(&text);
    assert!(docs < text.find("OWNER").unwrap(), "{text}");
    let out = env.run(&["--json", "show", "component:booking-api"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["docs_runbook"]["page"], "runbook.md");
}

#[test]
fn backstage_example_component_nav_images_and_code() {
    let env = Env::new();
    let src = examples().display().to_string();
    let out = env.run(&["--source", &src, "--json", "docs", "documented-component"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["site"]["name"], "Example Documentation");
    assert_eq!(
        v["site"]["pages"],
        serde_json::json!([
            "index.md",
            "sub-page.md",
            "code/code-sample.md",
            "extensions.md"
        ])
    );
    let text = v["page"]["text"].as_str().unwrap();
    assert!(text.contains("[img] Backstage Logo"), "{text}");
    assert!(v["page"]["links"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("sub-page.md")));
    let out = env.run(&[
        "--source",
        &src,
        "docs",
        "documented-component",
        "Code Sample",
    ]);
    assert!(
        stdout(&out).contains("```typescript\nconst serviceEntityPage = ("),
        "{}",
        stdout(&out)
    );
}

#[test]
fn remote_docs_from_the_techdocs_backend_then_offline_from_the_cache() {
    let server = crate::support::Server::start();
    let env = Env::new();
    let url = server.url();
    let out = env.run(&["--endpoint", &url, "docs", "component:default/tui-web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("# TUI Web\n"), "{text}");
    assert!(
        text.contains("Prebuilt TechDocs page for the TUI test harness."),
        "{text}"
    );
    assert!(text.contains("- Guide (guide/index.html)"), "{text}");
    let out = env.run(&[
        "--endpoint",
        &url,
        "docs",
        "component:default/tui-web",
        "guide",
    ]);
    assert_eq!(stdout(&out), "# Guide\n\nSecond page.\n");

    // No site built for tui-orders: the backend's 404 says so.
    let out = env.run(&["--endpoint", &url, "docs", "component:default/tui-orders"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("docs not built"), "{}", stderr(&out));

    // The backend goes away: the cached pages answer, saying so.
    drop(server);
    let out = env.run(&[
        "--endpoint",
        &url,
        "docs",
        "component:default/tui-web",
        "guide",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "# Guide\n\nSecond page.\n");
    assert!(stderr(&out).contains("offline"), "{}", stderr(&out));
}

#[test]
fn a_remote_docs_page_over_its_cap_is_not_downloaded_nor_cached() {
    let server = crate::support::Server::start();
    let env = Env::new();
    let url = server.url();
    // The guide page grows to 5 MiB of HTML: over the default 4 MiB cap.
    let mut big = String::from("<html><body><article><h1>Guide</h1>");
    while big.len() < 5 << 20 {
        big.push_str("<p>lorem ipsum dolor sit amet</p>\n");
    }
    big.push_str("</article></body></html>");
    server.state.fault(
        "/static/docs/default/component/tui-web/guide",
        crate::support::Fault::Status {
            status: 200,
            headers: Vec::new(),
            body: big,
        },
    );
    let args = [
        "--endpoint",
        &url,
        "docs",
        "component:default/tui-web",
        "guide",
    ];
    let out = env.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("page over 4 MiB") && err.contains("not downloaded"),
        "{err}"
    );
    assert!(err.contains("max_docs_page_mb"), "{err}");
    assert!(stdout(&out).is_empty());
    // Nothing was cached for it: offline, the page is not there.
    drop(server);
    let out = env.run(&args);
    assert_ne!(out.status.code(), Some(0));
    assert!(!stdout(&out).contains("lorem ipsum"));
}

const DESCRIPTOR: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bad-docs\n  annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";

#[test]
fn bad_docs_fail_clearly_and_hostile_pages_stay_inert() {
    let env = Env::new();
    env.write("catalog-info.yaml", DESCRIPTOR.as_bytes());
    env.write("mkdocs.yml", b"site_name: Bad\nnav: [\n");
    let repo = env.repo();
    let out = env.run(&["--source", &repo, "docs", "bad-docs"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("mkdocs.yml:") && stderr(&out).contains("not valid YAML"),
        "{}",
        stderr(&out)
    );

    env.write(
        "mkdocs.yml",
        b"site_name: Bad\nnav:\n  - Home: index.md\n  - Gone: gone.md\n  - Out: ../../../etc/passwd\n  - Big: big.md\n",
    );
    env.write(
        "docs/index.md",
        b"# Home \x1b]0;pwned\x07\x1b[2J\n\n<script>alert(1)</script>\n\n[escape](../../catalog-info.yaml)\n\x9b31m\n",
    );
    let mut big = b"# Big\n\n".to_vec();
    while big.len() < 5_000_000 {
        big.extend_from_slice(b"A long line of text in a very big page.\n");
    }
    env.write("docs/big.md", &big);
    let out = env.run(&["--source", &repo, "docs", "bad-docs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains('\x1b') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(
        text.contains("<script>alert(1)</script>"),
        "raw HTML shown inert: {text}"
    );
    let err = stderr(&out);
    assert!(err.contains("'Gone' names gone.md"), "{err}");
    assert!(err.contains("leaves the docs folder"), "{err}");

    let out = env.run(&["--source", &repo, "docs", "bad-docs", "Big"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("big.md is 5.0 MB; callboard shows the first 2 MiB"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.len() < 3 << 20);

    let out = env.run(&[
        "--source",
        &repo,
        "docs",
        "bad-docs",
        "../../catalog-info.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no page"), "{}", stderr(&out));
}
