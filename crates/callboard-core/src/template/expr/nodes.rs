//! Template structure: the block tags (`if`, `for`, `set`, `raw`) parsed
//! into nodes, and rendering them with bounded work.

use indexmap::IndexMap;

use super::eval::{eval, Scope};
use super::lexer::{lex, Tok};
use super::parser::{parse_expr, Expr, MAX_DEPTH};
use super::{err, shorten, ExprError, Syntax, Val};

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
        let mut scope = Scope::new(ctx);
        let mut out = String::new();
        render_nodes(&self.nodes, &mut scope, &mut out).map_err(|message| ExprError {
            message,
            template: shorten(&self.source),
        })?;
        Ok(out)
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

/// Bounds for one render of untrusted text: nodes visited (loops
/// included) and bytes produced.
const MAX_WORK: u64 = 5_000_000;
const MAX_OUTPUT: usize = 64 * 1024 * 1024;

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
                    Val::Str(s) if s.chars().count() > super::MAX_ITEMS => {
                        return err(format!(
                            "a loop over a string of more than {} characters",
                            super::MAX_ITEMS
                        ))
                    }
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
