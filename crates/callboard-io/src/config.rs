//! The config file (YAML, in the XDG config dir) and the paths callboard uses.
//!
//! ```yaml
//! sources:
//!   - name: prod                          # a Backstage backend
//!     url: https://backstage.example.com
//!     token: {keyring: true}              # or {env: VAR} or {command: "pass show backstage"}
//!     filter: {kinds: [Component, API], namespaces: [default]}
//!   - name: platform
//!     paths: [~/src/platform, ~/src/payments/catalog-info.yaml]
//! rules:
//!   allow: [Component, API, Resource, System, Domain, Group, User, Location, Template]
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub rules: Rules,
    /// Overrides the XDG cache dir.
    #[serde(default)]
    pub cache_dir: Option<String>,
    /// Largest descriptor file a local source reads, in MiB (default 256;
    /// see `source::local::DEFAULT_MAX_FILE_BYTES`).
    #[serde(default)]
    pub max_file_mb: Option<u64>,
    /// TUI key bindings: action name -> key or list of keys (`page_down: ctrl-f`).
    /// A listed action's default keys are replaced; see `callboard` then `?`.
    #[serde(default)]
    pub keys: indexmap::IndexMap<String, KeyList>,
    /// TUI colour theme: `auto` (the default: from the terminal's
    /// background), `dark` (or `default`), `light` or `mono` (`NO_COLOR`
    /// forces `mono`).
    #[serde(default)]
    pub theme: Option<String>,
    /// Per-company hosts that turn annotations into links (PagerDuty,
    /// Grafana, Sentry, Argo CD, Jenkins, …).
    #[serde(default)]
    pub surfaces: SurfacesConfig,
    /// Scorecard levels and rules (`callboard score`, the Health section).
    #[serde(default)]
    pub scorecards: ScorecardsConfig,
}

/// The `scorecards:` section: levels lowest first, and rules (each a
/// check, the level it counts for, and optionally the kinds it applies
/// to). Rules given replace the default rules.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScorecardsConfig {
    #[serde(default)]
    pub levels: Option<Vec<String>>,
    #[serde(default)]
    pub rules: Option<Vec<ScorecardRuleConfig>>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScorecardRuleConfig {
    pub check: String,
    pub level: String,
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
}

impl ScorecardsConfig {
    /// The scorecard the core scores with (the defaults when unset).
    pub fn scorecard(&self) -> Result<callboard_core::health::Scorecard> {
        let rules = self.rules.as_ref().map(|rules| {
            rules
                .iter()
                .map(|r| callboard_core::health::levels::RuleSpec {
                    check: r.check.clone(),
                    level: r.level.clone(),
                    kinds: r.kinds.clone(),
                })
                .collect()
        });
        Ok(callboard_core::health::Scorecard::from_config(
            self.levels.clone(),
            rules,
        )?)
    }
}

/// The `surfaces:` section: base URLs of the tools whose host varies per
/// company. `pagerduty` may be the account's subdomain alone.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SurfacesConfig {
    #[serde(default)]
    pub github: Option<String>,
    #[serde(default)]
    pub gitlab: Option<String>,
    #[serde(default)]
    pub pagerduty: Option<String>,
    #[serde(default)]
    pub opsgenie: Option<String>,
    #[serde(default)]
    pub grafana: Option<String>,
    #[serde(default)]
    pub sentry: Option<String>,
    #[serde(default)]
    pub sonarqube: Option<String>,
    #[serde(default)]
    pub argocd: Option<String>,
    #[serde(default)]
    pub jenkins: Option<String>,
}

impl SurfacesConfig {
    /// The hosts as the core reads them.
    pub fn hosts(&self) -> callboard_core::catalog::surfaces::SurfaceHosts {
        callboard_core::catalog::surfaces::SurfaceHosts {
            github: self.github.clone(),
            gitlab: self.gitlab.clone(),
            pagerduty: self.pagerduty.clone(),
            opsgenie: self.opsgenie.clone(),
            grafana: self.grafana.clone(),
            sentry: self.sentry.clone(),
            sonarqube: self.sonarqube.clone(),
            argocd: self.argocd.clone(),
            jenkins: self.jenkins.clone(),
        }
    }

