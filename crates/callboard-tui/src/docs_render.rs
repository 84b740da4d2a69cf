//! Markdown to terminal text: [`tui_markdown`] renders (headings, lists,
//! tables, links as `label (url)`, images as `[img] alt`, code highlighted),
//! this module adds what a pager needs: lines wrapped to the width, tables
//! fitted to it, the outline (headings with their line and anchor), the
//! links on each line and lower-cased text for search.
//!
//! A page is split at top-level blocks into chunks (a new one at each
//! heading, or every few KiB), rendered one after another. `min_lines`
//! stops early, so the first screen of a 1 MB page is ready in a few
//! milliseconds while the rest renders in the background.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options as ParseOptions, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::theme::Palette;

/// Chunks end at the first block boundary past this many bytes.
const CHUNK_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// Rendered line index.
    pub line: usize,
    pub level: u8,
    pub title: String,
    pub anchor: String,
}

/// A page ready to draw at one width.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub lines: Vec<Line<'static>>,
    /// Each line's text in lower case, for search.
    pub plain: Vec<String>,
    /// Link destinations and the line each is on, in page order.
    pub links: Vec<(usize, String)>,
    pub headings: Vec<Heading>,
    /// The code blocks, in page order. Their lines are never wrapped: the
    /// pane cuts them at its edge and scrolls them sideways.
    pub code: Vec<CodeBlock>,
    /// False when rendering stopped at `min_lines`.
    pub complete: bool,
    pub width: u16,
    /// The colours it was rendered in.
    pub palette: Palette,
}

/// A code block's place on the rendered page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// From its opening fence line to its closing one.
    pub lines: Range<usize>,
    /// Its code lines.
    pub body: Range<usize>,
}

impl Rendered {
    /// The code block `line` is in (fence lines included).
    pub fn code_block_at(&self, line: usize) -> Option<&CodeBlock> {
        let i = self.code.partition_point(|b| b.lines.end <= line);
        self.code.get(i).filter(|b| b.lines.contains(&line))
    }

    /// A code block's code, one line each, as it was written (less the
    /// indentation of the list or quote it is in).
    pub fn code_text(&self, block: &CodeBlock) -> String {
        let lines: Vec<String> = self.lines[block.body.clone()]
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        let fence: String = self.lines[block.lines.start]
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        // The indentation of a list, or a quote's `> `.
        let prefix = &fence[..fence.find("```").unwrap_or(0)];
        let mut out = String::new();
        for l in &lines {
            let l = l.strip_prefix(prefix).unwrap_or(l);
            out.push_str(l.trim_end_matches(['\r', '\n']));
            out.push('\n');
        }
        out
    }

    /// The first link on `line`.
    pub fn link_on(&self, line: usize) -> Option<&str> {
        let i = self.links.partition_point(|(l, _)| *l < line);
        self.links
            .get(i)
            .filter(|(l, _)| *l == line)
            .map(|(_, u)| u.as_str())
    }

    /// The heading with this anchor (or title, ignoring case).
    pub fn heading(&self, anchor: &str) -> Option<&Heading> {
        let a = anchor.to_lowercase();
        self.headings
            .iter()
            .find(|h| h.anchor == a)
            .or_else(|| self.headings.iter().find(|h| h.title.to_lowercase() == a))
    }

    /// Lines whose text contains `needle` (case-insensitive).
    pub fn find(&self, needle: &str) -> Vec<usize> {
        let n = needle.to_lowercase();
        if n.is_empty() {
            return Vec::new();
        }
        self.plain
            .iter()
            .enumerate()
            .filter(|(_, l)| l.contains(&n))
            .map(|(i, _)| i)
            .collect()
    }
}

#[derive(Debug, Clone)]
struct Chunk {
    range: Range<usize>,
    heading: Option<(u8, String, String)>,
    links: Vec<String>,
    /// A table chunk: its rows (the header first) of (source, plain text) cells.
    table: Option<Vec<Vec<(String, String)>>>,
    /// The number of code lines of each code block, in order.
    code: Vec<usize>,
}

