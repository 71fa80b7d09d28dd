//! The fast compiler: a checked, folded tree → [`FastProgram`], or `None` when the formula
//! needs the general VM; int ranges are tracked to admit only exact int arithmetic.

use super::*;
use crate::lang::ast::{BinaryOp, Pointer, UnaryOp};
use crate::lang::builtin::{Builtin, Predicate};
use crate::lang::check::{Node, NodeKind};
use crate::lang::schema::{InputType, Schema};
use crate::lang::value::{Value, ValueType};

/// The most registers a fast program may use.
pub(super) const MAX_REGISTERS: usize = 32;

/// An operand before it is put in a register.
#[derive(Clone, Copy, Debug)]
pub(super) enum Operand {
    /// A temporary register the holder owns and may overwrite.
    Reg(u8),
    /// A register someone else still needs (an unrolled predicate's element).
    Borrowed(u8),
    Const(u16),
    Input(u16),
}

/// Compiles a checked (and folded) tree to a fast program, or `None` when the formula needs
/// the general VM.
pub(crate) fn compile(root: &Node, schema: &Schema, chains: bool) -> Option<FastProgram> {
    let mut c = FastCompiler {
        schema,
        program: FastProgram::default(),
        next: 0,
        element: None,
    };
    let (operand, kind) = c.operand(root)?;
    let result = c.in_reg(operand)?;
    c.program.result = result;
    c.program.kind = Some(kind);
    c.program.value_type = runtime_type(root);
    if chains {
        c.program.chain = Chain::new(&c.program);
    }
    Some(c.program)
}

/// Ints up to this magnitude are exact as `f64`s, and no int operation below it can wrap.
pub(super) const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53

/// The range `[lo, hi]` an int value of a node lies in.
pub(super) type IntRange = (f64, f64);

/// Whether a node whose int values lie in `range` computes exactly in `f64`.
pub(super) fn exact_int(range: Option<IntRange>) -> bool {
    range.is_none_or(|(lo, hi)| lo.abs().max(hi.abs()) <= EXACT_INT)
}

/// The union of two ranges (either may be absent).
pub(super) fn either(a: Option<IntRange>, b: Option<IntRange>) -> Option<IntRange> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (a, b) => a.or(b),
    }
}

pub(super) const ANY_INT: IntRange = (f64::NEG_INFINITY, f64::INFINITY);

/// The range of `node`'s value when that value is an int, or `None` when it never is. Int
/// arithmetic is done in `f64` only within [`EXACT_INT`].
pub(super) fn int_range(node: &Node) -> Option<IntRange> {
    match &node.kind {
        NodeKind::Const(Value::Int(i)) => Some((*i as f64, *i as f64)),
        NodeKind::Const(_) | NodeKind::Input(_) => None,
        NodeKind::Unary(UnaryOp::Neg, x) => int_range(x).map(|(lo, hi)| (-hi, -lo)),
        NodeKind::Unary(_, x) => int_range(x),
        NodeKind::Binary(op, l, r) => int_range_of(*op, l, r),
        NodeKind::Cond(_, a, b) => either(int_range(a), int_range(b)),
        NodeKind::Call(builtin, args) => match builtin {
            Builtin::Abs => int_range(args.first()?).map(|(lo, hi)| {
                if lo >= 0.0 {
                    (lo, hi)
                } else {
                    (0.0, (-lo).max(hi))
                }
            }),
            Builtin::Max | Builtin::Min => args.iter().map(int_range).fold(None, either),
            Builtin::Int => Some(ANY_INT),
            _ => None,
        },
        NodeKind::Predicate {
            kind: Predicate::Count,
            array,
            ..
        } => match &array.kind {
            NodeKind::Array(items) => Some((0.0, items.len() as f64)),
            NodeKind::Const(Value::Array(items)) => Some((0.0, items.len() as f64)),
            _ => Some(ANY_INT),
        },
        NodeKind::Predicate { .. } => None,
        _ => Some(ANY_INT),
    }
}

