//! Evaluation and compilation speed, each figure beside a baseline run in the same process
//! (the ratio is what to quote): a hand-written Rust function for evaluation, a minimal pest
//! parser for compilation.
//!
//! - `seed`: the three seed formulas of SPEC over a table of 1,024 input sets; every
//!   evaluation sets the six inputs by slot (`Inputs::set_f64s`) and writes its result to an
//!   output buffer (throughput, as in a tick). The check before timing sets them one by one
//!   with `Inputs::set_f64`.
//! - `tick`: one `Inputs` of 1,000 metrics shared by 1,000,000 seed-shaped formulas.
//! - `compile`: parse + check + fold + codegen of each seed formula, beside `pest_floor`
//!   (parse + Pratt + tree of a minimal pest grammar for just these formulas, a floor for
//!   any pest-based compiler of them in this build; see [`pest_floor`]).
//!
//! `seed` and `compile` also time peer engines (dev-dependencies only), each with the seed
//! formulas written in its own language, compiled once, and driven through its ordinary
//! public API; in `seed` every evaluation sets the six inputs that engine's way, evaluates,
//! and writes an `f64` to the output buffer, like `scalemod`:
//!
//! - `fasteval` (0.2.4, feature `unsafe-vars`, its fastest mode): an algebraic-expression
//!   compiler. The six inputs are `add_unsafe_var` pointers to six boxed `f64` cells that
//!   each row writes; the compiled `Instruction` is evaluated with an `EmptyNamespace`.
//!   Its compile is `parse` + `compile` into a cleared, reused `Slab`.
//! - `rhai` (1.x): an embedded scripting language. `Engine::new_raw()`, one
//!   `compile_expression` per formula, a `Scope` with the six variables pushed once and
//!   `set_value` per row, then `eval_ast_with_scope::<f64>`.
//! - `cel` (cel-rust): Common Expression Language. `Program::compile`, one `Context` whose
//!   six variables are re-added per row (`add_variable_from_value`, as `Value::Float`),
//!   then `program.execute(&context)`.
//! - `expr-lang` (the crate `expr`, a Rust port of expr-lang/expr, the same language as
//!   scalemod): `expr::compile` once, one `Context` with the six values re-inserted per row
//!   (as `f64`), then `Environment::run`.
//!
//! A peer's result is converted to `f64` where it returns an integer (`? 1 : 0`).
//!
//! `cargo bench --bench eval` (add `-- seed` for one group); `python3 benches/medians.py`
//! for medians of several runs. Results are checked against the baseline, on every row,
//! before anything is timed.

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use scalemod::{Formula, FormulaSet, Inputs, Schema, Slot};
use std::hint::black_box;

const METRICS: [&str; 6] = [
    "validation_drift",
    "available_gpus",
    "request_queue_length",
    "tokens_per_min",
    "pod_count",
    "request_rate",
];

const F1: &str =
    "validation_drift > 0.1 && available_gpus >= 2 && request_queue_length < 1000 ? 1 : 0";
const F2: &str = "1 / (tokens_per_min / pod_count)";
const F3: &str = "tokens_per_min >= 5000 ? request_rate : 0";

/// A hand-written formula over the six metrics.
type Native = fn(&[f64; 6]) -> f64;

#[inline(never)]
fn f1(m: &[f64; 6]) -> f64 {
    if m[0] > 0.1 && m[1] >= 2.0 && m[2] < 1000.0 {
        1.0
    } else {
        0.0
    }
}

#[inline(never)]
fn f2(m: &[f64; 6]) -> f64 {
    1.0 / (m[3] / m[4])
}

#[inline(never)]
fn f3(m: &[f64; 6]) -> f64 {
    if m[3] >= 5000.0 {
        m[5]
    } else {
        0.0
    }
}

/// A small deterministic generator (xorshift), so every run times the same table.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, max: f64) -> f64 {
        (self.next() * max * 1000.0).round() / 1000.0
    }
}

