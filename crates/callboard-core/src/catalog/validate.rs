//! Backstage's default entity validation: the envelope, the field format
//! policy (`FieldFormatEntityPolicy`, `KubernetesValidatorFunctions`), the
//! no-foreign-root-fields policy and the required fields of each built-in
//! kind's JSON schema. Each problem carries the path of the offending value
//! so the loader can point at its line and column.

use serde_json::Value;

use super::entity::Kind;

/// One validation problem in one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Dotted path into the document, e.g. `metadata.name` or `spec.owner`.
    pub path: String,
    pub message: String,
}

fn issue(path: impl Into<String>, message: impl Into<String>) -> Issue {
    Issue {
        path: path.into(),
        message: message.into(),
    }
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`, 1–63 characters.
pub fn is_valid_object_name(s: &str) -> bool {
    let len = s.len();
    (1..=63).contains(&len)
        && s.starts_with(is_alnum)
        && s.ends_with(is_alnum)
        && s.chars()
            .all(|c| is_alnum(c) || matches!(c, '-' | '_' | '.'))
}

/// `^[a-z0-9]+(?:\-+[a-z0-9]+)*$`, 1–63 characters.
pub fn is_valid_namespace(s: &str) -> bool {
    (1..=63).contains(&s.len()) && is_dns_label(s)
}

fn is_dns_label(s: &str) -> bool {
    let lower_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.starts_with(lower_alnum)
        && s.ends_with(lower_alnum)
        && s.chars().all(|c| lower_alnum(c) || c == '-')
}

/// `^[a-zA-Z][a-z0-9A-Z]*$`, 1–63 characters.
pub fn is_valid_kind(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// DNS subdomain: dot-separated DNS labels, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    (1..=253).contains(&s.len()) && s.split('.').all(|l| l.len() <= 63 && is_dns_label(l))
}

/// `[<dns-subdomain>/]<[a-zA-Z0-9]{1,63}>`.
pub fn is_valid_api_version(s: &str) -> bool {
    let (prefix, version) = match s.split_once('/') {
        Some((p, v)) => (Some(p), v),
        None => (None, s),
    };
    prefix.is_none_or(is_dns_subdomain)
        && (1..=63).contains(&version.len())
        && version.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `^[a-z0-9:+#]+(\-[a-z0-9:+#]+)*$`, 1–63 characters.
pub fn is_valid_tag(s: &str) -> bool {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '+' | '#')
            })
    };
    (1..=63).contains(&s.len()) && s.split('-').all(part_ok)
}

/// Label and annotation keys: optional lower-case DNS-subdomain prefix + `/`
/// + an object name.
pub fn is_valid_key(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_valid_object_name(name),
        None => is_valid_object_name(s),
    }
}

fn is_valid_label_value(s: &str) -> bool {
    s.is_empty() || is_valid_object_name(s)
}

/// Kinds a Backstage backend knows without configuration: the built-in
/// ones, and `AiResource` (the alpha catalog module's).
pub fn known_kinds() -> Vec<String> {
    Kind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .chain(std::iter::once("AiResource".to_string()))
        .collect()
}

/// Why `kind` is not one Backstage would load, or `None` when it is one of
/// `accepted` (compared case-insensitively): Backstage loads only the kinds
/// its processors (and `catalog.rules`) accept, and rejects the others
/// ("no processor recognized the entity"). A close spelling is suggested.
pub fn unknown_kind(kind: &str, accepted: &[String]) -> Option<String> {
    if accepted.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
        return None;
    }
    let guess = crate::text::closest(kind, accepted.iter().map(String::as_str))
        .map(|k| format!(", did you mean {k}?"))
        .unwrap_or_else(|| ";".to_string());
    Some(format!(
        "unknown kind '{kind}'{guess} Backstage loads only the kinds it has a processor for ({}); a kind of your own goes in the config's rules.allow",
        accepted.join(", ")
    ))
}

const ROOT_FIELDS: [&str; 4] = ["apiVersion", "kind", "metadata", "spec"];

/// apiVersions a built-in kind's validator accepts.
fn accepted_api_versions(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Template => &["scaffolder.backstage.io/v1beta3"],
        _ => &["backstage.io/v1alpha1", "backstage.io/v1beta1"],
    }
}

enum FieldType {
    String,
    StringArray,
    Object,
    Array,
}

