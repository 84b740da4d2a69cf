//! The local source: descriptor files on disk, read the way Backstage's
//! file locations read them.
//!
//! Per document: placeholders (`$text`, `$json`, `$yaml`) are resolved first
//! (Backstage's `PlaceholderProcessor` runs before validation), then the
//! catalog rules, validation, relations and duplicate refs are checked; an
//! entity failing any of these is dropped with a [`Problem`] pointing at the
//! offending value, and every other document carries on. `Location` entities
//! are kept and their `file` targets followed. At the end all relations are
//! stitched at once, so reverse edges land only on entities that exist.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::yaml::{parse_documents, Document};
use super::{LoadResult, Problem, Severity};
use crate::catalog::relations::{emit_relations, stitch, EmittedRelation};
use crate::catalog::validate::validate_document;
use crate::catalog::{CatalogEntity, Entity, Kind, Origin};

/// Files a folder walk picks up.
pub const DESCRIPTOR_NAMES: [&str; 2] = ["catalog-info.yaml", "catalog-info.yml"];

/// Folders a walk never enters (besides hidden ones and ignored paths).
pub const SKIPPED_DIRS: [&str; 5] = ["node_modules", "target", ".git", "dist", "vendor"];

/// The default size limit of one file: 10 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Locations nested deeper than this are not followed.
const MAX_LOCATION_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOptions {
    /// Kinds allowed by the rules (Backstage `catalog.rules[].allow`,
    /// compared case-insensitively); `None` allows every kind.
    pub allowed_kinds: Option<Vec<String>>,
    /// Files larger than this are not read.
    pub max_file_bytes: u64,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            allowed_kinds: None,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

impl LocalOptions {
    pub fn new() -> Self {
        Self::default()
    }
}

/// Load every entity reachable from `roots` (files, or folders walked for
/// `catalog-info.yaml`/`.yml`). Never fails: problems are collected.
pub fn load_local(source_name: &str, roots: &[PathBuf], options: &LocalOptions) -> LoadResult {
    let mut loader = Loader {
        source_name,
        options,
        problems: Vec::new(),
        read: HashMap::new(),
        kept: Vec::new(),
        by_ref: HashMap::new(),
        files_read: 0,
    };
    for root in roots {
        loader.load_root(root);
    }
    loader.finish()
}

/// A folder everything read from one root must stay inside.
struct Root {
    /// Canonical folder: the root folder, or a root file's parent.
    dir: PathBuf,
}

/// A kept entity with what it emitted.
struct Kept {
    entity: Entity,
    relations: Vec<EmittedRelation>,
    location: String,
    line: u32,
}

/// A Location target to follow once its file is done.
struct Target {
    /// Path of the target value in the Location document (for positions).
    line: u32,
    column: u32,
    value: String,
    optional: bool,
    /// The Location entity's ref and where it is.
    location: String,
    via: String,
}

struct Loader<'a> {
    source_name: &'a str,
    options: &'a LocalOptions,
    problems: Vec<Problem>,
    /// Canonical path of every file read → how it was reached.
    read: HashMap<PathBuf, String>,
    kept: Vec<Kept>,
    /// Canonical ref → (display location, line) of the entity kept for it.
    by_ref: HashMap<String, (String, u32)>,
    files_read: usize,
}

