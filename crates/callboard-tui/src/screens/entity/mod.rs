//! The entity screen: the entities opened, a back stack whose top is shown,
//! each with its own pane and cursor. The panes (Overview, Owner,
//! Relations, Dependencies, API) are lines built from the entity's details
//! ([`panes`]); each line may point at something (an entity, a link, an
//! email) that Enter, `y` and `o` act on. The Docs pane is a screen of its
//! own ([`crate::screens::docs`]) drawn in the body.

mod draw;
pub mod panes;

use std::collections::HashSet;
use std::ops::{Deref, DerefMut};

use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Cmd, Cx, Hint, Keys, Outcome, Screen};
use crate::keymap::{Action, Keymap, Scope};
use crate::layout;
use crate::messages::EntityDetail;
use crate::model::Loadable;
use crate::widgets::list::{clamp_offset, scroll_step};
use callboard_core::catalog::entity_ref;
use callboard_core::text;
use panes::{PaneLine, Target};

pub const PANES: [&str; 6] = [
    "Overview",
    "Owner",
    "Relations",
    "Dependencies",
    "API",
    "Docs",
];
pub const OVERVIEW: usize = 0;
pub const OWNER: usize = 1;
pub const RELATIONS: usize = 2;
pub const DEPENDENCIES: usize = 3;
pub const API: usize = 4;
pub const DOCS: usize = 5;

/// Whether `key` is a group or a user: their pages have no owner,
/// dependencies, API or docs, and pane 2 shows their people.
pub fn is_people(key: &str) -> bool {
    entity_ref::ref_kind_is(key, "group") || entity_ref::ref_kind_is(key, "user")
}

/// The panes an entity of `key`'s kind has (pane numbers, ascending).
pub fn panes_of(key: &str) -> &'static [usize] {
    if is_people(key) {
        &[OVERVIEW, OWNER, RELATIONS]
    } else {
        &[OVERVIEW, OWNER, RELATIONS, DEPENDENCIES, API, DOCS]
    }
}

/// The name of `pane` on `key`'s page: pane 2 is a group's Members and a
/// user's Groups.
pub fn pane_name(key: &str, pane: usize) -> &'static str {
    match pane {
        OWNER if entity_ref::ref_kind_is(key, "group") => "Members",
        OWNER if entity_ref::ref_kind_is(key, "user") => "Groups",
        _ => PANES[pane % PANES.len()],
    }
}

/// The tabs of `key`'s page: (pane number, name).
pub fn tabs_of(key: &str) -> Vec<(usize, &'static str)> {
    panes_of(key)
        .iter()
        .map(|&pane| (pane, pane_name(key, pane)))
        .collect()
}

/// Dependency levels shown expanded when a tree first appears.
pub const DEFAULT_EXPAND: usize = 2;

/// A dependency node: which tree (`true` = dependents) and the child
/// indices from the root.
pub type NodeId = (bool, Vec<usize>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Jump to the runbook once the details arrive.
    Runbook,
    /// Open the runbook (or first link) once the details arrive.
    OpenLink,
}

/// One entity on the back stack.
#[derive(Debug, Clone)]
pub struct EntityView {
    pub key: String,
    pub pane: usize,
    /// Line under the cursor per pane; None: the first line with a target.
    pub cursor: [Option<usize>; PANES.len()],
    pub offset: [usize; PANES.len()],
    /// Tree levels expanded by default; nodes in `toggled` are the other way.
    pub expand_level: usize,
    pub toggled: HashSet<NodeId>,
    pub pending: Option<Pending>,
}

impl EntityView {
    /// `key`'s page on `pane`, or on its Overview when it has no such pane.
    pub fn new(key: &str, pane: usize) -> EntityView {
        let pane = if panes_of(key).contains(&pane) {
            pane
        } else {
            OVERVIEW
        };
        EntityView {
            key: key.to_string(),
            pane,
            cursor: [None; PANES.len()],
            offset: [0; PANES.len()],
            expand_level: DEFAULT_EXPAND,
            toggled: HashSet::new(),
            pending: None,
        }
    }

    pub fn expanded(&self, id: &NodeId) -> bool {
        (id.1.len() < self.expand_level) != self.toggled.contains(id)
    }

    /// The cursor line of the current pane, given its lines.
    pub fn cursor_line(&self, lines: &[PaneLine]) -> usize {
        match self.cursor[self.pane] {
            Some(c) => c.min(lines.len().saturating_sub(1)),
            None => lines.iter().position(|l| l.target.is_some()).unwrap_or(0),
        }
    }
}

/// The entity screen's state: the entities opened, the top one shown;
/// empty: the catalog is shown.
#[derive(Debug, Clone, Default)]
pub struct EntityStack(Vec<EntityView>);

