//! Text for people: catalog strings are untrusted, so every one goes
//! through [`sanitize`] (or [`one_line`] / [`lines`], which sanitize)
//! before it is drawn or printed; widths are display columns, so wide
//! (CJK) characters and emoji line up.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub mod plural;
pub mod sanitize;
pub mod suggest;
pub mod yaml_guard;

pub use plural::counted;
pub use sanitize::{sanitize, sanitize_line};
pub use suggest::closest;

/// A catalog string made safe for one line: control sequences stripped,
/// newlines and tabs turned into spaces.
pub fn one_line(s: &str) -> Cow<'_, str> {
    sanitize_line(s)
}

/// A catalog string made safe for several lines: control sequences
/// stripped, tabs expanded, split at newlines.
pub fn lines(s: &str) -> Vec<String> {
    let clean = sanitize(s);
    clean
        .split('\n')
        .map(|l| l.trim_end_matches('\r').replace('\t', "    "))
        .collect()
}

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Display width of one character (0 for controls).
pub fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Cut `s` to at most `max` columns, ending with `…` when cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max || max == 0 {
        return uncut(s, max);
    }
    Cow::Owned(fitting(s.chars(), max - 1).chain(['…']).collect())
}

/// Cut `s` to at most `max` columns from the front, starting with `…`
/// when cut: for text whose end says most (a path, "synced 3 min ago").
pub fn truncate_start(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max || max == 0 {
        return uncut(s, max);
    }
    let kept: Vec<char> = fitting(s.chars().rev(), max - 1).collect();
    Cow::Owned(['…'].into_iter().chain(kept.into_iter().rev()).collect())
}

/// What [`truncate`] and [`truncate_start`] give when nothing is cut: `s`
/// when it fits, nothing in zero columns.
fn uncut(s: &str, max: usize) -> Cow<'_, str> {
    Cow::Borrowed(if max == 0 && width(s) > 0 { "" } else { s })
}

/// The leading `chars` that fit in `max` columns.
fn fitting(chars: impl Iterator<Item = char>, max: usize) -> impl Iterator<Item = char> {
    let mut used = 0;
    chars.take_while(move |&c| {
        used += char_width(c);
        used <= max
    })
}

/// `s` cut or padded with spaces to exactly `w` columns.
pub fn fit(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let pad = w.saturating_sub(width(&t));
    let mut out = t.into_owned();
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// Wrap already-clean text to `max` columns, breaking at spaces where it
/// can and inside words that are longer than a line. Keeps empty lines.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        if para.trim().is_empty() {
            out.push(String::new());
            continue;
        }
        let mut line = String::new();
        let mut line_w = 0;
        for word in para.split(' ') {
            let ww = width(word);
            let sep = usize::from(!line.is_empty());
            if line_w + sep + ww <= max {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                line_w += sep + ww;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
                line_w = 0;
            }
            if ww <= max {
                line.push_str(word);
                line_w = ww;
            } else {
                // A word longer than the line: hard-break it.
                for c in word.chars() {
                    let cw = char_width(c);
                    if line_w + cw > max {
                        out.push(std::mem::take(&mut line));
                        line_w = 0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            }
        }
        out.push(line);
    }
    out
}

/// "just now", "3 min ago", "2 h ago", "5 d ago".
pub fn age(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=59 => "just now".to_string(),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=172_799 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_columns_not_bytes() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("決済サービス"), 12);
        assert_eq!(truncate("決済サービス", 7), "決済サ…");
        assert_eq!(truncate("payments-service", 8), "payment…");
        assert_eq!(truncate("short", 8), "short");
        assert_eq!(truncate_start("payments-service", 8), "…service");
        assert_eq!(truncate_start("決済サービス", 7), "…ービス");
        assert_eq!(truncate_start("short", 8), "short");
        assert_eq!(truncate_start("short", 0), "");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(width(&fit("決済サービス", 6)), 6);
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb", 10), vec!["a", "", "b"]);
        assert_eq!(wrap("日本語の説明文", 6), vec!["日本語", "の説明", "文"]);
    }

    #[test]
    fn catalog_strings_lose_control_sequences() {
        assert_eq!(one_line("a\x1b[31mb\nc"), "ab c");
        assert_eq!(lines("x\x1b]52;c;Zm9v\x07y\n\tz"), vec!["xy", "    z"]);
    }

    #[test]
    fn ages() {
        assert_eq!(age(5_000), "just now");
        assert_eq!(age(3 * 60_000), "3 min ago");
        assert_eq!(age(2 * 3_600_000 + 5), "2 h ago");
        assert_eq!(age(3 * 86_400_000), "3 d ago");
    }
}
