//! Signing in and out through the [`Remotes`] registry (its runtime and
//! the endpoint's HTTP client, so `ca_cert` and proxies apply).

use super::flow::{self, Pending};
use super::{find, SignIn, SignInError, SignInErrorKind, Stores};
use crate::config::Endpoint;
use crate::remotes::Remotes;

/// What `logout` did.
#[derive(Debug)]
pub struct SignedOut {
    pub signin: SignIn,
    /// `Err`: the refresh token could not be revoked (it was deleted anyway).
    pub revoked: Result<(), SignInError>,
}

impl Remotes {
    fn http_for(&self, name: &str, endpoint: &Endpoint) -> Result<reqwest::Client, SignInError> {
        let connection = self.connection(name, endpoint);
        // Codes and refresh tokens are as secret as the token itself.
        connection
            .check_token_transport()
            .map_err(|e| SignInError::new(SignInErrorKind::Insecure, e))?;
        connection
            .http()
            .map_err(|e| SignInError::new(SignInErrorKind::Network, e))
    }

    /// Step 1 of `callboard login`: the client metadata and the authorize URL.
    pub fn login_begin(&self, name: &str, endpoint: &Endpoint) -> Result<Pending, SignInError> {
        let http = self.http_for(name, endpoint)?;
        self.block_on(flow::begin(&http, &endpoint.url))
    }

    /// The last steps: the code for tokens, who they belong to, stored
    /// (keyring, else a file). The endpoint's connection uses it from now on.
    pub fn login_finish(
        &self,
        name: &str,
        endpoint: &Endpoint,
        stores: &Stores,
        pending: &Pending,
        code: &str,
    ) -> Result<SignIn, SignInError> {
        let http = self.http_for(name, endpoint)?;
        let mut tokens = self.block_on(pending.exchange(&http, code, super::now_ms()))?;
        if let Some(who) = self.block_on(flow::userinfo(&http, &tokens)) {
            tokens.principal = Some(who);
        }
        let origin = stores
            .save(&tokens, None)
            .map_err(|e| SignInError::new(SignInErrorKind::Store, e))?;
        self.connection(name, endpoint).forget_all();
        Ok(SignIn { tokens, origin })
    }

    /// `callboard logout`: revoke the refresh token and delete callboard's
    /// sign-in for the URL. `None`: there was none.
    pub fn logout(
        &self,
        name: &str,
        endpoint: &Endpoint,
        stores: &Stores,
    ) -> Result<Option<SignedOut>, SignInError> {
        let store_error = |e: String| SignInError::new(SignInErrorKind::Store, e);
        let Some(signin) = stores.load(&endpoint.url).map_err(store_error)? else {
            return Ok(None);
        };
        let http = self.http_for(name, endpoint)?;
        let revoked = self.block_on(flow::revoke(&http, &signin.tokens));
        stores.delete(&endpoint.url).map_err(store_error)?;
        self.connection(name, endpoint).forget_all();
        Ok(Some(SignedOut { signin, revoked }))
    }

    /// The sign-in an endpoint would use now (no network).
    pub fn sign_in(&self, name: &str, endpoint: &Endpoint) -> Option<SignIn> {
        self.connection(name, endpoint).sign_in()
    }

    /// Make sure the endpoint's sign-in has a valid access token
    /// (refreshing it if needed); the sign-in as it is then.
    pub fn fresh_sign_in(&self, name: &str, endpoint: &Endpoint) -> Result<Option<SignIn>, String> {
        let connection = self.connection(name, endpoint);
        self.block_on(connection.token())
            .map_err(|e| e.to_string())?;
        Ok(connection.sign_in())
    }
}

/// callboard's or backstage-cli's sign-in for a URL, without a connection.
pub fn stored(stores: &Stores, url: &str) -> Result<Option<SignIn>, SignInError> {
    find(stores, url)
}

#[cfg(test)]
mod tests {
    //! Faults against loopback fakes of the auth backend.

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use serde_json::{json, Value};

    use super::*;
    use crate::signin::{Origin, Tokens};
    use crate::source::backstage::{ErrorKind, RetryPolicy};
    use crate::test_server::{Answer, Request, TestServer};

    fn endpoint(server: &TestServer) -> Endpoint {
        // `--endpoint URL` without CALLBOARD_TOKEN: an unset variable the
        // test never sets.
        let mut e = Endpoint::from_url(&server.url());
        e.token = crate::config::TokenSource::Env {
            var: "CALLBOARD_TEST_SIGNIN_UNSET_VAR".into(),
            required: false,
        };
        e
    }

