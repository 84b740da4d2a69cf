//! The Docs pane: an entity's TechDocs in the entity screen. A header
//! (site › page), the nav tree on the left when the screen is wide enough,
//! the page with a line cursor, and pop-ups for the pages (`p`) and the
//! page's outline (`O`). `/` searches the page, `n`/`N` step through the
//! matches, Enter follows the link on the cursor line (pages of the same
//! docs open here; web links open in the browser), `H`/`L` go back and
//! forward over followed links, Esc leaves the pane.
//!
//! Pages are loaded and rendered by the docs worker; this screen keeps the
//! state of one entity's pane and draws it. Its page requests are
//! [`Cmd::DocsPage`]s, which the app sends for the pane's entity.

mod cut;
mod draw;

use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Cmd, Cx, Hint, Keys, Outcome, Screen};
use crate::keymap::{Action, Keymap, Scope};
use crate::layout;
use crate::messages::{DocsDoc, DocsReply};
use crate::model::Effect;
use crate::theme::Palette;
use crate::widgets::list::clamp_offset;
use crate::widgets::LineEdit;
use callboard_core::catalog::entity_ref;
use callboard_core::docs::runbook::DocsRunbook;
use callboard_core::docs::{resolve_link, LinkTarget};
use callboard_core::text::one_line;

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
    /// The colours asked for (the theme's docs palette).
    pub palette: Palette,
    pub cursor: usize,
    pub offset: usize,
    /// Columns the code blocks are scrolled sideways (`h`/`l`): they are
    /// cut at the pane's edge, never wrapped.
    pub hscroll: usize,
    /// A heading to jump to once the page is there.
    pub anchor: Option<String>,
    /// Pages left by following links or picking a page: (page, cursor).
    /// `[`/`]` moves are not kept; Esc leaves the pane whatever is here.
    pub history: Vec<(String, usize)>,
    /// Pages gone back from with the history key, for going forward.
    pub forward: Vec<(String, usize)>,
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

