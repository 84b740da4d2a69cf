//! A pop-up: a bordered box over what is drawn, cleared first.

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear};
use ratatui::Frame;

use crate::theme::Theme;

/// Clear `area`, draw a border titled `title` around it, and return the
/// inside.
pub fn frame_popup(frame: &mut Frame, area: Rect, title: Span<'static>, theme: &Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}
