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
//!
//! Reading, parsing and checking a file does not depend on the loader's
//! state, so worker threads do it ahead of the loader (`Prefetch`) for the
//! files it is about to read (a folder's descriptors, a Location's targets);
//! the loader still takes every decision in its own order, so the result
//! does not depend on timing.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs;
use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::path::{Component, Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use super::yaml::{parse_documents, parse_documents_owned, Document, YamlError};
use super::{LoadResult, Problem, Severity};
use callboard_core::catalog::relations::{emit_relations, EmittedRelation};
use callboard_core::catalog::validate::validate_document;
use callboard_core::catalog::{CatalogEntity, Entity, Kind, Origin, Relation};

/// Files a folder walk picks up.
pub const DESCRIPTOR_NAMES: [&str; 2] = ["catalog-info.yaml", "catalog-info.yml"];

/// Folders a walk never enters (besides hidden ones and ignored paths).
pub const SKIPPED_DIRS: [&str; 5] = ["node_modules", "target", ".git", "dist", "vendor"];

/// The default size limit of one file: 10 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Locations nested deeper than this are not followed.
const MAX_LOCATION_DEPTH: usize = 64;

/// Most worker threads reading files ahead of the loader.
const MAX_WORKERS: usize = 8;

/// Stitch on several threads from this many reverse relations.
const PARALLEL_STITCH: usize = 20_000;

/// Workers stop reading ahead while this much text waits for the loader.
const PREFETCH_BYTES: usize = 32 * 1024 * 1024;

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
    // The loader thread reads files too while it waits for one.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS + 1)
        - 1;
    let prefetch = Prefetch::new(options);
    let started = std::cell::Cell::new(false);
    std::thread::scope(|scope| {
        // Workers start when there is something to read ahead.
        let start_workers = || {
            if !started.replace(true) {
                for _ in 0..workers {
                    scope.spawn(|| prefetch.work());
                }
            }
        };
        // Let the workers go even if loading panics.
        let _close = CloseOnDrop(&prefetch);
        let mut loader = Loader {
            source_name,
            options,
            prefetch: (workers > 0).then_some((&prefetch, &start_workers)),
            problems: Vec::new(),
            read: HashMap::new(),
            kept: Vec::new(),
            by_ref: HashMap::new(),
            reverse: Vec::new(),
            files_read: 0,
        };
        for root in roots {
            loader.load_root(root);
        }
        prefetch.close();
        loader.finish()
    })
}

/// A folder everything read from one root must stay inside.
struct Root {
    /// Canonical folder: the root folder, or a root file's parent.
    dir: PathBuf,
}

/// The file a document is in, as the loader reached it.
struct FileContext<'f> {
    /// Its path as shown in problems.
    display: &'f str,
    /// Its [`Origin::location`] (`file:` and the display path).
    location: String,
    /// The folder its relative paths start from.
    base_dir: &'f Path,
    root: &'f Root,
    /// The ref of the Location entity that led to it (none for a root).
    emitter: Option<&'f str>,
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
    /// The files the target names (resolved before following any, so that
    /// they can be read ahead), or why it names none.
    files: Result<Vec<PathBuf>, String>,
}

