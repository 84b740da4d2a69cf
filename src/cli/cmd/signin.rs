//! `callboard login URL|NAME` (signing in as a user, the OAuth flow of
//! `backstage-cli auth login`), `callboard logout URL|NAME` for a sign-in,
//! and `callboard auth status`.
//!
//! The authorize URL is always printed on a line of its own; a browser is
//! opened only on a local desktop (not with `--no-browser`, over SSH or
//! without a display). The code comes back either to the loopback server
//! on 127.0.0.1:8055 or, over SSH where the laptop's browser cannot reach
//! that port, as the redirected URL pasted on the terminal: both are
//! awaited at once.

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Result;
use callboard_io::config::{Endpoint, Source, SourceKind, TokenSource};
use callboard_io::remotes::Cancel;
use callboard_io::signin::flow::Loopback;
use callboard_io::signin::{backstage_cli, Origin, SignIn, SignInErrorKind, Stores};

use crate::cli::exit::{EXIT_ERROR, EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::clean;
use crate::cli::session::Session;

/// A login target: the name connections are kept under, and the endpoint.
pub struct Target {
    pub name: String,
    pub endpoint: Endpoint,
}

/// `URL` (a config source with that URL lends its settings) or the name
/// of a config source with a `url`. `None`: neither.
pub fn target(session: &Session, arg: &str) -> Option<Target> {
    let remote = |s: &Source| match &s.kind {
        SourceKind::Remote(e) => Some((s.name.clone(), e.clone())),
        _ => None,
    };
    let lower = arg.trim().to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let url = callboard_io::config::normalize_url(arg);
        let found = session
            .sources
            .iter()
            .filter_map(remote)
            .find(|(_, e)| e.url == url);
        let (name, endpoint) = found.unwrap_or_else(|| (url.clone(), Endpoint::from_url(&url)));
        return Some(Target { name, endpoint });
    }
    session
        .sources
        .iter()
        .filter(|s| s.name == arg)
        .find_map(remote)
        .map(|(name, endpoint)| Target { name, endpoint })
}

fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// When an access token expires, in words (UTC).
pub fn until(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(&f).unwrap_or_default()
}

/// Where a sign-in is kept, in words.
pub fn kept(origin: &Origin) -> String {
    match origin {
        Origin::Keyring => "the OS keyring".to_string(),
        Origin::File(p) => format!("{} (no keyring service here; mode 0600)", p.display()),
        Origin::BackstageCli { instance } => format!("backstage-cli's sign-in '{instance}'"),
    }
}

/// Options of `callboard login` for the browser flow.
pub struct LoginOptions {
    pub no_browser: bool,
    pub timeout: Duration,
}