    fn seed(stores: &Stores, url: &str, access: &str, refresh: &str, expires_at_ms: u64) {
        stores
            .save(
                &Tokens {
                    url: url.into(),
                    client_id: format!("{url}/api/auth/.well-known/oauth-client/cli.json"),
                    access_token: access.into(),
                    refresh_token: Some(refresh.into()),
                    expires_at_ms,
                    principal: Some("user:default/bob".into()),
                },
                None,
            )
            .unwrap();
    }

    #[test]
    fn no_sign_in_over_plain_http_to_another_host() {
        let remotes = Remotes::new();
        // Refused before any connection is made (nothing listens there).
        let mut e = Endpoint::from_url("http://backstage.example.invalid");
        let refused = remotes.login_begin("far", &e).unwrap_err();
        assert_eq!(refused.kind, SignInErrorKind::Insecure);
        assert!(refused.message.contains("plain HTTP"), "{}", refused.message);
        e.allow_insecure_http = true;
        let opted_in = remotes.login_begin("far-ok", &e).unwrap_err();
        assert_ne!(opted_in.kind, SignInErrorKind::Insecure);
    }

    fn count_body() -> Value {
        json!({"items": [], "totalItems": 3, "pageInfo": {}})
    }

    fn body(r: &Request) -> Value {
        serde_json::from_slice(&r.body).unwrap_or(Value::Null)
    }