struct Loader<'a> {
    source_name: &'a str,
    options: &'a LocalOptions,
    /// Workers reading files ahead (and how to start them), when there
    /// are any.
    prefetch: Option<(&'a Prefetch<'a>, &'a dyn Fn())>,
    problems: Vec<Problem>,
    /// Canonical path of every file read → how it was reached.
    read: HashMap<PathBuf, String>,
    /// The entities kept, each with the relations it emitted from itself.
    kept: Vec<CatalogEntity>,
    /// Canonical ref → index in `kept` of the entity kept for it.
    by_ref: HashMap<String, usize>,
    /// The relations kept entities emitted from other refs, stitched at the
    /// end.
    reverse: Vec<EmittedRelation>,
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
            self.read_ahead(&files, |file| fs::canonicalize(file).ok());
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
        let prepared = self
            .prefetch
            .and_then(|(p, _)| p.take(&canonical))
            .unwrap_or_else(|| prepare_file(path, self.options));
        let (docs, errors) = match prepared.content {
            Content::Unreadable(ReadProblem { position, message }) => {
                self.problems.push(match position {
                    Some((l, c)) => Problem::error_at(display, l, c, message),
                    None => Problem::error(display, message),
                });
                return Loaded::Failed;
            }
            Content::Skeleton(_) if skip_skeletons => return Loaded::Skeleton,
            Content::Skeleton(text) => prepare_text(text, self.options),
            Content::Parsed(docs, errors) => (docs, errors),
        };
        self.files_read += 1;
        for e in errors {
            self.problems
                .push(Problem::error_at(&display, e.line, e.column, e.message));
        }
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut targets = Vec::new();
        let file = FileContext {
            display: &display,
            location: format!("file:{display}"),
            base_dir: &base_dir,
            root,
            emitter,
        };
        for doc in docs {
            self.load_document(doc, &file, &mut targets);
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
        for target in &mut targets {
            target.files = target_files(&base_dir, &target.value);
        }
        let wanted: Vec<&PathBuf> = targets
            .iter()
            .filter_map(|t| t.files.as_ref().ok())
            .flatten()
            .collect();
        self.read_ahead(&wanted, |file| {
            fs::canonicalize(file)
                .ok()
                .filter(|c| c.starts_with(&root.dir))
        });
        chain.push(canonical);
        for target in targets {
            self.follow_target(&target, &display, &base_dir, root, chain);
        }
        chain.pop();
        Loaded::Read
    }

    /// Have the workers read `files` (canonical paths as `canonical` gives
    /// them, `None` to leave a file out) next, except those already read.
    fn read_ahead<P>(&self, files: &[P], canonical: impl Fn(&P) -> Option<PathBuf>) {
        let Some((prefetch, start_workers)) = self.prefetch else {
            return;
        };
        let wanted = files
            .iter()
            .filter_map(canonical)
            .filter(|c| !self.read.contains_key(c));
        if prefetch.schedule(wanted) {
            start_workers();
        }
    }

    /// Load one document of a file: finish checking it if the file was not
    /// able to (rules, placeholders), then keep it unless its ref is taken.
    fn load_document(
        &mut self,
        prepared: PreparedDoc,
        file: &FileContext,
        targets: &mut Vec<Target>,
    ) {
        let display = file.display;
        let PreparedDoc { mut doc, check } = prepared;
        let checked = match check {
            Check::Done(checked) => checked,
            Check::Pending => match self.check_pending(&mut doc, file) {
                Some(checked) => checked,
                None => return,
            },
        };
        let Accepted {
            entity,
            others,
            key,
        } = match checked {
            Ok(accepted) => *accepted,
            Err(issues) => {
                for (path, message) in issues {
                    let (line, column) = doc.position(&path);
                    self.problems
                        .push(Problem::error_at(display, line, column, message));
                }
                return;
            }
        };
        if let Some(&first) = self.by_ref.get(&key) {
            let first = &self.kept[first].origin;
            let first_location = first
                .location
                .strip_prefix("file:")
                .unwrap_or(&first.location);
            let message = format!(
                "duplicate entity {key}: already defined at {first_location}:{}; this one was not loaded (Backstage reports a conflict)",
                first.line.unwrap_or_default()
            );
            let (line, column) = doc.position("metadata.name");
            self.problems
                .push(Problem::error_at(display, line, column, message));
            return;
        }
        if entity.known_kind() == Some(Kind::Location) {
            self.collect_targets(&entity, &doc, display, &key, targets);
        }
        self.by_ref.insert(key, self.kept.len());
        self.reverse.extend(others);
        self.kept.push(CatalogEntity {
            entity,
            origin: Origin {
                source: self.source_name.to_string(),
                location: file.location.clone(),
                line: Some(doc.line),
            },
        });
    }

    /// The checks of a document that the file could not make on its own:
    /// what it is, the catalog rules and placeholders. `None` when it was
    /// dropped (with its problems reported).
    fn check_pending(&mut self, doc: &mut Document, file: &FileContext) -> Option<Checked> {
        let FileContext {
            display,
            base_dir,
            root,
            emitter,
            ..
        } = *file;
        let at = |doc: &Document, path: &str| doc.position(path);
        let err = |doc: &Document, path: &str, message: String| {
            let (line, column) = at(doc, path);
            Problem::error_at(display, line, column, message)
        };
        if !doc.value.is_object() {
            let (line, column) = at(doc, "");
            self.problems.push(Problem::error_at(
                display,
                line,
                column,
                format!(
                    "expected an entity (a mapping with apiVersion, kind, metadata and spec), found {}; document skipped",
                    json_type(&doc.value)
                ),
            ));
            return None;
        }
        let label = entity_label(&doc.value);

        // Catalog rules come first: Backstage rejects a disallowed kind when
        // the parent location emits it, before processing it.
        if let Some(kind) = refused_kind(&doc.value, self.options) {
            let (line, column) = at(doc, "kind");
            // Backstage goes further: the entity that emitted this one
            // fails processing as a whole (NotAllowedError).
            let backstage = match emitter {
                Some(location) => {
                    format!("Backstage would also refuse {location}, which leads here")
                }
                None => "Backstage would refuse everything in this registered location".to_string(),
            };
            self.problems.push(Problem::warning_at(
                display,
                line,
                column,
                format!(
                    "kind {kind} is not allowed by the rules; {label} was not loaded ({backstage})"
                ),
            ));
            return None;
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
                        doc,
                        path,
                        format!("{message}; {label} was not loaded"),
                    ));
                    None
                }
            }
        });
        if !placeholder_problems.is_empty() {
            self.problems.extend(placeholder_problems);
            return None;
        }
        Some(check_entity(value))
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
                files: Ok(Vec::new()),
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
        let files = match &target.files {
            Ok(files) => files,
            Err(message) => {
                self.problems
                    .push(problem(Severity::Error, message.clone()));
                return;
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
            let canonical = match fs::canonicalize(file) {
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
                file,
                root,
                &target.via,
                Some(&target.location),
                false,
                chain,
            );
        }
    }

    fn finish(mut self) -> LoadResult {
        let threads = if self.reverse.len() < PARALLEL_STITCH {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS))
        };
        stitch_kept(&mut self.kept, self.reverse, &self.by_ref, threads);
        self.problems
            .sort_by(|a, b| (&a.location, a.line, a.column).cmp(&(&b.location, b.line, b.column)));
        LoadResult {
            entities: self.kept,
            problems: self.problems,
            files_read: self.files_read,
        }
    }
}

