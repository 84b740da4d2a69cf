//! `callboard validate PATH...`: lint descriptor files.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use callboard_io::source::Severity;

use crate::cli::exit::{EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::{clean, footer};
use crate::cli::session::Session;
use callboard_core::text::counted;

pub fn run(ctx: &Session, paths: &[PathBuf], strict: bool, out: &mut dyn Write) -> Result<u8> {
    use callboard_core::catalog::index::owner_of;
    use callboard_io::source::local::{load_local, LocalOptions};
    use callboard_io::source::Problem;

    // A path that is not there is a mistake in the command, not a finding.
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        anyhow::bail!(
            "cannot validate {}: no such file or folder",
            missing.display()
        );
    }
    let options = LocalOptions {
        allowed_kinds: ctx.allowed_kinds.clone(),
        ..LocalOptions::default()
    };
    let loaded = load_local("validate", paths, &options);
    let mut problems = loaded.problems.clone();
    let catalog = callboard_core::catalog::Catalog::new(loaded.entities.clone());
    for e in catalog.entities() {
        let file = e
            .origin
            .location
            .strip_prefix("file:")
            .unwrap_or(&e.origin.location)
            .to_string();
        let at = |message: String| Problem {
            location: file.clone(),
            line: e.origin.line,
            column: None,
            severity: Severity::Warning,
            message,
        };
        let me = e.entity.ref_key();
        for rel in e.entity.relations() {
            let target = rel.target_ref.to_lowercase();
            if !catalog.contains(&target)
                && callboard_core::catalog::relations::inverse(&rel.relation_type).is_some()
            {
                problems.push(at(format!(
                    "{me} {} {target}, which is not in the checked files (dangling reference)",
                    rel.relation_type
                )));
            }
        }
        let needs_owner = e.entity.spec_value("owner").is_some();
        if needs_owner {
            match owner_of(&catalog, &e.entity) {
                Some(o) if o.resolved => {
                    let kind = o.kind.as_deref().unwrap_or_default().to_ascii_lowercase();
                    if kind != "group" && kind != "user" {
                        problems.push(at(format!(
                            "{me} is owned by {}, which is a {kind}, not a Group or User",
                            o.owner_ref
                        )));
                    }
                }
                Some(o) => problems.push(at(format!(
                    "{me} has no resolvable owner: {} is not in the checked files",
                    o.owner_ref
                ))),
                None => problems.push(at(format!(
                    "{me} has an owner that is not a valid reference"
                ))),
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
                "files": loaded.files_read, "entities": catalog.len(),
                "errors": errors, "problems": problems,
            }),
        )?;
    } else {
        for p in &problems {
            writeln!(out, "{}", clean(&p.to_string()))?;
        }
        let warnings = problems.len()
            - problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
        footer(&format!(
            "{}, {}: {}, {}",
            counted(loaded.files_read, "file"),
            counted(catalog.len(), "entity"),
            counted(problems.len() - warnings, "error"),
            counted(warnings, "warning"),
        ));
    }
    Ok(if errors > 0 || loaded.files_read == 0 {
        EXIT_NO
    } else {
        EXIT_OK
    })
}