/// A page parsed once: its chunks, their headings and links.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    chunks: Vec<Chunk>,
    /// Reference definitions, appended to every chunk so `[x][ref]` works.
    refdefs: String,
    /// Only the start of the page was parsed: a render is never complete.
    partial: bool,
}

/// Lines rendered for the first answer on a page: more than any screen shows.
pub const FIRST_LINES: usize = 200;
/// Pages longer than this are parsed from their first [`HEAD_BYTES`] for
/// the first screens, so a big page shows before it is parsed whole.
const HEAD_BYTES: usize = 64 * 1024;

/// The first screens of a page, fast whatever its size: a big page is
/// parsed only as far as its first 64 KiB (its last, maybe cut, chunk left
/// out). The whole page follows with [`prepare`] and [`render`].
pub fn first_screens(md: &str, opts: RenderOptions) -> Rendered {
    if md.len() <= 2 * HEAD_BYTES {
        return render(md, &prepare(md), opts, Some(FIRST_LINES));
    }
    let mut cut = HEAD_BYTES;
    while !md.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut head = prepare(&md[..cut]);
    // The last chunk may be cut short; but when it is the only one (a page
    // of one long line or paragraph) its start is better than nothing.
    if head.chunks.len() > 1 {
        head.chunks.pop();
    }
    head.partial = true;
    let mut out = render(md, &head, opts, Some(FIRST_LINES));
    out.complete = false;
    out
}

impl Prepared {
    /// Headings of the whole page (title, level, anchor), before rendering.
    pub fn outline(&self) -> Vec<(u8, String, String)> {
        self.chunks
            .iter()
            .filter_map(|c| c.heading.clone())
            .collect()
    }
}

pub fn parse_options() -> ParseOptions {
    // What tui-markdown parses with, so chunk edges agree with its blocks.
    let mut o = ParseOptions::empty();
    for f in [
        ParseOptions::ENABLE_STRIKETHROUGH,
        ParseOptions::ENABLE_TASKLISTS,
        ParseOptions::ENABLE_HEADING_ATTRIBUTES,
        ParseOptions::ENABLE_YAML_STYLE_METADATA_BLOCKS,
        ParseOptions::ENABLE_SUPERSCRIPT,
        ParseOptions::ENABLE_SUBSCRIPT,
        ParseOptions::ENABLE_MATH,
        ParseOptions::ENABLE_FOOTNOTES,
        ParseOptions::ENABLE_DEFINITION_LIST,
        ParseOptions::ENABLE_GFM,
        ParseOptions::ENABLE_TABLES,
    ] {
        o.insert(f);
    }
    o
}