impl Loader<'_> {
    fn load_root(&mut self, root: &Path) {
        let shown = absolute(root);
        let display = shown.display().to_string();
        let meta = match fs::metadata(&shown) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.problems.push(Problem::error(
                    display,
                    "catalog root not found: no such file or folder",
                ));
                return;
            }
            Err(e) => {
                self.problems.push(Problem::error(
                    display,
                    format!("cannot read catalog root: {e}"),
                ));
                return;
            }
        };
        let canonical = match fs::canonicalize(&shown) {
            Ok(c) => c,
            Err(e) => {
                self.problems.push(Problem::error(
                    display,
                    format!("cannot resolve catalog root: {e}"),
                ));
                return;
            }
        };
        if meta.is_dir() {
            let root = Root { dir: canonical };
            let mut files = Vec::new();
            for entry in walker(&shown).build() {
                match entry {
                    Ok(entry) => {
                        let is_file = entry.file_type().is_some_and(|t| t.is_file());
                        let name = entry.file_name().to_string_lossy();
                        if is_file && DESCRIPTOR_NAMES.contains(&name.as_ref()) {
                            files.push(entry.into_path());
                        }
                    }
                    Err(e) => self.problems.push(Problem {
                        location: display.clone(),
                        line: None,
                        column: None,
                        severity: Severity::Warning,
                        message: format!("part of the folder could not be walked: {e}"),
                    }),
                }
            }
            files.sort();
            if files.is_empty() {
                self.problems.push(Problem {
                    location: display,
                    line: None,
                    column: None,
                    severity: Severity::Warning,
                    message: "no catalog-info.yaml or catalog-info.yml found in this folder".into(),
                });
                return;
            }
            let mut skeletons = 0;
            for file in files {
                let file = absolute(&file);
                if let Ok(c) = fs::canonicalize(&file) {
                    if self.read.contains_key(&c) {
                        continue;
                    }
                }
                if self.load_file(
                    &file,
                    &root,
                    "the catalog root",
                    None,
                    true,
                    &mut Vec::new(),
                ) == Loaded::Skeleton
                {
                    skeletons += 1;
                }
            }
            if skeletons > 0 {
                self.problems.push(Problem {
                    location: display,
                    line: None,
                    column: None,
                    severity: Severity::Warning,
                    message: format!(
                        "skipped {skeletons} catalog-info file(s) holding scaffolder template syntax (${{{{ … }}}}): \
                         they are Software Template skeletons, not entities"
                    ),
                });
            }
        } else {
            let dir = canonical
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| canonical.clone());
            if self.read.contains_key(&canonical) {
                return;
            }
            self.load_file(
                &shown,
                &Root { dir },
                "the catalog root",
                None,
                false,
                &mut Vec::new(),
            );
        }
    }

    /// Read one file (already known not to be read), its documents, then the
    /// targets of its Locations. `via` says how it was reached, `emitter` is
    /// the ref of the Location entity that led here (none for a root), and
    /// `chain` holds the canonical files of the Locations that led here, for
    /// cycle detection. With `skip_skeletons` (folder walks), a file holding
    /// scaffolder template syntax is left alone.
    fn load_file(
        &mut self,
        path: &Path,
        root: &Root,
        via: &str,
        emitter: Option<&str>,
        skip_skeletons: bool,
        chain: &mut Vec<PathBuf>,
    ) -> Loaded {
        let display = path.display().to_string();
        let canonical = match fs::canonicalize(path) {
            Ok(c) => c,
            Err(e) => {
                self.problems
                    .push(Problem::error(display, format!("cannot open file: {e}")));
                return Loaded::Failed;
            }
        };
        self.read.insert(canonical.clone(), via.to_string());
        let Some(text) = self.read_text(path, &display) else {
            return Loaded::Failed;
        };
        if skip_skeletons && is_template_skeleton(&text) {
            return Loaded::Skeleton;
        }
        self.files_read += 1;
        let (docs, errors) = parse_documents(&text);
        for e in errors {
            self.problems
                .push(Problem::error_at(&display, e.line, e.column, e.message));
        }
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut targets = Vec::new();
        for doc in docs {
            self.load_document(doc, &display, &base_dir, root, emitter, &mut targets);
        }
        if targets.is_empty() {
            return Loaded::Read;
        }
        if chain.len() >= MAX_LOCATION_DEPTH {
            self.problems.push(Problem::error(
                display,
                format!("Locations nested more than {MAX_LOCATION_DEPTH} deep; targets of this file were not followed"),
            ));
            return Loaded::Read;
        }
        chain.push(canonical);
        for target in targets {
            self.follow_target(&target, &display, &base_dir, root, chain);
        }
        chain.pop();
        Loaded::Read
    }

    /// Read a file as UTF-8 text, reporting size, encoding and I/O problems.
    fn read_text(&mut self, path: &Path, display: &str) -> Option<String> {
        match read_text_limited(path, self.options.max_file_bytes) {
            Ok(text) => Some(text),
            Err(ReadProblem { position, message }) => {
                self.problems.push(match position {
                    Some((l, c)) => Problem::error_at(display, l, c, message),
                    None => Problem::error(display, message),
                });
                None
            }
        }
    }

    fn load_document(
        &mut self,
        mut doc: Document,
        display: &str,
        base_dir: &Path,
        root: &Root,
        emitter: Option<&str>,
        targets: &mut Vec<Target>,
    ) {
        let at = |doc: &Document, path: &str| doc.position(path);
        let err = |doc: &Document, path: &str, message: String| {
            let (line, column) = at(doc, path);
            Problem::error_at(display, line, column, message)
        };
        if !doc.value.is_object() {
            let (line, column) = at(&doc, "");
            self.problems.push(Problem::error_at(
                display,
                line,
                column,
                format!(
                    "expected an entity (a mapping with apiVersion, kind, metadata and spec), found {}; document skipped",
                    json_type(&doc.value)
                ),
            ));
            return;
        }
        let label = entity_label(&doc.value);

        // Catalog rules come first: Backstage rejects a disallowed kind when
        // the parent location emits it, before processing it.
        if let (Some(allowed), Some(kind)) = (
            &self.options.allowed_kinds,
            doc.value.get("kind").and_then(Value::as_str),
        ) {
            if !allowed.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
                let (line, column) = at(&doc, "kind");
                // Backstage goes further: the entity that emitted this one
                // fails processing as a whole (NotAllowedError).
                let backstage = match emitter {
                    Some(location) => {
                        format!("Backstage would also refuse {location}, which leads here")
                    }
                    None => {
                        "Backstage would refuse everything in this registered location".to_string()
                    }
                };
                self.problems.push(Problem::warning_at(
                    display,
                    line,
                    column,
                    format!("kind {kind} is not allowed by the rules; {label} was not loaded ({backstage})"),
                ));
                return;
            }
        }

        // Placeholders, before validation (`definition: {$text: …}` is a
        // string once resolved).
        let mut placeholder_problems = Vec::new();
        let mut value = std::mem::take(&mut doc.value);
        resolve_placeholders(&mut value, "", &mut |path: &str, spec: &PlaceholderSpec| {
            match resolve_placeholder(spec, base_dir, root, self.options.max_file_bytes) {
                Ok(v) => Some(v),
                Err(message) => {
                    placeholder_problems.push(err(
                        &doc,
                        path,
                        format!("{message}; {label} was not loaded"),
                    ));
                    None
                }
            }
        });
        if !placeholder_problems.is_empty() {
            self.problems.extend(placeholder_problems);
            return;
        }
        doc.value = value;

        let issues = validate_document(&doc.value);
        if !issues.is_empty() {
            for issue in issues {
                self.problems.push(err(
                    &doc,
                    &issue.path,
                    format!("{}; {label} was not loaded", issue.message),
                ));
            }
            return;
        }
        let entity = match Entity::from_value(doc.value.clone()) {
            Ok(e) => e,
            Err(e) => {
                self.problems.push(err(
                    &doc,
                    "",
                    format!("not a valid entity: {e}; document skipped"),
                ));
                return;
            }
        };
        let relations = match emit_relations(&entity) {
            Ok(r) => r,
            Err(errors) => {
                for e in errors {
                    self.problems.push(err(
                        &doc,
                        &e.path,
                        format!("{}; {label} was not loaded", e.error),
                    ));
                }
                return;
            }
        };
        let key = entity.ref_key();
        if let Some((first_location, first_line)) = self.by_ref.get(&key) {
            let message = format!(
                "duplicate entity {key}: already defined at {first_location}:{first_line}; this one was not loaded (Backstage reports a conflict)"
            );
            self.problems.push(err(&doc, "metadata.name", message));
            return;
        }
        self.by_ref
            .insert(key.clone(), (display.to_string(), doc.line));

        if entity.known_kind() == Some(Kind::Location) {
            self.collect_targets(&entity, &doc, display, &key, targets);
        }
        self.kept.push(Kept {
            entity,
            relations,
            location: display.to_string(),
            line: doc.line,
        });
    }

    fn collect_targets(
        &mut self,
        entity: &Entity,
        doc: &Document,
        display: &str,
        key: &str,
        targets: &mut Vec<Target>,
    ) {
        let location_type = entity.spec_str("type").unwrap_or("file");
        let optional = entity.spec_str("presence") == Some("optional");
        let mut raw: Vec<(String, &str)> = Vec::new();
        if let Some(t) = entity.spec_str("target") {
            raw.push(("spec.target".into(), t));
        }
        for (i, t) in entity.spec_strs("targets").into_iter().enumerate() {
            raw.push((format!("spec.targets[{i}]"), t));
        }
        for (path, value) in raw {
            let (line, column) = doc.position(&path);
            if location_type == "url" || is_remote(value) {
                self.problems.push(Problem::warning_at(
                    display,
                    line,
                    column,
                    format!("remote Location target not followed: {value}"),
                ));
                continue;
            }
            if location_type != "file" {
                self.problems.push(Problem::warning_at(
                    display,
                    line,
                    column,
                    format!("Location type '{location_type}' is not supported by the local source; target {value} not followed"),
                ));
                continue;
            }
            targets.push(Target {
                line,
                column,
                value: value.to_string(),
                optional,
                location: key.to_string(),
                via: format!("{key} ({display}:{})", doc.line),
            });
        }
    }

    fn follow_target(
        &mut self,
        target: &Target,
        display: &str,
        base_dir: &Path,
        root: &Root,
        chain: &mut Vec<PathBuf>,
    ) {
        let problem = |severity: Severity, message: String| Problem {
            location: display.to_string(),
            line: Some(target.line),
            column: Some(target.column),
            severity,
            message,
        };
        let files = if has_glob(&target.value) {
            match expand_glob(base_dir, &target.value) {
                Ok(files) => files,
                Err(message) => {
                    self.problems.push(problem(Severity::Error, message));
                    return;
                }
            }
        } else {
            let path = normalize(&base_dir.join(&target.value));
            match fs::metadata(&path) {
                Ok(m) if m.is_dir() => {
                    self.problems.push(problem(
                        Severity::Error,
                        format!(
                            "Location target is a folder: {}; point it at a YAML file, or use a glob such as {}/*/catalog-info.yaml",
                            path.display(),
                            target.value.trim_end_matches('/')
                        ),
                    ));
                    return;
                }
                Ok(_) => vec![path],
                Err(_) => Vec::new(),
            }
        };
        if files.is_empty() {
            if !target.optional {
                let resolved = normalize(&base_dir.join(&target.value));
                self.problems.push(problem(
                    Severity::Error,
                    format!(
                        "Location target not found: {} (resolved to {}); fix the path or add 'presence: optional'",
                        target.value,
                        resolved.display()
                    ),
                ));
            }
            return;
        }
        for file in files {
            let canonical = match fs::canonicalize(&file) {
                Ok(c) => c,
                Err(e) => {
                    self.problems.push(problem(
                        Severity::Error,
                        format!("cannot open Location target {}: {e}", file.display()),
                    ));
                    continue;
                }
            };
            if !canonical.starts_with(&root.dir) {
                self.problems.push(problem(
                    Severity::Error,
                    format!(
                        "Location target leaves the catalog root: {} is outside {}",
                        file.display(),
                        root.dir.display()
                    ),
                ));
                continue;
            }
            if let Some(first) = self.read.get(&canonical) {
                // A glob that matches the Location's own file is not a cycle.
                let own_file = chain.last() == Some(&canonical);
                if chain.contains(&canonical) && !(own_file && has_glob(&target.value)) {
                    self.problems.push(problem(
                        Severity::Warning,
                        format!(
                            "Location cycle: {} already read via {first}",
                            file.display()
                        ),
                    ));
                }
                // Reached again without a cycle (two Locations, or a folder
                // walk and a Location, naming the same file): read once.
                continue;
            }
            self.load_file(
                &file,
                root,
                &target.via,
                Some(&target.location),
                false,
                chain,
            );
        }
    }

    fn finish(mut self) -> LoadResult {
        let mut entities: Vec<Entity> = Vec::with_capacity(self.kept.len());
        let mut emitted = Vec::new();
        let mut origins = Vec::with_capacity(self.kept.len());
        for kept in self.kept {
            entities.push(kept.entity);
            emitted.extend(kept.relations);
            origins.push((kept.location, kept.line));
        }
        stitch(&mut entities, emitted);
        let entities = entities
            .into_iter()
            .zip(origins)
            .map(|(entity, (location, line))| CatalogEntity {
                entity,
                origin: Origin {
                    source: self.source_name.to_string(),
                    location: format!("file:{location}"),
                    line: Some(line),
                },
            })
            .collect();
        self.problems
            .sort_by(|a, b| (&a.location, a.line, a.column).cmp(&(&b.location, b.line, b.column)));
        LoadResult {
            entities,
            problems: self.problems,
            files_read: self.files_read,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loaded {
    Read,
    Failed,
    Skeleton,
}

/// A Software Template skeleton's `catalog-info.yaml` (`${{ values.name }}`,
/// cookiecutter's `{{cookiecutter.name}}` or a `{% … %}` block) is input to
/// the scaffolder, not an entity.
fn is_template_skeleton(text: &str) -> bool {
    text.contains("${{")
        || text.contains("{%")
        || (text.contains("{{") && text.contains("cookiecutter."))
}

/// The walker used for folder roots and glob targets: respects `.gitignore`
/// and `.ignore` (even outside a git repository), skips hidden entries and
/// the usual dependency/build folders, sorted by name.
fn walker(dir: &Path) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(dir);
    builder
        .hidden(true)
        .ignore(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .parents(true)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && entry.depth() > 0 && SKIPPED_DIRS.iter().any(|s| entry.file_name() == *s))
        });
    builder
}

