//! A ratatui buffer (cells with their colours) to pixels, and frames to an
//! animated GIF.
//!
//! Each cell is 8x16 pixels: an 8x8 glyph with every row doubled. One
//! global palette: the 16 ANSI colours (a dark terminal's), the default
//! foreground and background, and a 6x6x6 colour cube that RGB and
//! 256-colour cells map to. Reverse video swaps foreground and background,
//! bold thickens the glyph, dim mixes the foreground towards the
//! background, underline and crossed-out draw a line.

use std::io::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use crate::font::glyph;

pub const CELL_W: usize = 8;
pub const CELL_H: usize = 16;

/// The ANSI colours, in `Color::Black..=Color::White` order.
const ANSI: [(u8, u8, u8); 16] = [
    (40, 44, 52),    // Black
    (224, 108, 117), // Red
    (152, 195, 121), // Green
    (229, 192, 123), // Yellow
    (97, 175, 239),  // Blue
    (198, 120, 221), // Magenta
    (86, 182, 194),  // Cyan
    (171, 178, 191), // Gray
    (92, 99, 112),   // DarkGray
    (240, 130, 140), // LightRed
    (170, 215, 140), // LightGreen
    (240, 210, 150), // LightYellow
    (120, 190, 250), // LightBlue
    (215, 140, 235), // LightMagenta
    (110, 200, 210), // LightCyan
    (230, 230, 230), // White
];
pub const DEFAULT_BG: u8 = 16;
pub const DEFAULT_FG: u8 = 17;
const CUBE: u8 = 18;
const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
pub const DEFAULT_BG_RGB: (u8, u8, u8) = (30, 33, 39);
pub const DEFAULT_FG_RGB: (u8, u8, u8) = (205, 208, 214);

/// The global palette, 256 entries of r, g, b.
pub fn palette() -> Vec<u8> {
    let mut p = Vec::with_capacity(256 * 3);
    for (r, g, b) in ANSI {
        p.extend([r, g, b]);
    }
    p.extend([DEFAULT_BG_RGB.0, DEFAULT_BG_RGB.1, DEFAULT_BG_RGB.2]);
    p.extend([DEFAULT_FG_RGB.0, DEFAULT_FG_RGB.1, DEFAULT_FG_RGB.2]);
    for r in LEVELS {
        for g in LEVELS {
            for b in LEVELS {
                p.extend([r, g, b]);
            }
        }
    }
    p.resize(256 * 3, 0);
    p
}

/// The RGB of palette entry `i`.
pub fn rgb(i: u8) -> (u8, u8, u8) {
    let p = palette();
    let i = i as usize * 3;
    (p[i], p[i + 1], p[i + 2])
}

fn nearest_level(v: u8) -> usize {
    LEVELS
        .iter()
        .enumerate()
        .min_by_key(|(_, l)| (i32::from(**l) - i32::from(v)).abs())
        .map_or(0, |(i, _)| i)
}

fn cube(r: u8, g: u8, b: u8) -> u8 {
    CUBE + (36 * nearest_level(r) + 6 * nearest_level(g) + nearest_level(b)) as u8
}

/// A cell colour's palette index (`Reset` is the default colour).
pub fn index(c: Color, fg: bool) -> u8 {
    let reset = if fg { DEFAULT_FG } else { DEFAULT_BG };
    match c {
        Color::Reset => reset,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Rgb(r, g, b) => cube(r, g, b),
        Color::Indexed(i) if i < 16 => i,
        Color::Indexed(i) if i < 232 => CUBE + (i - 16),
        Color::Indexed(i) => {
            let v = 8 + 10 * (i - 232);
            cube(v, v, v)
        }
    }
}

/// A frame's pixels: palette indices, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Image {
    pub fn at(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }
}

/// Draw a buffer.
pub fn render(buffer: &Buffer) -> Image {
    let area = buffer.area;
    let width = area.width as usize * CELL_W;
    let height = area.height as usize * CELL_H;
    let mut pixels = vec![DEFAULT_BG; width * height];
    for cy in 0..area.height {
        for cx in 0..area.width {
            let cell = &buffer[(area.x + cx, area.y + cy)];
            let mut fg = index(cell.fg, true);
            let mut bg = index(cell.bg, false);
            let m = cell.modifier;
            if m.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            if m.contains(Modifier::DIM) {
                let (f, b) = (rgb(fg), rgb(bg));
                let mix = |a: u8, b: u8| ((u16::from(a) + u16::from(b)) / 2) as u8;
                fg = cube(mix(f.0, b.0), mix(f.1, b.1), mix(f.2, b.2));
            }
            let mut g = glyph(cell.symbol());
            if m.contains(Modifier::BOLD) {
                for row in g.iter_mut() {
                    *row |= *row << 1;
                }
            }
            let x0 = cx as usize * CELL_W;
            let y0 = cy as usize * CELL_H;
            for y in 0..CELL_H {
                let bits = g[y / 2];
                let line = (m.contains(Modifier::UNDERLINED) && y == CELL_H - 2)
                    || (m.contains(Modifier::CROSSED_OUT) && y == CELL_H / 2);
                for x in 0..CELL_W {
                    let on = line || bits & (1 << x) != 0;
                    pixels[(y0 + y) * width + x0 + x] = if on { fg } else { bg };
                }
            }
        }
    }
    Image {
        width,
        height,
        pixels,
    }
}

