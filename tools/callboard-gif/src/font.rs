//! Glyphs: the public-domain 8x8 bitmap font of the `font8x8` crate
//! (ASCII, Latin-1, box drawing, blocks, Greek), the few symbols the TUI
//! draws that it lacks (drawn here), braille dots (the spinner) computed
//! from the code point, and a hollow box for anything else (CJK).
//!
//! A glyph is 8 rows of 8 bits, bit 0 the leftmost pixel.

use font8x8::{UnicodeFonts, BASIC_FONTS, BLOCK_FONTS, BOX_FONTS, GREEK_FONTS, LATIN_FONTS};

pub type Glyph = [u8; 8];

/// Rows drawn as text: `#` is a pixel.
fn drawn(rows: [&str; 8]) -> Glyph {
    let mut g = [0u8; 8];
    for (i, row) in rows.iter().enumerate() {
        for (bit, c) in row.chars().take(8).enumerate() {
            if c == '#' {
                g[i] |= 1 << bit;
            }
        }
    }
    g
}

fn extra(c: char) -> Option<Glyph> {
    let rows = match c {
        '›' | '►' | '▸' | '▶' => [
            "........", "..#.....", "..##....", "..###...", "..##....", "..#.....", "........",
            "........",
        ],
        '‹' => [
            "........", ".....#..", "....##..", "...###..", "....##..", ".....#..", "........",
            "........",
        ],
        '…' => [
            "........", "........", "........", "........", "........", "........", "#..#..#.",
            "........",
        ],
        '—' | '–' => [
            "........", "........", "........", "........", "########", "........", "........",
            "........",
        ],
        '→' => [
            "........", "....#...", ".....#..", "#######.", ".....#..", "....#...", "........",
            "........",
        ],
        '←' => [
            "........", "..#.....", ".#......", "#######.", ".#......", "..#.....", "........",
            "........",
        ],
        '↑' => [
            "...#....", "..###...", ".#.#.#..", "...#....", "...#....", "...#....", "...#....",
            "........",
        ],
        '↓' => [
            "...#....", "...#....", "...#....", "...#....", ".#.#.#..", "..###...", "...#....",
            "........",
        ],
        '↗' => [
            "........", "..####..", "....##..", "...#.#..", "..#..#..", ".#......", "........",
            "........",
        ],
        '•' | '●' => [
            "........", "........", "..###...", ".#####..", ".#####..", "..###...", "........",
            "........",
        ],
        '▾' | '▼' => [
            "........", "........", "#######.", ".#####..", "..###...", "...#....", "........",
            "........",
        ],
        '↺' => [
            "........", ".####...", "#....#..", "#.....#.", "#.....#.", ".#...#..", "..###...",
            "........",
        ],
        '≈' => [
            "........", ".##..#..", "#..##...", "........", ".##..#..", "#..##...", "........",
            "........",
        ],
        '★' => [
            "...#....", "...#....", "#######.", ".#####..", "..###...", ".##.##..", ".#...#..",
            "........",
        ],
        '✓' => [
            "........", "......#.", ".....#..", "#...#...", ".#.#....", "..#.....", "........",
            "........",
        ],
        '✗' => [
            "........", "#....#..", ".#..#...", "..##....", "..##....", ".#..#...", "#....#..",
            "........",
        ],
        _ => return None,
    };
    Some(drawn(rows))
}

/// Braille patterns (U+2800–U+28FF): dots 1–8 from the code point's bits.
fn braille(c: char) -> Option<Glyph> {
    let bits = (c as u32).checked_sub(0x2800).filter(|b| *b < 256)?;
    // (bit, column, row) of each dot in a 2x4 grid.
    const DOTS: [(u32, usize, usize); 8] = [
        (0, 0, 0),
        (1, 0, 1),
        (2, 0, 2),
        (3, 1, 0),
        (4, 1, 1),
        (5, 1, 2),
        (6, 0, 3),
        (7, 1, 3),
    ];
    let mut g = [0u8; 8];
    for (bit, col, row) in DOTS {
        if bits & (1 << bit) != 0 {
            let x = 1 + col * 4;
            g[row * 2] |= 0b11 << x;
        }
    }
    Some(g)
}

/// A hollow box: a character the font does not have.
const MISSING: Glyph = [0x00, 0x7e, 0x42, 0x42, 0x42, 0x42, 0x7e, 0x00];

/// The glyph of the first character of a cell's symbol.
pub fn glyph(symbol: &str) -> Glyph {
    let Some(c) = symbol.chars().next() else {
        return [0; 8];
    };
    if c == ' ' {
        return [0; 8];
    }
    extra(c)
        .or_else(|| BASIC_FONTS.get(c))
        .or_else(|| LATIN_FONTS.get(c))
        .or_else(|| BOX_FONTS.get(c))
        .or_else(|| BLOCK_FONTS.get(c))
        .or_else(|| GREEK_FONTS.get(c))
        .or_else(|| braille(c))
        .unwrap_or(MISSING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_for_what_the_tui_draws() {
        // `A` from the font, a box-drawing line, a drawn arrow.
        assert_ne!(glyph("A"), [0; 8]);
        assert_eq!(glyph("─")[4], 0xff);
        assert_ne!(glyph("›"), MISSING);
        assert_eq!(glyph(" "), [0; 8]);
        assert_eq!(glyph("決"), MISSING);
        // Every symbol the TUI draws outside CJK text has a glyph.
        for c in "…›‹·─│↓↑—✗←–▸✓►├•▶┌└★▾↺≈→↗●§×é".chars()
        {
            assert_ne!(glyph(&c.to_string()), MISSING, "{c}");
        }
        // ⠋ = dots 1, 2, 4: two in the left column, one in the right.
        let g = glyph("⠋");
        assert_eq!(g[0], 0b11 << 1 | 0b11 << 5);
        assert_eq!(g[2], 0b11 << 1);
        assert_eq!(g[6], 0);
    }
}
