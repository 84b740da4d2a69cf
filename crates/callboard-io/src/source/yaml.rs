//! Multi-document YAML to JSON values, with the line and column of every
//! value, built from yaml-rust2's event stream.
//!
//! Semantics follow what Backstage's `yaml` (v2) parser gives the catalog:
//! the YAML 1.2 core schema for plain scalars, quoted scalars always strings,
//! anchors and aliases expanded, duplicate keys rejected, and an error in
//! one document does not stop the others (the text is split into documents
//! at `---` lines first, so a syntax error only costs its own document).
//!
//! Positions are only needed for documents with a problem, so they are not
//! recorded while parsing: a [`Document`] remembers where its text is and
//! parses it again, recording every position, the first time one is asked
//! for. A document that is a single JSON object (JSON is YAML 1.2, and
//! generated catalogs are often written that way) is read by a strict JSON
//! reader first; anything outside the subset known to read the same both
//! ways (duplicate keys, surrogate escapes, tabs, control characters, …)
//! falls back to the YAML parser, so values, errors and positions are the
//! same either way.
//!
//! Paths use the syntax of [`callboard_core::catalog::validate`]: map keys joined with
//! `.`, array indices as `[i]`, `""` for the document itself.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest nesting of collections accepted (keeps every later recursive walk,
/// including dropping the value, far from the stack limit).
pub const MAX_DEPTH: usize = 128;

/// Most nodes that alias expansion may create in one parse ("billion laughs").
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// One parsed YAML document.
#[derive(Clone)]
pub struct Document {
    pub value: Value,
    /// 1-based line where the document's content starts.
    pub line: u32,
    /// Where the document came from, to find positions again.
    source: DocSource,
    /// Every recorded path and its position, filled on first use.
    spans: OnceLock<HashMap<String, (u32, u32)>>,
}

/// The text a document was parsed from and how to parse it again.
#[derive(Clone)]
struct DocSource {
    /// The whole text the document is in.
    text: Arc<String>,
    /// Byte range of the document's chunk in `text` (see
    /// [`document_chunks`]).
    range: (usize, usize),
    /// Lines before the chunk.
    line_offset: u32,
    /// Alias budget left when the chunk was parsed.
    alias_budget: usize,
    /// Which of the chunk's kept documents this is.
    index: usize,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("value", &self.value)
            .field("line", &self.line)
            .field("range", &self.source.range)
            .finish_non_exhaustive()
    }
}

/// Documents are equal when their values, lines and positions are.
impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && self.line == other.line && self.spans() == other.spans()
    }
}

/// A YAML problem with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for YamlError {}

impl Document {
    /// The 1-based (line, column) of the value at `path`. For a map entry this
    /// is the value's own position when it starts on the key's line, else the
    /// key's (so a block mapping or list points at its key). Paths that were
    /// not recorded fall back to their longest recorded prefix, then to the
    /// document start.
    pub fn position(&self, path: &str) -> (u32, u32) {
        let spans = self.spans();
        let mut p = path;
        loop {
            if let Some(&pos) = spans.get(p) {
                return pos;
            }
            match parent_path(p) {
                Some(parent) => p = parent,
                None => return spans.get("").copied().unwrap_or((self.line, 1)),
            }
        }
    }

    /// Every recorded path and its position (found on first use by parsing
    /// the document's text again).
    pub fn spans(&self) -> &HashMap<String, (u32, u32)> {
        self.spans.get_or_init(|| self.source.spans())
    }
}

impl DocSource {
    fn spans(&self) -> HashMap<String, (u32, u32)> {
        let Some(chunk) = self.text.get(self.range.0..self.range.1) else {
            return HashMap::new();
        };
        let parsed = std::panic::catch_unwind(|| {
            parse_chunk(chunk, self.line_offset, self.alias_budget, true)
        });
        match parsed {
            Ok((mut docs, _, _)) if self.index < docs.len() => docs.swap_remove(self.index).spans,
            // The same text parsed the same way cannot differ; if it did,
            // positions fall back to the document start.
            _ => HashMap::new(),
        }
    }
}

/// `a.b[2]` → `a.b`, `a.b` → `a`, `a` → `""`, `""` → none. Keys containing
/// dots (annotation keys) are handled by trying each shorter prefix in turn.
fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

/// Parse every document of `text`. Empty documents (nothing, comments only,
/// or an explicit null) are skipped. Never panics.
pub fn parse_documents(text: &str) -> (Vec<Document>, Vec<YamlError>) {
    parse_documents_owned(text.to_string())
}

/// [`parse_documents`] taking the text (the documents keep it, to find
/// positions when asked).
pub fn parse_documents_owned(text: String) -> (Vec<Document>, Vec<YamlError>) {
    let text = Arc::new(text);
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[bom..];
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut alias_budget = MAX_ALIAS_NODES;
    for (range, line_offset) in document_chunks(body) {
        let chunk = &body[range.0..range.1];
        let source = |index: usize| DocSource {
            text: Arc::clone(&text),
            range: (bom + range.0, bom + range.1),
            line_offset,
            alias_budget,
            index,
        };
        if let Some((value, line)) = json::parse_chunk(chunk, line_offset) {
            docs.push(Document {
                value,
                line,
                source: source(0),
                spans: OnceLock::new(),
            });
            continue;
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parse_chunk(chunk, line_offset, alias_budget, false)
        }));
        match result {
            Ok((d, e, budget_left)) => {
                for (index, parsed) in d.into_iter().enumerate() {
                    docs.push(Document {
                        value: parsed.value,
                        line: parsed.line,
                        source: source(index),
                        spans: OnceLock::new(),
                    });
                }
                errors.extend(e);
                alias_budget = budget_left;
            }
            Err(_) => errors.push(YamlError {
                line: line_offset + 1,
                column: 1,
                message: "the YAML parser failed on this document; it was skipped".into(),
            }),
        }
    }
    (docs, errors)
}

