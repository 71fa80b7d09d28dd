//! Type checking: [`Expr`] → typed tree ([`Node`]), with expr's rules and expr's messages.
//!
//! Names are resolved here (inputs to slots, `let` variables to locals, calls to builtins), so
//! nothing after this phase looks a name up.

use crate::lang::ast::{BinaryOp, Expr, ExprKind, Pointer, Span, UnaryOp};
use crate::lang::builtin::{Builtin, Predicate};
use crate::lang::error::{Error, ErrorKind, Result};
use crate::lang::schema::{InputType, Schema};
use crate::lang::value::Value;
use std::fmt;

/// A static type, as expr's checker sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    /// Anything: decided at run time (expr's `interface {}` and unknown natures).
    Unknown,
    /// The type of `nil` and of an input declared as always nil.
    Nil,
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `float64`
    Float,
    /// An array, with what is known of its elements.
    Array(Box<Type>),
}

impl Type {
    pub(crate) fn is_unknown(&self) -> bool {
        matches!(self, Type::Unknown)
    }
    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Type::Int | Type::Float)
    }
    pub(crate) fn is_array(&self) -> bool {
        matches!(self, Type::Array(_))
    }
    /// expr's `MaybeCompatible`: both unknown, or one unknown and the other passes `ok`.
    fn maybe(l: &Type, r: &Type, ok: fn(&Type) -> bool) -> bool {
        (l.is_unknown() && r.is_unknown()) || (l.is_unknown() && ok(r)) || (r.is_unknown() && ok(l))
    }
    fn same_kind(&self, other: &Type) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
    /// The name a builtin's validation prints for an argument of this type (Go's `%s` of a
    /// `reflect.Type`; nil has none).
    fn reflect_name(&self) -> String {
        match self {
            Type::Nil => "%!s(<nil>)".into(),
            Type::Unknown => "interface {}".into(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Type {
    /// expr's names: `int`, `float64`, `bool`, `[]interface {}`, and `unknown` for both the
    /// unknown type and nil.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Unknown | Type::Nil => "unknown",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Float => "float64",
            Type::Array(_) => "[]interface {}",
        })
    }
}

/// A checked expression: its kind, static type and span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node computes.
    pub kind: NodeKind,
    /// Its static type.
    pub ty: Type,
    /// Where runtime errors about it are reported.
    pub span: Span,
}

/// The kinds of checked expression.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A constant (a literal, or a folded expression).
    Const(Value),
    /// An input, by slot.
    Input(u32),
    /// A `let` variable, by local index.
    Local(u32),
    /// `#`, `#index`, `#acc` of the predicate at this nesting level (0 = outermost).
    Pointer(Pointer, u32),
    /// An array literal.
    Array(Vec<Node>),
    /// A unary operator.
    Unary(UnaryOp, Box<Node>),
    /// A binary operator, `&&`, `||` and `??` included.
    Binary(BinaryOp, Box<Node>, Box<Node>),
    /// `c ? a : b`
    Cond(Box<Node>, Box<Node>, Box<Node>),
    /// `let` local `=` value `;` body
    Let(u32, Box<Node>, Box<Node>),
    /// `a; b; c`
    Seq(Vec<Node>),
    /// A builtin function call.
    Call(Builtin, Vec<Node>),
    /// A predicate builtin: the array, the predicate body (absent for `count(xs)` and
    /// `sum(xs)`), the initial value of `reduce`, and the predicate's nesting level.
    Predicate {
        /// Which builtin.
        kind: Predicate,
        /// The collection.
        array: Box<Node>,
        /// The predicate.
        body: Option<Box<Node>>,
        /// `reduce`'s initial accumulator.
        init: Option<Box<Node>>,
        /// The nesting level of this predicate's `#`.
        level: u32,
    },
    /// `a[i]`
    Index(Box<Node>, Box<Node>),
    /// A result cast requested by a compile option.
    Cast(Cast, Box<Node>),
}

pub use crate::lang::value::Cast;

