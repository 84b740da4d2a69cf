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

mod compact;
mod files;
mod placeholders;
mod prefetch;
mod prepare;
mod spill;
mod stitch;
#[cfg(test)]
mod test_support;

use std::collections::HashMap;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use callboard_core::catalog::relations::EmittedRelation;
use callboard_core::catalog::{CatalogEntity, Entity, Origin};

use super::yaml::{Chunked, Document, MAX_ALIAS_NODES};
use super::{LoadResult, Problem, Severity};
use compact::stitch_compact;
pub use compact::{CompactEntity, CompactLoad};
use files::{absolute, has_glob, is_remote, normalize, target_files, walker, ReadProblem};
use placeholders::{resolve_placeholder, resolve_placeholders, PlaceholderSpec};
use prefetch::{CloseOnDrop, Prefetch};
use prepare::{
    check_entity, entity_label, json_type, prepare_file, prepare_piece, prepare_text, refused_kind,
    Accepted, Check, Checked, Content, Form, Made, PreparedDoc,
};
use spill::Spill;
use stitch::stitch_kept;

/// Files a folder walk picks up.
pub const DESCRIPTOR_NAMES: [&str; 2] = ["catalog-info.yaml", "catalog-info.yml"];

/// Folders a walk never enters (besides hidden ones and ignored paths).
pub const SKIPPED_DIRS: [&str; 5] = ["node_modules", "target", ".git", "dist", "vendor"];

/// The default size limit of one file: 256 MiB, far above real files
/// (org exports of tens of thousands of users are tens of MB); the
/// config's `max_file_mb` moves it.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Locations nested deeper than this are not followed.
const MAX_LOCATION_DEPTH: usize = 64;

/// Most worker threads reading files ahead of the loader.
const MAX_WORKERS: usize = 8;

/// Stitch on several threads from this many reverse relations.
const PARALLEL_STITCH: usize = 20_000;

/// Workers stop reading ahead while this much text waits for the loader.
const PREFETCH_BYTES: usize = 32 * 1024 * 1024;

/// Files of twice this size or more are split into pieces of about this
/// size, prepared on every thread and handed to the loader one by one.
const PIECE_BYTES: usize = 1024 * 1024;

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
    load_local_pieces(source_name, roots, options, PIECE_BYTES)
}

/// [`load_local`] for a sync: the same entities, relations and problems,
/// each entity kept serialised ([`CompactEntity`]) from the thread that read
/// its file until [`CompactLoad::write_entities`] writes it.
pub fn load_local_compact(
    source_name: &str,
    roots: &[PathBuf],
    options: &LocalOptions,
) -> CompactLoad {
    load_local_compact_pieces(source_name, roots, options, PIECE_BYTES)
}

/// [`load_local_compact`] for a sync writing its snapshot in `dir`: once
/// the entities kept hold [`SPILL_AFTER`] bytes of serialised bodies, the
/// rest go to an unnamed temporary file in `dir` until they are written
/// (kept in memory if that file cannot be made or written).
pub fn load_local_compact_spilling(
    source_name: &str,
    roots: &[PathBuf],
    options: &LocalOptions,
    dir: &Path,
) -> CompactLoad {
    load_local_compact_with(
        source_name,
        roots,
        options,
        PIECE_BYTES,
        Some((dir, SPILL_AFTER)),
    )
}

/// Bodies of kept entities held in memory before a sync spills the rest
/// ([`load_local_compact_spilling`]): ~60k generated entities.
pub const SPILL_AFTER: u64 = 64 * 1024 * 1024;

/// [`load_local`] splitting files of `2 × piece_bytes` or more into pieces
/// of about `piece_bytes` (tests compare it with a whole-file parse,
/// `usize::MAX`, and with pieces of one document, `1`).
#[doc(hidden)]
pub fn load_local_pieces(
    source_name: &str,
    roots: &[PathBuf],
    options: &LocalOptions,
    piece_bytes: usize,
) -> LoadResult {
    let (kept, problems, files_read, _, _) =
        load(source_name, roots, options, Form::Full, piece_bytes, None);
    let Kept::Full(entities) = kept else {
        unreachable!("loaded in full form")
    };
    LoadResult {
        entities,
        problems,
        files_read,
    }
}

