//! The authorization-code flow with PKCE, as `backstage-cli auth login`
//! runs it against a Backstage auth backend:
//!
//! 1. `GET <url>/api/auth/.well-known/oauth-client/cli.json`: the client
//!    metadata document; its URL is the `client_id`, its redirect URI the
//!    loopback `http://127.0.0.1:8055/callback`. A 404 means the backend
//!    has no CLI sign-in (Client ID Metadata Documents are off).
//! 2. The browser opens `<url>/api/auth/v1/authorize?…&state=…&code_challenge=…`.
//! 3. The backend redirects the browser to the loopback callback with
//!    `code` and `state` ([`Loopback`] answers it), or, over SSH where the
//!    laptop's browser cannot reach the remote 127.0.0.1, the user pastes
//!    that URL ([`Pending::code_from`] reads either).
//! 4. `POST <url>/api/auth/v1/token` exchanges the code (with the PKCE
//!    verifier) for an access token, a refresh token and an id token.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::Value;

use super::{pkce, SignInError, SignInErrorKind as K, Tokens};

/// The redirect URI of backstage-cli's client metadata.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8055/callback";

/// A sign-in started: the URL for the browser, and what checks its answer.
#[derive(Clone)]
pub struct Pending {
    pub url: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub authorize_url: String,
    state: String,
    verifier: String,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("url", &self.url)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

fn net(url: &str, e: &reqwest::Error) -> SignInError {
    SignInError::new(
        K::Network,
        format!(
            "cannot reach {url}: {}",
            crate::source::backstage::error_chain(e)
        ),
    )
}

/// Step 1: read the client metadata and prepare the authorize URL.
pub async fn begin(http: &reqwest::Client, url: &str) -> Result<Pending, SignInError> {
    let metadata_url = format!("{url}/api/auth/.well-known/oauth-client/cli.json");
    let response = http
        .get(&metadata_url)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| net(url, &e))?;
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return Err(SignInError::new(
            K::NotEnabled,
            format!(
                "{url} has no CLI sign-in: Client ID Metadata Documents are not enabled on this backend \
                 (GET /api/auth/.well-known/oauth-client/cli.json answered 404). Ask its admins to enable \
                 `auth.experimentalClientIdMetadataDocuments`, or use a token: `callboard login NAME --token`."
            ),
        ));
    }
    if !status.is_success() {
        return Err(SignInError::new(
            K::BadResponse,
            format!("{url}: the CLI client metadata answered {status}"),
        ));
    }
    let bytes = response.bytes().await.map_err(|e| net(url, &e))?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|_| {
        SignInError::new(
            K::BadResponse,
            format!("{url}: the CLI client metadata is not JSON (is this the backend's URL?)"),
        )
    })?;
    let client_id = body
        .get("client_id")
        .and_then(Value::as_str)
        .unwrap_or(&metadata_url)
        .to_string();
    let redirect_uri = body
        .get("redirect_uris")
        .and_then(Value::as_array)
        .and_then(|uris| uris.iter().filter_map(Value::as_str).next())
        .unwrap_or(DEFAULT_REDIRECT_URI)
        .to_string();
    let scope = body
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or("openid offline_access")
        .to_string();
    Ok(Pending::new(url, &client_id, &redirect_uri, &scope))
}

