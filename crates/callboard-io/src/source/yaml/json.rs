//! The fast path for documents that are one JSON object.
//!
//! Only input that yaml-rust2 and the builder above are known to read the
//! same way is accepted: strict JSON (no trailing commas, no leading zeros),
//! separated by spaces and line breaks (`\n` or `\r\n`, no tabs), with no
//! duplicate keys, no surrogate `\u` escapes, no control, C1, BOM or
//! non-character code points, at most `MAX_JSON_DEPTH` deep, with only
//! blank lines, comments and a leading `---` around it. Everything else
//! returns `None` and goes through the YAML parser. Scalars are resolved by
//! the same core-schema functions as plain YAML scalars.

use serde_json::{Map, Value};

use super::scalar::resolve_plain;

/// Nesting accepted by the fast path (well inside both YAML limits).
pub(super) const MAX_JSON_DEPTH: usize = 64;

/// The value and 1-based line of a chunk that is one JSON object.
pub(super) fn parse_chunk(chunk: &str, line_offset: u32) -> Option<(Value, u32)> {
    let b = chunk.as_bytes();
    let mut r = Reader {
        s: chunk,
        b,
        i: 0,
        lines: 0,
    };
    if b.starts_with(b"---") && matches!(b.get(3), None | Some(b' ' | b'\n' | b'\r')) {
        r.i = 3;
    }
    r.skip_blank_and_comments()?;
    if r.peek() != Some(b'{') {
        return None;
    }
    let line = line_offset.saturating_add(r.lines).saturating_add(1);
    let value = r.value(0)?;
    r.skip_blank_and_comments()?;
    (r.i == b.len()).then_some((value, line))
}

struct Reader<'a> {
    s: &'a str,
    /// `s` as bytes.
    b: &'a [u8],
    i: usize,
    /// Line breaks passed.
    lines: u32,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// A line break at the cursor: its length, or `None` for a lone
    /// `\r` (a break in YAML, so lines would count differently).
    fn line_break(&self) -> Option<usize> {
        match (self.peek(), self.b.get(self.i + 1)) {
            (Some(b'\n'), _) => Some(1),
            (Some(b'\r'), Some(b'\n')) => Some(2),
            _ => None,
        }
    }

    /// Spaces and line breaks (JSON whitespace without tabs).
    fn skip_space(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ') => self.i += 1,
                Some(b'\n' | b'\r') => {
                    self.i += self.line_break()?;
                    self.lines += 1;
                }
                _ => return Some(()),
            }
        }
    }

    /// Spaces, line breaks and `#` comments (which must start a line or
    /// follow a space), outside the JSON value.
    fn skip_blank_and_comments(&mut self) -> Option<()> {
        loop {
            self.skip_space()?;
            if self.peek() != Some(b'#') {
                return Some(());
            }
            if self.i > 0 && !matches!(self.b[self.i - 1], b' ' | b'\n') {
                return None;
            }
            while let Some(c) = self.peek() {
                if c == b'\n' || c == b'\r' {
                    break;
                }
                if c != b'\t' && !plain_byte(self.b, self.i) {
                    return None;
                }
                self.i += 1;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string().map(Value::String),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_JSON_DEPTH {
            return None;
        }
        self.i += 1;
        let mut map = Map::new();
        self.skip_space()?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(Value::Object(map));
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.skip_space()?;
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.skip_space()?;
            let value = self.value(depth)?;
            // YAML rejects duplicate keys; the YAML path reports them.
            if map.insert(key, value).is_some() {
                return None;
            }
            self.skip_space()?;
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.skip_space()?;
                }
                b'}' => {
                    self.i += 1;
                    return Some(Value::Object(map));
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_JSON_DEPTH {
            return None;
        }
        self.i += 1;
        let mut items = Vec::new();
        self.skip_space()?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_space()?;
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.skip_space()?;
                }
                b']' => {
                    self.i += 1;
                    return Some(Value::Array(items));
                }
                _ => return None,
            }
        }
    }

    /// After a scalar: something that ends a plain scalar in both
    /// languages.
    fn at_delimiter(&self) -> bool {
        matches!(
            self.peek(),
            None | Some(b' ' | b'\n' | b'\r' | b',' | b']' | b'}')
        )
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        if !self.b[self.i..].starts_with(word.as_bytes()) {
            return None;
        }
        self.i += word.len();
        self.at_delimiter().then_some(value)
    }

    /// A JSON number, resolved as the same plain YAML scalar would be.
    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        let digits = |r: &mut Self| {
            let from = r.i;
            while r.peek().is_some_and(|c| c.is_ascii_digit()) {
                r.i += 1;
            }
            r.i - from
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        if !self.at_delimiter() {
            return None;
        }
        let text = self.s.get(start..self.i)?;
        Some(resolve_plain(text.to_string()))
    }

    /// A double-quoted string; the cursor is on the opening quote.
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let start = self.i;
        // Common case: no escapes.
        loop {
            match self.peek()? {
                b'"' => {
                    // Cut at ASCII quotes, so on character boundaries.
                    let s = self.s.get(start..self.i)?;
                    self.i += 1;
                    return Some(s.to_string());
                }
                b'\\' => break,
                _ if plain_byte(self.b, self.i) => self.i += 1,
                _ => return None,
            }
        }
        let mut out = self.s.get(start..self.i)?.to_string();
        loop {
            let run = self.i;
            while self.peek().is_some_and(|c| c != b'"' && c != b'\\') {
                if !plain_byte(self.b, self.i) {
                    return None;
                }
                self.i += 1;
            }
            out.push_str(self.s.get(run..self.i)?);
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => {
                    let escaped = self.b.get(self.i + 1).copied()?;
                    self.i += 2;
                    out.push(match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hex = self.b.get(self.i..self.i + 4)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            let code =
                                u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                            self.i += 4;
                            if (0xD800..0xDC00).contains(&code) {
                                // A surrogate pair, as Python's json.dumps
                                // writes characters outside the BMP: one
                                // character (YAML 1.2 reads it so too).
                                // A lone surrogate is refused.
                                let low = self.b.get(self.i..self.i + 6)?;
                                if low[0] != b'\\' || low[1] != b'u' {
                                    return None;
                                }
                                let low =
                                    u32::from_str_radix(std::str::from_utf8(&low[2..]).ok()?, 16)
                                        .ok()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return None;
                                }
                                self.i += 6;
                                char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))?
                            } else {
                                char::from_u32(code)?
                            }
                        }
                        _ => return None,
                    });
                }
            }
        }
    }
}