/// Required and typed spec fields from the kinds' JSON schemas.
fn spec_schema(
    kind: Kind,
) -> (
    &'static [&'static str],
    &'static [(&'static str, FieldType)],
) {
    use FieldType::*;
    match kind {
        Kind::Component => (
            &["type", "lifecycle", "owner"],
            &[
                ("type", String),
                ("lifecycle", String),
                ("owner", String),
                ("system", String),
                ("subcomponentOf", String),
                ("providesApis", StringArray),
                ("consumesApis", StringArray),
                ("dependsOn", StringArray),
                ("dependencyOf", StringArray),
            ],
        ),
        Kind::Api => (
            &["type", "lifecycle", "owner", "definition"],
            &[
                ("type", String),
                ("lifecycle", String),
                ("owner", String),
                ("system", String),
                ("definition", String),
            ],
        ),
        Kind::Resource => (
            &["type", "owner"],
            &[
                ("type", String),
                ("owner", String),
                ("system", String),
                ("dependsOn", StringArray),
                ("dependencyOf", StringArray),
            ],
        ),
        Kind::System => (
            &["owner"],
            &[("owner", String), ("domain", String), ("type", String)],
        ),
        Kind::Domain => (
            &["owner"],
            &[("owner", String), ("subdomainOf", String), ("type", String)],
        ),
        Kind::Group => (
            &["type", "children"],
            &[
                ("type", String),
                ("parent", String),
                ("children", StringArray),
                ("members", StringArray),
                ("profile", Object),
            ],
        ),
        Kind::User => (
            &["memberOf"],
            &[("memberOf", StringArray), ("profile", Object)],
        ),
        Kind::Location => (
            &[],
            &[
                ("type", String),
                ("target", String),
                ("targets", StringArray),
                ("presence", String),
            ],
        ),
        Kind::Template => (
            &["type", "steps"],
            &[
                ("type", String),
                ("owner", String),
                ("lifecycle", String),
                ("steps", Array),
            ],
        ),
    }
}

fn type_ok(value: &Value, ty: &FieldType) -> bool {
    match ty {
        FieldType::String => value.as_str().is_some_and(|s| !s.is_empty()),
        FieldType::StringArray => value
            .as_array()
            .is_some_and(|a| a.iter().all(|v| v.as_str().is_some_and(|s| !s.is_empty()))),
        FieldType::Object => value.is_object(),
        FieldType::Array => value.is_array(),
    }
}

fn type_name(ty: &FieldType) -> &'static str {
    match ty {
        FieldType::String => "a non-empty string",
        FieldType::StringArray => "a list of non-empty strings",
        FieldType::Object => "an object",
        FieldType::Array => "a list",
    }
}

/// Validate one raw document (as parsed from YAML) against Backstage's
/// default rules. An empty result means Backstage would accept it.
pub fn validate_document(doc: &Value) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(root) = doc.as_object() else {
        issues.push(issue(
            "",
            "an entity must be a YAML mapping with apiVersion, kind, metadata and spec",
        ));
        return issues;
    };
    for key in root.keys() {
        if !ROOT_FIELDS.contains(&key.as_str()) {
            issues.push(issue(
                key.clone(),
                format!("unknown root field '{key}': only apiVersion, kind, metadata and spec belong in a descriptor file"),
            ));
        }
    }
    let api_version = root.get("apiVersion").and_then(Value::as_str);
    match root.get("apiVersion") {
        None => issues.push(issue(
            "",
            "missing required field 'apiVersion' (e.g. backstage.io/v1alpha1)",
        )),
        Some(Value::String(v)) if is_valid_api_version(v) => {}
        Some(v) => issues.push(issue(
            "apiVersion",
            format!("invalid apiVersion {v}: expected e.g. backstage.io/v1alpha1"),
        )),
    }
    let kind = root.get("kind").and_then(Value::as_str);
    match root.get("kind") {
        None => issues.push(issue("", "missing required field 'kind' (e.g. Component)")),
        Some(Value::String(k)) if is_valid_kind(k) => {}
        Some(v) => issues.push(issue(
            "kind",
            format!("invalid kind {v}: a letter followed by letters and digits"),
        )),
    }
    match root.get("metadata") {
        None => issues.push(issue(
            "",
            "missing required field 'metadata' (with at least a name)",
        )),
        Some(Value::Object(meta)) => validate_metadata(meta, &mut issues),
        Some(_) => issues.push(issue("metadata", "metadata must be a mapping")),
    }
    let known = kind.and_then(Kind::parse);
    if let (Some(kind), Some(api_version)) = (known, api_version) {
        let accepted = accepted_api_versions(kind);
        if !accepted.contains(&api_version) {
            issues.push(issue(
                "apiVersion",
                format!(
                    "apiVersion '{api_version}' is not valid for kind {}: use {}",
                    kind.as_str(),
                    accepted.join(" or ")
                ),
            ));
        }
    }
    if let Some(kind) = known {
        validate_spec(kind, root.get("spec"), &mut issues);
    }
    issues
}

