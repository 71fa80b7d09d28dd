//! Code generation: checked (and usually folded) tree → [`Program`].

use crate::lang::ast::{BinaryOp, Pointer, Span, UnaryOp};
use crate::lang::bytecode::{Op, PredicateInfo, Program};
use crate::lang::check::{Checked, Node, NodeKind};
use crate::lang::error::{Error, ErrorKind, Result};
use crate::lang::limits::Limits;
use crate::lang::schema::Inputs;
use crate::lang::value::Value;
use ordered_float::OrderedFloat;
use std::collections::HashMap;

/// A constant's identity for deduplication: floats by value and sign (so `0.0` and `-0.0`
/// stay apart), arrays never shared.
#[derive(PartialEq, Eq, Hash)]
enum ConstKey {
    Nil,
    Bool(bool),
    Int(i64),
    Float(OrderedFloat<f64>, bool),
}

/// Compiles a checked tree.
pub(crate) fn compile(checked: &Checked, limits: &Limits) -> Result<Program> {
    let mut c = Compiler {
        program: Program {
            locals: checked.locals,
            levels: checked.levels,
            // Enough for most formulas without regrowing.
            code: Vec::with_capacity(16),
            spans: Vec::with_capacity(16),
            constants: Vec::with_capacity(4),
            ..Program::default()
        },
        dedup: Dedup::default(),
        limits,
    };
    c.node(&checked.root)?;
    Ok(c.program)
}

/// Evaluates a closed node — one that reads no input and no `let` local — at compile time, on
/// the VM; `None` if it fails (the failure is then left for run time). The folder uses it for
/// predicates over constant arrays.
pub(crate) fn eval_closed(node: &Node, max_array_len: usize) -> Option<Value> {
    let closed = Checked {
        root: node.clone(),
        locals: 0,
        levels: predicate_levels(node),
    };
    let program = compile(&closed, &Limits::default()).ok()?;
    crate::lang::vm::run(&program, &Inputs::default(), max_array_len).ok()
}

/// How many predicate levels `node` uses: one more than the deepest `#` level in it.
fn predicate_levels(node: &Node) -> u32 {
    let deepest = |nodes: &mut dyn Iterator<Item = &Node>| nodes.map(predicate_levels).max();
    let inner = match &node.kind {
        NodeKind::Const(_) | NodeKind::Input(_) | NodeKind::Local(_) => None,
        NodeKind::Pointer(_, level) => Some(level + 1),
        NodeKind::Array(items) | NodeKind::Seq(items) | NodeKind::Call(_, items) => {
            deepest(&mut items.iter())
        }
        NodeKind::Unary(_, x) | NodeKind::Cast(_, x) => Some(predicate_levels(x)),
        NodeKind::Binary(_, a, b) | NodeKind::Let(_, a, b) | NodeKind::Index(a, b) => {
            deepest(&mut [a, b].into_iter().map(|n| &**n))
        }
        NodeKind::Cond(a, b, c) => deepest(&mut [a, b, c].into_iter().map(|n| &**n)),
        NodeKind::Predicate {
            array,
            body,
            init,
            level,
            ..
        } => {
            let parts = [Some(array), body.as_ref(), init.as_ref()];
            deepest(&mut parts.into_iter().flatten().map(|n| &**n)).map(|d| d.max(level + 1))
        }
    };
    inner.unwrap_or(0)
}

struct Compiler<'a> {
    program: Program,
    dedup: Dedup,
    limits: &'a Limits,
}

/// The constants' identities, for deduplication once the pool is large; a small pool is
/// scanned instead (formulas have a handful of constants, and a scan costs less than hashing,
/// and needs no table of its own).
#[derive(Default)]
struct Dedup {
    large: Option<HashMap<ConstKey, u32>>,
}

impl Dedup {
    /// Pools up to this many constants are scanned.
    const SMALL: usize = 16;

    /// The index in `pool` of a constant with identity `key`.
    fn get(&self, pool: &[Value], key: &ConstKey) -> Option<u32> {
        match &self.large {
            Some(map) => map.get(key).copied(),
            None => pool
                .iter()
                .position(|v| const_key(v).as_ref() == Some(key))
                .and_then(|i| u32::try_from(i).ok()),
        }
    }

    /// Records that `pool`'s last constant, with identity `key`, is at index `i`.
    fn insert(&mut self, pool: &[Value], key: ConstKey, i: u32) {
        if let Some(map) = &mut self.large {
            map.insert(key, i);
            return;
        }
        if pool.len() >= Self::SMALL {
            let mut map = HashMap::with_capacity(pool.len() * 2);
            for (j, v) in pool.iter().enumerate() {
                if let (Some(k), Ok(j)) = (const_key(v), u32::try_from(j)) {
                    // The first of equal constants is the one the scan finds.
                    map.entry(k).or_insert(j);
                }
            }
            self.large = Some(map);
        }
    }
}

/// A constant's identity (`None` for arrays, never shared).
fn const_key(v: &Value) -> Option<ConstKey> {
    match *v {
        Value::Nil => Some(ConstKey::Nil),
        Value::Bool(b) => Some(ConstKey::Bool(b)),
        Value::Int(i) => Some(ConstKey::Int(i)),
        Value::Float(f) => Some(ConstKey::Float(OrderedFloat(f), f.is_sign_negative())),
        Value::Array(_) => None,
    }
}

