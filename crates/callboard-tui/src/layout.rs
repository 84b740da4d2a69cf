//! Where things go on screen: pure functions of the terminal size, shared
//! by drawing and by the update code (scrolling, mouse clicks).

use ratatui::layout::Rect;

use crate::screens::entity::{EntityView, PANES};
use callboard_core::catalog::entity_ref;
use callboard_core::text;

/// Below this width the preview pane folds away and a two-line summary of
/// the selection sits under the list instead.
pub const PREVIEW_MIN_WIDTH: u16 = 100;
/// Below this the screen only says it is too small.
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogAreas {
    pub header: Rect,
    pub query: Rect,
    pub chips: Option<Rect>,
    pub list: Rect,
    pub preview: Option<Rect>,
    pub summary: Option<Rect>,
    pub status: Rect,
}

/// The bottom row: the status bar (or the command line).
pub fn status_row(area: Rect) -> Rect {
    row(area, area.height.saturating_sub(1))
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

fn row(area: Rect, y: u16) -> Rect {
    Rect::new(
        area.x,
        area.y + y.min(area.height.saturating_sub(1)),
        area.width,
        1.min(area.height),
    )
}

pub fn catalog(area: Rect, chips: bool) -> CatalogAreas {
    let h = area.height;
    let header = row(area, 0);
    let query = row(area, 1);
    let chips_area = chips.then(|| row(area, 2));
    let top = if chips { 3 } else { 2 };
    let status = row(area, h.saturating_sub(1));
    let wide = area.width >= PREVIEW_MIN_WIDTH && h >= 12;
    let summary_h = if wide || h < 12 { 0 } else { 2 };
    let body_h = h.saturating_sub(top + 1 + summary_h);
    let body = Rect::new(area.x, area.y + top.min(h), area.width, body_h);
    let (list, preview) = if wide {
        let list_w = if area.width >= 140 {
            area.width * 55 / 100
        } else {
            area.width / 2
        };
        (
            Rect::new(body.x, body.y, list_w, body.height),
            Some(Rect::new(
                body.x + list_w,
                body.y,
                area.width - list_w,
                body.height,
            )),
        )
    } else {
        (body, None)
    };
    let summary =
        (summary_h > 0).then(|| Rect::new(area.x, body.y + body.height, area.width, summary_h));
    CatalogAreas {
        header,
        query,
        chips: chips_area,
        list,
        preview,
        summary,
        status,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityAreas {
    pub header: Rect,
    pub title: Rect,
    pub tabs: Rect,
    pub body: Rect,
    pub status: Rect,
}

pub fn entity(area: Rect) -> EntityAreas {
    let h = area.height;
    EntityAreas {
        header: row(area, 0),
        title: row(area, 1),
        tabs: row(area, 2),
        body: Rect::new(area.x, area.y + 3.min(h), area.width, h.saturating_sub(4)),
        status: row(area, h.saturating_sub(1)),
    }
}

/// Tab labels for a width: full names, or short ones when narrow.
pub fn tab_labels(width: u16) -> Vec<String> {
    let all: Vec<(usize, &str)> = PANES.iter().copied().enumerate().collect();
    tab_labels_of(width, &all)
}

/// Tab labels of some panes (number, name), for a width.
pub fn tab_labels_of(width: u16, panes: &[(usize, &str)]) -> Vec<String> {
    let short = width < 64;
    panes
        .iter()
        .map(|&(i, name)| {
            let name = match (name, short) {
                ("Dependencies", true) => "Deps",
                ("Relations", true) => "Rels",
                ("Overview", true) => "Info",
                (n, _) => n,
            };
            format!(" {} {name} ", i + 1)
        })
        .collect()
}

/// Which pane's tab is at column `x` (relative to the tab row).
pub fn tab_at(x: u16) -> Option<usize> {
    tab_at_width(x, u16::MAX)
}

pub fn tab_at_width(x: u16, width: u16) -> Option<usize> {
    let all: Vec<(usize, &str)> = PANES.iter().copied().enumerate().collect();
    tab_at_of(x, width, &all)
}

/// Which of `panes`' tabs is at column `x`: its pane number.
pub fn tab_at_of(x: u16, width: u16, panes: &[(usize, &str)]) -> Option<usize> {
    let mut start = 0u16;
    for (&(pane, _), label) in panes.iter().zip(tab_labels_of(width, panes)) {
        let end = start + text::width(&label) as u16;
        if x >= start && x < end {
            return Some(pane);
        }
        start = end + 1; // separator
    }
    None
}

/// The breadcrumbs: `Catalog`, then the name of each entity on the stack.
pub fn crumbs(stack: &[EntityView]) -> Vec<String> {
    let mut out = vec!["Catalog".to_string()];
    for view in stack {
        out.push(text::one_line(entity_ref::ref_name(&view.key)).into_owned());
    }
    out
}

pub const BRAND: &str = " callboard ";
pub const CRUMB_SEP: &str = " › ";

/// Which stack depth a click on the header at `column` goes back to
/// (0 = the catalog), when the crumbs are drawn in full on a screen `width`
/// columns wide.
pub fn crumb_at(stack: &[EntityView], width: u16, column: u16) -> Option<usize> {
    let crumbs = crumbs(stack);
    let mut x = text::width(BRAND) + 1;
    let total: usize = x + crumbs
        .iter()
        .map(|c| text::width(c) + CRUMB_SEP.len())
        .sum::<usize>();
    if total > width as usize {
        return None;
    }
    for (depth, c) in crumbs.iter().enumerate() {
        let w = text::width(c);
        if (column as usize) >= x && (column as usize) < x + w {
            return (depth + 1 < crumbs.len()).then_some(depth);
        }
        x += w + text::width(CRUMB_SEP);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_folds_below_100_columns() {
        let narrow = catalog(Rect::new(0, 0, 80, 24), false);
        assert!(narrow.preview.is_none());
        assert_eq!(narrow.summary.unwrap().height, 2);
        assert_eq!(narrow.list.height, 19);
        let wide = catalog(Rect::new(0, 0, 120, 40), true);
        assert!(wide.preview.is_some() && wide.summary.is_none());
        assert_eq!(wide.list.y, 3);
        assert_eq!(wide.list.width + wide.preview.unwrap().width, 120);
    }

    #[test]
    fn tabs_are_found_by_column() {
        assert_eq!(tab_at(0), Some(0));
        assert_eq!(tab_at(13), Some(1));
        let labels = tab_labels(200);
        let start_api: usize = labels[..4].iter().map(|l| l.len() + 1).sum();
        assert_eq!(tab_at(start_api as u16), Some(4));
        assert_eq!(tab_at(500), None);
    }
}