/// 1,024 input sets in realistic ranges, about half of them passing each guard.
fn table() -> Vec<[f64; 6]> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..1024)
        .map(|_| {
            [
                rng.below(0.2),
                rng.below(4.0).floor(),
                rng.below(2000.0),
                rng.below(10_000.0),
                1.0 + rng.below(9.0).floor(),
                rng.below(200.0),
            ]
        })
        .collect()
}

/// How far apart two results are, in units in the last place (0 = the same bits; only
/// meaningful for results of the same sign, which is all the table yields).
fn ulps_apart(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64).abs_diff(b.to_bits() as i64)
}

// ---------------------------------------------------------------------------------------
// Peer engines: one section each. A peer compiles one seed formula up front; `Peer::eval`
// (what `seed` times) sets the six inputs and evaluates.

/// One seed formula compiled by a peer engine, ready to evaluate row after row.
trait Peer {
    /// Sets the six inputs (in `METRICS` order) to `row` and evaluates the formula.
    fn eval(&mut self, row: &[f64; 6]) -> f64;
}

/// fasteval, with Unsafe Variables.
mod fasteval_peer {
    use super::METRICS;
    use fasteval::{Compiler, EmptyNamespace, Evaler, Instruction, Parser, Slab};
    use std::cell::Cell;

    /// F1, F2, F3 in fasteval's syntax. fasteval has no `? :`, but its comparisons yield 1
    /// or 0, and `a && b` yields `a` when `a` is 0 and `b` otherwise. So F1 is the bare
    /// conjunction (1 or 0) and F3 is `cond && request_rate` (`request_rate` or 0): both are
    /// exactly equivalent to the `? :` forms for every input, NaN and infinities included,
    /// unlike the `(cond) * request_rate` form.
    pub const SOURCES: [&str; 3] = [
        "validation_drift > 0.1 && available_gpus >= 2 && request_queue_length < 1000",
        "1 / (tokens_per_min / pod_count)",
        "tokens_per_min >= 5000 && request_rate",
    ];

    /// How far from the baseline each formula may be, in ulps. fasteval's compiler rewrites
    /// `a / b` as `a * (1/b)`, so F2 comes out as `1 / (tokens_per_min * (1/pod_count))`,
    /// one rounding more than the baseline's `1 / (tokens_per_min / pod_count)`; no
    /// spelling of F2 in fasteval compiles to the baseline's two divisions.
    pub const ULPS: [u64; 3] = [0, 2, 0];

    /// The six input cells. They are boxed so that their addresses never change, and `Cell`s
    /// because they are written while fasteval holds pointers to them.
    pub type Cells = Box<[Cell<f64>; 6]>;

    pub fn cells() -> Cells {
        Box::default()
    }

    /// A slab with the six cells registered as unsafe variables, as fasteval requires before
    /// any `parse`. Whatever is compiled into it must not outlive `cells`.
    pub fn slab(cells: &Cells) -> Slab {
        let mut slab = Slab::new();
        for (name, cell) in METRICS.iter().zip(cells.iter()) {
            // SAFETY: `cell.as_ptr()` points into a live allocation; fasteval keeps the
            // pointer and reads it when evaluating, and every caller keeps `cells` (never
            // moved out of its box) alive as long as the slab and its compiled
            // instructions, and only writes the cells between evaluations (one thread).
            unsafe { slab.ps.add_unsafe_var(name.to_string(), &*cell.as_ptr()) };
        }
        slab
    }

    /// Parses and compiles `source` into `slab`, cleared first (its variables stay).
    pub fn compile(slab: &mut Slab, source: &str) -> Instruction {
        slab.clear();
        Parser::new()
            .parse(source, &mut slab.ps)
            .unwrap()
            .from(&slab.ps)
            .compile(&slab.ps, &mut slab.cs)
    }

    pub struct FastEval {
        cells: Cells,
        slab: Slab,
        instruction: Instruction,
    }

    impl FastEval {
        pub fn new(source: &str) -> Self {
            let cells = cells();
            let mut slab = slab(&cells);
            let instruction = compile(&mut slab, source);
            FastEval {
                cells,
                slab,
                instruction,
            }
        }
    }

