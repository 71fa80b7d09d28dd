//! Constant folding: evaluates what does not depend on inputs, at compile time.
//!
//! Invariant: folding never changes a result, a result type or an error; it only moves work
//! from every evaluation to compilation. An operation that would fail is left for run time,
//! except `%` by a literal zero, which expr reports at compile time (`integer divide by zero`).

use crate::lang::ast::{BinaryOp, UnaryOp};
use crate::lang::builtin;
use crate::lang::check::{Node, NodeKind, Type};
use crate::lang::error::{Error, ErrorKind, Result};
use crate::lang::value::apply_cast;
use crate::lang::value::{self, Value};

/// Ranges up to this many elements are folded into constant arrays.
const MAX_FOLDED_RANGE: usize = 1024;

/// Folds `node` in place.
pub(crate) fn fold(node: &mut Node) -> Result<()> {
    match &mut node.kind {
        NodeKind::Const(_) | NodeKind::Input(_) | NodeKind::Local(_) | NodeKind::Pointer(..) => {}
        NodeKind::Array(items) => {
            for item in items.iter_mut() {
                fold(item)?;
            }
            if items.iter().all(is_const) {
                let values: Vec<Value> = items.iter().map(const_value).collect();
                node.kind = NodeKind::Const(Value::Array(values.into()));
            }
        }
        NodeKind::Unary(op, operand) => {
            fold(operand)?;
            if let NodeKind::Const(v) = &operand.kind {
                let folded = match op {
                    UnaryOp::Neg => value::negate(v).ok(),
                    UnaryOp::Plus => value::plus(v).ok(),
                    UnaryOp::Not => value::truth(v).ok().map(|b| Value::Bool(!b)),
                };
                if let Some(v) = folded {
                    node.kind = NodeKind::Const(v);
                }
            }
        }
        NodeKind::Binary(op, l, r) => {
            let op = *op;
            fold(l)?;
            fold(r)?;
            if let Some(folded) = fold_binary(op, l, r, node.span)? {
                match folded {
                    Folded::Const(v) => node.kind = NodeKind::Const(v),
                    Folded::Node(n) => *node = n,
                }
            }
        }
        NodeKind::Cond(c, a, b) => {
            fold(c)?;
            fold(a)?;
            fold(b)?;
            if let NodeKind::Const(Value::Bool(taken)) = c.kind {
                let branch = if taken { a } else { b };
                *node = take(branch);
            }
        }
        NodeKind::Let(local, value, body) => {
            fold(value)?;
            if let NodeKind::Const(v) = &value.kind {
                substitute(body, *local, v);
            }
            fold(body)?;
            if is_const(value) {
                *node = take(body);
            }
        }
        NodeKind::Seq(items) => {
            for item in items.iter_mut() {
                fold(item)?;
            }
            // A constant before the last item has no effect.
            let last = items.len().saturating_sub(1);
            let mut i = 0;
            items.retain(|item| {
                let keep = i == last || !is_const(item);
                i += 1;
                keep
            });
            if items.len() == 1 {
                if let Some(only) = items.pop() {
                    *node = only;
                }
            }
        }
        NodeKind::Call(builtin, args) => {
            for arg in args.iter_mut() {
                fold(arg)?;
            }
            if args.iter().all(is_const) {
                let values: Vec<Value> = args.iter().map(const_value).collect();
                if let Ok(v) = builtin::call(*builtin, &values) {
                    node.kind = NodeKind::Const(v);
                }
            }
        }
        NodeKind::Predicate {
            array, body, init, ..
        } => {
            fold(array)?;
            if let Some(body) = body {
                fold(body)?;
            }
            if let Some(init) = init {
                fold(init)?;
            }
            // Over a constant array, with a body that reads nothing but `#`, `#index` and
            // `#acc`, the whole call is a constant.
            let closed = is_const(array)
                && init.as_deref().is_none_or(is_const)
                && body.as_deref().is_none_or(reads_no_input);
            if closed {
                if let Some(v) = crate::lang::compile::eval_closed(node, MAX_FOLDED_RANGE + 1) {
                    node.kind = NodeKind::Const(v);
                }
            }
        }
        NodeKind::Index(base, index) => {
            fold(base)?;
            fold(index)?;
            if let (NodeKind::Const(b), NodeKind::Const(i)) = (&base.kind, &index.kind) {
                if let Ok(v) = value::index(b, i) {
                    node.kind = NodeKind::Const(v);
                }
            }
        }
        NodeKind::Cast(cast, inner) => {
            fold(inner)?;
            if let NodeKind::Const(v) = &inner.kind {
                if let Ok(v) = apply_cast(*cast, v) {
                    node.kind = NodeKind::Const(v);
                }
            }
        }
    }
    Ok(())
}

