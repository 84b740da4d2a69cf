//! Scrolling a list: which rows are on screen for a cursor.

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
