//! Tests (`value is defined`), the JavaScript methods templates call on
//! strings and arrays, and the global functions (`range`).

use super::super::value::{strict_eq, Val};
use super::{apply, arg};

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

/// A method call on a value (`name.split('-')`): Nunjucks exposes the
/// JavaScript methods; templates use a handful.
pub fn call_method(obj: &Val, method: &str, args: &[Val]) -> Result<Val, String> {
    let s = |v: &Val| v.js_string();
    Ok(match (obj, method) {
        (Val::Str(x), "split") => match args.first() {
            None | Some(Val::Undefined) => Val::Array(vec![Val::Str(x.clone())]),
            Some(sep) => {
                let sep = s(sep);
                let pieces = if sep.is_empty() {
                    x.chars().count()
                } else {
                    x.matches(sep.as_str()).count() + 1
                };
                if pieces > crate::template::expr::MAX_ITEMS {
                    return Err(format!(
                        "split would make {pieces} items, over the limit of {}",
                        crate::template::expr::MAX_ITEMS
                    ));
                }
                if sep.is_empty() {
                    Val::Array(x.chars().map(|c| Val::Str(c.into())).collect())
                } else {
                    Val::Array(x.split(sep.as_str()).map(Val::from).collect())
                }
            }
        },
        (Val::Str(x), "toUpperCase") => Val::Str(x.to_uppercase()),
        (Val::Str(x), "toLowerCase") => Val::Str(x.to_lowercase()),
        (Val::Str(x), "trim") => Val::Str(x.trim().into()),
        (Val::Str(x), "startsWith") => Val::Bool(x.starts_with(&s(&arg(args, 0)))),
        (Val::Str(x), "endsWith") => Val::Bool(x.ends_with(&s(&arg(args, 0)))),
        (Val::Str(x), "includes") => Val::Bool(x.contains(&s(&arg(args, 0)))),
        (Val::Str(x), "replace") => Val::Str(x.replacen(&s(&arg(args, 0)), &s(&arg(args, 1)), 1)),
        (Val::Str(x), "replaceAll") => {
            let (old, new) = (s(&arg(args, 0)), s(&arg(args, 1)));
            if new.len() > old.len() {
                let count = if old.is_empty() {
                    x.chars().count() + 1
                } else {
                    x.matches(old.as_str()).count()
                };
                crate::template::expr::check_len(
                    x.len() + count.saturating_mul(new.len() - old.len()),
                    "replaceAll",
                )?;
            }
            Val::Str(x.replace(&old, &new))
        }
        (Val::Array(a), "join") => match args.first() {
            None | Some(Val::Undefined) => apply("join", Val::Array(a.clone()), &[Val::from(",")])?,
            Some(_) => apply("join", Val::Array(a.clone()), args)?,
        },
        (Val::Array(a), "includes") => Val::Bool(a.iter().any(|x| strict_eq(x, &arg(args, 0)))),
        (Val::Array(a), "indexOf") => Val::Num(
            a.iter()
                .position(|x| strict_eq(x, &arg(args, 0)))
                .map(|i| i as f64)
                .unwrap_or(-1.0),
        ),
        (Val::Undefined | Val::Null, m) => {
            return Err(format!(
                "Unable to call `{m}`, which is undefined or falsey"
            ))
        }
        (_, m) => return Err(format!("Unable to call `{m}` on a {}", obj.type_name())),
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