/// Whether the byte at `i` may appear as itself in a string or comment:
/// printable ASCII, or a UTF-8 sequence that is not a C1 control
/// (U+0080–U+009F), a BOM (U+FEFF) or U+FFFE/U+FFFF.
fn plain_byte(b: &[u8], i: usize) -> bool {
    match b[i] {
        0x20..=0x7e => true,
        0xc2 => !matches!(b.get(i + 1), Some(0x80..=0x9f)),
        0xef => !matches!(
            (b.get(i + 1), b.get(i + 2)),
            (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
        ),
        c => c >= 0x80,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_chunk as yaml_chunk, parse_documents, MAX_ALIAS_NODES};
    use super::*;

    use serde_json::Number;

    /// The YAML path's reading of a chunk: (value, line) of its only
    /// document, or `None` when it has errors or another shape.
    fn yaml_reading(chunk: &str, line_offset: u32) -> Option<(Value, u32)> {
        let (mut docs, errors, _) = yaml_chunk(chunk, line_offset, MAX_ALIAS_NODES, false);
        (errors.is_empty() && docs.len() == 1).then(|| {
            let d = docs.remove(0);
            (d.value, d.line)
        })
    }

    /// Whatever the fast path accepts, the YAML path reads the same way.
    fn assert_json_agrees(chunk: &str) {
        if let Some(fast) = parse_chunk(chunk, 3) {
            assert_eq!(Some(fast), yaml_reading(chunk, 3), "{chunk:?}");
        }
    }

    #[test]
    fn json_documents_take_the_fast_path_and_agree_with_yaml() {
        let accepted = [
            "{}",
            "{\"a\":1}\n",
            "---\n{\"a\":1}\n",
            "--- {\"a\": [1, 2.5, -0, 1e3, 1E-2, 0.0, true, false, null]}\n",
            "# c\n\n  {\"a\":\"b\"}  # y\n# z\n",
            "---  # x\n{\"a\":\"b\"}\n",
            "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\",\"metadata\":{\"name\":\"x\"},\"spec\":{\"children\":[]}}\r\n",
            "{\n  \"a\": {\n    \"b\": [\n      1,\n      \"x\"\n    ]\n  },\n\"c\" :\n[ ]\n}\n",
            "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u0000\\u2028 é ✓ 😀\"}",
            "{\"\":\"\",\"n\":99999999999999999999,\"m\":-9223372036854775809,\"big\":1e400}",
            "{\"#\":\"# not a comment\",\"k: v\":\"- x\",\"&a\":\"*a\",\"[\":\"]\"}",
        ];
        for chunk in accepted {
            assert!(parse_chunk(chunk, 3).is_some(), "{chunk:?}");
            assert_json_agrees(chunk);
        }
        let refused = [
            "{\"a\":1,\"a\":2}",
            "{\"a\":1,}",
            "[1]",
            "{\"a\":01}",
            "{\"a\":\t1}",
            "{\"a\":1}\r{}",
            "{\"a\":\"\\ud83d\"}",
            "{\"a\":\"\\ude00\\ud83d\"}",
            "{\"a\":\"\u{85}\"}",
            "{\"a\":\"\u{feff}\"}",
            "{\"a\":\"\u{7f}\"}",
            "{\"a\":1}#c",
            "{\"a\":1}\n...\n",
            "%YAML 1.2\n---\n{}",
            "{\"a\":1}: 2",
            "{a: 1}",
            "{\"a\":tru}",
            "{\"a\":1.}",
        ];
        for chunk in refused {
            assert!(parse_chunk(chunk, 3).is_none(), "{chunk:?}");
        }
        let deep = format!("{}{}", "{\"a\":".repeat(65), "}".repeat(65));
        assert!(parse_chunk(&deep, 0).is_none());
    }

    #[test]
    fn json_documents_have_positions_and_errors_like_yaml() {
        let text = "---\n{\"a\":1,\n \"spec\":{\"b\":[\"x\",\"y\"]}}\n---\n{\"a\":1,\"a\":2}\n";
        let (docs, errors) = parse_documents(text);
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].line, 2);
        assert_eq!(docs[0].position(""), (2, 1));
        assert_eq!(docs[0].position("spec.b[1]"), (3, 19));
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column), (5, 8), "{errors:?}");
        assert!(errors[0].message.contains("duplicate key 'a'"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        #[test]
        fn json_fast_path_agrees_with_yaml(
            value in json_value(),
            layout in proptest::collection::vec(0u8..8, 0..64),
        ) {
            assert_json_agrees(&layout_json(&value, &layout));
        }
    }

    /// JSON objects with keys and strings drawn from characters YAML cares
    /// about.
    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let text = || {
            proptest::string::string_regex(
                "([a-z]|[-:#&*!|>'%@` ,?\\[\\]{}\\\\\"/]|\\.|é|\u{85}|\u{2028}|\t|\n|\u{0}){0,6}",
            )
            .unwrap()
        };
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((text(), inner), 0..4)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
        .prop_map(|v| match v {
            Value::Object(_) => v,
            other => serde_json::json!({ "k": other }),
        })
    }

    /// Serialise `value` as JSON, putting the whitespace picked by `layout`
    /// (none, spaces, line breaks, CRLF, indentation) after each token.
    fn layout_json(value: &Value, layout: &[u8]) -> String {
        let compact = serde_json::to_string(value).unwrap();
        let mut out = String::new();
        let mut n = 0;
        let mut in_string = false;
        let mut escaped = false;
        for c in compact.chars() {
            out.push(c);
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                if in_string {
                    continue;
                }
            } else if c == '"' {
                in_string = true;
                continue;
            }
            let pick = layout.get(n).copied().unwrap_or(0);
            n += 1;
            out.push_str(match pick {
                1 => " ",
                2 => "\n",
                3 => "\r\n",
                4 => "\n  ",
                5 => "  \n\n",
                _ => "",
            });
        }
        match layout.first() {
            Some(1) => format!("---\n{out}\n"),
            Some(2) => format!("# c\n{out} # d\n"),
            _ => out,
        }
    }

    #[test]
    fn surrogate_pair_escapes_are_one_character() {
        let (v, _) = parse_chunk("{\"name\": \"\\ud83d\\udc68 \\u00e9\"}", 0).unwrap();
        assert_eq!(v["name"], "\u{1f468} \u{e9}");
        // Through the loader too (a whole JSON catalog file).
        let (docs, errors) = super::super::parse_documents(
            "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"User\", \"metadata\": {\"name\": \"u\", \"title\": \"\\ud83d\\udc68\"}}\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(docs[0].value["metadata"]["title"], "\u{1f468}");
    }
}