impl Deref for EntityStack {
    type Target = Vec<EntityView>;

    fn deref(&self) -> &Vec<EntityView> {
        &self.0
    }
}

impl DerefMut for EntityStack {
    fn deref_mut(&mut self) -> &mut Vec<EntityView> {
        &mut self.0
    }
}

impl EntityStack {
    /// The entity shown.
    pub fn top(&self) -> Option<&EntityView> {
        self.0.last()
    }

    /// The Docs pane is shown (of this entity).
    pub fn docs_shown(&self) -> Option<&str> {
        self.top()
            .filter(|v| v.pane == DOCS)
            .map(|v| v.key.as_str())
    }

    /// The lines of the top entity's current pane at the current width.
    pub fn lines(&self, cx: &Cx) -> Vec<PaneLine> {
        match self.top() {
            Some(view) => panes::lines(cx, view, layout::entity(cx.area).body.width as usize),
            None => Vec::new(),
        }
    }

    pub fn scroll_into_view(&mut self, cx: &Cx) {
        let Some(view) = self.top() else { return };
        let lines = self.lines(cx);
        let height = layout::entity(cx.area).body.height.max(1) as usize;
        let cursor = view.cursor_line(&lines);
        if let Some(view) = self.0.last_mut() {
            let pane = view.pane;
            view.offset[pane] = clamp_offset(view.offset[pane], cursor, height);
        }
    }

    fn move_pane(&mut self, delta: isize, cx: &Cx) {
        let lines = self.lines(cx);
        let Some(view) = self.0.last_mut() else {
            return;
        };
        if lines.is_empty() {
            return;
        }
        let current = view.cursor_line(&lines);
        let page = layout::entity(cx.area).body.height.max(1) as usize;
        let next = landing(&lines, current, delta, page);
        view.cursor[view.pane] = Some(next);
        if delta >= isize::MAX / 4 {
            // Bottom: the end of the pane is in view, even when the cursor
            // stops on the last line above it that can be acted on.
            view.offset[view.pane] = lines.len().saturating_sub(page);
        }
        self.scroll_into_view(cx);
    }

    fn target_at_cursor(&self, cx: &Cx) -> Option<Target> {
        let view = self.top()?;
        let lines = self.lines(cx);
        lines
            .get(view.cursor_line(&lines))
            .and_then(|l| l.target.clone())
    }

    fn switch_pane(&mut self, pane: usize, cx: &mut Cx) {
        let pane = pane % PANES.len();
        if let Some(view) = self.0.last_mut() {
            if !panes_of(&view.key).contains(&pane) {
                let kind = entity_ref::ref_kind(&view.key).unwrap_or("entity");
                cx.say(format!("a {kind} has no {} pane", PANES[pane]));
                return;
            }
            view.pane = pane;
        }
        self.scroll_into_view(cx);
        cx.out.push(Cmd::ShowDocs);
    }

    fn open_target(&mut self, cx: &mut Cx) {
        match self.target_at_cursor(cx) {
            Some(Target::Entity { key, dangling }) | Some(Target::Node { key, dangling, .. }) => {
                if dangling {
                    cx.fail(format!(
                        "{} is not in the catalog (a dangling reference)",
                        text::one_line(&key)
                    ));
                } else if self.top().is_some_and(|v| v.key == key) {
                    cx.say("already here");
                } else {
                    open_entity(key, cx);
                }
            }
            Some(Target::Person { key, .. }) => open_entity(key, cx),
            Some(Target::Link { url, .. }) => cx.open_url(url),
            Some(Target::Email(email)) => cx.copy(&email, "email"),
            Some(Target::Value(v)) => cx.copy(&v, "value"),
            None => cx.say("nothing to open on this line"),
        }
    }

    fn copy_target(&mut self, cx: &mut Cx) {
        match self.target_at_cursor(cx) {
            Some(Target::Entity { key, .. }) | Some(Target::Node { key, .. }) => {
                cx.copy(&key, "ref")
            }
            Some(Target::Person {
                email: Some(email), ..
            })
            | Some(Target::Email(email)) => cx.copy(&email, "email"),
            Some(Target::Person { key, email: None }) => cx.copy(&key, "ref"),
            Some(Target::Link { url, .. }) => cx.copy(&url, "URL"),
            Some(Target::Value(v)) => cx.copy(&v, "value"),
            None => {
                if let Some(key) = self.top().map(|v| v.key.clone()) {
                    cx.copy(&key, "ref");
                }
            }
        }
    }

