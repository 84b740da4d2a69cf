//! The Docs pane: an entity's TechDocs in the entity screen. A header
//! (site › page), the nav tree on the left when the screen is wide enough,
//! the page with a line cursor, and pop-ups for the pages (`p`) and the
//! page's outline (`t`). `/` searches the page, `n`/`N` step through the
//! matches, Enter follows the link on the cursor line (pages of the same
//! docs open here; web links open in the browser), Esc goes back a page.
//!
//! Pages are loaded and rendered by the docs worker
//! ([`crate::docs_worker`]); this module only keeps state and draws.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::app::{clamp_offset, App, Effect, EntityView, LineEdit, Mode, DOCS};
use crate::docs_worker::{DocsDoc, DocsReply, DocsRequest};
use crate::keymap::Action;
use crate::layout;
use crate::panes::fit_spans;
use crate::worker::Request;
use callboard_core::catalog::entity_ref;
use callboard_core::docs::runbook::DocsRunbook;
use callboard_core::docs::{resolve_link, LinkTarget};
use callboard_core::text::{self, one_line};

/// The nav tree gets a column of its own from this width on.
pub const NAV_MIN_WIDTH: u16 = 100;
pub const NAV_WIDTH: u16 = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// The pages, cursor on a nav row.
    Pages(usize),
    /// The page's headings, cursor on one.
    Outline(usize),
}

