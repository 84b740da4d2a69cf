//! The scaffolder's expression language: a Nunjucks subset with `${{ … }}`
//! (or, in `cookiecutterCompat` mode, `{{ … }}`) as the variable tags.
//!
//! Byte-equal output with the real scaffolder is the goal, so values follow
//! JavaScript semantics (undefined vs null, truthiness, `+`, number
//! formatting, `Array.toString`) and the template lexer follows Nunjucks
//! (whitespace control `{%-`/`-%}`, comments, `{% raw %}`, `trimBlocks`,
//! `lstripBlocks`, autoescape off).
//!
//! Supported: literals, lookups (`a.b`, `a['b']`, `a[0]`), filters with
//! arguments, `not and or in is`, comparisons, arithmetic, `~`, inline
//! `x if c else y`, a few JS string/array methods, and the blocks
//! `if/elif/else`, `for … in … / else` (with `loop.*`), `set`, `raw`.

mod eval;
mod lexer;
mod nodes;
mod parser;
mod tokens;

use std::fmt;

use serde_json::Value;

pub use super::value::{js_number, loose_eq, strict_eq, Val};

/// The longest string an expression may build (16 MiB): longer is an
/// error, not gigabytes of memory.
pub const MAX_STRING_BYTES: usize = 16 << 20;
/// The most items a list built by an expression (`split`, `list`, a loop
/// over a string's characters) may have.
pub const MAX_ITEMS: usize = 1_000_000;
/// The bytes of values one render may produce and look up in all (1 GiB):
/// bounds the time and memory of a template whatever its loops do.
pub const MAX_PRODUCED_BYTES: u64 = 1 << 30;

/// `what` would be a string of `len` bytes: an error when over the limit.
pub(crate) fn check_len(len: usize, what: &str) -> Result<(), String> {
    if len > MAX_STRING_BYTES {
        return Err(format!(
            "{what} would make a string of {} MiB, over the {} MiB limit",
            len >> 20,
            MAX_STRING_BYTES >> 20
        ));
    }
    Ok(())
}

/// Bytes `v` takes, about (stops counting past `stop`).
pub(crate) fn val_size(v: &Val, stop: u64) -> u64 {
    let mut size = 0u64;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        size += match v {
            Val::Str(s) => s.len() as u64 + 24,
            Val::Array(a) => {
                stack.extend(a.iter());
                24
            }
            Val::Object(o) => {
                size += o.keys().map(|k| k.len() as u64 + 24).sum::<u64>();
                stack.extend(o.values());
                24
            }
            _ => 16,
        };
        if size > stop {
            break;
        }
    }
    size
}
use eval::{eval, Scope};
pub use nodes::Template;
pub use parser::{parse_expr, Expr};

/// An expression or template that could not be parsed or evaluated. The
/// message names the expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ExprError {
    pub message: String,
    /// The template text the error is in (shortened).
    pub template: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in `{}`", self.message, self.template)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, String> {
    Err(message.into())
}

/// Lexer settings: the variable delimiters and Nunjucks' block trimming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Syntax {
    /// `${{` normally, `{{` with `cookiecutterCompat`.
    pub cookiecutter: bool,
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
}

impl Syntax {
    fn var_start(&self) -> &'static str {
        if self.cookiecutter {
            "{{"
        } else {
            "${{"
        }
    }
}

fn shorten(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() > 120 {
        let cut: String = s.chars().take(117).collect();
        format!("{cut}...")
    } else {
        s.to_string()
    }
}

/// Render template text (a skeleton file, a path) to a string.
pub fn render_str(src: &str, ctx: &Val, syntax: Syntax) -> Result<String, ExprError> {
    Template::parse(src, syntax)?.render(ctx)
}

/// Evaluate one expression (no delimiters) to a value.
pub fn eval_expr(src: &str, ctx: &Val) -> Result<Val, ExprError> {
    let fail = |message: String| ExprError {
        message,
        template: shorten(src),
    };
    let e = parse_expr(src).map_err(fail)?;
    let mut scope = Scope::new(ctx);
    eval(&e, &mut scope).map_err(fail)
}

/// Render a step input, `if`, `each` or `output` value the way the
/// scaffolder's workflow runner does: every string is a template; a string
/// that is exactly one `${{ … }}` keeps the JSON type of its result, and
/// is dropped from its object when that is `undefined` (`null` in an
/// array); any other string renders to a string. Keys are not rendered.
/// A string that fails to render stays as written (the runner's `render`
/// catches each string's error and keeps the raw value), so this never
/// fails; see [`render_string_value`] for the error itself.
pub fn render_value(input: &Value, ctx: &Val) -> Result<Option<Value>, ExprError> {
    Ok(match input {
        Value::String(s) => match render_string_value(s, ctx) {
            Ok(v) => v,
            Err(_) => Some(Value::String(s.clone())),
        },
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                // An array hole serialises as null.
                out.push(render_value(item, ctx)?.unwrap_or(Value::Null));
            }
            Some(Value::Array(out))
        }
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                if let Some(v) = render_value(v, ctx)? {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        other => Some(other.clone()),
    })
}

/// One string of a step input rendered, or why it cannot be.
pub fn render_string_value(s: &str, ctx: &Val) -> Result<Option<Value>, ExprError> {
    let template = Template::parse(s, Syntax::default())?;
    Ok(if let Some(e) = template.single_expression() {
        let mut scope = Scope::new(ctx);
        let v = eval(e, &mut scope).map_err(|message| ExprError {
            message,
            template: shorten(s),
        })?;
        // `( expr ) | dump` then `JSON.parse`: only a value that
        // dumps to nothing (undefined) is dropped; `""` stays.
        v.to_json()
    } else {
        // Text (even text rendering to "") stays a string.
        Some(Value::String(template.render(ctx)?))
    })
}

/// The strings of a step input that fail to render (and so stay as
/// written, see [`render_value`]), with why: for a warning in the log.
pub fn render_failures(input: &Value, ctx: &Val) -> Vec<ExprError> {
    match input {
        Value::String(s) => render_string_value(s, ctx).err().into_iter().collect(),
        Value::Array(items) => items.iter().flat_map(|v| render_failures(v, ctx)).collect(),
        Value::Object(map) => map.values().flat_map(|v| render_failures(v, ctx)).collect(),
        _ => Vec::new(),
    }
}

/// The scaffolder's `isTruthy` for a rendered `if:` (an empty array is
/// false too).
pub fn is_truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(_)) => true,
    }
}
