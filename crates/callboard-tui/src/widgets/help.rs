//! The help pop-up: every bindable action with its live keys, then the
//! query syntax and the `:` commands.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::popup::frame_popup;
use super::spans::fit_spans;
use crate::keymap::{Action, Keymap};
use crate::theme::Theme;
use callboard_core::text;

pub fn lines(keymap: &Keymap, t: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(Span::styled(
        "Keys (the config file's keys: map changes them)",
        t.heading,
    ))];
    let rows = keymap.help_rows();
    let key_w = rows
        .iter()
        .map(|r| text::width(&r.0))
        .max()
        .unwrap_or(8)
        .min(22);
    for (keys, name, help) in rows {
        out.push(Line::from(vec![
            Span::styled(format!("  {}", text::fit(&keys, key_w)), t.key),
            Span::styled(format!("  {help}"), t.text),
            Span::styled(format!("  ({name})"), t.dim),
        ]));
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled("In the query line", t.heading)));
    for s in [
        "letters type; ↑ ↓ Ctrl-j Ctrl-k move; Enter opens; Esc leaves the line",
        "filters: kind: type: owner: lifecycle: tag: system: namespace:",
        "  kind:api,component means any of; owner:team-a matches group:default/team-a",
        "fuzzy text, fzf syntax: 'exact ^prefix suffix$ !not",
    ] {
        out.push(Line::from(Span::styled(format!("  {s}"), t.text)));
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled("Commands (:)", t.heading)));
    out.push(Line::from(Span::styled(
        format!("  {}", crate::command::USAGE),
        t.text,
    )));
    out
}

/// The pop-up over `area`, scrolled down `scroll` lines.
pub fn draw(frame: &mut Frame, area: Rect, scroll: usize, keymap: &Keymap, t: &Theme) {
    let lines = lines(keymap, t);
    let w = area.width.saturating_sub(4).min(96);
    let h = area.height.saturating_sub(2).min(lines.len() as u16 + 2);
    let popup = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let close = keymap.hint(&Action::Back);
    let title = Span::styled(format!(" Help — {close} closes, j/k scroll "), t.title);
    let inner = frame_popup(frame, popup, title, t);
    let visible: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .map(|l| Line::from(fit_spans(l.spans, inner.width as usize)))
        .collect();
    frame.render_widget(Paragraph::new(visible), inner);
}
