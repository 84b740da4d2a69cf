//! Catalog data is untrusted: strip terminal control sequences before any
//! string is drawn or printed.
//!
//! Removes ESC-introduced sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ST`,
//! DCS/SOS/PM/APC `… ST`, two-byte escapes), their 8-bit C1 forms (U+0080–U+009F),
//! and every other C0 control except tab and newline (carriage return too:
//! it can overwrite what was already printed). Bidirectional overrides are
//! dropped for the same reason.

use std::borrow::Cow;

/// Strip control sequences, keeping `\n` and `\t`.
pub fn sanitize(input: &str) -> Cow<'_, str> {
    if !input.chars().any(needs_work) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(strip(input, true))
}

/// Strip control sequences and turn newlines and tabs into spaces: for
/// values that must stay on one line (names, table cells, status text).
pub fn sanitize_line(input: &str) -> Cow<'_, str> {
    if !input
        .chars()
        .any(|c| needs_work(c) || c == '\n' || c == '\t')
    {
        return Cow::Borrowed(input);
    }
    Cow::Owned(strip(input, false))
}

fn needs_work(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Text,
    /// After ESC.
    Escape,
    /// Inside CSI parameters, until a final byte 0x40–0x7E.
    Csi,
    /// Inside a string sequence (OSC, DCS, SOS, PM, APC) until BEL or ST.
    Str,
    /// ESC seen inside a string sequence: `\` ends it.
    StrEscape,
    /// Intermediate bytes of an nF escape, until a final byte.
    EscIntermediate,
}

fn strip(input: &str, keep_layout: bool) -> String {
    let mut out = String::with_capacity(input.len());
    let mut state = State::Text;
    for c in input.chars() {
        state = match state {
            State::Text => match c {
                '\u{1b}' => State::Escape,
                '\u{9b}' => State::Csi,
                '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => State::Str,
                '\n' | '\t' => {
                    out.push(if keep_layout { c } else { ' ' });
                    State::Text
                }
                c if c.is_control() || is_bidi_control(c) => State::Text,
                c => {
                    out.push(c);
                    State::Text
                }
            },
            State::Escape => match c {
                '[' => State::Csi,
                ']' | 'P' | 'X' | '^' | '_' => State::Str,
                '\u{20}'..='\u{2f}' => State::EscIntermediate,
                _ => State::Text,
            },
            State::EscIntermediate => match c {
                '\u{20}'..='\u{2f}' => State::EscIntermediate,
                _ => State::Text,
            },
            State::Csi => match c {
                '\u{40}'..='\u{7e}' => State::Text,
                '\u{1b}' => State::Escape,
                _ => State::Csi,
            },
            State::Str => match c {
                '\u{07}' | '\u{9c}' => State::Text,
                '\u{1b}' => State::StrEscape,
                _ => State::Str,
            },
            State::StrEscape => match c {
                '\\' => State::Text,
                '\u{1b}' => State::StrEscape,
                _ => State::Str,
            },
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(sanitize("hello wörld 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn csi_osc_and_c0_c1_controls_are_removed() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("x\x1b]0;evil title\x07y"), "xy");
        assert_eq!(sanitize("x\x1b]52;c;ZXZpbA==\x1b\\y"), "xy");
        assert_eq!(sanitize("x\x1bPdcs\x1b\\y"), "xy");
        assert_eq!(sanitize("bell\x07 back\x08 cr\r"), "bell back cr");
        assert_eq!(sanitize("c1\u{9b}31mcsi"), "c1csi");
        assert_eq!(sanitize("a\x1b(Bb"), "ab");
        assert_eq!(sanitize("rtl\u{202e}txt"), "rtltxt");
        assert_eq!(sanitize("keep\nlines\tand tabs"), "keep\nlines\tand tabs");
        assert_eq!(sanitize_line("one\nline\t"), "one line ");
    }

    #[test]
    fn unterminated_sequences_swallow_the_rest_not_the_terminal() {
        assert_eq!(sanitize("ok\x1b]8;;http://x"), "ok");
        assert_eq!(sanitize("ok\x1b["), "ok");
    }
}
