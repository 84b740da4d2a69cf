//! YAML output for `catalog:write`, in the style of the `yaml` npm
//! package's `stringify` that the scaffolder uses (YAML 1.2 core schema,
//! two-space indent, indented sequences, double quotes only where a plain
//! scalar would be misread, single quotes to avoid escaping `"`, `|` or
//! folded `>` blocks for multi-line strings, lines folded at 80 columns the
//! way `yaml`'s `foldFlowLines` does).

use serde_json::Value;

pub fn stringify(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => write_map(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => write_seq(a, 0, &mut out),
        other => {
            let ctx = Ctx {
                indent: 0,
                indent_at_start: None,
                implicit_key: false,
            };
            out.push_str(&scalar(other, ctx));
            out.push('\n');
        }
    }
    out
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// Where a scalar sits: the indentation of its continuation lines, the
/// column its first line starts at (as `yaml` counts it), and whether it
/// is a mapping key.
#[derive(Clone, Copy)]
struct Ctx {
    indent: usize,
    indent_at_start: Option<usize>,
    implicit_key: bool,
}

fn key_ctx(indent: usize) -> Ctx {
    Ctx {
        indent,
        indent_at_start: None,
        implicit_key: true,
    }
}

fn write_map(m: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (k, v) in m {
        out.push_str(&pad(indent));
        write_pair(k, v, indent, out);
    }
}

/// `key: value` without the leading indentation.
fn write_pair(k: &str, v: &Value, indent: usize, out: &mut String) {
    let key = string_scalar(k, key_ctx(indent));
    out.push_str(&key);
    out.push(':');
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(m, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(a, indent + 2, out);
        }
        other => {
            out.push(' ');
            let ctx = Ctx {
                indent: indent + 2,
                indent_at_start: Some(key.chars().count() + 2),
                implicit_key: false,
            };
            out.push_str(&scalar(other, ctx));
            out.push('\n');
        }
    }
}

fn write_seq(a: &[Value], indent: usize, out: &mut String) {
    for v in a {
        out.push_str(&pad(indent));
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                // The first key sits on the dash line.
                for (i, (k, v)) in m.iter().enumerate() {
                    if i == 0 {
                        out.push(' ');
                    } else {
                        out.push_str(&pad(indent + 2));
                    }
                    write_pair(k, v, indent + 2, out);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(inner, indent + 2, out);
            }
            other => {
                out.push(' ');
                let ctx = Ctx {
                    indent: indent + 2,
                    indent_at_start: None,
                    implicit_key: false,
                };
                out.push_str(&scalar(other, ctx));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value, ctx: Ctx) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => super::value::js_number(f),
            _ => n.to_string(),
        },
        Value::String(s) => string_scalar(s, ctx),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// `yaml`'s `plainString`: plain when unambiguous, else quoted, or a
/// block scalar for multi-line values.
fn string_scalar(s: &str, ctx: Ctx) -> String {
    // Control characters force double quotes.
    if s.chars()
        .any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'))
    {
        return double_quoted(s, ctx);
    }
    if ctx.implicit_key && s.contains('\n') {
        return quoted(s, ctx);
    }
    if s.is_empty() || plain_forbidden(s) {
        return if ctx.implicit_key || !s.contains('\n') {
            quoted(s, ctx)
        } else {
            block(s, ctx)
        };
    }
    if !ctx.implicit_key && s.contains('\n') {
        return block(s, ctx);
    }
    if looks_like_other_type(s) {
        return quoted(s, ctx);
    }
    if ctx.implicit_key {
        s.to_string()
    } else {
        fold(s, ctx.indent, Fold::Flow, ctx.indent_at_start)
    }
}

/// `/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/`
fn plain_forbidden(s: &str) -> bool {
    let c: Vec<char> = s.chars().collect();
    let first = c[0];
    if "\n\t ,[]{}#&*!|>'\"%@`".contains(first) {
        return true;
    }
    if (first == '?' || first == '-') && (c.len() == 1 || c[1] == ' ' || c[1] == '\t') {
        return true;
    }
    for w in c.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a == '\n' || a == ':') && (b == ' ' || b == '\t') {
            return true;
        }
        if (a == ' ' || a == '\t') && b == '\n' {
            return true;
        }
        if (a == '\n' || a == '\t' || a == ' ') && b == '#' {
            return true;
        }
    }
    matches!(c[c.len() - 1], '\n' | '\t' | ' ' | ':')
}

fn quoted(s: &str, ctx: Ctx) -> String {
    let has_double = s.contains('"');
    let has_single = s.contains('\'');
    if has_double && !has_single {
        single_quoted(s, ctx)
    } else {
        double_quoted(s, ctx)
    }
}