    fn check(&self) -> Result<()> {
        let hosts = [
            ("github", &self.github),
            ("gitlab", &self.gitlab),
            ("opsgenie", &self.opsgenie),
            ("grafana", &self.grafana),
            ("sentry", &self.sentry),
            ("sonarqube", &self.sonarqube),
            ("argocd", &self.argocd),
            ("jenkins", &self.jenkins),
        ];
        for (key, value) in hosts {
            if let Some(url) = value {
                check_url(&format!("surfaces.{key}"), url)?;
            }
        }
        if let Some(pd) = &self.pagerduty {
            if pd.contains("://") {
                check_url("surfaces.pagerduty", pd)?;
            } else if pd.is_empty() || !pd.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                bail!("surfaces.pagerduty: give the account's subdomain (acme for https://acme.pagerduty.com) or its URL");
            }
        }
        Ok(())
    }
}

/// One key (`ctrl-d`) or several (`[j, down]`) bound to a TUI action.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            KeyList::One(k) => vec![k.as_str()],
            KeyList::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

/// One catalog source. Local sources list roots: folders are scanned for
/// `catalog-info.yaml`, files are read as they are; Locations are followed.
/// Remote sources give the `url` of a Backstage backend instead.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    /// Base URL of a Backstage backend (the one that serves `/api/catalog`).
    #[serde(default)]
    pub url: Option<String>,
    /// Where the endpoint's token comes from (default: the OS keyring).
    #[serde(default)]
    pub token: Option<TokenConfig>,
    /// Only these kinds / namespaces (filtered by the server).
    #[serde(default)]
    pub filter: Option<FilterConfig>,
    /// Entities per page (default 1000).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Seconds to wait to connect, or for the next bytes of an answer (default 30).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Extra CA certificate (PEM) trusted for this endpoint, besides the system's.
    #[serde(default)]
    pub ca_cert: Option<String>,
    /// Commands refresh this endpoint's snapshot when it is older than this
    /// (default 3600; 0 = only `callboard sync` refreshes it).
    #[serde(default)]
    pub refresh_after_secs: Option<u64>,
    /// The longest one request may take in all, its answer's body included
    /// (default 120).
    #[serde(default)]
    pub request_deadline_secs: Option<u64>,
    /// The largest answer read from this endpoint, in MiB (default 64).
    #[serde(default)]
    pub max_answer_mb: Option<u64>,
    /// The largest TechDocs page downloaded from this endpoint, in MiB
    /// (default 4: twice the 2 MiB of text a docs page shows, as HTML is
    /// bigger than its text). A bigger page is not downloaded nor cached.
    #[serde(default)]
    pub max_docs_page_mb: Option<u64>,
    /// Send the token over plain `http://` to a host that is not this
    /// machine (default false: refused, as anyone on the way could read it).
    #[serde(default)]
    pub allow_insecure_http: Option<bool>,
}

/// How to get an endpoint's token. Exactly one of the three; the token
/// itself never goes in the config file (a string there is refused, and the
/// error does not repeat it).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(try_from = "serde_json::Value")]
pub struct TokenConfig {
    /// `keyring: true`: the OS keyring entry written by `callboard login NAME
    /// --token`, else the sign-in of `callboard login NAME` for the URL.
    #[serde(default)]
    pub keyring: Option<bool>,
    /// An environment variable that holds the token.
    #[serde(default)]
    pub env: Option<String>,
    /// A shell command (`sh -c`) whose standard output is the token.
    #[serde(default)]
    pub command: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFields {
    #[serde(default)]
    keyring: Option<bool>,
    #[serde(default)]
    env: Option<String>,
    #[serde(default)]
    command: Option<String>,
}

impl TryFrom<serde_json::Value> for TokenConfig {
    type Error = String;

