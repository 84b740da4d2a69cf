//! The item editor of a list-of-objects field (`type: array`, `items:
//! {type: object, properties: …}`): the items as a list (add, edit,
//! remove, reorder), each item edited as a small form of the item schema's
//! fields, with their own validation and choices.
//!
//! Keys in the list: ↑/↓ move, `a` adds, Enter edits, `d`/Delete removes,
//! `K`/`J` (or Shift-↑/↓) move the item up/down, Esc goes back to the form
//! (the list is written to the field). In an item: the form's keys; Esc
//! (or Ctrl-N) checks the item and keeps it, or says what is wrong.

use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::Frame;
use serde_json::{Map, Value};

use callboard_core::template::schema::{self, Field};

use super::FormState;
use crate::keymap::Key;
use crate::theme::Theme;
use crate::widgets::spans::{clean, line_at};

#[derive(Clone)]
pub struct ItemEditor {
    /// The list field's key path and title.
    pub path: Vec<String>,
    pub title: String,
    pub item_schema: Value,
    pub items: Vec<Value>,
    pub cursor: usize,
    /// The item being edited: its index (None: a new one) and its form.
    pub editing: Option<(Option<usize>, Box<FormState>)>,
    pub message: Option<String>,
}

pub enum ItemOutcome {
    Stay,
    /// Back to the form, with the list to store.
    Done(Vec<Value>),
}

impl ItemEditor {
    pub fn new(field: &Field, current: Option<&Value>) -> ItemEditor {
        ItemEditor {
            path: field.path.clone(),
            title: field.title.clone(),
            item_schema: field.schema.get("items").cloned().unwrap_or(Value::Null),
            items: current
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            cursor: 0,
            editing: None,
            message: None,
        }
    }

    fn item_form(&self, index: Option<usize>) -> FormState {
        let mut page = self.item_schema.clone();
        if let Value::Object(o) = &mut page {
            let n = index.map_or(self.items.len() + 1, |i| i + 1);
            o.insert(
                "title".into(),
                Value::String(format!("{} · item {n}", self.title)),
            );
        }
        let mut form = FormState::new("item", &self.title, vec![page], None);
        if let Some(Value::Object(item)) = index.and_then(|i| self.items.get(i)) {
            form.values = item.clone();
            schema::apply_defaults(&form.steps, &mut form.values);
            form.load_edit();
        }
        form
    }

    pub fn handle_key(&mut self, key: &Key) -> ItemOutcome {
        self.message = None;
        if let Some((index, form)) = &mut self.editing {
            let ctrl = key.mods.contains(KeyModifiers::CONTROL);
            let done = key.code == KeyCode::Esc
                || (key.code == KeyCode::Char('n') && ctrl)
                || key.code == KeyCode::PageDown;
            if !done {
                form.handle_key(key);
                return ItemOutcome::Stay;
            }
            let errors = schema::validate(&form.steps, &form.values);
            if let Some(first) = errors.first() {
                for e in &errors {
                    form.touched.insert(e.path.clone());
                }
                self.message = Some(format!(
                    "{}: {} — fix it, or Delete clears the field",
                    first.path, first.message
                ));
                return ItemOutcome::Stay;
            }
            let item = Value::Object(form.values.clone());
            match index {
                Some(i) => self.items[*i] = item,
                None => {
                    self.items.push(item);
                    self.cursor = self.items.len() - 1;
                }
            }
            self.editing = None;
            return ItemOutcome::Stay;
        }
        let shift = key.mods.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Esc => return ItemOutcome::Done(self.items.clone()),
            KeyCode::Up if shift => self.swap(-1),
            KeyCode::Down if shift => self.swap(1),
            KeyCode::Char('K') => self.swap(-1),
            KeyCode::Char('J') => self.swap(1),
            KeyCode::Up | KeyCode::Char('k') => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.cursor = (self.cursor + 1).min(self.items.len().saturating_sub(1))
            }
            KeyCode::Char('a') => self.editing = Some((None, Box::new(self.item_form(None)))),
            KeyCode::Enter if !self.items.is_empty() => {
                self.editing = Some((
                    Some(self.cursor),
                    Box::new(self.item_form(Some(self.cursor))),
                ))
            }
            KeyCode::Char('d') | KeyCode::Delete if !self.items.is_empty() => {
                self.items.remove(self.cursor);
                self.cursor = self.cursor.min(self.items.len().saturating_sub(1));
            }
            _ => {}
        }
        ItemOutcome::Stay
    }

    fn swap(&mut self, delta: isize) {
        let j = self.cursor as isize + delta;
        if j < 0 || j as usize >= self.items.len() {
            return;
        }
        self.items.swap(self.cursor, j as usize);
        self.cursor = j as usize;
    }

    /// One line per item: its fields in schema order.
    pub fn summary(&self, item: &Value) -> String {
        let empty = Map::new();
        let obj = item.as_object().unwrap_or(&empty);
        let keys: Vec<String> = match self
            .item_schema
            .get("properties")
            .and_then(Value::as_object)
        {
            Some(p) => p.keys().cloned().collect(),
            None => obj.keys().cloned().collect(),
        };
        let parts: Vec<String> = keys
            .iter()
            .filter_map(|k| {
                obj.get(k).map(|v| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!("{k}: {v}")
                })
            })
            .collect();
        if parts.is_empty() {
            "(empty)".into()
        } else {
            parts.join(", ")
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if let Some((_, form)) = &self.editing {
            super::draw::draw(
                frame,
                area,
                form,
                theme,
                self.message.as_deref().map(|m| (m, true)),
            );
            return;
        }
        frame.render_widget(ratatui::widgets::Clear, area);
        line_at(
            frame,
            area,
            area.y,
            vec![
                Span::styled(" Items ".to_string(), theme.tab_active),
                Span::styled(format!("  {}", clean(&self.title)), theme.title),
                Span::styled(
                    format!(
                        "  {} item{}",
                        self.items.len(),
                        if self.items.len() == 1 { "" } else { "s" }
                    ),
                    theme.dim,
                ),
            ],
        );
        let rows = area.height.saturating_sub(3) as usize;
        let first = self.cursor.saturating_sub(rows.saturating_sub(1));
        if self.items.is_empty() {
            line_at(
                frame,
                area,
                area.y + 2,
                vec![Span::styled(
                    " no items yet: a adds one".to_string(),
                    theme.dim,
                )],
            );
        }
        for (n, item) in self.items.iter().enumerate().skip(first).take(rows) {
            let chosen = n == self.cursor;
            line_at(
                frame,
                area,
                area.y + 2 + (n - first) as u16,
                vec![
                    Span::styled(if chosen { "▸" } else { " " }.to_string(), theme.accent),
                    Span::styled(
                        format!("{}. {}", n + 1, clean(&self.summary(item))),
                        if chosen { theme.selection } else { theme.text },
                    ),
                ],
            );
        }
        let hints = "a add · Enter edit · d remove · K/J move up/down · Esc back to the form";
        let text = self.message.clone().unwrap_or_else(|| hints.to_string());
        line_at(
            frame,
            area,
            area.y + area.height.saturating_sub(1),
            vec![Span::styled(format!(" {}", clean(&text)), theme.dim)],
        );
    }
}