/// [`int_range`] of `l op r`.
pub(super) fn int_range_of(op: BinaryOp, l: &Node, r: &Node) -> Option<IntRange> {
    let (a, b) = (int_range(l), int_range(r));
    match op {
        // An int result needs two int operands.
        BinaryOp::Add => {
            let ((al, ah), (bl, bh)) = (a?, b?);
            Some((al + bl, ah + bh))
        }
        BinaryOp::Sub => {
            let ((al, ah), (bl, bh)) = (a?, b?);
            Some((al - bh, ah - bl))
        }
        BinaryOp::Mul => {
            let ((al, ah), (bl, bh)) = (a?, b?);
            let products =
                [al * bl, al * bh, ah * bl, ah * bh].map(|p| if p.is_nan() { 0.0 } else { p });
            Some((
                products.iter().copied().fold(f64::INFINITY, f64::min),
                products.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ))
        }
        BinaryOp::Coalesce => either(a, b),
        BinaryOp::Mod => Some(ANY_INT),
        _ => None,
    }
}

/// Whether `l op r` (`+`, `-`, `*`) computes exactly in `f64`. With an operand that is never
/// an int it is float arithmetic, as in expr. With two operands that may be ints, their int
/// results must stay within [`EXACT_INT`]; and as an int product is never -0 while an `f64`
/// product can be, `*` needs both operands to be ints on every run (then the -0 is fixed up)
/// or neither int range to reach below zero.
pub(super) fn int_arith_ok(op: BinaryOp, l: &Node, r: &Node) -> bool {
    let (Some(a), Some(b)) = (int_range(l), int_range(r)) else {
        return true;
    };
    if !exact_int(int_range_of(op, l, r)) {
        return false;
    }
    op != BinaryOp::Mul || (a.0 >= 0.0 && b.0 >= 0.0) || always_int(l, r)
}

pub(super) fn always_int(l: &Node, r: &Node) -> bool {
    runtime_type(l) == Some(ValueType::Int) && runtime_type(r) == Some(ValueType::Int)
}

/// The type of every value `node` can give on the fast path (where no input is missing),
/// if it is always the same.
pub(super) fn runtime_type(node: &Node) -> Option<ValueType> {
    let same = |a: Option<ValueType>, b: Option<ValueType>| if a == b { a } else { None };
    match &node.kind {
        NodeKind::Const(v) => Some(v.value_type()),
        NodeKind::Input(_) => Some(ValueType::Float),
        NodeKind::Pointer(..) => None,
        NodeKind::Unary(UnaryOp::Not, _) => Some(ValueType::Bool),
        NodeKind::Unary(_, x) => runtime_type(x),
        NodeKind::Binary(op, l, r) => match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => {
                match (runtime_type(l)?, runtime_type(r)?) {
                    (ValueType::Int, ValueType::Int) => Some(ValueType::Int),
                    _ => Some(ValueType::Float),
                }
            }
            BinaryOp::Div | BinaryOp::Pow => Some(ValueType::Float),
            BinaryOp::Coalesce => same(runtime_type(l), runtime_type(r)),
            _ => Some(ValueType::Bool),
        },
        NodeKind::Cond(_, a, b) => same(runtime_type(a), runtime_type(b)),
        NodeKind::Call(builtin, args) => match builtin {
            Builtin::Abs => runtime_type(args.first()?),
            Builtin::Int => Some(ValueType::Int),
            Builtin::Max | Builtin::Min => args.iter().map(runtime_type).reduce(same).flatten(),
            _ => Some(ValueType::Float),
        },
        NodeKind::Predicate { kind, .. } => match kind {
            Predicate::Count => Some(ValueType::Int),
            _ => Some(ValueType::Bool),
        },
        _ => None,
    }
}

pub(super) struct FastCompiler<'a> {
    schema: &'a Schema,
    program: FastProgram,
    /// The next free register; registers above it are free.
    next: u8,
    /// What `#` stands for while unrolling a predicate over a literal array.
    element: Option<(Operand, Kind, u32)>,
}