    impl super::Peer for FastEval {
        fn eval(&mut self, row: &[f64; 6]) -> f64 {
            for (cell, v) in self.cells.iter().zip(row) {
                cell.set(*v);
            }
            // Not `fasteval::eval_compiled!`: its short cut (a bare constant or variable)
            // never applies here, and it tests the `unsafe-vars` cfg in the calling crate.
            self.instruction
                .eval(&self.slab, &mut EmptyNamespace)
                .unwrap_or(f64::NAN)
        }
    }
}

/// Rhai, through a raw engine and a reused scope.
mod rhai_peer {
    use super::METRICS;
    use rhai::{Engine, Scope, AST};

    /// F1, F2, F3 in Rhai, which does not mix integers and floats: float literals, and
    /// `if … { … } else { … }` for `? :`.
    pub const SOURCES: [&str; 3] = [
        "if validation_drift > 0.1 && available_gpus >= 2.0 && request_queue_length < 1000.0 \
         { 1.0 } else { 0.0 }",
        "1.0 / (tokens_per_min / pod_count)",
        "if tokens_per_min >= 5000.0 { request_rate } else { 0.0 }",
    ];

    pub fn engine() -> Engine {
        Engine::new_raw()
    }

    pub struct Rhai {
        engine: Engine,
        ast: AST,
        scope: Scope<'static>,
    }

    impl Rhai {
        pub fn new(source: &str) -> Self {
            let engine = engine();
            let ast = engine.compile_expression(source).unwrap();
            let mut scope = Scope::new();
            for name in METRICS {
                scope.push(name, 0.0_f64);
            }
            Rhai { engine, ast, scope }
        }
    }

    impl super::Peer for Rhai {
        fn eval(&mut self, row: &[f64; 6]) -> f64 {
            for (name, v) in METRICS.iter().zip(row) {
                self.scope.set_value(*name, *v);
            }
            self.engine
                .eval_ast_with_scope::<f64>(&mut self.scope, &self.ast)
                .unwrap_or(f64::NAN)
        }
    }
}

/// cel-rust (crate `cel`), through a reused context.
mod cel_peer {
    use super::METRICS;
    use cel::{Context, Program, Value};

    /// F1, F2, F3 in CEL, with float literals (CEL keeps `int` and `double` apart).
    pub const SOURCES: [&str; 3] = [
        "validation_drift > 0.1 && available_gpus >= 2.0 && request_queue_length < 1000.0 \
         ? 1.0 : 0.0",
        "1.0 / (tokens_per_min / pod_count)",
        "tokens_per_min >= 5000.0 ? request_rate : 0.0",
    ];

    pub struct Cel {
        program: Program,
        context: Context<'static, 'static>,
    }

    impl Cel {
        pub fn new(source: &str) -> Self {
            Cel {
                program: Program::compile(source).unwrap(),
                context: Context::default(),
            }
        }
    }

    impl super::Peer for Cel {
        fn eval(&mut self, row: &[f64; 6]) -> f64 {
            for (name, v) in METRICS.iter().zip(row) {
                self.context
                    .add_variable_from_value(*name, Value::Float(*v));
            }
            match self.program.execute(&self.context) {
                Ok(Value::Float(f)) => f,
                Ok(Value::Int(i)) => i as f64,
                _ => f64::NAN,
            }
        }
    }
}

/// expr-lang (crate `expr`), through a reused context.
mod expr_lang_peer {
    use super::METRICS;
    use expr::{Context, Environment, Program, Value};

    /// The same language as scalemod: the seed formulas as they are.
    pub const SOURCES: [&str; 3] = [super::F1, super::F2, super::F3];

    pub struct ExprLang {
        environment: Environment<'static>,
        program: Program,
        context: Context,
    }

    impl ExprLang {
        pub fn new(source: &str) -> Self {
            ExprLang {
                environment: Environment::new(),
                program: expr::compile(source).unwrap(),
                context: Context::default(),
            }
        }
    }