    fn toggle_node(&mut self, action: &Action, cx: &Cx) {
        let Some(Target::Node {
            id, has_children, ..
        }) = self.target_at_cursor(cx)
        else {
            return;
        };
        let Some(view) = self.0.last_mut() else {
            return;
        };
        if !has_children {
            return;
        }
        let expanded = view.expanded(&id);
        let flip = match action {
            Action::Expand => !expanded,
            Action::Collapse => expanded,
            _ => true,
        };
        if flip && !view.toggled.remove(&id) {
            view.toggled.insert(id);
        }
    }

    /// Carry out what waited for the top entity's details.
    pub fn apply_pending(&mut self, cx: &mut Cx) {
        let Some(view) = self.top() else { return };
        let Some(pending) = view.pending else { return };
        let detail = match cx.details.get(&view.key) {
            Some(Loadable::Ready(d)) => d.clone(),
            Some(Loadable::Failed(_)) => {
                if let Some(v) = self.0.last_mut() {
                    v.pending = None;
                }
                return;
            }
            _ => return,
        };
        if let Some(v) = self.0.last_mut() {
            v.pending = None;
        }
        match pending {
            Pending::OpenLink => open_best_link(&detail, cx),
            Pending::Runbook => self.jump_to_runbook(&detail, cx),
        }
    }

    fn jump_to_runbook(&mut self, detail: &EntityDetail, cx: &mut Cx) {
        for pane in [OVERVIEW, OWNER] {
            // The entity's own runbook link, then its docs, then the owner's.
            if pane == OWNER {
                if let Some(runbook) = &detail.report.docs_runbook {
                    cx.out.push(Cmd::DocsRunbook(runbook.clone()));
                    return;
                }
            }
            let line = {
                let Some(view) = self.top() else { return };
                let mut probe = view.clone();
                probe.pane = pane;
                let width = layout::entity(cx.area).body.width as usize;
                panes::lines(cx, &probe, width)
                    .iter()
                    .position(|l| matches!(l.target, Some(Target::Link { runbook: true, .. })))
            };
            if let Some(line) = line {
                let url = if pane == OVERVIEW {
                    detail
                        .report
                        .links
                        .iter()
                        .find(|l| l.runbook)
                        .map(|l| l.url.clone())
                } else {
                    detail
                        .owner_links
                        .iter()
                        .find(|l| l.runbook)
                        .map(|l| l.url.clone())
                };
                if let Some(view) = self.0.last_mut() {
                    view.pane = pane;
                    view.cursor[pane] = Some(line);
                }
                self.scroll_into_view(cx);
                let whose = if pane == OVERVIEW { "" } else { "the owner's " };
                let open = cx.keymap.hint(&Action::OpenLink);
                let copy = cx.keymap.hint(&Action::Copy);
                cx.say(format!(
                    "{whose}runbook: {} — {open} opens, {copy} copies",
                    text::one_line(&url.unwrap_or_default())
                ));
                return;
            }
        }
        let owner = detail
            .report
            .owner
            .as_ref()
            .map(|o| format!(" or its owner {}", entity_ref::short_ref(&o.owner_ref)))
            .unwrap_or_default();
        cx.say(format!(
            "no runbook link on {}{owner}",
            text::one_line(&detail.report.name)
        ));
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut Cx) {
        let l = layout::entity(cx.area);
        if l.tabs.contains((column, row).into()) {
            let tabs = self.top().map(|v| tabs_of(&v.key)).unwrap_or_default();
            if let Some(pane) = layout::tab_at_of(column - l.tabs.x, l.tabs.width, &tabs) {
                self.switch_pane(pane, cx);
            }
        } else if l.header.contains((column, row).into()) {
            // A click on a breadcrumb goes back to it.
            if let Some(depth) = layout::crumb_at(self, cx.area.width, column) {
                self.truncate(depth);
            }
        } else if l.body.contains((column, row).into()) {
            let lines = self.lines(cx);
            let Some(view) = self.0.last_mut() else {
                return;
            };
            let offset = view.offset[view.pane];
            let index = offset + (row - l.body.y) as usize;
            if index < lines.len() {
                if view.cursor[view.pane] == Some(index) {
                    self.open_target(cx);
                } else {
                    view.cursor[view.pane] = Some(index);
                }
            }
        }
    }
}

