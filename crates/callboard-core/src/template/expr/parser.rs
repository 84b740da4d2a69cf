//! The expression parser: precedence climbing from inline `if` down to
//! literals, with the nesting and length bounds untrusted templates need.

use super::tokens::{describe, tokenize, T};
use super::{err, Val};

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

struct Parser {
    toks: Vec<T>,
    pos: usize,
    depth: usize,
    nodes: usize,
}

/// How many operators, lookups and filters one expression may chain.
const MAX_NODES: usize = 100;

/// How deep blocks and expressions may nest.
pub(super) const MAX_DEPTH: usize = 24;

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