/// What the checker needs besides the schema.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CheckOptions {
    pub cast: Option<Cast>,
    pub allow_undefined: bool,
}

/// A checked formula: the tree, and how many `let` locals and predicate levels it uses.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The typed tree.
    pub root: Node,
    /// Number of `let` locals.
    pub locals: u32,
    /// Deepest predicate nesting.
    pub levels: u32,
}

/// Checks `expr` against `schema`.
pub(crate) fn check(expr: &Expr<'_>, schema: &Schema, options: CheckOptions) -> Result<Checked> {
    let mut checker = Checker {
        schema,
        options,
        scope: Vec::new(),
        predicates: Vec::new(),
        locals: 0,
        levels: 0,
    };
    let mut root = checker.visit(expr)?;
    if let Some(cast) = options.cast {
        root = expect(cast, root)?;
    }
    Ok(Checked {
        root,
        locals: checker.locals,
        levels: checker.levels,
    })
}

/// Applies a result cast, with expr's compile-time check (`expected float64, but got bool`).
fn expect(cast: Cast, root: Node) -> Result<Node> {
    let (name, ok) = match cast {
        Cast::Int => ("int", root.ty.is_number()),
        Cast::Int64 => ("int64", root.ty.is_number()),
        Cast::Float64 => ("float64", root.ty.is_number()),
        Cast::Bool => ("bool", root.ty == Type::Bool),
    };
    if !ok && !root.ty.is_unknown() {
        return Err(Error::unplaced(
            ErrorKind::Type,
            format!("expected {name}, but got {}", root.ty),
        ));
    }
    let ty = match cast {
        Cast::Int | Cast::Int64 => Type::Int,
        Cast::Float64 => Type::Float,
        Cast::Bool => Type::Bool,
    };
    let span = root.span;
    Ok(Node {
        kind: NodeKind::Cast(cast, Box::new(root)),
        ty,
        span,
    })
}

struct PredicateScope {
    kind: Predicate,
    element: Type,
}

