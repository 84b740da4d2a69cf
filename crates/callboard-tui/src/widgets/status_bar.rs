//! The bottom row: the status message (or the focused screen's key hints)
//! on the left, the sources' freshness on the right; the `:` command line in
//! its place while it is open; and the footers of the template screens.

use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::Frame;

use super::spans::{clean, fit_spans, line_at, put};
use super::LineEdit;
use crate::messages::SourceStatus;
use crate::model::{Message, SyncState};
use crate::screens::Hint;
use crate::theme::Theme;
use callboard_core::text::{self, one_line};

/// "demo · synced 3 min ago", or per source when there are several; true
/// when it is a warning (not synced, offline).
pub fn freshness(
    sync: Option<&SyncState>,
    sources: &[SourceStatus],
    now_ms: u64,
    spinner: usize,
) -> (String, bool) {
    if let Some(s) = sync {
        let current = if s.current.is_empty() {
            String::new()
        } else {
            format!(" {}", one_line(&s.current))
        };
        let cancel = if s.cancelling {
            " — cancelling…".to_string()
        } else if s.cancel_key.is_empty() {
            String::new()
        } else {
            format!(" — {} cancels", one_line(&s.cancel_key))
        };
        return (
            format!(
                "{} syncing{current} ({}/{}){cancel}",
                super::spinner(spinner),
                (s.index + 1).min(s.total),
                s.total
            ),
            false,
        );
    }
    if sources.is_empty() {
        return (String::new(), false);
    }
    let mut warn = false;
    let parts: Vec<String> = sources
        .iter()
        .map(|s| {
            let mut name = one_line(&s.name).into_owned();
            if let Some(who) = &s.signed_in_as {
                // Who the backend shows this catalog to: `as bob`.
                let short = who.strip_prefix("user:").unwrap_or(who);
                let short = short.strip_prefix("default/").unwrap_or(short);
                name = format!("{name} as {}", one_line(short));
            }
            match s.synced_at_ms {
                None => {
                    warn = true;
                    format!("{name} not synced")
                }
                Some(at) => {
                    let age = text::age(now_ms.saturating_sub(at));
                    if s.stale {
                        warn = true;
                        format!(
                            "{name} offline — cache {}",
                            age.replace(" ago", " old").replace("just now", "fresh")
                        )
                    } else if sources.len() == 1 {
                        format!("{name} · synced {age}")
                    } else {
                        format!("{name} {age}")
                    }
                }
            }
        })
        .collect();
    (parts.join(" · "), warn)
}

/// The status bar in `area`: the message or the hints, and `fresh` (with
/// whether it warns) on the right.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    message: Option<&Message>,
    hints: Vec<Hint>,
    (fresh, warn): (String, bool),
    t: &Theme,
) {
    // The key hints and messages come first: a long source name (a local
    // path) gives way from its front, keeping how fresh the data is.
    let max_right = (area.width as usize / 2).max(20);
    let fresh = text::truncate_start(&fresh, max_right).into_owned();
    let right_w = text::width(&fresh);
    let left_room = (area.width as usize).saturating_sub(right_w + 2);
    let mut left: Vec<Span<'static>> = Vec::new();
    match message {
        Some(m) => {
            let (mark, style) = if m.error {
                ("✗ ", t.error)
            } else {
                ("", t.status)
            };
            let mut message = format!(" {mark}{}", one_line(&m.text));
            if text::width(&message) > left_room {
                // A URL shown over SSH or an error must be readable in
                // full: what the bar cannot hold goes on the rows above.
                message = draw_message_above(frame, &message, style, area, left_room);
            }
            left.push(Span::styled(message, style));
        }
        None => {
            left.push(Span::raw(" "));
            for (key, what) in hints {
                left.push(Span::styled(key, t.key));
                left.push(Span::styled(format!(" {what}  "), t.dim));
            }
        }
    }
    let mut left = fit_spans(left, left_room);
    let used: usize = left.iter().map(|s| text::width(&s.content)).sum();
    let pad = (area.width as usize).saturating_sub(used + right_w + 1);
    left.push(Span::raw(" ".repeat(pad)));
    left.push(Span::styled(fresh, if warn { t.warn } else { t.dim }));
    put(frame, area, left);
}

