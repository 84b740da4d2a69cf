//! Reading one file ahead of the loader: its text parsed into documents,
//! placeholders noted, and each entity checked (catalog rules, validation,
//! its own relations) without any loader state.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use callboard_core::catalog::entity_ref::DEFAULT_NAMESPACE;
use callboard_core::catalog::relations::{emit_relations, EmittedRelation};
use callboard_core::catalog::validate::validate_document;
use callboard_core::catalog::{Entity, Kind};
use serde_json::Value;

use super::compact::CompactEntity;
use super::files::{is_template_skeleton, read_text_limited, ReadProblem};
use super::stitch::own_relations;
use super::LocalOptions;
use crate::source::yaml::{parse_documents_each, Chunked, Document, PieceParse, YamlError};

/// What the loader keeps of each entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// The [`Entity`] with its relations.
    Full,
    /// A [`CompactEntity`], made on the thread that read the file.
    Compact,
}

/// An accepted entity in the loader's [`Form`] (inside a boxed
/// [`Accepted`], so the variants' sizes do not matter).
#[allow(clippy::large_enum_variant)]
pub(super) enum Made {
    Full(Entity),
    /// With the entity itself when it is a Location (its targets are
    /// followed).
    Compact(Box<CompactEntity>, Option<Box<Entity>>),
}

impl Made {
    /// The entity when it is a Location.
    pub(super) fn location(&self) -> Option<&Entity> {
        match self {
            Made::Full(e) => (e.known_kind() == Some(Kind::Location)).then_some(e),
            Made::Compact(_, location) => location.as_deref(),
        }
    }
}

/// A file read, parsed and checked as far as it can be without the loader.
pub(super) struct PreparedFile {
    /// Size of its text, to bound what is read ahead.
    pub(super) bytes: usize,
    pub(super) content: Content,
}

pub(super) enum Content {
    Unreadable(ReadProblem),
    /// Scaffolder template syntax: not parsed, as folder walks skip it.
    Skeleton(String),
    Parsed(Vec<PreparedDoc>, Vec<YamlError>),
    /// Split into this many pieces, prepared on any thread and taken one
    /// by one ([`super::prefetch::Prefetch::take_piece`]).
    Split(Arc<Chunked>, Vec<Range<usize>>),
}

/// A document and how far it was checked (boxed: a file's documents wait
/// in a list, and a checked one's value is gone).
pub(super) struct PreparedDoc {
    pub(super) doc: Box<Document>,
    pub(super) check: Check,
}

pub(super) enum Check {
    /// The loader must look at it: not a mapping, a kind the rules refuse,
    /// or placeholders to resolve.
    Pending,
    /// Validated, turned into an entity and its relations emitted; or the
    /// (path, message) problems that drop it.
    Done(Checked),
}

/// The entity, or the (path, message) problems that drop the document.
pub(super) type Checked = Result<Box<Accepted>, Vec<(String, String)>>;

/// An entity that passed every check but the duplicate one, with the
/// relations it emits from itself attached.
pub(super) struct Accepted {
    pub(super) entity: Made,
    /// The relations it emits from other refs (reverse edges).
    pub(super) others: Vec<EmittedRelation>,
    /// Its canonical ref.
    pub(super) key: String,
}

/// Read, parse and check `path`. Depends only on the file and the options,
/// so it can run on any thread.
pub(super) fn prepare_file(path: &Path, options: &LocalOptions, form: Form) -> PreparedFile {
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
            let (docs, errors) = prepare_text(text, options, form);
            PreparedFile {
                bytes,
                content: Content::Parsed(docs, errors),
            }
        }
    }
}

/// Parse and check `text`, each document as soon as it is parsed (so only
/// one parsed value is alive at a time besides what the checks keep).
pub(super) fn prepare_text(
    text: String,
    options: &LocalOptions,
    form: Form,
) -> (Vec<PreparedDoc>, Vec<YamlError>) {
    let mut docs = Vec::new();
    let errors = parse_documents_each(text, |doc| docs.push(prepare_doc(doc, options, form)));
    (docs, errors)
}