struct Checker<'a, 's> {
    schema: &'a Schema,
    options: CheckOptions,
    /// `let` variables in scope: name (borrowed from the source), local index, type.
    scope: Vec<(&'s str, u32, Type)>,
    predicates: Vec<PredicateScope>,
    locals: u32,
    levels: u32,
}

fn type_error(span: Span, message: String) -> Error {
    Error::new(ErrorKind::Type, span, message)
}

impl<'s> Checker<'_, 's> {
    fn visit(&mut self, expr: &Expr<'s>) -> Result<Node> {
        let span = expr.span;
        let node = |kind, ty| Node { kind, ty, span };
        Ok(match &expr.kind {
            ExprKind::Int(i) => node(NodeKind::Const(Value::Int(*i)), Type::Int),
            ExprKind::Float(f) => node(NodeKind::Const(Value::Float(*f)), Type::Float),
            ExprKind::Bool(b) => node(NodeKind::Const(Value::Bool(*b)), Type::Bool),
            ExprKind::Nil => node(NodeKind::Const(Value::Nil), Type::Nil),
            ExprKind::Ident(name) => self.ident(name, span)?,
            ExprKind::Pointer(p) => self.pointer(*p, span)?,
            ExprKind::Array(items) => {
                let items = items
                    .iter()
                    .map(|e| self.visit(e))
                    .collect::<Result<Vec<_>>>()?;
                let element = match items.split_last() {
                    Some((last, rest)) if rest.iter().all(|n| n.ty.same_kind(&last.ty)) => {
                        last.ty.clone()
                    }
                    _ => Type::Unknown,
                };
                node(NodeKind::Array(items), Type::Array(Box::new(element)))
            }
            ExprKind::Unary(op, operand) => {
                let operand = self.visit(operand)?;
                let ty = match op {
                    UnaryOp::Not if operand.ty == Type::Bool || operand.ty.is_unknown() => {
                        Type::Bool
                    }
                    UnaryOp::Neg | UnaryOp::Plus
                        if operand.ty.is_number() || operand.ty.is_unknown() =>
                    {
                        operand.ty.clone()
                    }
                    _ => {
                        let text = unary_text(*op, expr.span);
                        return Err(type_error(
                            span,
                            format!("invalid operation: {text} (mismatched type {})", operand.ty),
                        ));
                    }
                };
                node(NodeKind::Unary(*op, Box::new(operand)), ty)
            }
            ExprKind::Binary(op, text, l, r) => {
                let l = self.visit(l)?;
                let r = self.visit(r)?;
                let ty = binary_type(*op, text, &l.ty, &r.ty, span)?;
                node(NodeKind::Binary(*op, Box::new(l), Box::new(r)), ty)
            }
            ExprKind::Cond(c, a, b) => {
                let c = self.visit(c)?;
                if c.ty != Type::Bool && !c.ty.is_unknown() {
                    return Err(type_error(
                        c.span,
                        format!("non-bool expression (type {}) used as condition", c.ty),
                    ));
                }
                let a = self.visit(a)?;
                let b = self.visit(b)?;
                let ty = match (&a.ty, &b.ty) {
                    (Type::Nil, Type::Nil) => Type::Nil,
                    (Type::Nil, t) | (t, Type::Nil) => t.clone(),
                    (Type::Array(x), Type::Array(y)) if x != y => {
                        Type::Array(Box::new(Type::Unknown))
                    }
                    (x, y) if x == y => x.clone(),
                    _ => Type::Unknown,
                };
                node(NodeKind::Cond(Box::new(c), Box::new(a), Box::new(b)), ty)
            }
            ExprKind::Let(name, name_span, value, body) => {
                let redeclared = if self.schema.slot(name).is_some() {
                    Some(format!("cannot redeclare {name}"))
                } else if Builtin::is_name(name) {
                    Some(format!("cannot redeclare builtin {name}"))
                } else if self.scope.iter().any(|(n, _, _)| n == name) {
                    Some(format!("cannot redeclare variable {name}"))
                } else {
                    None
                };
                if let Some(message) = redeclared {
                    return Err(Error::new(ErrorKind::Name, *name_span, message));
                }
                let value = self.visit(value)?;
                let local = self.locals;
                self.locals += 1;
                self.scope.push((name, local, value.ty.clone()));
                let body = self.visit(body);
                self.scope.pop();
                let body = body?;
                let ty = body.ty.clone();
                node(NodeKind::Let(local, Box::new(value), Box::new(body)), ty)
            }
            ExprKind::Seq(items) => {
                let items = items
                    .iter()
                    .map(|e| self.visit(e))
                    .collect::<Result<Vec<_>>>()?;
                let ty = items.last().map_or(Type::Nil, |n| n.ty.clone());
                node(NodeKind::Seq(items), ty)
            }
            ExprKind::Call(name, args) => self.call(name, args, span)?,
            ExprKind::Closure(body) => {
                // A closure outside a predicate builtin's predicate position.
                return Err(Error::new(
                    ErrorKind::Parse,
                    body.span,
                    "unexpected token Bracket(\"{\")",
                ));
            }
            ExprKind::Index(base, index) => {
                let base = self.visit(base)?;
                let index = self.visit(index)?;
                let ty = match &base.ty {
                    Type::Array(element) => {
                        if !(index.ty.is_number() || index.ty.is_unknown()) {
                            return Err(type_error(
                                index.span,
                                format!(
                                    "array elements can only be selected using an integer (got {})",
                                    index.ty
                                ),
                            ));
                        }
                        (**element).clone()
                    }
                    Type::Unknown => Type::Unknown,
                    other => {
                        return Err(type_error(
                            span,
                            format!("type {other}[{}] is undefined", index.ty),
                        ))
                    }
                };
                node(NodeKind::Index(Box::new(base), Box::new(index)), ty)
            }
        })
    }

