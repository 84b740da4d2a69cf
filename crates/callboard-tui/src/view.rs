//! Drawing: a pure function of [`App`]. Reads the rows the matcher
//! produced in [`App::prepare_frame`]; never does I/O, never changes state.
//! Every catalog string is sanitized ([`text::one_line`], [`text::lines`])
//! before it reaches the buffer.

use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::app::{clamp_offset, App, Focus, LineEdit, Loadable, Mode, PANES};
use crate::keymap::Action;
use crate::layout::{self, BRAND, CRUMB_SEP};
use crate::panes::fit_spans;
use crate::picker::Row;
use callboard_core::catalog::entity_ref;
use callboard_core::search::RecordView;
use callboard_core::text::{self, one_line};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if layout::too_small(area) {
        let msg = format!(
            "callboard needs at least {}×{}",
            layout::MIN_WIDTH,
            layout::MIN_HEIGHT
        );
        frame.render_widget(Paragraph::new(msg), area);
        return;
    }
    if app.templates.is_some() {
        crate::templates::draw(frame, app, area);
        if let Mode::Help { scroll } = &app.mode {
            draw_help(frame, app, *scroll, area);
        }
        return;
    }
    let status_area = if app.stack.is_empty() {
        draw_catalog(frame, app, area)
    } else {
        draw_entity(frame, app, area)
    };
    match &app.mode {
        Mode::Normal => draw_status(frame, app, status_area),
        Mode::Command(line) => draw_command(frame, app, line, status_area),
        Mode::Help { scroll } => {
            draw_status(frame, app, status_area);
            draw_help(frame, app, *scroll, area);
        }
    }
}

fn put(frame: &mut Frame, area: Rect, spans: Vec<Span<'static>>) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let line = Line::from(fit_spans(spans, area.width as usize));
    frame.render_widget(Paragraph::new(line), area);
}

fn spinner(app: &App) -> &'static str {
    SPINNER[app.spinner % SPINNER.len()]
}

// ----------------------------------------------------------------------
// Header and status bar
// ----------------------------------------------------------------------

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let crumbs = layout::crumbs(app);
    let help = format!("{} help ", app.keymap.hint(&Action::Help));
    let room =
        (area.width as usize).saturating_sub(text::width(BRAND) + 1 + text::width(&help) + 1);
    // Drop crumbs from the left (after Catalog) until they fit.
    let mut shown: Vec<String> = crumbs.clone();
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