impl Pending {
    /// A request with fresh `state` and PKCE verifier.
    pub fn new(url: &str, client_id: &str, redirect_uri: &str, scope: &str) -> Pending {
        let state = pkce::random_string(16);
        let verifier = pkce::verifier();
        let mut authorize =
            Url::parse(&format!("{url}/api/auth/v1/authorize")).expect("a checked base URL");
        authorize
            .query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", scope)
            .append_pair("state", &state)
            .append_pair("code_challenge", &pkce::challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        Pending {
            url: url.to_string(),
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            authorize_url: authorize.to_string(),
            state,
            verifier,
        }
    }

    /// `host:port` of the loopback redirect (127.0.0.1:8055).
    pub fn loopback_addr(&self) -> Option<String> {
        let u = Url::parse(&self.redirect_uri).ok()?;
        Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?))
    }

    /// The authorization code from the redirect: the callback URL (or its
    /// path and query, or just the query) as the loopback got it or the
    /// user pasted it. `None`: the text is not a callback at all.
    pub fn code_from(&self, callback: &str) -> Option<Result<String, SignInError>> {
        let text = callback.trim();
        let query = match text.split_once('?') {
            Some((_, q)) => q,
            None if text.contains("code=") || text.contains("error=") => text,
            None => return None,
        };
        let query = query.split('#').next().unwrap_or_default();
        let pairs: Vec<(String, String)> = url_pairs(query);
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if let Some(error) = get("error") {
            let why = get("error_description").unwrap_or_default();
            return Some(Err(SignInError::new(
                K::Refused,
                callboard_core::text::sanitize(&format!(
                    "the sign-in was refused: {error}{}{why}",
                    if why.is_empty() { "" } else { ": " }
                ))
                .into_owned(),
            )));
        }
        let code = get("code")?;
        if get("state").as_deref() != Some(self.state.as_str()) {
            return Some(Err(SignInError::new(
                K::Refused,
                "the redirect's `state` is not this sign-in's (an old or foreign link?); nothing was signed in",
            )));
        }
        Some(Ok(code))
    }

    /// Step 4: the code for tokens.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        code: &str,
        now_ms: u64,
    ) -> Result<Tokens, SignInError> {
        let answer = token_request(
            http,
            &self.url,
            &serde_json::json!({
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": self.verifier,
            }),
        )
        .await?;
        Ok(Tokens {
            url: self.url.clone(),
            client_id: self.client_id.clone(),
            principal: super::jwt_claim(&answer.access_token, "sub"),
            access_token: answer.access_token,
            refresh_token: answer.refresh_token,
            expires_at_ms: now_ms + answer.expires_in_s * 1000,
        })
    }

    #[cfg(test)]
    pub fn state(&self) -> &str {
        &self.state
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    let mut u = Url::parse("http://x/").expect("a URL");
    u.set_query(Some(query));
    u.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A token endpoint's answer.
pub struct TokenAnswer {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in_s: u64,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// `POST <url>/api/auth/v1/token` with a JSON body. A 4xx is `Refused`
/// with the OAuth `error_description` (which quotes no token).
pub async fn token_request(
    http: &reqwest::Client,
    url: &str,
    body: &Value,
) -> Result<TokenAnswer, SignInError> {
    let response = http
        .post(format!("{url}/api/auth/v1/token"))
        .timeout(Duration::from_secs(30))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| net(url, &e))?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| net(url, &e))?;
    if status.is_client_error() {
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let what = [v.get("error"), v.get("error_description")]
            .iter()
            .flatten()
            .filter_map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(": ");
        return Err(SignInError::new(
            K::Refused,
            callboard_core::text::sanitize(&format!(
                "{status}{}{what}",
                if what.is_empty() { "" } else { " " }
            ))
            .into_owned(),
        ));
    }
    if !status.is_success() {
        return Err(SignInError::new(
            K::Network,
            format!("{url}: the token endpoint answered {status}; try again"),
        ));
    }
    let parsed: TokenBody = serde_json::from_slice(&bytes).map_err(|_| {
        SignInError::new(
            K::BadResponse,
            format!("{url}: the token endpoint's answer is not the JSON expected"),
        )
    })?;
    Ok(TokenAnswer {
        access_token: parsed.access_token,
        refresh_token: parsed.refresh_token,
        expires_in_s: parsed.expires_in.unwrap_or(3600),
    })
}

/// Who the token belongs to: `/api/auth/v1/userinfo`'s `claims.sub`.
pub async fn userinfo(http: &reqwest::Client, tokens: &Tokens) -> Option<String> {
    let response = http
        .get(format!("{}/api/auth/v1/userinfo", tokens.url))
        .bearer_auth(&tokens.access_token)
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let v: Value = serde_json::from_slice(&response.bytes().await.ok()?).ok()?;
    v.pointer("/claims/sub")
        .or_else(|| v.get("sub"))
        .and_then(Value::as_str)
        .map(|s| callboard_core::text::sanitize(s).into_owned())
}

/// `POST <url>/api/auth/v1/revoke` for the refresh token.
pub async fn revoke(http: &reqwest::Client, tokens: &Tokens) -> Result<(), SignInError> {
    let Some(refresh) = &tokens.refresh_token else {
        return Ok(());
    };
    let response = http
        .post(format!("{}/api/auth/v1/revoke", tokens.url))
        .timeout(Duration::from_secs(15))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(
            serde_json::json!({
                "token": refresh,
                "token_type_hint": "refresh_token",
                "client_id": tokens.client_id,
            })
            .to_string(),
        )
        .send()
        .await
        .map_err(|e| net(&tokens.url, &e))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(SignInError::new(
            K::Refused,
            format!(
                "{}: revoking the refresh token answered {}",
                tokens.url,
                response.status()
            ),
        ))
    }
}

