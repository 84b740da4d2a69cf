//! `RepoUrlPicker` values: `host?owner=o&repo=r` split into parts and
//! joined back.

/// `RepoUrlPicker`'s value, `github.com?owner=o&repo=r`, taken apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoUrl {
    pub host: String,
    pub owner: String,
    pub repo: String,
    /// Other query parts (`organization`, `workspace`, `project`), in order.
    pub extra: Vec<(String, String)>,
}

impl RepoUrl {
    pub fn parse(value: &str) -> RepoUrl {
        let (host, query) = value.split_once('?').unwrap_or((value, ""));
        let mut out = RepoUrl {
            host: host.to_string(),
            ..RepoUrl::default()
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "owner" => out.owner = v,
                "repo" => out.repo = v,
                _ => out.extra.push((k.to_string(), v)),
            }
        }
        out
    }

    pub fn to_value_string(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())) {
            if k == "organization" || k == "workspace" || k == "project" {
                parts.push(format!("{k}={}", percent_encode(v)));
            }
        }
        if !self.owner.is_empty() {
            parts.push(format!("owner={}", percent_encode(&self.owner)));
        }
        if !self.repo.is_empty() {
            parts.push(format!("repo={}", percent_encode(&self.repo)));
        }
        if parts.is_empty() {
            self.host.clone()
        } else {
            format!("{}?{}", self.host, parts.join("&"))
        }
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            {
                if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{obj, paths};
    use super::super::validate;
    use super::*;
    use serde_json::json;

    #[test]
    fn repo_url_parts_round_trip_and_validate() {
        let r = RepoUrl::parse("github.com?owner=acme&repo=my%20app");
        assert_eq!(
            (r.host.as_str(), r.owner.as_str(), r.repo.as_str()),
            ("github.com", "acme", "my app")
        );
        assert_eq!(r.to_value_string(), "github.com?owner=acme&repo=my%20app");
        let steps = vec![json!({"properties": {"repoUrl": {
            "type": "string", "ui:field": "RepoUrlPicker",
            "ui:options": {"allowedHosts": ["github.com"]}
        }}})];
        let check = |v: &str| {
            paths(&validate(&steps, &obj(json!({"repoUrl": v}))))
                .first()
                .map(|p| p.1.to_string())
        };
        assert_eq!(
            check("gitlab.com?owner=a&repo=b").unwrap(),
            "Host must be one of: github.com"
        );
        assert_eq!(check("github.com?repo=b").unwrap(), "Owner is required");
        assert_eq!(
            check("github.com?owner=a").unwrap(),
            "Repository is required"
        );
        assert_eq!(check("github.com?owner=a&repo=b"), None);
    }
}
