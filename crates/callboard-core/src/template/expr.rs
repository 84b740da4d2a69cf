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

use std::fmt;

use indexmap::IndexMap;
use serde_json::Value;

use super::filters;

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
    if n.fract() == 0.0 && n.abs() < 1e21 {
        return format!("{n:.0}");
    }
    let abs = n.abs();
    if (1e-7..1e21).contains(&abs) {
        // Rust's shortest round-trip digits match JS in this range.
        return format!("{n}");
    }
    // Exponent form: JS writes `1e-7`, `1.5e+22`.
    let s = format!("{n:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => s,
    }
}

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

// ---------------------------------------------------------------------------
// Template lexer and parser

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Text(String),
    /// `(source, trims_before, trims_after)`
    Var(String, bool, bool),
    Block(String, bool, bool),
    Comment(bool, bool),
    Raw(String),
}

fn lex(src: &str, syntax: Syntax) -> Result<Vec<Tok>, String> {
    let var_start = syntax.var_start();
    let mut toks = Vec::new();
    let mut rest = src;
    let mut text = String::new();
    let mut after_block = false;
    while !rest.is_empty() {
        let next = [var_start, "{%", "{#"]
            .iter()
            .filter_map(|d| rest.find(d).map(|i| (i, *d)))
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
                if body[i..].starts_with(end) {
                    return Some(i);
                }
                if body[i..].starts_with('-') && body[i + 1..].starts_with(end) {
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

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Output(Expr),
    If(Vec<(Expr, Vec<Node>)>, Vec<Node>),
    For {
        vars: Vec<String>,
        iter: Expr,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Set(Vec<String>, Expr),
}

/// A parsed template, reusable across renders.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
    source: String,
}

impl Template {
    pub fn parse(src: &str, syntax: Syntax) -> Result<Template, ExprError> {
        let fail = |message: String| ExprError {
            message,
            template: shorten(src),
        };
        let toks = lex(src, syntax).map_err(fail)?;
        let mut pos = 0;
        let (nodes, end) = parse_nodes(&toks, &mut pos, 0, &[]).map_err(fail)?;
        if let Some(end) = end {
            return Err(fail(format!("unexpected `{{% {end} %}}`")));
        }
        Ok(Template {
            nodes,
            source: src.to_string(),
        })
    }

    /// True when the template is exactly one `${{ … }}` and nothing else
    /// (the scaffolder then keeps the result's JSON type).
    pub fn single_expression(&self) -> Option<&Expr> {
        match self.nodes.as_slice() {
            [Node::Output(e)] => Some(e),
            _ => None,
        }
    }

    pub fn render(&self, ctx: &Val) -> Result<String, ExprError> {
        let mut scope = Scope {
            root: ctx,
            frames: vec![IndexMap::new()],
            work: 0,
        };
        let mut out = String::new();
        render_nodes(&self.nodes, &mut scope, &mut out).map_err(|message| ExprError {
            message,
            template: shorten(&self.source),
        })?;
        Ok(out)
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

/// Parse nodes until one of `ends` (a block keyword) is met; returns it.
fn parse_nodes(
    toks: &[Tok],
    pos: &mut usize,
    depth: usize,
    ends: &[&str],
) -> Result<(Vec<Node>, Option<String>), String> {
    // Untrusted templates: bound the recursion instead of overflowing the stack.
    if depth > MAX_DEPTH {
        return err("blocks nested too deeply");
    }
    let mut nodes = Vec::new();
    while *pos < toks.len() {
        let tok = &toks[*pos];
        *pos += 1;
        match tok {
            Tok::Text(t) | Tok::Raw(t) => {
                if !t.is_empty() {
                    nodes.push(Node::Text(t.clone()));
                }
            }
            Tok::Comment(..) => {}
            Tok::Var(src, ..) => nodes.push(Node::Output(parse_expr(src)?)),
            Tok::Block(src, ..) => {
                let src = src.trim();
                let (word, args) = src
                    .split_once(char::is_whitespace)
                    .map(|(w, a)| (w, a.trim()))
                    .unwrap_or((src, ""));
                if ends.contains(&word) {
                    return Ok((nodes, Some(src.to_string())));
                }
                match word {
                    "if" => {
                        let mut branches = Vec::new();
                        let mut cond = parse_expr(args)?;
                        let otherwise;
                        loop {
                            let (body, end) = parse_nodes(
                                toks,
                                pos,
                                depth + 1,
                                &["elif", "elseif", "else", "endif"],
                            )?;
                            branches.push((cond, body));
                            let end = end.ok_or("`{% if %}` without `{% endif %}`")?;
                            let (w, a) = end.split_once(char::is_whitespace).unwrap_or((&end, ""));
                            match w {
                                "elif" | "elseif" => cond = parse_expr(a)?,
                                "else" => {
                                    let (body, end) =
                                        parse_nodes(toks, pos, depth + 1, &["endif"])?;
                                    end.ok_or("`{% if %}` without `{% endif %}`")?;
                                    otherwise = body;
                                    break;
                                }
                                _ => {
                                    otherwise = Vec::new();
                                    break;
                                }
                            }
                        }
                        nodes.push(Node::If(branches, otherwise));
                    }
                    "for" => {
                        let (vars, iter) = args
                            .split_once(" in ")
                            .ok_or("`{% for %}` needs `x in list`")?;
                        let vars: Vec<String> =
                            vars.split(',').map(|v| v.trim().to_string()).collect();
                        if vars.iter().any(|v| !is_ident(v)) {
                            return err(format!("bad loop variable in `for {args}`"));
                        }
                        let iter = parse_expr(iter)?;
                        let (body, end) = parse_nodes(toks, pos, depth + 1, &["else", "endfor"])?;
                        let end = end.ok_or("`{% for %}` without `{% endfor %}`")?;
                        let otherwise = if end == "else" {
                            let (o, end) = parse_nodes(toks, pos, depth + 1, &["endfor"])?;
                            end.ok_or("`{% for %}` without `{% endfor %}`")?;
                            o
                        } else {
                            Vec::new()
                        };
                        nodes.push(Node::For {
                            vars,
                            iter,
                            body,
                            otherwise,
                        });
                    }
                    "set" => {
                        let (names, value) = args
                            .split_once('=')
                            .ok_or("`{% set %}` needs `name = value`")?;
                        let names: Vec<String> =
                            names.split(',').map(|v| v.trim().to_string()).collect();
                        if names.iter().any(|v| !is_ident(v)) {
                            return err(format!("bad name in `set {args}`"));
                        }
                        nodes.push(Node::Set(names, parse_expr(value)?));
                    }
                    "raw" | "verbatim" => {
                        let end = if word == "raw" {
                            "endraw"
                        } else {
                            "endverbatim"
                        };
                        let (body, found) = parse_nodes(toks, pos, depth + 1, &[end])?;
                        found.ok_or("unclosed raw block")?;
                        nodes.extend(body);
                    }
                    "else" | "elif" | "elseif" | "endif" | "endfor" | "endraw" | "endset" => {
                        return err(format!("unexpected `{{% {word} %}}`"))
                    }
                    other => return err(format!("unknown block tag `{other}`")),
                }
            }
        }
    }
    Ok((nodes, None))
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

struct Scope<'a> {
    root: &'a Val,
    frames: Vec<IndexMap<String, Val>>,
    /// Nodes rendered so far, against [`MAX_WORK`].
    work: u64,
}

/// Bounds for one render of untrusted text: nodes visited (loops
/// included) and bytes produced.
const MAX_WORK: u64 = 5_000_000;
const MAX_OUTPUT: usize = 64 * 1024 * 1024;

impl Scope<'_> {
    fn lookup(&self, name: &str) -> Val {
        for frame in self.frames.iter().rev() {
            if let Some(v) = frame.get(name) {
                return v.clone();
            }
        }
        self.root.member(&Val::Str(name.to_string()))
    }

    fn set(&mut self, name: &str, v: Val) {
        if let Some(frame) = self.frames.last_mut() {
            frame.insert(name.to_string(), v);
        }
    }
}

fn render_nodes(nodes: &[Node], scope: &mut Scope<'_>, out: &mut String) -> Result<(), String> {
    for node in nodes {
        scope.work += 1;
        if scope.work > MAX_WORK || out.len() > MAX_OUTPUT {
            return err("template too expensive to render (runaway loop?)");
        }
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Output(e) => out.push_str(&eval(e, scope)?.output()),
            Node::If(branches, otherwise) => {
                let mut taken = false;
                for (cond, body) in branches {
                    if eval(cond, scope)?.truthy() {
                        render_nodes(body, scope, out)?;
                        taken = true;
                        break;
                    }
                }
                if !taken {
                    render_nodes(otherwise, scope, out)?;
                }
            }
            Node::For {
                vars,
                iter,
                body,
                otherwise,
            } => {
                let items: Vec<Vec<Val>> = match eval(iter, scope)? {
                    Val::Array(a) => a
                        .into_iter()
                        .map(|item| match (&item, vars.len()) {
                            (Val::Array(parts), n) if n > 1 => (0..n)
                                .map(|i| parts.get(i).cloned().unwrap_or_default())
                                .collect(),
                            _ => vec![item],
                        })
                        .collect(),
                    Val::Object(o) if vars.len() == 2 => {
                        o.into_iter().map(|(k, v)| vec![Val::Str(k), v]).collect()
                    }
                    Val::Object(o) => o.into_iter().map(|(k, _)| vec![Val::Str(k)]).collect(),
                    Val::Str(s) => s.chars().map(|c| vec![Val::Str(c.to_string())]).collect(),
                    _ => Vec::new(),
                };
                if items.is_empty() {
                    render_nodes(otherwise, scope, out)?;
                    continue;
                }
                let len = items.len();
                for (i, values) in items.into_iter().enumerate() {
                    let mut frame = IndexMap::new();
                    for (name, v) in vars.iter().zip(values) {
                        frame.insert(name.clone(), v);
                    }
                    let mut lp = IndexMap::new();
                    lp.insert("index".into(), Val::Num((i + 1) as f64));
                    lp.insert("index0".into(), Val::Num(i as f64));
                    lp.insert("revindex".into(), Val::Num((len - i) as f64));
                    lp.insert("revindex0".into(), Val::Num((len - i - 1) as f64));
                    lp.insert("first".into(), Val::Bool(i == 0));
                    lp.insert("last".into(), Val::Bool(i + 1 == len));
                    lp.insert("length".into(), Val::Num(len as f64));
                    frame.insert("loop".into(), Val::Object(lp));
                    scope.frames.push(frame);
                    let result = render_nodes(body, scope, out);
                    scope.frames.pop();
                    result?;
                }
            }
            Node::Set(names, e) => {
                let v = eval(e, scope)?;
                for name in names {
                    scope.set(name, v.clone());
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Expressions

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Val),
    Name(String),
    Array(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Member(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Filter(Box<Expr>, String, Vec<Expr>),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    /// `value is test(args)`, negated with `is not`.
    Is(Box<Expr>, String, Vec<Expr>, bool),
    InlineIf(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
}

#[derive(Debug, Clone, PartialEq)]
enum T {
    Num(f64),
    Str(String),
    Ident(String),
    Op(&'static str),
}

const OPS: [&str; 27] = [
    "===", "!==", "//", "**", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "~", "(",
    ")", "[", "]", "{", "}", ",", ":", ".", "|", "=",
];

fn tokenize(src: &str) -> Result<Vec<T>, String> {
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

/// Parse one expression (the inside of `${{ … }}`).
pub fn parse_expr(src: &str) -> Result<Expr, String> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return err("empty expression");
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        nodes: 0,
    };
    let e = p.inline_if()?;
    if p.pos < p.toks.len() {
        return err(format!("unexpected {}", describe(&p.toks[p.pos])));
    }
    Ok(e)
}

fn describe(t: &T) -> String {
    match t {
        T::Num(n) => format!("number {}", js_number(*n)),
        T::Str(s) => format!("string {s:?}"),
        T::Ident(s) => format!("`{s}`"),
        T::Op(o) => format!("`{o}`"),
    }
}

struct Parser {
    toks: Vec<T>,
    pos: usize,
    depth: usize,
    nodes: usize,
}

/// How many operators, lookups and filters one expression may chain.
const MAX_NODES: usize = 100;

/// How deep blocks and expressions may nest.
const MAX_DEPTH: usize = 24;

impl Parser {
    fn peek(&self) -> Option<&T> {
        self.toks.get(self.pos)
    }

    fn peek_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(T::Op(o)) if *o == op)
    }

    fn peek_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(T::Ident(i)) if i == w)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.peek_op(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.peek_word(w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<(), String> {
        if self.eat_op(op) {
            Ok(())
        } else {
            match self.peek() {
                Some(t) => err(format!("expected `{op}`, found {}", describe(t))),
                None => err(format!("expected `{op}` at the end")),
            }
        }
    }

    fn inline_if(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        let result = self.inline_if_inner();
        self.depth -= 1;
        result
    }

    /// Chains (`a + b + …`, `a.b.c…`, `x | f | g…`) build deep trees:
    /// bounded, so evaluating and dropping them cannot overflow the stack.
    fn grow(&mut self) -> Result<(), String> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            err("expression too long")
        } else {
            Ok(())
        }
    }

    fn deeper(&self) -> Result<(), String> {
        if self.depth > MAX_DEPTH {
            err("expression nested too deeply")
        } else {
            Ok(())
        }
    }

    fn inline_if_inner(&mut self) -> Result<Expr, String> {
        self.deeper()?;
        let body = self.or()?;
        if self.eat_word("if") {
            let cond = self.or()?;
            let otherwise = if self.eat_word("else") {
                Some(Box::new(self.or()?))
            } else {
                None
            };
            return Ok(Expr::InlineIf(Box::new(cond), Box::new(body), otherwise));
        }
        Ok(body)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat_word("or") {
            self.grow()?;
            left = Expr::Binary("or", Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.not()?;
        while self.eat_word("and") {
            self.grow()?;
            left = Expr::Binary("and", Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.eat_word("not") {
            self.depth += 1;
            let inner = self.deeper().and_then(|_| self.not());
            self.depth -= 1;
            return Ok(Expr::Unary("not", Box::new(inner?)));
        }
        self.in_()
    }

    fn in_(&mut self) -> Result<Expr, String> {
        let mut left = self.is()?;
        loop {
            if self.peek_word("not")
                && matches!(self.toks.get(self.pos + 1), Some(T::Ident(w)) if w == "in")
            {
                self.pos += 2;
                let right = self.is()?;
                self.grow()?;
                left = Expr::Unary(
                    "not",
                    Box::new(Expr::Binary("in", Box::new(left), Box::new(right))),
                );
            } else if self.eat_word("in") {
                self.grow()?;
                left = Expr::Binary("in", Box::new(left), Box::new(self.is()?));
            } else {
                return Ok(left);
            }
        }
    }

    fn is(&mut self) -> Result<Expr, String> {
        let left = self.compare()?;
        if self.eat_word("is") {
            let negated = self.eat_word("not");
            let name = match self.peek().cloned() {
                Some(T::Ident(n)) => n,
                Some(t) => {
                    return err(format!(
                        "expected a test name after `is`, found {}",
                        describe(&t)
                    ))
                }
                None => return err("expected a test name after `is`"),
            };
            self.pos += 1;
            let args = if self.peek_op("(") {
                self.args()?
            } else if !matches!(self.peek(), None | Some(T::Ident(_)) | Some(T::Op(_))) {
                vec![self.compare()?]
            } else {
                Vec::new()
            };
            return Ok(Expr::Is(Box::new(left), name, args, negated));
        }
        Ok(left)
    }

    fn compare(&mut self) -> Result<Expr, String> {
        let mut left = self.concat()?;
        loop {
            let op = match self.peek() {
                Some(T::Op(o @ ("==" | "===" | "!=" | "!==" | "<" | ">" | "<=" | ">="))) => *o,
                _ => return Ok(left),
            };
            self.pos += 1;
            self.grow()?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.concat()?));
        }
    }

    fn concat(&mut self) -> Result<Expr, String> {
        let mut left = self.add()?;
        while self.eat_op("~") {
            self.grow()?;
            left = Expr::Binary("~", Box::new(left), Box::new(self.add()?));
        }
        Ok(left)
    }

    fn add(&mut self) -> Result<Expr, String> {
        let mut left = self.mul()?;
        loop {
            let op = match self.peek() {
                Some(T::Op(o @ ("+" | "-"))) => *o,
                _ => return Ok(left),
            };
            self.pos += 1;
            self.grow()?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.mul()?));
        }
    }

    fn mul(&mut self) -> Result<Expr, String> {
        let mut left = self.pow()?;
        loop {
            let op = match self.peek() {
                Some(T::Op(o @ ("*" | "/" | "//" | "%"))) => *o,
                _ => return Ok(left),
            };
            self.pos += 1;
            self.grow()?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.pow()?));
        }
    }

    fn pow(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.eat_op("**") {
            self.grow()?;
            left = Expr::Binary("**", Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        let e = if self.eat_op("-") {
            Expr::Unary("-", Box::new(self.unary_no_filters()?))
        } else if self.eat_op("+") {
            Expr::Unary("+", Box::new(self.unary_no_filters()?))
        } else {
            self.postfix()?
        };
        self.filters(e)
    }

    fn unary_no_filters(&mut self) -> Result<Expr, String> {
        if self.eat_op("-") {
            self.depth += 1;
            let inner = self.deeper().and_then(|_| self.unary_no_filters());
            self.depth -= 1;
            Ok(Expr::Unary("-", Box::new(inner?)))
        } else {
            self.postfix()
        }
    }

    fn filters(&mut self, mut e: Expr) -> Result<Expr, String> {
        while self.eat_op("|") {
            let mut name = match self.peek().cloned() {
                Some(T::Ident(n)) => n,
                Some(t) => {
                    return err(format!(
                        "expected a filter name after `|`, found {}",
                        describe(&t)
                    ))
                }
                None => return err("expected a filter name after `|`"),
            };
            self.pos += 1;
            while self.eat_op(".") {
                match self.peek().cloned() {
                    Some(T::Ident(n)) => {
                        name = format!("{name}.{n}");
                        self.pos += 1;
                    }
                    _ => return err("bad filter name"),
                }
            }
            let args = if self.peek_op("(") {
                self.args()?
            } else {
                Vec::new()
            };
            self.grow()?;
            e = Expr::Filter(Box::new(e), name, args);
        }
        Ok(e)
    }

    fn args(&mut self) -> Result<Vec<Expr>, String> {
        self.expect_op("(")?;
        let mut args = Vec::new();
        while !self.eat_op(")") {
            if !args.is_empty() {
                self.expect_op(",")?;
                if self.eat_op(")") {
                    break;
                }
            }
            // Keyword arguments are accepted and passed by position.
            if matches!(self.peek(), Some(T::Ident(_)))
                && matches!(self.toks.get(self.pos + 1), Some(T::Op("=")))
            {
                self.pos += 2;
            }
            args.push(self.inline_if()?);
        }
        Ok(args)
    }

    fn postfix(&mut self) -> Result<Expr, String> {
        let mut e = self.primary()?;
        loop {
            if self.eat_op(".") {
                match self.peek().cloned() {
                    Some(T::Ident(n)) => {
                        self.pos += 1;
                        self.grow()?;
                        e = Expr::Member(Box::new(e), Box::new(Expr::Lit(Val::Str(n))));
                    }
                    Some(T::Num(n)) => {
                        self.pos += 1;
                        self.grow()?;
                        e = Expr::Member(Box::new(e), Box::new(Expr::Lit(Val::Num(n))));
                    }
                    _ => return err("expected a name after `.`"),
                }
            } else if self.eat_op("[") {
                let key = self.inline_if()?;
                self.expect_op("]")?;
                self.grow()?;
                e = Expr::Member(Box::new(e), Box::new(key));
            } else if self.peek_op("(") {
                let args = self.args()?;
                self.grow()?;
                e = Expr::Call(Box::new(e), args);
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let Some(tok) = self.peek().cloned() else {
            return err("unexpected end of expression");
        };
        self.pos += 1;
        Ok(match tok {
            T::Num(n) => Expr::Lit(Val::Num(n)),
            T::Str(s) => Expr::Lit(Val::Str(s)),
            T::Ident(w) => match w.as_str() {
                "true" | "True" => Expr::Lit(Val::Bool(true)),
                "false" | "False" => Expr::Lit(Val::Bool(false)),
                "none" | "None" | "null" => Expr::Lit(Val::Null),
                _ => Expr::Name(w),
            },
            T::Op("(") => {
                let e = self.inline_if()?;
                self.expect_op(")")?;
                e
            }
            T::Op("[") => {
                let mut items = Vec::new();
                while !self.eat_op("]") {
                    if !items.is_empty() {
                        self.expect_op(",")?;
                        if self.eat_op("]") {
                            break;
                        }
                    }
                    items.push(self.inline_if()?);
                }
                Expr::Array(items)
            }
            T::Op("{") => {
                let mut items = Vec::new();
                while !self.eat_op("}") {
                    if !items.is_empty() {
                        self.expect_op(",")?;
                        if self.eat_op("}") {
                            break;
                        }
                    }
                    let key = match self.peek().cloned() {
                        Some(T::Ident(k)) => {
                            self.pos += 1;
                            Expr::Lit(Val::Str(k))
                        }
                        _ => self.primary()?,
                    };
                    self.expect_op(":")?;
                    items.push((key, self.inline_if()?));
                }
                Expr::Dict(items)
            }
            other => return err(format!("unexpected {}", describe(&other))),
        })
    }
}

fn eval(e: &Expr, scope: &mut Scope<'_>) -> Result<Val, String> {
    Ok(match e {
        Expr::Lit(v) => v.clone(),
        Expr::Name(n) => scope.lookup(n),
        Expr::Array(items) => Val::Array(
            items
                .iter()
                .map(|i| eval(i, scope))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Dict(items) => {
            let mut map = IndexMap::new();
            for (k, v) in items {
                let k = eval(k, scope)?.js_string();
                map.insert(k, eval(v, scope)?);
            }
            Val::Object(map)
        }
        Expr::Member(obj, key) => {
            let obj = eval(obj, scope)?;
            let key = eval(key, scope)?;
            obj.member(&key)
        }
        Expr::Call(callee, args) => {
            let args: Vec<Val> = args
                .iter()
                .map(|a| eval(a, scope))
                .collect::<Result<_, _>>()?;
            match callee.as_ref() {
                Expr::Member(obj, key) => {
                    let obj = eval(obj, scope)?;
                    let key = eval(key, scope)?.js_string();
                    filters::call_method(&obj, &key, &args)?
                }
                Expr::Name(name) => filters::call_global(name, &args)?,
                _ => return err("this value cannot be called"),
            }
        }
        Expr::Filter(value, name, args) => {
            let value = eval(value, scope)?;
            let args: Vec<Val> = args
                .iter()
                .map(|a| eval(a, scope))
                .collect::<Result<_, _>>()?;
            filters::apply(name, value, &args)?
        }
        Expr::Unary(op, inner) => {
            let v = eval(inner, scope)?;
            match *op {
                "not" => Val::Bool(!v.truthy()),
                "-" => Val::Num(-v.js_number()),
                _ => Val::Num(v.js_number()),
            }
        }
        Expr::Binary("and", l, r) => {
            let l = eval(l, scope)?;
            if !l.truthy() {
                l
            } else {
                eval(r, scope)?
            }
        }
        Expr::Binary("or", l, r) => {
            let l = eval(l, scope)?;
            if l.truthy() {
                l
            } else {
                eval(r, scope)?
            }
        }
        Expr::Binary(op, l, r) => {
            let l = eval(l, scope)?;
            let r = eval(r, scope)?;
            binary(op, &l, &r)?
        }
        Expr::Is(v, test, args, negated) => {
            let v = eval(v, scope)?;
            let args: Vec<Val> = args
                .iter()
                .map(|a| eval(a, scope))
                .collect::<Result<_, _>>()?;
            Val::Bool(filters::test(test, &v, &args)? != *negated)
        }
        Expr::InlineIf(cond, body, otherwise) => {
            if eval(cond, scope)?.truthy() {
                eval(body, scope)?
            } else {
                match otherwise {
                    Some(o) => eval(o, scope)?,
                    None => Val::Undefined,
                }
            }
        }
    })
}

fn is_primitive_string(v: &Val) -> bool {
    matches!(v, Val::Str(_) | Val::Array(_) | Val::Object(_))
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

fn binary(op: &str, l: &Val, r: &Val) -> Result<Val, String> {
    Ok(match op {
        "==" => Val::Bool(loose_eq(l, r)),
        "!=" => Val::Bool(!loose_eq(l, r)),
        "===" => Val::Bool(strict_eq(l, r)),
        "!==" => Val::Bool(!strict_eq(l, r)),
        "<" | ">" | "<=" | ">=" => {
            let ord = match (l, r) {
                (Val::Str(a), Val::Str(b)) => Some(a.encode_utf16().cmp(b.encode_utf16())),
                _ => l.js_number().partial_cmp(&r.js_number()),
            };
            Val::Bool(match (op, ord) {
                (_, None) => false,
                ("<", Some(o)) => o.is_lt(),
                (">", Some(o)) => o.is_gt(),
                ("<=", Some(o)) => o.is_le(),
                (_, Some(o)) => o.is_ge(),
            })
        }
        "~" => Val::Str(format!("{}{}", l.js_string(), r.js_string())),
        "+" => {
            if is_primitive_string(l) || is_primitive_string(r) {
                Val::Str(format!("{}{}", l.js_string(), r.js_string()))
            } else {
                Val::Num(l.js_number() + r.js_number())
            }
        }
        "-" => Val::Num(l.js_number() - r.js_number()),
        "*" => Val::Num(l.js_number() * r.js_number()),
        "/" => Val::Num(l.js_number() / r.js_number()),
        "//" => Val::Num((l.js_number() / r.js_number()).floor()),
        "%" => Val::Num(l.js_number() % r.js_number()),
        "**" => Val::Num(l.js_number().powf(r.js_number())),
        "in" => Val::Bool(match r {
            Val::Array(a) => a.iter().any(|x| strict_eq(x, l)),
            Val::Str(s) => s.contains(&l.js_string()),
            Val::Object(o) => o.contains_key(&l.js_string()),
            _ => {
                return err(format!(
                    "cannot use `in` with a {} on the right",
                    r.type_name()
                ))
            }
        }),
        other => return err(format!("unknown operator `{other}`")),
    })
}

// ---------------------------------------------------------------------------
// Entry points

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
    let mut scope = Scope {
        root: ctx,
        frames: vec![IndexMap::new()],
        work: 0,
    };
    eval(&e, &mut scope).map_err(fail)
}

/// Render a step input, `if`, `each` or `output` value the way the
/// scaffolder's workflow runner does: every string is a template; a string
/// that is exactly one `${{ … }}` keeps the JSON type of its result, and
/// is dropped from its object when that is `undefined` (`null` in an
/// array); any other string renders to a string. Keys are not rendered.
pub fn render_value(input: &Value, ctx: &Val) -> Result<Option<Value>, ExprError> {
    Ok(match input {
        Value::String(s) => {
            let template = Template::parse(s, Syntax::default())?;
            if let Some(e) = template.single_expression() {
                let mut scope = Scope {
                    root: ctx,
                    frames: vec![IndexMap::new()],
                    work: 0,
                };
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
            }
        }
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
