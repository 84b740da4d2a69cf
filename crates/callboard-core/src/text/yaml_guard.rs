//! The limits every YAML reader of the program applies before it builds a
//! value: aliases may expand to at most [`MAX_ALIAS_NODES`] values (an
//! "alias bomb" of a few hundred bytes otherwise expands to billions) and
//! nesting may go [`MAX_DEPTH`] levels deep. The catalog loader counts the
//! same way while it builds; the other readers (`mkdocs.yml`, the config,
//! template files, `--values`, API definitions) call [`check`] first.
//!
//! The check reads the event stream once and keeps one number per anchor:
//! linear in the text, whatever the aliases would expand to.

use yaml_rust2::parser::{Event, Parser};

/// The most values aliases may expand to in one text.
pub const MAX_ALIAS_NODES: usize = 1_000_000;
/// The deepest nesting accepted.
pub const MAX_DEPTH: usize = 128;

/// Refuse `text` when its aliases would expand past [`MAX_ALIAS_NODES`]
/// values or it nests deeper than [`MAX_DEPTH`]. Syntax errors are left to
/// the reader (it reports them with positions).
pub fn check(text: &str) -> Result<(), String> {
    let mut parser = Parser::new_from_str(text);
    // Values so far, aliases expanded (counted, not built).
    let mut total: usize = 0;
    // Size of the value each anchor names.
    let mut sizes: std::collections::HashMap<usize, usize> = Default::default();
    // Open collections: (anchor, total when opened).
    let mut open: Vec<(usize, usize)> = Vec::new();
    loop {
        let event = match parser.next_token() {
            Ok((event, _)) => event,
            Err(_) => return Ok(()),
        };
        match event {
            Event::StreamEnd => return Ok(()),
            Event::Scalar(_, _, anchor, _) => {
                total += 1;
                if anchor > 0 {
                    sizes.insert(anchor, 1);
                }
            }
            Event::Alias(id) => {
                total = total.saturating_add(sizes.get(&id).copied().unwrap_or(1));
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, total));
                if open.len() > MAX_DEPTH {
                    return Err(format!("YAML nested deeper than {MAX_DEPTH} levels"));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                total += 1;
                if let Some((anchor, start)) = open.pop() {
                    if anchor > 0 {
                        sizes.insert(anchor, total - start);
                    }
                }
            }
            _ => {}
        }
        if total > MAX_ALIAS_NODES {
            return Err(format!(
                "aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?); not read"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nine anchors, each listing the previous one nine times: 9^9 values
    /// from under 500 bytes.
    pub(crate) fn alias_bomb() -> String {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(", ")));
        }
        text
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused_plain_aliases_are_not() {
        let bomb = alias_bomb();
        assert!(bomb.len() < 500);
        let e = check(&bomb).unwrap_err();
        assert!(e.contains("aliases expand"), "{e}");
        assert!(check(&format!("{}x{}", "[".repeat(200), "]".repeat(200))).is_err());
        check("base: &b {x: 1}\nuse: *b\nlist: [*b, *b]\n").unwrap();
        check("site_name: x\nnav: [\n").unwrap();
    }
}