impl FastCompiler<'_> {
    pub(super) fn alloc(&mut self) -> Option<u8> {
        let r = self.next;
        if r as usize >= MAX_REGISTERS {
            return None;
        }
        self.next += 1;
        self.program.registers = self.program.registers.max(self.next);
        Some(r)
    }

    pub(super) fn emit(&mut self, op: FastOp) {
        self.program.code.push(op);
    }

    pub(super) fn constant(&mut self, v: f64) -> Option<u16> {
        if let Some(i) = self
            .program
            .constants
            .iter()
            .position(|c| c.to_bits() == v.to_bits())
        {
            return u16::try_from(i).ok();
        }
        let i = u16::try_from(self.program.constants.len()).ok()?;
        self.program.constants.push(v);
        Some(i)
    }

    /// Puts an operand in a register the caller owns (the top one when it is new).
    pub(super) fn in_reg(&mut self, operand: Operand) -> Option<u8> {
        Some(match operand {
            Operand::Reg(r) => r,
            Operand::Borrowed(a) => {
                let d = self.alloc()?;
                self.emit(FastOp::Unary {
                    f: Unary::Copy,
                    d,
                    a,
                });
                d
            }
            Operand::Const(k) => {
                let d = self.alloc()?;
                self.emit(FastOp::K { d, k: k as u32 });
                d
            }
            Operand::Input(s) => {
                let d = self.alloc()?;
                self.emit(FastOp::In { d, s: s as u32 });
                d
            }
        })
    }

    /// A node's value as an operand, without emitting code for constants and inputs.
    pub(super) fn operand(&mut self, node: &Node) -> Option<(Operand, Kind)> {
        match &node.kind {
            NodeKind::Const(v) => {
                let (f, kind) = match *v {
                    Value::Float(f) => (f, Kind::Number),
                    Value::Int(i) if i.unsigned_abs() <= 1 << 53 => (i as f64, Kind::Number),
                    Value::Bool(b) => (b as u8 as f64, Kind::Bool),
                    _ => return None,
                };
                Some((Operand::Const(self.constant(f)?), kind))
            }
            NodeKind::Input(slot) => {
                if self.schema.input_type(crate::Slot(*slot)) != InputType::Float {
                    return None;
                }
                Some((Operand::Input(u16::try_from(*slot).ok()?), Kind::Number))
            }
            NodeKind::Pointer(Pointer::Element, level) => match self.element {
                Some((operand, kind, l)) if l == *level => Some((operand, kind)),
                _ => None,
            },
            _ => {
                let (r, kind) = self.reg(node)?;
                Some((Operand::Reg(r), kind))
            }
        }
    }

    /// Compiles a node into a new register (the top one).
    pub(super) fn reg(&mut self, node: &Node) -> Option<(u8, Kind)> {
        match &node.kind {
            NodeKind::Unary(op, operand) => {
                let (x, kind) = self.operand(operand)?;
                let f = match (op, kind) {
                    // A float, or an int that is never 0, negates as an f64; an int that may be
                    // 0 must give 0, not -0.
                    (UnaryOp::Neg, Kind::Number) => match int_range(operand) {
                        None => Unary::Neg,
                        Some((lo, hi)) if !exact_int(Some((lo, hi))) => return None,
                        Some((lo, hi)) if lo > 0.0 || hi < 0.0 => Unary::Neg,
                        Some(_) if runtime_type(operand) == Some(ValueType::Int) => Unary::IntNeg,
                        Some(_) => return None,
                    },
                    (UnaryOp::Not, Kind::Bool) => Unary::Not,
                    (UnaryOp::Plus, Kind::Number) => return Some((self.in_reg(x)?, kind)),
                    _ => return None,
                };
                let a = self.in_reg(x)?;
                self.emit(FastOp::Unary { f, d: a, a });
                Some((a, kind))
            }
            NodeKind::Binary(op, l, r) => self.binary(*op, l, r),
            NodeKind::Cond(c, a, b) => self.cond(c, a, b),
            NodeKind::Call(builtin, args) => self.call(*builtin, args),
            NodeKind::Predicate {
                kind,
                array,
                body: Some(body),
                init: None,
                level,
            } => self.unrolled(*kind, array, body, *level),
            _ => None,
        }
    }

    pub(super) fn binary(&mut self, op: BinaryOp, l: &Node, r: &Node) -> Option<(u8, Kind)> {
        if let Some(cmp) = Cmp::from_op(op) {
            let (a, ka) = self.operand(l)?;
            let (b, kb) = self.operand(r)?;
            if ka != kb {
                return None;
            }
            return Some((self.compare(cmp, a, b)?, Kind::Bool));
        }
        if op == BinaryOp::Coalesce {
            // A computed left side is never nil here; an input may be missing.
            let (a, kind) = self.operand(l)?;
            let Operand::Input(s) = a else {
                return Some((self.in_reg(a)?, kind));
            };
            let (b, kb) = self.operand(r)?;
            if kb != kind {
                return None;
            }
            return Some(match b {
                Operand::Const(k) => {
                    let d = self.alloc()?;
                    self.emit(FastOp::InOrK { d, s, k });
                    (d, kind)
                }
                other => {
                    let a = self.in_reg(other)?;
                    self.emit(FastOp::InOr { d: a, a, s });
                    (a, kind)
                }
            });
        }
        let (arith, kind) = match op {
            // Int arithmetic (two int operands) wraps and never gives -0; it is done here only
            // where both operands are ints on every run and the result cannot overflow, so
            // that the f64 result is exact (`* ` is then followed by a -0 to 0 fix).
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul if int_arith_ok(op, l, r) => {
                let arith = match op {
                    BinaryOp::Add => Arith::Add,
                    BinaryOp::Sub => Arith::Sub,
                    _ => Arith::Mul,
                };
                (arith, Kind::Number)
            }
            BinaryOp::Div => (Arith::Div, Kind::Number),
            BinaryOp::Pow => (Arith::Pow, Kind::Number),
            BinaryOp::And => (Arith::And, Kind::Bool),
            BinaryOp::Or => (Arith::Or, Kind::Bool),
            _ => return None,
        };
        // `guard && x cmp k`: fold the comparison into the accumulating register.
        if arith == Arith::And {
            if let NodeKind::Binary(rop, rl, rr) = &r.kind {
                if let (Some(cmp), NodeKind::Input(_), NodeKind::Const(_)) =
                    (Cmp::from_op(*rop), &rl.kind, &rr.kind)
                {
                    let (acc, ka) = self.operand(l)?;
                    let (x, kx) = self.operand(rl)?;
                    let (k, kk) = self.operand(rr)?;
                    if let (
                        Kind::Bool,
                        Kind::Number,
                        Kind::Number,
                        Operand::Input(s),
                        Operand::Const(k),
                    ) = (ka, kx, kk, x, k)
                    {
                        let d = self.in_reg(acc)?;
                        self.emit(FastOp::compare(cmp, d, CmpForm::AndIK(s, k)));
                        return Some((d, Kind::Bool));
                    }
                    return None;
                }
            }
        }
        let (a, ka) = self.operand(l)?;
        let (b, kb) = self.operand(r)?;
        let operand_kind = if kind == Kind::Bool {
            Kind::Bool
        } else {
            Kind::Number
        };
        if ka != operand_kind || kb != operand_kind {
            return None;
        }
        let d = self.arith(arith, a, b)?;
        if arith == Arith::Mul && always_int(l, r) {
            self.emit(FastOp::Unary {
                f: Unary::IntZero,
                d,
                a: d,
            });
        }
        Some((d, kind))
    }

    pub(super) fn arith(&mut self, op: Arith, a: Operand, b: Operand) -> Option<u8> {
        Some(match (a, b) {
            (Operand::Input(s), Operand::Input(t)) => {
                let d = self.alloc()?;
                self.emit(FastOp::arith(op, d, Form::II(s, t)));
                d
            }
            (Operand::Input(s), Operand::Const(k)) => {
                let d = self.alloc()?;
                self.emit(FastOp::arith(op, d, Form::IK(s, k)));
                d
            }
            (Operand::Const(k), Operand::Input(s)) => {
                let d = self.alloc()?;
                self.emit(FastOp::arith(op, d, Form::KI(k, s)));
                d
            }
            (Operand::Const(k), b) => {
                let a = self.in_reg(b)?;
                self.emit(FastOp::arith(op, a, Form::KR(k, a)));
                a
            }
            (a, Operand::Const(k)) => {
                let a = self.in_reg(a)?;
                self.emit(FastOp::arith(op, a, Form::RK(a, k)));
                a
            }
            (a, b) => {
                let a = self.in_reg(a)?;
                let b = self.in_reg(b)?;
                let d = a.min(b);
                self.emit(FastOp::arith(op, d, Form::RR(a, b)));
                // Both were temporaries on top of the register stack: the higher one is free.
                self.next = d + 1;
                d
            }
        })
    }

    pub(super) fn compare(&mut self, cmp: Cmp, a: Operand, b: Operand) -> Option<u8> {
        Some(match (a, b) {
            (Operand::Input(s), Operand::Const(k)) => {
                let d = self.alloc()?;
                self.emit(FastOp::compare(cmp, d, CmpForm::IK(s, k)));
                d
            }
            (Operand::Const(k), Operand::Input(s)) => {
                let d = self.alloc()?;
                self.emit(FastOp::compare(cmp.flipped(), d, CmpForm::IK(s, k)));
                d
            }
            (a, Operand::Const(k)) => {
                let a = self.in_reg(a)?;
                self.emit(FastOp::compare(cmp, a, CmpForm::RK(a, k)));
                a
            }
            (Operand::Const(k), b) => {
                let a = self.in_reg(b)?;
                self.emit(FastOp::compare(cmp.flipped(), a, CmpForm::RK(a, k)));
                a
            }
            (a, b) => {
                let a = self.in_reg(a)?;
                let b = self.in_reg(b)?;
                let d = a.min(b);
                self.emit(FastOp::compare(cmp, d, CmpForm::RR(a, b)));
                self.next = d + 1;
                d
            }
        })
    }

    pub(super) fn cond(&mut self, c: &Node, a: &Node, b: &Node) -> Option<(u8, Kind)> {
        let (cond, kc) = self.operand(c)?;
        if kc != Kind::Bool {
            return None;
        }
        let one_zero = |n: &Node, want: f64| match n.kind {
            NodeKind::Const(Value::Int(i)) => i as f64 == want,
            NodeKind::Const(Value::Float(f)) => f.to_bits() == want.to_bits(),
            _ => false,
        };
        // `c ? 1 : 0` is the condition itself; `c ? 0 : 1` its negation.
        if one_zero(a, 1.0) && one_zero(b, 0.0) {
            return Some((self.in_reg(cond)?, Kind::Number));
        }
        if one_zero(a, 0.0) && one_zero(b, 1.0) {
            let r = self.in_reg(cond)?;
            self.emit(FastOp::Unary {
                f: Unary::Not,
                d: r,
                a: r,
            });
            return Some((r, Kind::Number));
        }
        let c = self.in_reg(cond)?;
        let (x, kx) = self.operand(a)?;
        let (y, ky) = self.operand(b)?;
        if kx != ky {
            return None;
        }
        match (x, y) {
            (Operand::Input(s), Operand::Const(k)) => {
                self.emit(FastOp::SelInK { d: c, c, s, k });
            }
            (x, Operand::Const(k)) => {
                let a = self.in_reg(x)?;
                self.emit(FastOp::SelK { d: c, c, a, k });
            }
            (Operand::Const(k), y) => {
                let b = self.in_reg(y)?;
                self.emit(FastOp::KSel { d: c, c, k, b });
            }
            (x, y) => {
                let a = self.in_reg(x)?;
                let b = self.in_reg(y)?;
                self.emit(FastOp::Sel { d: c, c, a, b });
            }
        }
        self.next = c + 1;
        Some((c, kx))
    }

    pub(super) fn call(&mut self, builtin: Builtin, args: &[Node]) -> Option<(u8, Kind)> {
        let unary = match builtin {
            Builtin::Abs if exact_int(int_range(args.first()?)) => Some(Unary::Abs),
            Builtin::Floor => Some(Unary::Floor),
            Builtin::Ceil => Some(Unary::Ceil),
            Builtin::Round => Some(Unary::Round),
            Builtin::Int => Some(Unary::Int),
            Builtin::Float => None,
            Builtin::Max | Builtin::Min => {
                let op = if builtin == Builtin::Max {
                    Arith::Max
                } else {
                    Arith::Min
                };
                let (first, rest) = args.split_first()?;
                let (x, kind) = self.operand(first)?;
                if kind != Kind::Number || first.ty.is_array() {
                    return None;
                }
                let mut acc = self.in_reg(x)?;
                for arg in rest {
                    let (y, ky) = self.operand(arg)?;
                    if ky != Kind::Number || arg.ty.is_array() {
                        return None;
                    }
                    acc = self.arith(op, Operand::Reg(acc), y)?;
                }
                return Some((acc, Kind::Number));
            }
            _ => return None,
        };
        let [arg] = args else { return None };
        let (x, kind) = self.operand(arg)?;
        if kind != Kind::Number {
            return None;
        }
        let a = self.in_reg(x)?;
        if let Some(f) = unary {
            self.emit(FastOp::Unary { f, d: a, a });
        }
        Some((a, Kind::Number))
    }

    /// `count`, `any` and `all` over an array literal, unrolled: the body once per element.
    pub(super) fn unrolled(
        &mut self,
        kind: Predicate,
        array: &Node,
        body: &Node,
        level: u32,
    ) -> Option<(u8, Kind)> {
        let (op, result) = match kind {
            Predicate::Count => (Arith::Add, Kind::Number),
            Predicate::Any => (Arith::Or, Kind::Bool),
            Predicate::All => (Arith::And, Kind::Bool),
            _ => return None,
        };
        let elements: Vec<(Operand, Kind)> = match &array.kind {
            NodeKind::Array(items) if items.len() <= 16 => items
                .iter()
                .map(|item| self.operand(item))
                .collect::<Option<_>>()?,
            NodeKind::Const(Value::Array(items)) if items.len() <= 16 => {
                let mut out = Vec::new();
                for item in items.iter() {
                    let f = match *item {
                        Value::Float(f) => f,
                        Value::Int(i) if i.unsigned_abs() <= 1 << 53 => i as f64,
                        _ => return None,
                    };
                    out.push((Operand::Const(self.constant(f)?), Kind::Number));
                }
                out
            }
            _ => return None,
        };
        let empty = match kind {
            Predicate::All => 1.0,
            _ => 0.0,
        };
        let mut acc: Option<u8> = None;
        for (element, ek) in elements {
            let element = match element {
                Operand::Reg(r) => Operand::Borrowed(r),
                other => other,
            };
            let saved = self.element.replace((element, ek, level));
            let value = self.operand(body);
            self.element = saved;
            let (v, kv) = value?;
            if kv != Kind::Bool {
                return None;
            }
            acc = Some(match acc {
                None => self.in_reg(v)?,
                Some(acc) => self.arith(op, Operand::Reg(acc), v)?,
            });
        }
        let r = match acc {
            Some(r) => r,
            None => {
                let k = self.constant(empty)?;
                self.in_reg(Operand::Const(k))?
            }
        };
        Some((r, result))
    }
}
