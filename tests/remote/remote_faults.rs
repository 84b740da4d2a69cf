//! Faults of a remote source, each injected by a loopback fake of the
//! Backstage catalog API (tests/support): what callboard does, what it says,
//! and that it never loses the last good snapshot or leaks the token.
//!
//! Retry waits pass on a manual clock (no test sleeps for them); only the
//! socket timeouts take real time.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{Fault, Server, TOKEN};
use callboard_io::cache::Cache;
use callboard_io::clock::{Clock, ManualClock};
use callboard_io::config::{Endpoint, Source, SourceKind, TokenSource};
use callboard_io::remotes::Remotes;
use callboard_io::source::backstage::{ErrorKind, RemoteError, RetryPolicy};
use callboard_io::sync::{open_remote, sync_source_with, SyncOptions};

const SECRET: &str = "s3cret-wrong-token-value-777";

fn endpoint(url: &str, token: &str) -> Endpoint {
    Endpoint {
        page_size: 20,
        timeout: Duration::from_secs(1),
        token: crate::support::token_command(token),
        ..Endpoint::from_url(url)
    }
}

struct Case {
    _tmp: tempfile::TempDir,
    cache: Cache,
    clock: Clock,
    time: Arc<ManualClock>,
}

impl Case {
    fn new() -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::new(tmp.path());
        let (clock, time) = Clock::manual();
        Case {
            _tmp: tmp,
            cache,
            clock,
            time,
        }
    }

    fn options(&self) -> SyncOptions {
        SyncOptions {
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(50),
                max_delay: Duration::from_millis(200),
                max_retry_after: Duration::from_secs(5),
            },
            clock: self.clock.clone(),
            ..Default::default()
        }
    }

    /// The retry waits so far (on the manual clock).
    fn sleeps(&self) -> Vec<Duration> {
        self.time.sleeps()
    }

    fn sync(&self, ep: Endpoint) -> Result<callboard_io::sync::SyncReport, (RemoteError, String)> {
        let source = Source {
            name: "prod".into(),
            kind: SourceKind::Remote(ep),
        };
        sync_source_with(&self.cache, &source, None, &self.options()).map_err(|e| {
            let text = format!("{e:#}");
            let remote = e
                .downcast_ref::<RemoteError>()
                .unwrap_or_else(|| panic!("not a RemoteError: {text}"))
                .clone();
            (remote, text)
        })
    }

    fn count(&self) -> Option<usize> {
        self.cache
            .open_snapshot("prod")
            .unwrap()
            .map(|s| s.info.entity_count)
    }
}

fn status(status: u16, headers: &[(&str, &str)], body: &str) -> Fault {
    Fault::Status {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.to_string(),
    }
}