/// What a binary operator folds to: a computed constant, or one of its operands.
enum Folded {
    Const(Value),
    Node(Node),
}

fn fold_binary(
    op: BinaryOp,
    l: &mut Node,
    r: &mut Node,
    span: crate::lang::ast::Span,
) -> Result<Option<Folded>> {
    match op {
        BinaryOp::And | BinaryOp::Or => {
            // `false && x` is false and `true || x` is true; `true && x` and `false || x`
            // are `x` when `x` is a bool (an unknown `x` is returned unchecked by expr too,
            // but keeping the node keeps the error of a non-bool unknown at run time the same).
            let short = op == BinaryOp::Or;
            if let NodeKind::Const(Value::Bool(b)) = l.kind {
                if b == short {
                    return Ok(Some(Folded::Const(Value::Bool(b))));
                }
                if r.ty == Type::Bool || is_const(r) {
                    return Ok(Some(Folded::Node(take(r))));
                }
            }
            Ok(None)
        }
        BinaryOp::Coalesce => Ok(match &l.kind {
            NodeKind::Const(Value::Nil) => Some(Folded::Node(take(r))),
            NodeKind::Const(_) => Some(Folded::Node(take(l))),
            _ => None,
        }),
        _ => {
            let (NodeKind::Const(a), NodeKind::Const(b)) = (&l.kind, &r.kind) else {
                return Ok(None);
            };
            if op == BinaryOp::Mod && matches!((a, b), (Value::Int(_), Value::Int(0))) {
                return Err(Error::new(
                    ErrorKind::Runtime,
                    span,
                    "integer divide by zero",
                ));
            }
            Ok(value::binary(op, a, b, MAX_FOLDED_RANGE + 1)
                .ok()
                .map(Folded::Const))
        }
    }
}

/// Whether `node` reads no input and no `let` local.
fn reads_no_input(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Input(_) | NodeKind::Local(_) => false,
        NodeKind::Const(_) | NodeKind::Pointer(..) => true,
        NodeKind::Array(items) | NodeKind::Seq(items) | NodeKind::Call(_, items) => {
            items.iter().all(reads_no_input)
        }
        NodeKind::Unary(_, x) | NodeKind::Cast(_, x) => reads_no_input(x),
        NodeKind::Binary(_, a, b) | NodeKind::Let(_, a, b) | NodeKind::Index(a, b) => {
            reads_no_input(a) && reads_no_input(b)
        }
        NodeKind::Cond(a, b, c) => reads_no_input(a) && reads_no_input(b) && reads_no_input(c),
        NodeKind::Predicate {
            array, body, init, ..
        } => {
            reads_no_input(array)
                && body.as_deref().is_none_or(reads_no_input)
                && init.as_deref().is_none_or(reads_no_input)
        }
    }
}

fn is_const(node: &Node) -> bool {
    matches!(node.kind, NodeKind::Const(_))
}

fn const_value(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Const(v) => v.clone(),
        _ => Value::Nil,
    }
}

/// Moves a node out, leaving a nil constant behind.
fn take(node: &mut Node) -> Node {
    let span = node.span;
    std::mem::replace(
        node,
        Node {
            kind: NodeKind::Const(Value::Nil),
            ty: Type::Nil,
            span,
        },
    )
}

/// Replaces every read of `local` in `node` by the constant `v`.
fn substitute(node: &mut Node, local: u32, v: &Value) {
    if let NodeKind::Local(l) = node.kind {
        if l == local {
            node.kind = NodeKind::Const(v.clone());
        }
        return;
    }
    for child in children_mut(node) {
        substitute(child, local, v);
    }
}

/// The direct children of a node.
pub(crate) fn children_mut(node: &mut Node) -> Vec<&mut Node> {
    match &mut node.kind {
        NodeKind::Const(_) | NodeKind::Input(_) | NodeKind::Local(_) | NodeKind::Pointer(..) => {
            Vec::new()
        }
        NodeKind::Array(items) | NodeKind::Seq(items) | NodeKind::Call(_, items) => {
            items.iter_mut().collect()
        }
        NodeKind::Unary(_, x) | NodeKind::Cast(_, x) => vec![&mut **x],
        NodeKind::Binary(_, a, b) | NodeKind::Let(_, a, b) | NodeKind::Index(a, b) => {
            vec![&mut **a, &mut **b]
        }
        NodeKind::Cond(a, b, c) => vec![&mut **a, &mut **b, &mut **c],
        NodeKind::Predicate {
            array, body, init, ..
        } => {
            let mut out = vec![&mut **array];
            if let Some(b) = body {
                out.push(&mut **b);
            }
            if let Some(i) = init {
                out.push(&mut **i);
            }
            out
        }
    }
}
