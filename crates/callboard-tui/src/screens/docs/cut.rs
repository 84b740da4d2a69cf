//! Line transforms for drawing the page: the search's matches
//! highlighted, and a code line's window of columns (code is cut at the
//! pane's edge and scrolled sideways, never wrapped).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use callboard_core::text::char_width;

/// `line` with every case-insensitive occurrence of `needle` patched
/// with `style`.
pub fn highlight(line: &Line<'static>, needle: &str, style: Style) -> Line<'static> {
    let needle: Vec<char> = needle.chars().flat_map(char::to_lowercase).collect();
    if needle.is_empty() {
        return line.clone();
    }
    // Each char of the line, lower-cased one for one, with its span.
    let chars: Vec<(char, usize)> = line
        .spans
        .iter()
        .enumerate()
        .flat_map(|(si, s)| s.content.chars().map(move |c| (c, si)))
        .collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|(c, _)| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let mut hit = vec![false; chars.len()];
    let mut i = 0;
    while i + needle.len() <= lower.len() {
        if lower[i..i + needle.len()] == needle[..] {
            hit[i..i + needle.len()].iter_mut().for_each(|h| *h = true);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    if !hit.contains(&true) {
        return line.clone();
    }
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut cur = String::new();
    let mut cur_key: Option<(usize, bool)> = None;
    for (n, (c, si)) in chars.iter().enumerate() {
        let key = (*si, hit[n]);
        if cur_key.is_some_and(|k| k != key) {
            let (ksi, khit) = cur_key.expect("set");
            spans.push(styled(line, ksi, khit, std::mem::take(&mut cur), style));
        }
        cur_key = Some(key);
        cur.push(*c);
    }
    if let Some((ksi, khit)) = cur_key {
        spans.push(styled(line, ksi, khit, cur, style));
    }
    Line::from(spans)
}

fn styled(line: &Line<'_>, si: usize, hit: bool, text: String, style: Style) -> Span<'static> {
    let base = line.spans[si].style;
    Span::styled(text, if hit { base.patch(style) } else { base })
}

/// Columns `from..from + width` of `line`. When text goes on past the
/// right edge the last column is `›`; when text is hidden on the left the
/// first is `‹` (both in `marker`).
pub fn window(line: &Line<'static>, from: usize, width: usize, marker: Style) -> Line<'static> {
    let total = line.width();
    if from == 0 && total <= width || width < 2 {
        return line.clone();
    }
    let more_right = total > from + width;
    let end = if more_right {
        from + width - 1
    } else {
        from + width
    };
    let mut hidden_left = false;
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut col = 0usize;
    for span in &line.spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let cw = char_width(c);
            if col < from {
                hidden_left |= !c.is_whitespace();
                if col + cw > from {
                    // A wide character cut by the left edge.
                    piece.push_str(&" ".repeat(col + cw - from));
                }
            } else if col + cw <= end {
                piece.push(c);
            } else if col < end {
                piece.push_str(&" ".repeat(end - col));
            }
            col += cw;
        }
        if !piece.is_empty() {
            spans.push(Span::styled(piece, span.style));
        }
    }
    if hidden_left {
        // `‹` takes the first column.
        let mut rest: Vec<Span<'static>> = vec![Span::styled("‹", marker)];
        let mut drop = 1usize;
        for span in spans {
            if drop == 0 {
                rest.push(span);
                continue;
            }
            let mut kept = String::new();
            for c in span.content.chars() {
                if drop > 0 {
                    let cw = char_width(c);
                    if cw > drop {
                        kept.push_str(&" ".repeat(cw - drop));
                    }
                    drop = drop.saturating_sub(cw);
                } else {
                    kept.push(c);
                }
            }
            if !kept.is_empty() {
                rest.push(Span::styled(kept, span.style));
            }
        }
        spans = rest;
    }
    if more_right {
        spans.push(Span::styled("›", marker));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};

    fn text(l: &Line<'_>) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn window_cuts_with_markers() {
        let m = Style::new();
        let l = Line::from(vec![Span::raw("abcdef"), Span::raw("ghij")]);
        assert_eq!(text(&window(&l, 0, 20, m)), "abcdefghij");
        assert_eq!(text(&window(&l, 0, 5, m)), "abcd›");
        assert_eq!(text(&window(&l, 3, 5, m)), "‹efg›");
        assert_eq!(text(&window(&l, 6, 5, m)), "‹hij");
        assert_eq!(text(&window(&l, 12, 5, m)), "‹");
        // Wide characters keep the columns.
        let wide = Line::from("日本語のテキスト");
        assert_eq!(window(&wide, 1, 6, m).width(), 6);
        assert_eq!(text(&window(&wide, 0, 6, m)), "日本 ›");
    }

    #[test]
    fn highlight_splits_spans_at_matches() {
        let hl = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
        let base = Style::new().fg(Color::Blue);
        let l = Line::from(vec![Span::styled("psql Host=", base), Span::raw("host")]);
        let out = highlight(&l, "HOST", hl);
        assert_eq!(text(&out), "psql Host=host");
        let styled: Vec<(&str, Style)> = out
            .spans
            .iter()
            .map(|s| (s.content.as_ref(), s.style))
            .collect();
        assert_eq!(
            styled,
            [
                ("psql ", base),
                ("Host", base.patch(hl)),
                ("=", base),
                ("host", hl)
            ]
        );
    }
}
