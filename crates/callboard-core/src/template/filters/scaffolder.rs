//! The scaffolder's own filters: `parseRepoUrl`, `parseEntityRef` and
//! `pick` (`projectSlug` is `parseRepoUrl` joined in `apply`).

use indexmap::IndexMap;

use super::super::value::Val;
use crate::catalog::entity_ref::split_ref;

/// The scaffolder's `parseRepoUrl`: `host?owner=o&repo=r` → parts. The
/// host must be one the backend has an integration for; offline, callboard
/// accepts any host and checks only that `repo` (and for the GitHub and
/// GitLab style hosts `owner`) is present, as the integration checks do.
pub fn parse_repo_url(v: &Val) -> Result<Val, String> {
    let Val::Str(url) = v else {
        return Err(format!(
            "parseRepoUrl: expected a string, got {}",
            v.type_name()
        ));
    };
    let (host, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    if host.is_empty() || host.contains('/') {
        return Err(format!("Invalid repo URL passed to publisher: {url}"));
    }
    let mut params: IndexMap<String, String> = IndexMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params
            .entry(percent_decode(k))
            .or_insert_with(|| percent_decode(v));
    }
    let get = |k: &str| params.get(k).cloned().filter(|v| !v.is_empty());
    let repo = get("repo")
        .ok_or_else(|| format!("Invalid repo URL passed to publisher: {url}, missing repo"))?;
    let owner = get("owner");
    let needs_owner = host.contains("github") || host.contains("gitlab") || host.contains("gitea");
    if needs_owner && owner.is_none() {
        return Err(format!(
            "Invalid repo URL passed to publisher: {url}, missing owner"
        ));
    }
    let mut out = IndexMap::new();
    out.insert("host".into(), Val::Str(host.into()));
    for key in ["owner", "repo", "organization", "workspace", "project"] {
        if let Some(v) = if key == "repo" {
            Some(repo.clone())
        } else {
            get(key)
        } {
            out.insert(key.into(), Val::Str(v));
        }
    }
    Ok(Val::Object(out))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && s.is_char_boundary(i + 3) => {
                match u8::from_str_radix(&s[i + 1..i + 3], 16) {
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

/// The scaffolder's `parseEntityRef` (catalog-model's `parseEntityRef`):
/// `[kind:][namespace/]name`, defaults from the optional context.
pub fn parse_entity_ref(v: &Val, context: &Val) -> Result<Val, String> {
    let default_kind = match context.member(&Val::Str("defaultKind".into())) {
        Val::Str(s) => Some(s),
        _ => None,
    };
    let default_ns = match context.member(&Val::Str("defaultNamespace".into())) {
        Val::Str(s) => s,
        _ => "default".into(),
    };
    let (kind, namespace, name) = match v {
        Val::Str(r) => {
            let parts = split_ref(r).map_err(|_| {
                format!(
                    "Entity reference \"{r}\" was not on the form [<kind>:][<namespace>/]<name>"
                )
            })?;
            (
                parts.kind.map(str::to_string),
                parts.namespace.map(str::to_string),
                parts.name.to_string(),
            )
        }
        Val::Object(_) => {
            let field = |k: &str| match v.member(&Val::Str(k.into())) {
                Val::Str(s) if !s.is_empty() => Some(s),
                _ => None,
            };
            let name = field("name").ok_or("parseEntityRef: the reference has no name")?;
            (field("kind"), field("namespace"), name)
        }
        other => {
            return Err(format!(
                "Unable to parse entity ref: expected a string or an object, got {}",
                other.type_name()
            ))
        }
    };
    let kind = match kind.or(default_kind) {
        Some(k) => k,
        None => {
            return Err(format!(
                "Entity reference \"{}\" had missing or empty kind (e.g. did not start with \"component:\" or similar)",
                v.js_string()
            ))
        }
    };
    let mut out = IndexMap::new();
    out.insert("kind".into(), Val::Str(kind));
    out.insert(
        "namespace".into(),
        Val::Str(namespace.unwrap_or(default_ns)),
    );
    out.insert("name".into(), Val::Str(name));
    Ok(Val::Object(out))
}

/// `pick(obj, 'a.b')`: lodash `get` (dotted and `[0]` paths).
pub fn pick(v: &Val, path: &str) -> Val {
    let mut cur = v.clone();
    for part in path.split(['.', '[', ']']).filter(|p| !p.is_empty()) {
        let key = match (&cur, part.parse::<f64>()) {
            (Val::Array(_), Ok(n)) => Val::Num(n),
            _ => Val::Str(part.to_string()),
        };
        cur = cur.member(&key);
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(r: &str) -> Result<Vec<String>, String> {
        let v = parse_entity_ref(&Val::from(r), &Val::Undefined)?;
        Ok(["kind", "namespace", "name"]
            .iter()
            .map(|k| v.member(&Val::from(*k)).js_string())
            .collect())
    }

    #[test]
    fn entity_refs_split_as_catalog_model_does() {
        assert_eq!(
            parsed("group:ops/team-a").unwrap(),
            ["group", "ops", "team-a"]
        );
        assert_eq!(parsed("user:jo").unwrap(), ["user", "default", "jo"]);
        // A '/' before the ':' means no kind (the old split took "ns/na" as one).
        assert!(parsed("ns/na:me")
            .unwrap_err()
            .contains("missing or empty kind"));
        assert!(parsed("component:/x")
            .unwrap_err()
            .contains("was not on the form"));
        assert!(parsed("team-a")
            .unwrap_err()
            .contains("missing or empty kind"));
    }
}