/// Finish stitching (see [`stitch`](callboard_core::catalog::relations::stitch)):
/// every entity already holds the relations it emitted from itself
/// ([`own_relations`]); each of the `reverse` relations goes to the kept
/// entity it starts from (looked up in `by_ref`), or is dropped when there
/// is none. Relations stay sorted by type then target, without repeats.
/// Work is split over `threads`: first by relation, then by entity (entity
/// `i` to thread `i % threads`, which spreads the entities that receive many
/// relations, such as large groups).
fn stitch_kept(
    entities: &mut [CatalogEntity],
    reverse: Vec<EmittedRelation>,
    by_ref: &HashMap<String, usize>,
    threads: usize,
) {
    let threads = threads.max(1);
    let resolve = |relations: Vec<EmittedRelation>| {
        let mut buckets: Vec<Vec<(usize, Relation)>> = vec![Vec::new(); threads];
        for relation in relations {
            if let Some(&from) = by_ref.get(&relation.source) {
                buckets[from % threads].push((
                    from / threads,
                    Relation {
                        relation_type: relation.relation_type.to_string(),
                        target_ref: relation.target,
                        target: None,
                    },
                ));
            }
        }
        buckets
    };
    if threads == 1 {
        attach_relations(entities.iter_mut().collect(), resolve(reverse));
        return;
    }
    let mut parts = Vec::with_capacity(threads);
    let mut rest = reverse;
    for t in (1..threads).rev() {
        parts.push(rest.split_off(rest.len() * t / threads));
    }
    parts.push(rest);
    let resolved: Vec<Vec<Vec<(usize, Relation)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || resolve(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut incoming: Vec<Vec<Vec<(usize, Relation)>>> = vec![Vec::new(); threads];
    for buckets in resolved {
        for (t, bucket) in buckets.into_iter().enumerate() {
            incoming[t].push(bucket);
        }
    }
    let mut shares: Vec<Vec<&mut CatalogEntity>> = (0..threads)
        .map(|_| Vec::with_capacity(entities.len() / threads + 1))
        .collect();
    for (i, entity) in entities.iter_mut().enumerate() {
        shares[i % threads].push(entity);
    }
    std::thread::scope(|scope| {
        for (share, incoming) in shares.into_iter().zip(incoming) {
            scope.spawn(move || attach_relations(share, incoming));
        }
    });
}

/// Add each (index in `entities`, relation) to its entity and sort the
/// relations of every entity that got some.
fn attach_relations(mut entities: Vec<&mut CatalogEntity>, incoming: Vec<Vec<(usize, Relation)>>) {
    // Grow each entity's list once.
    let mut added = vec![0usize; entities.len()];
    for &(index, _) in incoming.iter().flatten() {
        added[index] += 1;
    }
    for (entity, &n) in entities.iter_mut().zip(&added) {
        if n > 0 {
            entity
                .entity
                .relations
                .get_or_insert_with(Vec::new)
                .reserve_exact(n);
        }
    }
    for (index, relation) in incoming.into_iter().flatten() {
        if let Some(relations) = entities[index].entity.relations.as_mut() {
            relations.push(relation);
        }
    }
    for (entity, n) in entities.into_iter().zip(added) {
        if let (true, Some(relations)) = (n > 0, entity.entity.relations.as_mut()) {
            sort_relations(relations);
        }
    }
}

/// Set `entity`'s relations to those it emitted from itself (`key`), as
/// stitching would; return the others.
fn own_relations(
    entity: &mut Entity,
    key: &str,
    emitted: Vec<EmittedRelation>,
) -> Vec<EmittedRelation> {
    let (own, others): (Vec<_>, Vec<_>) = emitted.into_iter().partition(|r| r.source == key);
    let mut own: Vec<Relation> = own
        .into_iter()
        .map(|r| Relation {
            relation_type: r.relation_type.to_string(),
            target_ref: r.target,
            target: None,
        })
        .collect();
    sort_relations(&mut own);
    entity.relations = Some(own);
    others
}

/// Sort by type then target and drop repeats.
fn sort_relations(relations: &mut Vec<Relation>) {
    // Equal elements are identical, so an unstable sort is enough.
    relations.sort_unstable_by(|a, b| {
        (a.relation_type.as_str(), a.target_ref.as_str())
            .cmp(&(b.relation_type.as_str(), b.target_ref.as_str()))
    });
    relations.dedup_by(|a, b| a.relation_type == b.relation_type && a.target_ref == b.target_ref);
}

/// A file read, parsed and checked as far as it can be without the loader.
struct PreparedFile {
    /// Size of its text, to bound what is read ahead.
    bytes: usize,
    content: Content,
}

enum Content {
    Unreadable(ReadProblem),
    /// Scaffolder template syntax: not parsed, as folder walks skip it.
    Skeleton(String),
    Parsed(Vec<PreparedDoc>, Vec<YamlError>),
}

/// A document and how far it was checked.
struct PreparedDoc {
    doc: Document,
    check: Check,
}

enum Check {
    /// The loader must look at it: not a mapping, a kind the rules refuse,
    /// or placeholders to resolve.
    Pending,
    /// Validated, turned into an entity and its relations emitted; or the
    /// (path, message) problems that drop it.
    Done(Checked),
}

/// The entity, or the (path, message) problems that drop the document.
type Checked = Result<Box<Accepted>, Vec<(String, String)>>;

/// An entity that passed every check but the duplicate one, with the
/// relations it emits from itself attached.
struct Accepted {
    entity: Entity,
    /// The relations it emits from other refs (reverse edges).
    others: Vec<EmittedRelation>,
    /// Its canonical ref.
    key: String,
}

/// Read, parse and check `path`. Depends only on the file and the options,
/// so it can run on any thread.
fn prepare_file(path: &Path, options: &LocalOptions) -> PreparedFile {
    match read_text_limited(path, options.max_file_bytes) {
        Err(problem) => PreparedFile {
            bytes: 0,
            content: Content::Unreadable(problem),
        },
        Ok(text) if is_template_skeleton(&text) => PreparedFile {
            bytes: text.len(),
            content: Content::Skeleton(text),
        },
        Ok(text) => {
            let bytes = text.len();
            let (docs, errors) = prepare_text(text, options);
            PreparedFile {
                bytes,
                content: Content::Parsed(docs, errors),
            }
        }
    }
}

fn prepare_text(text: String, options: &LocalOptions) -> (Vec<PreparedDoc>, Vec<YamlError>) {
    let (docs, errors) = parse_documents_owned(text);
    let docs = docs
        .into_iter()
        .map(|mut doc| {
            let check = if !doc.value.is_object()
                || refused_kind(&doc.value, options).is_some()
                || has_placeholders(&doc.value)
            {
                Check::Pending
            } else {
                Check::Done(check_entity(std::mem::take(&mut doc.value)))
            };
            PreparedDoc { doc, check }
        })
        .collect();
    (docs, errors)
}

/// Validate a document (placeholders resolved), make the entity and emit
/// its relations; or say why it is dropped, as (path, message) pairs.
fn check_entity(value: Value) -> Checked {
    let issues = validate_document(&value);
    if !issues.is_empty() {
        let label = entity_label(&value);
        return Err(issues
            .into_iter()
            .map(|issue| {
                let message = format!("{}; {label} was not loaded", issue.message);
                (issue.path, message)
            })
            .collect());
    }
    let entity = Entity::from_value(value).map_err(|e| {
        vec![(
            String::new(),
            format!("not a valid entity: {e}; document skipped"),
        )]
    })?;
    let emitted = emit_relations(&entity).map_err(|errors| {
        let label = entity_label_of(&entity);
        errors
            .into_iter()
            .map(|e| (e.path, format!("{}; {label} was not loaded", e.error)))
            .collect::<Vec<_>>()
    })?;
    let mut entity = entity;
    let key = entity.ref_key();
    let others = own_relations(&mut entity, &key, emitted);
    Ok(Box::new(Accepted {
        entity,
        others,
        key,
    }))
}

/// The document's kind when the catalog rules do not allow it.
fn refused_kind<'v>(value: &'v Value, options: &LocalOptions) -> Option<&'v str> {
    let allowed = options.allowed_kinds.as_ref()?;
    let kind = value.get("kind").and_then(Value::as_str)?;
    (!allowed.iter().any(|k| k.eq_ignore_ascii_case(kind))).then_some(kind)
}