/// [`load_local_compact`] with [`load_local_pieces`]' `piece_bytes`.
#[doc(hidden)]
pub fn load_local_compact_pieces(
    source_name: &str,
    roots: &[PathBuf],
    options: &LocalOptions,
    piece_bytes: usize,
) -> CompactLoad {
    load_local_compact_with(source_name, roots, options, piece_bytes, None)
}

/// [`load_local_compact_pieces`] spilling, when `spill` is (dir, bytes),
/// the bodies past the first `bytes` to a file in dir
/// ([`load_local_compact_spilling`]).
#[doc(hidden)]
pub fn load_local_compact_with(
    source_name: &str,
    roots: &[PathBuf],
    options: &LocalOptions,
    piece_bytes: usize,
    spill: Option<(&Path, u64)>,
) -> CompactLoad {
    let spill = spill.and_then(|(dir, after)| Spill::new(dir, after));
    let (kept, problems, files_read, outside, spill) = load(
        source_name,
        roots,
        options,
        Form::Compact,
        piece_bytes,
        spill,
    );
    let Kept::Compact(entities) = kept else {
        unreachable!("loaded in compact form")
    };
    CompactLoad {
        entities,
        outside,
        problems,
        files_read,
        spill,
    }
}

/// The entities kept, in the loader's [`Form`], each with the relations
/// it emitted from itself until stitched.
// Boxed compact entities: made (boxed) on the reading thread, and the list
// grows by doubling at 8 bytes an entity instead of ~200.
#[allow(clippy::vec_box)]
enum Kept {
    Full(Vec<CatalogEntity>),
    Compact(Vec<Box<CompactEntity>>),
}

impl Kept {
    fn len(&self) -> usize {
        match self {
            Kept::Full(v) => v.len(),
            Kept::Compact(v) => v.len(),
        }
    }

    /// Where the `i`th entity is: its file location and line.
    fn origin(&self, i: usize) -> (&str, u32) {
        match self {
            Kept::Full(v) => (&v[i].origin.location, v[i].origin.line.unwrap_or_default()),
            Kept::Compact(v) => (&v[i].location, v[i].line),
        }
    }
}