fn validate_metadata(meta: &serde_json::Map<String, Value>, issues: &mut Vec<Issue>) {
    match meta.get("name") {
        None => issues.push(issue("metadata", "missing required field 'metadata.name'")),
        Some(Value::String(n)) if is_valid_object_name(n) => {}
        Some(Value::String(n)) => issues.push(issue(
            "metadata.name",
            format!("invalid name '{n}': 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"),
        )),
        Some(v) => issues.push(issue("metadata.name", format!("name must be a string, found {}", json_type(v)))),
    }
    match meta.get("namespace") {
        None => {}
        Some(Value::String(n)) if is_valid_namespace(n) => {}
        Some(v) => issues.push(issue(
            "metadata.namespace",
            format!("invalid namespace {v}: 1-63 lower-case letters, digits and '-' (a DNS label)"),
        )),
    }
    for field in ["title", "description"] {
        if let Some(v) = meta.get(field) {
            if !v.is_string() || (field == "title" && v.as_str() == Some("")) {
                issues.push(issue(
                    format!("metadata.{field}"),
                    format!("{field} must be a non-empty string"),
                ));
            }
        }
    }
    for (field, values_are_labels) in [("labels", true), ("annotations", false)] {
        match meta.get(field) {
            None => {}
            Some(Value::Object(map)) => {
                for (k, v) in map {
                    let path = format!("metadata.{field}.{k}");
                    if !is_valid_key(k) {
                        issues.push(issue(path.clone(), format!("invalid {field} key '{k}': [prefix/]name, prefix a lower-case DNS name")));
                    }
                    match v.as_str() {
                        None => issues.push(issue(path, format!("{field} values must be strings; quote it"))),
                        Some(s) if values_are_labels && !is_valid_label_value(s) => {
                            issues.push(issue(path, format!("invalid label value '{s}': empty or 1-63 letters, digits, '-', '_', '.'")))
                        }
                        Some(_) => {}
                    }
                }
            }
            Some(_) => issues.push(issue(
                format!("metadata.{field}"),
                format!("{field} must be a mapping of strings"),
            )),
        }
    }
    match meta.get("tags") {
        None => {}
        Some(Value::Array(tags)) => {
            for (i, t) in tags.iter().enumerate() {
                match t.as_str() {
                    Some(s) if is_valid_tag(s) => {}
                    _ => issues.push(issue(
                        format!("metadata.tags[{i}]"),
                        format!("invalid tag {t}: lower-case letters, digits, ':', '+', '#', groups joined by '-'"),
                    )),
                }
            }
        }
        Some(_) => issues.push(issue("metadata.tags", "tags must be a list of strings")),
    }
    match meta.get("links") {
        None => {}
        Some(Value::Array(links)) => {
            for (i, link) in links.iter().enumerate() {
                let path = format!("metadata.links[{i}]");
                let Some(obj) = link.as_object() else {
                    issues.push(issue(path, "a link must be a mapping with a url"));
                    continue;
                };
                match obj.get("url").and_then(Value::as_str) {
                    Some(u) if looks_like_url(u) => {}
                    _ => issues.push(issue(
                        format!("{path}.url"),
                        "a link needs a url with a scheme, e.g. https://…",
                    )),
                }
                for f in ["title", "icon", "type"] {
                    if obj
                        .get(f)
                        .is_some_and(|v| v.as_str().is_none_or(str::is_empty))
                    {
                        issues.push(issue(
                            format!("{path}.{f}"),
                            format!("link {f} must be a non-empty string"),
                        ));
                    }
                }
            }
        }
        Some(_) => issues.push(issue("metadata.links", "links must be a list")),
    }
}

