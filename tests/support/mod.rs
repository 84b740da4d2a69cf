//! A fake Backstage backend on 127.0.0.1 for the remote-source tests.
//!
//! It serves the entities recorded from the real backend
//! (`../shared/fixtures/backstage-api/catalog-all-entities.json`) through the
//! catalog API the way the real one does (`by-query` with cursors that hold
//! `+ / =` and do not carry `fields`, `pageInfo: {}` on the last page,
//! `by-refs` with `null` for misses and lower-case refs only, 401 bodies as
//! recorded, 404 with an empty body off the API), replays any other recorded
//! response listed in `_index.json`, and injects faults on demand. It also
//! runs as a TLS server (rustls, a CA made with rcgen) and as a forward
//! proxy. Loopback only.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

pub const TOKEN: &str = "test-token-0123456789";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/backstage-api")
}

/// The 78 entities the real backend served.
pub fn recorded_entities() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("catalog-all-entities.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// What to do to the next request whose path contains `path`.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status, headers and body.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Send the headers and the first `after` bytes of the real answer,
    /// then nothing for `pause`, then close.
    Stall { after: usize, pause: Duration },
    /// Promise the whole answer (Content-Length), send `after` bytes, close.
    Truncate { after: usize },
    /// 200 with a body that is not JSON.
    Malformed,
    /// 200 whose JSON ends half way (chunk terminated properly).
    CutJson,
    /// Read the request, wait `pause` without answering, then close.
    NoAnswer(Duration),
    /// 200 text/html, as a frontend or a login page would.
    Html,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub target: String,
    pub status: u16,
    pub body_bytes: usize,
    pub authorization: Option<String>,
}

#[derive(Default)]
pub struct State {
    pub entities: Mutex<Vec<Value>>,
    /// The token required; `None` accepts any request.
    pub token: Mutex<Option<String>>,
    pub faults: Mutex<VecDeque<(String, Fault)>>,
    /// Slept before every answer.
    pub delay: Mutex<Duration>,
    pub log: Mutex<Vec<Logged>>,
    pub body_bytes: AtomicU64,
    pub requests: AtomicUsize,
    /// Echo the Authorization header in error bodies (to prove clients
    /// never repeat it).
    pub echo_auth: AtomicBool,
}

impl State {
    pub fn fault(&self, path: &str, fault: Fault) {
        self.faults
            .lock()
            .unwrap()
            .push_back((path.to_string(), fault));
    }

    fn take_fault(&self, target: &str) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap();
        let i = faults
            .iter()
            .position(|(p, _)| target.contains(p.as_str()))?;
        faults.remove(i).map(|(_, f)| f)
    }

    pub fn reset_counters(&self) {
        self.body_bytes.store(0, Ordering::SeqCst);
        self.requests.store(0, Ordering::SeqCst);
        self.log.lock().unwrap().clear();
    }

    pub fn logged(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }

    /// Change an entity (by name) as a catalog edit would, new etag included.
    pub fn edit(&self, name: &str, f: impl FnOnce(&mut Value)) {
        let mut entities = self.entities.lock().unwrap();
        let e = entities
            .iter_mut()
            .find(|e| e["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no entity {name}"));
        f(e);
        let etag = format!("{:040x}", fxhash(&e.to_string()));
        e["metadata"]["etag"] = json!(etag);
    }

    pub fn remove(&self, name: &str) {
        self.entities
            .lock()
            .unwrap()
            .retain(|e| e["metadata"]["name"] != name);
    }

    pub fn add(&self, entity: Value) {
        self.entities.lock().unwrap().push(entity);
    }
}

fn fxhash(s: &str) -> u128 {
    s.bytes().fold(0xcbf29ce484222325u128, |h, b| {
        (h ^ b as u128).wrapping_mul(0x100000001b3)
    })
}

pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// The fake backend over plain HTTP with the recorded catalog.
    pub fn start() -> Server {
        Self::start_with(None)
    }

    /// Over TLS with this server config.
    pub fn start_tls(config: Arc<rustls::ServerConfig>) -> Server {
        Self::start_with(Some(config))
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        *state.entities.lock().unwrap() = recorded_entities();
        *state.token.lock().unwrap() = Some(TOKEN.to_string());
        let stop = Arc::new(AtomicBool::new(false));
        let (st, stp) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = conn.set_nodelay(true);
                    match tls {
                        None => serve_connection(conn, &st),
                        Some(config) => {
                            let Ok(session) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            let stream = rustls::StreamOwned::new(session, conn);
                            serve_connection(stream, &st);
                        }
                    }
                });
            }
        });
        Server { addr, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

struct Answer {
    status: u16,
    content_type: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, value: &Value) -> Answer {
        Answer {
            status,
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
            body: value.to_string().into_bytes(),
        }
    }

    fn empty(status: u16) -> Answer {
        Answer {
            status,
            content_type: "text/plain",
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn serve_connection<S: Read + Write>(stream: S, state: &State) {
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader) {
        state.requests.fetch_add(1, Ordering::SeqCst);
        let delay = *state.delay.lock().unwrap();
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let fault = state.take_fault(&req.target);
        let close = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let answer = match &fault {
            Some(Fault::NoAnswer(pause)) => {
                std::thread::sleep(*pause);
                return;
            }
            Some(Fault::Status {
                status,
                headers,
                body,
            }) => {
                let mut a = Answer {
                    status: *status,
                    content_type: "application/json; charset=utf-8",
                    headers: headers.clone(),
                    body: body.clone().into_bytes(),
                };
                if state.echo_auth.load(Ordering::SeqCst) {
                    a.body
                        .extend_from_slice(req.header("authorization").unwrap_or("").as_bytes());
                }
                a
            }
            Some(Fault::Malformed) => Answer {
                status: 200,
                content_type: "application/json; charset=utf-8",
                headers: Vec::new(),
                body: b"{\"items\": [this is not json".to_vec(),
            },
            Some(Fault::Html) => Answer {
                status: 200,
                content_type: "text/html; charset=utf-8",
                headers: Vec::new(),
                body: b"<!doctype html><html><body>Backstage</body></html>".to_vec(),
            },
            _ => route(&req, state),
        };
        let mut body = answer.body;
        if let Some(Fault::CutJson) = fault {
            body.truncate(body.len() / 2);
        }
        state.log.lock().unwrap().push(Logged {
            method: req.method.clone(),
            target: req.target.clone(),
            status: answer.status,
            body_bytes: body.len(),
            authorization: req.header("authorization").map(str::to_string),
        });
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            answer.status,
            reason(answer.status),
            answer.content_type,
            body.len()
        );
        for (k, v) in &answer.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let stream = reader.get_mut();
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        match fault {
            Some(Fault::Stall { after, pause }) => {
                let n = after.min(body.len());
                let _ = stream.write_all(&body[..n]);
                let _ = stream.flush();
                state.body_bytes.fetch_add(n as u64, Ordering::SeqCst);
                std::thread::sleep(pause);
                return;
            }
            Some(Fault::Truncate { after }) => {
                let n = after.min(body.len().saturating_sub(1));
                let _ = stream.write_all(&body[..n]);
                let _ = stream.flush();
                state.body_bytes.fetch_add(n as u64, Ordering::SeqCst);
                return;
            }
            _ => {}
        }
        if stream.write_all(&body).is_err() || stream.flush().is_err() {
            return;
        }
        state
            .body_bytes
            .fetch_add(body.len() as u64, Ordering::SeqCst);
        if close {
            return;
        }
    }
}

/// Split `a=b&c=d`, percent-decoding (`+` is a space, as in forms).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_ref(e: &Value) -> String {
    format!(
        "{}:{}/{}",
        e["kind"].as_str().unwrap_or_default(),
        e["metadata"]["namespace"].as_str().unwrap_or("default"),
        e["metadata"]["name"].as_str().unwrap_or_default()
    )
    .to_lowercase()
}

