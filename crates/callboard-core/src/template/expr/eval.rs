//! Evaluating expressions against a scope: lookups, operators with
//! JavaScript semantics, filters, tests and method calls.

use indexmap::IndexMap;

use super::super::filters;
use super::parser::Expr;
use super::{err, loose_eq, strict_eq, Val};

/// The variables an expression sees: the context, then `set` and loop
/// frames over it.
pub(super) struct Scope<'a> {
    root: &'a Val,
    pub(super) frames: Vec<IndexMap<String, Val>>,
    /// Nodes rendered so far, against the render's work bound.
    pub(super) work: u64,
    /// Bytes of values produced and looked up so far, against
    /// [`super::MAX_PRODUCED_BYTES`].
    pub(super) produced: u64,
}

impl<'a> Scope<'a> {
    pub(super) fn new(root: &'a Val) -> Self {
        Scope {
            root,
            frames: vec![IndexMap::new()],
            work: 0,
            produced: 0,
        }
    }

    /// Count `v` against the render's budget; an error past it, or for a
    /// string over the size limit.
    pub(super) fn charge(&mut self, v: Val) -> Result<Val, String> {
        if let Val::Str(s) = &v {
            super::check_len(s.len(), "this expression")?;
        }
        let left = super::MAX_PRODUCED_BYTES.saturating_sub(self.produced);
        self.produced += super::val_size(&v, left);
        if self.produced > super::MAX_PRODUCED_BYTES {
            return err(format!(
                "template too expensive to render: its expressions produced over {} MiB",
                super::MAX_PRODUCED_BYTES >> 20
            ));
        }
        Ok(v)
    }

    pub(super) fn lookup(&self, name: &str) -> Val {
        for frame in self.frames.iter().rev() {
            if let Some(v) = frame.get(name) {
                return v.clone();
            }
        }
        self.root.member(&Val::Str(name.to_string()))
    }

    /// A name's value by reference, when it is one (no copy).
    fn lookup_ref(&self, name: &str) -> Option<&Val> {
        for frame in self.frames.iter().rev() {
            if let Some(v) = frame.get(name) {
                return Some(v);
            }
        }
        match self.root {
            Val::Object(o) => o.get(name),
            _ => None,
        }
    }

    pub(super) fn set(&mut self, name: &str, v: Val) {
        if let Some(frame) = self.frames.last_mut() {
            frame.insert(name.to_string(), v);
        }
    }
}

pub(super) fn eval(e: &Expr, scope: &mut Scope<'_>) -> Result<Val, String> {
    let v = eval_inner(e, scope)?;
    match e {
        Expr::Lit(_) | Expr::Unary(..) | Expr::Is(..) => Ok(v),
        _ => scope.charge(v),
    }
}

/// `a`, `a.b`, `a['b']`, `a[0]` resolved by reference: only the value at
/// the end is copied, not every object on the way (a lookup of
/// `parameters.x` copied all the parameters).
fn resolve_ref<'s>(e: &Expr, scope: &'s Scope<'_>) -> Option<&'s Val> {
    match e {
        Expr::Name(n) => scope.lookup_ref(n),
        Expr::Member(obj, key) => {
            let Expr::Lit(key) = key.as_ref() else {
                return None;
            };
            match (resolve_ref(obj, scope)?, key) {
                (Val::Object(o), Val::Str(k)) => o.get(k.as_str()),
                (Val::Array(a), Val::Num(n)) if *n >= 0.0 && n.fract() == 0.0 => a.get(*n as usize),
                _ => None,
            }
        }
        _ => None,
    }
}

fn eval_inner(e: &Expr, scope: &mut Scope<'_>) -> Result<Val, String> {
    if matches!(e, Expr::Name(_) | Expr::Member(..)) {
        if let Some(v) = resolve_ref(e, scope) {
            return Ok(v.clone());
        }
    }
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
                    let path = callee_path(callee);
                    filters::call_method(&obj, &key, &args, path.as_deref())?
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

/// `l ~ r`, refused before it is built when it would be too long.
fn concat(l: &Val, r: &Val) -> Result<Val, String> {
    let (l, r) = (l.js_string(), r.js_string());
    super::check_len(l.len() + r.len(), "joining two strings")?;
    Ok(Val::Str(l + &r))
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
        "~" => concat(l, r)?,
        "+" => {
            if is_primitive_string(l) || is_primitive_string(r) {
                concat(l, r)?
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

/// The callee as a dotted path (`values.n.replaceAll`), as the
/// scaffolder's renderer names it in errors; `None` for anything else.
fn callee_path(e: &Expr) -> Option<String> {
    match e {
        Expr::Name(n) => Some(n.clone()),
        Expr::Member(obj, key) => match key.as_ref() {
            Expr::Lit(Val::Str(k)) => Some(format!("{}.{k}", callee_path(obj)?)),
            _ => None,
        },
        _ => None,
    }
}