    fn try_from(value: serde_json::Value) -> std::result::Result<Self, Self::Error> {
        match value {
            serde_json::Value::Object(_) => serde_json::from_value::<TokenFields>(value)
                .map(|t| TokenConfig {
                    keyring: t.keyring,
                    env: t.env,
                    command: t.command,
                })
                .map_err(|e| format!("token: {e}")),
            serde_json::Value::String(_) => Err(
                "the token itself must not be written in the config file; use `token: {keyring: true}` \
                 (then `callboard login NAME`), `token: {env: VAR}` or `token: {command: \"...\"}`"
                    .to_string(),
            ),
            _ => Err("'token' takes one of {keyring: true}, {env: VAR} or {command: \"...\"}".to_string()),
        }
    }
}

/// Server-side filter of a remote source.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub namespaces: Vec<String>,
}

/// Backstage's `catalog.rules`: which kinds a source may bring in.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub allow: Option<Vec<String>>,
}

impl Config {
    /// The configured file size limit in bytes, if any.
    pub fn max_file_bytes(&self) -> Option<u64> {
        self.max_file_mb.map(|mb| mb.saturating_mul(1024 * 1024))
    }
}

/// A source ready to sync.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: String,
    pub kind: SourceKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    Local {
        roots: Vec<PathBuf>,
    },
    /// The catalog embedded in the binary, unpacked into the cache dir.
    Demo,
    /// A Backstage backend, read through its catalog REST API.
    Remote(Endpoint),
}

/// A Backstage backend to sync from.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Base URL without a trailing slash (`https://backstage.example.com`).
    pub url: String,
    pub token: TokenSource,
    /// Server-side filter: kinds (any of) and namespaces (any of).
    pub kinds: Vec<String>,
    pub namespaces: Vec<String>,
    pub page_size: u32,
    /// Connect timeout, and the longest wait for the next bytes of an answer.
    pub timeout: std::time::Duration,
    pub ca_cert: Option<PathBuf>,
    /// Commands refresh a snapshot older than this; `None`: only `sync` does.
    pub refresh_after: Option<std::time::Duration>,
    /// The longest one request may take in all, body included.
    pub deadline: std::time::Duration,
    /// The largest answer read, in bytes.
    pub max_answer_bytes: u64,
    /// The largest TechDocs page downloaded, in bytes.
    pub max_docs_page_bytes: u64,
    /// The token may go over plain HTTP to a non-loopback host.
    pub allow_insecure_http: bool,
}

/// Where a token comes from. Holds no secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The OS keyring: service `callboard`, user = the endpoint's name.
    Keyring { user: String },
    /// An environment variable; `required: false` sends no token when unset.
    Env { var: String, required: bool },
    /// `sh -c COMMAND`, the token read from its standard output.
    Command(String),
}

impl TokenSource {
    /// How the token is obtained, in words (for error messages).
    pub fn describe(&self) -> String {
        match self {
            TokenSource::Keyring { user } => format!("the OS keyring entry 'callboard/{user}'"),
            TokenSource::Env { var, .. } => format!("the environment variable {var}"),
            TokenSource::Command(cmd) => format!("the output of `{cmd}`"),
        }
    }

    /// What to do about a missing or refused token.
    pub fn how_to_fix(&self, source: &str) -> String {
        match self {
            TokenSource::Keyring { .. } => format!(
                "run `callboard login {source}` to sign in (or `callboard login {source} --token` to store a static token), or set `token: {{env: VAR}}` or `token: {{command: ...}}` for the source"
            ),
            TokenSource::Env { var, .. } => format!("set {var} to a valid token"),
            TokenSource::Command(cmd) => format!("make `{cmd}` print a valid token"),
        }
    }
}