/// "demo · synced 3 min ago", or per source when there are several.
pub fn freshness(app: &App) -> (String, bool) {
    if let Some(s) = &app.sync {
        let current = if s.current.is_empty() {
            String::new()
        } else {
            format!(" {}", one_line(&s.current))
        };
        return (
            format!(
                "{} syncing{current} ({}/{})",
                spinner(app),
                (s.index + 1).min(s.total),
                s.total
            ),
            false,
        );
    }
    if app.sources.is_empty() {
        return (String::new(), false);
    }
    let mut warn = false;
    let parts: Vec<String> = app
        .sources
        .iter()
        .map(|s| {
            let name = one_line(&s.name).into_owned();
            match s.synced_at_ms {
                None => {
                    warn = true;
                    format!("{name} not synced")
                }
                Some(at) => {
                    let age = text::age(app.now_ms.saturating_sub(at));
                    if s.stale {
                        warn = true;
                        format!(
                            "{name} offline — cache {}",
                            age.replace(" ago", " old").replace("just now", "fresh")
                        )
                    } else if app.sources.len() == 1 {
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

fn hints(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap.hint(&a);
    if app.top().is_some_and(|v| v.pane == crate::app::DOCS) {
        vec![
            (k(Action::Search), "search"),
            (k(Action::Outline), "outline"),
            (k(Action::DocsPages), "pages"),
            (k(Action::Open), "follow"),
            (k(Action::Back), "back"),
            (k(Action::Help), "help"),
        ]
    } else if !app.stack.is_empty() {
        vec![
            (k(Action::NextPane), "panes"),
            (k(Action::Back), "back"),
            (k(Action::Copy), "copy"),
            (k(Action::Runbook), "runbook"),
            (k(Action::Help), "help"),
        ]
    } else if app.catalog.focus == Focus::Query {
        vec![
            ("↑↓".to_string(), "move"),
            (k(Action::Open), "open"),
            (k(Action::Back), "list keys"),
            (k(Action::Command), "cmd"),
        ]
    } else {
        vec![
            (k(Action::Search), "search"),
            (k(Action::Pane(1)), "owner"),
            (k(Action::Runbook), "runbook"),
            (k(Action::Sync), "sync"),
            (k(Action::Help), "help"),
            (k(Action::Quit), "quit"),
        ]
    }
}

fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let (fresh, warn) = freshness(app);
    let right_w = text::width(&fresh);
    let left_room = (area.width as usize).saturating_sub(right_w + 2);
    let mut left: Vec<Span<'static>> = Vec::new();
    match &app.message {
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
            for (key, what) in hints(app) {
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
    let rows = lines
        .len()
        .min(MESSAGE_ROWS as usize + 1)
        .min(area.y as usize + 1);
    if lines.len() > rows {
        lines.truncate(rows);
        if let Some(last) = lines.last_mut() {
            *last = text::truncate(&format!("{last}…"), last_room).into_owned();
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

/// At most this many rows above the status bar hold a long message.
const MESSAGE_ROWS: u16 = 4;

fn draw_command(frame: &mut Frame, app: &App, line: &LineEdit, area: Rect) {
    let t = &app.theme;
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

// ----------------------------------------------------------------------
// Catalog screen
// ----------------------------------------------------------------------

fn draw_catalog(frame: &mut Frame, app: &App, area: Rect) -> Rect {
    let t = &app.theme;
    let filters = app.picker.as_ref().map(|p| p.filters()).unwrap_or_default();
    let l = layout::catalog(area, !filters.is_empty());
    draw_header(frame, app, l.header);

    // Query line with the counter on the right.
    let focused = app.catalog.focus == Focus::Query && app.mode == Mode::Normal;
    let p = app.catalog.progress;
    let counter = match &app.load {
        Loadable::Ready(_) => {
            let spin = if p.running {
                format!("{} ", spinner(app))
            } else {
                String::new()
            };
            format!("{spin}{} / {} ", p.matched, p.total)
        }
        Loadable::Loading => format!("{} loading ", spinner(app)),
        Loadable::Failed(_) => "no catalog ".to_string(),
    };
    let prompt_style = if focused { t.key } else { t.dim };
    let mut spans = vec![Span::styled(" / ".to_string(), prompt_style)];
    let query = &app.catalog.query.text;
    let room = (l.query.width as usize).saturating_sub(3 + text::width(&counter) + 1);
    if query.is_empty() {
        let hint = if focused {
            "type to search · kind:api owner:team-a · Esc: list keys".to_string()
        } else {
            format!("{} to search", app.keymap.hint(&Action::Search))
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
        let before = one_line(&query[..app.catalog.query.cursor]).into_owned();
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

    draw_list(frame, app, l.list);
    if let Some(preview) = l.preview {
        draw_preview(frame, app, preview);
    }
    if let Some(summary) = l.summary {
        draw_summary(frame, app, summary);
    }
    l.status
}

fn empty_message(app: &App) -> Vec<(String, Style)> {
    let t = &app.theme;
    match &app.load {
        Loadable::Loading => {
            let what = match &app.sync {
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
            let p = app.catalog.progress;
            if p.running {
                return vec![("searching…".into(), t.dim)];
            }
            let query = one_line(&app.catalog.query.text).into_owned();
            if p.total == 0 {
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
            }
        }
    }
}

fn draw_list(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    if area.height == 0 {
        return;
    }
    let Some(picker) = &app.picker else {
        draw_lines(frame, area, empty_message(app));
        return;
    };
    if app.catalog.progress.matched == 0 || app.catalog.rows.is_empty() {
        draw_lines(frame, area, empty_message(app));
        return;
    }
    let corpus = picker.corpus();
    let w = area.width as usize;
    let kind_w = if w >= 50 { 9 } else { 0 };
    let owner_w = if w >= 72 { 16 } else { 0 };
    let name_w = (w * 38 / 100).clamp(12, 40);
    let offset = clamp_offset(app.catalog.offset, app.catalog.cursor, area.height as usize);
    for (i, row) in app
        .catalog
        .rows
        .iter()
        .enumerate()
        .take(area.height as usize)
    {
        let Some(view) = corpus.get(row.index as usize) else {
            continue;
        };
        let selected = offset + i == app.catalog.cursor;
        let y = area.y + i as u16;
        let line_area = Rect::new(area.x, y, area.width, 1);
        let spans = list_row(app, &view, row, selected, kind_w, name_w, owner_w, w);
        put(frame, line_area, spans);
        if selected {
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
    app: &App,
    view: &RecordView<'_>,
    row: &Row,
    selected: bool,
    kind_w: usize,
    name_w: usize,
    owner_w: usize,
    w: usize,
) -> Vec<Span<'static>> {
    let t = &app.theme;
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

fn selected_view(app: &App) -> Option<RecordView<'_>> {
    let picker = app.picker.as_ref()?;
    let index = app.selected_index()?;
    picker.corpus().get(index as usize)
}

fn draw_preview(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
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
    let Some(view) = selected_view(app) else {
        return;
    };
    let w = inner.width as usize;
    let key = view.entity_ref().into_owned();
    let detail = app.details.get(&key).and_then(Loadable::ready);
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
            if matches!(app.details.get(&key), Some(Loadable::Failed(_))) {
                field(&mut lines, "Details", "unavailable".into(), t.warn);
            } else {
                field(
                    &mut lines,
                    "",
                    format!("{} loading details", spinner(app)),
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

fn draw_summary(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let Some(view) = selected_view(app) else {
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
    let enter = format!(" {} details ", app.keymap.hint(&Action::Open));
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

// ----------------------------------------------------------------------
// Entity screen
// ----------------------------------------------------------------------

fn draw_entity(frame: &mut Frame, app: &App, area: Rect) -> Rect {
    let t = &app.theme;
    let l = layout::entity(area);
    draw_header(frame, app, l.header);
    let Some(view) = app.top() else {
        return l.status;
    };
    let detail = app.details.get(&view.key).and_then(Loadable::ready);

    // Title row: the display name and the ref.
    let mut title = vec![Span::raw(" ")];
    match detail {
        Some(d) => {
            let name = d
                .report
                .title
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or(&d.report.name);
            title.push(Span::styled(one_line(name).into_owned(), t.title));
            title.push(Span::styled(
                format!("  {}", one_line(&d.report.entity_ref)),
                t.dim,
            ));
        }
        None => title.push(Span::styled(one_line(&view.key).into_owned(), t.title)),
    }
    put(frame, l.title, title);

    // The Docs pane draws itself (its position is in its own header).
    if view.pane == crate::app::DOCS {
        draw_tabs(frame, app, view, l.tabs, None);
        crate::docs_pane::draw(frame, app, view);
        return l.status;
    }

    // Tabs, with the scroll position on the right.
    let lines = crate::panes::lines(app, view, l.body.width as usize);
    let cursor = App::cursor_line(view, &lines);
    let pos =
        (lines.len() > l.body.height as usize).then(|| format!("{}/{} ", cursor + 1, lines.len()));
    draw_tabs(frame, app, view, l.tabs, pos);

    // The pane, the cursor line in reverse video.
    let height = l.body.height as usize;
    let offset = clamp_offset(view.offset[view.pane], cursor, height);
    for (i, line) in lines.iter().skip(offset).take(height).enumerate() {
        let row = Rect::new(l.body.x, l.body.y + i as u16, l.body.width, 1);
        frame.render_widget(Paragraph::new(line.line.clone()), row);
        if offset + i == cursor && app.mode == Mode::Normal {
            frame.buffer_mut().set_style(row, t.selection);
        }
    }
    let _ = PANES;
    l.status
}

fn draw_tabs(
    frame: &mut Frame,
    app: &App,
    view: &crate::app::EntityView,
    area: Rect,
    pos: Option<String>,
) {
    let t = &app.theme;
    let mut tabs: Vec<Span<'static>> = Vec::new();
    for (i, label) in layout::tab_labels(area.width).into_iter().enumerate() {
        if i > 0 {
            tabs.push(Span::styled("│".to_string(), t.border));
        }
        tabs.push(Span::styled(
            label,
            if i == view.pane { t.tab_active } else { t.tab },
        ));
    }
    if let Some(pos) = pos {
        let used: usize = tabs.iter().map(|s| text::width(&s.content)).sum();
        let pad = (area.width as usize).saturating_sub(used + text::width(&pos));
        if pad > 0 {
            tabs.push(Span::raw(" ".repeat(pad)));
            tabs.push(Span::styled(pos, t.dim));
        }
    }
    put(frame, area, tabs);
}

// ----------------------------------------------------------------------
// Help
// ----------------------------------------------------------------------

pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = vec![Line::from(Span::styled(
        "Keys (the config file's keys: map changes them)",
        t.heading,
    ))];
    let rows = app.keymap.help_rows();
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

fn draw_help(frame: &mut Frame, app: &App, scroll: usize, area: Rect) {
    let t = &app.theme;
    let lines = help_lines(app);
    let w = area.width.saturating_sub(4).min(96);
    let h = area.height.saturating_sub(2).min(lines.len() as u16 + 2);
    let popup = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    frame.render_widget(Clear, popup);
    let close = app.keymap.hint(&Action::Back);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(
            format!(" Help — {close} closes, j/k scroll "),
            t.title,
        ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let visible: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .map(|l| Line::from(fit_spans(l.spans, inner.width as usize)))
        .collect();
    frame.render_widget(Paragraph::new(visible), inner);
}
