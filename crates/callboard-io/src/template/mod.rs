//! Running software templates: the actions of a local run into an
//! in-memory workspace ([`actions`]), writing it inside the target folder
//! only ([`fs_guard`]), form drafts ([`draft`]) and the Backstage
//! scaffolder's API ([`remote`]). The template model, its schema and the
//! `${{ }}` expressions are `callboard_core::template`.

pub mod actions;
pub mod catalog;
pub mod draft;
pub mod fs_guard;
pub mod remote;

use callboard_core::template::{Template, TemplateError};
use serde_json::Value;

/// Read a template from a YAML file (one document), for local runs and
/// tests; the file's folder is where relative `url`s resolve.
pub fn load_template_file(path: &std::path::Path) -> Result<Template, TemplateError> {
    let fail = |message: String| TemplateError {
        name: path.display().to_string(),
        message,
    };
    let text = crate::safe_fs::read_regular_text(path, 4 << 20).map_err(|e| fail(e.to_string()))?;
    callboard_core::text::yaml_guard::check(&text).map_err(fail)?;
    let value: Value = serde_norway::from_str(&text).map_err(|e| fail(e.to_string()))?;
    Template::from_entity(&value)
}