    impl super::Peer for ExprLang {
        fn eval(&mut self, row: &[f64; 6]) -> f64 {
            for (name, v) in METRICS.iter().zip(row) {
                self.context.insert(*name, *v);
            }
            match self.environment.run(&self.program, &self.context) {
                Ok(Value::Float(f)) => f,
                Ok(Value::Integer(i)) => i as f64,
                _ => f64::NAN,
            }
        }
    }
}

/// `compile`'s baseline: a floor for any pest-based compiler of the seed formulas in this
/// build. A minimal pest grammar for just their shapes (ASCII names, `' '` as the only white
/// space, no comments, no keywords, no error positions to keep, every trick of
/// `grammar/formula.pest` for speed), folded by a Pratt parser into a tree whose names are
/// resolved to metric indices: what scalemod's parse phase does, without the language around
/// it. Checked, like the peers, by evaluating its tree on every row against the Rust fn.
mod pest_floor {
    use super::METRICS;
    use pest::iterators::Pairs;
    use pest::pratt_parser::{Assoc, Op, PrattParser};
    use pest::Parser as _;

    #[derive(pest_derive::Parser)]
    #[grammar_inline = r#"
formula = ${ SOI ~ " "* ~ expr ~ EOI }
expr    = ${ operand ~ (!(")" | ":" | EOI) ~ (cmp | and | add | mul | ternary | or) ~ " "* ~ operand)* }
operand = _{ (number | ident | "(" ~ " "* ~ expr ~ ")" | neg ~ operand) ~ " "* }
ternary = ${ "?" ~ " "* ~ expr ~ ":" }
cmp     = { ">=" | ">" | "<=" | "<" | "==" | "!=" }
and     = { "&&" }
or      = { "||" }
add     = { "+" | "-" }
mul     = { "*" | "/" }
neg     = { "-" }
number  = @{ ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT*)? }
ident   = @{ (ASCII_ALPHA | "_") ~ (ASCII_ALPHANUMERIC | "_")* }
"#]
    struct Grammar;

    /// The parsed formula.
    pub enum Tree {
        Number(f64),
        Metric(usize),
        Neg(Box<Tree>),
        Binary(&'static str, Box<Tree>, Box<Tree>),
        Cond(Box<Tree>, Box<Tree>, Box<Tree>),
    }

    pub fn pratt() -> PrattParser<Rule> {
        PrattParser::new()
            .op(Op::infix(Rule::ternary, Assoc::Right))
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::infix(Rule::cmp, Assoc::Left))
            .op(Op::infix(Rule::add, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left))
            .op(Op::prefix(Rule::neg))
    }

    /// Parse + Pratt + tree; `None` for anything outside the seed formulas' shapes.
    pub fn compile(source: &str, pratt: &PrattParser<Rule>) -> Option<Tree> {
        let formula = Grammar::parse(Rule::formula, source).ok()?.next()?;
        // `formula` holds the `expr`, then `EOI`.
        let expr = formula.into_inner().next()?;
        tree(expr.into_inner(), pratt)
    }

    fn tree(pairs: Pairs<'_, Rule>, pratt: &PrattParser<Rule>) -> Option<Tree> {
        pratt
            .map_primary(|p| match p.as_rule() {
                Rule::number => p.as_str().parse().ok().map(Tree::Number),
                Rule::ident => METRICS
                    .iter()
                    .position(|m| *m == p.as_str())
                    .map(Tree::Metric),
                _ => tree(p.into_inner(), pratt),
            })
            .map_prefix(|_, operand| Some(Tree::Neg(Box::new(operand?))))
            .map_infix(|l, op, r| {
                let (l, r) = (Box::new(l?), Box::new(r?));
                Some(match op.as_rule() {
                    Rule::ternary => {
                        let then = tree(op.into_inner().next()?.into_inner(), pratt)?;
                        Tree::Cond(l, Box::new(then), r)
                    }
                    _ => {
                        let symbol = [
                            "&&", "||", ">=", ">", "<=", "<", "==", "!=", "+", "-", "*", "/",
                        ]
                        .into_iter()
                        .find(|s| *s == op.as_str())?;
                        Tree::Binary(symbol, l, r)
                    }
                })
            })
            .parse(pairs)
    }

    /// The tree's value on one row (bools as 1.0 / 0.0), to check it before timing.
    pub fn eval(tree: &Tree, row: &[f64; 6]) -> f64 {
        let bool = |b: bool| if b { 1.0 } else { 0.0 };
        match tree {
            Tree::Number(x) => *x,
            Tree::Metric(i) => row[*i],
            Tree::Neg(a) => -eval(a, row),
            Tree::Cond(c, a, b) => eval(if eval(c, row) != 0.0 { a } else { b }, row),
            Tree::Binary(op, a, b) => {
                let (a, b) = (eval(a, row), eval(b, row));
                match *op {
                    "&&" => bool(a != 0.0 && b != 0.0),
                    "||" => bool(a != 0.0 || b != 0.0),
                    ">=" => bool(a >= b),
                    ">" => bool(a > b),
                    "<=" => bool(a <= b),
                    "<" => bool(a < b),
                    "==" => bool(a == b),
                    "!=" => bool(a != b),
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    _ => a / b,
                }
            }
        }
    }
}