    fn ident(&mut self, name: &str, span: Span) -> Result<Node> {
        let node = |kind, ty| Node { kind, ty, span };
        if let Some((_, local, ty)) = self.scope.iter().rev().find(|(n, _, _)| &**n == name) {
            return Ok(node(NodeKind::Local(*local), ty.clone()));
        }
        if let Some(slot) = self.schema.slot(name) {
            let ty = match self.schema.input_type(slot) {
                InputType::Int => Type::Int,
                InputType::Float => Type::Float,
                InputType::Bool => Type::Bool,
                InputType::Array => Type::Array(Box::new(Type::Unknown)),
                InputType::Nil => Type::Nil,
                InputType::Any => Type::Unknown,
            };
            return Ok(node(NodeKind::Input(slot.index()), ty));
        }
        if self.options.allow_undefined {
            return Ok(node(NodeKind::Const(Value::Nil), Type::Unknown));
        }
        Err(self.unknown_name(name, span))
    }

    fn unknown_name(&self, name: &str, span: Span) -> Error {
        let candidates = self
            .scope
            .iter()
            .map(|(n, _, _)| &**n)
            .chain(self.schema.names())
            .chain(Builtin::NAMES.iter().copied())
            .chain(Predicate::NAMES.iter().copied());
        let error = Error::new(ErrorKind::Name, span, format!("unknown name {name}"));
        match crate::lang::suggest::closest(name, candidates) {
            Some(best) => error.with_help(format!("did you mean `{best}`?")),
            None => error,
        }
    }

    fn pointer(&mut self, pointer: Pointer, span: Span) -> Result<Node> {
        let node = |kind, ty| Node { kind, ty, span };
        let Some(scope) = self.predicates.last() else {
            return Err(Error::new(
                ErrorKind::Parse,
                span,
                "unexpected token Operator(\"#\")",
            ));
        };
        let level = (self.predicates.len() - 1) as u32;
        let ty = match pointer {
            Pointer::Element => scope.element.clone(),
            Pointer::Index if matches!(scope.kind, Predicate::Map | Predicate::Reduce) => Type::Int,
            Pointer::Acc if scope.kind == Predicate::Reduce => Type::Unknown,
            Pointer::Index => {
                return Err(Error::new(ErrorKind::Name, span, "unknown pointer #index"))
            }
            Pointer::Acc => return Err(Error::new(ErrorKind::Name, span, "unknown pointer #acc")),
        };
        Ok(node(NodeKind::Pointer(pointer, level), ty))
    }