/// Split the text at lines that start a document (`---` at column 0 followed
/// by a blank or the end of the line). Such a line can only be a document
/// marker in YAML, so parsing the pieces separately gives the same documents
/// as parsing the whole stream, but a syntax error stays inside its piece.
/// Directive lines (`%…`) right above a marker go with the document they
/// introduce. Returns ((start, end) byte range, lines before start).
fn document_chunks(text: &str) -> Vec<((usize, usize), u32)> {
    let mut starts: Vec<(usize, u32)> = vec![(0, 0)];
    // Start of the run of directive lines directly above the current line.
    let mut directive_run: Option<(usize, u32)> = None;
    let mut offset = 0usize;
    let mut line_no = 0u32;
    for line in text.split_inclusive('\n') {
        let is_marker = line
            .strip_prefix("---")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']));
        if is_marker && offset > 0 {
            let start = directive_run.unwrap_or((offset, line_no));
            if start.0 > starts.last().map_or(0, |s| s.0) {
                starts.push(start);
            }
        }
        if line.starts_with('%') {
            directive_run.get_or_insert((offset, line_no));
        } else {
            directive_run = None;
        }
        offset += line.len();
        line_no = line_no.saturating_add(1);
    }
    let mut chunks = Vec::with_capacity(starts.len());
    for (i, &(start, line)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |s| s.0);
        chunks.push(((start, end), line));
    }
    chunks
}

/// A document as the builder made it: with only the document's own
/// position in `spans`, or with every position when asked to record them.
struct Parsed {
    value: Value,
    line: u32,
    spans: HashMap<String, (u32, u32)>,
}

/// Parse one chunk; `with_spans` records the position of every value.
fn parse_chunk(
    text: &str,
    line_offset: u32,
    alias_budget: usize,
    with_spans: bool,
) -> (Vec<Parsed>, Vec<YamlError>, usize) {
    let mut builder = Builder::new(line_offset, alias_budget, with_spans);
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Err(e) => {
                let mark = e.marker();
                builder.errors.push(YamlError {
                    line: builder.line(mark),
                    column: builder.column(mark),
                    message: format!(
                        "YAML syntax error: {}; this document was skipped (the other documents in the file are still read)",
                        e.info()
                    ),
                });
                break;
            }
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, mark)) => builder.on_event(event, mark),
        }
    }
    (builder.docs, builder.errors, builder.alias_budget)
}

/// A value under construction with its node count and nesting depth.
struct Built {
    value: Value,
    size: usize,
    depth: usize,
    /// Where the node starts.
    pos: (u32, u32),
}

enum Container {
    Seq(Vec<Value>),
    Map {
        map: Map<String, Value>,
        /// The key read and waiting for its value, with its position.
        pending: Option<(String, (u32, u32))>,
    },
    /// Contents are discarded (the document already failed).
    Skip,
}

struct Frame {
    container: Container,
    /// None inside a complex key, where positions are not recorded.
    path: Option<String>,
    anchor: usize,
    size: usize,
    depth: usize,
    /// Where the collection starts: its start event, or its first key when
    /// that comes earlier (yaml-rust2 marks a block mapping at the first
    /// key's `:`).
    start: (u32, u32),
    /// The position recorded for `path` came from the start event and should
    /// move to the first key.
    start_from_event: bool,
    seen_key: bool,
}

struct DocState {
    spans: HashMap<String, (u32, u32)>,
    root: Option<Value>,
    start: (u32, u32),
    failed: bool,
}

struct Builder {
    line_offset: u32,
    /// Record the position of every value, not just the document's.
    with_spans: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize, usize)>,
    doc: Option<DocState>,
    docs: Vec<Parsed>,
    errors: Vec<YamlError>,
    alias_budget: usize,
}

/// Where a new node goes, decided when it starts.
enum Slot {
    Root,
    /// A value in the top frame, shown at `pos` (`path` is None inside a
    /// complex key).
    Child {
        path: Option<String>,
        pos: (u32, u32),
    },
    /// A key of the top map frame.
    Key,
    Discard,
}

impl Builder {
    fn new(line_offset: u32, alias_budget: usize, with_spans: bool) -> Self {
        Builder {
            line_offset,
            with_spans,
            stack: Vec::new(),
            anchors: HashMap::new(),
            doc: None,
            docs: Vec::new(),
            errors: Vec::new(),
            alias_budget,
        }
    }

    fn line(&self, mark: &Marker) -> u32 {
        u32::try_from(mark.line())
            .unwrap_or(u32::MAX)
            .saturating_add(self.line_offset)
            .max(1)
    }

