//! Plugin surfaces: well-known annotations turned into links, commands and
//! facts, the way Backstage's plugin cards read them (GitHub, GitLab,
//! Kubernetes, PagerDuty, Opsgenie, Grafana, Sentry, SonarQube, Argo CD,
//! Jenkins, Datadog, TechDocs).
//!
//! Hosts that vary per company come from [`SurfaceHosts`] (the config's
//! `surfaces:` section); without one, the surface keeps the value and names
//! the setting that would make it a link. Only `http(s)` URLs become links;
//! catalog values are percent-encoded into the URLs they are put in.

use serde::Serialize;

/// Per-company hosts (all optional). Values are base URLs
/// (`https://grafana.example.com`); `pagerduty` may also be the account's
/// subdomain (`acme` for `https://acme.pagerduty.com`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurfaceHosts {
    /// GitHub (Enterprise) web host; default `https://github.com`.
    pub github: Option<String>,
    /// GitLab web host; default `https://gitlab.com`.
    pub gitlab: Option<String>,
    pub pagerduty: Option<String>,
    pub opsgenie: Option<String>,
    pub grafana: Option<String>,
    pub sentry: Option<String>,
    /// SonarQube server; default SonarCloud (`https://sonarcloud.io`).
    pub sonarqube: Option<String>,
    pub argocd: Option<String>,
    pub jenkins: Option<String>,
}

/// One surface: what it is, where it came from, and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Surface {
    /// The plugin it stands for: `GitHub`, `Kubernetes`, `PagerDuty`, …
    pub plugin: String,
    /// What the link or fact is: `repository`, `actions`, `service`, …
    pub label: String,
    /// The annotation it was read from.
    pub annotation: String,
    /// The annotation's value, as written.
    pub value: String,
    /// A link to open, when one can be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A ready command to copy (`kubectl get …`, `callboard docs …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The `surfaces:` setting that would turn the value into a link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs_setting: Option<String>,
}

impl Surface {
    /// `GitHub actions`, `PagerDuty service`.
    pub fn title(&self) -> String {
        format!("{} {}", self.plugin, self.label)
    }

    /// What to show after the title: the link, else the command, else the
    /// value (and the setting that would make it a link).
    pub fn detail(&self) -> String {
        if let Some(url) = &self.url {
            return url.clone();
        }
        if let Some(command) = &self.command {
            return command.clone();
        }
        match &self.needs_setting {
            Some(setting) => format!("{}  (set {setting} to link it)", self.value),
            None => self.value.clone(),
        }
    }
}

/// Every annotation key read here, for documentation and tests.
pub const ANNOTATIONS: &[&str] = &[
    "github.com/project-slug",
    "backstage.io/source-location",
    "backstage.io/view-url",
    "backstage.io/edit-url",
    "gitlab.com/project-slug",
    "backstage.io/kubernetes-id",
    "backstage.io/kubernetes-label-selector",
    "backstage.io/kubernetes-namespace",
    "pagerduty.com/service-id",
    "pagerduty.com/integration-key",
    "opsgenie.com/component-selector",
    "opsgenie.com/team",
    "grafana/dashboard-selector",
    "grafana/overview-dashboard",
    "sentry.io/project-slug",
    "sonarqube.org/project-key",
    "argocd/app-name",
    "jenkins.io/job-full-name",
    "datadoghq.com/dashboard-url",
    "backstage.io/techdocs-ref",
];

struct Builder<'a> {
    out: Vec<Surface>,
    hosts: &'a SurfaceHosts,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)] // one surface's fields, named at each call
    fn add(
        &mut self,
        plugin: &str,
        label: &str,
        key: &str,
        value: &str,
        url: Option<String>,
        command: Option<String>,
        needs_setting: Option<&str>,
    ) {
        self.out.push(Surface {
            plugin: plugin.to_string(),
            label: label.to_string(),
            annotation: key.to_string(),
            value: value.to_string(),
            url,
            command,
            needs_setting: needs_setting.map(|s| format!("surfaces.{s}")),
        });
    }

    /// A surface whose link needs a configured host: the link when it is
    /// set, else the value and the setting to add.
    #[allow(clippy::too_many_arguments)]
    fn hosted(
        &mut self,
        plugin: &str,
        label: &str,
        key: &str,
        value: &str,
        setting: &str,
        host: Option<String>,
        path: impl FnOnce(&str) -> String,
    ) {
        match host {
            Some(base) => self.add(
                plugin,
                label,
                key,
                value,
                Some(format!("{base}{}", path(value))),
                None,
                None,
            ),
            None => self.add(plugin, label, key, value, None, None, Some(setting)),
        }
    }
}