    fn call(&mut self, name: &str, args: &[Expr<'s>], span: Span) -> Result<Node> {
        if let Some(kind) = Predicate::from_name(name) {
            return self.predicate(kind, args, span);
        }
        let Some(builtin) = Builtin::from_name(name) else {
            return Err(self.unknown_name(name, span));
        };
        let args = args
            .iter()
            .map(|a| self.visit(a))
            .collect::<Result<Vec<_>>>()?;
        let ty = builtin_type(builtin, &args, span)?;
        Ok(Node {
            kind: NodeKind::Call(builtin, args),
            ty,
            span,
        })
    }

    fn predicate(&mut self, kind: Predicate, args: &[Expr<'s>], span: Span) -> Result<Node> {
        let name = kind.name();
        let (min, max) = kind.arity();
        if args.len() < min {
            return Err(Error::new(
                ErrorKind::Parse,
                span,
                format!("expected at least {} arguments", min - args.len()),
            ));
        }
        if args.len() > max {
            return Err(Error::new(
                ErrorKind::Parse,
                args[max].span,
                "unexpected token Operator(\",\")",
            ));
        }
        let array = self.visit(&args[0])?;
        let element = match &array.ty {
            Type::Array(element) => (**element).clone(),
            Type::Unknown => Type::Unknown,
            other => {
                return Err(type_error(
                    array.span,
                    format!("builtin {name} takes only array (got {other})"),
                ))
            }
        };
        let body = match args.get(1) {
            Some(Expr {
                kind: ExprKind::Closure(body),
                span: closure_span,
            }) => {
                self.predicates.push(PredicateScope {
                    kind,
                    element: element.clone(),
                });
                self.levels = self.levels.max(self.predicates.len() as u32);
                let body = self.visit(body);
                self.predicates.pop();
                let body = body?;
                if body.ty == Type::Nil {
                    let params = if kind == Predicate::Reduce {
                        "two"
                    } else {
                        "one"
                    };
                    return Err(type_error(
                        *closure_span,
                        format!("predicate should has {params} input and one output param"),
                    ));
                }
                if kind.wants_bool() && body.ty != Type::Bool && !body.ty.is_unknown() {
                    return Err(type_error(
                        *closure_span,
                        format!("predicate should return boolean (got {})", body.ty),
                    ));
                }
                Some(Box::new(body))
            }
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::Parse,
                    other.span,
                    "unexpected token: a predicate is expected here",
                ))
            }
            None => None,
        };
        let init = match args.get(2) {
            Some(init) => Some(Box::new(self.visit(init)?)),
            None => None,
        };
        let body_ty = body.as_ref().map(|b| b.ty.clone());
        let ty = match kind {
            Predicate::All | Predicate::None | Predicate::Any | Predicate::One => Type::Bool,
            Predicate::Count | Predicate::FindIndex | Predicate::FindLastIndex => Type::Int,
            Predicate::Filter => Type::Array(Box::new(element)),
            Predicate::Map => Type::Array(Box::new(body_ty.unwrap_or(Type::Unknown))),
            Predicate::Find | Predicate::FindLast => element,
            Predicate::Sum => body_ty.unwrap_or(element),
            Predicate::Reduce => body_ty.unwrap_or(Type::Unknown),
        };
        Ok(Node {
            kind: NodeKind::Predicate {
                kind,
                array: Box::new(array),
                body,
                init,
                level: self.predicates.len() as u32,
            },
            ty,
            span,
        })
    }
}

/// The text of a unary operator as written (`!` or `not`), for messages.
fn unary_text(op: UnaryOp, span: Span) -> &'static str {
    match op {
        UnaryOp::Neg => "-",
        UnaryOp::Plus => "+",
        UnaryOp::Not if span.end - span.start == 1 => "!",
        UnaryOp::Not => "not",
    }
}