/// Defaults for remote sources. The page size was measured against the
/// real backend at 10k entities (`benches/remote_sync.sh`): full sync
/// medians 0.56 / 0.53 / 0.50 / 0.46 s at 200 / 500 / 1000 / 2000 a page;
/// past 1000 little is gained for twice the memory a page in flight takes.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// The longest one request may take in all, its body included.
pub const DEFAULT_REQUEST_DEADLINE_SECS: u64 = 120;
/// The largest answer read from an endpoint, in MiB.
pub const DEFAULT_MAX_ANSWER_MB: u64 = 64;
/// The default TechDocs page cap: the HTML a docs page may show (twice
/// `callboard_core::docs::MAX_PAGE_BYTES` of text).
pub const DEFAULT_MAX_DOCS_PAGE_MB: u64 = 4;
pub const DEFAULT_REFRESH_AFTER_SECS: u64 = 3600;

impl Endpoint {
    /// An endpoint given on the command line: token from `CALLBOARD_TOKEN`
    /// (none when unset), defaults for the rest.
    pub fn from_url(url: &str) -> Endpoint {
        Endpoint {
            url: normalize_url(url),
            token: TokenSource::Env {
                var: "CALLBOARD_TOKEN".to_string(),
                required: false,
            },
            kinds: Vec::new(),
            namespaces: Vec::new(),
            page_size: DEFAULT_PAGE_SIZE,
            timeout: std::time::Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            ca_cert: None,
            refresh_after: Some(std::time::Duration::from_secs(DEFAULT_REFRESH_AFTER_SECS)),
            deadline: std::time::Duration::from_secs(DEFAULT_REQUEST_DEADLINE_SECS),
            max_answer_bytes: DEFAULT_MAX_ANSWER_MB << 20,
            max_docs_page_bytes: DEFAULT_MAX_DOCS_PAGE_MB << 20,
            allow_insecure_http: false,
        }
    }
}

/// The backend's base URL: no trailing slash, and no `/api/catalog` (or
/// `/api`) suffix, which people often paste.
pub fn normalize_url(url: &str) -> String {
    let mut u = url.trim().trim_end_matches('/').to_string();
    for suffix in ["/api/catalog", "/api"] {
        if let Some(stripped) = u.strip_suffix(suffix) {
            u = stripped.to_string();
            break;
        }
    }
    u
}

/// A usable backend URL: http(s), a host, no credentials.
pub fn check_url(name: &str, url: &str) -> Result<()> {
    let lower = url.trim().to_ascii_lowercase();
    let authority = lower
        .split("://")
        .last()
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    if authority.contains('@') {
        // Not repeated: it may hold a password.
        bail!(
            "source '{name}': the url carries credentials (user:password@); put the token in the keyring, an env var or a command (see `token:`)"
        );
    }
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .with_context(|| {
            format!("source '{name}': url '{url}' must start with https:// or http://")
        })?;
    if rest.is_empty() || rest.starts_with('/') {
        bail!("source '{name}': url '{url}' has no host");
    }
    if reqwest::Url::parse(url.trim()).is_err() {
        bail!("source '{name}': '{url}' is not a URL (https://backstage.example.com)");
    }
    Ok(())
}

impl Source {
    /// Where it reads from, in words.
    pub fn describe(&self) -> String {
        match &self.kind {
            SourceKind::Local { roots } => roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            SourceKind::Demo => "embedded demo catalog".to_string(),
            SourceKind::Remote(endpoint) => endpoint.url.clone(),
        }
    }
}

/// A config file larger than this is not read.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

