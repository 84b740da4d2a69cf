//! Filters, tests and the few callable functions of the template engine:
//! the Nunjucks built-ins templates use, the scaffolder's own
//! (`parseRepoUrl`, `parseEntityRef`, `pick`, `projectSlug`) and
//! cookiecutter's `jsonify`. Each follows the JavaScript original's
//! behaviour on odd input (undefined, numbers as strings) so output matches
//! byte for byte.

mod calls;
mod json;
mod scaffolder;

use indexmap::IndexMap;

use super::value::{js_number, Val};
pub use calls::{call_global, call_method, test};
pub use json::dump;
pub use scaffolder::{parse_entity_ref, parse_repo_url, pick};

/// Every filter name [`apply`] knows, for error messages and docs.
pub const FILTERS: &[&str] = &[
    "abs",
    "batch",
    "capitalize",
    "center",
    "d",
    "default",
    "dictsort",
    "dump",
    "e",
    "escape",
    "first",
    "float",
    "forceescape",
    "indent",
    "int",
    "join",
    "jsonify",
    "last",
    "length",
    "list",
    "lower",
    "nl2br",
    "parseEntityRef",
    "parseRepoUrl",
    "pick",
    "projectSlug",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "trim",
    "truncate",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
];

/// The widest `center` / `indent` honoured.
const MAX_WIDTH: usize = 10_000;

use crate::template::expr::{check_len, MAX_ITEMS};

fn arg(args: &[Val], i: usize) -> Val {
    args.get(i).cloned().unwrap_or_default()
}

/// Nunjucks' `normalize(value, default)`: null, undefined and false
/// become the default.
fn normalize(v: &Val, default: &str) -> String {
    match v {
        Val::Undefined | Val::Null | Val::Bool(false) => default.to_string(),
        v => v.js_string(),
    }
}

/// A filter on its input, failing as the scaffolder's renderer (nunjitsu)
/// fails: `Filter "trim" failed for undefined input: …`.
pub fn apply(name: &str, v: Val, args: &[Val]) -> Result<Val, String> {
    let kind = v.type_name();
    apply_inner(name, v, args).map_err(|e| {
        if FILTERS.contains(&name) && !e.starts_with("filter not found") {
            format!("Filter \"{name}\" failed for {kind} input: {e}")
        } else {
            e
        }
    })
}

/// nunjitsu's `normalizedRuntimeText`: undefined, null and false are "",
/// other non-strings fail.
fn norm_text(v: &Val) -> Result<String, String> {
    match v {
        Val::Undefined | Val::Null | Val::Bool(false) => Ok(String::new()),
        v => text(v),
    }
}

/// nunjitsu's `runtimeText`: only strings are text.
fn text(v: &Val) -> Result<String, String> {
    match v {
        Val::Str(s) => Ok(s.clone()),
        _ => Err("Filter input must be a string".into()),
    }
}

