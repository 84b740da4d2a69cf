//! Tests (`value is defined`), the JavaScript methods templates call on
//! strings and arrays, and the global functions (`range`).

use super::super::value::{js_number, strict_eq, Val};
use super::arg;

/// `value is name(args)`.
pub fn test(name: &str, v: &Val, args: &[Val]) -> Result<bool, String> {
    Ok(match name {
        "defined" => !matches!(v, Val::Undefined),
        "undefined" => matches!(v, Val::Undefined),
        "none" | "null" => matches!(v, Val::Null),
        "string" => matches!(v, Val::Str(_)),
        "number" => matches!(v, Val::Num(_)),
        "boolean" => matches!(v, Val::Bool(_)),
        "mapping" => matches!(v, Val::Object(_)),
        "iterable" => matches!(v, Val::Array(_) | Val::Str(_)),
        "truthy" => v.truthy(),
        "falsy" => !v.truthy(),
        "odd" => v.js_number() % 2.0 != 0.0,
        "even" => v.js_number() % 2.0 == 0.0,
        "divisibleby" => v.js_number() % arg(args, 0).js_number() == 0.0,
        "lower" => matches!(v, Val::Str(s) if s.to_lowercase() == *s),
        "upper" => matches!(v, Val::Str(s) if s.to_uppercase() == *s),
        "eq" | "equalto" | "sameas" => strict_eq(v, &arg(args, 0)),
        "ne" => !strict_eq(v, &arg(args, 0)),
        "lt" => v.js_number() < arg(args, 0).js_number(),
        "gt" => v.js_number() > arg(args, 0).js_number(),
        "le" => v.js_number() <= arg(args, 0).js_number(),
        "ge" => v.js_number() >= arg(args, 0).js_number(),
        other => return Err(format!("test not found: {other}")),
    })
}

/// The string methods the scaffolder's renderer (nunjitsu's
/// `stringMethods`) lets templates call; any other is undefined there.
pub const STRING_METHODS: &[&str] = &[
    "charAt",
    "charCodeAt",
    "concat",
    "endsWith",
    "includes",
    "indexOf",
    "lastIndexOf",
    "replace",
    "slice",
    "split",
    "startsWith",
    "substring",
    "toLowerCase",
    "toUpperCase",
    "trim",
    "trimEnd",
    "trimStart",
];

/// nunjitsu's `numberMethods`.
pub const NUMBER_METHODS: &[&str] = &["toExponential", "toFixed", "toPrecision", "toString"];

/// nunjitsu's `arrayMethods` (the mutating ones are allowed there too,
/// but change a value in place; local runs refuse them with a message).
pub const ARRAY_METHODS: &[&str] = &[
    "at",
    "concat",
    "copyWithin",
    "fill",
    "flat",
    "includes",
    "indexOf",
    "join",
    "lastIndexOf",
    "pop",
    "push",
    "reverse",
    "shift",
    "slice",
    "sort",
    "splice",
    "unshift",
];

/// Whether the renderer resolves `obj.method` to a callable.
pub fn method_allowed(obj: &Val, method: &str) -> bool {
    match obj {
        Val::Str(_) => STRING_METHODS.contains(&method),
        Val::Num(_) => NUMBER_METHODS.contains(&method),
        Val::Array(_) => ARRAY_METHODS.contains(&method),
        _ => false,
    }
}

/// `(min, max)` positional arguments (nunjitsu `runtimeIntrinsicArity`).
fn arity(obj: &Val, method: &str) -> (usize, usize) {
    match (obj, method) {
        (Val::Str(_), "replace") => (2, 2),
        (Val::Str(_), "split") => (0, 2),
        (Val::Str(_), "includes" | "startsWith" | "endsWith" | "indexOf" | "lastIndexOf") => (1, 2),
        (Val::Str(_), "slice" | "substring") => (0, 2),
        (Val::Str(_), "charAt" | "charCodeAt") => (0, 1),
        (_, "concat") => (0, usize::MAX),
        (Val::Str(_), _) => (0, 0),
        (Val::Num(_), _) => (0, 1),
        (Val::Array(_), "at") => (1, 1),
        (Val::Array(_), "includes" | "indexOf" | "lastIndexOf") => (1, 2),
        (Val::Array(_), "flat" | "join") => (0, 1),
        (Val::Array(_), "slice") => (0, 2),
        _ => (0, usize::MAX),
    }
}

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn from16(u: &[u16]) -> Val {
    Val::Str(String::from_utf16_lossy(u))
}

/// A JS relative index (`slice`, `at`): negative counts from the end.
fn rel_index(v: &Val, len: usize, default: usize) -> usize {
    match v {
        Val::Undefined => default,
        v => {
            let n = v.js_number();
            let n = if n.is_nan() { 0.0 } else { n.trunc() };
            if n < 0.0 {
                (len as f64 + n).max(0.0) as usize
            } else {
                n.min(len as f64) as usize
            }
        }
    }
}

