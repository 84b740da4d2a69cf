//! Drawing the entity screen: the header with the breadcrumbs, the title
//! row, the tabs with the scroll position, and the pane with its cursor
//! line in reverse video. (The Docs pane draws its own body.)

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{panes, EntityStack, EntityView, DOCS};
use crate::layout;
use crate::model::{Loadable, Mode};
use crate::screens::Cx;
use crate::theme::Theme;
use crate::widgets::header;
use crate::widgets::list::clamp_offset;
use crate::widgets::spans::put;
use callboard_core::text::{self, one_line};

pub(super) fn draw(stack: &EntityStack, frame: &mut Frame, area: Rect, cx: &Cx) {
    let t = cx.theme;
    let l = layout::entity(area);
    header::draw(frame, l.header, &layout::crumbs(stack), cx.keymap, t);
    let Some(view) = stack.top() else {
        return;
    };
    let detail = cx.details.get(&view.key).and_then(Loadable::ready);

    // Title row: the display name and the ref.
    let mut title = vec![Span::raw(" ")];
    match detail {
        Some(d) => {
            let name = super::panes::display_name(&d.report);
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
    if view.pane == DOCS {
        draw_tabs(frame, t, view, l.tabs, None);
        return;
    }

    // Tabs, with the scroll position on the right.
    let lines = panes::lines(cx, view, l.body.width as usize);
    let cursor = view.cursor_line(&lines);
    let pos =
        (lines.len() > l.body.height as usize).then(|| format!("{}/{} ", cursor + 1, lines.len()));
    draw_tabs(frame, t, view, l.tabs, pos);

    // The pane, the cursor line in reverse video.
    let height = l.body.height as usize;
    let offset = clamp_offset(view.offset[view.pane], cursor, height);
    for (i, line) in lines.iter().skip(offset).take(height).enumerate() {
        let row = Rect::new(l.body.x, l.body.y + i as u16, l.body.width, 1);
        frame.render_widget(Paragraph::new(line.line.clone()), row);
        if offset + i == cursor && *cx.mode == Mode::Normal {
            frame.buffer_mut().set_style(row, t.selection);
        }
    }
}

fn draw_tabs(frame: &mut Frame, t: &Theme, view: &EntityView, area: Rect, pos: Option<String>) {
    let mut tabs: Vec<Span<'static>> = Vec::new();
    let panes = super::tabs_of(&view.key);
    for (i, (&(pane, _), label)) in panes
        .iter()
        .zip(layout::tab_labels_of(area.width, &panes))
        .enumerate()
    {
        if i > 0 {
            tabs.push(Span::styled("│".to_string(), t.border));
        }
        tabs.push(Span::styled(
            label,
            if pane == view.pane {
                t.tab_active
            } else {
                t.tab
            },
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