/// Where a move of `delta` lines from `current` lands: on a line that can
/// be acted on (a ref, a link, an email…), skipping the ones between,
/// when there is one within a page in that direction (Top and Bottom: the
/// first and last such lines); else where asked, so text with nothing to
/// act on still scrolls.
fn landing(lines: &[PaneLine], current: usize, delta: isize, page: usize) -> usize {
    let last = lines.len().saturating_sub(1);
    let raw = (current as isize + delta).clamp(0, last as isize) as usize;
    let acts = |i: usize| lines[i].target.is_some();
    if acts(raw) || raw == current {
        return raw;
    }
    let down = delta > 0;
    let ahead = if down {
        (raw..=last.min(raw + page)).find(|&i| acts(i))
    } else {
        (raw.saturating_sub(page)..=raw).rev().find(|&i| acts(i))
    };
    if let Some(i) = ahead {
        return i;
    }
    // A long move (a page, Top, Bottom) past the last such line: the
    // nearest one back towards where it started, within a page (further
    // back, the text at the end is what the move is for).
    if delta.unsigned_abs() > 1 {
        let back = if down {
            (current + 1..raw).rev().take(page).find(|&i| acts(i))
        } else {
            (raw + 1..current).take(page).find(|&i| acts(i))
        };
        if let Some(i) = back {
            return i;
        }
    }
    raw
}

fn open_entity(key: String, cx: &mut Cx) {
    cx.out.push(Cmd::OpenEntity {
        key,
        pane: OVERVIEW,
        pending: None,
    });
}

/// Open the runbook, else the first link, of an entity (or its owner's).
pub fn open_best_link(detail: &EntityDetail, cx: &mut Cx) {
    let link = detail
        .report
        .links
        .iter()
        .find(|l| l.runbook)
        .or_else(|| detail.owner_links.iter().find(|l| l.runbook))
        .or_else(|| detail.report.links.first());
    match link {
        Some(l) => cx.open_url(l.url.clone()),
        None => cx.say(format!(
            "{} has no links",
            text::one_line(&detail.report.name)
        )),
    }
}

impl Screen for EntityStack {
    type Output = Outcome;

    fn keys(&self) -> Keys {
        Keys::Map(Scope::Entity)
    }

    fn update(&mut self, action: Action, cx: &mut Cx) -> Outcome {
        let page = layout::entity(cx.area).body.height.max(1) as isize;
        if let Some(step) = scroll_step(&action, page) {
            self.move_pane(step, cx);
            return Outcome::Consumed;
        }
        match action {
            Action::Click { column, row } => self.click(column, row, cx),
            Action::Back => {
                self.pop();
                if self.is_empty() {
                    cx.out.push(Cmd::ShowCatalog);
                }
            }
            Action::NextPane | Action::PrevPane => {
                let Some(view) = self.top() else {
                    return Outcome::Consumed;
                };
                let panes = panes_of(&view.key);
                let at = panes.iter().position(|&p| p == view.pane).unwrap_or(0);
                let step = if action == Action::NextPane {
                    1
                } else {
                    panes.len() - 1
                };
                self.switch_pane(panes[(at + step) % panes.len()], cx);
            }
            Action::Pane(n) => self.switch_pane(n, cx),
            Action::Open => self.open_target(cx),
            Action::Copy => self.copy_target(cx),
            Action::OpenLink => match self.target_at_cursor(cx) {
                Some(Target::Link { url, .. }) => cx.open_url(url),
                // An email line writes to the person: never the runbook.
                Some(Target::Email(email))
                | Some(Target::Person {
                    email: Some(email), ..
                }) => cx.open_url(format!("mailto:{email}")),
                Some(Target::Person { key, email: None }) => cx.say(format!(
                    "{} has no email to open",
                    entity_ref::short_ref(&key)
                )),
                _ => {
                    let key = self.top().map(|v| v.key.clone()).unwrap_or_default();
                    match cx.details.get(&key).and_then(Loadable::ready).cloned() {
                        Some(detail) => open_best_link(&detail, cx),
                        None => cx.say("still loading"),
                    }
                }
            },
            Action::Runbook => {
                if let Some(view) = self.0.last_mut() {
                    view.pending = Some(Pending::Runbook);
                }
                self.apply_pending(cx);
            }
            Action::Toggle | Action::Expand | Action::Collapse => self.toggle_node(&action, cx),
            Action::ExpandAll => {
                if let Some(view) = self.0.last_mut() {
                    view.expand_level = if view.expand_level == usize::MAX {
                        DEFAULT_EXPAND
                    } else {
                        usize::MAX
                    };
                    view.toggled.clear();
                    if view.pane != DEPENDENCIES && panes_of(&view.key).contains(&DEPENDENCIES) {
                        view.pane = DEPENDENCIES;
                    }
                }
                self.scroll_into_view(cx);
            }
            other => return Outcome::Ignored(other),
        }
        Outcome::Consumed
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &Cx) {
        draw::draw(self, frame, area, cx);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<Hint> {
        let k = |a: Action| keymap.hint(&a);
        vec![
            (k(Action::NextPane), "panes"),
            (k(Action::Back), "back"),
            (k(Action::Copy), "copy"),
            (k(Action::Runbook), "runbook"),
            (k(Action::Help), "help"),
        ]
    }
}