impl Config {
    /// Parse a config file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Config> {
        let text = crate::safe_fs::read_regular_text(path, MAX_CONFIG_BYTES)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::parse_at(&text).map_err(|(at, e)| match at {
            Some((line, col)) => anyhow::anyhow!("{}:{line}:{col}: {e}", path.display()),
            None => anyhow::anyhow!("{}: {e}", path.display()),
        })
    }

    pub fn parse(text: &str) -> Result<Config> {
        Self::parse_at(text).map_err(|(at, e)| match at {
            Some((line, col)) => anyhow::anyhow!("{line}:{col}: {e}"),
            None => anyhow::anyhow!("{e}"),
        })
    }

    /// Parse, returning the error's position separately.
    fn parse_at(text: &str) -> std::result::Result<Config, (Option<(usize, usize)>, String)> {
        // A file of comments only is an empty config, not an error.
        let has_content = text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        if !has_content {
            return Ok(Config::default());
        }
        callboard_core::text::yaml_guard::check(text).map_err(|e| (None, e))?;
        let config: Config = serde_norway::from_str(text)
            .map_err(|e| (e.location().map(|l| (l.line(), l.column())), e.to_string()))?;
        config.check().map_err(|e| (None, e.to_string()))?;
        Ok(config)
    }

    fn check(&self) -> Result<()> {
        self.surfaces.check()?;
        self.scorecards.scorecard()?;
        let mut seen = std::collections::HashSet::new();
        for source in &self.sources {
            if source.name.trim().is_empty() {
                bail!("a source has an empty name; give every source a short name");
            }
            if !seen.insert(source.name.as_str()) {
                bail!(
                    "two sources are named '{}'; names must be unique",
                    source.name
                );
            }
            let local = source.path.is_some() || !source.paths.is_empty();
            match (&source.url, local) {
                (Some(_), true) => bail!(
                    "source '{}' has both 'url' and 'path'/'paths'; a source is either a Backstage endpoint or local files",
                    source.name
                ),
                (None, false) => bail!("source '{}' has no 'path' or 'paths' to read (or 'url' of a Backstage backend)", source.name),
                (Some(url), false) => check_url(&source.name, url)?,
                (None, true) => {
                    let remote_only = [
                        ("token", source.token.is_some()),
                        ("filter", source.filter.is_some()),
                        ("page_size", source.page_size.is_some()),
                        ("timeout_secs", source.timeout_secs.is_some()),
                        ("ca_cert", source.ca_cert.is_some()),
                        ("refresh_after_secs", source.refresh_after_secs.is_some()),
                        ("request_deadline_secs", source.request_deadline_secs.is_some()),
                        ("max_answer_mb", source.max_answer_mb.is_some()),
                        ("max_docs_page_mb", source.max_docs_page_mb.is_some()),
                        ("allow_insecure_http", source.allow_insecure_http.is_some()),
                    ];
                    if let Some((key, _)) = remote_only.iter().find(|(_, set)| *set) {
                        bail!("source '{}' reads local files; '{key}' only applies to a 'url' source", source.name);
                    }
                }
            }
            if let Some(token) = &source.token {
                let given = [
                    token.keyring == Some(true),
                    token.env.is_some(),
                    token.command.is_some(),
                ]
                .iter()
                .filter(|b| **b)
                .count();
                if given != 1 {
                    bail!(
                        "source '{}': 'token' takes exactly one of keyring: true, env: VAR or command: \"...\"",
                        source.name
                    );
                }
            }
            if source.page_size == Some(0) {
                bail!("source '{}': page_size must be at least 1", source.name);
            }
            if source.timeout_secs == Some(0) {
                bail!("source '{}': timeout_secs must be at least 1", source.name);
            }
            if source.request_deadline_secs == Some(0) {
                bail!(
                    "source '{}': request_deadline_secs must be at least 1",
                    source.name
                );
            }
            if source.max_answer_mb == Some(0) {
                bail!("source '{}': max_answer_mb must be at least 1", source.name);
            }
            if source.max_docs_page_mb == Some(0) {
                bail!(
                    "source '{}': max_docs_page_mb must be at least 1",
                    source.name
                );
            }
        }
        Ok(())
    }

    /// Sources in priority order, with `~` and relative paths resolved
    /// against `base` (the config file's folder).
    pub fn resolved_sources(&self, base: &Path) -> Vec<Source> {
        self.sources
            .iter()
            .map(|s| Source {
                name: s.name.clone(),
                kind: match &s.url {
                    Some(url) => SourceKind::Remote(s.endpoint(url, base)),
                    None => SourceKind::Local {
                        roots: s
                            .path
                            .iter()
                            .chain(&s.paths)
                            .map(|p| resolve_path(p, base))
                            .collect(),
                    },
                },
            })
            .collect()
    }
}