/// The result type of `l op r`, or expr's mismatch error.
fn binary_type(op: BinaryOp, text: &str, l: &Type, r: &Type, span: Span) -> Result<Type> {
    let number = |t: &Type| t.is_number();
    let integer = |t: &Type| *t == Type::Int;
    let both = |ok: fn(&Type) -> bool| ok(l) && ok(r);
    let ty = match op {
        BinaryOp::Eq | BinaryOp::Ne => {
            let comparable = l.is_unknown()
                || r.is_unknown()
                || *l == Type::Nil
                || *r == Type::Nil
                || both(Type::is_number)
                || both(Type::is_array)
                || l.same_kind(r);
            comparable.then_some(Type::Bool)
        }
        BinaryOp::And | BinaryOp::Or => {
            let ok = |t: &Type| *t == Type::Bool;
            (both(ok) || Type::maybe(l, r, ok)).then_some(Type::Bool)
        }
        BinaryOp::Lt | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Ge => {
            (both(number) || Type::maybe(l, r, number)).then_some(Type::Bool)
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => {
            if both(number) {
                Some(if *l == Type::Float || *r == Type::Float {
                    Type::Float
                } else {
                    Type::Int
                })
            } else if Type::maybe(l, r, number) {
                Some(Type::Unknown)
            } else {
                None
            }
        }
        BinaryOp::Div | BinaryOp::Pow => {
            (both(number) || Type::maybe(l, r, number)).then_some(Type::Float)
        }
        BinaryOp::Mod => (both(integer) || Type::maybe(l, r, integer)).then_some(Type::Int),
        BinaryOp::Range => {
            (both(integer) || Type::maybe(l, r, integer)).then(|| Type::Array(Box::new(Type::Int)))
        }
        BinaryOp::In => match r {
            Type::Array(element) => {
                let comparable = l.is_unknown()
                    || element.is_unknown()
                    || *l == Type::Nil
                    || **element == Type::Nil
                    || (l.is_number() && element.is_number())
                    || l.same_kind(element);
                if !comparable {
                    return Err(type_error(
                        span,
                        format!("cannot use {l} as type {element} in array"),
                    ));
                }
                Some(Type::Bool)
            }
            Type::Unknown => Some(Type::Bool),
            _ => None,
        },
        BinaryOp::Coalesce => Some(match (l, r) {
            (Type::Nil, Type::Nil) => Type::Nil,
            (Type::Nil, t) | (t, Type::Nil) => t.clone(),
            (x, y) if x == y => x.clone(),
            _ => Type::Unknown,
        }),
    };
    ty.ok_or_else(|| {
        type_error(
            span,
            format!("invalid operation: {text} (mismatched types {l} and {r})"),
        )
    })
}

/// The result type of a (non-predicate) builtin call, or expr's error for it.
fn builtin_type(builtin: Builtin, args: &[Node], span: Span) -> Result<Type> {
    let name = builtin.name();
    let count = |expected: usize| -> Result<()> {
        if args.len() != expected {
            return Err(type_error(
                span,
                format!(
                    "invalid number of arguments (expected {expected}, got {})",
                    args.len()
                ),
            ));
        }
        Ok(())
    };
    let invalid = |ty: &Type| {
        type_error(
            span,
            format!("invalid argument for {name} (type {})", ty.reflect_name()),
        )
    };
    match builtin {
        Builtin::Abs
        | Builtin::Ceil
        | Builtin::Floor
        | Builtin::Round
        | Builtin::Int
        | Builtin::Float => {
            count(1)?;
            let ty = &args[0].ty;
            if !(ty.is_number() || ty.is_unknown()) {
                return Err(invalid(ty));
            }
            Ok(match builtin {
                Builtin::Abs => ty.clone(),
                Builtin::Int => Type::Int,
                _ => Type::Float,
            })
        }
        Builtin::Max | Builtin::Min | Builtin::Mean | Builtin::Median => {
            if args.is_empty() {
                return Err(type_error(
                    span,
                    format!("not enough arguments to call {name}"),
                ));
            }
            for arg in args {
                if arg.ty.is_unknown() || arg.ty.is_array() {
                    return Ok(Type::Unknown);
                }
                if !arg.ty.is_number() {
                    return Err(invalid(&arg.ty));
                }
            }
            Ok(args[0].ty.clone())
        }
        Builtin::Len => {
            count(1)?;
            let ty = &args[0].ty;
            if !(ty.is_array() || ty.is_unknown()) {
                return Err(invalid(ty));
            }
            Ok(Type::Int)
        }
        Builtin::First | Builtin::Last => {
            count(1)?;
            match &args[0].ty {
                Type::Unknown => Ok(Type::Unknown),
                Type::Array(element) => Ok((**element).clone()),
                other => Err(type_error(
                    span,
                    format!(
                        "cannot get {} element from {}",
                        if builtin == Builtin::First {
                            "first"
                        } else {
                            "last"
                        },
                        other.reflect_name()
                    ),
                )),
            }
        }
        _ => {
            // The bitwise functions: `func(int, int) int` (`bitnot`: `func(int) int`).
            let expected = if builtin == Builtin::BitNot { 1 } else { 2 };
            if args.len() < expected {
                return Err(type_error(
                    span,
                    format!("not enough arguments to call {name}"),
                ));
            }
            if args.len() > expected {
                return Err(type_error(
                    span,
                    format!("too many arguments to call {name}"),
                ));
            }
            for arg in args {
                match &arg.ty {
                    Type::Int | Type::Unknown => {}
                    Type::Nil => {
                        return Err(type_error(
                            arg.span,
                            format!("cannot use nil as argument (type int) to call {name}"),
                        ))
                    }
                    other => {
                        return Err(type_error(
                            arg.span,
                            format!("cannot use {other} as argument (type int) to call {name} "),
                        ))
                    }
                }
            }
            Ok(Type::Int)
        }
    }
}
