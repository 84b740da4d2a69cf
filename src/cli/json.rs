//! `--json` output.

use std::io::Write;

use anyhow::Result;

/// Pretty JSON on its own line, inert on a terminal.
pub fn print_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    writeln!(out, "{}", escape_json_controls(&text))?;
    Ok(())
}

/// serde_json escapes C0 controls; C1 controls and bidi overrides would
/// still reach the terminal raw. They can only occur inside JSON strings,
/// so escaping them as `\uXXXX` keeps the data exact and the output inert.
pub fn escape_json_controls(json: &str) -> std::borrow::Cow<'_, str> {
    let risky = |c: char| {
        ('\u{80}'..='\u{9f}').contains(&c)
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