/// The surfaces of an entity, from its annotations (in the order of
/// [`ANNOTATIONS`]). `entity_ref` is used in ready commands.
pub fn surfaces(
    entity_ref: &str,
    annotations: &[(String, String)],
    hosts: &SurfaceHosts,
) -> Vec<Surface> {
    let get = |key: &str| {
        annotations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let mut b = Builder {
        out: Vec::new(),
        hosts,
    };
    if let Some(slug) = get("github.com/project-slug") {
        let base = base_or(b.hosts.github.as_deref(), "https://github.com");
        let repo = format!("{base}/{}", encode_path(slug));
        let key = "github.com/project-slug";
        b.add(
            "GitHub",
            "repository",
            key,
            slug,
            Some(repo.clone()),
            None,
            None,
        );
        b.add(
            "GitHub",
            "actions",
            key,
            slug,
            Some(format!("{repo}/actions")),
            None,
            None,
        );
    }
    for (key, label) in [
        ("backstage.io/source-location", "source"),
        ("backstage.io/view-url", "view"),
        ("backstage.io/edit-url", "edit"),
    ] {
        if let Some(value) = get(key) {
            let target = value.strip_prefix("url:").unwrap_or(value);
            b.add("Source", label, key, value, web_url(target), None, None);
        }
    }
    if let Some(slug) = get("gitlab.com/project-slug") {
        let base = base_or(b.hosts.gitlab.as_deref(), "https://gitlab.com");
        let url = format!("{base}/{}", encode_path(slug));
        b.add(
            "GitLab",
            "project",
            "gitlab.com/project-slug",
            slug,
            Some(url),
            None,
            None,
        );
    }
    let namespace = get("backstage.io/kubernetes-namespace");
    let selector = get("backstage.io/kubernetes-label-selector")
        .map(|s| ("backstage.io/kubernetes-label-selector", s.to_string()))
        .or_else(|| {
            get("backstage.io/kubernetes-id").map(|id| {
                (
                    "backstage.io/kubernetes-id",
                    format!("backstage.io/kubernetes-id={id}"),
                )
            })
        });
    if let Some((key, selector)) = &selector {
        let scope = match namespace {
            Some(ns) => format!("-n {}", shell_quote(ns)),
            None => "--all-namespaces".to_string(),
        };
        let command = format!("kubectl get all -l {} {scope}", shell_quote(selector));
        let value = get(key).unwrap_or_default();
        b.add(
            "Kubernetes",
            "workloads",
            key,
            value,
            None,
            Some(command),
            None,
        );
    }
    if let Some(ns) = namespace {
        b.add(
            "Kubernetes",
            "namespace",
            "backstage.io/kubernetes-namespace",
            ns,
            None,
            None,
            None,
        );
    }
    if let Some(id) = get("pagerduty.com/service-id") {
        let host = pagerduty_base(b.hosts.pagerduty.as_deref());
        b.hosted(
            "PagerDuty",
            "service",
            "pagerduty.com/service-id",
            id,
            "pagerduty",
            host,
            |v| format!("/service-directory/{}", encode(v)),
        );
    }
    if let Some(key_value) = get("pagerduty.com/integration-key") {
        let key = "pagerduty.com/integration-key";
        b.add(
            "PagerDuty",
            "integration key",
            key,
            key_value,
            None,
            None,
            None,
        );
    }
    if let Some(selector) = get("opsgenie.com/component-selector") {
        let host = base(b.hosts.opsgenie.as_deref());
        let key = "opsgenie.com/component-selector";
        b.hosted("Opsgenie", "alerts", key, selector, "opsgenie", host, |v| {
            format!("/alert/list?query={}", encode(v))
        });
    }
    if let Some(team) = get("opsgenie.com/team") {
        let host = base(b.hosts.opsgenie.as_deref());
        b.hosted(
            "Opsgenie",
            "team",
            "opsgenie.com/team",
            team,
            "opsgenie",
            host,
            |v| format!("/teams/list?query={}", encode(v)),
        );
    }
    if let Some(selector) = get("grafana/dashboard-selector") {
        let host = base(b.hosts.grafana.as_deref());
        let key = "grafana/dashboard-selector";
        b.hosted(
            "Grafana",
            "dashboards",
            key,
            selector,
            "grafana",
            host,
            |v| format!("/dashboards?query={}", encode(v)),
        );
    }
    if let Some(url) = get("grafana/overview-dashboard") {
        let key = "grafana/overview-dashboard";
        b.add(
            "Grafana",
            "overview dashboard",
            key,
            url,
            web_url(url),
            None,
            None,
        );
    }
    if let Some(slug) = get("sentry.io/project-slug") {
        let host = base(b.hosts.sentry.as_deref());
        b.hosted(
            "Sentry",
            "project",
            "sentry.io/project-slug",
            slug,
            "sentry",
            host,
            |v| {
                // `[organization/]project`: the host names the organization.
                let project = v.rsplit('/').next().unwrap_or(v);
                format!("/projects/{}/", encode(project))
            },
        );
    }
    if let Some(project) = get("sonarqube.org/project-key") {
        let base = base_or(b.hosts.sonarqube.as_deref(), "https://sonarcloud.io");
        // `[instance/]key`: the key is the last part.
        let key_only = project.rsplit('/').next().unwrap_or(project);
        let url = format!("{base}/dashboard?id={}", encode(key_only));
        let key = "sonarqube.org/project-key";
        b.add("SonarQube", "project", key, project, Some(url), None, None);
    }
    if let Some(app) = get("argocd/app-name") {
        let host = base(b.hosts.argocd.as_deref());
        b.hosted(
            "Argo CD",
            "application",
            "argocd/app-name",
            app,
            "argocd",
            host,
            |v| format!("/applications/{}", encode(v)),
        );
    }
    if let Some(job) = get("jenkins.io/job-full-name") {
        let host = base(b.hosts.jenkins.as_deref());
        b.hosted(
            "Jenkins",
            "job",
            "jenkins.io/job-full-name",
            job,
            "jenkins",
            host,
            |v| {
                // `[instance:]folder/job`: every part is a `/job/<name>` step.
                let path = v.split_once(':').map_or(v, |(_, p)| p);
                let steps: String = path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| format!("/job/{}", encode(s)))
                    .collect();
                format!("{steps}/")
            },
        );
    }
    if let Some(url) = get("datadoghq.com/dashboard-url") {
        let key = "datadoghq.com/dashboard-url";
        b.add("Datadog", "dashboard", key, url, web_url(url), None, None);
    }
    if let Some(docs) = get("backstage.io/techdocs-ref") {
        let url = docs.strip_prefix("url:").and_then(web_url);
        let command = Some(format!("callboard docs {}", shell_quote(entity_ref)));
        b.add(
            "TechDocs",
            "docs",
            "backstage.io/techdocs-ref",
            docs,
            url,
            command,
            None,
        );
    }
    b.out
}

