//! The entity pickers of a form (`EntityPicker`, `OwnerPicker`,
//! `MultiEntityPicker`, `EntityTagsPicker`…): the candidates a picker
//! offers from the catalog (its `catalogFilter`, applied offline), the
//! pop-up's keys, and fuzzy re-ranking as the query is typed.

use nucleo::pattern::{CaseMatching, Normalization, Pattern};
use nucleo::{Matcher, Utf32Str};
use serde_json::{json, Map, Value};

use super::values::{edit_action, option_strings};
use super::FormState;
use crate::keymap::Key;
use crate::widgets::LineEdit;
use callboard_core::search::Corpus;
use callboard_core::template::schema::{get_path, Field, PickerKind};
use callboard_core::text::sanitize::sanitize_line;
use crossterm::event::KeyCode;

/// Entity picker lists show at most this many matches.
const PICKER_LIMIT: usize = 200;

/// A catalog entity offered by a picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub entity_ref: String,
    pub title: String,
    haystack: String,
}

/// The open entity picker.
#[derive(Debug, Clone)]
pub struct PickerPopup {
    pub path: Vec<String>,
    pub multi: bool,
    pub query: LineEdit,
    pub candidates: Vec<Candidate>,
    /// Indices into `candidates`, best match first.
    pub matches: Vec<usize>,
    pub cursor: usize,
    /// Why the list may be incomplete (a filter key we cannot apply).
    pub note: Option<String>,
}

/// What the app should do after a key.
impl FormState {
    pub(super) fn open_picker(&mut self, field: &Field, multi: bool) {
        let (candidates, note) = match &self.corpus {
            Some(corpus) if field.picker() == Some(PickerKind::EntityTags) => {
                (tag_candidates(corpus, field), None)
            }
            Some(corpus) => entity_candidates(corpus, field),
            None => (Vec::new(), Some("the catalog is still loading".to_string())),
        };
        let mut popup = PickerPopup {
            path: field.path.clone(),
            multi,
            query: LineEdit::default(),
            matches: (0..candidates.len()).take(PICKER_LIMIT).collect(),
            candidates,
            cursor: 0,
            note,
        };
        if !multi {
            // Start on the current value, if it is offered.
            if let Some(current) = get_path(&self.values, &field.path).and_then(Value::as_str) {
                if let Some(i) = popup
                    .candidates
                    .iter()
                    .position(|c| c.entity_ref == current)
                {
                    popup.cursor = popup.matches.iter().position(|&m| m == i).unwrap_or(0);
                }
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
                let Some(chosen) = popup
                    .matches
                    .get(popup.cursor)
                    .map(|&i| popup.candidates[i].entity_ref.clone())
                else {
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
                if let Some(action) = edit_action(key) {
                    if popup.query.edit(&action) {
                        rematch(&mut popup);
                    }
                }
            }
        }
        self.popup = Some(popup);
    }
}

/// The entities a picker offers: its `catalogFilter` (or legacy
/// `allowedKinds`), else the picker's own default (Group/User for owners).
pub fn entity_candidates(corpus: &Corpus, field: &Field) -> (Vec<Candidate>, Option<String>) {
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
    for record in corpus.iter() {
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
        if !passes {
            continue;
        }
        let entity_ref = record.entity_ref().into_owned();
        let title = record.title().to_string();
        out.push(Candidate {
            haystack: format!("{entity_ref} {title}"),
            entity_ref,
            title,
        });
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
    out.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
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
pub fn tag_candidates(corpus: &Corpus, field: &Field) -> Vec<Candidate> {
    let kinds: Vec<String> = option_strings(field, "kinds");
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
        .map(|(tag, n)| Candidate {
            entity_ref: tag.to_string(),
            title: if show_counts {
                format!("({n})")
            } else {
                String::new()
            },
            haystack: tag.to_string(),
        })
        .collect()
}

/// Re-rank the picker's candidates for its query with nucleo.
pub(super) fn rematch(popup: &mut PickerPopup) {
    popup.cursor = 0;
    if popup.query.text.trim().is_empty() {
        popup.matches = (0..popup.candidates.len()).take(PICKER_LIMIT).collect();
        return;
    }
    let pattern = Pattern::parse(&popup.query.text, CaseMatching::Smart, Normalization::Smart);
    let mut matcher = Matcher::new(nucleo::Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = popup
        .candidates
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            pattern
                .score(Utf32Str::new(&c.haystack, &mut buf), &mut matcher)
                .map(|s| (s, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    popup.matches = scored
        .into_iter()
        .take(PICKER_LIMIT)
        .map(|(_, i)| i)
        .collect();
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
            candidates,
            cursor: 0,
            note: None,
        };
        let start = std::time::Instant::now();
        rematch(&mut popup);
        let matched = start.elapsed();
        assert!(!popup.matches.is_empty());
        println!("picker over {n} records: filter {filtered:?}, one keystroke {matched:?}");
    }
}
