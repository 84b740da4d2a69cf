//! Remote sources through the real binary: `--endpoint`, several sources in
//! one config, offline answers from the cache, proxies from the
//! environment, `login` without a keyring, and a sync killed with SIGKILL.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Proxy, Server, TOKEN};

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
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("HOME", self.dir.path())
            .env("CALLBOARD_TOKEN", TOKEN)
            .env("CALLBOARD_KEYRING", "none")
            // Debug builds: retry at once instead of waiting out backoffs.
            .env("CALLBOARD_TEST_RETRY_DELAY_MS", "0")
            .env("NO_COLOR", "1")
            .env_remove("CALLBOARD_CONFIG")
            .env_remove("CALLBOARD_CACHE_DIR")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn write_config(&self, text: &str) -> String {
        let path = self.dir.path().join("callboard.yaml");
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Make the (only) snapshot in the cache say it was synced `by` earlier:
    /// time passing, without waiting for it.
    fn backdate_snapshot(&self, by: Duration) {
        let dir = self.path().join("cache/callboard/snapshots");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "sqlite"))
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let db = rusqlite::Connection::open(&files[0]).unwrap();
        let synced: String = db
            .query_row(
                "SELECT value FROM meta WHERE key = 'synced_at_ms'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let backdated = synced.parse::<u64>().unwrap() - by.as_millis() as u64;
        db.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'synced_at_ms'",
            [backdated.to_string()],
        )
        .unwrap();
    }
}