/// Keep only the dotted `fields` of an entity.
fn project(e: &Value, fields: &[String]) -> Value {
    let mut out = json!({});
    for f in fields {
        let path: Vec<&str> = f.split('.').collect();
        let mut src = e;
        let mut found = true;
        for p in &path {
            match src.get(p) {
                Some(v) => src = v,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            continue;
        }
        let mut dst = &mut out;
        for p in &path[..path.len() - 1] {
            if dst.get(p).is_none() {
                dst[*p] = json!({});
            }
            dst = dst.get_mut(*p).unwrap();
        }
        dst[*path.last().unwrap()] = src.clone();
    }
    out
}

/// `kind=a,kind=b,metadata.namespace=x`: same key = any of, keys AND-ed.
fn matches_filter(e: &Value, filter: &str) -> bool {
    let mut by_key: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for cond in filter.split(',') {
        let (k, v) = cond.split_once('=').unwrap_or((cond, ""));
        by_key.entry(k).or_default().push(v.to_lowercase());
    }
    by_key.iter().all(|(k, values)| {
        let actual = match *k {
            "kind" => e["kind"].as_str().unwrap_or_default().to_lowercase(),
            "metadata.namespace" => e["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_lowercase(),
            "metadata.name" => e["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase(),
            _ => return false,
        };
        values.contains(&actual)
    })
}

/// Cursors look like the real ones in the ways that matter: opaque, with
/// `+ / =` that break when sent unencoded.
fn make_cursor(offset: usize, filter: &str, total: usize) -> String {
    let hex: String = filter.bytes().map(|b| format!("{b:02x}")).collect();
    format!("c+{offset}/{hex}/{total}==")
}

fn read_cursor(cursor: &str) -> Option<(usize, String, usize)> {
    let rest = cursor.strip_prefix("c+")?.strip_suffix("==")?;
    let mut parts = rest.split('/');
    let offset = parts.next()?.parse().ok()?;
    let hex = parts.next()?;
    let total = parts.next()?.parse().ok()?;
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    Some((offset, String::from_utf8(bytes?).ok()?, total))
}

fn recorded(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join(name)).unwrap()).unwrap()
}

/// A recorded TechDocs answer (from `_index.json`), else 404 with an
/// empty body, as the real backend answers unknown routes.
fn techdocs_capture(method: &str, path: &str) -> Answer {
    let index = recorded("_index.json");
    let found = index["captures"].as_array().and_then(|c| {
        c.iter()
            .find(|x| x["method"] == method && x["path"] == path)
            .cloned()
    });
    let Some(capture) = found else {
        return Answer::empty(404);
    };
    let file = capture["file"].as_str().unwrap_or_default();
    let content_type = match capture["content_type"].as_str().unwrap_or_default() {
        t if t.starts_with("application/json") => "application/json; charset=utf-8",
        t if t.starts_with("text/plain") => "text/plain; charset=utf-8",
        t if t.starts_with("text/event-stream") => "text/event-stream",
        _ => "text/plain",
    };
    Answer {
        status: capture["status"].as_u64().unwrap_or(200) as u16,
        content_type,
        headers: Vec::new(),
        body: std::fs::read(fixtures().join(file)).unwrap_or_default(),
    }
}

fn route(req: &Request, state: &State) -> Answer {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    if !path.starts_with("/api/") {
        return Answer::empty(404);
    }
    if let Some(token) = state.token.lock().unwrap().as_deref() {
        match req.header("authorization") {
            None => return Answer::json(401, &recorded("error-401-no-token.json")),
            Some(v) if v != format!("Bearer {token}") => {
                let mut body = recorded("error-401-bad-token.json");
                if state.echo_auth.load(Ordering::SeqCst) {
                    body["error"]["message"] = json!(format!("Illegal token {v}"));
                }
                return Answer::json(401, &body);
            }
            Some(_) => {}
        }
    }
    if path.starts_with("/api/techdocs/") {
        return techdocs_capture(&req.method, path);
    }
    let params = query_pairs(query);
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match (req.method.as_str(), path) {
        ("GET", "/api/catalog/entities/by-query") => {
            let limit: usize = match param("limit").map(|l| l.parse()) {
                None => 200,
                Some(Ok(l)) => l,
                Some(Err(_)) => return Answer::json(400, &recorded("error-400-bad-limit.json")),
            };
            let fields: Option<Vec<String>> =
                param("fields").map(|f| f.split(',').map(str::to_string).collect());
            let (offset, filter, frozen_total) = match param("cursor") {
                Some(c) => match read_cursor(&c) {
                    Some((o, f, t)) => (o, f, Some(t)),
                    None => return Answer::json(400, &recorded("error-400-bad-cursor.json")),
                },
                None => {
                    let filters: Vec<String> = params
                        .iter()
                        .filter(|(k, _)| k == "filter")
                        .map(|(_, v)| v.clone())
                        .collect();
                    (0, filters.join(";"), None)
                }
            };
            let mut entities: Vec<Value> = state
                .entities
                .lock()
                .unwrap()
                .iter()
                .filter(|e| filter.is_empty() || filter.split(';').any(|f| matches_filter(e, f)))
                .cloned()
                .collect();
            entities.sort_by(|a, b| {
                a["metadata"]["uid"]
                    .as_str()
                    .unwrap_or_default()
                    .cmp(b["metadata"]["uid"].as_str().unwrap_or_default())
            });
            let total = frozen_total.unwrap_or(entities.len());
            let page: Vec<Value> = entities
                .iter()
                .skip(offset)
                .take(limit)
                .map(|e| match &fields {
                    Some(f) => project(e, f),
                    None => e.clone(),
                })
                .collect();
            let next = offset + page.len();
            let page_info = if limit > 0 && next < entities.len() {
                json!({"nextCursor": make_cursor(next, &filter, total)})
            } else {
                json!({})
            };
            Answer::json(
                200,
                &json!({"items": page, "totalItems": total, "pageInfo": page_info}),
            )
        }
        ("POST", "/api/catalog/entities/by-refs") => {
            if param("fields").is_some() {
                return Answer::json(400, &recorded("error-400-by-refs-fields-query-param.json"));
            }
            let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
                return Answer::json(400, &recorded("error-400-by-refs-bad-body.json"));
            };
            let Some(refs) = body["entityRefs"].as_array() else {
                return Answer::json(400, &recorded("error-400-by-refs-bad-body.json"));
            };
            let fields: Option<Vec<String>> = body["fields"].as_array().map(|f| {
                f.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            });
            let entities = state.entities.lock().unwrap();
            let items: Vec<Value> = refs
                .iter()
                .map(|r| {
                    let r = r.as_str().unwrap_or_default();
                    // Verbatim against the stored canonical (lower-case) form.
                    entities
                        .iter()
                        .find(|e| canonical_ref(e) == r)
                        .map(|e| match &fields {
                            Some(f) => project(e, f),
                            None => e.clone(),
                        })
                        .unwrap_or(Value::Null)
                })
                .collect();
            Answer::json(200, &json!({ "items": items }))
        }
        _ => replay(req),
    }
}

