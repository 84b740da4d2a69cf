//! The expression tokenizer: numbers, strings, names and operators inside
//! `${{ … }}` or a block tag.

use super::{err, js_number};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum T {
    Num(f64),
    Str(String),
    Ident(String),
    Op(&'static str),
}

const OPS: [&str; 27] = [
    "===", "!==", "//", "**", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "~", "(",
    ")", "[", "]", "{", "}", ",", ":", ".", "|", "=",
];

pub(super) fn tokenize(src: &str) -> Result<Vec<T>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&ch) = chars.get(i) else {
                    return err("unterminated string");
                };
                i += 1;
                if ch == c {
                    break;
                }
                if ch == '\\' {
                    let Some(&esc) = chars.get(i) else {
                        return err("unterminated string");
                    };
                    i += 1;
                    s.push(match esc {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                } else {
                    s.push(ch);
                }
            }
            out.push(T::Str(s));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '_') {
                i += 1;
            }
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            out.push(T::Num(
                text.parse().map_err(|_| format!("bad number {text}"))?,
            ));
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            out.push(T::Ident(chars[start..i].iter().collect()));
        } else {
            let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
            let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
                return err(format!("unexpected character `{c}`"));
            };
            i += op.chars().count();
            out.push(T::Op(op));
        }
    }
    Ok(out)
}

pub(super) fn describe(t: &T) -> String {
    match t {
        T::Num(n) => format!("number {}", js_number(*n)),
        T::Str(s) => format!("string {s:?}"),
        T::Ident(s) => format!("`{s}`"),
        T::Op(o) => format!("`{o}`"),
    }
}