fn single_quoted(s: &str, ctx: Ctx) -> String {
    let awkward =
        s.contains(" \n") || s.contains("\t\n") || s.contains("\n ") || s.contains("\n\t");
    if (ctx.implicit_key && s.contains('\n')) || awkward {
        return double_quoted(s, ctx);
    }
    let escaped = s.replace('\'', "''");
    let body = newline_runs(&escaped, &format!("\n{}", pad(ctx.indent)));
    let res = format!("'{body}'");
    if ctx.implicit_key {
        res
    } else {
        fold(&res, ctx.indent, Fold::Flow, ctx.indent_at_start)
    }
}

/// Each run of newlines followed by `suffix` (`$&suffix`).
fn newline_runs(s: &str, suffix: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\n' {
            while i < chars.len() && chars[i] == '\n' {
                out.push('\n');
                i += 1;
            }
            out.push_str(suffix);
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// `JSON.stringify(s)`: the escapes `yaml` starts its double-quoted
/// strings from.
fn json_quote(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// `yaml`'s `doubleQuotedString`: JSON escapes, a few YAML short forms.
fn double_quoted(s: &str, ctx: Ctx) -> String {
    let json: Vec<char> = json_quote(s).chars().collect();
    let indent = pad(ctx.indent);
    let slice = |a: usize, b: usize| json[a..b.min(json.len())].iter().collect::<String>();
    let mut out = String::new();
    let mut start = 0;
    let mut i = 0;
    while i < json.len() {
        let mut ch = json[i];
        if ch == ' ' && json.get(i + 1) == Some(&'\\') && json.get(i + 2) == Some(&'n') {
            // A space before a newline is escaped so folding keeps it.
            out.push_str(&slice(start, i));
            out.push_str("\\ ");
            i += 1;
            start = i;
            ch = '\\';
        }
        if ch == '\\' {
            match json.get(i + 1) {
                Some('u') => {
                    out.push_str(&slice(start, i));
                    let code = slice(i + 2, i + 6);
                    match code.as_str() {
                        "0000" => out.push_str("\\0"),
                        "0007" => out.push_str("\\a"),
                        "000b" => out.push_str("\\v"),
                        "001b" => out.push_str("\\e"),
                        "0085" => out.push_str("\\N"),
                        "00a0" => out.push_str("\\_"),
                        "2028" => out.push_str("\\L"),
                        "2029" => out.push_str("\\P"),
                        c if c.starts_with("00") => {
                            out.push_str("\\x");
                            out.push_str(&c[2..]);
                        }
                        _ => out.push_str(&slice(i, i + 6)),
                    }
                    i += 5;
                    start = i + 1;
                }
                Some('n') => {
                    if ctx.implicit_key || json.get(i + 2) == Some(&'"') || json.len() < 40 {
                        i += 1;
                    } else {
                        // Folding eats the first newline.
                        out.push_str(&slice(start, i));
                        out.push_str("\n\n");
                        while json.get(i + 2) == Some(&'\\')
                            && json.get(i + 3) == Some(&'n')
                            && json.get(i + 4) != Some(&'"')
                        {
                            out.push('\n');
                            i += 2;
                        }
                        out.push_str(&indent);
                        if json.get(i + 2) == Some(&' ') {
                            out.push('\\');
                        }
                        i += 1;
                        start = i + 1;
                    }
                }
                _ => i += 1,
            }
        }
        i += 1;
    }
    let text = if start > 0 {
        out + &slice(start, json.len())
    } else {
        json.iter().collect()
    };
    if ctx.implicit_key {
        text
    } else {
        fold(&text, ctx.indent, Fold::Quoted, ctx.indent_at_start)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fold {
    Flow,
    Quoted,
    Block,
}

const LINE_WIDTH: usize = 80;
const MIN_CONTENT_WIDTH: usize = 20;

/// `yaml`'s `foldFlowLines`: break long lines at single spaces (and, in
/// double quotes, anywhere with a `\` escape) so each fits in 80 columns.
fn fold(text: &str, indent: usize, mode: Fold, indent_at_start: Option<usize>) -> String {
    let t: Vec<char> = text.chars().collect();
    let end_step = (1 + MIN_CONTENT_WIDTH).max((1 + LINE_WIDTH).saturating_sub(indent));
    if t.len() <= end_step {
        return text.to_string();
    }
    let mut folds: Vec<usize> = Vec::new();
    let mut escaped_folds = std::collections::HashSet::new();
    let mut end = LINE_WIDTH as isize - indent as isize;
    if let Some(at) = indent_at_start {
        if at > LINE_WIDTH - 2usize.max(MIN_CONTENT_WIDTH) {
            folds.push(0);
        } else {
            end = (LINE_WIDTH - at) as isize;
        }
    }
    let mut split: Option<usize> = None;
    let mut prev: Option<char> = None;
    let mut i: isize = -1;
    let mut esc_start: isize = -1;
    let mut esc_end: isize = -1;
    if mode == Fold::Block {
        let e = consume_more_indented(&t, i, indent);
        if e != -1 {
            end = e + end_step as isize;
        }
        i = e;
    }
    loop {
        i += 1;
        let Some(&c) = t.get(i as usize) else { break };
        let mut ch = c;
        if mode == Fold::Quoted && ch == '\\' {
            esc_start = i;
            i += match t.get(i as usize + 1) {
                Some('x') => 3,
                Some('u') => 5,
                Some('U') => 9,
                _ => 1,
            };
            esc_end = i;
        }
        if ch == '\n' {
            if mode == Fold::Block {
                i = consume_more_indented(&t, i, indent);
            }
            end = i + indent as isize + end_step as isize;
            split = None;
        } else {
            if ch == ' ' && prev.is_some_and(|p| p != ' ' && p != '\n' && p != '\t') {
                let next = t.get(i as usize + 1);
                if next.is_some_and(|n| *n != ' ' && *n != '\n' && *n != '\t') {
                    split = Some(i as usize);
                }
            }
            if i >= end {
                if let Some(sp) = split.filter(|s| *s > 0) {
                    folds.push(sp);
                    end = (sp + end_step) as isize;
                    split = None;
                } else if mode == Fold::Quoted {
                    while prev == Some(' ') || prev == Some('\t') {
                        prev = Some(ch);
                        i += 1;
                        ch = t.get(i as usize).copied().unwrap_or('\0');
                    }
                    let j = if i > esc_end + 1 {
                        i - 2
                    } else {
                        esc_start - 1
                    };
                    if j < 0 || !escaped_folds.insert(j as usize) {
                        return text.to_string();
                    }
                    folds.push(j as usize);
                    end = j + end_step as isize;
                    split = None;
                }
            }
        }
        prev = Some(ch);
    }
    if folds.is_empty() {
        return text.to_string();
    }
    let ind = pad(indent);
    let s = |a: usize, b: usize| t[a.min(t.len())..b.min(t.len())].iter().collect::<String>();
    let mut res = s(0, folds[0]);
    for (k, &f) in folds.iter().enumerate() {
        let e = folds.get(k + 1).copied().unwrap_or(t.len());
        if f == 0 {
            res = format!("\n{ind}{}", s(0, e));
        } else {
            if mode == Fold::Quoted && escaped_folds.contains(&f) {
                res.push(t[f]);
                res.push('\\');
            }
            res.push('\n');
            res.push_str(&ind);
            res.push_str(&s(f + 1, e));
        }
    }
    res
}

fn consume_more_indented(t: &[char], mut i: isize, indent: usize) -> isize {
    let mut end = i;
    let mut start = i + 1;
    let mut ch = t.get(start as usize).copied();
    while ch == Some(' ') || ch == Some('\t') {
        if i < start + indent as isize {
            i += 1;
            ch = t.get(i as usize).copied();
        } else {
            loop {
                i += 1;
                ch = t.get(i as usize).copied();
                if ch.is_none() || ch == Some('\n') {
                    break;
                }
            }
            end = i;
            start = i + 1;
            ch = t.get(start as usize).copied();
        }
    }
    end
}

fn line_length_over_limit(s: &str, indent: usize) -> bool {
    let limit = LINE_WIDTH.saturating_sub(indent);
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= limit {
        return false;
    }
    let mut start = 0;
    for (i, c) in chars.iter().enumerate() {
        if *c == '\n' {
            if i - start > limit {
                return true;
            }
            start = i + 1;
            if chars.len() - start <= limit {
                return false;
            }
        }
    }
    true
}

/// `yaml`'s `blockString`: `|` when every line fits, else folded `>`.
fn block(value: &str, ctx: Ctx) -> String {
    let trailing_ws_line = {
        let trimmed = value.trim_end_matches([' ', '\t']);
        trimmed.len() != value.len() && trimmed.ends_with('\n')
    };
    if trailing_ws_line || value.trim().is_empty() {
        return quoted(value, ctx);
    }
    let ind = pad(ctx.indent);
    let literal = !line_length_over_limit(value, ctx.indent);
    // Chomping from the whitespace at the end.
    let end_start = value.trim_end_matches(['\n', '\t', ' ']).len();
    let mut end = value[end_start..].to_string();
    let chomp = match end.find('\n') {
        None => "-",
        Some(p) if end_start == 0 || p != end.len() - 1 => "+",
        Some(_) => "",
    };
    let mut body = value[..end_start].to_string();
    if !end.is_empty() {
        if end.ends_with('\n') {
            end.pop();
        }
        // `/\n+(?!\n|$)/`: no indentation after the final newlines.
        let kept = end.trim_end_matches('\n').len();
        let tail = end[kept..].to_string();
        end = newline_runs(&end[..kept], &ind) + &tail;
    }
    // Indentation indicator from whitespace at the start.
    let mut start_with_space = false;
    let mut start_end = 0;
    let mut start_nl: Option<usize> = None;
    for (i, c) in body.char_indices() {
        match c {
            ' ' => start_with_space = true,
            '\n' => start_nl = Some(i),
            _ => {
                start_end = i;
                break;
            }
        }
        start_end = i + c.len_utf8();
    }
    let start_len = match start_nl {
        Some(p) if p < start_end => p + 1,
        _ => start_end,
    };
    let start_len = if start_nl.is_none() { 0 } else { start_len };
    let mut start = body[..start_len].to_string();
    if !start.is_empty() {
        body = body[start_len..].to_string();
        start = newline_runs(&start, &ind);
    }
    let header = format!(
        "{}{}{chomp}",
        if literal { '|' } else { '>' },
        if start_with_space {
            if ctx.indent > 0 {
                "2"
            } else {
                "1"
            }
        } else {
            ""
        }
    );
    if literal {
        let body = newline_runs(&body, &ind);
        return format!("{header}\n{ind}{start}{body}{end}");
    }
    // Folded: every line break doubled, then folded at spaces.
    let doubled = {
        let mut out = String::new();
        let chars: Vec<char> = body.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '\n' {
                out.push('\n');
                while i < chars.len() && chars[i] == '\n' {
                    out.push('\n');
                    i += 1;
                }
            } else {
                out.push(chars[i]);
                i += 1;
            }
        }
        out
    };
    let body = newline_runs(&doubled, &ind);
    let folded = fold(
        &format!("{start}{body}{end}"),
        ctx.indent,
        Fold::Block,
        Some(ctx.indent),
    );
    format!("{header}\n{ind}{folded}")
}

/// Strings the core schema would read as something else.
fn looks_like_other_type(s: &str) -> bool {
    matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) || is_yaml_number(s)
}

fn is_yaml_number(s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    if let Some(h) = s.strip_prefix("0x") {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(o) = s.strip_prefix("0o") {
        return !o.is_empty() && o.chars().all(|c| ('0'..='7').contains(&c));
    }
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    if matches!(t, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // [0-9]+ | \.[0-9]+ | [0-9]+\.[0-9]* , then an optional exponent.
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(p) => (&t[..p], Some(&t[p + 1..])),
        None => (t, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        None => digits(mantissa),
        Some((a, b)) => (a.is_empty() && digits(b)) || (digits(a) && (b.is_empty() || digits(b))),
    };
    match exp {
        None => mantissa_ok,
        Some(e) => mantissa_ok && digits(e.strip_prefix(['-', '+']).unwrap_or(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected text taken from the live scaffolder's `catalog:write`.
    #[test]
    fn matches_the_scaffolder_for_common_shapes() {
        let v = json!({"apiVersion": "v1", "kind": "C", "metadata": {"name": "x", "tags": ["a", "true", "123", ""],
            "annotations": {"x/y": "multi\nline\n", "e": {}, "q": "it's"}},
            "spec": {"s": "- dash", "t": "a #b", "u": "x: y", "v": "@at", "w": " lead", "k": "yes", "m": "~",
                     "o": "null", "p": "1e3", "q": "0x1F", "r": "{a}", "n": 1.5, "b": true, "z": null,
                     "list": [{"a": 1, "b": []}]}});
        let want = "apiVersion: v1\nkind: C\nmetadata:\n  name: x\n  tags:\n    - a\n    - \"true\"\n    - \"123\"\n    - \"\"\n  annotations:\n    x/y: |\n      multi\n      line\n    e: {}\n    q: it's\nspec:\n  s: \"- dash\"\n  t: \"a #b\"\n  u: \"x: y\"\n  v: \"@at\"\n  w: \" lead\"\n  k: yes\n  m: \"~\"\n  o: \"null\"\n  p: \"1e3\"\n  q: \"0x1F\"\n  r: \"{a}\"\n  n: 1.5\n  b: true\n  z: null\n  list:\n    - a: 1\n      b: []\n";
        assert_eq!(stringify(&v), want);
    }
}
