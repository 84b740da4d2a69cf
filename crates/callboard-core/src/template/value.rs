//! Template values with JavaScript semantics: JSON plus `undefined`,
//! truthiness, `String()`, `Number()`, `==` and `===`, and number
//! formatting, as Nunjucks (running on JavaScript) gives them. The
//! expression evaluator and the filters both build on this.

use indexmap::IndexMap;
use serde_json::Value;

/// A value as the template engine sees it: JSON plus JavaScript's
/// `undefined`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Val {
    #[default]
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Array(Vec<Val>),
    Object(IndexMap<String, Val>),
}

impl From<&Value> for Val {
    fn from(v: &Value) -> Val {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Val::Str(s.clone()),
            Value::Array(a) => Val::Array(a.iter().map(Val::from).collect()),
            Value::Object(o) => Val::Object(o.iter().map(|(k, v)| (k.clone(), v.into())).collect()),
        }
    }
}

impl From<Value> for Val {
    fn from(v: Value) -> Val {
        Val::from(&v)
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Str(s.to_string())
    }
}

impl Val {
    /// As JSON (`undefined` object members dropped, array items `null`, as
    /// `JSON.stringify` does). `None` for a top-level `undefined`.
    pub fn to_json(&self) -> Option<Value> {
        Some(match self {
            Val::Undefined => return None,
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => num_to_json(*n),
            Val::Str(s) => Value::String(s.clone()),
            Val::Array(a) => Value::Array(
                a.iter()
                    .map(|v| v.to_json().unwrap_or(Value::Null))
                    .collect(),
            ),
            Val::Object(o) => Value::Object(
                o.iter()
                    .filter_map(|(k, v)| v.to_json().map(|v| (k.clone(), v)))
                    .collect(),
            ),
        })
    }

    /// JavaScript truthiness (`[]` and `{}` are truthy).
    pub fn truthy(&self) -> bool {
        match self {
            Val::Undefined | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Array(_) | Val::Object(_) => true,
        }
    }

    /// JavaScript `String(value)`.
    pub fn js_string(&self) -> String {
        match self {
            Val::Undefined => "undefined".into(),
            Val::Null => "null".into(),
            Val::Bool(b) => b.to_string(),
            Val::Num(n) => js_number(*n),
            Val::Str(s) => s.clone(),
            Val::Array(a) => a
                .iter()
                .map(|v| match v {
                    Val::Undefined | Val::Null => String::new(),
                    v => v.js_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            Val::Object(_) => "[object Object]".into(),
        }
    }

    /// What `{{ value }}` prints: nothing for undefined and null.
    pub fn output(&self) -> String {
        match self {
            Val::Undefined | Val::Null => String::new(),
            v => v.js_string(),
        }
    }

    /// JavaScript `Number(value)`.
    pub fn js_number(&self) -> f64 {
        match self {
            Val::Undefined => f64::NAN,
            Val::Null => 0.0,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Num(n) => *n,
            Val::Str(s) => {
                let t = s.trim();
                if t.is_empty() {
                    0.0
                } else {
                    t.parse().unwrap_or(f64::NAN)
                }
            }
            Val::Array(a) => match a.as_slice() {
                [] => 0.0,
                [one] => one.js_number(),
                _ => f64::NAN,
            },
            Val::Object(_) => f64::NAN,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Undefined => "undefined",
            Val::Null => "null",
            Val::Bool(_) => "boolean",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::Array(_) => "array",
            Val::Object(_) => "object",
        }
    }

    /// `obj[key]` as Nunjucks' `memberLookup` does it: undefined for a
    /// missing member or a null/undefined object.
    pub fn member(&self, key: &Val) -> Val {
        match (self, key) {
            (Val::Object(o), k) => o.get(&k.js_string()).cloned().unwrap_or_default(),
            (Val::Array(a), Val::Num(n)) => {
                index(a.len(), *n).map(|i| a[i].clone()).unwrap_or_default()
            }
            (Val::Array(a), Val::Str(s)) if s == "length" => Val::Num(a.len() as f64),
            (Val::Array(a), Val::Str(s)) => s
                .parse::<usize>()
                .ok()
                .and_then(|i| a.get(i).cloned())
                .unwrap_or_default(),
            (Val::Str(s), Val::Str(k)) if k == "length" => {
                Val::Num(s.encode_utf16().count() as f64)
            }
            (Val::Str(s), Val::Num(n)) => {
                let chars: Vec<char> = s.chars().collect();
                index(chars.len(), *n)
                    .map(|i| Val::Str(chars[i].to_string()))
                    .unwrap_or_default()
            }
            _ => Val::Undefined,
        }
    }
}

fn index(len: usize, n: f64) -> Option<usize> {
    (n >= 0.0 && n.fract() == 0.0 && (n as usize) < len).then_some(n as usize)
}

fn num_to_json(n: f64) -> Value {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// JavaScript `Number.prototype.toString()` for the values templates meet.
pub fn js_number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if n == 0.0 {
        return "0".into();
    }
    if (1e-6..1e21).contains(&n.abs()) {
        // Rust's shortest round-trip digits, without an exponent, match JS
        // in this range (integers included: `1.2345678901234568e20` is
        // `123456789012345680000` in both).
        return format!("{n}");
    }
    // Exponent form: JS writes `1e-7`, `1.5e+22`.
    let s = format!("{n:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => s,
    }
}

/// JavaScript `==`.
pub fn loose_eq(l: &Val, r: &Val) -> bool {
    match (l, r) {
        (Val::Undefined | Val::Null, Val::Undefined | Val::Null) => true,
        (Val::Undefined | Val::Null, _) | (_, Val::Undefined | Val::Null) => false,
        (Val::Str(a), Val::Str(b)) => a == b,
        (Val::Array(_) | Val::Object(_), Val::Array(_) | Val::Object(_)) => false,
        (Val::Array(_) | Val::Object(_), _) => loose_eq(&Val::Str(l.js_string()), r),
        (_, Val::Array(_) | Val::Object(_)) => loose_eq(l, &Val::Str(r.js_string())),
        _ => l.js_number() == r.js_number(),
    }
}

/// JavaScript `===` (arrays and objects are never equal: identity).
pub fn strict_eq(l: &Val, r: &Val) -> bool {
    match (l, r) {
        (Val::Undefined, Val::Undefined) | (Val::Null, Val::Null) => true,
        (Val::Bool(a), Val::Bool(b)) => a == b,
        (Val::Num(a), Val::Num(b)) => a == b,
        (Val::Str(a), Val::Str(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        for (n, js) in [
            (0.0, "0"),
            (-0.0, "0"),
            (42.0, "42"),
            (0.1, "0.1"),
            (0.000001, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (1e-7, "1e-7"),
            (1e21, "1e+21"),
            (1.5e22, "1.5e+22"),
            (123456789012345680000.0, "123456789012345680000"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(js_number(n), js, "{n:e}");
        }
    }

    #[test]
    fn equality_follows_javascript() {
        assert!(loose_eq(&Val::Null, &Val::Undefined));
        assert!(!strict_eq(&Val::Null, &Val::Undefined));
        assert!(loose_eq(&Val::from("1"), &Val::Num(1.0)));
        assert!(!strict_eq(&Val::from("1"), &Val::Num(1.0)));
        assert!(!strict_eq(&Val::Array(vec![]), &Val::Array(vec![])));
    }
}