impl SourceConfig {
    fn endpoint(&self, url: &str, base: &Path) -> Endpoint {
        let token = match &self.token {
            Some(TokenConfig { env: Some(var), .. }) => TokenSource::Env {
                var: var.clone(),
                required: true,
            },
            Some(TokenConfig {
                command: Some(cmd), ..
            }) => TokenSource::Command(cmd.clone()),
            _ => TokenSource::Keyring {
                user: self.name.clone(),
            },
        };
        let filter = self.filter.clone().unwrap_or_default();
        let refresh = self
            .refresh_after_secs
            .unwrap_or(DEFAULT_REFRESH_AFTER_SECS);
        Endpoint {
            url: normalize_url(url),
            token,
            kinds: filter.kinds,
            namespaces: filter.namespaces,
            page_size: self.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
            timeout: std::time::Duration::from_secs(
                self.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS),
            ),
            ca_cert: self.ca_cert.as_deref().map(|p| resolve_path(p, base)),
            refresh_after: (refresh > 0).then(|| std::time::Duration::from_secs(refresh)),
            deadline: std::time::Duration::from_secs(
                self.request_deadline_secs
                    .unwrap_or(DEFAULT_REQUEST_DEADLINE_SECS),
            ),
            max_answer_bytes: self.max_answer_mb.unwrap_or(DEFAULT_MAX_ANSWER_MB) << 20,
            max_docs_page_bytes: self.max_docs_page_mb.unwrap_or(DEFAULT_MAX_DOCS_PAGE_MB) << 20,
            allow_insecure_http: self.allow_insecure_http.unwrap_or(false),
        }
    }
}

/// Expand `~/` and make relative paths absolute against `base`.
pub fn resolve_path(p: &str, base: &Path) -> PathBuf {
    let expanded = match p.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map(|d| d.home_dir().join(rest))
            .unwrap_or_else(|| PathBuf::from(p)),
        None => PathBuf::from(p),
    };
    let joined = if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    };
    std::path::absolute(&joined).unwrap_or(joined)
}

/// `$XDG_CONFIG_HOME/callboard/config.yaml` (or the platform's equivalent).
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "callboard").map(|d| d.config_dir().join("config.yaml"))
}

