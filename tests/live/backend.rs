//! The one check for the live backend, shared by every test in this binary.
//!
//! The tests are `#[ignore]`d, so a plain `cargo test` lists them as ignored.
//! Run on purpose (`--include-ignored`, `--ignored`) without the backend,
//! they fail with this message instead of passing without testing anything.

/// Where the live backend answers, and a token it accepts.
pub struct Live {
    pub url: String,
    pub token: String,
}

impl Live {
    /// `callboard --endpoint URL` with the live token, its cache and home
    /// under `home`, no keyring, no colour, no config from the environment.
    pub fn callboard(&self, home: &std::path::Path) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_callboard"));
        c.arg("--cache-dir")
            .arg(home.join("cache"))
            .args(["--endpoint", &self.url])
            .env("CALLBOARD_TOKEN", &self.token)
            .env("HOME", home)
            .env("CALLBOARD_KEYRING", "none")
            .env("NO_COLOR", "1")
            .env_remove("CALLBOARD_CONFIG")
            .env_remove("CALLBOARD_CACHE_DIR");
        c
    }
}

/// The live backend from `CALLBOARD_LIVE_URL` and `CALLBOARD_LIVE_TOKEN`;
/// panics, saying how to get one, when either is unset or empty.
pub fn require_live() -> Live {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (var("CALLBOARD_LIVE_URL"), var("CALLBOARD_LIVE_TOKEN")) {
        (Some(url), Some(token)) => Live { url, token },
        (url, _) => panic!(
            "needs the live backend: set CALLBOARD_LIVE_URL and CALLBOARD_LIVE_TOKEN ({} not set). \
             `../shared/backstage/start.sh` starts one on http://127.0.0.1:7007 with the token \
             test-token-0123456789; .ci/run does this. This test is #[ignore]d: it runs only with \
             --include-ignored or --ignored.",
            if url.is_none() {
                "CALLBOARD_LIVE_URL"
            } else {
                "CALLBOARD_LIVE_TOKEN"
            }
        ),
    }
}
