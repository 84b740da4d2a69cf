//! `--json` output.

use std::io::Write;

use anyhow::Result;

/// Pretty JSON on its own line, inert on a terminal.
pub fn print_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    writeln!(out, "{}", escape_json_controls(&text))?;
    Ok(())
}

/// serde_json escapes C0 controls; DEL, C1 controls, U+2028/U+2029 and
/// bidi overrides would still reach the terminal raw. They can only occur inside JSON strings,
/// so escaping them as `\uXXXX` keeps the data exact and the output inert.
pub fn escape_json_controls(json: &str) -> std::borrow::Cow<'_, str> {
    let risky = |c: char| {
        // DEL and the line and paragraph separators too: a terminal or a
        // JavaScript reader treats them as more than text.
        ('\u{7f}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{2028}' | '\u{2029}')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
    };
    if !json.chars().any(risky) {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if risky(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn del_and_line_separators_are_escaped_like_c1_controls() {
        let json = serde_json::to_string(&"a\u{7f}b\u{2028}c\u{2029}d\u{85}e").unwrap();
        let out = escape_json_controls(&json);
        assert_eq!(out, "\"a\\u007fb\\u2028c\\u2029d\\u0085e\"");
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "a\u{7f}b\u{2028}c\u{2029}d\u{85}e");
    }
}