fn apply_inner(name: &str, v: Val, args: &[Val]) -> Result<Val, String> {
    Ok(match name {
        "abs" => Val::Num(v.js_number().abs()),
        "batch" => {
            let size = arg(args, 0).js_number().max(1.0) as usize;
            let fill = args.get(1).cloned();
            let items = as_list(&v);
            let mut out: Vec<Val> = items.chunks(size).map(|c| Val::Array(c.to_vec())).collect();
            if let (Some(fill), Some(Val::Array(last))) = (fill, out.last_mut()) {
                while last.len() < size {
                    last.push(fill.clone());
                }
            }
            Val::Array(out)
        }
        "capitalize" => {
            let s = norm_text(&v)?.to_lowercase();
            let mut chars = s.chars();
            Val::Str(match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect(),
                None => String::new(),
            })
        }
        "center" => {
            let s = normalize(&v, "");
            // Bounded: catalog data is untrusted.
            let width = match args.first() {
                Some(w) => (w.js_number() as usize).min(MAX_WIDTH),
                None => 80,
            };
            let len = s.chars().count();
            if len >= width {
                Val::Str(s)
            } else {
                let pad = width - len;
                let left = pad / 2;
                Val::Str(format!("{}{s}{}", " ".repeat(left), " ".repeat(pad - left)))
            }
        }
        "default" | "d" => {
            let use_truthiness = arg(args, 1).truthy();
            let keep = if use_truthiness {
                v.truthy()
            } else {
                !matches!(v, Val::Undefined)
            };
            if keep {
                v
            } else {
                arg(args, 0)
            }
        }
        "dictsort" => {
            let Val::Object(o) = v else {
                return Err("dictsort filter: value must be an object".into());
            };
            let case_sensitive = arg(args, 0).truthy();
            let by_value = arg(args, 1).js_string() == "value";
            let mut pairs: Vec<(String, Val)> = o.into_iter().collect();
            let key = |p: &(String, Val)| {
                let s = if by_value {
                    p.1.js_string()
                } else {
                    p.0.clone()
                };
                if case_sensitive {
                    s
                } else {
                    s.to_lowercase()
                }
            };
            pairs.sort_by_key(key);
            Val::Array(
                pairs
                    .into_iter()
                    .map(|(k, v)| Val::Array(vec![Val::Str(k), v]))
                    .collect(),
            )
        }
        "dump" | "jsonify" => match dump(&v, &arg(args, 0)) {
            Some(s) => Val::Str(s),
            None => Val::Undefined,
        },
        "escape" | "e" | "forceescape" => Val::Str(escape_html(&v.output())),
        "first" | "last" => match v {
            Val::Undefined | Val::Null => return Err(format!("{name} requires a sequence")),
            Val::Array(a) if name == "first" => a.into_iter().next().unwrap_or_default(),
            Val::Array(a) => a.into_iter().last().unwrap_or_default(),
            Val::Str(s) if name == "first" => s
                .chars()
                .next()
                .map(|c| Val::Str(c.into()))
                .unwrap_or_default(),
            Val::Str(s) => s
                .chars()
                .last()
                .map(|c| Val::Str(c.into()))
                .unwrap_or_default(),
            Val::Object(o) if name == "first" => o.get("0").cloned().unwrap_or_default(),
            Val::Object(o) => {
                let i = o.get("length").map(Val::js_number).unwrap_or(f64::NAN) - 1.0;
                o.get(&js_number(i)).cloned().unwrap_or_default()
            }
            _ => Val::Undefined,
        },
        // `parseFloat` / `parseInt` of the input's string; NaN gives the
        // default argument, undefined when there is none.
        "float" => {
            let n = parse_float(&v.js_string());
            if n.is_nan() {
                arg(args, 0)
            } else {
                Val::Num(n)
            }
        }
        "int" => {
            let n = parse_int(&v.js_string());
            if n.is_nan() {
                arg(args, 0)
            } else {
                Val::Num(n)
            }
        }
        "indent" => {
            let s = norm_text(&v)?;
            if s.is_empty() {
                return Ok(Val::Str(s));
            }
            let width = match args.first() {
                Some(w) if w.truthy() => (w.js_number() as usize).min(MAX_WIDTH),
                _ => 4,
            };
            let first = arg(args, 1).truthy();
            check_len(
                s.len() + (s.matches('\n').count() + 1).saturating_mul(width),
                "indent",
            )?;
            let sp = " ".repeat(width);
            Val::Str(
                s.split('\n')
                    .enumerate()
                    .map(|(i, l)| {
                        if i == 0 && !first {
                            l.to_string()
                        } else {
                            format!("{sp}{l}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        }
        "join" => {
            // Joins with "" by default (JavaScript's `Array.join` uses ",";
            // see `call_method`); only arrays join.
            let sep = match args.first() {
                Some(s) if s.truthy() => s.js_string(),
                _ => String::new(),
            };
            let Val::Array(items) = v else {
                return Err("join requires an array".into());
            };
            let items: Vec<Val> = match args.get(1) {
                Some(attr) if !matches!(attr, Val::Undefined) => {
                    items.iter().map(|i| i.member(attr)).collect()
                }
                _ => items,
            };
            let parts: Vec<String> = items.iter().map(Val::output).collect();
            let total = parts.iter().map(String::len).sum::<usize>()
                + parts.len().saturating_sub(1).saturating_mul(sep.len());
            check_len(total, "join")?;
            Val::Str(parts.join(&sep))
        }
        "length" => Val::Num(match &v {
            Val::Str(s) => s.encode_utf16().count(),
            Val::Array(a) => a.len(),
            Val::Object(o) => o.len(),
            _ => 0,
        } as f64),
        "list" => match v {
            Val::Str(s) => Val::Array(s.chars().map(|c| Val::Str(c.into())).collect()),
            Val::Array(a) => Val::Array(a),
            Val::Object(o) => Val::Array(
                o.into_iter()
                    .map(|(k, v)| {
                        let mut m = IndexMap::new();
                        m.insert("key".into(), Val::Str(k));
                        m.insert("value".into(), v);
                        Val::Object(m)
                    })
                    .collect(),
            ),
            _ => return Err("list requires an iterable value".into()),
        },
        "lower" => Val::Str(norm_text(&v)?.to_lowercase()),
        "upper" => Val::Str(norm_text(&v)?.to_uppercase()),
        "nl2br" => Val::Str(
            match v {
                Val::Undefined | Val::Null => String::new(),
                v => text(&v)?,
            }
            .replace("\r\n", "<br />\n")
            .replace('\n', "<br />\n"),
        ),
        "replace" => replace(v, args)?,
        "reverse" => match v {
            Val::Str(s) => Val::Str(s.chars().rev().collect()),
            Val::Array(mut a) => {
                a.reverse();
                Val::Array(a)
            }
            other => other,
        },
        "round" => {
            let n = v.js_number();
            let precision = arg(args, 0).js_number();
            let precision = if precision.is_nan() { 0.0 } else { precision };
            let factor = 10f64.powf(precision);
            let method = arg(args, 1).js_string();
            let scaled = n * factor;
            let r = match method.as_str() {
                "ceil" => scaled.ceil(),
                "floor" => scaled.floor(),
                // JS Math.round: halves go up.
                _ => (scaled + 0.5).floor(),
            };
            Val::Num(r / factor)
        }
        "safe" => v,
        "select" | "reject" => {
            let want = name == "select";
            let test_name = args.first().map(Val::js_string);
            let mut out = Vec::new();
            for item in as_list(&v) {
                let pass = match &test_name {
                    Some(t) => test(t, &item, &args[1..])?,
                    None => item.truthy(),
                };
                if pass == want {
                    out.push(item);
                }
            }
            Val::Array(out)
        }
        "selectattr" | "rejectattr" => {
            let want = name == "selectattr";
            let attr = arg(args, 0);
            let test_name = args.get(1).map(Val::js_string);
            let mut out = Vec::new();
            for item in as_list(&v) {
                let field = item.member(&attr);
                let pass = match &test_name {
                    Some(t) => test(t, &field, &args[2..])?,
                    None => field.truthy(),
                };
                if pass == want {
                    out.push(item);
                }
            }
            Val::Array(out)
        }
        "sort" => {
            let reverse = arg(args, 0).truthy();
            let case_sensitive = arg(args, 1).truthy();
            let attr = args.get(2).cloned();
            let mut items = as_list(&v);
            let key = |x: &Val| -> Val {
                let x = match &attr {
                    Some(a) if !matches!(a, Val::Undefined) => x.member(a),
                    _ => x.clone(),
                };
                match x {
                    Val::Str(s) if !case_sensitive => Val::Str(s.to_lowercase()),
                    other => other,
                }
            };
            items.sort_by(|a, b| {
                let (a, b) = (key(a), key(b));
                let ord = match (&a, &b) {
                    (Val::Str(x), Val::Str(y)) => x.cmp(y),
                    _ => a
                        .js_number()
                        .partial_cmp(&b.js_number())
                        .unwrap_or(std::cmp::Ordering::Equal),
                };
                if reverse {
                    ord.reverse()
                } else {
                    ord
                }
            });
            Val::Array(items)
        }
        "string" => match v {
            Val::Undefined | Val::Null => return Err("string requires a value".into()),
            v => Val::Str(v.output()),
        },
        "striptags" => {
            let s = norm_text(&v)?;
            let mut out = String::new();
            let mut in_tag = false;
            for c in s.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' if in_tag => in_tag = false,
                    c if !in_tag => out.push(c),
                    _ => {}
                }
            }
            let collapsed: Vec<&str> = out.split_whitespace().collect();
            Val::Str(collapsed.join(" "))
        }
        "sum" => {
            let attr = args.first().cloned();
            if !matches!(v, Val::Array(_))
                && attr.as_ref().is_none_or(|a| matches!(a, Val::Undefined))
            {
                return Err("sum requires an array".into());
            }
            let start = args.get(1).map(Val::js_number).unwrap_or(0.0);
            Val::Num(as_list(&v).iter().fold(start, |acc, x| {
                acc + match &attr {
                    Some(a) if !matches!(a, Val::Undefined) => x.member(a).js_number(),
                    _ => x.js_number(),
                }
            }))
        }
        "title" => Val::Str(
            norm_text(&v)?
                .split(' ')
                .map(|w| match apply("capitalize", Val::Str(w.into()), &[]) {
                    Ok(Val::Str(s)) => s,
                    _ => String::new(),
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "trim" => Val::Str(text(&v)?.trim().to_string()),
        "truncate" => truncate(&v, args),
        "urlencode" => match &v {
            Val::Object(o) => Val::Str(
                o.iter()
                    .map(|(k, v)| {
                        format!(
                            "{}={}",
                            encode_uri_component(k),
                            encode_uri_component(&v.js_string())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("&"),
            ),
            Val::Array(a) => Val::Str(
                a.iter()
                    .map(|pair| {
                        format!(
                            "{}={}",
                            encode_uri_component(&pair.member(&Val::Num(0.0)).js_string()),
                            encode_uri_component(&pair.member(&Val::Num(1.0)).js_string())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("&"),
            ),
            Val::Str(s) => Val::Str(encode_uri_component(s)),
            // Neither text nor a sequence: nothing to encode.
            _ => Val::Str(String::new()),
        },
        "urlize" => urlize(&text(&v)?, args),
        // The runs of `\w` (ASCII letters, digits, `_`); empty, null or
        // false input gives null.
        "wordcount" => {
            if !v.truthy() {
                Val::Null
            } else {
                let words = text(&v)?
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                    .count();
                if words == 0 {
                    Val::Null
                } else {
                    Val::Num(words as f64)
                }
            }
        }
        // Scaffolder filters.
        "parseRepoUrl" => parse_repo_url(&v)?,
        "parseEntityRef" => parse_entity_ref(&v, &arg(args, 0))?,
        "pick" => pick(&v, &arg(args, 0).js_string()),
        "projectSlug" => {
            let parts = parse_repo_url(&v)?;
            let owner = parts.member(&Val::Str("owner".into()));
            let repo = parts.member(&Val::Str("repo".into()));
            Val::Str(format!("{}/{}", owner.js_string(), repo.js_string()))
        }
        other => return Err(format!("filter not found: {other}")),
    })
}

/// Nunjucks' `urlize(length, nofollow)`: words that look like links
/// (http(s)://, www., an e-mail address, a .org/.net/.com name) become
/// anchors; whitespace is kept.
fn urlize(s: &str, args: &[Val]) -> Val {
    let limit = match args.first() {
        None | Some(Val::Undefined) => usize::MAX,
        Some(v) => {
            let n = v.js_number();
            if n.is_nan() {
                if matches!(v, Val::Num(_)) {
                    usize::MAX
                } else {
                    0
                }
            } else if n <= 0.0 {
                0
            } else if n.is_finite() {
                n.trunc() as usize
            } else {
                usize::MAX
            }
        }
    };
    let nofollow = if matches!(args.get(1), Some(Val::Bool(true))) {
        " rel=\"nofollow\""
    } else {
        ""
    };
    let mut out = String::new();
    for word in split_keeping_whitespace(s) {
        if word.is_empty() {
            continue;
        }
        let possible = urlize_core(word);
        let short =
            String::from_utf16_lossy(&possible.encode_utf16().take(limit).collect::<Vec<u16>>());
        if possible.starts_with("http://") || possible.starts_with("https://") {
            out.push_str(&format!("<a href=\"{possible}\"{nofollow}>{short}</a>"));
        } else if possible.starts_with("www.") {
            out.push_str(&format!(
                "<a href=\"http://{possible}\"{nofollow}>{short}</a>"
            ));
        } else if is_email(possible) {
            out.push_str(&format!("<a href=\"mailto:{possible}\">{possible}</a>"));
        } else if has_common_domain(possible) {
            out.push_str(&format!(
                "<a href=\"http://{possible}\"{nofollow}>{short}</a>"
            ));
        } else {
            out.push_str(word);
        }
    }
    Val::Str(out)
}

/// `s.split(/(\s+)/)`: words and the whitespace runs between them.
fn split_keeping_whitespace(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_ws: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let ws = c.is_whitespace();
        if in_ws.is_some_and(|w| w != ws) {
            out.push(&s[start..i]);
            start = i;
        }
        in_ws = Some(ws);
    }
    out.push(&s[start..]);
    out
}

/// `/^(?:\(|<|&lt;)?(.*?)(?:\.|,|\)|\n|&gt;)?$/`: one leading and one
/// trailing punctuation mark dropped.
fn urlize_core(word: &str) -> &str {
    let w = word
        .strip_prefix("&lt;")
        .or_else(|| word.strip_prefix('('))
        .or_else(|| word.strip_prefix('<'))
        .unwrap_or(word);
    w.strip_suffix("&gt;")
        .or_else(|| w.strip_suffix(['.', ',', ')', '\n']))
        .unwrap_or(w)
}

/// `/^[\w.!#$%&'*+\-/=?^`{|}~]+@[a-z\d-]+(?:\.[a-z\d-]+)+$/i`
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.!#$%&'*+-/=?^`{|}~".contains(c));
    let parts: Vec<&str> = domain.split('.').collect();
    local_ok
        && parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// `/\.(?:org|net|com)(?::|\/|$)/`
fn has_common_domain(s: &str) -> bool {
    ["org", "net", "com"].iter().any(|tld| {
        let pat = format!(".{tld}");
        s.match_indices(&pat).any(|(i, _)| {
            let rest = &s[i + pat.len()..];
            rest.is_empty() || rest.starts_with(':') || rest.starts_with('/')
        })
    })
}

fn as_list(v: &Val) -> Vec<Val> {
    match v {
        Val::Array(a) => a.clone(),
        Val::Str(s) => s
            .chars()
            .take(MAX_ITEMS)
            .map(|c| Val::Str(c.into()))
            .collect(),
        Val::Object(o) => o.values().cloned().collect(),
        _ => Vec::new(),
    }
}

fn replace(v: Val, args: &[Val]) -> Result<Val, String> {
    let old = match arg(args, 0) {
        Val::Str(s) => s,
        Val::Num(n) => js_number(n),
        _ => return Ok(v),
    };
    let new = arg(args, 1).js_string();
    let s = match &v {
        Val::Str(s) => s.clone(),
        Val::Num(n) => js_number(*n),
        _ => return Ok(v),
    };
    let max = match args.get(2) {
        None | Some(Val::Undefined) => -1.0,
        Some(m) => m.js_number(),
    };
    if old.is_empty() {
        let gaps = s.chars().count() + 1;
        check_len(s.len() + gaps.saturating_mul(new.len()), "replace")?;
        let chars: Vec<String> = s.chars().map(String::from).collect();
        return Ok(Val::Str(format!("{new}{}{new}", chars.join(&new))));
    }
    if max == 0.0 || !s.contains(&old) {
        return Ok(Val::Str(s));
    }
    // The result's length before it is built: a chain of replaces must
    // not grow without bound.
    let mut count = s.matches(old.as_str()).count();
    if max >= 0.0 {
        count = count.min(max as usize);
    }
    if new.len() > old.len() {
        check_len(
            s.len() + count.saturating_mul(new.len() - old.len()),
            "replace",
        )?;
    }
    Ok(if max < 0.0 {
        Val::Str(s.replace(&old, &new))
    } else {
        Val::Str(s.replacen(&old, &new, max as usize))
    })
}

fn truncate(v: &Val, args: &[Val]) -> Val {
    let s = normalize(v, "");
    let length = match args.first() {
        Some(l) if l.truthy() => l.js_number() as usize,
        _ => 255,
    };
    let killwords = arg(args, 1).truthy();
    let end = match args.get(2) {
        Some(e) if !matches!(e, Val::Undefined | Val::Null) => e.js_string(),
        _ => "...".into(),
    };
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= length {
        return Val::Str(s);
    }
    let mut cut: String = chars[..length].iter().collect();
    if !killwords {
        if let Some(idx) = cut.rfind(' ') {
            cut.truncate(idx);
        } else {
            cut = chars.iter().collect();
        }
    }
    Val::Str(cut + &end)
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// JavaScript `encodeURIComponent`.
pub fn encode_uri_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse_int(s: &str) -> f64 {
    let t = s.trim_start();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    let n: f64 = digits.parse().unwrap_or(f64::NAN);
    if neg {
        -n
    } else {
        n
    }
}

fn parse_float(s: &str) -> f64 {
    let t = s.trim_start();
    // The longest prefix that parses, as JS parseFloat does.
    let mut end = 0;
    for (i, _) in t.char_indices().chain(std::iter::once((t.len(), ' '))) {
        if i > 0 && t[..i].parse::<f64>().is_ok() && !t[..i].ends_with(['e', 'E']) {
            end = i;
        }
    }
    if end == 0 {
        return f64::NAN;
    }
    t[..end].parse().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests;
