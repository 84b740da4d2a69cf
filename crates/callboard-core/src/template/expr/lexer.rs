//! The template lexer: text, `${{ … }}`, `{% … %}` and `{# … #}` tags,
//! `{% raw %}`, and Nunjucks' whitespace control (`-`, `trimBlocks`,
//! `lstripBlocks`).

use super::{err, Syntax};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Text(String),
    /// `(source, trims_before, trims_after)`
    Var(String, bool, bool),
    Block(String, bool, bool),
    Comment(bool, bool),
    Raw(String),
}

pub(super) fn lex(src: &str, syntax: Syntax) -> Result<Vec<Tok>, String> {
    let var_start = syntax.var_start();
    let mut toks = Vec::new();
    let mut rest = src;
    let mut text = String::new();
    let mut after_block = false;
    // Where each delimiter next occurs (absolute offsets), searched again
    // only once passed: a delimiter that no longer occurs is not searched
    // for at every tag (that made lexing quadratic).
    let delims = [var_start, "{%", "{#"];
    // `None`: to search; `Some(None)`: occurs no more.
    let mut next_at: [Option<Option<usize>>; 3] = [None; 3];
    while !rest.is_empty() {
        let offset = src.len() - rest.len();
        for (k, d) in delims.iter().enumerate() {
            let stale = match next_at[k] {
                None => true,
                Some(Some(at)) => at < offset,
                Some(None) => false,
            };
            if stale {
                next_at[k] = Some(rest.find(d).map(|i| offset + i));
            }
        }
        let next = delims
            .iter()
            .enumerate()
            .filter_map(|(k, d)| next_at[k].flatten().map(|i| (i - offset, *d)))
            .min_by_key(|(i, d)| (*i, std::cmp::Reverse(d.len())));
        let Some((at, delim)) = next else {
            let mut tail = rest;
            if after_block && syntax.trim_blocks {
                tail = tail
                    .strip_prefix("\r\n")
                    .or_else(|| tail.strip_prefix('\n'))
                    .unwrap_or(tail);
            }
            text.push_str(tail);
            break;
        };
        let mut before = &rest[..at];
        if after_block && syntax.trim_blocks {
            before = before
                .strip_prefix("\r\n")
                .or_else(|| before.strip_prefix('\n'))
                .unwrap_or(before);
        }
        after_block = false;
        text.push_str(before);
        let mut inner_start = at + delim.len();
        let trim_before = rest[inner_start..].starts_with('-');
        if trim_before {
            inner_start += 1;
        }
        if delim != var_start && syntax.lstrip_blocks && !trim_before {
            // Drop spaces and tabs between the line start and the tag.
            let line_start = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
            if text[line_start..].chars().all(|c| c == ' ' || c == '\t') {
                text.truncate(line_start);
            }
        }
        if !text.is_empty() {
            toks.push(Tok::Text(std::mem::take(&mut text)));
        }
        let end = match delim {
            "{%" => "%}",
            "{#" => "#}",
            _ => "}}",
        };
        let body = &rest[inner_start..];
        let close = if delim == "{#" {
            body.find(end)
        } else {
            find_tag_end(body, end)
        };
        let Some(close) = close else {
            return err(format!("unclosed tag: expected `{end}`"));
        };
        let mut inner = &body[..close];
        let trim_after = inner.ends_with('-');
        if trim_after {
            inner = &inner[..inner.len() - 1];
        }
        rest = &body[close + end.len()..];
        match delim {
            "{#" => {
                toks.push(Tok::Comment(trim_before, trim_after));
                after_block = true;
            }
            "{%" => {
                let word = inner.trim();
                if word == "raw" || word == "verbatim" {
                    let end_word = if word == "raw" {
                        "endraw"
                    } else {
                        "endverbatim"
                    };
                    let (raw, after) = find_raw_end(rest, end_word)
                        .ok_or_else(|| format!("unclosed `{{% {word} %}}`"))?;
                    toks.push(Tok::Block(word.into(), trim_before, false));
                    toks.push(Tok::Raw(raw.to_string()));
                    toks.push(Tok::Block(end_word.into(), false, after.1));
                    rest = after.0;
                } else {
                    toks.push(Tok::Block(inner.to_string(), trim_before, trim_after));
                }
                after_block = true;
            }
            _ => toks.push(Tok::Var(inner.to_string(), trim_before, trim_after)),
        }
    }
    if !text.is_empty() {
        toks.push(Tok::Text(text));
    }
    // Whitespace control, as Nunjucks' parser applies it to data tokens.
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut drop_leading = false;
    for i in 0..toks.len() {
        match &toks[i] {
            Tok::Text(t) => {
                let mut t = t.as_str();
                if drop_leading {
                    t = t.trim_start();
                }
                let next_trims = match toks.get(i + 1) {
                    Some(Tok::Var(_, b, _) | Tok::Block(_, b, _) | Tok::Comment(b, _)) => *b,
                    _ => false,
                };
                if next_trims {
                    t = t.trim_end();
                }
                drop_leading = false;
                out.push(Tok::Text(t.to_string()));
            }
            Tok::Var(_, _, a) | Tok::Block(_, _, a) | Tok::Comment(_, a) => {
                drop_leading = *a;
                out.push(toks[i].clone());
            }
            Tok::Raw(_) => {
                drop_leading = false;
                out.push(toks[i].clone());
            }
        }
    }
    Ok(out)
}

/// The end delimiter of a tag, skipping string literals inside it.
fn find_tag_end(body: &str, end: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            _ => {
                // Bytes, not `str` slices: `i` may be inside a character.
                if bytes[i..].starts_with(end.as_bytes()) {
                    return Some(i);
                }
                if bytes[i] == b'-' && bytes[i + 1..].starts_with(end.as_bytes()) {
                    return Some(i + 1);
                }
                i += 1;
            }
        }
    }
    None
}

/// `(raw text, (rest after the end tag, end tag trims after))`.
fn find_raw_end<'a>(rest: &'a str, end_word: &str) -> Option<(&'a str, (&'a str, bool))> {
    let mut from = 0;
    while let Some(pos) = rest[from..].find("{%") {
        let at = from + pos;
        let after = &rest[at + 2..];
        let close = after.find("%}")?;
        let inner = &after[..close];
        let trimmed = inner.trim_start_matches('-').trim_end_matches('-').trim();
        if trimmed == end_word {
            return Some((&rest[..at], (&after[close + 2..], inner.ends_with('-'))));
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzz harness: a quote inside a tag made the end search
    /// slice inside a multi-byte character.
    #[test]
    fn a_tag_end_after_a_multibyte_character_does_not_panic() {
        assert_eq!(find_tag_end("a\u{fffd}b }}", "}}"), Some(6));
        assert_eq!(find_tag_end("'\\\u{e9}x' }}", "}}"), Some(7));
        assert_eq!(find_tag_end("\u{e9} -}}", "}}"), Some(4));
    }
}