/// Whether a placeholder key (`$text`, `$json`, `$yaml`) appears anywhere.
fn has_placeholders(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| {
            (k.starts_with('$') && matches!(k.as_str(), "$text" | "$json" | "$yaml"))
                || has_placeholders(v)
        }),
        Value::Array(items) => items.iter().any(has_placeholders),
        _ => false,
    }
}

/// Files read ahead of the loader by worker threads.
///
/// The loader schedules the files it is about to read (canonical paths) and
/// takes each one's [`PreparedFile`] when it gets there: waiting if a worker
/// is on it, reading it itself if no worker has started it. Workers stop
/// reading ahead while [`PREFETCH_BYTES`] of text wait to be taken, so
/// memory stays bounded; a file scheduled but never taken only costs that.
struct Prefetch<'a> {
    options: &'a LocalOptions,
    state: Mutex<PrefetchState>,
    changed: Condvar,
}

#[derive(Default)]
struct PrefetchState {
    /// Scheduled and not started, next first.
    queue: VecDeque<PathBuf>,
    /// Every file ever scheduled (each is read at most once).
    scheduled: HashSet<PathBuf>,
    /// Files the loader read itself before a worker started them.
    taken: HashSet<PathBuf>,
    running: HashSet<PathBuf>,
    done: HashMap<PathBuf, PreparedFile>,
    done_bytes: usize,
    closed: bool,
}

