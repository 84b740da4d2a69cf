//! Scrolling a list: which rows are on screen for a cursor, and how far a
//! movement key moves it.

use crate::keymap::Action;

/// How many rows a movement key moves the cursor in a list `page` rows
/// high (Top and Bottom: far enough to reach the end); `None` for other
/// actions.
pub fn scroll_step(action: &Action, page: isize) -> Option<isize> {
    Some(match action {
        Action::Down => 1,
        Action::Up => -1,
        Action::ScrollDown => 3,
        Action::ScrollUp => -3,
        Action::HalfPageDown => page / 2,
        Action::HalfPageUp => -page / 2,
        Action::PageDown => page,
        Action::PageUp => -page,
        Action::Top => isize::MIN / 2,
        Action::Bottom => isize::MAX / 2,
        _ => return None,
    })
}

/// The smallest change of `offset` that keeps `cursor` on screen.
pub fn clamp_offset(offset: usize, cursor: usize, height: usize) -> usize {
    let height = height.max(1);
    if cursor < offset {
        cursor
    } else if cursor >= offset + height {
        cursor + 1 - height
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_keep_the_cursor_visible() {
        assert_eq!(clamp_offset(0, 5, 10), 0);
        assert_eq!(clamp_offset(0, 12, 10), 3);
        assert_eq!(clamp_offset(8, 2, 10), 2);
    }
}
