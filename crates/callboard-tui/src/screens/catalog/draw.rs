//! Drawing the catalog screen: the header, the query line with the match
//! counter, the filter chips, the list with the matched characters
//! highlighted, and the preview (or summary) of the selection.

use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{CatalogScreen, Focus};
use crate::keymap::Action;
use crate::layout;
use crate::model::{Loadable, Mode};
use crate::picker::Row;
use crate::screens::Cx;
use crate::widgets::list::clamp_offset;
use crate::widgets::spans::{fit_spans, put};
use crate::widgets::{header, spinner};
use callboard_core::catalog::entity_ref;
use callboard_core::search::RecordView;
use callboard_core::text::{self, one_line};

pub(super) fn draw(screen: &CatalogScreen, frame: &mut Frame, area: Rect, cx: &Cx) {
    let t = cx.theme;
    let filters = screen
        .picker
        .as_ref()
        .map(|p| p.filters())
        .unwrap_or_default();
    let l = layout::catalog(area, !filters.is_empty());
    header::draw(frame, l.header, &["Catalog".to_string()], cx.keymap, t);

    // Query line with the counter on the right.
    let focused = screen.focus == Focus::Query && *cx.mode == Mode::Normal;
    let p = screen.progress;
    let counter = match cx.load {
        Loadable::Ready(_) => {
            let spin = if p.running {
                format!("{} ", spinner(cx.spinner))
            } else {
                String::new()
            };
            format!("{spin}{} / {} ", p.matched, p.total)
        }
        Loadable::Loading => format!("{} loading ", spinner(cx.spinner)),
        Loadable::Failed(_) => "no catalog ".to_string(),
    };
    let prompt_style = if focused { t.key } else { t.dim };
    let mut spans = vec![Span::styled(" / ".to_string(), prompt_style)];
    let query = &screen.query.text;
    let room = (l.query.width as usize).saturating_sub(3 + text::width(&counter) + 1);
    if query.is_empty() {
        let hint = if focused {
            "type to search · kind:api owner:team-a · Esc: list keys".to_string()
        } else {
            format!("{} to search", cx.keymap.hint(&Action::Search))
        };
        spans.push(Span::styled(
            text::truncate(&hint, room).into_owned(),
            t.dim,
        ));
    } else {
        spans.push(Span::styled(
            text::truncate(&one_line(query), room).into_owned(),
            t.text,
        ));
    }
    let used: usize = spans.iter().map(|s| text::width(&s.content)).sum();
    let pad = (l.query.width as usize).saturating_sub(used + text::width(&counter));
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(counter, t.dim));
    put(frame, l.query, spans);
    if focused {
        let before = one_line(&query[..screen.query.cursor]).into_owned();
        let x = l.query.x + 3 + text::width(&before).min(room) as u16;
        frame.set_cursor_position(Position::new(
            x.min(l.query.right().saturating_sub(1)),
            l.query.y,
        ));
    }

    // Filter chips.
    if let Some(chips) = l.chips {
        let mut spans = vec![Span::raw(" ")];
        for f in filters {
            spans.push(Span::styled(
                format!(" {} ", one_line(&f.describe())),
                t.chip,
            ));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(format!("{} pass the filters", p.total), t.dim));
        put(frame, chips, spans);
    }

    let strip_h = screen.docs_strip_height(l.list.height);
    let list = Rect::new(l.list.x, l.list.y, l.list.width, l.list.height - strip_h);
    draw_list(frame, screen, cx, list);
    if strip_h > 0 {
        let strip = Rect::new(l.list.x, list.y + list.height, l.list.width, strip_h);
        draw_docs_hits(frame, screen, cx, strip);
    }
    if let Some(preview) = l.preview {
        draw_preview(frame, screen, cx, preview);
    }
    if let Some(summary) = l.summary {
        draw_summary(frame, screen, cx, summary);
    }
}