/// A URL where nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn endpoint_flag_works_with_every_command_and_with_source() {
    let server = Server::start();
    let env = Env::new();
    let url = server.url();
    let out = env.run(&["--endpoint", &url, "sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("78 entities (full)"),
        "{}",
        stdout(&out)
    );
    assert!(!stderr(&out).contains(TOKEN));

    let out = env.run(&["--endpoint", &url, "show", "tui-web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("component:default/tui-web"), "{text}");
    assert!(text.contains(&url), "the endpoint is the location: {text}");

    let out = env.run(&[
        "--endpoint",
        &url,
        "--json",
        "search",
        "kind:component",
        "tui",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["matched"].as_u64().unwrap() > 3, "{v}");

    let out = env.run(&["--endpoint", &url, "deps", "tui-web", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // With a local folder too: both answer, the local one first.
    let repo = env.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: tui-web\n  description: my local edit\nspec:\n  type: website\n  lifecycle: production\n  owner: tui-core\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: only-local\nspec:\n  type: service\n  lifecycle: production\n  owner: tui-core\n",
    )
    .unwrap();
    let repo_arg = repo.display().to_string();
    let out = env.run(&[
        "--source",
        &repo_arg,
        "--endpoint",
        &url,
        "show",
        "component:tui-web",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["description"], "my local edit");
    assert_eq!(v["shadowed_in"][0], url.as_str(), "{v}");
    let out = env.run(&[
        "--source",
        &repo_arg,
        "--endpoint",
        &url,
        "show",
        "only-local",
    ]);
    assert!(out.status.success());
    let out = env.run(&["--source", &repo_arg, "--endpoint", &url, "show", "tui-api"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Not a URL.
    let out = env.run(&["--endpoint", "backstage", "show", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn several_sources_in_config_order_and_show_says_which_answered() {
    let a = Server::start();
    let b = Server::start();
    b.state.edit("tui-web", |e| {
        e["metadata"]["description"] = serde_json::json!("from staging")
    });
    let env = Env::new();
    let config = env.write_config(&format!(
        "sources:\n  - name: prod\n    url: {}\n    token: {{env: CALLBOARD_TOKEN}}\n  - name: staging\n    url: {}\n    token: {{env: CALLBOARD_TOKEN}}\n",
        a.url(),
        b.url()
    ));
    let out = env.run(&["--config", &config, "sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("prod: 78 entities") && text.contains("staging: 78 entities"),
        "{text}"
    );

    let out = env.run(&[
        "--config",
        &config,
        "show",
        "component:default/tui-web",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source"], "prod");
    assert_eq!(v["location"], a.url().as_str());
    assert_eq!(v["shadowed_in"], serde_json::json!(["staging"]));
    assert_ne!(v["description"], "from staging");
    let out = env.run(&["--config", &config, "show", "component:default/tui-web"]);
    let text = stdout(&out);
    assert!(text.contains("prod") && text.contains("staging"), "{text}");

    // A second sync is incremental and says so.
    let out = env.run(&["--config", &config, "sync"]);
    assert!(
        stdout(&out).contains("incremental: 0 fetched, 78 unchanged, 0 removed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn offline_commands_answer_from_the_cache_and_say_how_old_it_is() {
    let server = Server::start();
    let env = Env::new();
    let config_for = |url: &str| {
        env.write_config(&format!(
            "sources:\n  - name: prod\n    url: {url}\n    token: {{env: CALLBOARD_TOKEN}}\n    refresh_after_secs: 3600\n    timeout_secs: 2\n"
        ))
    };
    let config = config_for(&server.url());
    assert!(env.run(&["--config", &config, "sync"]).status.success());
    // Two hours on (older than refresh_after_secs), the endpoint is gone.
    env.backdate_snapshot(Duration::from_secs(2 * 3600 + 30));
    let config = config_for(&closed_port_url());

    let started = Instant::now();
    let out = env.run(&["--config", &config, "show", "tui-web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let err = stderr(&out);
    assert!(
        err.contains("offline: answering from the cached snapshot of 'prod', synced 2 h ago"),
        "{err}"
    );
    assert!(err.contains("cannot connect"), "{err}");
    assert!(stdout(&out).starts_with("component:default/tui-web"));

    // `sync` fails (exit 1), says the snapshot is kept, and it is.
    let out = env.run(&["--config", &config, "sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the snapshot from 2 h ago is kept"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["--config", &config, "search", "--json", "-n", "0"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 78);

    // Search offline: the fuzzy hits, and a note that docs search needs
    // the backend.
    let out = env.run(&["--config", &config, "search", "tui-web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("component:tui-web"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("docs search needs the backend"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_fresh_snapshot_answers_without_the_network() {
    let server = Server::start();
    let env = Env::new();
    let url = server.url();
    assert!(env.run(&["--endpoint", &url, "sync"]).status.success());
    server.state.reset_counters();
    let out = env.run(&["--endpoint", &url, "show", "tui-web"]);
    assert!(out.status.success());
    assert_eq!(
        server
            .state
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[test]
fn proxies_come_from_the_environment() {
    let server = Server::start();
    let proxy = Proxy::start(server.addr);
    let env = Env::new();
    // Plain HTTP to another host: the token is not sent unless the source
    // opts in, so nothing reaches the proxy.
    let out = env
        .cmd(&["--endpoint", "http://backstage.invalid", "sync"])
        .env("HTTP_PROXY", format!("http://{}", proxy.addr))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("refusing to send the token over plain HTTP"),
        "{}",
        stderr(&out)
    );
    assert!(proxy.relayed.lock().unwrap().is_empty());
    let config = env.write_config(
        "sources:\n  - name: prod\n    url: http://backstage.invalid\n    token: {env: CALLBOARD_TOKEN}\n    allow_insecure_http: true\n",
    );
    // A host that does not resolve: only the proxy can reach it.
    let out = env
        .cmd(&["--config", &config, "sync"])
        .env("HTTP_PROXY", format!("http://{}", proxy.addr))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("78 entities"), "{}", stdout(&out));
    let relayed = proxy.relayed.lock().unwrap().clone();
    assert!(!relayed.is_empty());
    assert!(
        relayed
            .iter()
            .all(|t| t.starts_with("http://backstage.invalid/api/catalog/")),
        "{relayed:?}"
    );

    // NO_PROXY exempts the host: then it cannot be reached.
    let out = env
        .cmd(&["--config", &config, "sync"])
        .env("HTTP_PROXY", format!("http://{}", proxy.addr))
        .env("NO_PROXY", "backstage.invalid")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn login_without_a_keyring_explains_the_alternatives_and_never_echoes_the_token() {
    let env = Env::new();
    let config = env.write_config("sources:\n  - name: prod\n    url: http://127.0.0.1:9\n");
    let mut child = env
        .cmd(&["--config", &config, "login", "prod", "--token"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"login-secret-token-123\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no OS keyring is available"), "{err}");
    assert!(
        err.contains("token: {env:") && err.contains("token: {command:"),
        "{err}"
    );
    assert!(
        !err.contains("login-secret-token-123") && !stdout(&out).contains("login-secret-token-123")
    );

    // With a keyring source and no keyring, commands say how to fix it.
    let out = env.run(&["--config", &config, "sync"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no OS keyring is available"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn login_checks_the_token_against_the_endpoint() {
    let server = Server::start();
    let env = Env::new();
    let config = env.write_config(&format!(
        "sources:\n  - name: prod\n    url: {}\n",
        server.url()
    ));
    let mut child = env
        .cmd(&["--config", &config, "login", "prod", "--token"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"wrong-token-abcdef\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("401") && err.contains("not stored"), "{err}");
    assert!(!err.contains("wrong-token-abcdef"), "{err}");
}

#[test]
fn a_sync_killed_half_way_keeps_the_previous_snapshot() {
    let server = Server::start();
    let env = Env::new();
    let config = env.write_config(&format!(
        "sources:\n  - name: prod\n    url: {}\n    token: {{env: CALLBOARD_TOKEN}}\n    page_size: 5\n",
        server.url()
    ));
    assert!(env.run(&["--config", &config, "sync"]).status.success());
    let total = |env: &Env| {
        let out = env.run(&["--config", &config, "search", "--json", "-n", "0"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["total"].as_u64().unwrap()
    };
    assert_eq!(total(&env), 78);

    // The catalog changes and the server slows down; kill the full sync
    // after a few pages.
    server.state.remove("tui-web");
    *server.state.delay.lock().unwrap() = Duration::from_millis(150);
    server.state.reset_counters();
    let mut child = env
        .cmd(&["--config", &config, "sync", "--full"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The token is not in the child's arguments.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&cmdline).contains(TOKEN));
    let started = Instant::now();
    while server
        .state
        .requests
        .load(std::sync::atomic::Ordering::SeqCst)
        < 4
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the sync never got going"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    *server.state.delay.lock().unwrap() = Duration::ZERO;
    assert_eq!(total(&env), 78, "the previous snapshot answers");

    // The next sync completes, replaces it and clears the leftovers.
    let out = env.run(&["--config", &config, "sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(total(&env), 77);
    let snapshots = env.path().join("cache/callboard/snapshots");
    let leftovers = std::fs::read_dir(&snapshots)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".sync-"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn login_stores_a_token_that_sync_then_uses_and_logout_removes() {
    // The kernel keyring (keyutils) is the keyring, as on an SSH host.
    // Debug builds let a file store take its place (CALLBOARD_TEST_KEYRING_DIR),
    // so this runs where keyctl is forbidden (containers) too.
    let server = Server::start();
    let env = Env::new();
    let name = format!("callboard-test-{}", std::process::id());
    let config = env.write_config(&format!(
        "sources:\n  - name: {name}\n    url: {}\n",
        server.url()
    ));
    let with_keyutils = |args: &[&str]| {
        let mut cmd = env.cmd(args);
        cmd.env("CALLBOARD_KEYRING", "keyutils")
            .env("CALLBOARD_TEST_KEYRING_DIR", env.path().join("keyring"))
            .env_remove("CALLBOARD_TOKEN");
        cmd
    };
    let mut child = with_keyutils(&["--config", &config, "login", &name, "--token"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{TOKEN}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("accepted the token (78 entities)"), "{err}");
    assert!(err.contains("kernel keyring"), "{err}");
    assert!(!err.contains(TOKEN));

    let out = with_keyutils(&["--config", &config, "sync"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("78 entities"), "{}", stdout(&out));

    let out = with_keyutils(&["--config", &config, "logout", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(env.path().join("keyring"))
            .unwrap()
            .count(),
        0,
        "logout removed the stored token"
    );
    let out = with_keyutils(&["--config", &config, "sync"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("callboard login {name}")),
        "{}",
        stderr(&out)
    );
}
