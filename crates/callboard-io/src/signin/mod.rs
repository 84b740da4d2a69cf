//! Signing in as a user: the OAuth flow of `backstage-cli auth login`
//! ([`flow`]: client metadata as the client id, PKCE S256, a loopback
//! callback or the redirected URL pasted), where the tokens live
//! ([`store`]: the OS keyring or 0600 files; [`backstage_cli`]: reusing
//! backstage-cli's own sign-in), and keeping the access token fresh
//! ([`refresh`], under a cross-process lock, because the backend rotates
//! refresh tokens: two processes refreshing with the same one would log
//! each other out).
//!
//! Tokens are held in [`Tokens`], whose `Debug` prints no secret; errors
//! never quote a token or a server's answer that might hold one.

pub mod backstage_cli;
pub mod flow;
pub mod keytar;
pub mod pkce;
pub mod remotes;
pub mod store;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::source::auth::Secret;
pub use store::Stores;

/// Refresh an access token this long before it expires.
pub const REFRESH_MARGIN_MS: u64 = 2 * 60 * 1000;

/// One sign-in: the tokens for a backend, and who they belong to.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// The backend's base URL (normalized).
    pub url: String,
    pub client_id: String,
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// When the access token expires, ms since the epoch.
    pub expires_at_ms: u64,
    /// `user:default/bob`, from the userinfo endpoint or the token's `sub`.
    #[serde(default)]
    pub principal: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("url", &self.url)
            .field("principal", &self.principal)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    pub fn access(&self) -> Secret {
        Secret::new(self.access_token.clone())
    }

    /// Expired, or expiring within [`REFRESH_MARGIN_MS`].
    pub fn expires_soon(&self, now_ms: u64) -> bool {
        now_ms.saturating_add(REFRESH_MARGIN_MS) >= self.expires_at_ms
    }

    /// Who: the recorded principal, else the access token's `sub`.
    pub fn who(&self) -> Option<String> {
        self.principal
            .clone()
            .or_else(|| jwt_claim(&self.access_token, "sub"))
    }
}

/// A claim of a JWT's payload (unverified: for display and keys only).
pub fn jwt_claim(token: &str, claim: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get(claim)?.as_str().map(str::to_string)
}

/// Where a sign-in was found (and a refresh writes back to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// callboard's entry in the OS keyring.
    Keyring,
    /// callboard's 0600 file.
    File(PathBuf),
    /// backstage-cli's instance `instance`, its secrets in keytar's Secret
    /// Service items or its files.
    BackstageCli { instance: String },
}

impl Origin {
    /// In words, for `auth status` and messages.
    pub fn describe(&self) -> String {
        match self {
            Origin::Keyring => "keyring".to_string(),
            Origin::File(p) => format!("file {}", p.display()),
            Origin::BackstageCli { instance } => format!("backstage-cli (instance {instance})"),
        }
    }
}

/// A sign-in and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub tokens: Tokens,
    pub origin: Origin,
}

/// Why signing in, refreshing or signing out failed. Never holds a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SignInError {
    pub kind: SignInErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInErrorKind {
    /// The backend has no CLI sign-in (no Client ID Metadata Documents).
    NotEnabled,
    /// The refresh token was refused (expired, revoked, rotated away).
    Expired,
    /// The browser came back with another `state`, or an `error`.
    Refused,
    Network,
    /// Plain HTTP to a host other than this machine, not allowed for the
    /// source (`allow_insecure_http`).
    Insecure,
    BadResponse,
    Store,
    TimedOut,
    Cancelled,
}

impl SignInError {
    pub fn new(kind: SignInErrorKind, message: impl Into<String>) -> SignInError {
        SignInError {
            kind,
            message: message.into(),
        }
    }
}

/// The sign-in for `url`: callboard's own, else backstage-cli's.
pub fn find(stores: &Stores, url: &str) -> Result<Option<SignIn>, SignInError> {
    let store_error = |e: String| SignInError::new(SignInErrorKind::Store, e);
    if let Some(s) = stores.load(url).map_err(store_error)? {
        return Ok(Some(s));
    }
    backstage_cli::load(stores, url).map_err(store_error)
}

/// The sign-in as it is stored now at `origin` (another process may have
/// refreshed it).
fn reread(stores: &Stores, current: &SignIn) -> Result<Option<SignIn>, String> {
    match &current.origin {
        Origin::BackstageCli { .. } => backstage_cli::load(stores, &current.tokens.url),
        _ => stores.load(&current.tokens.url),
    }
}