fn empty_message(screen: &CatalogScreen, cx: &Cx) -> Vec<(String, Style)> {
    let t = cx.theme;
    match cx.load {
        Loadable::Loading => {
            let what = match cx.sync {
                Some(s) if !s.current.is_empty() => {
                    format!("first sync of {}…", one_line(&s.current))
                }
                _ => "Loading the catalog…".to_string(),
            };
            vec![(what, t.dim)]
        }
        Loadable::Failed(e) => vec![
            ("The catalog could not be loaded:".into(), t.error),
            (one_line(e).into_owned(), t.text),
        ],
        Loadable::Ready(0) if !screen.first_sync_failed.is_empty() => {
            let mut lines = vec![(
                "The first sync failed, so there is no catalog yet:".into(),
                t.error,
            )];
            for why in &screen.first_sync_failed {
                lines.push((one_line(why).into_owned(), t.text));
            }
            lines.push((String::new(), t.text));
            lines.push((
                format!(
                    "Check the network and the source's url (and token), then press {} to try again.",
                    cx.keymap.hint(&crate::keymap::Action::Sync)
                ),
                t.text,
            ));
            lines
        }
        Loadable::Ready(0) => vec![
            ("The catalog is empty.".into(), t.title),
            (String::new(), t.text),
            (
                "Add sources to the config file (callboard --help shows where) or".into(),
                t.text,
            ),
            (
                "start with --source PATH, then press s to sync.".into(),
                t.text,
            ),
        ],
        Loadable::Ready(_) => {
            let p = screen.progress;
            if p.running {
                return vec![("searching…".into(), t.dim)];
            }
            let query = one_line(&screen.query.text).into_owned();
            // A mistyped filter (`knd:api`, `kind:apis`) says what it meant.
            let hints: Vec<(String, Style)> = crate::command::suggestions(&screen.query.text)
                .into_iter()
                .map(|h| (one_line(&h).into_owned(), t.warn))
                .collect();
            let mut lines = if p.total == 0 {
                vec![
                    ("No entity passes the filters.".into(), t.title),
                    (
                        "Values are exact (ignoring case): kind:api owner:team-a.".into(),
                        t.text,
                    ),
                    (
                        ":clear removes every filter; Backspace edits them.".into(),
                        t.dim,
                    ),
                ]
            } else {
                vec![
                    (format!("Nothing matches \"{query}\"."), t.title),
                    (
                        "Fewer letters match more: the search is fuzzy (fzf syntax).".into(),
                        t.text,
                    ),
                    ("Esc then Esc clears the query.".into(), t.dim),
                ]
            };
            // Right under the title.
            for (i, hint) in hints.into_iter().enumerate() {
                lines.insert(1 + i, hint);
            }
            lines
        }
    }
}

fn draw_list(frame: &mut Frame, screen: &CatalogScreen, cx: &Cx, area: Rect) {
    let t = cx.theme;
    if area.height == 0 {
        return;
    }
    let Some(picker) = &screen.picker else {
        draw_lines(frame, area, empty_message(screen, cx));
        return;
    };
    if screen.progress.matched == 0 || screen.rows.is_empty() {
        draw_lines(frame, area, empty_message(screen, cx));
        return;
    }
    let corpus = picker.corpus();
    let w = area.width as usize;
    let kind_w = if w >= 50 { 9 } else { 0 };
    let owner_w = if w >= 72 { 16 } else { 0 };
    let name_w = (w * 38 / 100).clamp(12, 40);
    let offset = clamp_offset(screen.offset, screen.cursor, area.height as usize);
    for (i, row) in screen.rows.iter().enumerate().take(area.height as usize) {
        let Some(view) = corpus.get(row.index as usize) else {
            continue;
        };
        let selected = offset + i == screen.cursor && screen.docs_cursor.is_none();
        let y = area.y + i as u16;
        let line_area = Rect::new(area.x, y, area.width, 1);
        let spans = list_row(cx, &view, row, selected, kind_w, name_w, owner_w, w);
        put(frame, line_area, spans);
        if selected {
            frame.buffer_mut().set_style(line_area, t.selection);
        }
    }
}