    fn column(&self, mark: &Marker) -> u32 {
        u32::try_from(mark.col())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    fn pos(&self, mark: &Marker) -> (u32, u32) {
        (self.line(mark), self.column(mark))
    }

    fn fail(&mut self, pos: (u32, u32), message: String) {
        if let Some(doc) = self.doc.as_mut() {
            if !doc.failed {
                doc.failed = true;
                self.errors.push(YamlError {
                    line: pos.0,
                    column: pos.1,
                    message,
                });
            }
        }
    }

    fn failed(&self) -> bool {
        self.doc.as_ref().is_none_or(|d| d.failed)
    }

    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::DocumentStart => {
                self.stack.clear();
                self.anchors.clear();
                self.doc = Some(DocState {
                    spans: HashMap::new(),
                    root: None,
                    start: self.pos(&mark),
                    failed: false,
                });
            }
            Event::DocumentEnd => self.finish_document(),
            Event::Scalar(text, style, anchor, tag) => {
                let slot = self.slot(&mark);
                let value = if let Slot::Key = slot {
                    // Keys keep their text as written (1.50 stays "1.50").
                    Value::String(text)
                } else {
                    scalar_value(text, style, tag.as_ref())
                };
                let pos = self.pos(&mark);
                self.complete(
                    slot,
                    Built {
                        value,
                        size: 1,
                        depth: 0,
                        pos,
                    },
                    anchor,
                );
            }
            Event::Alias(id) => {
                let slot = self.slot(&mark);
                let pos = self.pos(&mark);
                let Some((value, size, depth)) = self.anchors.get(&id).map(|(v, s, d)| (v, *s, *d))
                else {
                    self.fail(
                        pos,
                        "alias to an unknown anchor, or to the collection it is inside".into(),
                    );
                    self.complete(slot, null(pos), 0);
                    return;
                };
                if size > self.alias_budget {
                    self.fail(
                        pos,
                        format!("aliases expand to more than {MAX_ALIAS_NODES} values; the document was skipped"),
                    );
                    self.complete(slot, null(pos), 0);
                    return;
                }
                if self.stack.len() + depth > MAX_DEPTH {
                    self.fail(
                        pos,
                        format!(
                            "YAML nested deeper than {MAX_DEPTH} levels; the document was skipped"
                        ),
                    );
                    self.complete(slot, null(pos), 0);
                    return;
                }
                self.alias_budget -= size;
                let built = Built {
                    value: value.clone(),
                    size,
                    depth,
                    pos,
                };
                self.complete(slot, built, 0);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let is_map = matches!(event, Event::MappingStart(..));
                let slot = self.slot(&mark);
                let pos = self.pos(&mark);
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(
                        pos,
                        format!(
                            "YAML nested deeper than {MAX_DEPTH} levels; the document was skipped"
                        ),
                    );
                }
                let mut start_from_event = false;
                let (path, container) = match slot {
                    _ if self.failed() => (None, Container::Skip),
                    Slot::Discard => (None, Container::Skip),
                    Slot::Key => (None, new_container(is_map)),
                    Slot::Root => {
                        self.record("", pos);
                        start_from_event = true;
                        (Some(String::new()), new_container(is_map))
                    }
                    Slot::Child { path, pos: shown } => {
                        if let Some(p) = &path {
                            self.record(p, shown);
                            start_from_event = shown == pos;
                        }
                        (path, new_container(is_map))
                    }
                };
                self.stack.push(Frame {
                    container,
                    path,
                    anchor,
                    size: 1,
                    depth: 1,
                    start: pos,
                    start_from_event,
                    seen_key: false,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let value = match frame.container {
                    Container::Seq(items) => Value::Array(items),
                    Container::Map { map, .. } => Value::Object(map),
                    Container::Skip => Value::Null,
                };
                let built = Built {
                    value,
                    size: frame.size,
                    depth: frame.depth,
                    pos: frame.start,
                };
                self.attach(built, frame.anchor);
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }

    /// Decide where a node starting at `mark` goes and record its position.
    fn slot(&mut self, mark: &Marker) -> Slot {
        let pos = self.pos(mark);
        if self.doc.is_none() {
            return Slot::Discard;
        }
        let Some(top) = self.stack.last() else {
            return Slot::Root;
        };
        // Without spans only the document's own position is kept, so child
        // paths are never built.
        let parent = top.path.as_ref().filter(|_| self.with_spans);
        match &top.container {
            Container::Skip => Slot::Discard,
            Container::Seq(items) => Slot::Child {
                path: parent.map(|p| format!("{p}[{}]", items.len())),
                pos,
            },
            Container::Map { pending: None, .. } => Slot::Key,
            Container::Map {
                pending: Some((key, key_pos)),
                ..
            } => Slot::Child {
                path: parent.map(|p| join_key(p, key)),
                // A value on a later line than its key (a block mapping or
                // list) is shown at its key.
                pos: if pos.0 > key_pos.0 { *key_pos } else { pos },
            },
        }
    }

    fn record(&mut self, path: &str, pos: (u32, u32)) {
        if let Some(doc) = self.doc.as_mut() {
            doc.spans.insert(path.to_string(), pos);
        }
    }

    /// A scalar or alias: record its position, then attach it.
    fn complete(&mut self, slot: Slot, built: Built, anchor: usize) {
        match slot {
            Slot::Root => self.record("", built.pos),
            Slot::Child { path: Some(p), pos } => self.record(&p, pos),
            _ => {}
        }
        self.attach(built, anchor);
    }

    /// Put a finished node into the top frame (or make it the root).
    fn attach(&mut self, built: Built, anchor: usize) {
        if anchor > 0 && !self.failed() {
            self.anchors
                .insert(anchor, (built.value.clone(), built.size, built.depth));
        }
        let failed = self.failed();
        let Some(top) = self.stack.last_mut() else {
            if let Some(doc) = self.doc.as_mut() {
                doc.root = Some(built.value);
            }
            return;
        };
        top.size = top.size.saturating_add(built.size);
        top.depth = top.depth.max(built.depth + 1);
        let mut duplicate = None;
        match &mut top.container {
            Container::Skip => {}
            Container::Seq(items) => {
                if !failed {
                    items.push(built.value);
                }
            }
            Container::Map { map, pending } => match pending.take() {
                Some((key, _)) => {
                    if !failed {
                        map.insert(key, built.value);
                    }
                }
                None => {
                    let key = key_text(built.value);
                    if map.contains_key(&key) {
                        duplicate = Some(key.clone());
                    }
                    *pending = Some((key, built.pos));
                    if !top.seen_key {
                        top.seen_key = true;
                        if built.pos < top.start {
                            top.start = built.pos;
                            if top.start_from_event {
                                if let (Some(path), Some(doc)) =
                                    (top.path.as_ref(), self.doc.as_mut())
                                {
                                    doc.spans.insert(path.clone(), built.pos);
                                }
                            }
                        }
                    }
                }
            },
        }
        if let Some(key) = duplicate {
            self.fail(
                built.pos,
                format!("duplicate key '{key}' in a mapping (Backstage rejects the document)"),
            );
        }
    }

    fn finish_document(&mut self) {
        self.stack.clear();
        let Some(doc) = self.doc.take() else {
            return;
        };
        if doc.failed {
            return;
        }
        let Some(value) = doc.root else {
            return;
        };
        if value.is_null() {
            return;
        }
        let line = doc.spans.get("").map_or(doc.start.0, |p| p.0);
        self.docs.push(Parsed {
            value,
            line,
            spans: doc.spans,
        });
    }
}

fn null(pos: (u32, u32)) -> Built {
    Built {
        value: Value::Null,
        size: 1,
        depth: 0,
        pos,
    }
}

fn new_container(is_map: bool) -> Container {
    if is_map {
        Container::Map {
            map: Map::new(),
            pending: None,
        }
    } else {
        Container::Seq(Vec::new())
    }
}

fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Map keys are strings in JSON: scalars keep their text, collections become
/// their JSON text.
fn key_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => serde_json::to_string(&other).unwrap_or_default(),
    }
}