impl<'a> Prefetch<'a> {
    fn new(options: &'a LocalOptions) -> Self {
        Prefetch {
            options,
            state: Mutex::new(PrefetchState::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PrefetchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'g>(&self, guard: MutexGuard<'g, PrefetchState>) -> MutexGuard<'g, PrefetchState> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Read these files next, in this order (before anything scheduled
    /// earlier and not started). False when none was new.
    fn schedule(&self, files: impl Iterator<Item = PathBuf>) -> bool {
        let mut state = self.lock();
        let new: Vec<PathBuf> = files
            .filter(|f| state.scheduled.insert(f.clone()))
            .collect();
        if new.is_empty() {
            return false;
        }
        for file in new.into_iter().rev() {
            state.queue.push_front(file);
        }
        self.changed.notify_all();
        true
    }

    /// The prepared file, if a worker has it or is on it (the loader reads
    /// other scheduled files while it waits); `None` tells the loader to
    /// read it itself.
    fn take(&self, canonical: &Path) -> Option<PreparedFile> {
        let mut state = self.lock();
        loop {
            if let Some(prepared) = state.done.remove(canonical) {
                state.done_bytes -= prepared.bytes;
                self.changed.notify_all();
                return Some(prepared);
            }
            if !state.running.contains(canonical) {
                if state.scheduled.contains(canonical) {
                    state.taken.insert(canonical.to_path_buf());
                }
                return None;
            }
            state = match self.prepare_next(state) {
                Ok(state) => state,
                Err(state) => self.wait(state),
            };
        }
    }

    /// A worker: prepare scheduled files until closed.
    fn work(&self) {
        let mut state = self.lock();
        while !state.closed {
            state = match self.prepare_next(state) {
                Ok(state) => state,
                Err(state) => self.wait(state),
            };
        }
    }

    /// Prepare the next scheduled file, unless enough are waiting to be
    /// taken; `Err` when there was nothing to do.
    fn prepare_next<'g>(
        &'g self,
        mut state: MutexGuard<'g, PrefetchState>,
    ) -> Result<MutexGuard<'g, PrefetchState>, MutexGuard<'g, PrefetchState>> {
        let path = loop {
            if state.done_bytes >= PREFETCH_BYTES {
                return Err(state);
            }
            match state.queue.pop_front() {
                None => return Err(state),
                Some(path) if state.taken.remove(&path) => continue,
                Some(path) => break path,
            }
        };
        state.running.insert(path.clone());
        drop(state);
        // A panic is left for the loader to meet again when it reads the
        // file itself.
        let prepared =
            std::panic::catch_unwind(AssertUnwindSafe(|| prepare_file(&path, self.options)));
        let mut state = self.lock();
        state.running.remove(&path);
        if let Ok(prepared) = prepared {
            state.done_bytes += prepared.bytes;
            state.done.insert(path, prepared);
        }
        self.changed.notify_all();
        Ok(state)
    }

    /// Stop the workers (what they are reading is finished and dropped).
    fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }
}