/// Any other recorded response, matched on method and path+query.
fn replay(req: &Request) -> Answer {
    let index: Value = recorded("_index.json");
    for c in index["captures"].as_array().unwrap() {
        if c["method"] == req.method.as_str() && c["path"] == req.target.as_str() {
            let file = c["file"].as_str().unwrap();
            let body = std::fs::read(fixtures().join(file)).unwrap();
            return Answer {
                status: c["status"].as_u64().unwrap() as u16,
                content_type: "application/json; charset=utf-8",
                headers: Vec::new(),
                body,
            };
        }
    }
    Answer::empty(404)
}

/// A forward proxy on 127.0.0.1 that sends every request to `upstream`
/// (whatever host the request names) and counts what it relayed.
pub struct Proxy {
    pub addr: SocketAddr,
    pub relayed: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let relayed = Arc::new(Mutex::new(Vec::new()));
        let log = relayed.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn);
                    while let Some(req) = read_request(&mut reader) {
                        // Absolute-form target: http://host/path?query
                        let origin_form = req
                            .target
                            .strip_prefix("http://")
                            .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
                            .unwrap_or_else(|| req.target.clone());
                        log.lock().unwrap().push(req.target.clone());
                        let Ok(mut up) = TcpStream::connect(upstream) else {
                            return;
                        };
                        let mut head = format!("{} {} HTTP/1.1\r\n", req.method, origin_form);
                        for (k, v) in &req.headers {
                            if !k.eq_ignore_ascii_case("connection")
                                && !k.eq_ignore_ascii_case("proxy-connection")
                            {
                                head.push_str(&format!("{k}: {v}\r\n"));
                            }
                        }
                        head.push_str("Connection: close\r\n\r\n");
                        if up.write_all(head.as_bytes()).is_err()
                            || up.write_all(&req.body).is_err()
                        {
                            return;
                        }
                        let mut answer = Vec::new();
                        let _ = up.read_to_end(&mut answer);
                        // Keep the client's connection open: drop our close.
                        let text = String::from_utf8_lossy(&answer).replacen(
                            "Connection: close\r\n",
                            "",
                            1,
                        );
                        if reader.get_mut().write_all(text.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Proxy { addr, relayed }
    }
}

/// A CA and a server certificate for 127.0.0.1 / localhost, made fresh.
pub struct TestPki {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

pub fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "callboard test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        )
        .unwrap();
    TestPki {
        ca_pem: ca_cert.pem(),
        server_config: Arc::new(config),
    }
}

/// A token source for tests that puts the token in no argument and no
/// environment variable: a command that prints a private file.
pub fn token_command(token: &str) -> callboard_io::config::TokenSource {
    static N: AtomicUsize = AtomicUsize::new(0);
    // Under cargo's per-target scratch dir, not /tmp: these files outlive
    // the test process, and `cargo clean` removes them.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("callboard-test-tokens-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("t{}", N.fetch_add(1, Ordering::SeqCst)));
    std::fs::write(&path, token).unwrap();
    callboard_io::config::TokenSource::Command(format!("cat '{}'", path.display()))
}
