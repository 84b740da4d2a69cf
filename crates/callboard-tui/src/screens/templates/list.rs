//! The templates list (`t` or `:templates`): every `Template` entity in the
//! catalog, filtered as you type; Enter fills in the selected one's form.

use std::sync::Arc;

use crossterm::event::KeyCode;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::Frame;

use super::{footer, Flow};
use crate::keymap::{Action, Keymap};
use crate::screens::{Cx, Hint, Keys, Screen};
use crate::widgets::line_edit::field_edit_action;
use crate::widgets::spans::{clean, line_at as put};
use crate::widgets::LineEdit;
use callboard_core::catalog::entity_ref;
use callboard_core::search::{self, parse_query, rank, Corpus, Index, Options, Scope};
use callboard_core::text;

/// One template in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateItem {
    pub key: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub owner: String,
    pub spec_type: String,
    /// Its index in the corpus.
    record: u32,
}

/// Every `Template` entity in the catalog, in corpus order.
pub fn template_items(corpus: &Corpus) -> Vec<TemplateItem> {
    corpus
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind().eq_ignore_ascii_case("template"))
        .map(|(record, r)| {
            let title = if r.title().is_empty() {
                r.name().to_string()
            } else {
                r.title().to_string()
            };
            let tags: Vec<String> = r.tags().map(str::to_string).collect();
            TemplateItem {
                key: r.entity_ref().into_owned(),
                title,
                description: r.description().to_string(),
                tags,
                owner: r.owner().to_string(),
                spec_type: r.spec_type().to_string(),
                record: record as u32,
            }
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct TemplateList {
    /// In corpus order.
    pub items: Vec<TemplateItem>,
    pub query: LineEdit,
    /// Indices into `items` that match the query, best first.
    pub shown: Vec<usize>,
    pub cursor: usize,
    corpus: Arc<Corpus>,
    index: Option<Arc<Index>>,
}

impl TemplateList {
    /// `items` from [`template_items`] over `corpus`; `index` is the
    /// catalog list's index of it, if built.
    pub fn new(
        items: Vec<TemplateItem>,
        corpus: Arc<Corpus>,
        index: Option<Arc<Index>>,
    ) -> TemplateList {
        let mut list = TemplateList {
            items,
            query: LineEdit::default(),
            shown: Vec::new(),
            cursor: 0,
            corpus,
            index,
        };
        list.refilter();
        list
    }

    /// Rank the templates for the query, like the catalog list would
    /// (the display order, by name, when there is no text).
    fn refilter(&mut self) {
        self.cursor = 0;
        let records: Vec<u32> = self.items.iter().map(|t| t.record).collect();
        let plan = search::Plan::new(&self.corpus, &parse_query(&self.query.text));
        let options = Options::limit(usize::MAX);
        let ranking = rank(
            &self.corpus,
            self.index.as_deref(),
            &plan,
            Scope::Only(&records),
            &options,
        );
        self.shown = ranking
            .map(|r| r.hits)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|hit| records.binary_search(&hit).ok())
            .collect();
    }

    pub fn selected(&self) -> Option<&TemplateItem> {
        self.shown.get(self.cursor).map(|&i| &self.items[i])
    }
}

impl Screen for TemplateList {
    type Output = Flow;

    fn keys(&self) -> Keys {
        Keys::Raw
    }

    fn update(&mut self, action: Action, _cx: &mut Cx) -> Flow {
        let key = match action {
            Action::Key(key) => key,
            Action::Paste(_) => {
                if self.query.edit(&action) {
                    self.refilter();
                }
                return Flow::Stay;
            }
            _ => return Flow::Stay,
        };
        match key.code {
            KeyCode::Esc => return Flow::Back,
            KeyCode::Down => {
                self.cursor = (self.cursor + 1).min(self.shown.len().saturating_sub(1))
            }
            KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Enter => {
                if let Some(t) = self.selected() {
                    return Flow::Open(t.key.clone());
                }
            }
            _ => {
                if let Some(action) = field_edit_action(&key) {
                    if self.query.edit(&action) {
                        self.refilter();
                    }
                }
            }
        }
        Flow::Stay
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &Cx) {
        draw(self, frame, area, cx);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<Hint> {
        vec![
            ("↑/↓".into(), "move"),
            ("Enter".into(), "fill in"),
            ("type".into(), "filter"),
            ("Esc".into(), "back"),
        ]
    }
}

fn draw(list: &TemplateList, frame: &mut Frame, area: Rect, cx: &Cx) {
    let t = cx.theme;
    put(
        frame,
        area,
        area.y,
        vec![
            Span::styled(" Templates ", t.tab_active),
            Span::styled(
                format!("  {} of {}", list.shown.len(), list.items.len()),
                t.dim,
            ),
        ],
    );
    put(
        frame,
        area,
        area.y + 1,
        vec![
            Span::styled(" filter ".to_string(), t.key),
            Span::raw(clean(&list.query.text)),
            Span::styled(" ".to_string(), t.selection),
        ],
    );
    let body_y = area.y + 3;
    let height = area.height.saturating_sub(5) as usize;
    let per = 3;
    let fits = (height / per).max(1);
    let offset = (list.cursor + 1).saturating_sub(fits);
    let w = area.width as usize;
    for (n, &i) in list.shown.iter().enumerate().skip(offset).take(fits) {
        let item = &list.items[i];
        let y = body_y + ((n - offset) * per) as u16;
        let selected = n == list.cursor;
        let mut first = vec![
            Span::styled(if selected { "▸ " } else { "  " }.to_string(), t.accent),
            Span::styled(
                clean(&item.title),
                if selected { t.selection } else { t.title },
            ),
        ];
        if !item.spec_type.is_empty() {
            first.push(Span::styled(format!("  {}", clean(&item.spec_type)), t.dim));
        }
        if !item.owner.is_empty() {
            first.push(Span::styled(
                format!("  owner {}", clean(&entity_ref::short_ref(&item.owner))),
                t.label,
            ));
        }
        put(frame, area, y, first);
        let mut second = vec![Span::raw("    ")];
        second.push(Span::styled(
            text::truncate(&clean(&item.description), w.saturating_sub(4)).into_owned(),
            t.text,
        ));
        put(frame, area, y + 1, second);
        if !item.tags.is_empty() {
            let mut third = vec![Span::raw("    ")];
            for tag in &item.tags {
                third.push(Span::styled(format!(" {} ", clean(tag)), t.chip));
                third.push(Span::raw(" "));
            }
            put(frame, area, y + 2, third);
        }
    }
    if list.shown.is_empty() {
        put(
            frame,
            area,
            body_y,
            vec![Span::styled("  no template matches".to_string(), t.dim)],
        );
    }
    footer(frame, area, cx, list.hints(cx.keymap));
}