/// Write frames, each shown for its milliseconds, as a looping GIF. After
/// the first, a frame holds only the rectangle that changed.
pub fn write_gif(out: impl Write, frames: &[(Image, u64)]) -> anyhow::Result<()> {
    let first = frames.first().ok_or_else(|| anyhow::anyhow!("no frames"))?;
    let (w, h) = (first.0.width, first.0.height);
    let mut enc = gif::Encoder::new(out, w as u16, h as u16, &palette())?;
    enc.set_repeat(gif::Repeat::Infinite)?;
    let mut prev: Option<&Image> = None;
    for (image, ms) in frames {
        // GIF delays are in 1/100 s; browsers treat under 2 as 10.
        let delay = (ms / 10).clamp(2, u64::from(u16::MAX)) as u16;
        let (x0, y0, x1, y1) = match prev {
            None => (0, 0, w, h),
            Some(p) => changed(p, image).unwrap_or((0, 0, 1, 1)),
        };
        let mut pixels = Vec::with_capacity((x1 - x0) * (y1 - y0));
        for y in y0..y1 {
            pixels.extend_from_slice(&image.pixels[y * w + x0..y * w + x1]);
        }
        let mut frame =
            gif::Frame::from_indexed_pixels((x1 - x0) as u16, (y1 - y0) as u16, pixels, None);
        frame.left = x0 as u16;
        frame.top = y0 as u16;
        frame.delay = delay;
        enc.write_frame(&frame)?;
        prev = Some(image);
    }
    Ok(())
}

/// The bounding box (x0, y0, x1, y1) of the pixels that differ.
fn changed(a: &Image, b: &Image) -> Option<(usize, usize, usize, usize)> {
    let w = a.width;
    let mut bbox: Option<(usize, usize, usize, usize)> = None;
    for (i, (p, q)) in a.pixels.iter().zip(&b.pixels).enumerate() {
        if p != q {
            let (x, y) = (i % w, i / w);
            bbox = Some(match bbox {
                None => (x, y, x + 1, y + 1),
                Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1)),
            });
        }
    }
    bbox
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn a_two_by_two_buffer_gives_known_pixels() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 2, 2));
        // (0,0): a full block in red on the default background.
        buffer[(0, 0)].set_symbol("█").set_fg(Color::Red);
        // (1,0): a space on blue.
        buffer[(1, 0)].set_symbol(" ").set_bg(Color::Blue);
        // (0,1): a space in reverse video: the default foreground shows.
        buffer[(0, 1)].set_style(Style::new().add_modifier(Modifier::REVERSED));
        // (1,1): an RGB background, to the cube.
        buffer[(1, 1)].set_bg(Color::Rgb(255, 0, 0));
        let img = render(&buffer);
        assert_eq!((img.width, img.height), (16, 32));
        for y in 0..16 {
            for x in 0..8 {
                assert_eq!(rgb(img.at(x, y)), (224, 108, 117), "red block {x},{y}");
                assert_eq!(rgb(img.at(8 + x, y)), (97, 175, 239), "blue {x},{y}");
                assert_eq!(rgb(img.at(x, 16 + y)), DEFAULT_FG_RGB, "reversed {x},{y}");
                assert_eq!(rgb(img.at(8 + x, 16 + y)), (255, 0, 0), "rgb {x},{y}");
            }
        }
    }

    #[test]
    fn a_glyph_is_drawn_in_its_colours_and_frames_encode() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 1, 1));
        buffer[(0, 0)]
            .set_symbol("─")
            .set_fg(Color::Green)
            .set_bg(Color::Black);
        let img = render(&buffer);
        // The line is font row 4: pixel rows 8 and 9.
        for y in 0..16 {
            let want = if y == 8 || y == 9 { 2 } else { 0 };
            assert_eq!(img.at(3, y), want, "row {y}");
        }
        let mut gif = Vec::new();
        write_gif(&mut gif, &[(img.clone(), 500), (img, 100)]).unwrap();
        assert!(gif.starts_with(b"GIF89a"));
        assert_eq!(gif.last(), Some(&0x3b), "the trailer");
    }
}
