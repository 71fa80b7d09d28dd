//! Parsing: source text → [`Expr`], with the pest grammar of `grammar/formula.pest`.
//!
//! pest recognises the text; a Pratt parser folds each flat `expr` into a tree; this module then
//! applies expr's own parse-time rules (chained comparisons, the `??` mixing rule, number
//! literals with Go's conversion rules) and maps pest's failures onto expr's
//! `unexpected token …` messages. Nothing of pest leaks out of this module.

use crate::lang::ast::{BinaryOp, Expr, ExprKind, Pointer, Span, UnaryOp};
use crate::lang::error::{Error, ErrorKind, Result};
use crate::lang::limits::Limits;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{pratt_precedence, Assoc, ConstPrattParser, Op};
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/formula.pest"]
struct Grammar;

/// The operators' precedence, lowest first (`|` joins operators of one level).
static PRATT: ConstPrattParser<Rule, 17> = ConstPrattParser::new_const(pratt_precedence![
    Op::infix(Rule::ternary_op, Assoc::Right),
    Op::postfix(Rule::pipe),
    Op::infix(Rule::or_op, Assoc::Left) | Op::infix(Rule::or_word, Assoc::Left),
    Op::infix(Rule::and_op, Assoc::Left) | Op::infix(Rule::and_word, Assoc::Left),
    Op::infix(Rule::cmp_op, Assoc::Left) | Op::infix(Rule::in_op, Assoc::Left),
    Op::infix(Rule::range_op, Assoc::Left),
    Op::infix(Rule::add_op, Assoc::Left),
    Op::prefix(Rule::not_op),
    Op::infix(Rule::mul_op, Assoc::Left),
    Op::prefix(Rule::neg_op),
    Op::infix(Rule::pow_op, Assoc::Right),
    Op::infix(Rule::coalesce_op, Assoc::Left),
    // Arguments follow a name only (the grammar sees to it); they bind as tightly as `[…]`.
    Op::postfix(Rule::index) | Op::postfix(Rule::args),
]);

/// Parses a formula into its syntax tree, after checking the source against `limits` (so that
/// no input can make the recursive parser overflow the stack).
pub fn parse<'s>(source: &'s str, limits: &Limits) -> Result<Expr<'s>> {
    limits.check_source(source)?;
    let mut pairs = Grammar::parse(Rule::formula, source).map_err(|e| {
        let pos = match e.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((p, _)) => p,
        };
        unexpected_token(source, pos)
    })?;
    let builder = Builder { source };
    let formula = pairs.next().ok_or_else(|| unexpected_token(source, 0))?;
    // The formula's items are its top-level sequence, then `EOI`.
    builder.items(formula.into_inner().filter(|p| p.as_rule() != Rule::EOI))
}

/// An expression under construction, with what the parse-time rules need to know about it.
struct Built<'s> {
    expr: Expr<'s>,
    /// Whether the expression is an unparenthesized `<`-family comparison, maybe chained (whose
    /// last operand a further comparison chains to: see [`chain_tail`]).
    chain: bool,
    /// Whether the expression is an unparenthesized `??` (which no other operator may follow).
    coalesce: bool,
}

