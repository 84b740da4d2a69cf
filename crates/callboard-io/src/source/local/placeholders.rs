//! `$text`, `$json` and `$yaml` placeholders, resolved as Backstage's
//! `PlaceholderProcessor` does, confined to the source's roots.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::files::{is_remote, normalize, read_text_limited, ReadProblem};
use super::Root;
use crate::source::yaml::parse_documents;

/// A `{ $text | $json | $yaml: <string> }` object.
pub(super) struct PlaceholderSpec {
    pub(super) kind: PlaceholderKind,
    pub(super) target: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PlaceholderKind {
    Text,
    Json,
    Yaml,
}

impl PlaceholderKind {
    fn name(self) -> &'static str {
        match self {
            PlaceholderKind::Text => "$text",
            PlaceholderKind::Json => "$json",
            PlaceholderKind::Yaml => "$yaml",
        }
    }
}

/// Replace every placeholder object in `value` with what `resolve` returns
/// for it (called with the path of the placeholder's string, e.g.
/// `spec.definition.$text`); `None` leaves it as it is.
pub(super) fn resolve_placeholders(
    value: &mut Value,
    path: &str,
    resolve: &mut dyn FnMut(&str, &PlaceholderSpec) -> Option<Value>,
) {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                let (key, inner) = map.iter().next().expect("one entry");
                let kind = match key.as_str() {
                    "$text" => Some(PlaceholderKind::Text),
                    "$json" => Some(PlaceholderKind::Json),
                    "$yaml" => Some(PlaceholderKind::Yaml),
                    _ => None,
                };
                if let (Some(kind), Some(target)) = (kind, inner.as_str()) {
                    let spec = PlaceholderSpec {
                        kind,
                        target: target.to_string(),
                    };
                    let inner_path = join(path, kind.name());
                    if let Some(resolved) = resolve(&inner_path, &spec) {
                        *value = resolved;
                    }
                    return;
                }
            }
            for (key, child) in map.iter_mut() {
                resolve_placeholders(child, &join(path, key), resolve);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                resolve_placeholders(child, &format!("{path}[{i}]"), resolve);
            }
        }
        _ => {}
    }
}

pub(super) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Resolve one placeholder against the descriptor's folder, inside the root.
pub(super) fn resolve_placeholder(
    spec: &PlaceholderSpec,
    base_dir: &Path,
    root: &Root,
    max_bytes: u64,
) -> Result<Value, String> {
    let name = spec.kind.name();
    let target = spec.target.as_str();
    if is_remote(target) {
        return Err(format!(
            "callboard does not fetch remote {name} placeholders; {target} was not read (Backstage fails this too when it cannot reach the URL)"
        ));
    }
    if target.contains("://") {
        return Err(format!(
            "{name} placeholder {target}: only relative or absolute file paths are supported"
        ));
    }
    let path = normalize(&base_dir.join(target));
    let canonical = fs::canonicalize(&path).map_err(|e| {
        format!(
            "{name} placeholder {target}: cannot open {}: {e}",
            path.display()
        )
    })?;
    if !canonical.starts_with(&root.dir) {
        return Err(format!(
            "placeholder leaves the catalog root: {name} {target} resolves to {}, outside {}",
            canonical.display(),
            root.dir.display()
        ));
    }
    if canonical.is_dir() {
        return Err(format!(
            "{name} placeholder {target} names a folder, not a file"
        ));
    }
    let text =
        read_text_limited(&canonical, max_bytes).map_err(|ReadProblem { position, message }| {
            match position {
                Some((l, c)) => format!(
                    "{name} placeholder {target}: {}:{l}:{c}: {message}",
                    path.display()
                ),
                None => format!("{name} placeholder {target}: {}: {message}", path.display()),
            }
        })?;
    match spec.kind {
        PlaceholderKind::Text => Ok(Value::String(text)),
        PlaceholderKind::Json => serde_json::from_str(&text).map_err(|e| {
            format!(
                "{name} placeholder {target}: {}:{}:{}: invalid JSON: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        }),
        PlaceholderKind::Yaml => {
            let (docs, errors) = parse_documents(&text);
            if let Some(e) = errors.first() {
                return Err(format!(
                    "{name} placeholder {target}: {}:{e}",
                    path.display()
                ));
            }
            Ok(docs.into_iter().next().map_or(Value::Null, |d| d.value))
        }
    }
}

#[cfg(test)]
mod tests {

    use super::super::test_support::{write, GROUP};
    use super::super::{load_local, LocalOptions};

    #[test]
    fn placeholders_resolve_and_unknown_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "def.txt", "hello");
        write(dir.path(), "d.json", "{\"a\": [1]}");
        write(dir.path(), "d.yaml", "b: 2\n");
        write(
            dir.path(),
            "catalog-info.yaml",
            &format!(
                "{GROUP}  profile:\n    displayName: {{$text: ./def.txt}}\n    x: {{$json: d.json}}\n    y: {{$yaml: d.yaml}}\n    z: {{$other: q}}\n    w: {{$text: 1}}\n"
            ),
        );
        let result = load_local("t", &[dir.path().to_path_buf()], &LocalOptions::new());
        assert!(result.problems.is_empty(), "{:?}", result.problems);
        let profile = result.entities[0].entity.spec_value("profile").unwrap();
        assert_eq!(
            profile,
            &serde_json::json!({"displayName": "hello", "x": {"a": [1]}, "y": {"b": 2}, "z": {"$other": "q"}, "w": {"$text": 1}})
        );
    }

    #[test]
    fn placeholders_may_not_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "secret.txt", "s");
        let file = write(
            dir.path(),
            "root/catalog-info.yaml",
            &format!("{GROUP}  profile:\n    displayName:\n      $text: ../secret.txt\n"),
        );
        let result = load_local("t", &[file], &LocalOptions::new());
        assert!(result.entities.is_empty());
        assert_eq!(result.problems.len(), 1);
        let p = &result.problems[0];
        assert!(
            p.message.contains("placeholder leaves the catalog root"),
            "{p}"
        );
        assert_eq!((p.line, p.column), (Some(10), Some(14)));
    }

    #[test]
    fn remote_placeholders_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "x.yaml",
            &format!(
                "{GROUP}  profile:\n    displayName: {{$text: 'https://example.com/x'}}\n---\n{}",
                GROUP.replace("team-a", "team-b")
            ),
        );
        let result = load_local("t", &[file], &LocalOptions::new());
        assert_eq!(result.entities.len(), 1);
        assert_eq!(result.problems.len(), 1);
        assert!(result.problems[0]
            .message
            .starts_with("callboard does not fetch remote $text placeholders"));
    }
}