fn has_glob(target: &str) -> bool {
    target.contains(['*', '?', '['])
}

/// Expand a glob target relative to `base_dir`: walk from the longest
/// literal prefix and match the rest (`*` stays within one folder, `**`
/// crosses folders). Files only, sorted.
fn expand_glob(base_dir: &Path, target: &str) -> Result<Vec<PathBuf>, String> {
    let target_path = Path::new(target);
    let mut literal = PathBuf::new();
    let mut pattern_parts: Vec<String> = Vec::new();
    for component in target_path.components() {
        let text = component.as_os_str().to_string_lossy().to_string();
        if pattern_parts.is_empty() && !has_glob(&text) {
            literal.push(component);
        } else {
            pattern_parts.push(text);
        }
    }
    let start = normalize(&base_dir.join(&literal));
    let pattern = pattern_parts.join("/");
    let matcher = globset::GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("invalid glob in Location target {target}: {e}"))?
        .compile_matcher();
    let recursive = pattern.contains("**");
    let mut walk = walker(&start);
    if !recursive {
        walk.max_depth(Some(pattern_parts.len()));
    }
    let mut files = Vec::new();
    if !start.is_dir() {
        return Ok(files);
    }
    for entry in walk.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(&start) else {
            continue;
        };
        let relative = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if matcher.is_match(&relative) {
            files.push(entry.into_path());
        }
    }
    files.sort();
    Ok(files)
}