impl<'s> Built<'s> {
    fn plain(expr: Expr<'s>) -> Built<'s> {
        Built {
            expr,
            chain: false,
            coalesce: false,
        }
    }
}

/// The last operand of a comparison `infix` built: `b` in `a < b`, `c` in `a < b && b < c`.
fn chain_tail<'e, 's>(expr: &'e Expr<'s>) -> Option<&'e Expr<'s>> {
    match &expr.kind {
        ExprKind::Binary(op, _, _, last) if op.is_ordering() => Some(last),
        ExprKind::Binary(BinaryOp::And, _, _, cmp) => match &cmp.kind {
            ExprKind::Binary(op, _, _, last) if op.is_ordering() => Some(last),
            _ => None,
        },
        _ => None,
    }
}

struct Builder<'s> {
    source: &'s str,
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

/// The error for a parse tree the builder did not expect: the grammar guarantees the shape,
/// so this only turns a grammar/builder mismatch into an error instead of a panic.
fn malformed() -> Error {
    Error::new(ErrorKind::Parse, Span::at(0), "malformed syntax tree")
}

fn node(kind: ExprKind<'_>, span: Span) -> Expr<'_> {
    Expr { kind, span }
}

impl<'s> Builder<'s> {
    fn sequence(&self, pair: Pair<'s, Rule>) -> Result<Expr<'s>> {
        self.items(pair.into_inner())
    }

    /// The expressions of a sequence: the only one, or a `Seq` (at the first one's start).
    fn items(&self, mut pairs: impl Iterator<Item = Pair<'s, Rule>>) -> Result<Expr<'s>> {
        let first = pairs.next().ok_or_else(malformed)?;
        let start = first.as_span().start();
        let first = self.expr0(first)?;
        let Some(second) = pairs.next() else {
            return Ok(first);
        };
        let mut items = vec![first, self.expr0(second)?];
        for pair in pairs {
            items.push(self.expr0(pair)?);
        }
        Ok(node(ExprKind::Seq(items), Span::at(start)))
    }

    /// `let_expr | if_expr | expr`
    fn expr0(&self, pair: Pair<'s, Rule>) -> Result<Expr<'s>> {
        match pair.as_rule() {
            Rule::let_expr => {
                let mut inner = pair.into_inner();
                let _kw = inner.next();
                let name = self.next(&mut inner)?;
                let name_span = span_of(&name);
                let value = self.expr0(self.next(&mut inner)?)?;
                let body = self.sequence(self.next(&mut inner)?)?;
                Ok(node(
                    ExprKind::Let(name.as_str(), name_span, Box::new(value), Box::new(body)),
                    name_span,
                ))
            }
            Rule::if_expr => {
                let span = span_of(&pair);
                let mut inner = pair.into_inner();
                let _kw = inner.next();
                let cond = self.expr0(self.next(&mut inner)?)?;
                let then = self.block(self.next(&mut inner)?)?;
                let _else = inner.next();
                let otherwise = self.next(&mut inner)?;
                let otherwise = match otherwise.as_rule() {
                    Rule::if_expr => self.expr0(otherwise)?,
                    _ => self.block(otherwise)?,
                };
                Ok(node(
                    ExprKind::Cond(Box::new(cond), Box::new(then), Box::new(otherwise)),
                    Span::at(span.start as usize),
                ))
            }
            _ => Ok(self.expr(pair)?.expr),
        }
    }

    fn block(&self, pair: Pair<'s, Rule>) -> Result<Expr<'s>> {
        let mut inner = pair.into_inner();
        self.sequence(self.next(&mut inner)?)
    }

    fn next(&self, pairs: &mut Pairs<'s, Rule>) -> Result<Pair<'s, Rule>> {
        pairs.next().ok_or_else(malformed)
    }

    /// A Pratt-folded `expr`.
    fn expr(&self, pair: Pair<'s, Rule>) -> Result<Built<'s>> {
        PRATT
            .map_primary(|p| self.primary(p).map(Built::plain))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let unary = match op.as_str() {
                    "-" => UnaryOp::Neg,
                    "+" => UnaryOp::Plus,
                    _ => UnaryOp::Not,
                };
                Ok(Built::plain(node(
                    ExprKind::Unary(unary, Box::new(rhs.expr)),
                    span_of(&op),
                )))
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                self.postfix(lhs.expr, op).map(Built::plain)
            })
            .map_infix(|lhs, op, rhs| self.infix(lhs?, op, rhs?))
            .parse(pair.into_inner())
    }

    fn infix(&self, lhs: Built<'s>, op: Pair<'s, Rule>, rhs: Built<'s>) -> Result<Built<'s>> {
        let span = span_of(&op);
        if op.as_rule() == Rule::ternary_op {
            let then = match op.into_inner().next() {
                Some(middle) => self.expr0(middle)?,
                None => lhs.expr.clone(), // `c ?: b` is `c ? c : b`
            };
            return Ok(Built::plain(node(
                ExprKind::Cond(Box::new(lhs.expr), Box::new(then), Box::new(rhs.expr)),
                span,
            )));
        }
        let text = op.as_str();
        let (binary, symbol): (BinaryOp, &'static str) = match text {
            "+" => (BinaryOp::Add, "+"),
            "-" => (BinaryOp::Sub, "-"),
            "*" => (BinaryOp::Mul, "*"),
            "/" => (BinaryOp::Div, "/"),
            "%" => (BinaryOp::Mod, "%"),
            "**" => (BinaryOp::Pow, "**"),
            "^" => (BinaryOp::Pow, "^"),
            "==" => (BinaryOp::Eq, "=="),
            "!=" => (BinaryOp::Ne, "!="),
            "<" => (BinaryOp::Lt, "<"),
            ">" => (BinaryOp::Gt, ">"),
            "<=" => (BinaryOp::Le, "<="),
            ">=" => (BinaryOp::Ge, ">="),
            "in" => (BinaryOp::In, "in"),
            ".." => (BinaryOp::Range, ".."),
            "&&" => (BinaryOp::And, "&&"),
            "and" => (BinaryOp::And, "and"),
            "||" => (BinaryOp::Or, "||"),
            "or" => (BinaryOp::Or, "or"),
            "??" => (BinaryOp::Coalesce, "??"),
            _ => (BinaryOp::In, "in"), // `not in`: the words may be separated by any space
        };
        let negated = text.starts_with("not");
        // expr reports `not in` at its `in` token.
        let op_span = if negated {
            let in_at = span.start as usize + text.rfind("in").unwrap_or(0);
            Span::new(in_at, in_at + 2)
        } else {
            span
        };
        if lhs.coalesce && binary != BinaryOp::Coalesce {
            return Err(Error::new(
                ErrorKind::Parse,
                op_span,
                format!(
                    "Operator ({symbol}) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses."
                ),
            ));
        }
        if binary.is_ordering() && lhs.chain {
            if let Some(middle) = chain_tail(&lhs.expr).cloned() {
                // `a < b < c` is `a < b && b < c`.
                let cmp = node(
                    ExprKind::Binary(binary, symbol, Box::new(middle), Box::new(rhs.expr)),
                    op_span,
                );
                return Ok(Built {
                    expr: node(
                        ExprKind::Binary(BinaryOp::And, "&&", Box::new(lhs.expr), Box::new(cmp)),
                        op_span,
                    ),
                    chain: true,
                    coalesce: false,
                });
            }
        }
        let mut expr = node(
            ExprKind::Binary(binary, symbol, Box::new(lhs.expr), Box::new(rhs.expr)),
            op_span,
        );
        if negated {
            expr = node(ExprKind::Unary(UnaryOp::Not, Box::new(expr)), op_span);
        }
        Ok(Built {
            expr,
            chain: binary.is_ordering(),
            coalesce: binary == BinaryOp::Coalesce,
        })
    }

    fn postfix(&self, lhs: Expr<'s>, op: Pair<'s, Rule>) -> Result<Expr<'s>> {
        let span = span_of(&op);
        match op.as_rule() {
            Rule::index => {
                let mut inner = op.into_inner();
                let index = self.expr0(self.next(&mut inner)?)?;
                Ok(node(
                    ExprKind::Index(Box::new(lhs), Box::new(index)),
                    Span::at(span.start as usize),
                ))
            }
            Rule::args => {
                // The grammar puts arguments right after a name only, so `lhs` is that name
                // (`true(…)` and friends included), and the source under its span its text.
                let name = self
                    .source
                    .get(lhs.span.start as usize..lhs.span.end as usize)
                    .unwrap_or_default();
                self.call(name, lhs.span, Some(op), None)
            }
            _ => {
                // `x | f(args)` is `f(x, args)`.
                let mut inner = op.into_inner();
                let name = self.next(&mut inner)?;
                let args = self.next(&mut inner)?;
                self.call(name.as_str(), span_of(&name), Some(args), Some(lhs))
            }
        }
    }

    fn primary(&self, pair: Pair<'s, Rule>) -> Result<Expr<'s>> {
        let span = span_of(&pair);
        match pair.as_rule() {
            Rule::number => self.number(pair),
            Rule::paren => {
                let mut inner = pair.into_inner();
                self.sequence(self.next(&mut inner)?)
            }
            Rule::array => {
                let items = pair
                    .into_inner()
                    .map(|p| self.expr0(p))
                    .collect::<Result<Vec<_>>>()?;
                Ok(node(ExprKind::Array(items), Span::at(span.start as usize)))
            }
            Rule::pointer => {
                let pointer = match pair.into_inner().next().map(|p| p.as_str()) {
                    None => Pointer::Element,
                    Some("index") => Pointer::Index,
                    Some("acc") => Pointer::Acc,
                    Some(other) => {
                        return Err(Error::new(
                            ErrorKind::Name,
                            span,
                            format!("unknown pointer #{other}"),
                        ))
                    }
                };
                Ok(node(ExprKind::Pointer(pointer), span))
            }
            _ => self.call(pair.as_str(), span, None, None),
        }
    }

    /// A name, optionally called: `x`, `true`, `abs(x)`; `piped` is the left side of `|`.
    fn call(
        &self,
        text: &'s str,
        span: Span,
        args: Option<Pair<'s, Rule>>,
        piped: Option<Expr<'s>>,
    ) -> Result<Expr<'s>> {
        let Some(args) = args else {
            let kind = match text {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "nil" => ExprKind::Nil,
                _ => ExprKind::Ident(text),
            };
            return Ok(node(kind, span));
        };
        let mut list: Vec<Expr<'s>> = piped.into_iter().collect();
        for arg in args.into_inner() {
            let expr = match arg.as_rule() {
                Rule::closure => {
                    let arg_span = span_of(&arg);
                    let mut inner = arg.into_inner();
                    let body = self.expr0(self.next(&mut inner)?)?;
                    node(ExprKind::Closure(Box::new(body)), arg_span)
                }
                _ => self.expr0(arg)?,
            };
            list.push(expr);
        }
        if crate::lang::builtin::Predicate::from_name(text).is_some() {
            // A predicate may be written without braces: `count(xs, # > 1)`.
            if let Some(arg) = list.get_mut(1) {
                if !matches!(arg.kind, ExprKind::Closure(_)) {
                    let arg_span = arg.span;
                    let body = std::mem::replace(arg, node(ExprKind::Nil, arg_span));
                    *arg = node(ExprKind::Closure(Box::new(body)), arg_span);
                }
            }
        }
        Ok(node(ExprKind::Call(text, list), span))
    }

    /// A number literal, converted with Go's `strconv` rules as expr's parser does.
    fn number(&self, pair: Pair<'s, Rule>) -> Result<Expr<'s>> {
        // The rule takes in the white space after the number; no number has a space or `/`.
        let whole = pair.as_str();
        let text = whole
            .find(|c: char| c == ' ' || c == '/' || ('\t'..='\r').contains(&c))
            .map_or(whole, |end| &whole[..end]);
        let start = pair.as_span().start();
        let span = Span::new(start, start + text.len());
        if let Some(bad) = pair.into_inner().next() {
            // The whole number is the literal and the letter or digit after it.
            return Err(Error::new(
                ErrorKind::Parse,
                span_of(&bad),
                format!("bad number syntax: {}", go_quote(text)),
            ));
        }
        let raw = text;
        let text: std::borrow::Cow<'_, str> = if raw.contains('_') {
            raw.replace('_', "").into()
        } else {
            raw.into()
        };
        // `0x`, `0X`, …: whether the literal starts with `0` and this radix letter.
        let radix = |letter: u8| {
            let b = text.as_bytes();
            b.len() >= 2 && b[0] == b'0' && b[1].eq_ignore_ascii_case(&letter)
        };
        // expr reports literal conversion errors at the token after the number.
        let fail = |what: &str, func: &str, why: &str| {
            let at = next_token_offset(self.source, span.end as usize);
            Error::new(
                ErrorKind::Parse,
                Span::at(at),
                format!(
                    "invalid {what} literal: strconv.{func}: parsing {}: {why}",
                    go_quote(&text)
                ),
            )
        };
        let radix_int = |digits: &str, radix: u32, what: &str| -> Result<Expr<'s>> {
            if digits.is_empty() {
                return Err(fail(what, "ParseInt", "invalid syntax"));
            }
            match i64::from_str_radix(digits, radix) {
                Ok(v) => Ok(node(ExprKind::Int(v), span)),
                Err(e) => Err(fail(
                    what,
                    "ParseInt",
                    match e.kind() {
                        std::num::IntErrorKind::PosOverflow => "value out of range",
                        _ => "invalid syntax",
                    },
                )),
            }
        };
        if radix(b'x') {
            radix_int(&text[2..], 16, "hex")
        } else if text.contains(['.', 'e', 'E']) {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(node(ExprKind::Float(v), span)),
                Ok(_) => Err(fail("float", "ParseFloat", "value out of range")),
                Err(_) => Err(fail("float", "ParseFloat", "invalid syntax")),
            }
        } else if radix(b'b') {
            radix_int(&text[2..], 2, "binary")
        } else if radix(b'o') {
            radix_int(&text[2..], 8, "octal")
        } else {
            radix_int(&text, 10, "integer")
        }
    }
}

/// Quotes a string as Go's `%q` does for the ASCII text of number literals and tokens.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Skips white space and comments from `at`.
fn skip_trivia(source: &str, mut at: usize) -> usize {
    let bytes = source.as_bytes();
    loop {
        while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
            at += 1;
        }
        let rest = &source[at..];
        if rest.starts_with("//") {
            at += rest.find('\n').unwrap_or(rest.len());
        } else if let Some(comment) = rest.strip_prefix("/*") {
            match comment.find("*/") {
                Some(end) => at += end + 4,
                None => return source.len(),
            }
        } else {
            return at;
        }
    }
}

/// Where expr's lexer puts the token at `at`: the end of input is the last character.
fn next_token_offset(source: &str, at: usize) -> usize {
    let at = skip_trivia(source, at);
    if at >= source.len() {
        return eof_offset(source);
    }
    at
}

fn eof_offset(source: &str) -> usize {
    source.char_indices().next_back().map_or(0, |(i, _)| i)
}

const OPERATORS: &[&str] = &[
    "**", "&&", "||", "==", "!=", "<=", ">=", "..", "?.", "??", "::", "!", "%", "&", "*", "+", "-",
    ".", "/", ":", ";", "<", "=", ">", "?", "^", "|", ",", "#", "~",
];

/// The `unexpected token …` error for the token that starts at or after `at`.
fn unexpected_token(source: &str, at: usize) -> Error {
    let at = skip_trivia(source, at.min(source.len()));
    let rest = &source[at..];
    let Some(first) = rest.chars().next() else {
        return Error::new(
            ErrorKind::Parse,
            Span::at(eof_offset(source)),
            "unexpected token EOF",
        );
    };
    let is_ident = |c: char| c == '_' || c == '$' || c.is_alphanumeric();
    let (kind, text): (&str, &str) = if first.is_ascii_digit()
        || (first == '.' && rest[1..].starts_with(|c: char| c.is_ascii_digit()))
    {
        let end = rest
            .find(|c: char| !(is_ident(c) || c == '.'))
            .unwrap_or(rest.len());
        ("Number", &rest[..end])
    } else if is_ident(first) {
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        let word = &rest[..end];
        let keyword = matches!(
            word,
            "not"
                | "in"
                | "and"
                | "or"
                | "let"
                | "if"
                | "else"
                | "matches"
                | "contains"
                | "startsWith"
                | "endsWith"
        );
        (if keyword { "Operator" } else { "Identifier" }, word)
    } else if "()[]{}".contains(first) {
        ("Bracket", &rest[..1])
    } else if let Some(op) = OPERATORS.iter().find(|op| rest.starts_with(**op)) {
        ("Operator", op)
    } else if first == '"' || first == '\'' || first == '`' {
        // Strings are out of scope; name the token as expr would (its text, unquoted).
        let body = &rest[first.len_utf8()..];
        ("String", body.find(first).map_or(body, |end| &body[..end]))
    } else {
        return Error::new(
            ErrorKind::Parse,
            Span::at(at),
            format!("unrecognized character: U+{:04X} {first:?}", first as u32),
        );
    };
    Error::new(
        ErrorKind::Parse,
        Span::new(at, at + text.len()),
        format!("unexpected token {kind}({})", go_quote(text)),
    )
}