/// Checks `peer` against the baseline on every row (to within `ulps`; 0 = bit for bit),
/// then times it as `seed` times `rust_fn` and `scalemod`.
fn bench_peer(
    group: &mut BenchmarkGroup<'_, WallTime>,
    engine: &str,
    (formula, native, ulps): (&str, Native, u64),
    rows: &[[f64; 6]],
    mut peer: impl Peer,
) {
    let mut worst = 0;
    for row in rows {
        let (got, want) = (peer.eval(row), native(row));
        let apart = ulps_apart(got, want);
        assert!(
            apart <= ulps,
            "{engine} {formula} on {row:?}: {got} vs {want}"
        );
        worst = worst.max(apart);
    }
    if worst > 0 {
        eprintln!("{engine} {formula}: at most {worst} ulp(s) from the baseline");
    }
    let mut out = vec![0.0; rows.len()];
    group.bench_function(BenchmarkId::new(engine, formula), |b| {
        b.iter(|| {
            for (row, o) in rows.iter().zip(out.iter_mut()) {
                *o = peer.eval(black_box(row));
            }
            black_box(&out);
        })
    });
}

fn seed(c: &mut Criterion) {
    let schema = Schema::floats(METRICS);
    let slots: [Slot; 6] = std::array::from_fn(|i| schema.slot(METRICS[i]).unwrap());
    let rows = table();
    let mut group = c.benchmark_group("seed");
    group.throughput(Throughput::Elements(rows.len() as u64));
    let seeds: [(&str, &str, Native); 3] = [("F1", F1, f1), ("F2", F2, f2), ("F3", F3, f3)];
    for (i, (name, source, native)) in seeds.into_iter().enumerate() {
        let formula = Formula::compile(source, &schema).unwrap();
        let mut inputs = Inputs::new(&schema);
        // Check before timing: same result as the baseline on every row.
        for row in &rows {
            for (slot, v) in slots.iter().zip(row) {
                inputs.set_f64(*slot, *v);
            }
            let got = formula.eval_f64(&inputs).unwrap();
            assert_eq!(got.to_bits(), native(row).to_bits(), "{name} on {row:?}");
        }
        let mut out = vec![0.0; rows.len()];
        group.bench_function(BenchmarkId::new("rust_fn", name), |b| {
            b.iter(|| {
                for (row, o) in rows.iter().zip(out.iter_mut()) {
                    *o = native(black_box(row));
                }
                black_box(&out);
            })
        });
        group.bench_function(BenchmarkId::new("scalemod", name), |b| {
            b.iter(|| {
                for (row, o) in rows.iter().zip(out.iter_mut()) {
                    inputs.set_f64s(&slots, black_box(row));
                    *o = formula.eval_f64(&inputs).unwrap_or(f64::NAN);
                }
                black_box(&out);
            })
        });
        let exact = (name, native, 0);
        bench_peer(
            &mut group,
            "fasteval",
            (name, native, fasteval_peer::ULPS[i]),
            &rows,
            fasteval_peer::FastEval::new(fasteval_peer::SOURCES[i]),
        );
        bench_peer(
            &mut group,
            "rhai",
            exact,
            &rows,
            rhai_peer::Rhai::new(rhai_peer::SOURCES[i]),
        );
        bench_peer(
            &mut group,
            "cel",
            exact,
            &rows,
            cel_peer::Cel::new(cel_peer::SOURCES[i]),
        );
        bench_peer(
            &mut group,
            "expr-lang",
            exact,
            &rows,
            expr_lang_peer::ExprLang::new(expr_lang_peer::SOURCES[i]),
        );
    }
    group.finish();
}

