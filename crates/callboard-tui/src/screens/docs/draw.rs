//! Drawing the Docs pane: the header (site › page, position), the nav
//! tree, the page with its cursor line, the search line and the pop-ups.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{areas, cut, DocsPane, Overlay};
use crate::keymap::Action;
use crate::messages::DocsDoc;
use crate::screens::Cx;
use crate::theme::Theme;
use crate::widgets::list::clamp_offset;
use crate::widgets::popup::frame_popup;
use crate::widgets::spans::{fit_spans, put};
use callboard_core::text::{self, one_line};

pub(super) fn draw(pane: &DocsPane, frame: &mut Frame, body: Rect, cx: &Cx) {
    let t = cx.theme;
    let a = areas(body);
    let Some(doc) = &pane.doc else {
        match &pane.error {
            Some(e) => {
                let mut lines: Vec<Line> = text::wrap(
                    &one_line(e),
                    (body.width as usize).saturating_sub(2).max(10),
                )
                .into_iter()
                .map(|l| Line::from(Span::styled(format!(" {l}"), t.error)))
                .collect();
                lines.push(Line::default());
                let back = cx.keymap.hint(&Action::Back);
                let over = cx.keymap.hint(&Action::Pane(0));
                lines.push(Line::from(Span::styled(
                    format!(" {over} shows the overview, {back} goes back."),
                    t.dim,
                )));
                frame.render_widget(Paragraph::new(lines), body);
            }
            None => put(
                frame,
                a.header,
                vec![Span::styled(" Loading docs…".to_string(), t.dim)],
            ),
        }
        return;
    };

    // Header: site › page, and where we are.
    let mut head = vec![
        Span::styled(format!(" {}", one_line(&doc.site.name)), t.title),
        Span::styled(" › ".to_string(), t.dim),
        Span::styled(one_line(&doc.title).into_owned(), t.heading),
    ];
    let lines = &doc.rendered.lines;
    let mut right = format!("{}/{} ", pane.cursor + 1, lines.len().max(1));
    if pane.loading {
        right = format!("rendering… {right}");
    }
    if doc.site.offline.is_some() {
        right = format!("offline · {right}");
    }
    let used: usize = head.iter().map(|s| text::width(&s.content)).sum();
    let pad = (a.header.width as usize).saturating_sub(used + text::width(&right));
    if pad > 0 {
        head.push(Span::raw(" ".repeat(pad)));
        head.push(Span::styled(right, t.dim));
    }
    put(frame, a.header, head);

    // The nav tree, when there is room.
    if let Some(nav) = a.nav {
        let current = doc
            .site
            .nav
            .iter()
            .position(|n| n.page.as_deref() == Some(doc.page.as_str()))
            .unwrap_or(0);
        let h = nav.height as usize;
        let start = current.saturating_sub(h.saturating_sub(1));
        for (i, n) in doc.site.nav.iter().enumerate().skip(start).take(h) {
            let row = Rect::new(nav.x, nav.y + (i - start) as u16, nav.width, 1);
            put(frame, row, nav_row(t, n, i == current));
        }
        for y in 0..nav.height {
            let row = Rect::new(nav.x + nav.width, nav.y + y, 1, 1);
            frame.render_widget(Paragraph::new(Span::styled("│", t.border)), row);
        }
    }

    // The page, the cursor line in reverse video.
    let height = pane.page_height(a.page);
    let offset = clamp_offset(pane.offset, pane.cursor, height);
    for (i, line) in lines.iter().skip(offset).take(height).enumerate() {
        let row = Rect::new(a.page.x, a.page.y + i as u16, a.page.width, 1);
        let mut line = cut::highlight(line, &pane.query, t.matched);
        if doc.rendered.code_block_at(offset + i).is_some() {
            line = cut::window(&line, pane.hscroll, a.page.width as usize, t.dim);
        }
        frame.render_widget(Paragraph::new(line), row);
        if offset + i == pane.cursor && pane.overlay.is_none() && pane.search.is_none() {
            frame.buffer_mut().set_style(row, t.selection);
        }
    }
    if lines.is_empty() {
        put(
            frame,
            a.page,
            vec![Span::styled("(an empty page)".to_string(), t.dim)],
        );
    }

    if let Some(line) = &pane.search {
        let row = Rect::new(
            a.page.x,
            a.page.y + a.page.height.saturating_sub(1),
            a.page.width,
            1,
        );
        frame.render_widget(Clear, row);
        put(
            frame,
            row,
            vec![
                Span::styled("/".to_string(), t.key),
                Span::styled(one_line(&line.text).into_owned(), t.text),
                Span::styled(" ".to_string(), t.selection),
            ],
        );
    }

    if let Some(overlay) = pane.overlay {
        draw_overlay(frame, t, doc, overlay, a.page);
    }
}

fn nav_row(t: &Theme, n: &callboard_core::docs::NavEntry, current: bool) -> Vec<Span<'static>> {
    let indent = "  ".repeat(n.depth.min(6));
    let (mark, style) = if current {
        ("▸ ", t.accent)
    } else if n.missing {
        ("  ", t.dangling)
    } else if n.page.is_none() && n.url.is_none() {
        ("  ", t.label)
    } else {
        ("  ", t.text)
    };
    let mut title = one_line(&n.title).into_owned();
    if n.missing {
        title.push_str(" (missing)");
    } else if n.url.is_some() {
        title.push_str(" ↗");
    }
    vec![Span::styled(format!("{mark}{indent}{title}"), style)]
}

fn draw_overlay(frame: &mut Frame, t: &Theme, doc: &DocsDoc, overlay: Overlay, over: Rect) {
    let (title, rows, cursor): (&str, Vec<Vec<Span<'static>>>, usize) = match overlay {
        Overlay::Pages(c) => (
            " Pages — Enter opens ",
            doc.site
                .nav
                .iter()
                .map(|n| nav_row(t, n, n.page.as_deref() == Some(doc.page.as_str())))
                .collect(),
            c,
        ),
        Overlay::Outline(c) => (
            " Outline — Enter jumps ",
            doc.rendered
                .headings
                .iter()
                .map(|h| {
                    vec![Span::styled(
                        format!(
                            "{}{}",
                            "  ".repeat((h.level as usize).saturating_sub(1).min(5)),
                            one_line(&h.title)
                        ),
                        if h.level <= 2 { t.heading } else { t.text },
                    )]
                })
                .collect(),
            c,
        ),
    };
    let w = over.width.saturating_sub(4).clamp(10, 70);
    let h = (rows.len() as u16 + 2).min(over.height).max(3);
    let popup = Rect::new(over.x + (over.width.saturating_sub(w)) / 2, over.y, w, h);
    let inner = frame_popup(frame, popup, Span::styled(title.to_string(), t.title), t);
    let visible = inner.height as usize;
    let start = clamp_offset(0, cursor, visible.max(1));
    for (i, spans) in rows.into_iter().enumerate().skip(start).take(visible) {
        let row = Rect::new(inner.x, inner.y + (i - start) as u16, inner.width, 1);
        frame.render_widget(
            Paragraph::new(Line::from(fit_spans(spans, inner.width as usize))),
            row,
        );
        if i == cursor {
            frame.buffer_mut().set_style(row, t.selection);
        }
    }
}