/// The backends' TechDocs hits under the list: a title row, then one row
/// a hit (its title with the backend's highlights, the entity, the page,
/// the text), or the note when the backend could not be asked.
fn draw_docs_hits(frame: &mut Frame, screen: &CatalogScreen, cx: &Cx, area: Rect) {
    let t = cx.theme;
    let Some(answer) = screen.backend_shown() else {
        return;
    };
    let w = area.width as usize;
    let head = if answer.docs.is_empty() {
        answer
            .notes
            .first()
            .map(|n| one_line(n).into_owned())
            .unwrap_or_default()
    } else {
        format!("TechDocs · {} from the backend's search", answer.docs.len())
    };
    put(
        frame,
        Rect::new(area.x, area.y, area.width, 1),
        vec![Span::styled(text::truncate(&head, w).into_owned(), t.dim)],
    );
    for (i, hit) in answer
        .docs
        .iter()
        .enumerate()
        .take(area.height.saturating_sub(1) as usize)
    {
        let y = area.y + 1 + i as u16;
        let line_area = Rect::new(area.x, y, area.width, 1);
        let mut spans = vec![Span::raw(" ")];
        // The title, its highlighted ranges in the match style (the text
        // is sanitized already, the ranges index it).
        let title = &hit.title;
        let mut at = 0;
        for &(a, b) in &hit.title_highlights {
            if a < at || b > title.len() || !title.is_char_boundary(a) || !title.is_char_boundary(b)
            {
                continue;
            }
            spans.push(Span::styled(one_line(&title[at..a]).into_owned(), t.title));
            spans.push(Span::styled(one_line(&title[a..b]).into_owned(), t.matched));
            at = b;
        }
        spans.push(Span::styled(one_line(&title[at..]).into_owned(), t.title));
        let owner = hit
            .entity_ref
            .as_deref()
            .map(|r| entity_ref::short_ref(r).into_owned())
            .unwrap_or_default();
        let page = hit.docs_path.as_deref().unwrap_or_default();
        spans.push(Span::styled(
            format!(
                "  {}{}{}  ",
                one_line(&owner),
                if page.is_empty() { "" } else { " · " },
                one_line(page)
            ),
            t.accent,
        ));
        spans.push(Span::styled(one_line(&hit.text).into_owned(), t.dim));
        let spans = fit_spans(spans, w);
        put(frame, line_area, spans);
        if screen.docs_cursor == Some(i) {
            frame.buffer_mut().set_style(line_area, t.selection);
        }
    }
}

/// Spans of a string with the matched characters highlighted, cut to `w`
/// columns and padded to it when `pad`.
fn highlighted(
    s: &str,
    hits: &[usize],
    w: usize,
    base: Style,
    hit: Style,
    pad: bool,
) -> Vec<Span<'static>> {
    let clean = one_line(s);
    // Indices refer to the raw string; if sanitizing changed it, skip them.
    let hits: &[usize] = if matches!(clean, std::borrow::Cow::Borrowed(_)) {
        hits
    } else {
        &[]
    };
    let cut = text::truncate(&clean, w);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut current = String::new();
    let mut current_hit = false;
    for (i, c) in cut.chars().enumerate() {
        let is_hit = hits.binary_search(&i).is_ok() && c != '…';
        if is_hit != current_hit && !current.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut current),
                if current_hit { hit } else { base },
            ));
        }
        current_hit = is_hit;
        current.push(c);
    }
    if !current.is_empty() {
        spans.push(Span::styled(current, if current_hit { hit } else { base }));
    }
    if pad {
        let used = text::width(&cut);
        if used < w {
            spans.push(Span::raw(" ".repeat(w - used)));
        }
    }
    spans
}

