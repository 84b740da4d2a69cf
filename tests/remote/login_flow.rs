//! `callboard login URL` through the real binary against a loopback fake
//! of the auth backend: the authorize URL on a line of its own, the
//! timeout, Ctrl-C, and a backend without CLI sign-in.
//!
//! A login listens on 127.0.0.1:8055 (the port the backend's client
//! metadata names), so these tests take the same machine-wide lock as the
//! live sign-in tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

fn port_lock() -> std::fs::File {
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
    file
}

/// A backend whose only route is the CLI client metadata (or none).
fn auth_backend(cimd: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let base = url.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or_default();
            let (status, body) = if cimd && path == "/api/auth/.well-known/oauth-client/cli.json" {
                (
                    "200 OK",
                    format!(
                        r#"{{"client_id":"{base}/api/auth/.well-known/oauth-client/cli.json","redirect_uris":["http://127.0.0.1:8055/callback"],"scope":"openid offline_access"}}"#
                    ),
                )
            } else {
                ("404 Not Found", String::new())
            };
            let mut conn = conn;
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn login(url: &str, extra: &[&str], dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_callboard"));
    c.arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(["login", url])
        .args(extra)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("CALLBOARD_KEYRING", "none")
        .env("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
        .env_remove("CALLBOARD_TOKEN")
        .env_remove("CALLBOARD_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

#[test]
fn login_prints_the_authorize_url_and_gives_up_after_the_timeout() {
    let _port = port_lock();
    let url = auth_backend(true);
    let dir = tempfile::tempdir().unwrap();
    // Over SSH: no browser is started, the URL is printed.
    let out = login(&url, &["--timeout", "1"], dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let line = stdout.lines().next().unwrap_or_default();
    assert!(
        line.starts_with(&format!("{url}/api/auth/v1/authorize?")),
        "{stdout}"
    );
    assert!(
        line.contains("code_challenge_method=S256") && line.contains("state="),
        "{line}"
    );
    assert!(stderr.contains("paste it here"), "{stderr}");
    assert!(
        stderr.contains("timed out after 1 s") && stderr.contains("nothing was stored"),
        "{stderr}"
    );
    assert!(!dir.path().join("data/callboard/signins").exists());
}

#[test]
fn ctrl_c_cancels_a_login() {
    let _port = port_lock();
    let url = auth_backend(true);
    let dir = tempfile::tempdir().unwrap();
    let mut child = login(&url, &["--timeout", "60"], dir.path())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("/api/auth/v1/authorize?"), "{line}");
    // A pasted line that is not the callback is answered, and waited past.
    writeln!(child.stdin.as_mut().unwrap(), "hello").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: a signal to the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("that is not the callback address"), "{err}");
    assert!(err.contains("login cancelled"), "{err}");
}

#[test]
fn a_backend_without_cli_sign_in_says_so() {
    let url = auth_backend(false);
    let dir = tempfile::tempdir().unwrap();
    let out = login(&url, &[], dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Client ID Metadata Documents are not enabled on this backend"),
        "{stderr}"
    );
    assert!(stderr.contains("--token"), "{stderr}");
}