/// Seed-shaped formula `i` over 1,000 metrics `m0`…`m999`, with varied names, constants and
/// operators, mixed with `??`, `max/min` and `count([..], {# > ..})`.
fn tick_formula(i: usize) -> String {
    let m = |k: usize| format!("m{}", (i * 7 + k * 13) % 1000);
    let c = 1 + i % 97;
    match i % 6 {
        0 => format!(
            "{} > 0.{c} && {} >= {} && {} < {}0 ? 1 : 0",
            m(0),
            m(1),
            c % 5,
            m(2),
            c
        ),
        1 => format!("1 / ({} / {})", m(0), m(1)),
        2 => format!("{} >= {c}00 ? {} : 0", m(0), m(1)),
        3 => format!("({} ?? 0) * {c} + {}", m(0), m(1)),
        4 => format!("max({}, {}) / {c}", m(0), m(1)),
        _ => format!("count([{}, {}, {}], {{# > {c}}})", m(0), m(1), m(2)),
    }
}

/// One tick-formula written by hand: its shape, the metrics it reads and its constants.
struct NativeFormula {
    shape: usize,
    m: [usize; 3],
    c: f64,
    threshold: f64,
}

impl NativeFormula {
    fn new(i: usize) -> NativeFormula {
        NativeFormula {
            shape: i % 6,
            m: [0, 1, 2].map(|k| (i * 7 + k * 13) % 1000),
            c: (1 + i % 97) as f64,
            threshold: format!("0.{}", 1 + i % 97).parse().unwrap(),
        }
    }

    #[inline(never)]
    fn eval(&self, values: &[f64]) -> f64 {
        let [a, b, d] = self.m.map(|k| values[k]);
        let c = self.c;
        match self.shape {
            0 => {
                if a > self.threshold && b >= c % 5.0 && d < c * 10.0 {
                    1.0
                } else {
                    0.0
                }
            }
            1 => 1.0 / (a / b),
            2 => {
                if a >= c * 100.0 {
                    b
                } else {
                    0.0
                }
            }
            3 => a * c + b,
            4 => (if a < b { b } else { a }) / c,
            _ => [a, b, d].iter().filter(|x| **x > c).count() as f64,
        }
    }
}

/// The tick's data: built on first use, so that `-- seed` does not compile a million formulas.
struct Tick {
    inputs: Inputs,
    values: Vec<f64>,
    native: Vec<NativeFormula>,
    set: FormulaSet,
}

const TICK_FORMULAS: usize = 1_000_000;

impl Tick {
    fn new() -> Tick {
        let names: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
        let schema = Schema::floats(&names);
        let mut inputs = Inputs::new(&schema);
        let mut rng = Rng(42);
        let mut values = Vec::new();
        for name in &names {
            let v = rng.below(100.0);
            values.push(v);
            inputs.set_f64(schema.slot(name).unwrap(), v);
        }
        let native: Vec<NativeFormula> = (0..TICK_FORMULAS).map(NativeFormula::new).collect();
        let set = FormulaSet::from_formulas(
            (0..TICK_FORMULAS)
                .map(|i| Formula::compile(&tick_formula(i), &schema).unwrap())
                .collect(),
        );
        let mut out = vec![0.0; TICK_FORMULAS];
        set.eval_f64_into(&inputs, &mut out, |i, e| panic!("formula {i}: {e}"));
        for (i, got) in out.iter().enumerate() {
            let want = native[i].eval(&values);
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "formula {i}: {}",
                tick_formula(i)
            );
        }
        Tick {
            inputs,
            values,
            native,
            set,
        }
    }
}