#[allow(clippy::too_many_arguments)]
fn list_row(
    cx: &Cx,
    view: &RecordView<'_>,
    row: &Row,
    selected: bool,
    kind_w: usize,
    name_w: usize,
    owner_w: usize,
    w: usize,
) -> Vec<Span<'static>> {
    let t = cx.theme;
    let mut spans = vec![Span::styled(
        if selected { "› " } else { "  " }.to_string(),
        t.accent,
    )];
    if kind_w > 0 {
        spans.push(Span::styled(
            text::fit(&one_line(&view.kind().to_lowercase()), kind_w),
            t.dim,
        ));
        spans.push(Span::raw(" "));
    }
    spans.extend(highlighted(
        view.name(),
        &row.name_hits,
        name_w,
        t.title,
        t.matched,
        true,
    ));
    spans.push(Span::raw(" "));
    if owner_w > 0 {
        spans.push(Span::styled(
            text::fit(&one_line(entity_ref::ref_name(view.owner())), owner_w),
            t.label,
        ));
        spans.push(Span::raw(" "));
    }
    let used: usize = spans.iter().map(|s| text::width(&s.content)).sum();
    let rest = w.saturating_sub(used);
    if rest >= 6 {
        if !view.title().is_empty() {
            spans.extend(highlighted(
                view.title(),
                &row.title_hits,
                rest,
                t.text,
                t.matched,
                false,
            ));
        } else {
            let desc = one_line(view.description()).into_owned();
            spans.push(Span::styled(
                text::truncate(&desc, rest).into_owned(),
                t.dim,
            ));
        }
    }
    spans
}

fn draw_lines(frame: &mut Frame, area: Rect, lines: Vec<(String, Style)>) {
    let lines: Vec<Line> = lines
        .into_iter()
        .flat_map(|(s, style)| {
            text::wrap(&s, area.width.saturating_sub(4).max(10) as usize)
                .into_iter()
                .map(move |l| Line::from(vec![Span::raw("  "), Span::styled(l, style)]))
        })
        .collect();
    let top = Rect::new(
        area.x,
        area.y + 1.min(area.height),
        area.width,
        area.height.saturating_sub(1),
    );
    frame.render_widget(Paragraph::new(lines), top);
}

fn selected_view(screen: &CatalogScreen) -> Option<RecordView<'_>> {
    let picker = screen.picker.as_ref()?;
    let index = screen.selected_index()?;
    picker.corpus().get(index as usize)
}