    #[test]
    fn an_expired_refresh_token_says_to_sign_in_again_without_quoting_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::files_only(dir.path());
        let server = TestServer::start(|r: &Request| {
            if r.target.starts_with("/api/auth/v1/token") {
                Answer::json(
                    400,
                    json!({"error": "invalid_grant", "error_description": "Invalid refresh token"}),
                )
            } else {
                Answer::json(401, json!({}))
            }
        });
        let ep = endpoint(&server);
        seed(&stores, &ep.url, "acc-old-123", "ref-dead-123", 1);
        let remotes = Remotes::with_stores(stores.clone());
        let e = remotes
            .remote(&ep.url, &ep, RetryPolicy::quick())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Token, "{e}");
        let text = e.to_string();
        assert!(
            text.contains("expired or was revoked") && text.contains("callboard login"),
            "{text}"
        );
        assert!(
            !text.contains("acc-old") && !text.contains("ref-dead"),
            "{text}"
        );
        let refreshes: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| r.target.starts_with("/api/auth/v1/token"))
            .collect();
        assert_eq!(refreshes.len(), 1);
        assert_eq!(body(&refreshes[0])["grant_type"], "refresh_token");
        assert_eq!(body(&refreshes[0])["refresh_token"], "ref-dead-123");
    }

    /// A backend whose catalog accepts only the access token in `accepted`
    /// and whose token endpoint hands out `acc-N` / `ref-N`, rotating:
    /// each refresh token works once.
    fn rotating_backend(accepted: Arc<Mutex<Option<String>>>) -> (TestServer, Arc<AtomicUsize>) {
        let issued = Arc::new(AtomicUsize::new(0));
        let valid_refresh = Arc::new(Mutex::new("ref-0".to_string()));
        let n = issued.clone();
        let server = TestServer::start(move |r: &Request| {
            if r.target.starts_with("/api/auth/v1/token") {
                let sent = body(r)["refresh_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let mut valid = valid_refresh.lock().unwrap();
                if sent != *valid {
                    return Answer::json(400, json!({"error": "invalid_grant"}));
                }
                let i = n.fetch_add(1, Ordering::SeqCst) + 1;
                *valid = format!("ref-{i}");
                return Answer::json(
                    200,
                    json!({"access_token": format!("acc-{i}"), "refresh_token": format!("ref-{i}"),
                           "expires_in": 3600, "token_type": "Bearer"}),
                );
            }
            let ok = accepted
                .lock()
                .unwrap()
                .as_ref()
                .is_none_or(|a| r.authorization.as_deref() == Some(&format!("Bearer {a}")));
            let any_new = r
                .authorization
                .as_deref()
                .is_some_and(|a| a != "Bearer acc-0");
            if ok && any_new {
                Answer::json(200, count_body())
            } else {
                Answer::json(401, json!({"error": {"name": "AuthenticationError"}}))
            }
        });
        (server, issued)
    }

    #[test]
    fn a_401_refreshes_once_and_retries_and_a_second_401_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::files_only(dir.path());
        // The catalog accepts any refreshed token (not acc-0).
        let accepted = Arc::new(Mutex::new(None));
        let (server, issued) = rotating_backend(accepted.clone());
        let ep = endpoint(&server);
        // Not expired by the clock, but refused by the server.
        seed(&stores, &ep.url, "acc-0", "ref-0", u64::MAX / 2);
        let remotes = Remotes::with_stores(stores.clone());
        let remote = remotes.remote(&ep.url, &ep, RetryPolicy::quick()).unwrap();
        assert_eq!(remotes.block_on(remote.count()).unwrap(), 3);
        assert_eq!(issued.load(Ordering::SeqCst), 1);
        let stored = stores.load(&ep.url).unwrap().unwrap();
        assert_eq!(stored.tokens.access_token, "acc-1");
        assert_eq!(stored.tokens.refresh_token.as_deref(), Some("ref-1"));
        assert!(matches!(stored.origin, Origin::File(_)));

        // Now the server refuses even a fresh token: one refresh, then the 401.
        *accepted.lock().unwrap() = Some("nothing-matches".into());
        let remote = remotes.remote(&ep.url, &ep, RetryPolicy::quick()).unwrap();
        let e = remotes.block_on(remote.count()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unauthorized, "{e}");
        assert_eq!(issued.load(Ordering::SeqCst), 2, "one refresh, no loop");
        assert!(!e.to_string().contains("acc-"), "{e}");
    }

    #[test]
    fn two_registries_refreshing_at_once_share_one_rotation() {
        // Two registries are two processes as far as tokens go: each its
        // own connection and cached token; only the file lock and the
        // store are shared.
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::files_only(dir.path());
        let (server, issued) = rotating_backend(Arc::new(Mutex::new(None)));
        let ep = endpoint(&server);
        seed(&stores, &ep.url, "acc-0", "ref-0", 1);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (stores, ep) = (stores.clone(), ep.clone());
                std::thread::spawn(move || {
                    let remotes = Remotes::with_stores(stores);
                    let remote = remotes.remote(&ep.url, &ep, RetryPolicy::quick())?;
                    remotes.block_on(remote.count())
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap().unwrap(), 3);
        }
        assert_eq!(
            issued.load(Ordering::SeqCst),
            1,
            "refreshed once for all four"
        );
        let stored = stores.load(&ep.url).unwrap().unwrap();
        assert_eq!(stored.tokens.refresh_token.as_deref(), Some("ref-1"));
    }

    #[test]
    fn a_backend_without_cli_sign_in_says_so() {
        let server = TestServer::start(|_: &Request| Answer::json(404, json!({})));
        let ep = endpoint(&server);
        let dir = tempfile::tempdir().unwrap();
        let remotes = Remotes::with_stores(Stores::files_only(dir.path()));
        let e = remotes.login_begin(&ep.url, &ep).unwrap_err();
        assert_eq!(e.kind, SignInErrorKind::NotEnabled);
        assert!(
            e.message
                .contains("Client ID Metadata Documents are not enabled on this backend"),
            "{e}"
        );
        assert_eq!(
            server.requests()[0].target,
            "/api/auth/.well-known/oauth-client/cli.json"
        );
    }

    #[test]
    fn login_exchanges_the_code_with_the_verifier_and_stores_the_tokens() {
        let server = TestServer::start(|r: &Request| match r.target.as_str() {
            "/api/auth/.well-known/oauth-client/cli.json" => Answer::json(
                200,
                json!({"client_id": "cid", "redirect_uris": ["http://127.0.0.1:8055/callback"],
                       "scope": "openid offline_access"}),
            ),
            "/api/auth/v1/token" => {
                let b = body(r);
                if b["grant_type"] == "authorization_code"
                    && b["code"] == "the-code"
                    && b["code_verifier"].as_str().is_some_and(|v| v.len() >= 43)
                {
                    Answer::json(
                        200,
                        json!({"access_token": "acc-9", "refresh_token": "ref-9", "expires_in": 60}),
                    )
                } else {
                    Answer::json(400, json!({"error": "invalid_grant"}))
                }
            }
            "/api/auth/v1/userinfo" => {
                Answer::json(200, json!({"claims": {"sub": "user:default/alice"}}))
            }
            "/api/auth/v1/revoke" => Answer::json(200, json!({})),
            _ => Answer::json(404, json!({})),
        });
        let ep = endpoint(&server);
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::files_only(dir.path());
        let remotes = Remotes::with_stores(stores.clone());
        let pending = remotes.login_begin(&ep.url, &ep).unwrap();
        assert!(pending.authorize_url.contains("client_id=cid"));
        let callback = format!("/callback?code=the-code&state={}", pending.state());
        let code = pending.code_from(&callback).unwrap().unwrap();
        let signin = remotes
            .login_finish(&ep.url, &ep, &stores, &pending, &code)
            .unwrap();
        assert_eq!(signin.tokens.who().as_deref(), Some("user:default/alice"));
        assert_eq!(
            remotes.sign_in(&ep.url, &ep).unwrap().tokens.access_token,
            "acc-9"
        );
        let out = remotes.logout(&ep.url, &ep, &stores).unwrap().unwrap();
        out.revoked.unwrap();
        let revoke = server
            .requests()
            .into_iter()
            .find(|r| r.target == "/api/auth/v1/revoke")
            .unwrap();
        assert_eq!(revoke.method, "POST");
        assert_eq!(body(&revoke)["token"], "ref-9");
        assert_eq!(body(&revoke)["client_id"], "cid");
        assert!(stores.load(&ep.url).unwrap().is_none());
        assert!(remotes.sign_in(&ep.url, &ep).is_none());
    }

    /// A catalog of three entities for the static token, two for the
    /// user (`resource:default/secret` filtered out, as permissions do).
    fn permissioned_backend(up: Arc<std::sync::atomic::AtomicBool>) -> TestServer {
        TestServer::start(move |r: &Request| {
            if !up.load(Ordering::SeqCst) {
                return Answer::json(503, json!({}));
            }
            let entity = |kind: &str, name: &str| {
                json!({"apiVersion": "backstage.io/v1alpha1", "kind": kind,
                       "metadata": {"name": name, "namespace": "default", "etag": name},
                       "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
                       "relations": [{"type": "dependsOn", "targetRef": "resource:default/secret"}]})
            };
            let mut items = vec![entity("Component", "svc"), entity("Component", "web")];
            match r.authorization.as_deref() {
                Some("Bearer tok-static") => items.push(entity("Resource", "secret")),
                Some("Bearer acc-user") => {}
                _ => return Answer::json(401, json!({})),
            }
            let n = items.len();
            Answer::json(
                200,
                json!({"items": items, "totalItems": n, "pageInfo": {}}),
            )
        })
    }

    #[test]
    fn a_snapshot_synced_as_someone_else_is_never_shown() {
        use crate::cache::Cache;
        use crate::clock::Clock;
        use crate::config::{Source, SourceKind, TokenSource};
        use std::sync::atomic::AtomicBool;
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::files_only(dir.path());
        let up = Arc::new(AtomicBool::new(true));
        let server = permissioned_backend(up.clone());
        let cache = Cache::new(dir.path().join("cache"));
        let source = |token: TokenSource| {
            let mut e = endpoint(&server);
            e.token = token;
            Source {
                name: "prod".into(),
                kind: SourceKind::Remote(e),
            }
        };
        let open = |remotes: &Remotes, source: &Source| {
            let SourceKind::Remote(e) = &source.kind else {
                unreachable!()
            };
            crate::sync::open_remote(remotes, &cache, source, e, None, true, &Clock::System)
                .unwrap()
                .snapshot
        };
        // Synced with the static token: three entities.
        let as_service = source(TokenSource::Command("printf tok-static".into()));
        let remotes = Remotes::with_stores(stores.clone());
        let s = open(&remotes, &as_service).unwrap();
        assert_eq!(s.info.entity_count, 3);
        assert_eq!(crate::sync::synced_as(&s).as_deref(), Some("static token"));
        drop(s);

        // Now bob signs in; the backend is down. The service's snapshot
        // (with the secret resource) must not answer for him.
        seed(&stores, &server.url(), "acc-user", "ref-user", u64::MAX / 2);
        let as_bob = source(TokenSource::Env {
            var: "CALLBOARD_TEST_SIGNIN_UNSET_VAR".into(),
            required: false,
        });
        let remotes = Remotes::with_stores(stores.clone());
        up.store(false, Ordering::SeqCst);
        assert!(
            open(&remotes, &as_bob).is_none(),
            "not shown, not even offline"
        );
        // Back up: a full sync as bob; two entities, the secret gone.
        up.store(true, Ordering::SeqCst);
        let s = open(&remotes, &as_bob).unwrap();
        assert_eq!(s.info.entity_count, 2);
        assert!(s.entity("resource:default/secret").unwrap().is_none());
        assert_eq!(
            crate::sync::synced_as(&s).as_deref(),
            Some("user:default/bob")
        );
        let store = crate::cache::Store::new(vec![s]);
        assert!(store.read_as_user("prod"));
        // ... and the relation to it is "not visible", not dangling.
        let detail = crate::detail::entity_detail(
            &store,
            std::slice::from_ref(&as_bob),
            cache.dir(),
            "component:default/svc",
        )
        .unwrap();
        let rel = &detail.report.relations[0];
        assert!(rel.not_visible && !rel.dangling, "{rel:?}");
        // The service's view again: bob's snapshot is not shown to it.
        let remotes = Remotes::with_stores(stores.clone());
        up.store(false, Ordering::SeqCst);
        assert!(open(&remotes, &as_service).is_none());
    }
}
