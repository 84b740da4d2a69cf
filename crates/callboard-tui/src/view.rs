//! Drawing: a pure function of [`App`]. The screen that is shown draws
//! itself (the templates over everything; the Docs pane in the entity
//! screen's body), then the status bar (or the command line) and the help.
//! Reads the rows the matcher produced in [`App::prepare_frame`]; never
//! does I/O, never changes state. Every catalog string is sanitized
//! ([`text::one_line`], [`text::lines`]) before it reaches the buffer.
//!
//! [`text::one_line`]: callboard_core::text::one_line
//! [`text::lines`]: callboard_core::text::lines

use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{cx, App};
use crate::layout;
use crate::model::Mode;
use crate::screens::docs::DocsPane;
use crate::screens::{Hint, Screen};
use crate::widgets::{help, status_bar};

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
    let cx = cx!(app);
    if let Some(templates) = &app.templates {
        templates.draw(frame, area, &cx);
        if let Mode::Help { scroll } = &app.mode {
            help::draw(frame, area, *scroll, &app.keymap, &app.theme);
        }
        return;
    }
    let hints: Vec<Hint> = if app.stack.is_empty() {
        app.catalog.draw(frame, area, &cx);
        app.catalog.hints(&app.keymap)
    } else {
        app.stack.draw(frame, area, &cx);
        match app.stack.docs_shown() {
            Some(key) => {
                let none = DocsPane::default();
                let pane = app.docs.get(key).unwrap_or(&none);
                pane.draw(frame, layout::entity(area).body, &cx);
                pane.hints(&app.keymap)
            }
            None => app.stack.hints(&app.keymap),
        }
    };
    let status = layout::status_row(area);
    match &app.mode {
        Mode::Normal => draw_status(frame, app, status, hints),
        Mode::Command(line) => status_bar::draw_command(frame, status, line, &app.theme),
        Mode::Help { scroll } => {
            draw_status(frame, app, status, hints);
            help::draw(frame, area, *scroll, &app.keymap, &app.theme);
        }
    }
}

fn draw_status(frame: &mut Frame, app: &App, area: ratatui::layout::Rect, hints: Vec<Hint>) {
    let fresh = status_bar::freshness(app.sync.as_ref(), &app.sources, app.now_ms, app.spinner);
    status_bar::draw(frame, area, app.message.as_ref(), hints, fresh, &app.theme);
}
