//! Signing in as a user against the live backend, the test playing the
//! browser: authorize → the session id from the redirect → approve with a
//! guest user's token (`/api/auth/guest/refresh`) → the redirect to
//! callboard's loopback callback (or pasted on its stdin). Then what the
//! user sees (bob: 76 entities, not `resource:default/tui-db`), refreshing
//! after expiry (two processes at once), `auth status`, `logout`, and
//! backstage-cli's file layout reused and refreshed.
//!
//! The backend's client metadata fixes the callback port (8055), and the
//! backend keeps one refresh session per user and client (a new sign-in as
//! bob ends the previous one), so each test here holds a file lock from its
//! login to its end: one at a time, across test binaries and checkouts on
//! the machine.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backend::{require_live, Live};

/// Hold the machine-wide lock on the callback port while alive.
struct PortLock(#[allow(dead_code)] std::fs::File);

fn port_lock() -> PortLock {
    use std::os::fd::AsRawFd;
    let path = std::env::temp_dir().join("callboard-live-login-8055.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap();
    // SAFETY: flock on a descriptor this function owns.
    while unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {}
    PortLock(file)
}

/// A minimal HTTP/1.1 client (the tests must see redirects, not follow them).
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn http(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut conn = TcpStream::connect(authority).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or_default());
    conn.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Play the browser: open the authorize URL, approve as the guest user,
/// return the URL the backend redirects to (callboard's callback).
fn approve(base: &str, authorize_url: &str) -> String {
    let r = http("GET", authorize_url, &[], None);
    assert_eq!(r.status, 302, "authorize: {} {}", r.status, r.body);
    let location = r
        .header("location")
        .expect("a redirect to the consent page");
    let session = location.rsplit('/').next().unwrap();
    let guest = http(
        "GET",
        &format!("{base}/api/auth/guest/refresh"),
        &[("X-Requested-With", "XMLHttpRequest")],
        None,
    )
    .json();
    let user_token = guest["backstageIdentity"]["token"].as_str().unwrap();
    let auth = format!("Bearer {user_token}");
    let r = http(
        "POST",
        &format!("{base}/api/auth/v1/sessions/{session}/approve"),
        &[("Authorization", &auth)],
        Some("{}"),
    );
    assert_eq!(r.status, 200, "approve: {}", r.body);
    r.json()["redirectUrl"].as_str().unwrap().to_string()
}

/// One user's machine: HOME, XDG dirs, callboard's data dir, no keyring.
struct Machine {
    dir: tempfile::TempDir,
    url: String,
}

impl Machine {
    fn new(url: &str) -> Machine {
        Machine {
            dir: tempfile::tempdir().unwrap(),
            url: url.trim_end_matches('/').to_string(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_callboard"));
        let d = self.path();
        c.arg("--cache-dir")
            .arg(d.join("cache"))
            .args(args)
            .env("HOME", d)
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_CACHE_HOME", d.join("xdg-cache"))
            .env("CALLBOARD_KEYRING", "none")
            .env("NO_COLOR", "1")
            .env_remove("CALLBOARD_TOKEN")
            .env_remove("CALLBOARD_CONFIG")
            .env_remove("CALLBOARD_CACHE_DIR")
            .env_remove("CALLBOARD_DATA_DIR")
            .env_remove("SSH_CONNECTION")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn endpoint(&self, args: &[&str]) -> Output {
        let mut all = vec!["--endpoint", self.url.as_str()];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// callboard's sign-in file for the URL.
    fn signin_file(&self) -> PathBuf {
        let name: String = self
            .url
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        self.path()
            .join("data/callboard/signins")
            .join(format!("{name}.json"))
    }

    fn signin(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.signin_file()).unwrap()).unwrap()
    }

    /// `callboard login URL --no-browser`, the test playing the browser:
    /// the code comes back to the loopback callback, or (`paste`) the
    /// redirect URL is typed on callboard's stdin. Returns the output and
    /// how long the login took.
    fn login(&self, paste: bool) -> (Output, Duration) {
        let started = Instant::now();
        let mut child = self
            .cmd(&["login", &self.url, "--no-browser", "--timeout", "60"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let authorize = loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "login printed no authorize URL: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            if line.contains("/api/auth/v1/authorize?") {
                break line.trim().to_string();
            }
        };
        assert!(authorize.starts_with(&self.url), "{authorize}");
        let redirect = approve(&self.url, &authorize);
        assert!(
            redirect.starts_with("http://127.0.0.1:8055/callback?code="),
            "{redirect}"
        );
        let mut stdin = child.stdin.take().unwrap();
        if paste {
            writeln!(stdin, "{redirect}").unwrap();
        } else {
            let page = http("GET", &redirect, &[], None);
            assert_eq!(page.status, 200, "{}", page.body);
            assert!(page.body.contains("go back to the terminal"));
        }
        let mut out = child.wait_with_output().unwrap();
        drop(stdin);
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        out.stdout = rest.into_bytes();
        (out, started.elapsed())
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn refresh_status(base: &str, refresh_token: &str) -> u16 {
    let body = serde_json::json!({"grant_type": "refresh_token", "refresh_token": refresh_token})
        .to_string();
    http(
        "POST",
        &format!("{base}/api/auth/v1/token"),
        &[],
        Some(&body),
    )
    .status
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn login_in_a_browser_then_bob_sees_his_catalog_refreshes_and_logs_out() {
    let Live { url, token } = require_live();
    let _bob = port_lock();
    let m = Machine::new(&url);
    let (out, took) = m.login(false);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    eprintln!("live: login through the loopback callback took {took:?}");
    assert!(err.contains("as user:default/bob"), "{err}");
    assert!(err.contains("notice: no OS keyring service here"), "{err}");
    let file = m.signin_file();
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let first = m.signin();
    // Nothing secret anywhere else: not in the output, not in the cache.
    let access = first["access_token"].as_str().unwrap().to_string();
    let refresh = first["refresh_token"].as_str().unwrap().to_string();
    assert!(!err.contains(&access) && !err.contains(&refresh));

    // The static token is a service: all 78, tui-db among them.
    let out = m
        .cmd(&["--endpoint", &url, "sync"])
        .env("CALLBOARD_TOKEN", &token)
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("78 entities"),
        "{}",
        text(&out.stdout)
    );

    // Bob reads 76 entities; tui-db is not his to see, even though the
    // same cache held the service's snapshot a moment ago.
    let out = m.endpoint(&["show", "resource:default/tui-db"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let out = m.endpoint(&["sync"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("76 entities"),
        "{}",
        text(&out.stdout)
    );
    let out = m.endpoint(&["show", "resource:default/tui-db"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let out = m.endpoint(&["show", "component:default/tui-web"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("resource:default/tui-db  (not visible to you)"),
        "{}",
        text(&out.stdout)
    );
    for entry in walk(&m.path().join("cache")) {
        let bytes = std::fs::read(&entry).unwrap();
        let s = String::from_utf8_lossy(&bytes);
        assert!(!s.contains(&access) && !s.contains(&refresh), "{entry:?}");
    }

    let out = m.endpoint(&["auth", "status"]);
    let status = text(&out.stdout);
    assert!(
        status.contains("file: signed in as user:default/bob"),
        "{status}"
    );

    // Expired: two processes refresh at once; neither logs the other out.
    let mut expired = first.clone();
    expired["expires_at_ms"] = Value::from(1);
    std::fs::write(&file, expired.to_string()).unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            m.cmd(&["--endpoint", &url, "sync", "--full"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("76 entities"));
    }
    let second = m.signin();
    assert_ne!(second["refresh_token"], first["refresh_token"], "rotated");
    assert!(second["expires_at_ms"].as_u64().unwrap() > 1);
    // The first refresh token was used up by the rotation.
    assert_eq!(refresh_status(&url, &refresh), 400);
    let out = m.endpoint(&["sync"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Logout revokes the refresh token and deletes the sign-in.
    let current = m.signin()["refresh_token"].as_str().unwrap().to_string();
    let out = m.run(&["logout", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("revoked"),
        "{}",
        text(&out.stderr)
    );
    assert!(!file.exists());
    assert_eq!(refresh_status(&url, &current), 400, "revoked on the server");
    let out = m.endpoint(&["sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn login_by_pasting_the_redirect_then_backstage_clis_sign_in_is_reused() {
    let Live { url, .. } = require_live();
    let _bob = port_lock();
    let m = Machine::new(&url);
    let (out, took) = m.login(true);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("paste it here"), "{err}");
    assert!(err.contains("as user:default/bob"), "{err}");
    eprintln!("live: login by pasting the redirect took {took:?}");
    let tokens = m.signin();

    // Another machine where only backstage-cli signed in (its file store).
    let cli = Machine::new(&url);
    let instance = url
        .trim_end_matches('/')
        .split("://")
        .nth(1)
        .unwrap()
        .to_string();
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let yaml_path = cli.path().join("config/backstage-cli/auth-instances.yaml");
    std::fs::create_dir_all(yaml_path.parent().unwrap()).unwrap();
    std::fs::write(
        &yaml_path,
        format!(
            "instances:\n  - name: {instance}\n    baseUrl: {url}\n    clientId: {url}/api/auth/.well-known/oauth-client/cli.json\n    issuedAt: 1\n    accessTokenExpiresAt: 1\n    selected: true\n"
        ),
    )
    .unwrap();
    let secrets = cli
        .path()
        .join("data/backstage-cli/auth-secrets")
        .join(enc(&format!("backstage-cli:auth-instance:{instance}")));
    std::fs::create_dir_all(&secrets).unwrap();
    let access_file = secrets.join("accessToken.secret");
    let refresh_file = secrets.join("refreshToken.secret");
    std::fs::write(&access_file, tokens["access_token"].as_str().unwrap()).unwrap();
    std::fs::write(&refresh_file, tokens["refresh_token"].as_str().unwrap()).unwrap();

    let out = cli.endpoint(&["sync"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("76 entities"),
        "{}",
        text(&out.stdout)
    );
    // Expired there, so refreshed, and written back where it came from.
    let new_refresh = std::fs::read_to_string(&refresh_file).unwrap();
    assert_ne!(new_refresh, tokens["refresh_token"].as_str().unwrap());
    assert_ne!(
        std::fs::read_to_string(&access_file).unwrap(),
        tokens["access_token"].as_str().unwrap()
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&refresh_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let yaml = std::fs::read_to_string(&yaml_path).unwrap();
    assert!(!yaml.contains("accessTokenExpiresAt: 1\n"), "{yaml}");
    assert_eq!(
        refresh_status(&url, &new_refresh),
        200,
        "the written-back token works"
    );
    // (That refresh rotated it again; callboard's next use must not need it.)
    assert!(
        !cli.signin_file().exists(),
        "nothing copied into callboard's store"
    );
    let out = cli.endpoint(&["auth", "status"]);
    assert!(
        text(&out.stdout).contains("backstage-cli: signed in as user:default/bob"),
        "{}",
        text(&out.stdout)
    );
}

/// A private Secret Service: a session `dbus-daemon` and a
/// `gnome-keyring-daemon` (secrets only, its login keyring unlocked) in a
/// temporary folder; both stopped on drop.
struct PrivateSecretService {
    /// The daemon's home (its keyring files); removed on drop.
    _dir: tempfile::TempDir,
    address: String,
    children: Vec<std::process::Child>,
}

impl PrivateSecretService {
    fn start() -> PrivateSecretService {
        for tool in ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(
                found,
                "needs {tool} (apt-get install dbus-daemon gnome-keyring libsecret-tools; .ci/run does)"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        // A bus without service directories: with the stock session config,
        // the first probe below can D-Bus-activate the system's own
        // gnome-keyring (another HOME, no unlocked login keyring) before ours
        // claims the name, and ours then exits ("another secret service is
        // running").
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                "<busconfig><type>session</type><listen>unix:dir={}</listen>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>",
                dir.path().display()
            ),
        )
        .unwrap();
        let mut dbus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut address = String::new();
        BufReader::new(dbus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--components=secrets", "--unlock"])
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The login keyring's password, then EOF.
        keyring
            .stdin
            .take()
            .unwrap()
            .write_all(b"callboard-test")
            .unwrap();
        let s = PrivateSecretService {
            _dir: dir,
            address,
            children: vec![keyring, dbus],
        };
        // Ready when an item can be stored.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !s.store("callboard-probe", "probe", "x") {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon never answered"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        s
    }

    fn secret_tool(&self, args: &[&str]) -> Command {
        let mut c = Command::new("secret-tool");
        c.args(args).env("DBUS_SESSION_BUS_ADDRESS", &self.address);
        c
    }

    /// Store as keytar's `setPassword(service, account, secret)` does:
    /// libsecret, schema `org.freedesktop.Secret.Generic`, attributes
    /// `service` and `account` (secret-tool's own schema is that one).
    fn store(&self, service: &str, account: &str, secret: &str) -> bool {
        let Ok(mut child) = self
            .secret_tool(&[
                "store",
                "--label",
                &format!("{service}/{account}"),
                "service",
                service,
                "account",
                account,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            return false;
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(secret.as_bytes())
            .unwrap();
        child.wait().is_ok_and(|s| s.success())
    }

    /// keytar's `getPassword(service, account)`.
    fn lookup(&self, service: &str, account: &str) -> String {
        text(
            &self
                .secret_tool(&["lookup", "service", service, "account", account])
                .output()
                .unwrap()
                .stdout,
        )
    }

    /// Every item with attribute `service` = `service`, in secret-tool's words.
    fn search(&self, service: &str) -> String {
        let out = self
            .secret_tool(&["search", "--all", "service", service])
            .output()
            .unwrap();
        text(&out.stdout) + &text(&out.stderr)
    }
}

impl Drop for PrivateSecretService {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN) and dbus-daemon, gnome-keyring-daemon, secret-tool"]
fn backstage_clis_sign_in_in_the_secret_service_is_reused_and_refreshed_in_place() {
    let Live { url, .. } = require_live();
    let ss = PrivateSecretService::start();
    let _bob = port_lock();
    let m = Machine::new(&url);
    let (out, _) = m.login(true);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tokens = m.signin();
    let (access, refresh) = (
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
    );

    // Another machine where backstage-cli signed in with keytar: its
    // instances file, and the tokens only in the Secret Service.
    let cli = Machine::new(&url);
    let instance = url.trim_end_matches('/').split("://").nth(1).unwrap();
    let service = format!("backstage-cli:auth-instance:{instance}");
    let yaml_path = cli.path().join("config/backstage-cli/auth-instances.yaml");
    std::fs::create_dir_all(yaml_path.parent().unwrap()).unwrap();
    std::fs::write(
        &yaml_path,
        format!(
            "instances:\n  - name: {instance}\n    baseUrl: {url}\n    clientId: {url}/api/auth/.well-known/oauth-client/cli.json\n    issuedAt: 1\n    accessTokenExpiresAt: 1\n    selected: true\n"
        ),
    )
    .unwrap();
    assert!(ss.store(&service, "accessToken", access));
    assert!(ss.store(&service, "refreshToken", refresh));

    let in_ss = |args: &[&str]| {
        cli.cmd(args)
            .env("CALLBOARD_KEYRING", "secret-service")
            .env("DBUS_SESSION_BUS_ADDRESS", &ss.address)
            .output()
            .unwrap()
    };
    let out = in_ss(&["--endpoint", &url, "sync"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("76 entities"),
        "{}",
        text(&out.stdout)
    );
    // Expired there, so refreshed, and written back into keytar's items.
    let (new_access, new_refresh) = (
        ss.lookup(&service, "accessToken"),
        ss.lookup(&service, "refreshToken"),
    );
    assert!(!new_access.is_empty() && new_access != access);
    assert!(!new_refresh.is_empty() && new_refresh != refresh);
    let items = ss.search(&service);
    assert_eq!(
        items.matches("attribute.account = ").count(),
        2,
        "updated in place, nothing added: {}",
        items.replace(&new_access, "…").replace(&new_refresh, "…")
    );
    assert!(
        !cli.path().join("data/backstage-cli").exists(),
        "no secret files written"
    );
    assert!(
        ss.search("callboard-signin").trim().is_empty(),
        "nothing copied into callboard's keyring entry"
    );
    let yaml = std::fs::read_to_string(&yaml_path).unwrap();
    assert!(!yaml.contains("accessTokenExpiresAt: 1\n"), "{yaml}");
    let out = in_ss(&["--endpoint", &url, "auth", "status"]);
    assert!(
        text(&out.stdout).contains("backstage-cli: signed in as user:default/bob"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        refresh_status(&url, &new_refresh),
        200,
        "the written-back refresh token works"
    );
}
