//! A one-line text field with a cursor, and the readline-style keys that
//! edit it.

use crossterm::event::{KeyCode, KeyModifiers};

use crate::keymap::{Action, Key};
use callboard_core::text;

/// A one-line text field with a cursor (a byte offset on a char boundary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEdit {
    pub text: String,
    pub cursor: usize,
}

impl LineEdit {
    pub fn new(text: &str) -> LineEdit {
        LineEdit {
            text: text.to_string(),
            cursor: text.len(),
        }
    }

    fn prev_boundary(&self) -> usize {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .chars()
            .next()
            .map_or(self.cursor, |c| self.cursor + c.len_utf8())
    }

    /// Apply an editing action; true when the text changed.
    pub fn edit(&mut self, action: &Action) -> bool {
        match action {
            Action::Input(c) => {
                self.text.insert(self.cursor, *c);
                self.cursor += c.len_utf8();
                true
            }
            Action::Paste(s) => {
                let clean = text::one_line(s).into_owned();
                self.text.insert_str(self.cursor, &clean);
                self.cursor += clean.len();
                !clean.is_empty()
            }
            Action::Backspace => {
                if self.cursor == 0 {
                    return false;
                }
                let start = self.prev_boundary();
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
                true
            }
            Action::DeleteChar => {
                if self.cursor >= self.text.len() {
                    return false;
                }
                let end = self.next_boundary();
                self.text.replace_range(self.cursor..end, "");
                true
            }
            Action::DeleteWord => {
                let before = &self.text[..self.cursor];
                let trimmed = before.trim_end_matches(' ');
                let start = trimmed.rfind(' ').map_or(0, |i| i + 1);
                if start == self.cursor {
                    return false;
                }
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
                true
            }
            Action::ClearLine => {
                let changed = !self.text.is_empty();
                self.text.clear();
                self.cursor = 0;
                changed
            }
            Action::CursorLeft => {
                self.cursor = self.prev_boundary();
                false
            }
            Action::CursorRight => {
                self.cursor = self.next_boundary();
                false
            }
            Action::CursorHome => {
                self.cursor = 0;
                false
            }
            Action::CursorEnd => {
                self.cursor = self.text.len();
                false
            }
            _ => false,
        }
    }
}

/// Editing keys of a text field (readline-style), independent of the key map.
pub fn text_edit_action(key: &Key) -> Option<Action> {
    let ctrl = key.mods == KeyModifiers::CONTROL;
    let alt = key.mods == KeyModifiers::ALT;
    Some(match key.code {
        KeyCode::Char(c) if key.is_text() => Action::Input(c),
        KeyCode::Backspace if alt => Action::DeleteWord,
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Char('h') if ctrl => Action::Backspace,
        KeyCode::Delete => Action::DeleteChar,
        KeyCode::Left if key.mods.is_empty() => Action::CursorLeft,
        KeyCode::Right if key.mods.is_empty() => Action::CursorRight,
        KeyCode::Home => Action::CursorHome,
        KeyCode::End => Action::CursorEnd,
        KeyCode::Char('a') if ctrl => Action::CursorHome,
        KeyCode::Char('e') if ctrl => Action::CursorEnd,
        KeyCode::Char('w') if ctrl => Action::DeleteWord,
        _ => return None,
    })
}

/// [`text_edit_action`] for the text fields the key map does not see (a
/// form's fields and pickers, the template list's filter, the target
/// directory): Ctrl-u clears the line there too.
pub fn field_edit_action(key: &Key) -> Option<Action> {
    match key.code {
        KeyCode::Char('u') if key.mods == KeyModifiers::CONTROL => Some(Action::ClearLine),
        _ => text_edit_action(key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_editing() {
        let mut l = LineEdit::default();
        for c in "pay ment".chars() {
            l.edit(&Action::Input(c));
        }
        assert_eq!(l.text, "pay ment");
        l.edit(&Action::DeleteWord);
        assert_eq!(l.text, "pay ");
        l.edit(&Action::Backspace);
        l.edit(&Action::CursorHome);
        l.edit(&Action::Input('^'));
        assert_eq!((l.text.as_str(), l.cursor), ("^pay", 1));
        l.edit(&Action::CursorEnd);
        l.edit(&Action::Paste("決済\x1b[31m\n".into()));
        assert_eq!(l.text, "^pay決済 ");
        l.edit(&Action::CursorLeft);
        l.edit(&Action::CursorLeft);
        l.edit(&Action::Backspace);
        assert_eq!(l.text, "^pay済 ");
        l.edit(&Action::DeleteChar);
        assert_eq!(l.text, "^pay ");
    }
}
