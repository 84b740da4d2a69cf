//! Building JSON values from yaml-rust2's event stream: containers on a
//! stack, anchors and aliases expanded within a node budget, duplicate
//! keys and excessive nesting refused, and (when asked) the position of
//! every value recorded by path.

use std::collections::HashMap;

use serde_json::{Map, Value};
use yaml_rust2::parser::Event;
use yaml_rust2::scanner::Marker;

use super::scalar::scalar_value;
use super::{Parsed, YamlError, MAX_ALIAS_NODES, MAX_DEPTH};

/// A value under construction with its node count and nesting depth.
pub(super) struct Built {
    value: Value,
    size: usize,
    depth: usize,
    /// Where the node starts.
    pos: (u32, u32),
}

pub(super) enum Container {
    Seq(Vec<Value>),
    Map {
        map: Map<String, Value>,
        /// The key read and waiting for its value, with its position.
        pending: Option<(String, (u32, u32))>,
    },
    /// Contents are discarded (the document already failed).
    Skip,
}

pub(super) struct Frame {
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

pub(super) struct DocState {
    spans: HashMap<String, (u32, u32)>,
    root: Option<Value>,
    start: (u32, u32),
    failed: bool,
}

pub(super) struct Builder {
    line_offset: u32,
    /// Record the position of every value, not just the document's.
    with_spans: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize, usize)>,
    doc: Option<DocState>,
    pub(super) docs: Vec<Parsed>,
    pub(super) errors: Vec<YamlError>,
    pub(super) alias_budget: usize,
    /// Whether an alias event was met (the budget matters only then).
    pub(super) saw_alias: bool,
}

/// Where a new node goes, decided when it starts.
pub(super) enum Slot {
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
    pub(super) fn new(line_offset: u32, alias_budget: usize, with_spans: bool) -> Self {
        Builder {
            line_offset,
            with_spans,
            stack: Vec::new(),
            anchors: HashMap::new(),
            doc: None,
            docs: Vec::new(),
            errors: Vec::new(),
            alias_budget,
            saw_alias: false,
        }
    }

    pub(super) fn line(&self, mark: &Marker) -> u32 {
        u32::try_from(mark.line())
            .unwrap_or(u32::MAX)
            .saturating_add(self.line_offset)
            .max(1)
    }

    pub(super) fn column(&self, mark: &Marker) -> u32 {
        u32::try_from(mark.col())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    pub(super) fn pos(&self, mark: &Marker) -> (u32, u32) {
        (self.line(mark), self.column(mark))
    }

    pub(super) fn fail(&mut self, pos: (u32, u32), message: String) {
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

    pub(super) fn failed(&self) -> bool {
        self.doc.as_ref().is_none_or(|d| d.failed)
    }

    pub(super) fn on_event(&mut self, event: Event, mark: Marker) {
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
                self.saw_alias = true;
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
    pub(super) fn slot(&mut self, mark: &Marker) -> Slot {
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

    pub(super) fn record(&mut self, path: &str, pos: (u32, u32)) {
        if let Some(doc) = self.doc.as_mut() {
            doc.spans.insert(path.to_string(), pos);
        }
    }

    /// A scalar or alias: record its position, then attach it.
    pub(super) fn complete(&mut self, slot: Slot, built: Built, anchor: usize) {
        match slot {
            Slot::Root => self.record("", built.pos),
            Slot::Child { path: Some(p), pos } => self.record(&p, pos),
            _ => {}
        }
        self.attach(built, anchor);
    }

    /// Put a finished node into the top frame (or make it the root).
    pub(super) fn attach(&mut self, built: Built, anchor: usize) {
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

    pub(super) fn finish_document(&mut self) {
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

pub(super) fn null(pos: (u32, u32)) -> Built {
    Built {
        value: Value::Null,
        size: 1,
        depth: 0,
        pos,
    }
}

pub(super) fn new_container(is_map: bool) -> Container {
    if is_map {
        Container::Map {
            map: Map::new(),
            pending: None,
        }
    } else {
        Container::Seq(Vec::new())
    }
}

pub(super) fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Map keys are strings in JSON: scalars keep their text, collections become
/// their JSON text.
pub(super) fn key_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => serde_json::to_string(&other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::one;
    use super::super::*;
    use serde_json::json;

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
}