fn write_back(stores: &Stores, signin: &SignIn) -> Result<(), String> {
    match &signin.origin {
        Origin::BackstageCli { instance } => backstage_cli::save(stores, instance, &signin.tokens),
        origin => stores.save(&signin.tokens, Some(origin)).map(|_| ()),
    }
}

fn lock_key(signin: &SignIn) -> String {
    match &signin.origin {
        Origin::BackstageCli { instance } => format!("backstage-cli:{instance}"),
        _ => signin.tokens.url.clone(),
    }
}

/// A fresh access token for `current`: under the cross-process lock, the
/// store is read again first: when another process refreshed meanwhile,
/// its tokens are taken as they are; otherwise the refresh token is
/// exchanged (`grant_type=refresh_token`) and the rotated pair written
/// back where it came from. `force`: refresh even if the stored access
/// token looks valid (the server refused it).
pub async fn refresh(
    http: &reqwest::Client,
    stores: &Stores,
    current: &SignIn,
    force: bool,
    now_ms: impl Fn() -> u64,
) -> Result<SignIn, SignInError> {
    let store_error = |e: String| SignInError::new(SignInErrorKind::Store, e);
    let _lock = stores.lock(&lock_key(current)).map_err(store_error)?;
    let stored = reread(stores, current)
        .map_err(store_error)?
        .ok_or_else(|| {
            SignInError::new(
                SignInErrorKind::Expired,
                format!(
                    "the sign-in to {} was removed (signed out?); run `callboard login {}`",
                    current.tokens.url, current.tokens.url
                ),
            )
        })?;
    let changed = stored.tokens.access_token != current.tokens.access_token;
    if (changed || !force) && !stored.tokens.expires_soon(now_ms()) {
        return Ok(stored);
    }
    let refresh_token = stored.tokens.refresh_token.clone().ok_or_else(|| {
        SignInError::new(
            SignInErrorKind::Expired,
            format!(
                "the sign-in to {} has expired and has no refresh token; run `callboard login {}`",
                stored.tokens.url, stored.tokens.url
            ),
        )
    })?;
    let answer = flow::token_request(
        http,
        &stored.tokens.url,
        &serde_json::json!({"grant_type": "refresh_token", "refresh_token": refresh_token}),
    )
    .await
    .map_err(|e| match e.kind {
        SignInErrorKind::Refused => SignInError::new(
            SignInErrorKind::Expired,
            format!(
                "the sign-in to {} ({}) has expired or was revoked: {}; run `callboard login {}`",
                stored.tokens.url,
                stored.origin.describe(),
                e.message,
                stored.tokens.url
            ),
        ),
        _ => e,
    })?;
    let mut tokens = stored.tokens.clone();
    tokens.access_token = answer.access_token;
    if let Some(r) = answer.refresh_token {
        tokens.refresh_token = Some(r);
    }
    tokens.expires_at_ms = now_ms() + answer.expires_in_s * 1000;
    if let Some(sub) = jwt_claim(&tokens.access_token, "sub") {
        tokens.principal = Some(sub);
    }
    let signin = SignIn {
        tokens,
        origin: stored.origin,
    };
    write_back(stores, &signin).map_err(store_error)?;
    Ok(signin)
}

/// Milliseconds since the epoch, by the wall clock.
pub fn now_ms() -> u64 {
    crate::clock::Clock::System.now_ms()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sub_of_a_jwt_is_read_and_tokens_never_print() {
        use base64::Engine;
        let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let jwt = format!(
            "{}.{}.sig",
            enc("{\"alg\":\"none\"}"),
            enc("{\"sub\":\"user:default/bob\",\"exp\":1}")
        );
        assert_eq!(jwt_claim(&jwt, "sub").as_deref(), Some("user:default/bob"));
        assert_eq!(jwt_claim("opaque", "sub"), None);
        let t = Tokens {
            url: "http://x".into(),
            client_id: "c".into(),
            access_token: jwt.clone(),
            refresh_token: Some("refresh-secret".into()),
            expires_at_ms: 10 * REFRESH_MARGIN_MS,
            principal: None,
        };
        assert_eq!(t.who().as_deref(), Some("user:default/bob"));
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("refresh-secret") && !shown.contains(&jwt),
            "{shown}"
        );
        assert!(!t.expires_soon(0));
        assert!(t.expires_soon(9 * REFRESH_MARGIN_MS));
    }
}