/// `new URL(u)` succeeds: a scheme followed by ':'.
fn looks_like_url(u: &str) -> bool {
    match u.split_once(':') {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

fn validate_spec(kind: Kind, spec: Option<&Value>, issues: &mut Vec<Issue>) {
    let (required, fields) = spec_schema(kind);
    let spec = match spec {
        None if required.is_empty() => return,
        None => {
            issues.push(issue(
                "",
                format!(
                    "{} requires a spec with {}",
                    kind.as_str(),
                    required.join(", ")
                ),
            ));
            return;
        }
        Some(Value::Object(s)) => s,
        Some(_) => {
            issues.push(issue("spec", "spec must be a mapping"));
            return;
        }
    };
    // An mcp-server API carries `remotes` instead of a definition.
    let mcp = kind == Kind::Api && spec.get("type").and_then(Value::as_str) == Some("mcp-server");
    for field in required {
        if mcp && *field == "definition" {
            continue;
        }
        if !spec.contains_key(*field) {
            issues.push(issue(
                "spec",
                format!("{} is missing required field 'spec.{field}'", kind.as_str()),
            ));
        }
    }
    if mcp && !spec.get("remotes").is_some_and(Value::is_array) {
        issues.push(issue(
            "spec",
            "an API of type mcp-server needs 'spec.remotes' (a list of {type, url})",
        ));
    }
    for (field, ty) in fields {
        if let Some(v) = spec.get(*field) {
            if !type_ok(v, ty) {
                issues.push(issue(
                    format!("spec.{field}"),
                    format!(
                        "spec.{field} must be {}, found {}",
                        type_name(ty),
                        json_type(v)
                    ),
                ));
            }
        }
    }
    if kind == Kind::Location && !spec.contains_key("target") && !spec.contains_key("targets") {
        issues.push(issue(
            "spec",
            "a Location needs 'spec.target' or 'spec.targets'",
        ));
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn name_rules_match_backstage() {
        for ok in ["a", "artist-lookup", "A.b_c-9", "x1"] {
            assert!(is_valid_object_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a b", "ä", &"a".repeat(64)] {
            assert!(!is_valid_object_name(bad), "{bad}");
        }
        assert!(is_valid_namespace("my-ns"));
        assert!(!is_valid_namespace("My-ns"));
        assert!(!is_valid_namespace("a_b"));
        assert!(is_valid_tag("c++"));
        assert!(is_valid_tag("java:11"));
        assert!(!is_valid_tag("Java"));
        assert!(!is_valid_tag("a--b"));
        assert!(is_valid_key("backstage.io/techdocs-ref"));
        assert!(!is_valid_key("Backstage.io/x"));
        assert!(is_valid_api_version("backstage.io/v1alpha1"));
        assert!(is_valid_api_version("v1"));
        assert!(!is_valid_api_version("backstage.io/"));
        assert!(is_valid_kind("Component"));
        assert!(!is_valid_kind("1Component"));
    }

    #[test]
    fn missing_required_fields_and_wrong_types_are_reported_with_paths() {
        let issues = validate_document(&json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "bad name", "tags": ["Java"]},
            "spec": {"type": "service", "owner": 3},
            "relations": []
        }));
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert!(paths.contains(&"relations"));
        assert!(paths.contains(&"metadata.name"));
        assert!(paths.contains(&"metadata.tags[0]"));
        assert!(paths.contains(&"spec.owner"));
        assert!(issues.iter().any(|i| i.message.contains("spec.lifecycle")));
    }

    #[test]
    fn unknown_kinds_are_named_with_a_guess() {
        let known = known_kinds();
        assert_eq!(unknown_kind("component", &known), None);
        assert_eq!(unknown_kind("AIRESOURCE", &known), None);
        let m = unknown_kind("Componnet", &known).unwrap();
        assert!(
            m.starts_with("unknown kind 'Componnet', did you mean Component? "),
            "{m}"
        );
        let m = unknown_kind("Widget", &known).unwrap();
        assert!(m.starts_with("unknown kind 'Widget'; Backstage"), "{m}");
        let own = vec!["Widget".to_string()];
        assert_eq!(unknown_kind("widget", &own), None);
    }

    #[test]
    fn a_valid_entity_has_no_issues() {
        let issues = validate_document(&json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Group",
            "metadata": {"name": "team-a", "links": [{"url": "https://x", "title": "Runbook"}]},
            "spec": {"type": "team", "children": []}
        }));
        assert!(issues.is_empty(), "{issues:?}");
    }

    #[test]
    fn wrong_api_version_for_a_kind_is_an_error() {
        let issues = validate_document(&json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Template",
            "metadata": {"name": "t"}, "spec": {"type": "service", "steps": []}
        }));
        assert!(issues.iter().any(|i| i.path == "apiVersion"));
    }
}
