//! `callboard validate PATH...`: lint descriptor files.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use callboard_core::catalog::index::owner_of;
use callboard_core::catalog::relations::{spec_refs, OWNED_BY};
use callboard_core::catalog::validate::{known_kinds, unknown_kind};
use callboard_core::catalog::{Catalog, CatalogEntity};
use callboard_core::text::counted;
use callboard_io::source::local::{load_local, LocalOptions};
use callboard_io::source::yaml::{parse_documents_owned, Document};
use callboard_io::source::{Problem, Severity};

use crate::cli::exit::{EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::{clean, footer};
use crate::cli::session::Session;

pub fn run(ctx: &Session, paths: &[PathBuf], strict: bool, out: &mut dyn Write) -> Result<u8> {
    // A path that is not there is a mistake in the command, not a finding.
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        anyhow::bail!(
            "cannot validate {}: no such file or folder",
            missing.display()
        );
    }
    let options = LocalOptions {
        allowed_kinds: ctx.allowed_kinds.clone(),
        max_file_bytes: ctx.cache.max_file_bytes(),
    };
    let loaded = load_local("validate", paths, &options);
    let files_read = loaded.files_read;
    let mut problems = loaded.problems;
    let mut positions = Positions::default();

    // Kinds Backstage has no processor for are rejected, as it rejects
    // them; the rules' own list when the config has one.
    let accepted = ctx.allowed_kinds.clone().unwrap_or_else(known_kinds);
    let mut kept = Vec::with_capacity(loaded.entities.len());
    // Moved, not copied: a large catalog is in memory once.
    for e in loaded.entities {
        match unknown_kind(&e.entity.kind, &accepted) {
            None => kept.push(e),
            Some(message) => problems.push(positions.problem(
                &e,
                "kind",
                Severity::Error,
                format!(
                    "{message}; {} {} was not loaded",
                    e.entity.kind, e.entity.metadata.name
                ),
            )),
        }
    }

    let catalog = Catalog::new(kept);
    for e in catalog.entities() {
        let me = e.entity.ref_key();
        // Refs to entities that are not in the checked files, each at the
        // line that makes it. The owner has its own check below.
        for spec_ref in spec_refs(&e.entity) {
            let Ok(target) = &spec_ref.target else {
                continue;
            };
            if spec_ref.relation_type != OWNED_BY && !catalog.contains(target) {
                problems.push(positions.problem(
                    e,
                    &spec_ref.path,
                    Severity::Warning,
                    format!(
                        "{me} {} {target}, which is not in the checked files (dangling reference)",
                        spec_ref.relation_type
                    ),
                ));
            }
        }
        if e.entity.spec_value("owner").is_some() {
            let message = match owner_of(&catalog, &e.entity) {
                Some(o) if o.resolved => {
                    let kind = o.kind.as_deref().unwrap_or_default().to_ascii_lowercase();
                    (kind != "group" && kind != "user").then(|| {
                        format!(
                            "{me} is owned by {}, which is a {kind}, not a Group or User",
                            o.owner_ref
                        )
                    })
                }
                Some(o) => Some(format!(
                    "{me} has no resolvable owner: {} is not in the checked files",
                    o.owner_ref
                )),
                None => Some(format!("{me} has an owner that is not a valid reference")),
            };
            if let Some(message) = message {
                problems.push(positions.problem(e, "spec.owner", Severity::Warning, message));
            }
        }
    }
    problems.sort_by(|a, b| (&a.location, a.line, a.column).cmp(&(&b.location, b.line, b.column)));
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error || strict)
        .count();
    if ctx.json {
        print_json(
            out,
            &serde_json::json!({
                "files": files_read, "entities": catalog.len(),
                "errors": errors, "problems": problems,
            }),
        )?;
    } else {
        for p in &problems {
            writeln!(out, "{}", clean(&p.to_string()))?;
        }
        let warnings = problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .count();
        footer(&format!(
            "{}, {}: {}, {}",
            counted(files_read, "file"),
            counted(catalog.len(), "entity"),
            counted(problems.len() - warnings, "error"),
            counted(warnings, "warning"),
        ));
    }
    Ok(if errors > 0 || files_read == 0 {
        EXIT_NO
    } else {
        EXIT_OK
    })
}

/// Where a field of a loaded entity is: its file parsed again (once, and
/// only for files with a problem) to find the field's line and column.
#[derive(Default)]
struct Positions {
    files: HashMap<String, Vec<Document>>,
}

impl Positions {
    /// A problem about `path` (e.g. `spec.owner`) of `e`, at that field
    /// when it can be found, else at the entity's document.
    fn problem(
        &mut self,
        e: &CatalogEntity,
        path: &str,
        severity: Severity,
        message: String,
    ) -> Problem {
        let file = e
            .origin
            .location
            .strip_prefix("file:")
            .unwrap_or(&e.origin.location)
            .to_string();
        let (line, column) = match self.position(&file, e.origin.line, path) {
            Some((line, column)) => (Some(line), Some(column)),
            None => (e.origin.line, None),
        };
        Problem {
            location: file,
            line,
            column,
            severity,
            message,
        }
    }

    fn position(&mut self, file: &str, doc_line: Option<u32>, path: &str) -> Option<(u32, u32)> {
        let doc_line = doc_line?;
        let docs = self.files.entry(file.to_string()).or_insert_with(|| {
            std::fs::read_to_string(file)
                .map(|text| parse_documents_owned(text).0)
                .unwrap_or_default()
        });
        let doc = docs.iter().find(|d| d.line == doc_line)?;
        Some(doc.position(path))
    }
}