/// `callboard login URL|NAME`: sign in as a user.
pub fn login(session: &Session, arg: &str, options: &LoginOptions) -> Result<u8> {
    let Some(target) = target(session, arg) else {
        say(&format!(
            "callboard: login: '{}' is neither a URL (https://backstage.example.com) nor the name of a source with a `url` in the config",
            clean(arg)
        ));
        return Ok(EXIT_ERROR);
    };
    let Target { name, endpoint } = &target;
    let stores = Stores::from_env();
    let started = Instant::now();
    if let TokenSource::Env { required: true, .. } | TokenSource::Command(_) = &endpoint.token {
        say(&format!(
            "note: source '{}' takes its token from {}, which wins over a sign-in; the sign-in is used with `--endpoint {}`",
            clean(name),
            clean(&endpoint.token.describe()),
            clean(&endpoint.url)
        ));
    }
    let pending = match session.remotes.login_begin(name, endpoint) {
        Ok(p) => p,
        Err(e) => {
            say(&format!("callboard: login: {}", clean(&e.message)));
            return Ok(if e.kind == SignInErrorKind::NotEnabled {
                EXIT_NO
            } else {
                EXIT_ERROR
            });
        }
    };
    let (tx, rx) = mpsc::channel::<Input>();
    let (cb_tx, cb_rx) = mpsc::channel::<String>();
    let forward = tx.clone();
    std::thread::spawn(move || {
        for target in cb_rx {
            if forward.send(Input::Callback(target)).is_err() {
                return;
            }
        }
    });
    let redirect_path = reqwest_path(&pending.redirect_uri);
    let loopback = pending
        .loopback_addr()
        .ok_or_else(|| "the redirect URI has no host and port".to_string())
        .and_then(|addr| Loopback::listen(&addr, &redirect_path, cb_tx));
    say(&format!(
        "Sign in to {} in a browser: open this URL",
        clean(&endpoint.url)
    ));
    // On a line of its own, so it can be copied (or clicked) whole.
    println!("{}", pending.authorize_url);
    let _ = std::io::stdout().flush();
    let desktop = callboard_tui::clipboard::Desktop::detect();
    let opened = !options.no_browser
        && match callboard_tui::clipboard::open_plan(&pending.authorize_url, &desktop) {
            callboard_tui::clipboard::OpenPlan::Launch(program) => {
                callboard_tui::clipboard::launch(program, &pending.authorize_url).is_ok()
            }
            _ => false,
        };
    if opened {
        say("(opened in your browser)");
    }
    match &loopback {
        Ok(_) => say(&format!(
            "Waiting for the browser to come back to {}.\n\
             Over SSH without a port forward the browser ends on a page that cannot load: copy that page's \
             address (it starts with {}?code=) and paste it here, then press Enter.",
            pending.redirect_uri, pending.redirect_uri
        )),
        Err(why) => say(&format!(
            "note: {why}, so the browser cannot come back by itself.\n\
             After approving, copy the address of the page the browser ends on (it starts with {}?code=) \
             and paste it here, then press Enter.",
            pending.redirect_uri
        )),
    }
    say("(Ctrl-C cancels)");
    let stdin_tx = tx.clone();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { return };
            if stdin_tx.send(Input::Pasted(line)).is_err() {
                return;
            }
        }
    });
    let cancel = Cancel::new();
    let _ctrl_c = session.remotes.cancel_on_ctrl_c(&cancel, || {});
    let deadline = Instant::now() + options.timeout;
    let code = loop {
        if cancel.is_cancelled() {
            say("callboard: login cancelled; nothing was stored");
            return Ok(EXIT_ERROR);
        }
        let now = Instant::now();
        if now >= deadline {
            say(&format!(
                "callboard: login timed out after {} s without an answer from the browser; nothing was stored. Run it again (--timeout SECS waits longer).",
                options.timeout.as_secs()
            ));
            return Ok(EXIT_ERROR);
        }
        let input = match rx.recv_timeout((deadline - now).min(Duration::from_millis(200))) {
            Ok(i) => i,
            Err(_) => continue,
        };
        let (text, pasted) = match &input {
            Input::Callback(t) => (t.as_str(), false),
            Input::Pasted(t) => (t.as_str(), true),
        };
        if pasted && text.trim().is_empty() {
            continue;
        }
        match pending.code_from(text) {
            Some(Ok(code)) => break code,
            Some(Err(e)) if e.message.contains("state") => {
                say(&format!("callboard: {}; still waiting", clean(&e.message)));
            }
            Some(Err(e)) => {
                say(&format!("callboard: login: {}", clean(&e.message)));
                return Ok(EXIT_NO);
            }
            None if pasted => say(
                "that is not the callback address: paste the whole address of the page the browser ended on \
                 (http://127.0.0.1:8055/callback?code=…&state=…)",
            ),
            None => {}
        }
    };
    drop(loopback);
    let signin = match session
        .remotes
        .login_finish(name, endpoint, &stores, &pending, &code)
    {
        Ok(s) => s,
        Err(e) => {
            say(&format!("callboard: login: {}", clean(&e.message)));
            return Ok(EXIT_NO);
        }
    };
    let who = signin
        .tokens
        .who()
        .unwrap_or_else(|| "an unnamed user".into());
    say(&format!(
        "Signed in to {} as {} (access token valid until {}; refreshed automatically) in {:.1} s",
        clean(&endpoint.url),
        clean(&who),
        until(signin.tokens.expires_at_ms),
        started.elapsed().as_secs_f64()
    ));
    match &signin.origin {
        Origin::File(p) => say(&format!(
            "notice: no OS keyring service here, so the tokens are in {} (mode 0600, folder 0700)",
            p.display()
        )),
        origin => say(&format!("stored in {}", kept(origin))),
    }
    Ok(EXIT_OK)
}

enum Input {
    Callback(String),
    Pasted(String),
}

fn reqwest_path(uri: &str) -> String {
    uri.split("://")
        .nth(1)
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .unwrap_or_else(|| "/callback".to_string())
}