/// The Docs pane of one entity.
#[derive(Debug, Clone, Default)]
pub struct DocsPane {
    pub doc: Option<DocsDoc>,
    pub error: Option<String>,
    /// A request is out (or the shown page is only partly rendered).
    pub loading: bool,
    /// The page asked for last (None: home) and the width it was asked at.
    pub asked: Option<String>,
    pub width: u16,
    pub mono: bool,
    pub cursor: usize,
    pub offset: usize,
    /// A heading to jump to once the page is there.
    pub anchor: Option<String>,
    /// Pages left by following links: (page, cursor).
    pub history: Vec<(String, usize)>,
    /// The search being typed.
    pub search: Option<LineEdit>,
    /// The last search.
    pub query: String,
    pub overlay: Option<Overlay>,
    /// Where to put the cursor when the page asked for arrives (going back).
    pub restore: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
pub struct DocsAreas {
    pub header: Rect,
    pub nav: Option<Rect>,
    pub page: Rect,
}

pub fn areas(app: &App) -> DocsAreas {
    let body = layout::entity(app.area()).body;
    let header = Rect::new(body.x, body.y, body.width, body.height.min(1));
    let rest = Rect::new(
        body.x,
        body.y + header.height,
        body.width,
        body.height.saturating_sub(header.height),
    );
    if body.width >= NAV_MIN_WIDTH {
        let nav = Rect::new(rest.x, rest.y, NAV_WIDTH, rest.height);
        let page = Rect::new(
            rest.x + NAV_WIDTH + 1,
            rest.y,
            rest.width - NAV_WIDTH - 1,
            rest.height,
        );
        DocsAreas {
            header,
            nav: Some(nav),
            page,
        }
    } else {
        DocsAreas {
            header,
            nav: None,
            page: rest,
        }
    }
}

fn page_height(app: &App, pane: &DocsPane) -> usize {
    let h = areas(app).page.height as usize;
    if pane.search.is_some() {
        h.saturating_sub(1).max(1)
    } else {
        h.max(1)
    }
}

fn docs_view(app: &App) -> Option<&EntityView> {
    app.top().filter(|v| v.pane == DOCS)
}

/// The search line is being typed into.
pub fn typing(app: &App) -> bool {
    docs_view(app)
        .and_then(|v| app.docs.get(&v.key))
        .is_some_and(|p| p.search.is_some())
}

fn mono(app: &App) -> bool {
    app.theme.name == "mono"
}

fn request(app: &mut App, key: &str, page: Option<String>) {
    let width = areas(app).page.width;
    let mono = mono(app);
    let pane = app.docs.entry(key.to_string()).or_default();
    pane.loading = true;
    pane.asked = page.clone();
    pane.width = width;
    pane.mono = mono;
    app.effects.push(Effect::Request(Request::Docs(DocsRequest {
        key: key.to_string(),
        page,
        width,
        mono,
    })));
}

/// The Docs pane came into view (or the screen changed size): load the
/// docs, or render them again for the new width.
pub fn on_show(app: &mut App) {
    let Some(key) = docs_view(app).map(|v| v.key.clone()) else {
        return;
    };
    let width = areas(app).page.width;
    let mono = mono(app);
    let pane = app.docs.get(&key);
    let again = match pane {
        None => Some(None),
        Some(p) if p.loading && p.width == width => None,
        Some(p) if p.error.is_some() && p.doc.is_none() && p.width == width => None,
        Some(p) => match &p.doc {
            Some(d) if d.rendered.width != width.max(20) || p.mono != mono => {
                Some(Some(d.page.clone()))
            }
            None if !p.loading => Some(p.asked.clone()),
            _ => None,
        },
    };
    if let Some(page) = again {
        request(app, &key, page);
    }
}

/// A page from the docs worker.
pub fn handle_reply(app: &mut App, reply: DocsReply) {
    let Some(pane) = app.docs.get_mut(&reply.key) else {
        return;
    };
    if reply.width != pane.width || reply.asked != pane.asked {
        return; // superseded by a newer request
    }
    match reply.result {
        Ok(doc) => {
            let new_page = pane.doc.as_ref().is_none_or(|d| d.page != doc.page);
            if new_page {
                pane.cursor = pane.restore.take().unwrap_or(0);
                pane.offset = pane.cursor.saturating_sub(3);
                pane.query.clear();
            }
            pane.loading = !doc.rendered.complete;
            pane.error = None;
            let notes: Vec<String> = doc
                .site
                .offline
                .iter()
                .chain(doc.notes.iter())
                .cloned()
                .collect();
            pane.doc = Some(doc);
            let jumped = jump_to_anchor(app, &reply.key);
            if new_page && !jumped {
                if let Some(n) = notes.first() {
                    app.say(n.clone());
                }
            }
        }
        Err(e) => {
            pane.loading = false;
            if pane.doc.is_some() {
                // A followed link failed: stay on the page.
                pane.asked = pane.doc.as_ref().map(|d| d.page.clone());
                pane.anchor = None;
                app.fail(e.message);
            } else {
                pane.error = Some(e.message);
            }
        }
    }
}

/// Jump to the pending heading if the page has it; true when it did.
fn jump_to_anchor(app: &mut App, key: &str) -> bool {
    let Some(pane) = app.docs.get_mut(key) else {
        return false;
    };
    let Some(anchor) = pane.anchor.clone() else {
        return false;
    };
    let Some(doc) = &pane.doc else { return false };
    match doc.rendered.heading(&anchor) {
        Some(h) => {
            let title = h.title.clone();
            pane.cursor = h.line;
            pane.offset = h.line;
            pane.anchor = None;
            app.say(format!("§ {}", one_line(&title)));
            true
        }
        None if doc.rendered.complete => {
            pane.anchor = None;
            app.fail(format!("no heading #{} on this page", one_line(&anchor)));
            false
        }
        None => false,
    }
}

/// `r`: show the docs runbook (a page, or a heading in one).
pub fn open_runbook(app: &mut App, runbook: &DocsRunbook) {
    let Some(key) = app.top().map(|v| v.key.clone()) else {
        return;
    };
    if let Some(view) = app.stack.last_mut() {
        view.pane = DOCS;
    }
    let pane = app.docs.entry(key.clone()).or_default();
    pane.anchor = runbook.anchor.clone();
    pane.overlay = None;
    let here = pane.doc.as_ref().is_some_and(|d| d.page == runbook.page);
    if here && !pane.loading {
        if !jump_to_anchor(app, &key) {
            if let Some(p) = app.docs.get_mut(&key) {
                p.cursor = 0;
                p.offset = 0;
            }
        }
    } else {
        request(app, &key, Some(runbook.page.clone()));
    }
    app.say(format!(
        "runbook: {} in the docs of {}",
        one_line(&runbook.title),
        entity_ref::short_ref(&runbook.docs_of)
    ));
}

/// Handle an action in the Docs pane; hands back what it does not handle.
pub fn update(app: &mut App, action: Action) -> Option<Action> {
    if app.mode != Mode::Normal {
        return Some(action);
    }
    let Some(key) = docs_view(app).map(|v| v.key.clone()) else {
        return Some(action);
    };
    let Some(mut pane) = app.docs.get(&key).cloned() else {
        return Some(action);
    };
    // Typing a search.
    if let Some(mut line) = pane.search.take() {
        match action {
            Action::Open => {
                pane.query = line.text.clone();
                app.docs.insert(key.clone(), pane);
                find(app, &key, true, false);
            }
            Action::Back => {
                app.docs.insert(key, pane);
            }
            Action::Backspace if line.text.is_empty() => {
                app.docs.insert(key, pane);
            }
            edit => {
                line.edit(&edit);
                pane.search = Some(line);
                app.docs.insert(key, pane);
            }
        }
        return None;
    }
    if let Some(overlay) = pane.overlay {
        overlay_action(app, &key, pane, overlay, action);
        return None;
    }
    let Some(doc) = pane.doc.clone() else {
        // Nothing shown yet: only leaving works.
        return match action {
            Action::Back | Action::Pane(_) | Action::NextPane | Action::PrevPane | Action::Quit => {
                Some(action)
            }
            Action::Runbook | Action::Help | Action::Command | Action::Sync => Some(action),
            _ => None,
        };
    };
    let lines = doc.rendered.lines.len();
    let height = page_height(app, &pane) as isize;
    let step = |pane: &mut DocsPane, delta: isize| {
        let next = (pane.cursor as isize + delta).clamp(0, lines.saturating_sub(1) as isize);
        pane.cursor = next as usize;
    };
    match action {
        Action::Down => step(&mut pane, 1),
        Action::Up => step(&mut pane, -1),
        Action::ScrollDown => {
            step(&mut pane, 3);
            pane.offset = (pane.offset + 3).min(lines.saturating_sub(height as usize));
        }
        Action::ScrollUp => {
            step(&mut pane, -3);
            pane.offset = pane.offset.saturating_sub(3);
        }
        Action::HalfPageDown => step(&mut pane, height / 2),
        Action::HalfPageUp => step(&mut pane, -height / 2),
        Action::PageDown => {
            step(&mut pane, height);
            pane.offset =
                (pane.offset + height as usize).min(lines.saturating_sub(height as usize));
        }
        Action::PageUp => {
            step(&mut pane, -height);
            pane.offset = pane.offset.saturating_sub(height as usize);
        }
        Action::Top => pane.cursor = 0,
        Action::Bottom => pane.cursor = lines.saturating_sub(1),
        Action::Search => {
            pane.search = Some(LineEdit::default());
        }
        Action::FindNext | Action::FindPrev => {
            app.docs.insert(key.clone(), pane);
            find(app, &key, action == Action::FindNext, true);
            return None;
        }
        Action::Outline => {
            if doc.rendered.headings.is_empty() {
                app.say("this page has no headings");
            } else {
                let at = doc
                    .rendered
                    .headings
                    .iter()
                    .rposition(|h| h.line <= pane.cursor)
                    .unwrap_or(0);
                pane.overlay = Some(Overlay::Outline(at));
            }
        }
        Action::DocsPages => {
            let at = doc
                .site
                .nav
                .iter()
                .position(|n| n.page.as_deref() == Some(doc.page.as_str()))
                .unwrap_or(0);
            pane.overlay = Some(Overlay::Pages(at));
        }
        Action::PrevPage | Action::NextPage => {
            let pages = &doc.site.pages;
            let i = pages.iter().position(|p| *p == doc.page).unwrap_or(0) as isize;
            let j = i + if action == Action::NextPage { 1 } else { -1 };
            if j < 0 || j as usize >= pages.len() {
                app.say(if j < 0 {
                    "the first page"
                } else {
                    "the last page"
                });
            } else {
                let page = pages[j as usize].clone();
                app.docs.insert(key.clone(), pane);
                go_to_page(app, &key, page, None, false);
                return None;
            }
        }
        Action::Open | Action::OpenLink => {
            let link = doc.rendered.link_on(pane.cursor).map(str::to_string);
            app.docs.insert(key.clone(), pane);
            match link {
                Some(href) => follow(app, &key, &doc, &href),
                None => app.say("no link on this line"),
            }
            return None;
        }
        Action::Copy => {
            let (what, value) = match doc.rendered.link_on(pane.cursor) {
                Some(l) => ("link", l.to_string()),
                None => ("page", doc.page.clone()),
            };
            app.docs.insert(key.clone(), pane);
            let value = one_line(&value).into_owned();
            app.effects.push(Effect::Copy {
                text: value,
                what: what.to_string(),
            });
            return None;
        }
        Action::Back if !pane.history.is_empty() => {
            let (page, cursor) = pane.history.pop().expect("not empty");
            app.docs.insert(key.clone(), pane);
            go_to_page(app, &key, page, None, true);
            if let Some(p) = app.docs.get_mut(&key) {
                if p.loading {
                    p.restore = Some(cursor);
                } else {
                    p.cursor = cursor;
                    p.offset = cursor.saturating_sub(3);
                }
            }
            return None;
        }
        Action::Click { column, row } => {
            let a = areas(app);
            if a.page.contains((column, row).into()) {
                let line = pane.offset + (row - a.page.y) as usize;
                if line < lines {
                    let same = line == pane.cursor;
                    pane.cursor = line;
                    if same {
                        app.docs.insert(key.clone(), pane);
                        if let Some(href) = doc.rendered.link_on(line) {
                            follow(app, &key, &doc, href);
                        }
                        return None;
                    }
                }
            } else {
                app.docs.insert(key, pane);
                return Some(action);
            }
        }
        other => {
            app.docs.insert(key, pane);
            return Some(other);
        }
    }
    pane.offset = clamp_offset(pane.offset, pane.cursor, height as usize);
    app.docs.insert(key, pane);
    None
}

fn overlay_action(app: &mut App, key: &str, mut pane: DocsPane, overlay: Overlay, action: Action) {
    let Some(doc) = pane.doc.clone() else {
        pane.overlay = None;
        app.docs.insert(key.to_string(), pane);
        return;
    };
    let (cursor, len) = match overlay {
        Overlay::Pages(c) => (c, doc.site.nav.len()),
        Overlay::Outline(c) => (c, doc.rendered.headings.len()),
    };
    let page = (areas(app).page.height as isize - 2).max(1);
    let moved =
        |delta: isize| (cursor as isize + delta).clamp(0, len.saturating_sub(1) as isize) as usize;
    let next = match action {
        Action::Down | Action::ScrollDown => Some(moved(1)),
        Action::Up | Action::ScrollUp => Some(moved(-1)),
        Action::PageDown | Action::HalfPageDown => Some(moved(page / 2)),
        Action::PageUp | Action::HalfPageUp => Some(moved(-page / 2)),
        Action::Top => Some(0),
        Action::Bottom => Some(len.saturating_sub(1)),
        _ => None,
    };
    if let Some(c) = next {
        pane.overlay = Some(match overlay {
            Overlay::Pages(_) => Overlay::Pages(c),
            Overlay::Outline(_) => Overlay::Outline(c),
        });
        app.docs.insert(key.to_string(), pane);
        return;
    }
    pane.overlay = None;
    match (overlay, action) {
        (Overlay::Outline(c), Action::Open) => {
            if let Some(h) = doc.rendered.headings.get(c) {
                pane.cursor = h.line;
                pane.offset = h.line;
            }
            app.docs.insert(key.to_string(), pane);
        }
        (Overlay::Pages(c), Action::Open) => {
            app.docs.insert(key.to_string(), pane);
            match doc.site.nav.get(c) {
                Some(n) if n.missing => app.fail(format!(
                    "{} is in the nav but not in the docs folder",
                    one_line(n.page.as_deref().unwrap_or(&n.title))
                )),
                Some(n) => match (&n.page, &n.url) {
                    (Some(p), _) => go_to_page(app, key, p.clone(), None, false),
                    (None, Some(url)) => app.effects.push(Effect::OpenUrl(url.clone())),
                    _ => app.say(format!("{} is a section", one_line(&n.title))),
                },
                None => {}
            }
        }
        (Overlay::Pages(_), Action::Outline) => {
            pane.overlay = Some(Overlay::Outline(0));
            app.docs.insert(key.to_string(), pane);
        }
        (Overlay::Outline(_), Action::DocsPages) => {
            pane.overlay = Some(Overlay::Pages(0));
            app.docs.insert(key.to_string(), pane);
        }
        _ => {
            app.docs.insert(key.to_string(), pane);
        }
    }
}

/// Show `page` (remembering where we were unless going back).
fn go_to_page(app: &mut App, key: &str, page: String, anchor: Option<String>, back: bool) {
    let Some(pane) = app.docs.get_mut(key) else {
        return;
    };
    let current = pane.doc.as_ref().map(|d| d.page.clone());
    if !back {
        if let Some(cur) = &current {
            if *cur != page {
                pane.history.push((cur.clone(), pane.cursor));
            }
        }
    }
    pane.anchor = anchor;
    if current.as_deref() == Some(page.as_str()) && !pane.loading {
        jump_to_anchor(app, key);
        return;
    }
    request(app, key, Some(page));
}

fn follow(app: &mut App, key: &str, doc: &DocsDoc, href: &str) {
    match resolve_link(&doc.site, &doc.page, href) {
        LinkTarget::Page { path, anchor } => go_to_page(app, key, path, anchor, false),
        LinkTarget::Anchor(a) => {
            if let Some(p) = app.docs.get_mut(key) {
                p.anchor = Some(a);
            }
            jump_to_anchor(app, key);
        }
        LinkTarget::External(url) => app.effects.push(Effect::OpenUrl(url)),
        LinkTarget::Refused(why) => app.fail(format!("not followed: {}", one_line(&why))),
    }
}

/// Move to the next (or previous) line matching the search; `from_next`
/// starts past the cursor line.
fn find(app: &mut App, key: &str, forward: bool, from_next: bool) {
    let height = match app.docs.get(key) {
        Some(p) => page_height(app, p),
        None => return,
    };
    let Some(pane) = app.docs.get_mut(key) else {
        return;
    };
    let Some(doc) = &pane.doc else { return };
    if pane.query.is_empty() {
        app.say("/ searches this page");
        return;
    }
    let matches = doc.rendered.find(&pane.query);
    if matches.is_empty() {
        let q = one_line(&pane.query).into_owned();
        app.fail(format!("'{q}' is not on this page"));
        return;
    }
    let cur = pane.cursor;
    let (target, wrapped) = if forward {
        let start = if from_next { cur + 1 } else { cur };
        match matches.iter().find(|&&m| m >= start) {
            Some(&m) => (m, false),
            None => (matches[0], true),
        }
    } else {
        match matches.iter().rev().find(|&&m| m < cur) {
            Some(&m) => (m, false),
            None => (*matches.last().expect("not empty"), true),
        }
    };
    pane.cursor = target;
    pane.offset = clamp_offset(pane.offset, target, height);
    let n = matches.iter().position(|&m| m == target).unwrap_or(0) + 1;
    let total = matches.len();
    app.say(format!(
        "match {n}/{total}{}",
        if wrapped { " (wrapped)" } else { "" }
    ));
}

// ----------------------------------------------------------------------
// Drawing
// ----------------------------------------------------------------------

pub fn draw(frame: &mut Frame, app: &App, view: &EntityView) {
    let t = &app.theme;
    let a = areas(app);
    let pane = app.docs.get(&view.key);
    let put = |frame: &mut Frame, area: Rect, spans: Vec<Span<'static>>| {
        if area.width > 0 && area.height > 0 {
            frame.render_widget(
                Paragraph::new(Line::from(fit_spans(spans, area.width as usize))),
                area,
            );
        }
    };
    let Some(pane) = pane else {
        put(
            frame,
            a.header,
            vec![Span::styled(" Loading docs…".to_string(), t.dim)],
        );
        return;
    };
    let Some(doc) = &pane.doc else {
        match &pane.error {
            Some(e) => {
                let body = layout::entity(app.area()).body;
                let mut lines: Vec<Line> = text::wrap(
                    &one_line(e),
                    (body.width as usize).saturating_sub(2).max(10),
                )
                .into_iter()
                .map(|l| Line::from(Span::styled(format!(" {l}"), t.error)))
                .collect();
                lines.push(Line::default());
                let back = app.keymap.hint(&Action::Back);
                let over = app.keymap.hint(&Action::Pane(0));
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
            put(frame, row, nav_row(app, n, i == current));
        }
        for y in 0..nav.height {
            let row = Rect::new(nav.x + nav.width, nav.y + y, 1, 1);
            frame.render_widget(Paragraph::new(Span::styled("│", t.border)), row);
        }
    }

    // The page, the cursor line in reverse video.
    let height = page_height(app, pane);
    let offset = clamp_offset(pane.offset, pane.cursor, height);
    for (i, line) in lines.iter().skip(offset).take(height).enumerate() {
        let row = Rect::new(a.page.x, a.page.y + i as u16, a.page.width, 1);
        frame.render_widget(Paragraph::new(line.clone()), row);
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
        draw_overlay(frame, app, doc, overlay, a.page);
    }
}

fn nav_row(app: &App, n: &callboard_core::docs::NavEntry, current: bool) -> Vec<Span<'static>> {
    let t = &app.theme;
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

fn draw_overlay(frame: &mut Frame, app: &App, doc: &DocsDoc, overlay: Overlay, over: Rect) {
    let t = &app.theme;
    let (title, rows, cursor): (&str, Vec<Vec<Span<'static>>>, usize) = match overlay {
        Overlay::Pages(c) => (
            " Pages — Enter opens ",
            doc.site
                .nav
                .iter()
                .map(|n| nav_row(app, n, n.page.as_deref() == Some(doc.page.as_str())))
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
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(title.to_string(), t.title));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
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
