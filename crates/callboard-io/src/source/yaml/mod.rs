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

mod builder;
mod json;
mod scalar;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use yaml_rust2::parser::{Event, Parser};

use builder::Builder;

/// Deepest nesting of collections accepted (keeps every later recursive walk,
/// including dropping the value, far from the stack limit).
pub const MAX_DEPTH: usize = callboard_core::text::yaml_guard::MAX_DEPTH;

/// Most nodes that alias expansion may create in one parse ("billion laughs").
pub const MAX_ALIAS_NODES: usize = callboard_core::text::yaml_guard::MAX_ALIAS_NODES;

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
    let mut docs = Vec::new();
    let errors = parse_documents_each(text, |doc| docs.push(doc));
    (docs, errors)
}

/// [`parse_documents_owned`] handing each document to `on_doc` as soon as
/// it is parsed (so the caller need not hold every value at once); returns
/// the errors. Documents come in the same order, with the same values,
/// lines and positions.
pub fn parse_documents_each(text: String, on_doc: impl FnMut(Document)) -> Vec<YamlError> {
    let chunked = Chunked::new(text);
    chunked
        .parse(0..chunked.len(), MAX_ALIAS_NODES, on_doc)
        .errors
}

/// A text split into its document chunks (see [`document_chunks`]), so
/// that runs of chunks ("pieces") can be parsed separately, e.g. on several
/// threads. Chunks are always parsed one by one, so parsing every piece in
/// order gives exactly [`parse_documents_each`]; the only state passed from
/// one chunk to the next is the alias budget ([`MAX_ALIAS_NODES`] for the
/// whole text), see [`PieceParse::saw_alias`].
pub struct Chunked {
    text: Arc<String>,
    /// Length of the byte order mark skipped at the start.
    bom: usize,
    /// Byte range of each chunk after the mark, and the lines before it.
    chunks: Vec<((usize, usize), u32)>,
}

/// What parsing a run of chunks gave besides its documents.
pub struct PieceParse {
    pub errors: Vec<YamlError>,
    /// The alias budget left after the run.
    pub alias_budget: usize,
    /// Whether any alias was met: when none was, the run parses the same
    /// whatever budget it starts with.
    pub saw_alias: bool,
}

impl Chunked {
    pub fn new(text: String) -> Self {
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let chunks = document_chunks(&text[bom..]);
        Chunked {
            text: Arc::new(text),
            bom,
            chunks,
        }
    }

    /// How many chunks.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Bytes of text in the chunks `range`.
    pub fn bytes(&self, range: &std::ops::Range<usize>) -> usize {
        match (self.chunks.get(range.start), range.end.checked_sub(1)) {
            (Some(first), Some(last)) if last >= range.start => self.chunks[last].0 .1 - first.0 .0,
            _ => 0,
        }
    }

    /// The chunks grouped into consecutive runs of at least `bytes` of text
    /// each (the last may be shorter), covering every chunk in order.
    pub fn pieces(&self, bytes: usize) -> Vec<std::ops::Range<usize>> {
        let mut pieces = Vec::new();
        let mut start = 0;
        for (i, ((_, end), _)) in self.chunks.iter().enumerate() {
            if end - self.chunks[start].0 .0 >= bytes {
                pieces.push(start..i + 1);
                start = i + 1;
            }
        }
        if start < self.chunks.len() || pieces.is_empty() {
            pieces.push(start..self.chunks.len());
        }
        pieces
    }

    /// Parse the chunks `range` in order, starting with `alias_budget`,
    /// handing each document to `on_doc`. Never panics.
    pub fn parse(
        &self,
        range: std::ops::Range<usize>,
        mut alias_budget: usize,
        mut on_doc: impl FnMut(Document),
    ) -> PieceParse {
        let text = &self.text;
        let bom = self.bom;
        let body = &text[bom..];
        let mut errors = Vec::new();
        let mut saw_alias = false;
        for &(range, line_offset) in &self.chunks[range] {
            let chunk = &body[range.0..range.1];
            let source = |index: usize| DocSource {
                text: Arc::clone(text),
                range: (bom + range.0, bom + range.1),
                line_offset,
                alias_budget,
                index,
            };
            if let Some((value, line)) = json::parse_chunk(chunk, line_offset) {
                on_doc(Document {
                    value,
                    line,
                    source: source(0),
                    spans: OnceLock::new(),
                });
                continue;
            }
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                parse_chunk_aliases(chunk, line_offset, alias_budget, false)
            }));
            match result {
                Ok(((d, e, budget_left), aliases)) => {
                    for (index, parsed) in d.into_iter().enumerate() {
                        on_doc(Document {
                            value: parsed.value,
                            line: parsed.line,
                            source: source(index),
                            spans: OnceLock::new(),
                        });
                    }
                    errors.extend(e);
                    alias_budget = budget_left;
                    saw_alias |= aliases;
                }
                Err(_) => {
                    // What the chunk met before failing is unknown.
                    saw_alias = true;
                    errors.push(YamlError {
                        line: line_offset + 1,
                        column: 1,
                        message: "the YAML parser failed on this document; it was skipped".into(),
                    })
                }
            }
        }
        PieceParse {
            errors,
            alias_budget,
            saw_alias,
        }
    }
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
    parse_chunk_aliases(text, line_offset, alias_budget, with_spans).0
}

/// [`parse_chunk`], and whether an alias was met.
fn parse_chunk_aliases(
    text: &str,
    line_offset: u32,
    alias_budget: usize,
    with_spans: bool,
) -> ((Vec<Parsed>, Vec<YamlError>, usize), bool) {
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
    let saw_alias = builder.saw_alias;
    (
        (builder.docs, builder.errors, builder.alias_budget),
        saw_alias,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(super) fn one(text: &str) -> Document {
        let (mut docs, errors) = parse_documents(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(docs.len(), 1);
        docs.remove(0)
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

    #[test]
    fn pieces_cover_the_chunks_and_parse_like_the_whole_text() {
        let text = "\u{feff}a: 1\r\n---\r\nb: |\r\n  ---\r\n  x\r\n...\r\n%YAML 1.2\r\n--- [1, 2\r\n---\r\nc: *nothing\r\n--- {\"d\": 4}\r\n...\r\n";
        let (whole, whole_errors) = parse_documents(text);
        let chunked = Chunked::new(text.to_string());
        assert!(chunked.len() >= 5);
        for bytes in [1, 10, 30, usize::MAX] {
            let pieces = chunked.pieces(bytes);
            assert_eq!(pieces.first().unwrap().start, 0);
            assert_eq!(pieces.last().unwrap().end, chunked.len());
            assert!(pieces.windows(2).all(|w| w[0].end == w[1].start));
            let total: usize = pieces.iter().map(|p| chunked.bytes(p)).sum();
            assert_eq!(total, text.len() - 3, "all but the byte order mark");
            let mut docs = Vec::new();
            let mut errors = Vec::new();
            for piece in pieces {
                errors.extend(
                    chunked
                        .parse(piece, MAX_ALIAS_NODES, |d| docs.push(d))
                        .errors,
                );
            }
            assert_eq!(docs, whole);
            assert_eq!(errors, whole_errors);
        }
        assert_eq!(whole.len(), 3, "{whole:?}");
        assert_eq!(whole_errors.len(), 2, "{whole_errors:?}");
    }
}