/// `callboard logout URL|NAME` for a sign-in: revoke the refresh token
/// and delete it. `None`: the target has no sign-in of callboard's.
pub fn logout(session: &Session, arg: &str) -> Option<u8> {
    let Target { name, endpoint } = target(session, arg)?;
    let stores = Stores::from_env();
    match session.remotes.logout(&name, &endpoint, &stores) {
        Ok(None) => None,
        Ok(Some(out)) => {
            let who = out.signin.tokens.who().unwrap_or_default();
            match out.revoked {
                Ok(()) => say(&format!(
                    "signed out of {} ({}): the refresh token was revoked and the sign-in deleted from {}",
                    clean(&endpoint.url),
                    clean(&who),
                    kept(&out.signin.origin)
                )),
                Err(e) => say(&format!(
                    "signed out of {} ({}): deleted from {}, but the refresh token could not be revoked ({})",
                    clean(&endpoint.url),
                    clean(&who),
                    kept(&out.signin.origin),
                    clean(&e.message)
                )),
            }
            Some(EXIT_OK)
        }
        Err(e) => {
            say(&format!("callboard: logout: {}", clean(&e.message)));
            Some(EXIT_ERROR)
        }
    }
}

/// One line of `auth status`.
#[derive(serde::Serialize)]
struct Status {
    url: String,
    source: Option<String>,
    /// keyring, file, env, command, backstage-cli, or none.
    from: String,
    who: Option<String>,
    until: Option<String>,
    detail: String,
}

/// `callboard auth status`: each endpoint, who callboard is there.
pub fn status(session: &Session, out: &mut dyn Write) -> Result<u8> {
    let stores = Stores::from_env();
    let mut rows: Vec<Status> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for source in &session.sources {
        let SourceKind::Remote(endpoint) = &source.kind else {
            continue;
        };
        seen.insert(endpoint.url.clone());
        let configured = match &endpoint.token {
            TokenSource::Env { var, required } => std::env::var(var)
                .ok()
                .filter(|v| !v.trim().is_empty() || *required)
                .map(|_| ("env", format!("token from ${var}"))),
            TokenSource::Command(c) => Some(("command", format!("token from `{c}`"))),
            TokenSource::Keyring { .. } => None,
        };
        if let Some((from, detail)) = configured {
            rows.push(Status {
                url: endpoint.url.clone(),
                source: Some(source.name.clone()),
                from: from.into(),
                who: None,
                until: None,
                detail,
            });
            continue;
        }
        match session.remotes.sign_in(&source.name, endpoint) {
            Some(s) => rows.push(row(Some(&source.name), &s)),
            None => {
                let static_token = matches!(endpoint.token, TokenSource::Keyring { .. })
                    && callboard_io::source::auth::resolve_token(&source.name, &endpoint.token)
                        .is_ok();
                rows.push(Status {
                    url: endpoint.url.clone(),
                    source: Some(source.name.clone()),
                    from: if static_token { "keyring" } else { "none" }.into(),
                    who: None,
                    until: None,
                    detail: if static_token {
                        format!("static token in the OS keyring (callboard/{})", source.name)
                    } else {
                        format!("not signed in: `callboard login {}`", endpoint.url)
                    },
                });
            }
        }
    }
    let others = stores.urls().into_iter().chain(
        backstage_cli::instances(&stores)
            .into_iter()
            .map(|(_, u)| u),
    );
    for url in others {
        if !seen.insert(url.clone()) {
            continue;
        }
        if let Ok(Some(s)) = callboard_io::signin::find(&stores, &url) {
            rows.push(row(None, &s));
        }
    }
    if session.json {
        print_json(out, &rows)?;
        return Ok(EXIT_OK);
    }
    if rows.is_empty() {
        writeln!(
            out,
            "no Backstage endpoints configured and no sign-ins stored"
        )?;
        return Ok(EXIT_NO);
    }
    for r in &rows {
        let who = r.who.as_deref().unwrap_or("-");
        writeln!(
            out,
            "{}{}\n  {}: {}{}",
            clean(&r.url),
            r.source
                .as_ref()
                .filter(|n| **n != r.url)
                .map(|n| format!(" (source '{}')", clean(n)))
                .unwrap_or_default(),
            r.from,
            if r.who.is_some() {
                format!("signed in as {}", clean(who))
            } else {
                clean(&r.detail)
            },
            r.until
                .as_ref()
                .map(|u| format!(", until {u}; {}", clean(&r.detail)))
                .unwrap_or_default()
        )?;
    }
    Ok(EXIT_OK)
}

fn row(source: Option<&str>, s: &SignIn) -> Status {
    let from = match &s.origin {
        Origin::Keyring => "keyring",
        Origin::File(_) => "file",
        Origin::BackstageCli { .. } => "backstage-cli",
    };
    let expired = s.tokens.expires_soon(callboard_io::signin::now_ms());
    Status {
        url: s.tokens.url.clone(),
        source: source.map(str::to_string),
        from: from.into(),
        who: s.tokens.who(),
        until: Some(until(s.tokens.expires_at_ms)),
        detail: format!(
            "{}{}",
            if expired {
                "access token expired, refreshed on next use; "
            } else {
                ""
            },
            kept(&s.origin)
        ),
    }
}