fn tick(c: &mut Criterion) {
    let tick = std::cell::OnceCell::new();
    let mut group = c.benchmark_group("tick");
    group.sample_size(20);
    group.throughput(Throughput::Elements(TICK_FORMULAS as u64));
    group.bench_function("rust_fn", |b| {
        let t: &Tick = tick.get_or_init(Tick::new);
        let mut out = vec![0.0; TICK_FORMULAS];
        b.iter(|| {
            for (f, o) in t.native.iter().zip(out.iter_mut()) {
                *o = f.eval(black_box(&t.values));
            }
            black_box(&out);
        })
    });
    group.bench_function("scalemod", |b| {
        let t: &Tick = tick.get_or_init(Tick::new);
        let mut out = vec![0.0; TICK_FORMULAS];
        b.iter(|| {
            t.set
                .eval_f64_into(black_box(&t.inputs), &mut out, |_, _| {});
            black_box(&out);
        })
    });
    group.bench_function("scalemod_parallel", |b| {
        let t: &Tick = tick.get_or_init(Tick::new);
        let mut out = vec![0.0; TICK_FORMULAS];
        b.iter(|| {
            t.set
                .par_eval_f64_into(black_box(&t.inputs), &mut out, None, |_, _| {});
            black_box(&out);
        })
    });
    group.finish();
}

fn compile(c: &mut Criterion) {
    let schema = Schema::floats(METRICS);
    let fasteval_cells = fasteval_peer::cells();
    let mut fasteval_slab = fasteval_peer::slab(&fasteval_cells);
    let rhai_engine = rhai_peer::engine();
    let floor_pratt = pest_floor::pratt();
    let rows = table();
    let mut group = c.benchmark_group("compile");
    let seeds: [(&str, &str, Native); 3] = [("F1", F1, f1), ("F2", F2, f2), ("F3", F3, f3)];
    for (i, (name, source, native)) in seeds.into_iter().enumerate() {
        // Check before timing: the floor's tree computes the Rust fn on every row.
        let floor = pest_floor::compile(source, &floor_pratt).unwrap();
        for row in &rows {
            let (got, want) = (pest_floor::eval(&floor, row), native(row));
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "pest_floor {name} on {row:?}"
            );
        }
        group.bench_function(BenchmarkId::new("pest_floor", name), |b| {
            b.iter(|| pest_floor::compile(black_box(source), &floor_pratt).unwrap())
        });
        group.bench_function(BenchmarkId::new("scalemod", name), |b| {
            b.iter(|| Formula::compile(black_box(source), &schema).unwrap())
        });
        group.bench_function(BenchmarkId::new("fasteval", name), |b| {
            let source = fasteval_peer::SOURCES[i];
            b.iter(|| fasteval_peer::compile(&mut fasteval_slab, black_box(source)))
        });
        group.bench_function(BenchmarkId::new("rhai", name), |b| {
            let source = rhai_peer::SOURCES[i];
            b.iter(|| rhai_engine.compile_expression(black_box(source)).unwrap())
        });
        group.bench_function(BenchmarkId::new("cel", name), |b| {
            let source = cel_peer::SOURCES[i];
            b.iter(|| cel::Program::compile(black_box(source)).unwrap())
        });
        group.bench_function(BenchmarkId::new("expr-lang", name), |b| {
            let source = expr_lang_peer::SOURCES[i];
            b.iter(|| expr::compile(black_box(source)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, seed, tick, compile);
criterion_main!(benches);