fn draw_preview(frame: &mut Frame, screen: &CatalogScreen, cx: &Cx, area: Rect) {
    let t = cx.theme;
    let block = Block::default()
        .borders(Borders::LEFT)
        .border_style(t.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(1),
        inner.height,
    );
    let Some(view) = selected_view(screen) else {
        return;
    };
    let w = inner.width as usize;
    let key = view.entity_ref().into_owned();
    let detail = cx.details.get(&key).and_then(Loadable::ready);
    let mut lines: Vec<Line> = Vec::new();
    let field = |lines: &mut Vec<Line>, label: &str, value: String, style: Style| {
        for (i, part) in text::wrap(&value, w.saturating_sub(9).max(8))
            .into_iter()
            .enumerate()
        {
            let label = if i == 0 {
                text::fit(label, 9)
            } else {
                " ".repeat(9)
            };
            lines.push(Line::from(fit_spans(
                vec![Span::styled(label, t.label), Span::styled(part, style)],
                w,
            )));
        }
    };
    let title = if view.title().is_empty() {
        view.name()
    } else {
        view.title()
    };
    lines.push(Line::from(fit_spans(
        vec![Span::styled(one_line(title).into_owned(), t.title)],
        w,
    )));
    lines.push(Line::from(fit_spans(
        vec![Span::styled(one_line(&key).into_owned(), t.dim)],
        w,
    )));
    let facts: Vec<String> = [view.kind(), view.spec_type(), view.lifecycle()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| one_line(s).into_owned())
        .collect();
    lines.push(Line::from(fit_spans(
        vec![Span::styled(facts.join(" · "), t.text)],
        w,
    )));
    lines.push(Line::default());
    if !view.owner().is_empty() {
        let mut owner = entity_ref::short_ref(&one_line(view.owner())).into_owned();
        if let Some(name) = detail
            .and_then(|d| d.report.owner.as_ref())
            .and_then(|o| o.display_name.as_deref())
        {
            owner = format!("{} ({owner})", one_line(name));
        }
        field(&mut lines, "Owner", owner, t.accent);
        if let Some(email) = detail
            .and_then(|d| d.report.owner.as_ref())
            .and_then(|o| o.email.as_deref())
        {
            field(&mut lines, "", one_line(email).into_owned(), t.text);
        }
    }
    if !view.system().is_empty() {
        field(
            &mut lines,
            "System",
            entity_ref::short_ref(&one_line(view.system())).into_owned(),
            t.text,
        );
    }
    match detail {
        Some(d) => {
            let owner_name = d
                .report
                .owner
                .as_ref()
                .map(|o| entity_ref::ref_name(&o.owner_ref).to_string())
                .unwrap_or_default();
            let on_call = d
                .report
                .on_call
                .iter()
                .map(|(k, v)| format!("{}: {}", one_line(k), one_line(v)))
                .chain(
                    d.report
                        .owner
                        .iter()
                        .flat_map(|o| o.on_call.iter())
                        .map(|(k, v)| {
                            format!(
                                "{}: {} ({})",
                                one_line(k),
                                one_line(v),
                                one_line(&owner_name)
                            )
                        }),
                );
            for (i, line) in on_call.enumerate().take(4) {
                field(
                    &mut lines,
                    if i == 0 { "On-call" } else { "" },
                    line,
                    t.accent,
                );
            }
            let own = d.report.links.iter().find(|l| l.runbook);
            let owners = d.owner_links.iter().find(|l| l.runbook);
            match (own, owners) {
                (Some(l), _) => field(
                    &mut lines,
                    "Runbook",
                    one_line(&l.url).into_owned(),
                    t.runbook,
                ),
                (None, Some(l)) => field(
                    &mut lines,
                    "Runbook",
                    format!("{} (owner's)", one_line(&l.url)),
                    t.runbook,
                ),
                (None, None) => field(&mut lines, "Runbook", "none".into(), t.dim),
            }
        }
        None => {
            if matches!(cx.details.get(&key), Some(Loadable::Failed(_))) {
                field(&mut lines, "Details", "unavailable".into(), t.warn);
            } else {
                field(
                    &mut lines,
                    "",
                    format!("{} loading details", spinner(cx.spinner)),
                    t.dim,
                );
            }
        }
    }
    let tags: Vec<String> = view.tags().map(|s| one_line(s).into_owned()).collect();
    if !tags.is_empty() {
        field(&mut lines, "Tags", tags.join(" · "), t.text);
    }
    let description = detail
        .and_then(|d| d.report.description.clone())
        .unwrap_or_else(|| view.description().to_string());
    if !description.trim().is_empty() {
        lines.push(Line::default());
        for part in text::wrap(text::lines(&description).join("\n").trim(), w) {
            lines.push(Line::from(Span::styled(part, t.text)));
        }
    }
    lines.truncate(inner.height as usize);
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_summary(frame: &mut Frame, screen: &CatalogScreen, cx: &Cx, area: Rect) {
    let t = cx.theme;
    let Some(view) = selected_view(screen) else {
        return;
    };
    let w = area.width as usize;
    let mut facts: Vec<Span<'static>> = vec![Span::styled("─ ".to_string(), t.border)];
    let owner = entity_ref::ref_name(view.owner());
    let mut first = true;
    if !owner.is_empty() {
        facts.push(Span::styled("owner ".to_string(), t.dim));
        facts.push(Span::styled(one_line(owner).into_owned(), t.accent));
        first = false;
    }
    for s in [view.lifecycle(), view.spec_type()] {
        if !s.is_empty() {
            if !first {
                facts.push(Span::styled(" · ".to_string(), t.dim));
            }
            facts.push(Span::styled(one_line(s).into_owned(), t.text));
            first = false;
        }
    }
    let used: usize = facts.iter().map(|s| text::width(&s.content)).sum();
    let enter = format!(" {} details ", cx.keymap.hint(&Action::Open));
    if used + text::width(&enter) + 2 < w {
        facts.push(Span::raw(" "));
        facts.push(Span::styled(
            "─".repeat(w - used - text::width(&enter) - 1),
            t.border,
        ));
        facts.push(Span::styled(enter, t.dim));
    }
    put(frame, Rect::new(area.x, area.y, area.width, 1), facts);
    let desc = one_line(view.description()).into_owned();
    let line = if desc.is_empty() {
        Span::styled("  (no description)".to_string(), t.dim)
    } else {
        Span::styled(format!("  {desc}"), t.text)
    };
    if area.height > 1 {
        put(
            frame,
            Rect::new(area.x, area.y + 1, area.width, 1),
            vec![line],
        );
    }
}
