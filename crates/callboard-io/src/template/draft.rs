//! Form drafts: the values typed into a template's form, kept on disk per
//! template so that leaving the form (or the program) loses nothing.
//!
//! A draft never holds a masked value (`ui:field: Secret`, `ui:widget:
//! password`): [`Drafts::save`] strips them with the template's pages before
//! anything is written. Files are written atomically (temp file + rename) so
//! a crash leaves the old draft or the new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Map, Value};

use callboard_core::template::schema::without_masked;

/// Drafts are small; anything bigger is not ours and is ignored.
const MAX_DRAFT_BYTES: u64 = 1 << 20;

/// The drafts directory (`<cache dir>/drafts`).
#[derive(Debug, Clone)]
pub struct Drafts {
    dir: PathBuf,
}

impl Drafts {
    pub fn new(dir: impl Into<PathBuf>) -> Drafts {
        Drafts { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file for a template ref: the ref made file-name safe, so
    /// `template:default/new-service` → `template_default_new-service.json`.
    /// Anything outside `[A-Za-z0-9._-]` becomes `_`, so a hostile entity name
    /// cannot point outside the drafts directory.
    pub fn path_for(&self, template_ref: &str) -> PathBuf {
        let safe: String = template_ref
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .take(200)
            .collect();
        self.dir.join(format!("{safe}.json"))
    }

    /// The saved values, if a draft exists. A damaged draft is reported,
    /// not trusted.
    pub fn load(&self, template_ref: &str) -> Result<Option<Map<String, Value>>> {
        let path = self.path_for(template_ref);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        if meta.len() > MAX_DRAFT_BYTES {
            anyhow::bail!(
                "draft {} is larger than 1 MiB; delete it to start over",
                path.display()
            );
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value: Value = serde_json::from_str(&text).with_context(|| {
            format!(
                "draft {} is not valid JSON; delete it to start over",
                path.display()
            )
        })?;
        let values = value
            .get("values")
            .and_then(Value::as_object)
            .cloned()
            .with_context(|| format!("draft {} has no values object", path.display()))?;
        Ok(Some(values))
    }

    /// Save the values without anything masked. Returns what was written.
    pub fn save(
        &self,
        template_ref: &str,
        steps: &[Value],
        values: &Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        let kept = without_masked(steps, values);
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let path = self.path_for(template_ref);
        let body = serde_json::json!({ "template": template_ref, "values": kept });
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)
            .with_context(|| format!("cannot write in {}", self.dir.display()))?;
        tmp.write_all(serde_json::to_string_pretty(&body)?.as_bytes())
            .and_then(|_| tmp.as_file().sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
        tmp.persist(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(kept)
    }

    /// Forget a draft (after a run, or when the user starts over).
    pub fn delete(&self, template_ref: &str) -> Result<()> {
        let path = self.path_for(template_ref);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot delete {}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::new(dir.path().join("drafts"));
        let steps = vec![json!({"properties": {
            "name": {"type": "string"},
            "token": {"type": "string", "ui:field": "Secret"},
            "nested": {"type": "object", "properties": {
                "pw": {"type": "string", "ui:widget": "password"},
                "keep": {"type": "string"}
            }}
        }})];
        let values =
            json!({"name": "svc", "token": "tok-123", "nested": {"pw": "hunter2", "keep": "k"}});
        let values = values.as_object().unwrap().clone();
        assert_eq!(drafts.load("template:default/x").unwrap(), None);
        drafts.save("template:default/x", &steps, &values).unwrap();
        let raw = std::fs::read_to_string(drafts.path_for("template:default/x")).unwrap();
        assert!(
            !raw.contains("tok-123") && !raw.contains("hunter2"),
            "{raw}"
        );
        let loaded = drafts.load("template:default/x").unwrap().unwrap();
        assert_eq!(
            Value::Object(loaded),
            json!({"name": "svc", "nested": {"keep": "k"}})
        );
        drafts.delete("template:default/x").unwrap();
        assert_eq!(drafts.load("template:default/x").unwrap(), None);
        drafts.delete("template:default/x").unwrap();
    }

    #[test]
    fn hostile_names_stay_inside_the_directory() {
        let drafts = Drafts::new("/tmp/d");
        let p = drafts.path_for("template:default/../../etc/passwd");
        assert_eq!(p.parent().unwrap(), Path::new("/tmp/d"));
        assert_eq!(
            p.file_name().unwrap(),
            "template_default_______etc_passwd.json"
        );
    }

    #[test]
    fn damaged_drafts_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::new(dir.path());
        std::fs::write(drafts.path_for("t"), "{nope").unwrap();
        let err = drafts.load("t").unwrap_err().to_string();
        assert!(err.contains("not valid JSON"), "{err}");
    }
}
