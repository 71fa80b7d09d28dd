//! The syntax tree: what the parser produces, every node with its byte span.

use std::fmt;

/// A byte range `start..end` of the formula's source.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The span of one position, `at..at`.
    pub fn at(at: usize) -> Span {
        Span::new(at, at)
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// An expression with the span of its source. Names borrow from the source (`'s`), so a
/// tree holds no text of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr<'s> {
    /// What the expression is.
    pub kind: ExprKind<'s>,
    /// Where expr reports errors about this node (for operators: the operator token).
    pub span: Span,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
    /// `!x`, `not x`
    Not,
}

/// Binary operators (the short-circuit ones included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `**` and `^`
    Pow,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `..`
    Range,
    /// `&&`, `and`
    And,
    /// `||`, `or`
    Or,
    /// `??`
    Coalesce,
}

impl BinaryOp {
    /// Whether this is one of `<`, `>`, `<=`, `>=`, the comparisons that chain.
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            BinaryOp::Lt | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Ge
        )
    }
}

/// The closure pointers: `#`, `#index`, `#acc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pointer {
    /// `#`: the current element.
    Element,
    /// `#index`: the current index.
    Index,
    /// `#acc`: the accumulator of `reduce`.
    Acc,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind<'s> {
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// A name: an input, a `let` variable or (in a call) a builtin.
    Ident(&'s str),
    /// `#`, `#index` or `#acc` inside a predicate.
    Pointer(Pointer),
    /// `[a, b, c]`
    Array(Vec<Expr<'s>>),
    /// `op x`
    Unary(UnaryOp, Box<Expr<'s>>),
    /// `l op r`; the text of the operator as written is kept for messages.
    Binary(BinaryOp, &'static str, Box<Expr<'s>>, Box<Expr<'s>>),
    /// `c ? a : b`, `c ?: b` (where `then` is `c` again) and `if c { a } else { b }`.
    Cond(Box<Expr<'s>>, Box<Expr<'s>>, Box<Expr<'s>>),
    /// `let name = value; body`; the span of `name` is kept for messages.
    Let(&'s str, Span, Box<Expr<'s>>, Box<Expr<'s>>),
    /// `a; b; c`
    Seq(Vec<Expr<'s>>),
    /// `f(args)`, also `x | f(args)`.
    Call(&'s str, Vec<Expr<'s>>),
    /// `{ body }` or a bare predicate argument.
    Closure(Box<Expr<'s>>),
    /// `a[i]`
    Index(Box<Expr<'s>>, Box<Expr<'s>>),
}