/// Where the parts of the pane go in the entity screen's `body`.
pub fn areas(body: Rect) -> DocsAreas {
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

/// The pane's areas on a terminal of `area`.
fn areas_in(area: Rect) -> DocsAreas {
    areas(layout::entity(area).body)
}

fn palette(cx: &Cx) -> Palette {
    cx.theme.palette
}

impl DocsPane {
    fn page_height(&self, page: Rect) -> usize {
        let h = page.height as usize;
        if self.search.is_some() {
            h.saturating_sub(1).max(1)
        } else {
            h.max(1)
        }
    }

    /// Ask for `page` (None: home) at the pane's width.
    fn ask(&mut self, page: Option<String>, cx: &mut Cx) {
        let width = areas_in(cx.area).page.width;
        let palette = palette(cx);
        self.loading = true;
        self.asked = page.clone();
        self.width = width;
        self.palette = palette;
        cx.out.push(Cmd::DocsPage {
            page,
            width,
            palette,
        });
    }

    /// The pane came into view (or the screen changed size): load the
    /// docs, or render them again for the new width.
    pub fn show(&mut self, cx: &mut Cx) {
        let width = areas_in(cx.area).page.width;
        let palette = palette(cx);
        // Not while a request at this width and in these colours is out,
        // nor again after one failed at it.
        let waiting = self.loading || (self.error.is_some() && self.doc.is_none());
        let again = if waiting && self.width == width && self.palette == palette {
            None
        } else {
            match &self.doc {
                Some(d) if d.rendered.width != width.max(20) || d.rendered.palette != palette => {
                    Some(Some(d.page.clone()))
                }
                None if !self.loading => Some(self.asked.clone()),
                _ => None,
            }
        };
        if let Some(page) = again {
            self.ask(page, cx);
        }
    }

    /// A page from the docs worker.
    pub fn receive(&mut self, reply: DocsReply, cx: &mut Cx) {
        let stale_colours = reply
            .result
            .as_ref()
            .is_ok_and(|d| d.rendered.palette != self.palette);
        if reply.width != self.width || reply.asked != self.asked || stale_colours {
            return; // superseded by a newer request
        }
        match reply.result {
            Ok(doc) => {
                let new_page = self.doc.as_ref().is_none_or(|d| d.page != doc.page);
                if new_page {
                    self.cursor = self.restore.take().unwrap_or(0);
                    self.offset = self.cursor.saturating_sub(3);
                    self.hscroll = 0;
                    self.query.clear();
                }
                self.loading = !doc.rendered.complete;
                self.error = None;
                let notes: Vec<String> = doc
                    .site
                    .offline
                    .iter()
                    .chain(doc.notes.iter())
                    .cloned()
                    .collect();
                self.doc = Some(doc);
                let jumped = self.jump_to_anchor(cx);
                if new_page && !jumped {
                    if let Some(n) = notes.first() {
                        cx.say(n.clone());
                    }
                }
            }
            Err(e) => {
                self.loading = false;
                if self.doc.is_some() {
                    // A followed link failed: stay on the page.
                    self.asked = self.doc.as_ref().map(|d| d.page.clone());
                    self.anchor = None;
                    cx.fail(e.message);
                } else {
                    self.error = Some(e.message);
                }
            }
        }
    }

    /// Jump to the pending heading if the page has it; true when it did.
    fn jump_to_anchor(&mut self, cx: &mut Cx) -> bool {
        let Some(anchor) = self.anchor.clone() else {
            return false;
        };
        let Some(doc) = &self.doc else { return false };
        match doc.rendered.heading(&anchor) {
            Some(h) => {
                let title = h.title.clone();
                self.cursor = h.line;
                self.offset = h.line;
                self.anchor = None;
                cx.say(format!("§ {}", one_line(&title)));
                true
            }
            None if doc.rendered.complete => {
                self.anchor = None;
                cx.fail(format!("no heading #{} on this page", one_line(&anchor)));
                false
            }
            None => false,
        }
    }

    /// `r`: show the docs runbook (a page, or a heading in one).
    pub fn open_runbook(&mut self, runbook: &DocsRunbook, cx: &mut Cx) {
        self.anchor = runbook.anchor.clone();
        self.overlay = None;
        let here = self.doc.as_ref().is_some_and(|d| d.page == runbook.page);
        if here && !self.loading {
            if !self.jump_to_anchor(cx) {
                self.cursor = 0;
                self.offset = 0;
            }
        } else {
            self.ask(Some(runbook.page.clone()), cx);
        }
        cx.say(format!(
            "runbook: {} in the docs of {}",
            one_line(&runbook.title),
            entity_ref::short_ref(&runbook.docs_of)
        ));
    }

    fn overlay_action(&mut self, overlay: Overlay, action: Action, cx: &mut Cx) {
        let Some(doc) = self.doc.clone() else {
            self.overlay = None;
            return;
        };
        let (cursor, len) = match overlay {
            Overlay::Pages(c) => (c, doc.site.nav.len()),
            Overlay::Outline(c) => (c, doc.rendered.headings.len()),
        };
        let page = (areas_in(cx.area).page.height as isize - 2).max(1);
        let moved = |delta: isize| {
            (cursor as isize + delta).clamp(0, len.saturating_sub(1) as isize) as usize
        };
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
            self.overlay = Some(match overlay {
                Overlay::Pages(_) => Overlay::Pages(c),
                Overlay::Outline(_) => Overlay::Outline(c),
            });
            return;
        }
        self.overlay = None;
        match (overlay, action) {
            (Overlay::Outline(c), Action::Open) => {
                if let Some(h) = doc.rendered.headings.get(c) {
                    self.cursor = h.line;
                    self.offset = h.line;
                }
            }
            (Overlay::Pages(c), Action::Open) => match doc.site.nav.get(c) {
                Some(n) if n.missing => cx.fail(format!(
                    "{} is in the nav but not in the docs folder",
                    one_line(n.page.as_deref().unwrap_or(&n.title))
                )),
                Some(n) => match (&n.page, &n.url) {
                    (Some(p), _) => self.go_to_page(p.clone(), None, true, cx),
                    (None, Some(url)) => cx.open_url(url.clone()),
                    _ => cx.say(format!("{} is a section", one_line(&n.title))),
                },
                None => {}
            },
            (Overlay::Pages(_), Action::Outline) => self.overlay = Some(Overlay::Outline(0)),
            (Overlay::Outline(_), Action::DocsPages) => self.overlay = Some(Overlay::Pages(0)),
            _ => {}
        }
    }

    /// Show `page`, remembering where we were when `remember` (a link
    /// followed, a page picked: not `[`/`]`, nor going back).
    fn go_to_page(&mut self, page: String, anchor: Option<String>, remember: bool, cx: &mut Cx) {
        let current = self.doc.as_ref().map(|d| d.page.clone());
        if remember {
            if let Some(cur) = &current {
                if *cur != page {
                    self.history.push((cur.clone(), self.cursor));
                    self.forward.clear();
                }
            }
        }
        self.anchor = anchor;
        if current.as_deref() == Some(page.as_str()) && !self.loading {
            self.jump_to_anchor(cx);
            return;
        }
        self.ask(Some(page), cx);
    }

    fn follow(&mut self, doc: &DocsDoc, href: &str, cx: &mut Cx) {
        match resolve_link(&doc.site, &doc.page, href) {
            LinkTarget::Page { path, anchor } => self.go_to_page(path, anchor, true, cx),
            LinkTarget::Anchor(a) => {
                self.anchor = Some(a);
                self.jump_to_anchor(cx);
            }
            LinkTarget::External(url) => cx.open_url(url),
            LinkTarget::Refused(why) => cx.fail(format!("not followed: {}", one_line(&why))),
        }
    }

    /// Move to the next (or previous) line matching the search; `from_next`
    /// starts past the cursor line.
    fn find(&mut self, forward: bool, from_next: bool, cx: &mut Cx) {
        let height = self.page_height(areas_in(cx.area).page);
        let Some(doc) = &self.doc else { return };
        if self.query.is_empty() {
            cx.say("/ searches this page");
            return;
        }
        let matches = doc.rendered.find(&self.query);
        if matches.is_empty() {
            let q = one_line(&self.query).into_owned();
            cx.fail(format!("'{q}' is not on this page"));
            return;
        }
        let cur = self.cursor;
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
        self.cursor = target;
        // The match line in the middle of the page (as far as the page goes).
        let last_top = doc.rendered.lines.len().saturating_sub(height);
        self.offset = target.saturating_sub(height / 2).min(last_top);
        let n = matches.iter().position(|&m| m == target).unwrap_or(0) + 1;
        let total = matches.len();
        cx.say(format!(
            "match {n}/{total}{}",
            if wrapped { " (wrapped)" } else { "" }
        ));
    }
}