#[test]
fn a_refused_token_names_the_endpoint_and_the_fix_and_is_never_repeated() {
    let server = Server::start();
    server
        .state
        .echo_auth
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let case = Case::new();
    let (err, text) = case.sync(endpoint(&server.url(), SECRET)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    assert!(text.contains("endpoint 'prod'"), "{text}");
    assert!(text.contains(&server.url()), "{text}");
    assert!(text.contains("401") && text.contains("refused"), "{text}");
    assert!(text.contains("make `cat"), "says how to fix: {text}");
    // The server echoed the header back; the message must not carry it.
    assert!(!text.contains(SECRET), "token leaked: {text}");
    assert!(text.contains("[redacted]"), "{text}");
    // Not retried: a wrong token stays wrong.
    assert_eq!(
        server
            .state
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );

    // A keyring-sourced token says to log in again.
    let ep = Endpoint {
        token: TokenSource::Env {
            var: "CALLBOARD_TEST_NO_SUCH_VAR".into(),
            required: false,
        },
        ..endpoint(&server.url(), "")
    };
    let (err, text) = case.sync(ep).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    assert!(
        text.contains("no token was sent") && text.contains("CALLBOARD_TEST_NO_SUCH_VAR"),
        "{text}"
    );
}

#[test]
fn forbidden_says_the_token_lacks_access() {
    let server = Server::start();
    server.state.fault(
        "/by-query",
        status(
            403,
            &[],
            r#"{"error":{"name":"NotAllowedError","message":"Unauthorized"},"response":{"statusCode":403}}"#,
        ),
    );
    let case = Case::new();
    let (err, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert!(
        text.contains("403")
            && text.contains("NotAllowedError")
            && text.contains("catalog read access"),
        "{text}"
    );
}

#[test]
fn a_wrong_base_url_is_called_that() {
    let server = Server::start();
    let case = Case::new();
    // The real backend answers 404 with an empty body off its routes.
    let (err, text) = case
        .sync(endpoint(&format!("{}/backstage", server.url()), TOKEN))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::WrongUrl);
    assert!(text.contains("404") && text.contains("base URL"), "{text}");
    // The frontend (an HTML page) instead of the backend.
    server.state.fault("/by-query", Fault::Html);
    let (err, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::WrongUrl);
    assert!(text.contains("HTML") && text.contains("frontend"), "{text}");
}

#[test]
fn too_many_requests_waits_for_retry_after_within_bounds() {
    let server = Server::start();
    server
        .state
        .fault("/by-query", status(429, &[("Retry-After", "1")], ""));
    let case = Case::new();
    let report = case.sync(endpoint(&server.url(), TOKEN)).unwrap();
    assert_eq!(
        case.sleeps(),
        [Duration::from_secs(1)],
        "what Retry-After asked"
    );
    assert_eq!(report.snapshot.entity_count, 78);

    // A server asking for longer than callboard waits fails at once.
    server
        .state
        .fault("/by-query", status(429, &[("Retry-After", "3600")], ""));
    let (err, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert_eq!(case.sleeps(), [Duration::from_secs(1)], "no wait at all");
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert!(
        text.contains("3600 s") && text.contains("try again later"),
        "{text}"
    );
    assert!(
        text.contains("snapshot from"),
        "the previous snapshot is kept: {text}"
    );
    assert_eq!(case.count(), Some(78));
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    let server = Server::start();
    server.state.fault("/by-query", status(503, &[], ""));
    server
        .state
        .fault("/by-query", status(502, &[], "<html>bad gateway</html>"));
    let case = Case::new();
    let report = case.sync(endpoint(&server.url(), TOKEN)).unwrap();
    assert_eq!(report.snapshot.entity_count, 78);
    // Two failures then the four pages.
    assert_eq!(report.remote.unwrap().requests, 6);
    // Backoffs of 50 ms doubling, each jittered to 50-100 %.
    let within =
        |wait: Duration, full_ms: u64| (full_ms / 2..=full_ms).contains(&(wait.as_millis() as u64));
    let waits = case.sleeps();
    assert!(
        waits.len() == 2 && within(waits[0], 50) && within(waits[1], 100),
        "{waits:?}"
    );

    for _ in 0..5 {
        server.state.fault(
            "/by-query",
            status(
                500,
                &[],
                r#"{"error":{"name":"Error","message":"database is locked"}}"#,
            ),
        );
    }
    server.state.reset_counters();
    let (err, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert!(
        text.contains("500") && text.contains("database is locked"),
        "{text}"
    );
    assert!(text.contains("gave up after 3 attempts"), "{text}");
    assert_eq!(
        server
            .state
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    let waits = case.sleeps();
    assert!(
        waits.len() == 4 && within(waits[2], 50) && within(waits[3], 100),
        "{waits:?}"
    );
    assert!(err.is_unreachable());
    assert_eq!(case.count(), Some(78), "a failed sync keeps the snapshot");
}

#[test]
fn a_stale_snapshot_is_refreshed_or_answers_offline_saying_how_old_it_is() {
    let server = Server::start();
    let case = Case::new();
    let ep = Endpoint {
        refresh_after: Some(Duration::from_secs(3600)),
        ..endpoint(&server.url(), TOKEN)
    };
    let source = |ep: &Endpoint| Source {
        name: "prod".into(),
        kind: SourceKind::Remote(ep.clone()),
    };
    case.sync(ep.clone()).unwrap();
    server.state.reset_counters();
    let requests = || {
        server
            .state
            .requests
            .load(std::sync::atomic::Ordering::SeqCst)
    };

    // 59 min later it is fresh: the cache answers, the server is not asked.
    case.time.advance(Duration::from_secs(59 * 60));
    let opened = open_remote(
        &Remotes::new(),
        &case.cache,
        &source(&ep),
        &ep,
        None,
        false,
        &case.clock,
    )
    .unwrap();
    assert!(opened.snapshot.is_some() && opened.notes.is_empty());
    assert_eq!(requests(), 0);

    // 61 min later it is stale: refreshed on the way.
    case.time.advance(Duration::from_secs(2 * 60));
    let opened = open_remote(
        &Remotes::new(),
        &case.cache,
        &source(&ep),
        &ep,
        None,
        false,
        &case.clock,
    )
    .unwrap();
    assert!(opened.snapshot.is_some() && opened.notes.is_empty());
    assert!(requests() > 0);

    // Two hours after that refresh, with the endpoint gone: the snapshot
    // answers, and the notes say why and how old it is.
    case.time.advance(Duration::from_secs(2 * 3600 + 30));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = Endpoint {
        url: format!("http://127.0.0.1:{port}"),
        ..ep
    };
    let opened = open_remote(
        &Remotes::new(),
        &case.cache,
        &source(&gone),
        &gone,
        None,
        false,
        &case.clock,
    )
    .unwrap();
    assert_eq!(opened.snapshot.unwrap().info.entity_count, 78);
    let notes = opened.notes.join("\n");
    assert!(notes.contains("cannot connect"), "{notes}");
    assert!(
        notes.contains("the snapshot from 2 h ago is kept")
            && notes
                .contains("offline: answering from the cached snapshot of 'prod', synced 2 h ago"),
        "{notes}"
    );
    // A command refreshes quickly: two attempts, one (simulated) wait.
    assert_eq!(case.sleeps().len(), 1, "{:?}", case.sleeps());
}

#[test]
fn no_answer_times_out_and_is_retried() {
    let server = Server::start();
    let case = Case::new();
    // Once: the retry gets the page.
    server
        .state
        .fault("/by-query", Fault::NoAnswer(Duration::from_secs(3)));
    let report = case.sync(endpoint(&server.url(), TOKEN)).unwrap();
    assert_eq!(report.snapshot.entity_count, 78);
    // Always: gives up after the attempts, each bounded by timeout_secs.
    for _ in 0..3 {
        server
            .state
            .fault("/by-query", Fault::NoAnswer(Duration::from_secs(3)));
    }
    let started = Instant::now();
    let (err, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{text}");
    assert!(text.contains("no answer within 1 s"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn connecting_times_out_or_is_refused_quickly() {
    // Refused: nothing listens on the port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let case = Case::new();
    let (err, text) = case
        .sync(endpoint(&format!("http://127.0.0.1:{port}"), TOKEN))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Connect, "{text}");
    assert!(text.contains("cannot connect"), "{text}");
    assert!(err.is_unreachable());

    // Timed out: a listener whose accept queue is full drops new SYNs.
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            fillers.push(s);
        }
    }
    let started = Instant::now();
    let (err, text) = case
        .sync(endpoint(&format!("http://{addr}"), TOKEN))
        .unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("full accept queue: {elapsed:?}: {text}");
    // Whether the SYN is dropped (connect timeout) or the connection is
    // made but never served (no answer), it is a timeout, not a refusal.
    assert_eq!(err.kind, ErrorKind::Timeout, "{text}");
    assert!(text.contains("within 1 s"), "{text}");
    assert!(elapsed < Duration::from_secs(8), "bounded: {elapsed:?}");
    drop(socket);
}

#[test]
fn a_body_that_stalls_half_way_is_abandoned_and_retried() {
    let server = Server::start();
    let case = Case::new();
    server.state.fault(
        "/by-query",
        Fault::Stall {
            after: 2000,
            pause: Duration::from_secs(3),
        },
    );
    let report = case.sync(endpoint(&server.url(), TOKEN)).unwrap();
    assert_eq!(report.snapshot.entity_count, 78);
    for _ in 0..3 {
        server.state.fault(
            "/by-query",
            Fault::Stall {
                after: 2000,
                pause: Duration::from_secs(3),
            },
        );
    }
    let (err, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(
        text.contains("stalled") && text.contains("after 2000 bytes"),
        "{text}"
    );
}

#[test]
fn a_truncated_body_is_retried_and_a_malformed_one_is_reported() {
    let server = Server::start();
    let case = Case::new();
    server
        .state
        .fault("/by-query", Fault::Truncate { after: 1500 });
    let report = case.sync(endpoint(&server.url(), TOKEN)).unwrap();
    assert_eq!(report.snapshot.entity_count, 78);

    for _ in 0..3 {
        server
            .state
            .fault("/by-query", Fault::Truncate { after: 1500 });
    }
    let (_, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert!(text.contains("broke after 1500 bytes"), "{text}");

    server.state.reset_counters();
    server.state.fault("/by-query", Fault::Malformed);
    let (err, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadResponse);
    assert!(text.contains("not the JSON expected"), "{text}");
    assert_eq!(
        server
            .state
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        1,
        "not retried"
    );

    server.state.fault("/by-query", Fault::CutJson);
    let (err, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadResponse);
    assert!(text.contains("cut short"), "{text}");
    assert_eq!(case.count(), Some(78));
}

#[test]
fn a_fault_in_the_middle_of_an_incremental_sync_keeps_the_snapshot() {
    let server = Server::start();
    let case = Case::new();
    case.sync(endpoint(&server.url(), TOKEN)).unwrap();
    server.state.edit("tui-web", |e| {
        e["metadata"]["title"] = serde_json::json!("T")
    });
    for _ in 0..3 {
        server.state.fault("/by-refs", status(500, &[], ""));
    }
    let (err, _) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    let snap = case.cache.open_snapshot("prod").unwrap().unwrap();
    assert_eq!(snap.info.entity_count, 78);
    let web = snap.entity("component:default/tui-web").unwrap().unwrap();
    assert_ne!(web.entity.metadata.title.as_deref(), Some("T"));
    let leftovers = std::fs::read_dir(case.cache.dir().join("snapshots"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".sync-"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn tls_needs_the_custom_ca_and_works_with_it() {
    let pki = crate::support::test_pki();
    let server = Server::start_tls(pki.server_config.clone());
    let url = format!("https://127.0.0.1:{}", server.addr.port());
    let case = Case::new();
    let (err, text) = case.sync(endpoint(&url, TOKEN)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Tls, "{text}");
    assert!(text.contains("ca_cert"), "{text}");

    let mut ca = tempfile::NamedTempFile::new().unwrap();
    ca.write_all(pki.ca_pem.as_bytes()).unwrap();
    let ep = Endpoint {
        ca_cert: Some(ca.path().to_path_buf()),
        ..endpoint(&url, TOKEN)
    };
    let report = case.sync(ep.clone()).unwrap();
    assert_eq!(report.snapshot.entity_count, 78);

    // A file that is not a certificate is a setup error that says so.
    let mut junk = tempfile::NamedTempFile::new().unwrap();
    junk.write_all(b"not a certificate").unwrap();
    let (err, text) = case
        .sync(Endpoint {
            ca_cert: Some(junk.path().to_path_buf()),
            ..ep
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Setup);
    assert!(text.contains("ca_cert"), "{text}");
}

#[test]
fn the_token_is_in_no_error_and_not_in_the_cache() {
    let server = Server::start();
    server
        .state
        .echo_auth
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let case = Case::new();
    case.sync(endpoint(&server.url(), TOKEN)).unwrap();
    // Errors whose bodies echo the Authorization header.
    for code in [400u16, 403, 500] {
        for _ in 0..3 {
            server.state.fault("/by-query", status(code, &[], "echo: "));
        }
        let (_, text) = case.sync(endpoint(&server.url(), TOKEN)).unwrap_err();
        assert!(!text.contains(TOKEN), "{code}: {text}");
    }
    // Nothing in the cache dir holds the token.
    for entry in walk(case.cache.dir()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "token in {}",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