fn find16(hay: &[u16], needle: &[u16], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from.min(hay.len()));
    }
    (from..hay.len().saturating_sub(needle.len() - 1)).find(|&i| hay[i..].starts_with(needle))
}

/// A method call on a value (`name.split('-')`), limited to the methods
/// the scaffolder's renderer allows: any other fails as it fails there
/// (`Template value "x.replaceAll" resolved to undefined and cannot be
/// called`; `path` is the callee as written, when it is a plain path).
pub fn call_method(
    obj: &Val,
    method: &str,
    args: &[Val],
    path: Option<&str>,
) -> Result<Val, String> {
    if !method_allowed(obj, method) {
        return Err(match path {
            Some(p) => format!("Template value \"{p}\" resolved to undefined and cannot be called"),
            None => "Template expression resolved to undefined and cannot be called".into(),
        });
    }
    let (min, max) = arity(obj, method);
    if args.len() < min || args.len() > max {
        return Err(if min == max {
            format!("Template intrinsic {method} requires {min} positional arguments")
        } else {
            format!("Template intrinsic {method} accepts {min} to {max} positional arguments")
        });
    }
    let s = |v: &Val| v.js_string();
    Ok(match (obj, method) {
        (Val::Str(x), "split") => match args.first() {
            None | Some(Val::Undefined) => Val::Array(vec![Val::Str(x.clone())]),
            Some(sep) => {
                let sep = s(sep);
                let pieces = if sep.is_empty() {
                    x.encode_utf16().count()
                } else {
                    x.matches(sep.as_str()).count() + 1
                };
                if pieces > crate::template::expr::MAX_ITEMS {
                    return Err(format!(
                        "split would make {pieces} items, over the limit of {}",
                        crate::template::expr::MAX_ITEMS
                    ));
                }
                let limit = match args.get(1) {
                    None | Some(Val::Undefined) => usize::MAX,
                    Some(l) => (l.js_number() as i64).max(0) as usize,
                };
                let parts: Vec<Val> = if sep.is_empty() {
                    x.encode_utf16().map(|c| from16(&[c])).collect()
                } else {
                    x.split(sep.as_str()).map(Val::from).collect()
                };
                Val::Array(parts.into_iter().take(limit).collect())
            }
        },
        (Val::Str(x), "toUpperCase") => Val::Str(x.to_uppercase()),
        (Val::Str(x), "toLowerCase") => Val::Str(x.to_lowercase()),
        (Val::Str(x), "trim") => Val::Str(x.trim().into()),
        (Val::Str(x), "trimStart") => Val::Str(x.trim_start().into()),
        (Val::Str(x), "trimEnd") => Val::Str(x.trim_end().into()),
        (Val::Str(x), "startsWith" | "endsWith" | "includes" | "indexOf" | "lastIndexOf") => {
            let hay = utf16(x);
            let needle = utf16(&s(&arg(args, 0)));
            let pos = args.get(1);
            match method {
                "startsWith" => {
                    let from = rel_index(pos.unwrap_or(&Val::Undefined), hay.len(), 0);
                    Val::Bool(hay[from..].starts_with(&needle))
                }
                "endsWith" => {
                    let end = match pos {
                        None | Some(Val::Undefined) => hay.len(),
                        Some(p) => (p.js_number().max(0.0) as usize).min(hay.len()),
                    };
                    Val::Bool(hay[..end].ends_with(&needle))
                }
                "includes" => {
                    let from = rel_index(pos.unwrap_or(&Val::Undefined), hay.len(), 0);
                    Val::Bool(find16(&hay, &needle, from).is_some())
                }
                "indexOf" => {
                    let from = rel_index(pos.unwrap_or(&Val::Undefined), hay.len(), 0);
                    Val::Num(find16(&hay, &needle, from).map_or(-1.0, |i| i as f64))
                }
                _ => {
                    let upto = match pos {
                        None | Some(Val::Undefined) => hay.len(),
                        Some(p) => p.js_number().max(0.0) as usize,
                    };
                    let found = (0..=hay.len().saturating_sub(needle.len()))
                        .rev()
                        .filter(|&i| i <= upto)
                        .find(|&i| hay[i..].starts_with(&needle));
                    Val::Num(found.map_or(-1.0, |i| i as f64))
                }
            }
        }
        (Val::Str(x), "replace") => Val::Str(x.replacen(&s(&arg(args, 0)), &s(&arg(args, 1)), 1)),
        (Val::Str(x), "charAt" | "charCodeAt") => {
            let u = utf16(x);
            let i = arg(args, 0).js_number();
            let i = if i.is_nan() { 0.0 } else { i.trunc() };
            let c = (i >= 0.0).then(|| u.get(i as usize)).flatten();
            match (method, c) {
                ("charAt", Some(c)) => from16(&[*c]),
                ("charAt", None) => Val::Str(String::new()),
                (_, Some(c)) => Val::Num(f64::from(*c)),
                _ => Val::Num(f64::NAN),
            }
        }
        (Val::Str(x), "slice") => {
            let u = utf16(x);
            let a = rel_index(&arg(args, 0), u.len(), 0);
            let b = rel_index(&arg(args, 1), u.len(), u.len());
            from16(if a < b { &u[a..b] } else { &[] })
        }
        (Val::Str(x), "substring") => {
            let u = utf16(x);
            let clamp = |v: &Val, d: usize| match v {
                Val::Undefined => d,
                v => {
                    let n = v.js_number();
                    if n.is_nan() || n < 0.0 {
                        0
                    } else {
                        (n as usize).min(u.len())
                    }
                }
            };
            let (a, b) = (clamp(&arg(args, 0), 0), clamp(&arg(args, 1), u.len()));
            let (a, b) = (a.min(b), a.max(b));
            from16(&u[a..b])
        }
        (Val::Str(x), "concat") => {
            Val::Str(args.iter().fold(x.clone(), |acc, a| acc + &a.js_string()))
        }
        (Val::Num(n), "toString") => Val::Str(js_number(*n)),
        (Val::Num(n), "toFixed") => {
            let d = arg(args, 0).js_number();
            let d = if d.is_nan() { 0 } else { d as usize };
            Val::Str(format!("{n:.d$}"))
        }
        (Val::Array(a), "join") => match args.first() {
            None | Some(Val::Undefined) => Val::Str(
                a.iter()
                    .map(|v| match v {
                        Val::Undefined | Val::Null => String::new(),
                        v => v.js_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Some(sep) => Val::Str(
                a.iter()
                    .map(|v| match v {
                        Val::Undefined | Val::Null => String::new(),
                        v => v.js_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(&sep.js_string()),
            ),
        },
        (Val::Array(a), "includes") => Val::Bool(a.iter().any(|x| strict_eq(x, &arg(args, 0)))),
        (Val::Array(a), "indexOf" | "lastIndexOf") => {
            let mut it = a
                .iter()
                .enumerate()
                .filter(|(_, x)| strict_eq(x, &arg(args, 0)));
            let found = if method == "indexOf" {
                it.next()
            } else {
                it.next_back()
            };
            Val::Num(found.map_or(-1.0, |(i, _)| i as f64))
        }
        (Val::Array(a), "at") => {
            let i = arg(args, 0).js_number();
            let i = if i.is_nan() { 0.0 } else { i.trunc() };
            let i = if i < 0.0 { a.len() as f64 + i } else { i };
            if i < 0.0 {
                Val::Undefined
            } else {
                a.get(i as usize).cloned().unwrap_or_default()
            }
        }
        (Val::Array(a), "slice") => {
            let x = rel_index(&arg(args, 0), a.len(), 0);
            let y = rel_index(&arg(args, 1), a.len(), a.len());
            Val::Array(if x < y { a[x..y].to_vec() } else { Vec::new() })
        }
        (Val::Array(a), "concat") => {
            let mut out = a.clone();
            for v in args {
                match v {
                    Val::Array(b) => out.extend(b.iter().cloned()),
                    v => out.push(v.clone()),
                }
            }
            Val::Array(out)
        }
        (Val::Array(a), "flat") => {
            let mut out = Vec::new();
            for v in a {
                match v {
                    Val::Array(b) => out.extend(b.iter().cloned()),
                    v => out.push(v.clone()),
                }
            }
            Val::Array(out)
        }
        (_, m) => {
            return Err(format!(
                "`{m}` is allowed by the scaffolder but not supported by local runs"
            ))
        }
    })
}

/// A global function call (`range(3)`).
pub fn call_global(name: &str, args: &[Val]) -> Result<Val, String> {
    match name {
        "range" => {
            let nums: Vec<f64> = args.iter().map(Val::js_number).collect();
            let (start, stop, step) = match nums.as_slice() {
                [stop] => (0.0, *stop, 1.0),
                [start, stop] => (*start, *stop, 1.0),
                [start, stop, step, ..] => (*start, *stop, *step),
                [] => return Err("range() needs arguments".into()),
            };
            if step == 0.0 || !step.is_finite() {
                return Err("range(): step must not be 0".into());
            }
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0.0 && i < stop) || (step < 0.0 && i > stop) {
                out.push(Val::Num(i));
                i += step;
                if out.len() > 100_000 {
                    return Err("range(): too many items".into());
                }
            }
            Ok(Val::Array(out))
        }
        other => Err(format!(
            "Unable to call `{other}`, which is undefined or falsey"
        )),
    }
}