/// A configured base URL without its trailing slashes.
fn base(configured: Option<&str>) -> Option<String> {
    configured
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
}

fn base_or(configured: Option<&str>, default: &str) -> String {
    base(configured).unwrap_or_else(|| default.to_string())
}

/// `acme` or `https://acme.pagerduty.com`.
fn pagerduty_base(configured: Option<&str>) -> Option<String> {
    let value = base(configured)?;
    if value.contains("://") {
        Some(value)
    } else {
        Some(format!("https://{value}.pagerduty.com"))
    }
}

/// The value when it is an http(s) URL (nothing else is opened).
fn web_url(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !value.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then(|| value.to_string())
}

/// Percent-encode everything but RFC 3986's unreserved characters.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A slug path: each `/`-separated part encoded, empty and dot parts
/// dropped (a slug cannot climb out of the host).
fn encode_path(slug: &str) -> String {
    slug.split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// Quote for a POSIX shell when needed.
pub fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b':' | b'=' | b',')
        });
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn one(key: &str, value: &str, hosts: &SurfaceHosts) -> Vec<Surface> {
        surfaces("component:default/svc", &pairs(&[(key, value)]), hosts)
    }

    fn all_hosts() -> SurfaceHosts {
        SurfaceHosts {
            github: Some("https://ghe.example.com/".into()),
            gitlab: Some("https://gitlab.example.com".into()),
            pagerduty: Some("acme".into()),
            opsgenie: Some("https://acme.app.opsgenie.com".into()),
            grafana: Some("https://grafana.example.com".into()),
            sentry: Some("https://acme.sentry.io".into()),
            sonarqube: Some("https://sonar.example.com".into()),
            argocd: Some("https://argocd.example.com".into()),
            jenkins: Some("https://jenkins.example.com".into()),
        }
    }

    #[test]
    fn github_slug_gives_repository_and_actions() {
        let s = one(
            "github.com/project-slug",
            "acme/payments",
            &SurfaceHosts::default(),
        );
        let urls: Vec<_> = s.iter().map(|s| s.url.clone().unwrap()).collect();
        assert_eq!(
            urls,
            [
                "https://github.com/acme/payments",
                "https://github.com/acme/payments/actions"
            ]
        );
        let s = one("github.com/project-slug", "acme/../x y", &all_hosts());
        assert_eq!(
            s[0].url.as_deref(),
            Some("https://ghe.example.com/acme/x%20y")
        );
    }

    #[test]
    fn source_view_and_edit_urls_are_links_only_when_web_urls() {
        let s = one(
            "backstage.io/source-location",
            "url:https://github.com/acme/p/tree/main/",
            &SurfaceHosts::default(),
        );
        assert_eq!(
            s[0].url.as_deref(),
            Some("https://github.com/acme/p/tree/main/")
        );
        let s = one(
            "backstage.io/view-url",
            "https://h/v",
            &SurfaceHosts::default(),
        );
        assert_eq!(
            (s[0].label.as_str(), s[0].url.as_deref()),
            ("view", Some("https://h/v"))
        );
        let s = one(
            "backstage.io/edit-url",
            "https://h/e",
            &SurfaceHosts::default(),
        );
        assert_eq!(
            (s[0].label.as_str(), s[0].url.as_deref()),
            ("edit", Some("https://h/e"))
        );
        let s = one(
            "backstage.io/source-location",
            "file:/x/y",
            &SurfaceHosts::default(),
        );
        assert_eq!(s[0].url, None);
        let s = one(
            "backstage.io/view-url",
            "javascript:alert(1)",
            &SurfaceHosts::default(),
        );
        assert_eq!(s[0].url, None);
    }

    #[test]
    fn gitlab_slug_links_to_the_project() {
        let s = one(
            "gitlab.com/project-slug",
            "grp/sub/proj",
            &SurfaceHosts::default(),
        );
        assert_eq!(s[0].url.as_deref(), Some("https://gitlab.com/grp/sub/proj"));
        let s = one("gitlab.com/project-slug", "grp/proj", &all_hosts());
        assert_eq!(
            s[0].url.as_deref(),
            Some("https://gitlab.example.com/grp/proj")
        );
    }

    #[test]
    fn kubernetes_annotations_give_a_kubectl_command() {
        let s = one(
            "backstage.io/kubernetes-id",
            "payments",
            &SurfaceHosts::default(),
        );
        assert_eq!(
            s[0].command.as_deref(),
            Some("kubectl get all -l backstage.io/kubernetes-id=payments --all-namespaces")
        );
        let s = surfaces(
            "component:default/svc",
            &pairs(&[
                (
                    "backstage.io/kubernetes-id",
                    "ignored-when-a-selector-is-given",
                ),
                (
                    "backstage.io/kubernetes-label-selector",
                    "app=pay,tier in (web)",
                ),
                ("backstage.io/kubernetes-namespace", "pay"),
            ]),
            &SurfaceHosts::default(),
        );
        assert_eq!(
            s[0].command.as_deref(),
            Some("kubectl get all -l 'app=pay,tier in (web)' -n pay")
        );
        assert_eq!(
            (s[1].label.as_str(), s[1].value.as_str()),
            ("namespace", "pay")
        );
        let s = one(
            "backstage.io/kubernetes-id",
            "x'; rm -rf /",
            &SurfaceHosts::default(),
        );
        assert_eq!(
            s[0].command.as_deref(),
            Some(
                "kubectl get all -l 'backstage.io/kubernetes-id=x'\\''; rm -rf /' --all-namespaces"
            )
        );
    }

    #[test]
    fn per_company_hosts_make_links_or_name_the_setting() {
        let cases = [
            (
                "pagerduty.com/service-id",
                "PABC12",
                "pagerduty",
                "https://acme.pagerduty.com/service-directory/PABC12",
            ),
            (
                "opsgenie.com/component-selector",
                "tag:pay",
                "opsgenie",
                "https://acme.app.opsgenie.com/alert/list?query=tag%3Apay",
            ),
            (
                "opsgenie.com/team",
                "Payments",
                "opsgenie",
                "https://acme.app.opsgenie.com/teams/list?query=Payments",
            ),
            (
                "grafana/dashboard-selector",
                "tags @> 'pay'",
                "grafana",
                "https://grafana.example.com/dashboards?query=tags%20%40%3E%20%27pay%27",
            ),
            (
                "sentry.io/project-slug",
                "acme/payments",
                "sentry",
                "https://acme.sentry.io/projects/payments/",
            ),
            (
                "argocd/app-name",
                "payments-prod",
                "argocd",
                "https://argocd.example.com/applications/payments-prod",
            ),
            (
                "jenkins.io/job-full-name",
                "ci:team/payments",
                "jenkins",
                "https://jenkins.example.com/job/team/job/payments/",
            ),
        ];
        for (key, value, setting, url) in cases {
            let with = one(key, value, &all_hosts());
            assert_eq!(with[0].url.as_deref(), Some(url), "{key}");
            assert_eq!(with[0].needs_setting, None, "{key}");
            let without = one(key, value, &SurfaceHosts::default());
            assert_eq!(without[0].url, None, "{key}");
            assert_eq!(without[0].value, value, "{key}");
            assert_eq!(
                without[0].needs_setting.as_deref(),
                Some(format!("surfaces.{setting}").as_str()),
                "{key}"
            );
        }
        let full = SurfaceHosts {
            pagerduty: Some("https://pd.example.com/".into()),
            ..Default::default()
        };
        let s = one("pagerduty.com/service-id", "P1", &full);
        assert_eq!(
            s[0].url.as_deref(),
            Some("https://pd.example.com/service-directory/P1")
        );
    }

    #[test]
    fn facts_and_direct_urls() {
        let s = one("pagerduty.com/integration-key", "abc123", &all_hosts());
        assert_eq!((s[0].value.as_str(), s[0].url.as_ref()), ("abc123", None));
        let s = one(
            "grafana/overview-dashboard",
            "https://g/d/abc",
            &SurfaceHosts::default(),
        );
        assert_eq!(s[0].url.as_deref(), Some("https://g/d/abc"));
        let s = one(
            "datadoghq.com/dashboard-url",
            "https://app.datadoghq.com/d/x",
            &SurfaceHosts::default(),
        );
        assert_eq!(s[0].url.as_deref(), Some("https://app.datadoghq.com/d/x"));
        let s = one(
            "sonarqube.org/project-key",
            "acme_payments",
            &SurfaceHosts::default(),
        );
        assert_eq!(
            s[0].url.as_deref(),
            Some("https://sonarcloud.io/dashboard?id=acme_payments")
        );
        let s = one("sonarqube.org/project-key", "inst/acme:pay", &all_hosts());
        assert_eq!(
            s[0].url.as_deref(),
            Some("https://sonar.example.com/dashboard?id=acme%3Apay")
        );
        let s = one(
            "backstage.io/techdocs-ref",
            "dir:.",
            &SurfaceHosts::default(),
        );
        assert_eq!(
            s[0].command.as_deref(),
            Some("callboard docs component:default/svc")
        );
        assert_eq!(s[0].url, None);
        let s = one(
            "backstage.io/techdocs-ref",
            "url:https://github.com/a/b",
            &SurfaceHosts::default(),
        );
        assert_eq!(s[0].url.as_deref(), Some("https://github.com/a/b"));
    }

    #[test]
    fn every_listed_annotation_makes_a_surface() {
        for key in ANNOTATIONS {
            let s = one(key, "https://x.example/v", &all_hosts());
            assert!(s.iter().any(|s| s.annotation == *key), "{key}");
        }
        assert!(one("example.com/other", "v", &all_hosts()).is_empty());
        assert!(one("github.com/project-slug", "  ", &all_hosts()).is_empty());
    }
}