/// A run of a file's chunks parsed and checked ([`prepare_text`] of a
/// piece of the file).
pub(super) struct PreparedPiece {
    pub(super) docs: Vec<PreparedDoc>,
    /// Its YAML errors, the alias budget left and whether an alias was met.
    pub(super) parse: PieceParse,
    /// The alias budget it was parsed with.
    pub(super) alias_budget: usize,
    /// Bytes of text in it.
    pub(super) bytes: usize,
}

/// Parse and check the chunks `range` of `chunked`, starting with
/// `alias_budget`.
pub(super) fn prepare_piece(
    chunked: &Chunked,
    range: Range<usize>,
    alias_budget: usize,
    options: &LocalOptions,
    form: Form,
) -> PreparedPiece {
    let bytes = chunked.bytes(&range);
    let mut docs = Vec::new();
    let parse = chunked.parse(range, alias_budget, |doc| {
        docs.push(prepare_doc(doc, options, form))
    });
    PreparedPiece {
        docs,
        parse,
        alias_budget,
        bytes,
    }
}

/// Check a document as far as the file alone allows.
fn prepare_doc(mut doc: Document, options: &LocalOptions, form: Form) -> PreparedDoc {
    let check = if !doc.value.is_object()
        || refused_kind(&doc.value, options).is_some()
        || has_placeholders(&doc.value)
    {
        Check::Pending
    } else {
        Check::Done(check_entity(std::mem::take(&mut doc.value), form))
    };
    PreparedDoc {
        doc: Box::new(doc),
        check,
    }
}

/// Validate a document (placeholders resolved), make the entity and emit
/// its relations; or say why it is dropped, as (path, message) pairs.
pub(super) fn check_entity(value: Value, form: Form) -> Checked {
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
    let (entity, others) = match form {
        Form::Full => {
            let others = own_relations(&mut entity, &key, emitted);
            (Made::Full(entity), others)
        }
        Form::Compact => {
            let (own, others): (Vec<_>, Vec<_>) =
                emitted.into_iter().partition(|r| r.source == key);
            let compact = CompactEntity::new(&entity, key.clone(), own);
            let location = (entity.known_kind() == Some(Kind::Location)).then(|| Box::new(entity));
            (Made::Compact(Box::new(compact), location), others)
        }
    };
    Ok(Box::new(Accepted {
        entity,
        others,
        key,
    }))
}

/// The document's kind when the catalog rules do not allow it.
pub(super) fn refused_kind<'v>(value: &'v Value, options: &LocalOptions) -> Option<&'v str> {
    let allowed = options.allowed_kinds.as_ref()?;
    let kind = value.get("kind").and_then(Value::as_str)?;
    (!allowed.iter().any(|k| k.eq_ignore_ascii_case(kind))).then_some(kind)
}

/// Whether a placeholder key (`$text`, `$json`, `$yaml`) appears anywhere.
pub(super) fn has_placeholders(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| {
            (k.starts_with('$') && matches!(k.as_str(), "$text" | "$json" | "$yaml"))
                || has_placeholders(v)
        }),
        Value::Array(items) => items.iter().any(has_placeholders),
        _ => false,
    }
}

/// `Kind name` for messages, as far as the document says.
pub(super) fn entity_label(value: &Value) -> String {
    let metadata = |key: &str| value.get("metadata")?.get(key)?.as_str();
    let kind = value.get("kind").and_then(Value::as_str);
    label(kind, metadata("name"), metadata("namespace"))
}

/// [`entity_label`] of an entity's document.
pub(super) fn entity_label_of(entity: &Entity) -> String {
    let metadata = &entity.metadata;
    label(
        Some(&entity.kind),
        Some(&metadata.name),
        metadata.namespace.as_deref(),
    )
}

pub(super) fn label(kind: Option<&str>, name: Option<&str>, namespace: Option<&str>) -> String {
    match (kind, name) {
        (Some(k), Some(n)) => match namespace {
            Some(ns) if !ns.is_empty() && !ns.eq_ignore_ascii_case(DEFAULT_NAMESPACE) => {
                format!("{k} {ns}/{n}")
            }
            _ => format!("{k} {n}"),
        },
        (Some(k), None) => format!("this {k}"),
        (None, Some(n)) => format!("entity {n}"),
        (None, None) => "the entity".to_string(),
    }
}

pub(super) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