fn load(
    source_name: &str,
    roots: &[PathBuf],
    options: &LocalOptions,
    form: Form,
    piece_bytes: usize,
    spill: Option<Spill>,
) -> Finished {
    // The loader thread reads files too while it waits for one.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS + 1)
        - 1;
    let prefetch = Prefetch::new(options, form, piece_bytes);
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
            form,
            problems: Vec::new(),
            read: HashMap::new(),
            kept: match form {
                Form::Full => Kept::Full(Vec::new()),
                Form::Compact => Kept::Compact(Vec::new()),
            },
            by_ref: HashMap::new(),
            reverse: Vec::new(),
            reverse_from_kept: Vec::new(),
            reverse_sources: HashMap::new(),
            files_read: 0,
            spill,
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
    location: Arc<str>,
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
    form: Form,
    problems: Vec<Problem>,
    /// Canonical path of every file read → how it was reached.
    read: HashMap<PathBuf, String>,
    /// The entities kept, each with the relations it emitted from itself.
    kept: Kept,
    /// Canonical ref → index in `kept` of the entity kept for it.
    by_ref: HashMap<String, usize>,
    /// The relations kept entities emitted from other refs, stitched at the
    /// end.
    reverse: Vec<EmittedRelation>,
    /// In compact form, the reverse relations whose target is the kept
    /// entity that emitted them (all of them, as `emit_relations` makes
    /// them): (source, type, index in `kept` of the target), a fraction of
    /// an [`EmittedRelation`]. The source is its id in `reverse_sources`.
    reverse_from_kept: Vec<(u32, &'static str, u32)>,
    /// Each source of `reverse_from_kept` once (a group owns thousands),
    /// with its id.
    reverse_sources: HashMap<Box<str>, u32>,
    files_read: usize,
    /// Where kept compact entities' bodies go, if anywhere.
    spill: Option<Spill>,
}

/// What [`Loader::finish`] gives: the kept entities stitched, the
/// problems, the files read, the reverse edges owed outside, the spill.
type Finished = (
    Kept,
    Vec<Problem>,
    usize,
    Vec<EmittedRelation>,
    Option<Spill>,
);

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
                        let name = entry.file_name().to_string_lossy();
                        if !DESCRIPTOR_NAMES.contains(&name.as_ref()) {
                            continue;
                        }
                        match entry.file_type().and_then(crate::safe_fs::kind_of) {
                            None => files.push(entry.into_path()),
                            Some("a folder") => {}
                            Some(what) => self.problems.push(Problem {
                                location: absolute(entry.path()).display().to_string(),
                                line: None,
                                column: None,
                                severity: Severity::Warning,
                                message: format!(
                                    "skipped: {what}, not a regular file (folder walks do not follow links; \
                                     name the file in a Location target to read it)"
                                ),
                            }),
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
        let prepared = match self.prefetch {
            Some((prefetch, start_workers)) => prefetch.take(&canonical).unwrap_or_else(|| {
                let prepared = prefetch.read_file(path, &canonical);
                if matches!(prepared.content, Content::Split(..)) {
                    start_workers();
                }
                prepared
            }),
            None => prepare_file(path, self.options, self.form),
        };
        let content = match prepared.content {
            Content::Unreadable(ReadProblem { position, message }) => {
                self.problems.push(match position {
                    Some((l, c)) => Problem::error_at(display, l, c, message),
                    None => Problem::error(display, message),
                });
                return Loaded::Failed;
            }
            Content::Skeleton(_) if skip_skeletons => return Loaded::Skeleton,
            Content::Skeleton(text) => {
                let (docs, errors) = prepare_text(text, self.options, self.form);
                Content::Parsed(docs, errors)
            }
            content => content,
        };
        self.files_read += 1;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut targets = Vec::new();
        let file = FileContext {
            display: &display,
            location: Arc::from(format!("file:{display}")),
            base_dir: &base_dir,
            root,
            emitter,
        };
        match content {
            Content::Parsed(docs, errors) => {
                for e in errors {
                    self.problems
                        .push(Problem::error_at(&display, e.line, e.column, e.message));
                }
                for doc in docs {
                    self.load_document(doc, &file, &mut targets);
                }
            }
            Content::Split(chunked, ranges) => {
                self.load_pieces(&canonical, &chunked, &ranges, &file, &mut targets)
            }
            Content::Unreadable(_) | Content::Skeleton(_) => unreachable!("handled above"),
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

    /// Load the documents of a file split into pieces, piece by piece as
    /// the threads prepare them: the same problems, in the same order, as
    /// one parse of the whole file (its YAML errors before its documents'
    /// problems, and the alias budget carried from piece to piece).
    fn load_pieces(
        &mut self,
        canonical: &Path,
        chunked: &Chunked,
        ranges: &[Range<usize>],
        file: &FileContext,
        targets: &mut Vec<Target>,
    ) {
        let Some((prefetch, _)) = self.prefetch else {
            unreachable!("only the workers' reader splits files")
        };
        let errors_at = self.problems.len();
        let mut errors = Vec::new();
        let mut alias_budget = MAX_ALIAS_NODES;
        for (i, range) in ranges.iter().enumerate() {
            let mut piece = prefetch.take_piece(canonical, i);
            // Prepared with the whole budget: right unless an earlier piece
            // spent some and this one has aliases to spend it on.
            if piece.alias_budget != alias_budget && piece.parse.saw_alias {
                piece = prepare_piece(
                    chunked,
                    range.clone(),
                    alias_budget,
                    self.options,
                    self.form,
                );
            }
            alias_budget -= piece.alias_budget - piece.parse.alias_budget;
            errors.extend(
                piece
                    .parse
                    .errors
                    .into_iter()
                    .map(|e| Problem::error_at(file.display, e.line, e.column, e.message)),
            );
            for doc in piece.docs {
                self.load_document(doc, file, targets);
            }
        }
        self.problems.splice(errors_at..errors_at, errors);
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
            let (location, line) = self.kept.origin(first);
            let first_location = location.strip_prefix("file:").unwrap_or(location);
            let message = format!(
                "duplicate entity {key}: already defined at {first_location}:{line}; this one was not loaded (Backstage reports a conflict)"
            );
            let (line, column) = doc.position("metadata.name");
            self.problems
                .push(Problem::error_at(display, line, column, message));
            return;
        }
        if let Some(location) = entity.location() {
            self.collect_targets(location, &doc, display, &key, targets);
        }
        let index = self.kept.len();
        match self.form {
            Form::Full => self.reverse.extend(others),
            Form::Compact => {
                for r in others {
                    if r.target == key {
                        let next = self.reverse_sources.len() as u32;
                        let source = match self.reverse_sources.get(r.source.as_str()) {
                            Some(&id) => id,
                            None => {
                                self.reverse_sources.insert(r.source.into_boxed_str(), next);
                                next
                            }
                        };
                        self.reverse_from_kept
                            .push((source, r.relation_type, index as u32));
                    } else {
                        self.reverse.push(r);
                    }
                }
            }
        }
        self.by_ref.insert(key, index);
        match (&mut self.kept, entity) {
            (Kept::Full(kept), Made::Full(entity)) => kept.push(CatalogEntity {
                entity,
                origin: Origin {
                    source: self.source_name.to_string(),
                    location: file.location.to_string(),
                    line: Some(doc.line),
                },
            }),
            (Kept::Compact(kept), Made::Compact(mut entity, _)) => {
                entity.location = Arc::clone(&file.location);
                entity.line = doc.line;
                if let Some(spill) = &mut self.spill {
                    entity.spill(spill);
                }
                kept.push(entity);
            }
            _ => unreachable!("entities are made in the loader's form"),
        }
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
                    "kind {kind} is not allowed by the rules{}; {label} was not loaded ({backstage})",
                    self.options
                        .allowed_kinds
                        .as_deref()
                        .and_then(|allowed| callboard_core::text::closest(
                            kind,
                            allowed.iter().map(String::as_str)
                        ))
                        .map(|k| format!(" (did you mean {k}?)"))
                        .unwrap_or_default()
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
        Some(check_entity(value, self.form))
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

    /// The kept entities stitched, the problems, the files read, and (in
    /// compact form) the reverse edges owed to entities outside the set
    /// ([`callboard_core::catalog::relations::OutsideEdges`]).
    fn finish(mut self) -> Finished {
        let mut outside = Vec::new();
        match &mut self.kept {
            Kept::Full(kept) => {
                let threads = if self.reverse.len() < PARALLEL_STITCH {
                    1
                } else {
                    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS))
                };
                stitch_kept(kept, self.reverse, &self.by_ref, threads);
            }
            Kept::Compact(kept) => {
                outside = stitch_compact(
                    kept,
                    self.reverse,
                    self.reverse_from_kept,
                    self.reverse_sources,
                    &self.by_ref,
                )
            }
        }
        self.problems
            .sort_by(|a, b| (&a.location, a.line, a.column).cmp(&(&b.location, b.line, b.column)));
        (
            self.kept,
            self.problems,
            self.files_read,
            outside,
            self.spill,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loaded {
    Read,
    Failed,
    Skeleton,
}

#[cfg(test)]
mod tests;
