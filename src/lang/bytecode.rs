//! The bytecode: a compact instruction type, a constant pool, spans in a side table, and the
//! disassembler.

use crate::lang::ast::{BinaryOp, Span};
use crate::lang::builtin::{Builtin, Predicate};
use crate::lang::check::Cast;
use crate::lang::value::Value;
use std::fmt::Write as _;

/// One instruction of the stack machine. `Copy`, 8 bytes (pinned by a test); operands are
/// indexes into the program's tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Push `constants[i]`.
    Const(u32),
    /// Push the input in slot `i`.
    Input(u32),
    /// Push the `let` local `i`.
    Local(u32),
    /// Pop into the `let` local `i`.
    SetLocal(u32),
    /// Push `#` of predicate level `i`.
    Element(u32),
    /// Push `#index` of predicate level `i`.
    Index(u32),
    /// Push `#acc` of predicate level `i`.
    Acc(u32),
    /// Drop the top of the stack.
    Pop,
    /// Negate the top.
    Neg,
    /// Unary plus on the top (checks it is a number).
    Plus,
    /// Logical not of the top.
    Not,
    /// Pop `b`, pop `a`, push `a op b` (a strict operator: not `&&`, `||`, `??`).
    Binary(BinaryOp),
    /// Pop `i`, pop `a`, push `a[i]`.
    Fetch,
    /// Pop `n` values, push them as an array.
    Array(u32),
    /// Pop the arguments of a builtin, push its result.
    Call(Builtin, u8),
    /// If the top is false (it must be a bool), jump to `target`, keeping it; else pop it.
    AndJump(u32),
    /// If the top is true (it must be a bool), jump to `target`, keeping it; else pop it.
    OrJump(u32),
    /// If the top is not nil, jump to `target`, keeping it; else pop it.
    CoalesceJump(u32),
    /// Pop a bool; if false, jump to `target`.
    BranchFalse(u32),
    /// Jump to `target`.
    Jump(u32),
    /// Run predicate `i` of the predicate table, whose body follows this instruction; pops the
    /// array (and `reduce`'s initial value), pushes the result, continues after the body.
    Predicate(u32),
    /// Apply a result cast to the top.
    Cast(Cast),
}

/// A predicate builtin as the VM runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PredicateInfo {
    /// Which builtin.
    pub kind: Predicate,
    /// Its body's instructions: `start..end` (empty for `count(xs)` and `sum(xs)`).
    pub body: (u32, u32),
    /// Whether an initial value was pushed (`reduce(xs, f, init)`).
    pub has_init: bool,
    /// The nesting level its `#` binds.
    pub level: u32,
}

/// A compiled program: instructions, constants, spans and predicate table.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The instructions.
    pub code: Vec<Op>,
    /// The constant pool (deduplicated).
    pub constants: Vec<Value>,
    /// The span of each instruction's source, for runtime errors (a side table, read only
    /// when an error happens).
    pub spans: Vec<Span>,
    /// The predicates' bodies and kinds.
    pub predicates: Vec<PredicateInfo>,
    /// How many `let` locals the program uses.
    pub locals: u32,
    /// How deeply its predicates nest.
    pub levels: u32,
}

impl Program {
    /// The bytes this program holds: instructions, constants (arrays shallowly), spans and
    /// predicate table.
    pub fn heap_size(&self) -> usize {
        use std::mem::size_of;
        self.code.len() * size_of::<Op>()
            + self.constants.len() * size_of::<Value>()
            + self
                .constants
                .iter()
                .map(|c| match c {
                    Value::Array(items) => items.len() * size_of::<Value>(),
                    _ => 0,
                })
                .sum::<usize>()
            + self.spans.len() * size_of::<Span>()
            + self.predicates.len() * size_of::<PredicateInfo>()
    }

    /// A listing of the program, one instruction a line:
    ///
    /// ```text
    /// 0000  Input      0        ; a
    /// 0001  Const      0        ; 1
    /// 0002  Binary     +
    /// ```
    pub fn disassemble(&self, input_name: &dyn Fn(u32) -> Option<String>) -> String {
        let mut out = String::new();
        for (pc, op) in self.code.iter().enumerate() {
            let (name, operand, note): (&str, String, String) = match *op {
                Op::Const(i) => (
                    "Const",
                    i.to_string(),
                    self.constants
                        .get(i as usize)
                        .map_or(String::new(), |c| c.to_string()),
                ),
                Op::Input(i) => ("Input", i.to_string(), input_name(i).unwrap_or_default()),
                Op::Local(i) => ("Local", i.to_string(), String::new()),
                Op::SetLocal(i) => ("SetLocal", i.to_string(), String::new()),
                Op::Element(i) => ("Element", i.to_string(), "#".into()),
                Op::Index(i) => ("Index", i.to_string(), "#index".into()),
                Op::Acc(i) => ("Acc", i.to_string(), "#acc".into()),
                Op::Pop => ("Pop", String::new(), String::new()),
                Op::Neg => ("Neg", String::new(), String::new()),
                Op::Plus => ("Plus", String::new(), String::new()),
                Op::Not => ("Not", String::new(), String::new()),
                Op::Binary(b) => ("Binary", binary_symbol(b).into(), String::new()),
                Op::Fetch => ("Fetch", String::new(), String::new()),
                Op::Array(n) => ("Array", n.to_string(), String::new()),
                Op::Call(b, n) => ("Call", format!("{} {n}", b.name()), String::new()),
                Op::AndJump(t) => ("AndJump", format!("{t:04}"), String::new()),
                Op::OrJump(t) => ("OrJump", format!("{t:04}"), String::new()),
                Op::CoalesceJump(t) => ("CoalesceJump", format!("{t:04}"), String::new()),
                Op::BranchFalse(t) => ("BranchFalse", format!("{t:04}"), String::new()),
                Op::Jump(t) => ("Jump", format!("{t:04}"), String::new()),
                Op::Predicate(i) => {
                    let p = self.predicates.get(i as usize);
                    (
                        "Predicate",
                        i.to_string(),
                        p.map_or(String::new(), |p| {
                            format!("{} body {:04}..{:04}", p.kind.name(), p.body.0, p.body.1)
                        }),
                    )
                }
                Op::Cast(c) => ("Cast", format!("{c:?}"), String::new()),
            };
            let line = if note.is_empty() {
                format!("{pc:04}  {name:<12} {operand}")
            } else {
                format!("{pc:04}  {name:<12} {operand:<8} ; {note}")
            };
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

/// The symbol of a binary operator.
pub(crate) fn binary_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Pow => "**",
        BinaryOp::Eq => "==",
        BinaryOp::Ne => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::Gt => ">",
        BinaryOp::Le => "<=",
        BinaryOp::Ge => ">=",
        BinaryOp::In => "in",
        BinaryOp::Range => "..",
        BinaryOp::And => "&&",
        BinaryOp::Or => "||",
        BinaryOp::Coalesce => "??",
    }
}
