//! The top row: the brand, the breadcrumbs (`Catalog › checkout ›
//! payments-service`, elided from the left when they do not fit) and the
//! help key on the right.

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::Frame;

use super::spans::put;
use crate::keymap::{Action, Keymap};
use crate::layout::{BRAND, CRUMB_SEP};
use crate::theme::Theme;
use callboard_core::text;

pub fn draw(frame: &mut Frame, area: Rect, crumbs: &[String], keymap: &Keymap, t: &Theme) {
    let help = format!("{} help ", keymap.hint(&Action::Help));
    let room =
        (area.width as usize).saturating_sub(text::width(BRAND) + 1 + text::width(&help) + 1);
    // Drop crumbs from the left (after Catalog) until they fit.
    let mut shown: Vec<String> = crumbs.to_vec();
    let mut elided = false;
    let width = |v: &[String], elided: bool| {
        v.iter().map(|c| text::width(c)).sum::<usize>()
            + v.len().saturating_sub(1) * text::width(CRUMB_SEP)
            + if elided {
                1 + text::width(CRUMB_SEP)
            } else {
                0
            }
    };
    while shown.len() > 2 && width(&shown, true) > room {
        shown.remove(1);
        elided = true;
    }
    let mut spans = vec![
        Span::styled(BRAND.to_string(), t.tab_active),
        Span::raw(" "),
    ];
    let last = shown.len() - 1;
    for (i, c) in shown.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(CRUMB_SEP.to_string(), t.dim));
        }
        if i == 1 && elided {
            spans.push(Span::styled("…".to_string(), t.dim));
            spans.push(Span::styled(CRUMB_SEP.to_string(), t.dim));
        }
        let style = if i == last { t.title } else { t.text };
        spans.push(Span::styled(c.clone(), style));
    }
    let used: usize = spans.iter().map(|s| text::width(&s.content)).sum();
    let pad = (area.width as usize).saturating_sub(used + text::width(&help));
    if pad > 0 {
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(help, t.dim));
    }
    put(frame, area, spans);
}
