//! The entity pickers of a form (`EntityPicker`, `OwnerPicker`,
//! `MultiEntityPicker`, `EntityTagsPicker`…): the candidates a picker
//! offers from the catalog (its `catalogFilter`, applied offline), the
//! pop-up's keys, and fuzzy re-ranking as the query is typed.

use serde_json::{json, Map, Value};

use super::FormState;
use crate::keymap::Key;
use crate::widgets::line_edit::field_edit_action;
use crate::widgets::LineEdit;
use callboard_core::search::{
    parse_query, rank, rank_texts, Corpus, Index, Options, Plan, Scope, NEVER,
};
use callboard_core::template::schema::{get_path, Field, PickerKind};
use callboard_core::text::sanitize::sanitize_line;
use crossterm::event::KeyCode;

/// Entity picker lists show at most this many matches.
const PICKER_LIMIT: usize = 200;

/// What a picker offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidates {
    /// Catalog entities: corpus indices, ascending.
    Entities(Vec<u32>),
    /// The catalog's tags, most used first, with their counts when shown.
    Tags(Vec<(String, Option<usize>)>),
}

impl Candidates {
    pub fn len(&self) -> usize {
        match self {
            Candidates::Entities(v) => v.len(),
            Candidates::Tags(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value a match stands for: an entity's ref, or the tag.
    pub(super) fn value(&self, corpus: Option<&Corpus>, m: u32) -> Option<String> {
        match self {
            Candidates::Entities(_) => Some(corpus?.get(m as usize)?.entity_ref().into_owned()),
            Candidates::Tags(tags) => tags.get(m as usize).map(|t| t.0.clone()),
        }
    }

    /// What a match's row shows after its value: the title, or the count.
    pub(super) fn detail(&self, corpus: Option<&Corpus>, m: u32) -> String {
        match self {
            Candidates::Entities(_) => corpus
                .and_then(|c| c.get(m as usize))
                .map(|v| v.title().to_string())
                .unwrap_or_default(),
            Candidates::Tags(tags) => tags
                .get(m as usize)
                .and_then(|t| t.1)
                .map(|n| format!("({n})"))
                .unwrap_or_default(),
        }
    }
}

/// The open entity picker.
#[derive(Debug, Clone)]
pub struct PickerPopup {
    pub path: Vec<String>,
    pub multi: bool,
    pub query: LineEdit,
    pub candidates: Candidates,
    /// The best matches first: corpus indices for entities, indices into
    /// the tags for tags.
    pub matches: Vec<u32>,
    pub cursor: usize,
    /// Why the list may be incomplete (a filter key we cannot apply).
    pub note: Option<String>,
}

/// What the app should do after a key.
impl FormState {
    pub(super) fn open_picker(&mut self, field: &Field, multi: bool) {
        let (candidates, note) = match &self.corpus {
            Some(corpus) if field.picker() == Some(PickerKind::EntityTags) => {
                (Candidates::Tags(tag_candidates(corpus, field)), None)
            }
            Some(corpus) => {
                let (entities, note) = entity_candidates(corpus, field);
                (Candidates::Entities(entities), note)
            }
            None => (
                Candidates::Entities(Vec::new()),
                Some("the catalog is still loading".to_string()),
            ),
        };
        let mut popup = PickerPopup {
            path: field.path.clone(),
            multi,
            query: LineEdit::default(),
            matches: Vec::new(),
            candidates,
            cursor: 0,
            note,
        };
        let corpus = self.corpus.as_deref();
        rematch(&mut popup, corpus, self.index.as_deref());
        if !multi {
            // Start on the current value, if it is offered.
            if let Some(current) = get_path(&self.values, &field.path).and_then(Value::as_str) {
                popup.cursor = popup
                    .matches
                    .iter()
                    .position(|&m| popup.candidates.value(corpus, m).as_deref() == Some(current))
                    .unwrap_or(0);
            }
        }
        self.popup = Some(popup);
    }

    pub(super) fn popup_key(&mut self, key: &Key) {
        let Some(mut popup) = self.popup.take() else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                self.load_edit();
                return;
            }
            KeyCode::Down => {
                popup.cursor = (popup.cursor + 1).min(popup.matches.len().saturating_sub(1))
            }
            KeyCode::Up => popup.cursor = popup.cursor.saturating_sub(1),
            KeyCode::Enter => {
                let chosen = popup
                    .matches
                    .get(popup.cursor)
                    .and_then(|&m| popup.candidates.value(self.corpus.as_deref(), m));
                let Some(chosen) = chosen else {
                    self.popup = Some(popup);
                    return;
                };
                let Some((field, _)) = self.focused() else {
                    return;
                };
                if popup.multi {
                    let mut items = get_path(&self.values, &field.path)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    let v = Value::String(chosen);
                    match items.iter().position(|x| x == &v) {
                        Some(i) => {
                            items.remove(i);
                        }
                        None => items.push(v),
                    }
                    let value = (!items.is_empty()).then_some(Value::Array(items));
                    self.set_value(&field, value);
                    self.popup = Some(popup);
                } else {
                    self.set_value(&field, Some(Value::String(chosen)));
                    self.load_edit();
                }
                return;
            }
            _ => {
                if let Some(action) = field_edit_action(key) {
                    if popup.query.edit(&action) {
                        rematch(&mut popup, self.corpus.as_deref(), self.index.as_deref());
                    }
                }
            }
        }
        self.popup = Some(popup);
    }
}

/// The entities a picker offers: its `catalogFilter` (or legacy
/// `allowedKinds`), else the picker's own default (Group/User for owners).
pub fn entity_candidates(corpus: &Corpus, field: &Field) -> (Vec<u32>, Option<String>) {
    let mut filters: Vec<Map<String, Value>> = match field.options.get("catalogFilter") {
        Some(Value::Object(f)) => vec![f.clone()],
        Some(Value::Array(fs)) => fs.iter().filter_map(|f| f.as_object().cloned()).collect(),
        _ => Vec::new(),
    };
    if let Some(kinds) = field.options.get("allowedKinds") {
        if filters.is_empty() {
            filters.push(Map::new());
        }
        for f in &mut filters {
            f.insert("kind".into(), kinds.clone());
        }
    }
    if filters.is_empty() {
        match field.picker() {
            Some(PickerKind::Owner) => filters.push(
                json!({"kind": ["Group", "User"]})
                    .as_object()
                    .cloned()
                    .unwrap(),
            ),
            Some(PickerKind::MyGroups) => {
                filters.push(json!({"kind": "Group"}).as_object().cloned().unwrap())
            }
            _ => {}
        }
    }
    let mut note = None;
    if field.picker() == Some(PickerKind::OwnedEntity)
        || field.picker() == Some(PickerKind::MyGroups)
    {
        note = Some("no signed-in user here: showing every match, not only yours".to_string());
    }
    // Compiled once: a picker over a big catalog tests every record.
    let compiled: Vec<Vec<(Sel, Want)>> = filters
        .iter()
        .map(|f| {
            f.iter()
                .filter_map(|(key, want)| {
                    let sel = Sel::parse(key)?;
                    let want = match want {
                        Value::Object(o) if o.get("exists").is_some() => {
                            Want::Exists(o["exists"].as_bool().unwrap_or(true))
                        }
                        Value::Array(options) => Want::AnyOf(
                            options
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect(),
                        ),
                        Value::String(w) => Want::AnyOf(vec![w.clone()]),
                        _ => return None,
                    };
                    Some((sel, want))
                })
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for (index, record) in corpus.iter().enumerate() {
        let passes = compiled.is_empty()
            || compiled.iter().any(|f| {
                f.iter().all(|(sel, want)| match want {
                    Want::Exists(expected) => {
                        any_value(&record, *sel, |h| !h.is_empty()) == *expected
                    }
                    Want::AnyOf(options) => any_value(&record, *sel, |h| {
                        options.iter().any(|w| h.eq_ignore_ascii_case(w))
                    }),
                })
            });
        if passes {
            out.push(index as u32);
        }
    }
    let unknown: Vec<&String> = filters
        .iter()
        .flat_map(|f| f.keys())
        .filter(|k| Sel::parse(k).is_none())
        .collect();
    if let Some(k) = unknown.first() {
        note = Some(format!(
            "filter on {} is not applied offline",
            sanitize_line(k)
        ));
    }
    (out, note)
}

/// A `catalogFilter` key the offline catalog can answer.
#[derive(Debug, Clone, Copy)]
enum Sel {
    Kind,
    Name,
    Namespace,
    Title,
    Type,
    Owner,
    Lifecycle,
    System,
    Tags,
}

impl Sel {
    fn parse(key: &str) -> Option<Sel> {
        Some(match key {
            "kind" => Sel::Kind,
            "metadata.name" => Sel::Name,
            "metadata.namespace" => Sel::Namespace,
            "metadata.title" => Sel::Title,
            "spec.type" => Sel::Type,
            "spec.owner" | "relations.ownedBy" => Sel::Owner,
            "spec.lifecycle" => Sel::Lifecycle,
            "spec.system" => Sel::System,
            "metadata.tags" => Sel::Tags,
            _ => return None,
        })
    }
}

enum Want {
    Exists(bool),
    AnyOf(Vec<String>),
}

fn any_value(
    record: &callboard_core::search::RecordView<'_>,
    sel: Sel,
    mut f: impl FnMut(&str) -> bool,
) -> bool {
    match sel {
        Sel::Kind => f(record.kind()),
        Sel::Name => f(record.name()),
        Sel::Namespace => f(record.namespace()),
        Sel::Title => f(record.title()),
        Sel::Type => f(record.spec_type()),
        Sel::Owner => f(record.owner()),
        Sel::Lifecycle => f(record.lifecycle()),
        Sel::System => f(record.system()),
        Sel::Tags => record.tags().any(f),
    }
}

/// The tags in use in the catalog (of `ui:options.kinds`, if given), most
/// used first, with their counts when `showCounts` is set.
pub fn tag_candidates(corpus: &Corpus, field: &Field) -> Vec<(String, Option<usize>)> {
    let kinds: Vec<String> = field.option_strings("kinds");
    let show_counts = field.options.get("showCounts").and_then(Value::as_bool) == Some(true);
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for record in corpus.iter() {
        if !kinds.is_empty() && !kinds.iter().any(|k| k.eq_ignore_ascii_case(record.kind())) {
            continue;
        }
        for tag in record.tags() {
            *counts.entry(tag).or_default() += 1;
        }
    }
    let mut tags: Vec<(&str, usize)> = counts.into_iter().collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    tags.into_iter()
        .map(|(tag, n)| (tag.to_string(), show_counts.then_some(n)))
        .collect()
}

/// Re-rank the picker's candidates for its query: entities by the
/// catalog's one ranking (filter syntax included), tags by nucleo's score.
pub(super) fn rematch(popup: &mut PickerPopup, corpus: Option<&Corpus>, index: Option<&Index>) {
    popup.cursor = 0;
    popup.matches = match (&popup.candidates, corpus) {
        (Candidates::Entities(entities), Some(corpus)) => {
            let plan = Plan::new(corpus, &parse_query(&popup.query.text));
            let options = Options {
                limit: PICKER_LIMIT,
                threads: 2,
                cancel: NEVER,
            };
            rank(corpus, index, &plan, Scope::Only(entities), &options)
                .map(|r| r.hits)
                .unwrap_or_default()
        }
        (Candidates::Entities(_), None) => Vec::new(),
        (Candidates::Tags(tags), _) => rank_texts(tags, |t| &t.0, &popup.query.text, PICKER_LIMIT)
            .into_iter()
            .map(|i| i as u32)
            .collect(),
    };
}

#[cfg(test)]
mod measure {
    use super::*;
    use callboard_core::search::SearchRecord;
    use callboard_core::template::schema::build_steps;

    /// Not a benchmark gate: prints how long a picker takes over a big
    /// catalog (`cargo test --release --lib picker_over_a_big_catalog -- --nocapture`).
    #[test]
    fn picker_over_a_big_catalog() {
        let n = 100_000;
        let records: Vec<SearchRecord> = (0..n)
            .map(|i| SearchRecord {
                entity_ref: format!("component:default/service-{i}"),
                kind: if i % 10 == 0 { "Group" } else { "Component" }.into(),
                namespace: "default".into(),
                name: format!("service-{i}"),
                title: format!("Service number {i}"),
                spec_type: "service".into(),
                owner: "group:default/team-a".into(),
                lifecycle: "production".into(),
                system: String::new(),
                tags: vec!["java".into()],
                description: String::new(),
            })
            .collect();
        let corpus = Corpus::new(&records);
        let pages = vec![
            json!({"properties": {"c": {"type": "string", "ui:field": "EntityPicker",
            "ui:options": {"catalogFilter": {"kind": "Component"}}}}}),
        ];
        let field = build_steps(&pages, &Map::new())[0].fields[0].clone();
        let start = std::time::Instant::now();
        let (candidates, _) = entity_candidates(&corpus, &field);
        let filtered = start.elapsed();
        assert_eq!(candidates.len(), 90_000);
        let mut popup = PickerPopup {
            path: vec!["c".into()],
            multi: false,
            query: LineEdit::new("svc 4242"),
            matches: Vec::new(),
            candidates: Candidates::Entities(candidates),
            cursor: 0,
            note: None,
        };
        let start = std::time::Instant::now();
        rematch(&mut popup, Some(&corpus), None);
        let matched = start.elapsed();
        assert!(!popup.matches.is_empty());
        let without = popup.matches.clone();
        let index = Index::build(&corpus);
        let start = std::time::Instant::now();
        rematch(&mut popup, Some(&corpus), Some(&index));
        let indexed = start.elapsed();
        assert_eq!(popup.matches, without);
        println!(
            "picker over {n} records: filter {filtered:?}, one keystroke {matched:?} \
             ({indexed:?} with the list's index)"
        );
    }
}
