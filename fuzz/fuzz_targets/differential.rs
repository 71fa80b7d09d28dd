//! Differential fuzzing of the three evaluators: a structured, well-typed-ish formula (from
//! `arbitrary`) is rendered to fully parenthesised source, then
//!
//! - compiled with constant folding on and evaluated by the VM,
//! - compiled with constant folding off and evaluated by the VM,
//! - interpreted by `reference::interpret` (the checked tree, no folding, no bytecode),
//!
//! and the three results must agree: equal values (floats bit for bit, NaN equal to NaN), or
//! all errors with the same message (a leading `runtime error: ` stripped). The one allowed
//! difference is expr's: folding reports `%` by a constant zero at compile time
//! (`integer divide by zero`), wherever it is, even in a branch that is never taken.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use scalemod::{reference, Cast, CompileOptions, Formula, InputType, Inputs, Schema, Value};
use std::fmt::Write;
use std::sync::OnceLock;

const MAX_DEPTH: usize = 8;
const MAX_ITEMS: usize = 4;

#[derive(Arbitrary, Debug)]
enum Input {
    A,
    B,
    N,
}

#[derive(Arbitrary, Debug)]
enum IntLit {
    Small(u8),
    Any(i64),
    Max,
}

#[derive(Arbitrary, Debug)]
enum FloatLit {
    Zero,
    Half,
    OneHalf,
    Big,
    Tiny,
    Any(f64),
}

#[derive(Arbitrary, Debug)]
enum UnOp {
    Neg,
    Not,
}

#[derive(Arbitrary, Debug)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Coalesce,
}

