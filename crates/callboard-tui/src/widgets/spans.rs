//! One line of styled spans: cut to a width, put in an area.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use callboard_core::text;
use callboard_core::text::sanitize::sanitize_line;

/// A catalog (or user) string made safe for one line of the screen.
pub fn clean(s: &str) -> String {
    sanitize_line(s).into_owned()
}

/// Cut a line of spans to `width` columns, ending in `…` when cut.
pub fn fit_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(|s| text::width(&s.content)).sum();
    if total <= width {
        return spans;
    }
    if width == 0 {
        return Vec::new();
    }
    let budget = width - 1;
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = text::width(&span.content);
        if used + w <= budget {
            used += w;
            out.push(span);
            continue;
        }
        let mut cut = String::new();
        for c in span.content.chars() {
            let cw = text::char_width(c);
            if used + cw > budget {
                break;
            }
            cut.push(c);
            used += cw;
        }
        cut.push('…');
        out.push(Span::styled(cut, span.style));
        break;
    }
    out
}

/// Draw `spans` in `area` (one row), cut with `…` to its width.
pub fn put(frame: &mut Frame, area: Rect, spans: Vec<Span<'static>>) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let line = Line::from(fit_spans(spans, area.width as usize));
    frame.render_widget(Paragraph::new(line), area);
}

/// Draw `spans` on row `y` of `area` (nothing below it), clipped at its
/// right edge.
pub fn line_at(frame: &mut Frame, area: Rect, y: u16, spans: Vec<Span<'static>>) {
    if y >= area.y + area.height {
        return;
    }
    let row = Rect::new(area.x, y, area.width, 1);
    frame.render_widget(Paragraph::new(Line::from(spans)), row);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_cut_with_an_ellipsis() {
        let spans = vec![Span::raw("abc"), Span::raw("defgh")];
        let cut = fit_spans(spans, 6);
        let text: String = cut.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "abcde…");
        let wide = fit_spans(vec![Span::raw("決済サービス")], 5);
        assert_eq!(wide[0].content, "決済…");
        let fits = fit_spans(vec![Span::raw("ok")], 5);
        assert_eq!(fits[0].content, "ok");
    }
}