const CORE_TAG: &str = "tag:yaml.org,2002:";

fn scalar_value(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    match tag {
        Some(tag) if tag.handle == CORE_TAG => match tag.suffix.as_str() {
            "null" => Value::Null,
            "bool" => parse_bool(&text).map_or(Value::String(text), Value::Bool),
            "int" => parse_int(&text).unwrap_or(Value::String(text)),
            "float" => parse_float(&text)
                .or_else(|| parse_int(&text))
                .unwrap_or(Value::String(text)),
            _ => Value::String(text),
        },
        // Local or unknown tags: keep the text as written.
        Some(_) => Value::String(text),
        None if style == TScalarStyle::Plain => resolve_plain(text),
        None => Value::String(text),
    }
}

/// The YAML 1.2 core schema for untagged plain scalars.
fn resolve_plain(text: String) -> Value {
    if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = parse_bool(&text) {
        return Value::Bool(b);
    }
    if let Some(n) = parse_int(&text) {
        return n;
    }
    if let Some(n) = parse_float(&text) {
        return n;
    }
    Value::String(text)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. Integers too big for 64 bits
/// become floats, as in JavaScript.
fn parse_int(s: &str) -> Option<Value> {
    if let Some(oct) = s.strip_prefix("0o") {
        return radix_int(oct, 8);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return radix_int(hex, 16);
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = s.trim_start_matches('+').parse::<u64>() {
        return Some(Value::from(u));
    }
    s.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

fn radix_int(digits: &str, radix: u32) -> Option<Value> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if let Ok(u) = u64::from_str_radix(digits, radix) {
        return Some(Value::from(u));
    }
    // Too big for u64: approximate as a float, digit by digit.
    let f = digits
        .chars()
        .filter_map(|c| c.to_digit(radix))
        .fold(0f64, |acc, d| acc * f64::from(radix) + f64::from(d));
    Number::from_f64(f).map(Value::Number)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`. `.inf` and `.nan`
/// have no JSON number, so they stay strings (the caller falls through).
fn parse_float(s: &str) -> Option<Value> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        // `.5`
        Some(f) if int_part.is_empty() => !f.is_empty() && all_digits(f),
        // `1.` and `1.5`
        Some(f) => !int_part.is_empty() && all_digits(int_part) && all_digits(f),
        None => !int_part.is_empty() && all_digits(int_part),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let d = e.strip_prefix(['-', '+']).unwrap_or(e);
        !d.is_empty() && all_digits(d)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// The fast path for documents that are one JSON object.
///
/// Only input that yaml-rust2 and the builder above are known to read the
/// same way is accepted: strict JSON (no trailing commas, no leading zeros),
/// separated by spaces and line breaks (`\n` or `\r\n`, no tabs), with no
/// duplicate keys, no surrogate `\u` escapes, no control, C1, BOM or
/// non-character code points, at most `MAX_JSON_DEPTH` deep, with only
/// blank lines, comments and a leading `---` around it. Everything else
/// returns `None` and goes through the YAML parser. Scalars are resolved by
/// the same core-schema functions as plain YAML scalars.
mod json {
    use serde_json::{Map, Value};

    /// Nesting accepted by the fast path (well inside both YAML limits).
    pub(super) const MAX_JSON_DEPTH: usize = 64;

    /// The value and 1-based line of a chunk that is one JSON object.
    pub(super) fn parse_chunk(chunk: &str, line_offset: u32) -> Option<(Value, u32)> {
        let b = chunk.as_bytes();
        let mut r = Reader {
            s: chunk,
            b,
            i: 0,
            lines: 0,
        };
        if b.starts_with(b"---") && matches!(b.get(3), None | Some(b' ' | b'\n' | b'\r')) {
            r.i = 3;
        }
        r.skip_blank_and_comments()?;
        if r.peek() != Some(b'{') {
            return None;
        }
        let line = line_offset.saturating_add(r.lines).saturating_add(1);
        let value = r.value(0)?;
        r.skip_blank_and_comments()?;
        (r.i == b.len()).then_some((value, line))
    }

    struct Reader<'a> {
        s: &'a str,
        /// `s` as bytes.
        b: &'a [u8],
        i: usize,
        /// Line breaks passed.
        lines: u32,
    }

    impl Reader<'_> {
        fn peek(&self) -> Option<u8> {
            self.b.get(self.i).copied()
        }

        /// A line break at the cursor: its length, or `None` for a lone
        /// `\r` (a break in YAML, so lines would count differently).
        fn line_break(&self) -> Option<usize> {
            match (self.peek(), self.b.get(self.i + 1)) {
                (Some(b'\n'), _) => Some(1),
                (Some(b'\r'), Some(b'\n')) => Some(2),
                _ => None,
            }
        }

        /// Spaces and line breaks (JSON whitespace without tabs).
        fn skip_space(&mut self) -> Option<()> {
            loop {
                match self.peek() {
                    Some(b' ') => self.i += 1,
                    Some(b'\n' | b'\r') => {
                        self.i += self.line_break()?;
                        self.lines += 1;
                    }
                    _ => return Some(()),
                }
            }
        }

        /// Spaces, line breaks and `#` comments (which must start a line or
        /// follow a space), outside the JSON value.
        fn skip_blank_and_comments(&mut self) -> Option<()> {
            loop {
                self.skip_space()?;
                if self.peek() != Some(b'#') {
                    return Some(());
                }
                if self.i > 0 && !matches!(self.b[self.i - 1], b' ' | b'\n') {
                    return None;
                }
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    if c != b'\t' && !plain_byte(self.b, self.i) {
                        return None;
                    }
                    self.i += 1;
                }
            }
        }

        fn value(&mut self, depth: usize) -> Option<Value> {
            match self.peek()? {
                b'{' => self.object(depth + 1),
                b'[' => self.array(depth + 1),
                b'"' => self.string().map(Value::String),
                b't' => self.literal("true", Value::Bool(true)),
                b'f' => self.literal("false", Value::Bool(false)),
                b'n' => self.literal("null", Value::Null),
                b'-' | b'0'..=b'9' => self.number(),
                _ => None,
            }
        }

        fn object(&mut self, depth: usize) -> Option<Value> {
            if depth > MAX_JSON_DEPTH {
                return None;
            }
            self.i += 1;
            let mut map = Map::new();
            self.skip_space()?;
            if self.peek()? == b'}' {
                self.i += 1;
                return Some(Value::Object(map));
            }
            loop {
                if self.peek()? != b'"' {
                    return None;
                }
                let key = self.string()?;
                self.skip_space()?;
                if self.peek()? != b':' {
                    return None;
                }
                self.i += 1;
                self.skip_space()?;
                let value = self.value(depth)?;
                // YAML rejects duplicate keys; the YAML path reports them.
                if map.insert(key, value).is_some() {
                    return None;
                }
                self.skip_space()?;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.skip_space()?;
                    }
                    b'}' => {
                        self.i += 1;
                        return Some(Value::Object(map));
                    }
                    _ => return None,
                }
            }
        }

        fn array(&mut self, depth: usize) -> Option<Value> {
            if depth > MAX_JSON_DEPTH {
                return None;
            }
            self.i += 1;
            let mut items = Vec::new();
            self.skip_space()?;
            if self.peek()? == b']' {
                self.i += 1;
                return Some(Value::Array(items));
            }
            loop {
                items.push(self.value(depth)?);
                self.skip_space()?;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.skip_space()?;
                    }
                    b']' => {
                        self.i += 1;
                        return Some(Value::Array(items));
                    }
                    _ => return None,
                }
            }
        }

        /// After a scalar: something that ends a plain scalar in both
        /// languages.
        fn at_delimiter(&self) -> bool {
            matches!(
                self.peek(),
                None | Some(b' ' | b'\n' | b'\r' | b',' | b']' | b'}')
            )
        }

        fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
            if !self.b[self.i..].starts_with(word.as_bytes()) {
                return None;
            }
            self.i += word.len();
            self.at_delimiter().then_some(value)
        }

        /// A JSON number, resolved as the same plain YAML scalar would be.
        fn number(&mut self) -> Option<Value> {
            let start = self.i;
            let digits = |r: &mut Self| {
                let from = r.i;
                while r.peek().is_some_and(|c| c.is_ascii_digit()) {
                    r.i += 1;
                }
                r.i - from
            };
            if self.peek() == Some(b'-') {
                self.i += 1;
            }
            match self.peek()? {
                b'0' => self.i += 1,
                b'1'..=b'9' => {
                    digits(self);
                }
                _ => return None,
            }
            if self.peek() == Some(b'.') {
                self.i += 1;
                if digits(self) == 0 {
                    return None;
                }
            }
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.i += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.i += 1;
                }
                if digits(self) == 0 {
                    return None;
                }
            }
            if !self.at_delimiter() {
                return None;
            }
            let text = self.s.get(start..self.i)?;
            Some(super::resolve_plain(text.to_string()))
        }

        /// A double-quoted string; the cursor is on the opening quote.
        fn string(&mut self) -> Option<String> {
            self.i += 1;
            let start = self.i;
            // Common case: no escapes.
            loop {
                match self.peek()? {
                    b'"' => {
                        // Cut at ASCII quotes, so on character boundaries.
                        let s = self.s.get(start..self.i)?;
                        self.i += 1;
                        return Some(s.to_string());
                    }
                    b'\\' => break,
                    _ if plain_byte(self.b, self.i) => self.i += 1,
                    _ => return None,
                }
            }
            let mut out = self.s.get(start..self.i)?.to_string();
            loop {
                let run = self.i;
                while self.peek().is_some_and(|c| c != b'"' && c != b'\\') {
                    if !plain_byte(self.b, self.i) {
                        return None;
                    }
                    self.i += 1;
                }
                out.push_str(self.s.get(run..self.i)?);
                match self.peek()? {
                    b'"' => {
                        self.i += 1;
                        return Some(out);
                    }
                    _ => {
                        let escaped = self.b.get(self.i + 1).copied()?;
                        self.i += 2;
                        out.push(match escaped {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let hex = self.b.get(self.i..self.i + 4)?;
                                if !hex.iter().all(u8::is_ascii_hexdigit) {
                                    return None;
                                }
                                let code =
                                    u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                                self.i += 4;
                                // Surrogates (pairs in JSON) are an error in YAML.
                                char::from_u32(code)?
                            }
                            _ => return None,
                        });
                    }
                }
            }
        }
    }

    /// Whether the byte at `i` may appear as itself in a string or comment:
    /// printable ASCII, or a UTF-8 sequence that is not a C1 control
    /// (U+0080–U+009F), a BOM (U+FEFF) or U+FFFE/U+FFFF.
    fn plain_byte(b: &[u8], i: usize) -> bool {
        match b[i] {
            0x20..=0x7e => true,
            0xc2 => !matches!(b.get(i + 1), Some(0x80..=0x9f)),
            0xef => !matches!(
                (b.get(i + 1), b.get(i + 2)),
                (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
            ),
            c => c >= 0x80,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Document {
        let (mut docs, errors) = parse_documents(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    #[test]
    fn core_schema_scalars() {
        let d = one(
            "a: ~\nb: null\nc:\nd: true\ne: False\nf: 12\ng: -3\nh: 0x1F\ni: 0o17\nj: 1.5\nk: .5\nl: 1e3\n\
             m: .inf\nn: .nan\no: '12'\np: \"true\"\nq: yes\nr: 0755\ns: 99999999999999999999\nt: 1.0.0\nu: +7\n",
        );
        assert_eq!(
            d.value,
            json!({"a": null, "b": null, "c": null, "d": true, "e": false, "f": 12, "g": -3, "h": 31,
                   "i": 15, "j": 1.5, "k": 0.5, "l": 1000.0, "m": ".inf", "n": ".nan", "o": "12",
                   "p": "true", "q": "yes", "r": 755, "s": 1e20, "t": "1.0.0", "u": 7})
        );
    }

    #[test]
    fn tags_are_honoured() {
        let d = one("a: !!str 12\nb: !!int '7'\nc: !!bool 'true'\nd: !custom 5\ne: !!null ''\nf: !!float 2\n");
        assert_eq!(
            d.value,
            json!({"a": "12", "b": 7, "c": true, "d": "5", "e": null, "f": 2.0})
        );
    }

    #[test]
    fn positions_of_values_keys_and_items() {
        let text = "apiVersion: v1\nkind: Component\nmetadata:\n  name: x\n  annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  dependsOn:\n    - a\n    - b\n  flow: [p, q]\n";
        let d = one(text);
        assert_eq!(d.line, 1);
        assert_eq!(d.position(""), (1, 1));
        assert_eq!(d.position("kind"), (2, 7));
        assert_eq!(d.position("metadata"), (3, 1));
        assert_eq!(d.position("metadata.name"), (4, 9));
        assert_eq!(
            d.position("metadata.annotations.backstage.io/techdocs-ref"),
            (6, 32)
        );
        assert_eq!(d.position("spec.dependsOn"), (8, 3));
        assert_eq!(d.position("spec.dependsOn[1]"), (10, 7));
        assert_eq!(d.position("spec.flow[1]"), (11, 13));
        // Unknown paths fall back to the longest known prefix.
        assert_eq!(d.position("spec.dependsOn[7]"), (8, 3));
        assert_eq!(d.position("metadata.annotations.nope"), (5, 3));
        assert_eq!(d.position("nothing.at.all"), (1, 1));
    }

    #[test]
    fn documents_lines_and_empty_documents() {
        let text = "# comment\n---\n---\n# only a comment\n---\na: 1\n---\nnull\n---\n- x\n";
        let (docs, errors) = parse_documents(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].line, 6);
        assert_eq!(docs[0].value, json!({"a": 1}));
        assert_eq!(docs[1].line, 10);
        assert_eq!(docs[1].value, json!(["x"]));
    }

    #[test]
    fn a_syntax_error_costs_only_its_document() {
        let text = "a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n";
        let (docs, errors) = parse_documents(text);
        assert_eq!(docs.len(), 2, "{errors:?}");
        assert_eq!(docs[0].value, json!({"a": 1}));
        assert_eq!(docs[1].value, json!({"d": 4}));
        assert_eq!(docs[1].line, 6);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].line >= 3 && errors[0].line <= 5, "{errors:?}");
        assert!(errors[0].message.contains("syntax error"));
    }

    #[test]
    fn duplicate_keys_fail_the_document() {
        let (docs, errors) = parse_documents("a: 1\nb:\n  c: 1\n  c: 2\n---\nz: 1\n");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].value, json!({"z": 1}));
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column), (4, 3));
        assert!(errors[0].message.contains("duplicate key 'c'"));
    }

    #[test]
    fn anchors_and_aliases_are_expanded() {
        let d = one("base: &b {x: 1, y: [a]}\ncopy: *b\nlist: [&s hi, *s]\n");
        assert_eq!(
            d.value,
            json!({"base": {"x": 1, "y": ["a"]}, "copy": {"x": 1, "y": ["a"]}, "list": ["hi", "hi"]})
        );
        assert_eq!(d.position("copy"), (2, 7));
        assert_eq!(d.position("copy.x"), (2, 7));
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
        }
        let (docs, errors) = parse_documents(&text);
        assert!(docs.is_empty());
        assert!(errors[0].message.contains("aliases expand"), "{errors:?}");
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (docs, errors) = parse_documents(&text);
        assert!(docs.is_empty());
        // yaml-rust2 has its own limit for flow collections.
        assert_eq!(errors.len(), 1, "{errors:?}");
        let text = (0..300)
            .map(|i| format!("{}k:\n", "  ".repeat(i)))
            .collect::<String>();
        let (docs, errors) = parse_documents(&text);
        assert!(docs.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("nested deeper"), "{errors:?}");
    }

    #[test]
    fn complex_and_non_string_keys_are_stringified() {
        let d = one("1: a\ntrue: b\n? [x, y]\n: c\n1.50: d\n");
        assert_eq!(
            d.value,
            json!({"1": "a", "true": "b", "[\"x\",\"y\"]": "c", "1.50": "d"})
        );
    }

    #[test]
    fn unknown_alias_and_recursive_alias_are_errors() {
        let (docs, errors) = parse_documents("a: *nope\n");
        assert!(docs.is_empty());
        assert_eq!(errors.len(), 1);
        let (docs, errors) = parse_documents("a: &x [1, *x]\n");
        assert!(docs.is_empty());
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let d = one("\u{feff}a: 1\r\nb:\r\n  - x\r\n");
        assert_eq!(d.value, json!({"a": 1, "b": ["x"]}));
        assert_eq!(d.position("b[0]"), (3, 5));
    }

    #[test]
    fn directives_stay_with_their_document() {
        let (docs, errors) = parse_documents("a: 1\n...\n%YAML 1.2\n---\nb: 2\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].line, 5);
    }

    /// The YAML path's reading of a chunk: (value, line) of its only
    /// document, or `None` when it has errors or another shape.
    fn yaml_reading(chunk: &str, line_offset: u32) -> Option<(Value, u32)> {
        let (mut docs, errors, _) = parse_chunk(chunk, line_offset, MAX_ALIAS_NODES, false);
        (errors.is_empty() && docs.len() == 1).then(|| {
            let d = docs.remove(0);
            (d.value, d.line)
        })
    }

    /// Whatever the fast path accepts, the YAML path reads the same way.
    fn assert_json_agrees(chunk: &str) {
        if let Some(fast) = json::parse_chunk(chunk, 3) {
            assert_eq!(Some(fast), yaml_reading(chunk, 3), "{chunk:?}");
        }
    }

    #[test]
    fn json_documents_take_the_fast_path_and_agree_with_yaml() {
        let accepted = [
            "{}",
            "{\"a\":1}\n",
            "---\n{\"a\":1}\n",
            "--- {\"a\": [1, 2.5, -0, 1e3, 1E-2, 0.0, true, false, null]}\n",
            "# c\n\n  {\"a\":\"b\"}  # y\n# z\n",
            "---  # x\n{\"a\":\"b\"}\n",
            "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\",\"metadata\":{\"name\":\"x\"},\"spec\":{\"children\":[]}}\r\n",
            "{\n  \"a\": {\n    \"b\": [\n      1,\n      \"x\"\n    ]\n  },\n\"c\" :\n[ ]\n}\n",
            "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u0000\\u2028 é ✓ 😀\"}",
            "{\"\":\"\",\"n\":99999999999999999999,\"m\":-9223372036854775809,\"big\":1e400}",
            "{\"#\":\"# not a comment\",\"k: v\":\"- x\",\"&a\":\"*a\",\"[\":\"]\"}",
        ];
        for chunk in accepted {
            assert!(json::parse_chunk(chunk, 3).is_some(), "{chunk:?}");
            assert_json_agrees(chunk);
        }
        let refused = [
            "{\"a\":1,\"a\":2}",
            "{\"a\":1,}",
            "[1]",
            "{\"a\":01}",
            "{\"a\":\t1}",
            "{\"a\":1}\r{}",
            "{\"a\":\"\\ud83d\\ude00\"}",
            "{\"a\":\"\u{85}\"}",
            "{\"a\":\"\u{feff}\"}",
            "{\"a\":\"\u{7f}\"}",
            "{\"a\":1}#c",
            "{\"a\":1}\n...\n",
            "%YAML 1.2\n---\n{}",
            "{\"a\":1}: 2",
            "{a: 1}",
            "{\"a\":tru}",
            "{\"a\":1.}",
        ];
        for chunk in refused {
            assert!(json::parse_chunk(chunk, 3).is_none(), "{chunk:?}");
        }
        let deep = format!("{}{}", "{\"a\":".repeat(65), "}".repeat(65));
        assert!(json::parse_chunk(&deep, 0).is_none());
    }

    #[test]
    fn json_documents_have_positions_and_errors_like_yaml() {
        let text = "---\n{\"a\":1,\n \"spec\":{\"b\":[\"x\",\"y\"]}}\n---\n{\"a\":1,\"a\":2}\n";
        let (docs, errors) = parse_documents(text);
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].line, 2);
        assert_eq!(docs[0].position(""), (2, 1));
        assert_eq!(docs[0].position("spec.b[1]"), (3, 19));
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column), (5, 8), "{errors:?}");
        assert!(errors[0].message.contains("duplicate key 'a'"));
    }

    #[test]
    fn lazy_spans_match_a_full_parse() {
        let text = "a: 1\n...\nb: [x, x]\n...\nc: [1, 2]\n---\nd:\n  e: f\n";
        let (docs, _) = parse_documents(text);
        let (chunk_docs, _, _) = parse_chunk(text, 0, MAX_ALIAS_NODES, true);
        let eager: Vec<_> = chunk_docs.into_iter().map(|d| d.spans).collect();
        let lazy: Vec<_> = docs.iter().map(|d| d.spans().clone()).collect();
        assert_eq!(lazy, eager);
        assert_eq!(docs[2].position("c[1]"), (5, 8));
        assert_eq!(docs[3].position("d.e"), (8, 6));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        #[test]
        fn json_fast_path_agrees_with_yaml(
            value in json_value(),
            layout in proptest::collection::vec(0u8..8, 0..64),
        ) {
            assert_json_agrees(&layout_json(&value, &layout));
        }
    }

    /// JSON objects with keys and strings drawn from characters YAML cares
    /// about.
    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let text = || {
            proptest::string::string_regex(
                "([a-z]|[-:#&*!|>'%@` ,?\\[\\]{}\\\\\"/]|\\.|é|\u{85}|\u{2028}|\t|\n|\u{0}){0,6}",
            )
            .unwrap()
        };
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((text(), inner), 0..4)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
        .prop_map(|v| match v {
            Value::Object(_) => v,
            other => serde_json::json!({ "k": other }),
        })
    }

    /// Serialise `value` as JSON, putting the whitespace picked by `layout`
    /// (none, spaces, line breaks, CRLF, indentation) after each token.
    fn layout_json(value: &Value, layout: &[u8]) -> String {
        let compact = serde_json::to_string(value).unwrap();
        let mut out = String::new();
        let mut n = 0;
        let mut in_string = false;
        let mut escaped = false;
        for c in compact.chars() {
            out.push(c);
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                if in_string {
                    continue;
                }
            } else if c == '"' {
                in_string = true;
                continue;
            }
            let pick = layout.get(n).copied().unwrap_or(0);
            n += 1;
            out.push_str(match pick {
                1 => " ",
                2 => "\n",
                3 => "\r\n",
                4 => "\n  ",
                5 => "  \n\n",
                _ => "",
            });
        }
        match layout.first() {
            Some(1) => format!("---\n{out}\n"),
            Some(2) => format!("# c\n{out} # d\n"),
            _ => out,
        }
    }
}