impl BinOp {
    fn text(&self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::Coalesce => "??",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Fn1 {
    Abs,
    Floor,
    Ceil,
    Round,
    Int,
    Float,
}

impl Fn1 {
    fn name(&self) -> &'static str {
        match self {
            Fn1::Abs => "abs",
            Fn1::Floor => "floor",
            Fn1::Ceil => "ceil",
            Fn1::Round => "round",
            Fn1::Int => "int",
            Fn1::Float => "float",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Pred {
    Count,
    Any,
    All,
    None,
    One,
    Filter,
    Map,
    Sum,
    Find,
    FindIndex,
    Reduce,
}

impl Pred {
    fn name(&self) -> &'static str {
        match self {
            Pred::Count => "count",
            Pred::Any => "any",
            Pred::All => "all",
            Pred::None => "none",
            Pred::One => "one",
            Pred::Filter => "filter",
            Pred::Map => "map",
            Pred::Sum => "sum",
            Pred::Find => "find",
            Pred::FindIndex => "findIndex",
            Pred::Reduce => "reduce",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Pointer {
    Elem,
    Index,
    Acc,
}

/// Leaves first: when the data runs out, `arbitrary` picks the first variant.
#[derive(Arbitrary, Debug)]
enum Expr {
    Int(IntLit),
    Float(FloatLit),
    Bool(bool),
    Nil,
    Input(Input),
    /// A `let` variable in scope (the input `a` when there is none).
    Var(u8),
    /// `#`, `#index`, `#acc` inside a predicate (the input `n` outside one).
    Pointer(Pointer),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `let v = value; body`; `shadow` redeclares the first variable (a name error).
    Let {
        shadow: bool,
        value: Box<Expr>,
        body: Box<Expr>,
    },
    Call(Fn1, Box<Expr>),
    MaxMin(bool, Vec<Expr>),
    Array(Vec<Expr>),
    Predicate(Pred, Box<Expr>, Box<Expr>, Option<Box<Expr>>),
}

#[derive(Arbitrary, Debug)]
enum FloatVal {
    OneHalf,
    Nil,
    Zero,
    NegZero,
    NaN,
    Inf,
    NegInf,
    Max,
    Any(f64),
}

impl FloatVal {
    fn value(&self) -> Value {
        match *self {
            FloatVal::OneHalf => Value::Float(1.5),
            FloatVal::Nil => Value::Nil,
            FloatVal::Zero => Value::Float(0.0),
            FloatVal::NegZero => Value::Float(-0.0),
            FloatVal::NaN => Value::Float(f64::NAN),
            FloatVal::Inf => Value::Float(f64::INFINITY),
            FloatVal::NegInf => Value::Float(f64::NEG_INFINITY),
            FloatVal::Max => Value::Float(f64::MAX),
            FloatVal::Any(f) => Value::Float(f),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum IntVal {
    Three,
    Nil,
    Zero,
    Min,
    Max,
    Small(i8),
    Any(i64),
}

impl IntVal {
    fn value(&self) -> Value {
        match *self {
            IntVal::Three => Value::Int(3),
            IntVal::Nil => Value::Nil,
            IntVal::Zero => Value::Int(0),
            IntVal::Min => Value::Int(i64::MIN),
            IntVal::Max => Value::Int(i64::MAX),
            IntVal::Small(i) => Value::Int(i as i64),
            IntVal::Any(i) => Value::Int(i),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Case {
    // The inputs first: `arbitrary` fills fields in order, and the expression takes the rest.
    a: FloatVal,
    b: FloatVal,
    n: IntVal,
    cast: u8,
    expr: Expr,
}

struct Render {
    out: String,
    /// `let` variables in scope.
    scope: usize,
    /// Enclosing predicates; whether the innermost is a `reduce`.
    preds: Vec<bool>,
}

fn float_text(f: f64) -> String {
    let f = if f.is_finite() { f.abs() } else { 1.0 };
    // Debug prints the shortest round-trip digits and always a `.` or an exponent.
    format!("{f:?}")
}

impl Render {
    fn expr(&mut self, e: &Expr, depth: usize) {
        if depth >= MAX_DEPTH {
            // Too deep: a leaf stands in for the subtree.
            match e {
                Expr::Int(_)
                | Expr::Float(_)
                | Expr::Bool(_)
                | Expr::Nil
                | Expr::Input(_)
                | Expr::Var(_)
                | Expr::Pointer(_) => {}
                _ => return self.out.push('a'),
            }
        }
        let d = depth + 1;
        match e {
            Expr::Int(i) => {
                let v: u64 = match *i {
                    IntLit::Small(s) => s as u64,
                    IntLit::Any(v) => v.unsigned_abs().min(i64::MAX as u64),
                    IntLit::Max => i64::MAX as u64,
                };
                let _ = write!(self.out, "{v}");
            }
            Expr::Float(f) => {
                let text = match *f {
                    FloatLit::Zero => "0.0".to_string(),
                    FloatLit::Half => "0.5".to_string(),
                    FloatLit::OneHalf => "1.5".to_string(),
                    FloatLit::Big => "1e308".to_string(),
                    FloatLit::Tiny => "5e-324".to_string(),
                    FloatLit::Any(f) => float_text(f),
                };
                self.out.push_str(&text);
            }
            Expr::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Expr::Nil => self.out.push_str("nil"),
            Expr::Input(i) => self.out.push_str(match i {
                Input::A => "a",
                Input::B => "b",
                Input::N => "n",
            }),
            Expr::Var(v) => {
                if self.scope == 0 {
                    self.out.push('a');
                } else {
                    let _ = write!(self.out, "v{}", *v as usize % self.scope);
                }
            }
            Expr::Pointer(p) => match (self.preds.last(), p) {
                (None, _) => self.out.push('n'),
                (Some(_), Pointer::Elem) => self.out.push('#'),
                (Some(_), Pointer::Index) => self.out.push_str("#index"),
                (Some(true), Pointer::Acc) => self.out.push_str("#acc"),
                (Some(false), Pointer::Acc) => self.out.push('#'),
            },
            Expr::Unary(op, x) => {
                self.out.push_str(match op {
                    UnOp::Neg => "(-",
                    UnOp::Not => "(!",
                });
                self.expr(x, d);
                self.out.push(')');
            }
            Expr::Binary(op, l, r) => {
                self.out.push('(');
                self.expr(l, d);
                let _ = write!(self.out, " {} ", op.text());
                self.expr(r, d);
                self.out.push(')');
            }
            Expr::Ternary(c, a, b) => {
                self.out.push('(');
                self.expr(c, d);
                self.out.push_str(" ? ");
                self.expr(a, d);
                self.out.push_str(" : ");
                self.expr(b, d);
                self.out.push(')');
            }
            Expr::Let {
                shadow,
                value,
                body,
            } => {
                let name = if *shadow && self.scope > 0 {
                    0
                } else {
                    self.scope
                };
                let _ = write!(self.out, "(let v{name} = ");
                self.expr(value, d);
                self.out.push_str("; ");
                let saved = self.scope;
                self.scope = self.scope.max(name + 1);
                self.expr(body, d);
                self.scope = saved;
                self.out.push(')');
            }
            Expr::Call(f, x) => {
                let _ = write!(self.out, "{}(", f.name());
                self.expr(x, d);
                self.out.push(')');
            }
            Expr::MaxMin(is_max, args) => {
                self.out.push_str(if *is_max { "max(" } else { "min(" });
                if args.is_empty() {
                    self.out.push('a');
                }
                for (i, x) in args.iter().take(MAX_ITEMS).enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(x, d);
                }
                self.out.push(')');
            }
            Expr::Array(items) => {
                self.out.push('[');
                for (i, x) in items.iter().take(MAX_ITEMS).enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(x, d);
                }
                self.out.push(']');
            }
            Expr::Predicate(p, xs, body, init) => {
                let _ = write!(self.out, "{}(", p.name());
                self.expr(xs, d);
                self.out.push_str(", ");
                self.preds.push(matches!(p, Pred::Reduce));
                self.expr(body, d);
                self.preds.pop();
                if let (Pred::Reduce, Some(init)) = (p, init) {
                    self.out.push_str(", ");
                    self.expr(init, d);
                }
                self.out.push(')');
            }
        }
    }
}

/// `SCALEMOD_FUZZ_VERBOSE=1` prints every rendered formula and its reference result (to see
/// what the generator produces, or to read a reproducer: `cargo fuzz run differential <file>`).
fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("SCALEMOD_FUZZ_VERBOSE").is_some())
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::new()
            .with("a", InputType::Float)
            .with("b", InputType::Float)
            .with("n", InputType::Int)
    })
}

/// Equality for the differential: floats bit for bit, except that every NaN equals every NaN.
fn same(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Int(a), Value::Int(b)) => a == b,
        (Value::Float(a), Value::Float(b)) => (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| same(x, y))
        }
        _ => false,
    }
}

fn norm(message: &str) -> &str {
    message.strip_prefix("runtime error: ").unwrap_or(message)
}

type Outcome = Result<Value, String>;

fn outcome(r: scalemod::Result<Value>) -> Outcome {
    r.map_err(|e| norm(e.message()).to_string())
}

fn agree(x: &Outcome, y: &Outcome) -> bool {
    match (x, y) {
        (Ok(a), Ok(b)) => same(a, b),
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

fuzz_target!(|case: Case| {
    let mut r = Render {
        out: String::new(),
        scope: 0,
        preds: Vec::new(),
    };
    r.expr(&case.expr, 0);
    let source = r.out;

    let schema = schema();
    let mut inputs = Inputs::new(schema);
    inputs.set(schema.slot("a").unwrap(), case.a.value());
    inputs.set(schema.slot("b").unwrap(), case.b.value());
    inputs.set(schema.slot("n").unwrap(), case.n.value());

    let cast = match case.cast % 16 {
        1 => Some(Cast::Int),
        2 => Some(Cast::Int64),
        3 => Some(Cast::Float64),
        4 => Some(Cast::Bool),
        _ => None,
    };
    let on = CompileOptions {
        cast,
        ..CompileOptions::default()
    };
    let off = CompileOptions {
        fold: false,
        ..on.clone()
    };

    let compiled_on = Formula::compile_with_options(&source, schema, &on);
    let compiled_off = Formula::compile_with_options(&source, schema, &off);
    let reference = outcome(reference::interpret(&source, schema, &off, &inputs));

    if verbose() {
        eprintln!("{source}  [a={:?} b={:?} n={:?} cast={cast:?}] => {reference:?}", case.a.value(), case.b.value(), case.n.value());
    }

    let vm_off = match &compiled_off {
        Ok(f) => outcome(f.eval(&inputs)),
        Err(e) => Err(norm(e.message()).to_string()),
    };
    assert!(
        agree(&vm_off, &reference),
        "VM (fold off) and reference interpreter disagree\n  source: {source}\n  inputs: {inputs:?}\n  cast: {cast:?}\n  vm (fold off): {vm_off:?}\n  reference: {reference:?}\n  compile (fold off): {:?}",
        compiled_off.as_ref().err().map(|e| e.message())
    );

    match &compiled_on {
        Err(e) if e.message() == "integer divide by zero" && compiled_off.is_ok() => {
            // expr's folder reports `%` by a constant zero at compile time, even in code that
            // is never run; without folding it is a runtime error or never happens.
        }
        Err(e) => {
            let off_msg = compiled_off.as_ref().err().map(|e| e.message().to_string());
            assert!(
                off_msg.as_deref() == Some(e.message()),
                "compile error with folding only, or a different one\n  source: {source}\n  cast: {cast:?}\n  fold on: {:?}\n  fold off: {off_msg:?}",
                e.message()
            );
        }
        Ok(f) => {
            assert!(
                compiled_off.is_ok(),
                "compile error without folding only\n  source: {source}\n  cast: {cast:?}\n  fold off: {:?}",
                compiled_off.as_ref().err().map(|e| e.message())
            );
            let vm_on = outcome(f.eval(&inputs));
            assert!(
                agree(&vm_on, &reference),
                "VM (fold on) and reference interpreter disagree\n  source: {source}\n  inputs: {inputs:?}\n  cast: {cast:?}\n  vm (fold on): {vm_on:?}\n  vm (fold off): {vm_off:?}\n  reference: {reference:?}\n  disassembly (fold on):\n{}",
                f.disassemble()
            );
            // The fast path's register loop (chains off) agrees with its chain of steps.
            let registers = CompileOptions {
                chains: false,
                ..on.clone()
            };
            if let Ok(g) = Formula::compile_with_options(&source, schema, &registers) {
                let (x, y) = (f.eval_f64(&inputs), g.eval_f64(&inputs));
                let same = match (&x, &y) {
                    (Ok(x), Ok(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    (Err(x), Err(y)) => x.message() == y.message(),
                    _ => false,
                };
                assert!(same, "chain and register loop disagree\n  source: {source}\n  chain: {x:?}\n  registers: {y:?}");
            }
        }
    }
});