/// Wrap `message` to the width of `area` (the status bar), draw all but its
/// last line on the rows above the bar, and return that last line (with
/// its leading space), which fits in `last_room` columns.
fn draw_message_above(
    frame: &mut Frame,
    message: &str,
    style: Style,
    area: Rect,
    last_room: usize,
) -> String {
    let width = area.width.saturating_sub(1) as usize;
    let last_room = last_room.saturating_sub(1);
    let mut lines = text::wrap(message.trim_start(), width.max(1));
    if lines.last().is_some_and(|l| text::width(l) > last_room) {
        lines.push(String::new());
    }
    // Every row above the bar may hold it: a message is never cut unless
    // it is longer than the whole screen, and then it says so.
    let rows = lines.len().min(area.y as usize + 1);
    if lines.len() > rows {
        let left: usize = lines[rows..].iter().map(|l| text::width(l) + 1).sum();
        lines.truncate(rows);
        if let Some(last) = lines.last_mut() {
            let more = format!("… ({left} more characters)");
            let room = last_room.saturating_sub(text::width(&more));
            *last = format!("{}{more}", text::truncate(last, room));
        }
    }
    let last = lines.pop().unwrap_or_default();
    let top = area.y - lines.len() as u16;
    for (i, line) in lines.iter().enumerate() {
        let row = Rect::new(area.x, top + i as u16, area.width, 1);
        frame.render_widget(ratatui::widgets::Clear, row);
        put(
            frame,
            row,
            vec![Span::styled(format!(" {}", text::fit(line, width)), style)],
        );
    }
    format!(" {last}")
}

/// The `:` line in place of the status bar, with the terminal's cursor in it.
pub fn draw_command(frame: &mut Frame, area: Rect, line: &LineEdit, t: &Theme) {
    let mut spans = vec![
        Span::styled(":".to_string(), t.key),
        Span::raw(one_line(&line.text).into_owned()),
    ];
    if line.text.is_empty() {
        spans.push(Span::styled(format!("  {}", crate::command::USAGE), t.dim));
    }
    put(frame, area, spans);
    let x = area.x + 1 + text::width(&line.text[..line.cursor]) as u16;
    frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
}

/// A template screen's last row (`area`'s, or row `y`): the message, else
/// its key hints.
pub fn footer(
    frame: &mut Frame,
    area: Rect,
    y: u16,
    message: Option<(&str, bool)>,
    hints: &[Hint],
    t: &Theme,
) {
    let spans = match message {
        Some((message, error)) => {
            let style = if error { t.error } else { t.status };
            let mut message = format!(" {}{}", if error { "✗ " } else { "" }, clean(message));
            let room = area.width as usize;
            if y < area.y + area.height && text::width(&message) > room {
                // Wrapped onto the rows above, as in the status bar.
                let row = Rect::new(area.x, y, area.width, 1);
                message = draw_message_above(frame, &message, style, row, room);
            }
            vec![Span::styled(message, style)]
        }
        None => {
            let mut spans = vec![Span::raw(" ")];
            for (k, what) in hints {
                spans.push(Span::styled(k.to_string(), t.key));
                spans.push(Span::styled(format!(" {what}  "), t.dim));
            }
            spans
        }
    };
    line_at(frame, area, y, spans);
}

#[cfg(test)]
mod tests {
    use ratatui::backend::TestBackend;
    use ratatui::layout::Rect;
    use ratatui::Terminal;

    use super::*;
    use crate::theme::Theme;

    fn bar(width: u16, fresh: &str) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, 1)).unwrap();
        let hints = vec![
            ("Tab".to_string(), "panes"),
            ("Esc".to_string(), "back"),
            ("y".to_string(), "copy"),
        ];
        terminal
            .draw(|f| {
                draw(
                    f,
                    Rect::new(0, 0, width, 1),
                    None,
                    hints,
                    (fresh.to_string(), false),
                    &Theme::mono(),
                )
            })
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..width).map(|x| buffer[(x, 0)].symbol()).collect()
    }

    /// At 80 columns a local source's long path does not push the key
    /// hints off the bar: it gives way from its front, keeping the age.
    #[test]
    fn a_long_source_name_leaves_the_key_hints_their_room() {
        let fresh = "path:/work/shared/fixtures/backstage-examples/scaffolder-sample-templates/all-templates.yaml · synced 38 min ago";
        let row = bar(80, fresh);
        assert!(row.starts_with(" Tab panes  Esc back  y copy"), "{row:?}");
        assert!(
            row.trim_end()
                .ends_with("all-templates.yaml · synced 38 min ago"),
            "{row:?}"
        );
        assert!(row.contains('…'), "{row:?}");
        // A short one is drawn whole.
        let row = bar(80, "demo · synced just now");
        assert!(
            row.trim_end().ends_with("demo · synced just now"),
            "{row:?}"
        );
        assert!(!row.contains('…'), "{row:?}");
    }
}