impl Compiler<'_> {
    fn emit(&mut self, op: Op, span: Span) -> Result<u32> {
        let at = self.program.code.len();
        if at >= self.limits.max_instructions {
            return Err(Error::new(
                ErrorKind::Limit,
                span,
                format!(
                    "program too large (more than {} instructions)",
                    self.limits.max_instructions
                ),
            ));
        }
        self.program.code.push(op);
        self.program.spans.push(span);
        Ok(at as u32)
    }

    fn here(&self) -> u32 {
        self.program.code.len() as u32
    }

    /// Points the jump at `at` to the current position.
    fn patch(&mut self, at: u32) {
        let target = self.here();
        if let Some(op) = self.program.code.get_mut(at as usize) {
            *op = match *op {
                Op::AndJump(_) => Op::AndJump(target),
                Op::OrJump(_) => Op::OrJump(target),
                Op::CoalesceJump(_) => Op::CoalesceJump(target),
                Op::BranchFalse(_) => Op::BranchFalse(target),
                Op::Jump(_) => Op::Jump(target),
                other => other,
            };
        }
    }

    fn constant(&mut self, v: &Value, span: Span) -> Result<u32> {
        let key = const_key(v);
        if let Some(i) = key
            .as_ref()
            .and_then(|k| self.dedup.get(&self.program.constants, k))
        {
            return Ok(i);
        }
        let i = self.program.constants.len();
        if i >= self.limits.max_constants {
            return Err(Error::new(
                ErrorKind::Limit,
                span,
                format!(
                    "program too large (more than {} constants)",
                    self.limits.max_constants
                ),
            ));
        }
        self.program.constants.push(v.clone());
        if let Some(k) = key {
            self.dedup.insert(&self.program.constants, k, i as u32);
        }
        Ok(i as u32)
    }

    fn node(&mut self, node: &Node) -> Result<()> {
        let span = node.span;
        match &node.kind {
            NodeKind::Const(v) => {
                let i = self.constant(v, span)?;
                self.emit(Op::Const(i), span)?;
            }
            NodeKind::Input(slot) => {
                self.emit(Op::Input(*slot), span)?;
            }
            NodeKind::Local(l) => {
                self.emit(Op::Local(*l), span)?;
            }
            NodeKind::Pointer(p, level) => {
                let op = match p {
                    Pointer::Element => Op::Element(*level),
                    Pointer::Index => Op::Index(*level),
                    Pointer::Acc => Op::Acc(*level),
                };
                self.emit(op, span)?;
            }
            NodeKind::Array(items) => {
                for item in items {
                    self.node(item)?;
                }
                self.emit(Op::Array(items.len() as u32), span)?;
            }
            NodeKind::Unary(op, operand) => {
                self.node(operand)?;
                let op = match op {
                    UnaryOp::Neg => Op::Neg,
                    UnaryOp::Plus => Op::Plus,
                    UnaryOp::Not => Op::Not,
                };
                self.emit(op, span)?;
            }
            NodeKind::Binary(op, l, r) => {
                self.node(l)?;
                let jump = match op {
                    BinaryOp::And => Some(Op::AndJump(0)),
                    BinaryOp::Or => Some(Op::OrJump(0)),
                    BinaryOp::Coalesce => Some(Op::CoalesceJump(0)),
                    _ => None,
                };
                match jump {
                    Some(jump) => {
                        let at = self.emit(jump, span)?;
                        self.node(r)?;
                        self.patch(at);
                    }
                    None => {
                        self.node(r)?;
                        self.emit(Op::Binary(*op), span)?;
                    }
                }
            }
            NodeKind::Cond(c, a, b) => {
                self.node(c)?;
                let branch = self.emit(Op::BranchFalse(0), c.span)?;
                self.node(a)?;
                let jump = self.emit(Op::Jump(0), span)?;
                self.patch(branch);
                self.node(b)?;
                self.patch(jump);
            }
            NodeKind::Let(local, value, body) => {
                self.node(value)?;
                self.emit(Op::SetLocal(*local), span)?;
                self.node(body)?;
            }
            NodeKind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.node(item)?;
                    if i + 1 < items.len() {
                        self.emit(Op::Pop, item.span)?;
                    }
                }
                if items.is_empty() {
                    let i = self.constant(&Value::Nil, span)?;
                    self.emit(Op::Const(i), span)?;
                }
            }
            NodeKind::Call(builtin, args) => {
                for arg in args {
                    self.node(arg)?;
                }
                let argc = u8::try_from(args.len()).map_err(|_| {
                    Error::new(ErrorKind::Limit, span, "too many arguments (at most 255)")
                })?;
                self.emit(Op::Call(*builtin, argc), span)?;
            }
            NodeKind::Predicate {
                kind,
                array,
                body,
                init,
                level,
            } => {
                self.node(array)?;
                if let Some(init) = init {
                    self.node(init)?;
                }
                let index = self.program.predicates.len() as u32;
                self.program.predicates.push(PredicateInfo {
                    kind: *kind,
                    body: (0, 0),
                    has_init: init.is_some(),
                    level: *level,
                });
                self.emit(Op::Predicate(index), span)?;
                let start = self.here();
                if let Some(body) = body {
                    self.node(body)?;
                }
                let end = self.here();
                if let Some(info) = self.program.predicates.get_mut(index as usize) {
                    info.body = (start, end);
                }
            }
            NodeKind::Index(base, index) => {
                self.node(base)?;
                self.node(index)?;
                self.emit(Op::Fetch, span)?;
            }
            NodeKind::Cast(cast, inner) => {
                self.node(inner)?;
                self.emit(Op::Cast(*cast), span)?;
            }
        }
        Ok(())
    }
}