struct CloseOnDrop<'p, 'a>(&'p Prefetch<'a>);

impl Drop for CloseOnDrop<'_, '_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The files a Location target names: a glob's matches, or the file itself
/// (none when it does not exist); an error for a bad glob or a folder.
fn target_files(base_dir: &Path, target: &str) -> Result<Vec<PathBuf>, String> {
    if has_glob(target) {
        return expand_glob(base_dir, target);
    }
    let path = normalize(&base_dir.join(target));
    match fs::metadata(&path) {
        Ok(m) if m.is_dir() => Err(format!(
            "Location target is a folder: {}; point it at a YAML file, or use a glob such as {}/*/catalog-info.yaml",
            path.display(),
            target.trim_end_matches('/')
        )),
        Ok(_) => Ok(vec![path]),
        Err(_) => Ok(Vec::new()),
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
    let metadata = |key: &str| value.get("metadata")?.get(key)?.as_str();
    let kind = value.get("kind").and_then(Value::as_str);
    label(kind, metadata("name"), metadata("namespace"))
}

/// [`entity_label`] of an entity's document.
fn entity_label_of(entity: &Entity) -> String {
    let metadata = &entity.metadata;
    label(
        Some(&entity.kind),
        Some(&metadata.name),
        metadata.namespace.as_deref(),
    )
}

fn label(kind: Option<&str>, name: Option<&str>, namespace: Option<&str>) -> String {
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
    fn stitching_with_known_refs_matches_stitch() {
        use callboard_core::catalog::relations::stitch;
        let values = [
            serde_json::json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                "metadata": {"name": "web", "namespace": "prod"},
                "spec": {"owner": "team-a", "dependsOn": ["resource:db", "component:prod/api", "resource:db"],
                         "providesApis": ["x"], "system": "shop"}}),
            serde_json::json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                "metadata": {"name": "api", "namespace": "prod"},
                "spec": {"owner": "group:prod/team-a", "dependencyOf": ["component:prod/web"]}}),
            serde_json::json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                "metadata": {"name": "Team-A", "namespace": "prod"},
                "spec": {"type": "team", "children": [], "members": ["u"]}}),
            serde_json::json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
                "metadata": {"name": "u", "namespace": "prod"}, "spec": {"memberOf": ["team-a", "Team-A"]}}),
        ];
        let entities: Vec<Entity> = values
            .into_iter()
            .map(|v| Entity::from_value(v).unwrap())
            .collect();
        let emitted: Vec<Vec<EmittedRelation>> = entities
            .iter()
            .map(|e| emit_relations(e).unwrap())
            .collect();
        let mut expected = entities.clone();
        stitch(&mut expected, emitted.iter().flatten().cloned());
        // Whatever the order entities are kept in and however many threads
        // stitch, every relation lands where `stitch` puts it.
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            for threads in 1..=5 {
                let mut by_ref = HashMap::new();
                let mut reverse = Vec::new();
                let mut kept = Vec::new();
                for &i in &order {
                    let mut entity = entities[i].clone();
                    let key = entity.ref_key();
                    reverse.extend(own_relations(&mut entity, &key, emitted[i].clone()));
                    by_ref.insert(key, kept.len());
                    kept.push(CatalogEntity {
                        entity,
                        origin: Origin::default(),
                    });
                }
                stitch_kept(&mut kept, reverse, &by_ref, threads);
                for (kept, &i) in kept.iter().zip(&order) {
                    assert_eq!(
                        kept.entity, expected[i],
                        "order {order:?}, {threads} threads"
                    );
                }
            }
        }
        let actual = expected;
        assert!(actual.iter().all(|e| !e.relations().is_empty()));
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
