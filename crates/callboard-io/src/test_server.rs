//! A tiny HTTP/1.1 server on 127.0.0.1 for the unit tests of the remote
//! code: keep-alive, a handler per request, and counts of the TCP
//! connections accepted and the requests served (with their
//! `Authorization` header), so a test can tell whether a client was
//! reused and which token it sent.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Path and query.
    pub target: String,
    pub authorization: Option<String>,
    /// The `If-None-Match` header, when sent.
    pub if_none_match: Option<String>,
    pub method: String,
    pub body: Vec<u8>,
}

/// An answer: status, content type, body (and an `ETag` header, when set).
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub etag: Option<String>,
}

impl Answer {
    pub fn json(status: u16, body: serde_json::Value) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
            etag: None,
        }
    }

    /// The same answer with an `ETag` header.
    pub fn with_etag(mut self, etag: impl Into<String>) -> Answer {
        self.etag = Some(etag.into());
        self
    }

    /// `304 Not Modified` (no body) with `etag`.
    pub fn not_modified(etag: impl Into<String>) -> Answer {
        Answer {
            status: 304,
            content_type: "application/json",
            body: Vec::new(),
            etag: Some(etag.into()),
        }
    }

    pub fn html(body: &str) -> Answer {
        Answer {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: body.as_bytes().to_vec(),
            etag: None,
        }
    }
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

pub struct TestServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl TestServer {
    pub fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handler: Arc<Handler> = Arc::new(handler);
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, log, stopped) = (connections.clone(), requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let (handler, log) = (handler.clone(), log.clone());
                std::thread::spawn(move || serve(conn, &*handler, &log));
            }
        });
        TestServer {
            addr,
            connections,
            requests,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Requests served so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn serve(conn: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    while let Some(request) = read_request(&mut reader) {
        log.lock().unwrap().push(request.clone());
        let answer = handler(&request);
        let etag = answer
            .etag
            .as_ref()
            .map(|t| format!("ETag: {t}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\n{etag}\r\n",
            answer.status,
            answer.content_type,
            answer.body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&answer.body).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let method = line.split_whitespace().next()?.to_string();
    let target = line.split_whitespace().nth(1)?.to_string();
    let mut authorization = None;
    let mut if_none_match = None;
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_string());
            } else if name.eq_ignore_ascii_case("if-none-match") {
                if_none_match = Some(value.trim().to_string());
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        target,
        authorization,
        if_none_match,
        method,
        body,
    })
}