impl Screen for DocsPane {
    type Output = Outcome;

    fn keys(&self) -> Keys {
        if self.search.is_some() {
            Keys::Typing(Scope::Docs)
        } else {
            Keys::Map(Scope::Docs)
        }
    }

    /// What the pane does not handle goes back to the entity screen.
    fn update(&mut self, action: Action, cx: &mut Cx) -> Outcome {
        // Typing a search.
        if let Some(mut line) = self.search.take() {
            match action {
                Action::Open => {
                    self.query = line.text.clone();
                    self.find(true, false, cx);
                }
                Action::Back => {}
                Action::Backspace if line.text.is_empty() => {}
                edit => {
                    line.edit(&edit);
                    self.search = Some(line);
                }
            }
            return Outcome::Consumed;
        }
        if let Some(overlay) = self.overlay {
            self.overlay_action(overlay, action, cx);
            return Outcome::Consumed;
        }
        let Some(doc) = self.doc.clone() else {
            // Nothing shown yet: only leaving works.
            return match action {
                Action::Back
                | Action::Pane(_)
                | Action::NextPane
                | Action::PrevPane
                | Action::Quit
                | Action::Runbook
                | Action::Help
                | Action::Command
                | Action::Sync => Outcome::Ignored(action),
                _ => Outcome::Consumed,
            };
        };
        let page_area = areas_in(cx.area).page;
        let lines = doc.rendered.lines.len();
        let height = self.page_height(page_area) as isize;
        let step = |pane: &mut DocsPane, delta: isize| {
            let next = (pane.cursor as isize + delta).clamp(0, lines.saturating_sub(1) as isize);
            pane.cursor = next as usize;
        };
        match action {
            Action::Down => step(self, 1),
            Action::Up => step(self, -1),
            Action::ScrollDown => {
                step(self, 3);
                self.offset = (self.offset + 3).min(lines.saturating_sub(height as usize));
            }
            Action::ScrollUp => {
                step(self, -3);
                self.offset = self.offset.saturating_sub(3);
            }
            // Half a page: the view and the cursor move together.
            Action::HalfPageDown => {
                step(self, height / 2);
                self.offset =
                    (self.offset + height as usize / 2).min(lines.saturating_sub(height as usize));
            }
            Action::HalfPageUp => {
                step(self, -height / 2);
                self.offset = self.offset.saturating_sub(height as usize / 2);
            }
            Action::CodeLeft | Action::CodeRight => {
                let widest = doc
                    .rendered
                    .code
                    .iter()
                    .flat_map(|b| doc.rendered.lines[b.lines.clone()].iter())
                    .map(|l| l.width())
                    .max()
                    .unwrap_or(0);
                if widest <= page_area.width as usize {
                    cx.say("no code line is wider than the page");
                    return Outcome::Consumed;
                }
                let step = (page_area.width as usize / 4).max(4);
                // Far enough that the end of the widest line shows.
                let most = widest + 1 - page_area.width as usize;
                self.hscroll = if action == Action::CodeRight {
                    (self.hscroll + step).min(most)
                } else {
                    self.hscroll.saturating_sub(step)
                };
                return Outcome::Consumed;
            }
            Action::PageDown => {
                step(self, height);
                self.offset =
                    (self.offset + height as usize).min(lines.saturating_sub(height as usize));
            }
            Action::PageUp => {
                step(self, -height);
                self.offset = self.offset.saturating_sub(height as usize);
            }
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = lines.saturating_sub(1),
            Action::Search => self.search = Some(LineEdit::default()),
            Action::FindNext | Action::FindPrev => {
                self.find(action == Action::FindNext, true, cx);
                return Outcome::Consumed;
            }
            Action::Outline => {
                if doc.rendered.headings.is_empty() {
                    cx.say("this page has no headings");
                } else {
                    let at = doc
                        .rendered
                        .headings
                        .iter()
                        .rposition(|h| h.line <= self.cursor)
                        .unwrap_or(0);
                    self.overlay = Some(Overlay::Outline(at));
                }
            }
            Action::DocsPages => {
                let at = doc
                    .site
                    .nav
                    .iter()
                    .position(|n| n.page.as_deref() == Some(doc.page.as_str()))
                    .unwrap_or(0);
                self.overlay = Some(Overlay::Pages(at));
            }
            Action::PrevPage | Action::NextPage => {
                let pages = &doc.site.pages;
                // From the page asked for last: a second `]` pressed before
                // the first page arrived goes one further.
                let from = match &self.asked {
                    Some(asked) if self.loading => asked,
                    _ => &doc.page,
                };
                let i = pages.iter().position(|p| p == from).unwrap_or(0) as isize;
                let j = i + if action == Action::NextPage { 1 } else { -1 };
                if j < 0 || j as usize >= pages.len() {
                    cx.say(if j < 0 {
                        "the first page"
                    } else {
                        "the last page"
                    });
                } else {
                    self.go_to_page(pages[j as usize].clone(), None, false, cx);
                    return Outcome::Consumed;
                }
            }
            Action::Open | Action::OpenLink => {
                match doc.rendered.link_on(self.cursor).map(str::to_string) {
                    Some(href) => self.follow(&doc, &href, cx),
                    None => cx.say("no link on this line"),
                }
                return Outcome::Consumed;
            }
            Action::Copy => {
                if let Some(block) = doc.rendered.code_block_at(self.cursor) {
                    let text = doc.rendered.code_text(block);
                    let n = text.lines().count();
                    cx.effect(Effect::Copy {
                        text,
                        what: format!("code block ({n} line{})", if n == 1 { "" } else { "s" }),
                    });
                    return Outcome::Consumed;
                }
                let (what, value) = match doc.rendered.link_on(self.cursor) {
                    Some(l) => ("link", l.to_string()),
                    None => ("page", doc.page.clone()),
                };
                cx.effect(Effect::Copy {
                    text: one_line(&value).into_owned(),
                    what: what.to_string(),
                });
                return Outcome::Consumed;
            }
            Action::HistoryBack | Action::HistoryForward => {
                let back = action == Action::HistoryBack;
                let (from, to) = if back {
                    (&mut self.history, &mut self.forward)
                } else {
                    (&mut self.forward, &mut self.history)
                };
                let Some((page, cursor)) = from.pop() else {
                    cx.say(if back {
                        "no page to go back to (Esc leaves the docs)"
                    } else {
                        "no page to go forward to"
                    });
                    return Outcome::Consumed;
                };
                to.push((doc.page.clone(), self.cursor));
                self.go_to_page(page, None, false, cx);
                if self.loading {
                    self.restore = Some(cursor);
                } else {
                    self.cursor = cursor;
                    self.offset = cursor.saturating_sub(3);
                }
                return Outcome::Consumed;
            }
            Action::Click { column, row } => {
                if !page_area.contains((column, row).into()) {
                    return Outcome::Ignored(action);
                }
                let line = self.offset + (row - page_area.y) as usize;
                if line < lines {
                    let same = line == self.cursor;
                    self.cursor = line;
                    if same {
                        if let Some(href) = doc.rendered.link_on(line) {
                            self.follow(&doc, href, cx);
                        }
                        return Outcome::Consumed;
                    }
                }
            }
            other => return Outcome::Ignored(other),
        }
        self.offset = clamp_offset(self.offset, self.cursor, height as usize);
        Outcome::Consumed
    }

    /// Draw into the entity screen's body.
    fn draw(&self, frame: &mut Frame, body: Rect, cx: &Cx) {
        draw::draw(self, frame, body, cx);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<Hint> {
        let k = |a: Action| keymap.hint(&a);
        vec![
            (k(Action::Search), "search"),
            (k(Action::Outline), "outline"),
            (k(Action::DocsPages), "pages"),
            (k(Action::Open), "follow"),
            (k(Action::Back), "back"),
            (k(Action::Help), "help"),
        ]
    }
}
