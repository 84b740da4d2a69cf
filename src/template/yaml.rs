//! YAML output for `catalog:write`, in the style of the `yaml` npm
//! package's `stringify` that the scaffolder uses (YAML 1.2 core schema,
//! two-space indent, indented sequences, double quotes only where a plain
//! scalar would be misread, `|` blocks for multi-line strings).
//!
//! Not reproduced: `yaml`'s folding of scalars longer than 80 columns.

use serde_json::Value;

pub fn stringify(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => write_map(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => write_seq(a, 0, &mut out),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

fn write_map(m: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (k, v) in m {
        out.push_str(&pad(indent));
        out.push_str(&string_scalar(k, indent));
        out.push(':');
        write_value_after_key(v, indent, out);
    }
}

fn write_value_after_key(v: &Value, indent: usize, out: &mut String) {
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
            out.push_str(&scalar(other, indent + 2));
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
                let mut first = true;
                for (k, v) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        out.push_str(&pad(indent + 2));
                    }
                    out.push_str(&string_scalar(k, indent + 2));
                    out.push(':');
                    write_value_after_key(v, indent + 2, out);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(inner, indent + 2, out);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => super::expr::js_number(f),
            _ => n.to_string(),
        },
        Value::String(s) => string_scalar(s, indent),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn string_scalar(s: &str, indent: usize) -> String {
    if s.contains('\n') && !s.chars().any(|c| c.is_control() && c != '\n') {
        let chomp = if s.ends_with('\n') { "" } else { "-" };
        let body = s.strip_suffix('\n').unwrap_or(s);
        let mut out = format!("|{chomp}");
        if body.starts_with(' ') {
            out.push('2');
        }
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad(indent));
                out.push_str(line);
            }
        }
        return out;
    }
    if plain_ok(s) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

fn plain_ok(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`~".contains(first) {
        // `-x`, `?x`, `:x` are plain in YAML 1.2 when followed by a
        // non-space, but the `yaml` package quotes a leading `-`/`?`/`:`
        // only when a space follows.
        if !("-?:".contains(first) && s.chars().nth(1).is_some_and(|c| c != ' ')) {
            return false;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if s.chars().any(|c| c.is_control()) {
        return false;
    }
    !looks_like_other_type(s)
}

fn looks_like_other_type(s: &str) -> bool {
    matches!(
        s,
        "null" | "Null" | "NULL" | "~" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
    ) || is_yaml_number(s)
}

fn is_yaml_number(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    if t.starts_with("0x") || t.starts_with("0o") {
        return t.len() > 2 && t[2..].chars().all(|c| c.is_ascii_hexdigit());
    }
    if matches!(t, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let mut saw_digit = false;
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.peek() {
        if c.is_ascii_digit() {
            saw_digit = true;
            chars.next();
        } else {
            break;
        }
    }
    if chars.peek() == Some(&'.') {
        chars.next();
        while chars.peek().is_some_and(char::is_ascii_digit) {
            saw_digit = true;
            chars.next();
        }
    }
    if !saw_digit {
        return false;
    }
    if matches!(chars.peek(), Some('e' | 'E')) {
        chars.next();
        if matches!(chars.peek(), Some('+' | '-')) {
            chars.next();
        }
        let mut exp = false;
        while chars.peek().is_some_and(char::is_ascii_digit) {
            exp = true;
            chars.next();
        }
        if !exp {
            return false;
        }
    }
    chars.next().is_none()
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