fn level_num(l: HeadingLevel) -> u8 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Parse the page into chunks.
pub fn prepare(md: &str) -> Prepared {
    let mut iter = Parser::new_ext(md, parse_options()).into_offset_iter();
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut depth = 0usize;
    let mut heading: Option<(u8, String, Option<String>)> = None;
    let mut start_new = true;
    let mut in_cell = false;
    // The text of the code block being read.
    let mut code: Option<String> = None;
    for (event, range) in iter.by_ref() {
        let top = depth == 0;
        match &event {
            Event::Start(tag) => {
                if top {
                    let is_heading = matches!(tag, Tag::Heading { .. });
                    // Tables get a chunk of their own: they may be laid out
                    // as records when they do not fit.
                    let is_table = matches!(tag, Tag::Table(_));
                    let big = chunks
                        .last()
                        .is_some_and(|c| range.start - c.range.start > CHUNK_BYTES);
                    if start_new || is_heading || is_table || big {
                        if let Some(last) = chunks.last_mut() {
                            last.range.end = range.start;
                        }
                        chunks.push(Chunk {
                            range: range.start..md.len(),
                            heading: None,
                            links: Vec::new(),
                            table: is_table.then(Vec::new),
                            code: Vec::new(),
                        });
                        start_new = false;
                    }
                }
                let table = chunks.last_mut().and_then(|c| c.table.as_mut());
                match (tag, table) {
                    (Tag::TableHead | Tag::TableRow, Some(rows)) => rows.push(Vec::new()),
                    (Tag::TableCell, Some(rows)) => {
                        if let Some(row) = rows.last_mut() {
                            let src = md.get(range.clone()).unwrap_or_default().trim();
                            row.push((src.to_string(), String::new()));
                        }
                        in_cell = true;
                    }
                    _ => {}
                }
                depth += 1;
                match tag {
                    Tag::CodeBlock(_) => code = Some(String::new()),
                    Tag::Heading { level, id, .. } if depth == 1 => {
                        heading = Some((
                            level_num(*level),
                            String::new(),
                            id.as_ref().map(|s| s.to_string()),
                        ));
                    }
                    Tag::Link { dest_url, .. } => {
                        if let Some(c) = chunks.last_mut() {
                            c.links.push(dest_url.to_string());
                        }
                    }
                    _ => {}
                }
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                match end {
                    TagEnd::TableCell => in_cell = false,
                    TagEnd::CodeBlock => {
                        // Lines as tui-markdown splits them: a last line
                        // without its newline counts when not empty.
                        let n = code
                            .take()
                            .unwrap_or_default()
                            .split_inclusive('\n')
                            .count();
                        if let Some(c) = chunks.last_mut() {
                            c.code.push(n);
                        }
                    }
                    TagEnd::Table if depth == 0 => start_new = true,
                    _ => {}
                }
                if matches!(end, TagEnd::Heading(_)) && depth == 0 {
                    if let (Some((level, title, id)), Some(c)) = (heading.take(), chunks.last_mut())
                    {
                        let title = callboard_core::text::sanitize::sanitize_line(title.trim())
                            .into_owned();
                        let anchor = id.unwrap_or_else(|| callboard_core::docs::slug(&title));
                        c.heading = Some((level, title, anchor));
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let (Event::Text(_), Some(code)) = (&event, &mut code) {
                    code.push_str(t);
                }
                if let Some((_, title, _)) = &mut heading {
                    title.push_str(t);
                }
                if in_cell {
                    let cell = chunks
                        .last_mut()
                        .and_then(|c| c.table.as_mut())
                        .and_then(|rows| rows.last_mut())
                        .and_then(|row| row.last_mut());
                    if let Some((_, plain)) = cell {
                        plain.push_str(t);
                    }
                }
            }
            _ => {
                if top && chunks.is_empty() {
                    chunks.push(Chunk {
                        range: range.start..md.len(),
                        heading: None,
                        links: Vec::new(),
                        table: None,
                        code: Vec::new(),
                    });
                    start_new = false;
                }
            }
        }
    }
    let mut refdefs = String::new();
    for (_, def) in iter.reference_definitions().iter().take(500) {
        if let Some(src) = md.get(def.span.clone()) {
            refdefs.push_str(src.trim_end());
            refdefs.push('\n');
        }
    }
    Prepared {
        chunks,
        refdefs,
        partial: false,
    }
}

/// Colours from the theme's palette: for a dark background, a light one
/// (nothing yellow or cyan, which vanish on white), or none at all in mono
/// (`NO_COLOR`).
#[derive(Debug, Clone, Copy)]
struct Sheet {
    palette: Palette,
}

impl tui_markdown::StyleSheet for Sheet {
    fn heading(&self, level: u8) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        let s = if level == 1 {
            s.add_modifier(Modifier::UNDERLINED)
        } else {
            s
        };
        match (self.palette, level) {
            (Palette::Mono, _) => s,
            (Palette::Dark, 1 | 2) => s.fg(Color::Cyan),
            (Palette::Dark, _) => s.fg(Color::LightCyan),
            (Palette::Light, 1 | 2) => s.fg(Color::Blue),
            (Palette::Light, _) => s.fg(Color::Magenta),
        }
    }
    fn code(&self) -> Style {
        match self.palette {
            Palette::Mono => Style::new().add_modifier(Modifier::BOLD),
            Palette::Dark => Style::new().fg(Color::Yellow),
            Palette::Light => Style::new().fg(Color::Magenta),
        }
    }
    fn link(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::UNDERLINED);
        match self.palette {
            Palette::Mono => s,
            _ => s.fg(Color::Blue),
        }
    }
    fn blockquote(&self) -> Style {
        match self.palette {
            Palette::Mono => Style::new().add_modifier(Modifier::ITALIC),
            _ => Style::new().fg(Color::Green),
        }
    }
    fn html(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    pub width: u16,
    /// The colours: `Mono` for none (mono theme, `NO_COLOR`, plain output).
    pub palette: Palette,
}

/// Render `md` (prepared by [`prepare`]) at a width; stop once at least
/// `min_lines` lines exist (None: the whole page).
pub fn render(
    md: &str,
    prepared: &Prepared,
    opts: RenderOptions,
    min_lines: Option<usize>,
) -> Rendered {
    let width = opts.width.max(20);
    let sheet = Sheet {
        palette: opts.palette,
    };
    let options = tui_markdown::Options::new(sheet).table_width(width);
    // Syntax colours that read on the background (dropped in mono).
    let options = match opts.palette {
        Palette::Light => options.code_theme(tui_markdown::BuiltinCodeTheme::InspiredGitHub),
        _ => options.code_theme(tui_markdown::BuiltinCodeTheme::Base16OceanDark),
    };
    let mut out = Rendered {
        width,
        palette: opts.palette,
        complete: true,
        ..Default::default()
    };
    let mut buf = String::new();
    for (n, chunk) in prepared.chunks.iter().enumerate() {
        if min_lines.is_some_and(|m| out.lines.len() >= m) {
            out.complete = n >= prepared.chunks.len() && !prepared.partial;
            break;
        }
        let src = &md[chunk.range.clone()];
        let src = if prepared.refdefs.is_empty() {
            src
        } else {
            buf.clear();
            buf.push_str(src);
            buf.push_str("\n\n");
            buf.push_str(&prepared.refdefs);
            &buf
        };
        let records;
        let mut text = tui_markdown::from_str_with_options(src, &options);
        if let Some(rows) = &chunk.table {
            if splits_words(&text, rows) {
                records = as_records(rows, &prepared.refdefs);
                text = tui_markdown::from_str_with_options(&records, &options);
            }
        }
        if !out.lines.is_empty() && out.lines.last().is_some_and(|l| !l.spans.is_empty()) {
            push(&mut out, Line::default());
        }
        let mut pending_links: &[String] = &chunk.links;
        let mut pending_code: &[usize] = &chunk.code;
        // In a code block: (its first line, code lines still to come).
        let mut in_code: Option<(usize, usize)> = None;
        let mut heading_done = chunk.heading.is_none();
        for line in text.lines {
            let mut line = owned(line, opts.palette);
            // Code blocks: the opening fence, the code, the closing fence;
            // kept whole, never wrapped.
            let fence = is_fence(&line);
            match in_code {
                None if fence && !pending_code.is_empty() => {
                    in_code = Some((out.lines.len(), pending_code[0]));
                    pending_code = &pending_code[1..];
                    push(&mut out, line);
                    continue;
                }
                Some((start, left)) if left > 0 => {
                    in_code = Some((start, left - 1));
                    push(&mut out, line);
                    continue;
                }
                Some((start, _)) => {
                    in_code = None;
                    let end = out.lines.len();
                    out.code.push(CodeBlock {
                        lines: start..end + usize::from(fence),
                        body: start + 1..end,
                    });
                    if fence {
                        push(&mut out, line);
                        continue;
                    }
                }
                None => {}
            }
            if !heading_done && !line.spans.is_empty() {
                if let Some((level, title, anchor)) = &chunk.heading {
                    out.headings.push(Heading {
                        line: out.lines.len(),
                        level: *level,
                        title: title.clone(),
                        anchor: anchor.clone(),
                    });
                }
                heading_done = true;
            }
            // Which spans are link destinations: `label`, ` (`, dest, `)`.
            let mut found: Vec<(usize, String)> = Vec::new();
            for i in 1..line.spans.len() {
                if line.spans[i - 1].content != " (" {
                    continue;
                }
                let content = line.spans[i].content.as_ref();
                if let Some(p) = pending_links.iter().position(|l| l == content) {
                    found.push((i, pending_links[p].clone()));
                    pending_links = &pending_links[p + 1..];
                }
            }
            line.style = Style::default();
            let wrapped = wrap(line, width as usize);
            let base = out.lines.len();
            // A wrapped link is on every line from its label to its URL.
            let line_of = |span: usize| {
                wrapped
                    .iter()
                    .position(|(_, last_span)| *last_span >= span)
                    .unwrap_or(0)
            };
            let mut here: Vec<(usize, String)> = Vec::new();
            for (span_index, url) in found {
                for at in line_of(span_index.saturating_sub(2))..=line_of(span_index) {
                    here.push((base + at, url.clone()));
                }
            }
            here.sort_by_key(|(l, _)| *l);
            out.links.extend(here);
            for (l, _) in wrapped {
                push(&mut out, l);
            }
        }
        if let Some((start, _)) = in_code {
            // A block whose closing fence did not come.
            let end = out.lines.len();
            out.code.push(CodeBlock {
                lines: start..end,
                body: start + 1..end,
            });
        }
    }
    out
}

/// Did fitting the table to the width break words (of up to 20
/// characters) of its cells over lines?
fn splits_words(text: &ratatui::text::Text<'_>, rows: &[Vec<(String, String)>]) -> bool {
    let rendered: String = text
        .lines
        .iter()
        .flat_map(|l| l.spans.iter().map(|s| s.content.as_ref()))
        .collect();
    rows.iter()
        .flatten()
        .flat_map(|(_, plain)| plain.split_whitespace())
        .filter(|w| w.chars().count() <= 20)
        .any(|w| !rendered.contains(w))
}

/// A table too wide for the screen as a list of records: each row an item
/// headed by its first cell, the other cells nested under it as
/// `Header: value`.
fn as_records(rows: &[Vec<(String, String)>], refdefs: &str) -> String {
    let header: Vec<&str> = rows
        .first()
        .map(|r| r.iter().map(|(src, _)| src.as_str()).collect())
        .unwrap_or_default();
    let mut md = String::new();
    for row in rows.iter().skip(1) {
        for (i, (src, _)) in row.iter().enumerate() {
            let value = if src.is_empty() { "—" } else { src.as_str() };
            let label = header.get(i).copied().unwrap_or_default();
            let label = if label.is_empty() {
                String::new()
            } else {
                format!("**{label}:** ")
            };
            if i == 0 {
                md.push_str(&format!("- {label}{value}"));
            } else {
                md.push_str(&format!("\n  - {label}{value}"));
            }
        }
        md.push('\n');
    }
    if !refdefs.is_empty() {
        md.push('\n');
        md.push_str(refdefs);
    }
    md
}

fn push(out: &mut Rendered, line: Line<'static>) {
    let plain: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    out.plain.push(plain.to_lowercase());
    out.lines.push(line);
}

/// Own the spans; in mono drop every colour (syntax highlighting too), on
/// a light background darken the syntax colours too pale to read on white.
fn owned(line: Line<'_>, palette: Palette) -> Line<'static> {
    let spans = line
        .spans
        .into_iter()
        .map(|s| {
            let mut style = line.style.patch(s.style);
            match palette {
                Palette::Mono => {
                    style.fg = None;
                    style.bg = None;
                    style.underline_color = None;
                }
                Palette::Light => style.fg = style.fg.map(readable_on_white),
                Palette::Dark => {}
            }
            // Text came sanitized; tabs still need expanding to stay aligned.
            let content = if s.content.contains('\t') {
                s.content.replace('\t', "    ")
            } else {
                s.content.into_owned()
            };
            Span::styled(content, style)
        })
        .collect::<Vec<_>>();
    Line::from(spans)
}

/// A code block's fence line as tui-markdown writes it (```` ```lang ````),
/// maybe indented in a list or after a quote's `>`.
fn is_fence(line: &Line<'_>) -> bool {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    text.trim_start_matches([' ', '>']).starts_with("```")
}

/// WCAG relative luminance of an sRGB colour.
fn luminance(r: u8, g: u8, b: u8) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// An RGB colour darkened (hue kept) until it has a contrast of 4.5:1
/// on white (WCAG AA); named colours follow the terminal's palette.
fn readable_on_white(c: Color) -> Color {
    let Color::Rgb(mut r, mut g, mut b) = c else {
        return c;
    };
    while 1.05 / (luminance(r, g, b) + 0.05) < 4.5 {
        let dim = |v: u8| (f64::from(v) * 0.9) as u8;
        (r, g, b) = (dim(r), dim(g), dim(b));
    }
    Color::Rgb(r, g, b)
}

fn is_table_line(line: &Line<'_>) -> bool {
    line.spans.first().is_some_and(|s| {
        let t = s.content.trim_start();
        t.starts_with(['│', '┌', '├', '└', '╞', '╭', '╰'])
    })
}

/// Wrap a line to `width` columns at spaces (inside long words when it must),
/// continuation lines indented under the text of a list item. Tables that
/// could not be fitted are cut with `…` instead, so their borders stay
/// aligned. Returns each piece with the index of the last span it holds.
pub fn wrap(line: Line<'static>, width: usize) -> Vec<(Line<'static>, usize)> {
    let total: usize = line.spans.iter().map(|s| s.content.width()).sum();
    let last = line.spans.len().saturating_sub(1);
    if total <= width {
        return vec![(line, last)];
    }
    if is_table_line(&line) {
        let cut = crate::widgets::spans::fit_spans(line.spans, width);
        return vec![(Line::from(cut), last)];
    }
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let lead = text.len() - text.trim_start().len();
    let rest = &text[lead..];
    let marker = if rest.starts_with("- ") || rest.starts_with("* ") || rest.starts_with("> ") {
        2
    } else {
        rest.find(". ")
            .filter(|&i| i > 0 && i < 4 && rest[..i].bytes().all(|b| b.is_ascii_digit()))
            .map_or(0, |i| i + 2)
    };
    let indent = (text[..lead].width() + marker).min(width / 2);

    // Words (text up to and with the spaces after it) may run across
    // spans: `label (` + `url` + `)` must not break inside.
    let mut words: Vec<Vec<(String, Style, usize)>> = Vec::new();
    let mut word: Vec<(String, Style, usize)> = Vec::new();
    for (si, span) in line.spans.iter().enumerate() {
        let s = span.content.as_ref();
        let mut start = 0;
        let mut in_space = false;
        for (i, c) in s.char_indices() {
            let sp = c == ' ';
            if in_space && !sp {
                word.push((s[start..i].to_string(), span.style, si));
                words.push(std::mem::take(&mut word));
                start = i;
            }
            in_space = sp;
        }
        if start < s.len() {
            word.push((s[start..].to_string(), span.style, si));
            if in_space {
                words.push(std::mem::take(&mut word));
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }

    let mut out: Vec<(Line<'static>, usize)> = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    let mut cur_last = 0usize;
    let new_line = |cur: &mut Vec<Span<'static>>,
                    used: &mut usize,
                    out: &mut Vec<(Line<'static>, usize)>,
                    last: usize| {
        // No trailing spaces at a break.
        if let Some(s) = cur.last_mut() {
            let t = s.content.trim_end().to_string();
            s.content = t.into();
        }
        out.push((Line::from(std::mem::take(cur)), last));
        cur.push(Span::raw(" ".repeat(indent)));
        *used = indent;
    };
    for word in words {
        let w: usize = word.iter().map(|(t, _, _)| t.width()).sum();
        let trailing = word
            .last()
            .map_or(0, |(t, _, _)| t.width() - t.trim_end().width());
        let fits = |used: usize| used + w - trailing <= width;
        if used > indent && !fits(used) {
            new_line(&mut cur, &mut used, &mut out, cur_last);
            if word.iter().all(|(t, _, _)| t.trim().is_empty()) {
                continue;
            }
        }
        if fits(used) {
            for (t, style, si) in word {
                used += t.width();
                cur.push(Span::styled(t, style));
                cur_last = si;
            }
            continue;
        }
        // A word longer than the line: break it by columns.
        for (t, style, si) in word {
            let mut piece = String::new();
            for c in t.chars() {
                let cw = callboard_core::text::char_width(c);
                if used + cw > width && used > indent {
                    if !piece.is_empty() {
                        cur.push(Span::styled(std::mem::take(&mut piece), style));
                        cur_last = si;
                    }
                    new_line(&mut cur, &mut used, &mut out, cur_last);
                }
                piece.push(c);
                used += cw;
            }
            if !piece.is_empty() {
                cur.push(Span::styled(piece, style));
                cur_last = si;
            }
        }
    }
    if cur.iter().any(|s| !s.content.trim().is_empty()) {
        if let Some(s) = cur.last_mut() {
            let t = s.content.trim_end().to_string();
            s.content = t.into();
        }
        out.push((Line::from(cur), last));
    }
    out
}

/// Lines as plain text (for pipes and tests).
pub fn plain_text(lines: &[Line<'_>]) -> String {
    let mut out = String::new();
    for l in lines {
        for s in &l.spans {
            out.push_str(&s.content);
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out
}

/// Lines with ANSI styling (for a terminal).
pub fn ansi_text(lines: &[Line<'_>]) -> String {
    let mut out = String::new();
    for l in lines {
        for s in &l.spans {
            let codes = sgr(s.style);
            if codes.is_empty() {
                out.push_str(&s.content);
            } else {
                out.push_str(&format!("\x1b[{codes}m{}\x1b[0m", s.content));
            }
        }
        out.push('\n');
    }
    out
}

fn sgr(style: Style) -> String {
    let mut codes: Vec<String> = Vec::new();
    let m = style.add_modifier;
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if m.contains(flag) {
            codes.push(code.to_string());
        }
    }
    if let Some(c) = style.fg {
        if let Some(code) = color_code(c, false) {
            codes.push(code);
        }
    }
    if let Some(c) = style.bg {
        if let Some(code) = color_code(c, true) {
            codes.push(code);
        }
    }
    codes.join(";")
}

fn color_code(c: Color, bg: bool) -> Option<String> {
    let base = if bg { 40 } else { 30 };
    let bright = if bg { 100 } else { 90 };
    let named = |n: u8| Some((base + n).to_string());
    let light = |n: u8| Some((bright + n).to_string());
    match c {
        Color::Reset => None,
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => light(0),
        Color::LightRed => light(1),
        Color::LightGreen => light(2),
        Color::LightYellow => light(3),
        Color::LightBlue => light(4),
        Color::LightMagenta => light(5),
        Color::LightCyan => light(6),
        Color::White => light(7),
        Color::Rgb(r, g, b) => Some(format!("{};2;{r};{g};{b}", if bg { 48 } else { 38 })),
        Color::Indexed(i) => Some(format!("{};5;{i}", if bg { 48 } else { 38 })),
    }
}

#[cfg(test)]
mod tests;