/// `$XDG_CACHE_HOME/callboard` (or the platform's equivalent).
pub fn default_cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "callboard").map(|d| d.cache_dir().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources_and_rules() {
        let config = Config::parse(
            "sources:\n  - name: a\n    path: repos/a\n  - name: b\n    paths: [/x, ~/y]\nrules:\n  allow: [Component]\n",
        )
        .unwrap();
        let sources = config.resolved_sources(Path::new("/base"));
        assert_eq!(
            sources[0].kind,
            SourceKind::Local {
                roots: vec![PathBuf::from("/base/repos/a")]
            }
        );
        assert_eq!(sources[1].name, "b");
        assert_eq!(
            config.rules.allow.as_deref(),
            Some(&["Component".to_string()][..])
        );
    }

    #[test]
    fn surfaces_and_scorecards_sections() {
        let config = Config::parse(
            "surfaces:\n  pagerduty: acme\n  grafana: https://g.example.com\nscorecards:\n  levels: [Basic, Ready]\n  rules:\n    - {check: owner, level: Basic}\n    - {check: runbook, level: Ready, kinds: [Component]}\n",
        )
        .unwrap();
        let hosts = config.surfaces.hosts();
        assert_eq!(hosts.pagerduty.as_deref(), Some("acme"));
        assert_eq!(hosts.grafana.as_deref(), Some("https://g.example.com"));
        let card = config.scorecards.scorecard().unwrap();
        assert_eq!(card.levels, ["Basic", "Ready"]);
        assert_eq!(card.rules.len(), 2);
        assert_eq!(
            Config::default()
                .scorecards
                .scorecard()
                .unwrap()
                .levels
                .len(),
            3
        );
        for bad in [
            "surfaces:\n  grafana: grafana.example.com\n",
            "surfaces:\n  pagerduty: 'a b'\n",
            "surfaces:\n  nope: x\n",
            "scorecards:\n  rules:\n    - {check: nope, level: Gold}\n",
            "scorecards:\n  rules:\n    - {check: owner, level: Platinum}\n",
            "scorecards:\n  levels: [A]\n",
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_position_and_the_fix() {
        let err = Config::parse("sources:\n  - name: a\n    pth: x\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("3:"), "{err}");
        assert!(err.contains("pth"), "{err}");
        let err = Config::parse("sources:\n  - name: a\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no 'path'"), "{err}");
        let err = Config::parse("sources:\n  - {name: a, path: x}\n  - {name: a, path: y}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unique"), "{err}");
    }

    #[test]
    fn parses_tui_keys_and_theme() {
        let config =
            Config::parse("theme: mono\nkeys:\n  page_down: ctrl-f\n  down: [j, ctrl-n]\n")
                .unwrap();
        assert_eq!(config.theme.as_deref(), Some("mono"));
        assert_eq!(config.keys["page_down"].keys(), vec!["ctrl-f"]);
        assert_eq!(config.keys["down"].keys(), vec!["j", "ctrl-n"]);
        assert!(Config::parse("themes: mono\n").is_err());
    }

    #[test]
    fn endpoints_are_sources() {
        let config = Config::parse(
            "sources:\n  - name: prod\n    url: https://backstage.example.com/api/catalog/\n    filter: {kinds: [Component], namespaces: [default]}\n    page_size: 100\n    timeout_secs: 5\n    ca_cert: certs/ca.pem\n  - name: staging\n    url: http://127.0.0.1:7007\n    token: {env: STAGING_TOKEN}\n  - name: cmd\n    url: https://x.example\n    token: {command: pass show backstage}\n    refresh_after_secs: 0\n  - name: local\n    path: repos\n",
        )
        .unwrap();
        let sources = config.resolved_sources(Path::new("/base"));
        let SourceKind::Remote(prod) = &sources[0].kind else {
            panic!("{:?}", sources[0])
        };
        assert_eq!(prod.url, "https://backstage.example.com");
        assert_eq!(
            prod.token,
            TokenSource::Keyring {
                user: "prod".into()
            }
        );
        assert_eq!(prod.kinds, ["Component"]);
        assert_eq!(prod.namespaces, ["default"]);
        assert_eq!(prod.page_size, 100);
        assert_eq!(prod.timeout, std::time::Duration::from_secs(5));
        assert_eq!(
            prod.ca_cert.as_deref(),
            Some(Path::new("/base/certs/ca.pem"))
        );
        let SourceKind::Remote(staging) = &sources[1].kind else {
            panic!()
        };
        assert_eq!(
            staging.token,
            TokenSource::Env {
                var: "STAGING_TOKEN".into(),
                required: true
            }
        );
        assert_eq!(staging.page_size, DEFAULT_PAGE_SIZE);
        let SourceKind::Remote(cmd) = &sources[2].kind else {
            panic!()
        };
        assert_eq!(
            cmd.token,
            TokenSource::Command("pass show backstage".into())
        );
        assert_eq!(cmd.refresh_after, None);
        assert!(matches!(sources[3].kind, SourceKind::Local { .. }));
    }

    #[test]
    fn endpoint_mistakes_are_explained() {
        let bad = |text: &str| Config::parse(text).unwrap_err().to_string();
        let err = bad("sources:\n  - name: p\n    url: https://x\n    token: s3cret-token-value\n");
        assert!(err.contains("must not be written in the config"), "{err}");
        assert!(
            !err.contains("s3cret-token-value"),
            "the error repeats the token: {err}"
        );
        let err =
            bad("sources:\n  - name: p\n    url: https://x\n    token: {env: A, command: b}\n");
        assert!(err.contains("exactly one"), "{err}");
        let err = bad("sources:\n  - name: p\n    url: https://x\n    path: y\n");
        assert!(err.contains("both"), "{err}");
        let err = bad("sources:\n  - name: p\n    url: backstage.example.com\n");
        assert!(err.contains("https://"), "{err}");
        let err = bad("sources:\n  - name: p\n    url: https://user:pw@x.example\n");
        assert!(err.contains("credentials") && !err.contains("pw@"), "{err}");
        let err = bad("sources:\n  - name: p\n    path: y\n    page_size: 10\n");
        assert!(err.contains("'page_size' only applies"), "{err}");
        let err = bad("sources:\n  - name: p\n    url: https://x\n    token: {vault: x}\n");
        assert!(err.contains("vault"), "{err}");
    }

    #[test]
    fn docs_pages_have_a_size_cap_of_their_own() {
        let config = Config::parse(
            "sources:\n  - name: a\n    url: https://x.example\n  - name: b\n    url: https://y.example\n    max_docs_page_mb: 1\n",
        )
        .unwrap();
        let caps: Vec<u64> = config
            .resolved_sources(Path::new("/base"))
            .iter()
            .map(|s| match &s.kind {
                SourceKind::Remote(e) => e.max_docs_page_bytes,
                _ => panic!(),
            })
            .collect();
        assert_eq!(caps, [DEFAULT_MAX_DOCS_PAGE_MB << 20, 1 << 20]);
        // As much HTML as a docs page shows: twice its text limit.
        assert_eq!(
            DEFAULT_MAX_DOCS_PAGE_MB << 20,
            2 * callboard_core::docs::MAX_PAGE_BYTES as u64
        );
        let err =
            Config::parse("sources:\n  - name: b\n    url: https://y\n    max_docs_page_mb: 0\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("max_docs_page_mb must be at least 1"), "{err}");
        let err = Config::parse("sources:\n  - name: b\n    path: y\n    max_docs_page_mb: 2\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("'max_docs_page_mb' only applies"), "{err}");
    }

    #[test]
    fn the_documented_example_parses() {
        let config = Config::parse(include_str!("../../../config/callboard.example.yaml")).unwrap();
        let sources = config.resolved_sources(Path::new("/base"));
        assert!(matches!(sources[0].kind, SourceKind::Remote(_)));
    }

    #[test]
    fn urls_are_normalized() {
        assert_eq!(normalize_url("https://b.example/"), "https://b.example");
        assert_eq!(
            normalize_url("https://b.example/api/catalog"),
            "https://b.example"
        );
        assert_eq!(
            normalize_url("https://b.example/backstage/api"),
            "https://b.example/backstage"
        );
    }

    #[test]
    fn empty_file_is_an_empty_config() {
        assert_eq!(Config::parse("\n# nothing\n").unwrap(), Config::default());
    }

    #[cfg(unix)]
    #[test]
    fn a_config_that_is_a_named_pipe_is_refused_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        crate::safe_fs::tests::mkfifo(&path);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(
                Config::load(&path)
                    .map(|_| ())
                    .map_err(|e| format!("{e:#}")),
            );
        });
        let e = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading the config blocked")
            .unwrap_err();
        assert!(e.contains("named pipe"), "{e}");
    }

    #[test]
    fn a_config_alias_bomb_is_refused_before_it_expands() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(", ")));
        }
        text.push_str("sources: *a8\n");
        let e = format!("{:#}", Config::parse(&text).unwrap_err());
        assert!(e.contains("aliases expand"), "{e}");
    }
}