/// The loopback server the browser is redirected to. Each request's
/// target (path and query) goes to the channel; the browser is told to
/// go back to the terminal. Stops when dropped.
pub struct Loopback {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Loopback {
    /// Listen on `addr` (`127.0.0.1:8055`). Fails when the port is taken.
    pub fn listen(addr: &str, path: &str, to: Sender<String>) -> Result<Loopback, String> {
        let listener =
            TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let path = path.to_string();
        let thread = std::thread::Builder::new()
            .name("callboard-login".into())
            .spawn(move || {
                while !stopped.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((conn, _)) => {
                            if let Some(target) = answer(conn, &path) {
                                if to.send(target).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(25))
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(25)),
                    }
                }
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        Ok(Loopback {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Read one request; answer the callback path with a page, anything else
/// with 404. The callback's target is returned.
fn answer(conn: TcpStream, path: &str) -> Option<String> {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let target = line.split_whitespace().nth(1)?.to_string();
    let mut conn = conn;
    let is_callback = target.split('?').next() == Some(path);
    let (status, body) = if is_callback {
        (
            "200 OK",
            "<!doctype html><title>callboard</title><p>callboard got the sign-in. You can close this tab and go back to the terminal.</p>",
        )
    } else {
        ("404 Not Found", "not found")
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.flush();
    is_callback.then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Pending {
        Pending::new(
            "http://b.example",
            "http://b.example/api/auth/.well-known/oauth-client/cli.json",
            DEFAULT_REDIRECT_URI,
            "openid offline_access",
        )
    }

    #[test]
    fn the_authorize_url_carries_pkce_and_state() {
        let p = pending();
        let u = Url::parse(&p.authorize_url).unwrap();
        assert_eq!(u.path(), "/api/auth/v1/authorize");
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce::challenge(&p.verifier));
        assert_eq!(q["state"], p.state());
        assert_eq!(q["redirect_uri"], DEFAULT_REDIRECT_URI);
        assert_eq!(q["scope"], "openid offline_access");
        assert_eq!(q["response_type"], "code");
        assert_eq!(p.loopback_addr().as_deref(), Some("127.0.0.1:8055"));
        assert_ne!(pending().state(), p.state());
    }

    #[test]
    fn a_pasted_or_called_back_url_gives_the_code_when_the_state_matches() {
        let p = pending();
        let s = p.state().to_string();
        for text in [
            format!("http://127.0.0.1:8055/callback?code=abc&state={s}"),
            format!("  /callback?state={s}&code=abc\n"),
            format!("code=abc&state={s}"),
        ] {
            assert_eq!(p.code_from(&text).unwrap().unwrap(), "abc", "{text}");
        }
        let e = p
            .code_from("http://127.0.0.1:8055/callback?code=abc&state=other")
            .unwrap()
            .unwrap_err();
        assert_eq!(e.kind, K::Refused);
        assert!(e.message.contains("state"), "{e}");
        let e = p
            .code_from("/callback?error=access_denied&error_description=User%20said%20no\x1b[31m")
            .unwrap()
            .unwrap_err();
        assert!(
            e.message.contains("access_denied: User said no") && !e.message.contains('\x1b'),
            "{e}"
        );
        assert!(p.code_from("hello").is_none());
    }

    #[test]
    fn the_loopback_answers_the_callback_and_forwards_its_target() {
        let (tx, rx) = std::sync::mpsc::channel();
        // Any free port: the test must not depend on 8055 being free.
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = probe.local_addr().unwrap().to_string();
        drop(probe);
        let lb = Loopback::listen(&addr, "/callback", tx).unwrap();
        let get = |target: &str| {
            let mut c = TcpStream::connect(&addr).unwrap();
            write!(c, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut out = String::new();
            std::io::Read::read_to_string(&mut c, &mut out).unwrap();
            out
        };
        assert!(get("/favicon.ico").starts_with("HTTP/1.1 404"));
        let page = get("/callback?code=c1&state=s1");
        assert!(page.starts_with("HTTP/1.1 200") && page.contains("go back to the terminal"));
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap(),
            "/callback?code=c1&state=s1"
        );
        drop(lb);
        assert!(TcpListener::bind(&addr).is_ok(), "the port is free again");
    }
}