fn is_remote(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// An absolute path with `.` and `..` removed lexically (symlinks kept), for
/// display and for resolving relative targets.
fn absolute(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Why a file could not be read as text, with the 1-based (line, column)
/// of the offending byte when there is one.
struct ReadProblem {
    position: Option<(u32, u32)>,
    message: String,
}

impl ReadProblem {
    fn whole_file(message: impl Into<String>) -> Self {
        ReadProblem {
            position: None,
            message: message.into(),
        }
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// Read a file as UTF-8 text without reading more than `max_bytes`.
fn read_text_limited(path: &Path, max_bytes: u64) -> Result<String, ReadProblem> {
    let io = |e: std::io::Error| ReadProblem::whole_file(format!("cannot read file: {e}"));
    let file = fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadProblem::whole_file("not a regular file"));
    }
    let len = meta.len();
    if len > max_bytes {
        return Err(ReadProblem::whole_file(format!(
            "file is {} MB, over the {} MB limit; split it",
            mb(len),
            mb(max_bytes)
        )));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The file may grow while we read; never take more than the limit + 1.
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadProblem::whole_file(format!(
            "file is over the {} MB limit; split it",
            mb(max_bytes)
        )));
    }
    let nul = bytes.iter().position(|&b| b == 0);
    let invalid = std::str::from_utf8(&bytes).err().map(|e| e.valid_up_to());
    let first_bad = match (nul, invalid) {
        (Some(n), Some(i)) => Some(n.min(i)),
        (a, b) => a.or(b),
    };
    if let Some(offset) = first_bad {
        let prefix = String::from_utf8_lossy(&bytes[..offset]);
        let line = prefix.matches('\n').count() as u32 + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        let message = if bytes[offset] == 0 {
            format!("file looks binary: NUL byte at byte offset {offset}; a descriptor must be UTF-8 text")
        } else {
            format!(
                "file is not UTF-8: invalid byte 0x{:02X} at byte offset {offset}; save it as UTF-8",
                bytes[offset]
            )
        };
        return Err(ReadProblem {
            position: Some((line, column)),
            message,
        });
    }
    String::from_utf8(bytes).map_err(|e| ReadProblem::whole_file(format!("file is not UTF-8: {e}")))
}

/// A `{ $text | $json | $yaml: <string> }` object.
struct PlaceholderSpec {
    kind: PlaceholderKind,
    target: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PlaceholderKind {
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
fn resolve_placeholders(
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

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Resolve one placeholder against the descriptor's folder, inside the root.
fn resolve_placeholder(
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

/// `Kind name` for messages, as far as the document says.
fn entity_label(value: &Value) -> String {
    let kind = value.get("kind").and_then(Value::as_str);
    let name = value.pointer("/metadata/name").and_then(Value::as_str);
    let namespace = value.pointer("/metadata/namespace").and_then(Value::as_str);
    match (kind, name) {
        (Some(k), Some(n)) => match namespace {
            Some(ns) if !ns.is_empty() && ns != "default" => format!("{k} {ns}/{n}"),
            _ => format!("{k} {n}"),
        },
        (Some(k), None) => format!("this {k}"),
        (None, Some(n)) => format!("entity {n}"),
        (None, None) => "the entity".to_string(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
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

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, text).unwrap();
        path
    }

    const GROUP: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n";

    #[test]
    fn globs_expand_sorted_and_stay_in_one_folder_level() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/x.yaml", "");
        write(dir.path(), "a/b/y.yaml", "");
        write(dir.path(), "a/c.yml", "");
        let base = dir.path();
        let names = |files: Vec<PathBuf>| -> Vec<String> {
            files
                .iter()
                .map(|f| f.strip_prefix(base).unwrap().to_string_lossy().to_string())
                .collect()
        };
        assert_eq!(
            names(expand_glob(base, "a/*.yaml").unwrap()),
            vec!["a/x.yaml"]
        );
        assert_eq!(
            names(expand_glob(base, "./a/**/*.yaml").unwrap()),
            vec!["a/b/y.yaml", "a/x.yaml"]
        );
        assert_eq!(
            names(expand_glob(base, "a/?.y*ml").unwrap()),
            vec!["a/c.yml", "a/x.yaml"]
        );
        assert!(expand_glob(base, "nope/*.yaml").unwrap().is_empty());
    }

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

    #[test]
    fn allowed_kinds_are_case_insensitive() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "x.yaml", GROUP);
        let options = LocalOptions {
            allowed_kinds: Some(vec!["group".into()]),
            ..LocalOptions::new()
        };
        assert_eq!(
            load_local("t", std::slice::from_ref(&file), &options)
                .entities
                .len(),
            1
        );
        let options = LocalOptions {
            allowed_kinds: Some(vec!["User".into()]),
            ..LocalOptions::new()
        };
        let result = load_local("t", &[file], &options);
        assert!(result.entities.is_empty());
        assert_eq!(result.problems[0].severity, Severity::Warning);
        assert_eq!(
            result.problems[0].message,
            "kind Group is not allowed by the rules; Group team-a was not loaded \
             (Backstage would refuse everything in this registered location)"
        );
    }

    #[test]
    fn walks_skip_ignored_hidden_and_dependency_folders() {
        let dir = tempfile::tempdir().unwrap();
        let user = |n: &str| {
            format!("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: {n}\nspec:\n  memberOf: []\n")
        };
        write(dir.path(), "catalog-info.yaml", &user("a"));
        write(dir.path(), "svc/catalog-info.yml", &user("b"));
        write(dir.path(), "node_modules/x/catalog-info.yaml", &user("c"));
        write(dir.path(), ".hidden/catalog-info.yaml", &user("d"));
        write(dir.path(), "ignored/catalog-info.yaml", &user("e"));
        write(dir.path(), "other.yaml", &user("f"));
        write(dir.path(), ".gitignore", "ignored/\n");
        let result = load_local("t", &[dir.path().to_path_buf()], &LocalOptions::new());
        assert!(result.problems.is_empty(), "{:?}", result.problems);
        let names: Vec<&str> = result.entities.iter().map(|e| e.entity.name()).collect();
        assert_eq!(names, vec!["a", "b"]);
        assert_eq!(result.files_read, 2);
    }

    #[test]
    fn missing_root_is_a_problem() {
        let result = load_local(
            "t",
            &[PathBuf::from("/definitely/not/here")],
            &LocalOptions::new(),
        );
        assert_eq!(result.problems.len(), 1);
        assert_eq!(result.problems[0].location, "/definitely/not/here");
        assert_eq!(result.files_read, 0);
    }
}
