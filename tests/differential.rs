//! The VM against the reference interpreter, with and without constant folding, on generated
//! formulas: `vm(compile(fold(ast))) == vm(compile(ast)) == interpret(ast)`, errors included.

use proptest::prelude::*;
use scalemod::{
    reference, CompileOptions, Error, Formula, FormulaSet, InputType, Inputs, Schema, Value,
};

/// The six comparison operators.
fn comparison() -> impl Strategy<Value = &'static str> + Clone {
    prop_oneof![
        Just("<"),
        Just("<="),
        Just(">"),
        Just(">="),
        Just("=="),
        Just("!=")
    ]
}

/// Numeric and mixed formulas over the inputs `a`, `b` (float), `n` (int) and `m` (a float
/// that may be missing), built with full parentheses from the operators and builtins that
/// scaling formulas use.
fn formula() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (-3i64..12).prop_map(|i| i.to_string()),
        prop_oneof![
            Just("0.5"),
            Just("2.5"),
            Just("1e3"),
            Just("0.1"),
            Just("9223372036854775807"),
            Just("nil"),
        ]
        .prop_map(String::from),
        prop_oneof![Just("a"), Just("b"), Just("n"), Just("m")].prop_map(String::from),
    ];
    leaf.prop_recursive(5, 48, 3, |inner| {
        let op = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("%"),
            Just("**"),
            Just("??"),
        ];
        let condition = (inner.clone(), comparison(), inner.clone())
            .prop_map(|(l, c, r)| format!("{l} {c} {r}"));
        let func = prop_oneof![
            Just("abs"),
            Just("floor"),
            Just("ceil"),
            Just("round"),
            Just("int"),
            Just("float"),
        ];
        let agg = prop_oneof![Just("max"), Just("min"), Just("mean"), Just("median")];
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            inner.clone().prop_map(|x| format!("(-{x})")),
            (condition.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, t, e)| format!("({c} ? {t} : {e})")),
            (
                condition.clone(),
                prop_oneof![Just("&&"), Just("||")],
                condition.clone()
            )
                .prop_map(|(l, o, r)| format!("(({l}) {o} ({r}) ? 1 : 0)")),
            (func, inner.clone()).prop_map(|(f, x)| format!("{f}({x})")),
            (agg, inner.clone(), inner.clone()).prop_map(|(f, x, y)| format!("{f}({x}, {y})")),
            (inner.clone(), inner.clone())
                .prop_map(|(v, body)| format!("(let t = {v}; t + {body})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(x, y, z)| format!("count([{x}, {y}, a], # > {z})")),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| format!("sum([{x}, {y}, 1], # * 2)")),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| format!("([{x}, {y}][n % 2])")),
            (inner.clone(), inner).prop_map(|(x, y)| format!("(any([{x}], # < {y}) ? 1 : 2)")),
        ]
    })
}

fn input_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        -100.0f64..100.0,
        Just(0.0),
        Just(-0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(1e300),
    ]
}

fn input_int() -> impl Strategy<Value = i64> {
    prop_oneof![-5i64..5, Just(0), Just(i64::MIN), Just(i64::MAX)]
}

/// Values equal to the bit, NaN included (expr's `==` makes NaN unequal to itself).
fn identical(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Float(a), Value::Float(b)) => {
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
        }
        (Value::Int(a), Value::Int(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Nil, Value::Nil) => true,
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(p, q)| identical(p, q))
        }
        _ => false,
    }
}

/// The message without Go's `runtime error: ` prefix, which the folder's compile-time report
/// of `% 0` does not carry.
fn normalized(e: &Error) -> (String, Option<scalemod::ast::Span>) {
    let m = e.message();
    (
        m.strip_prefix("runtime error: ").unwrap_or(m).to_string(),
        e.span(),
    )
}

fn same(x: &Result<Value, Error>, y: &Result<Value, Error>) -> bool {
    match (x, y) {
        (Ok(a), Ok(b)) => identical(a, b),
        (Err(a), Err(b)) => normalized(a) == normalized(b),
        _ => false,
    }
}

/// Two float results are the same bits (any NaN matching any NaN), or both errors.
fn same_f64<E>(x: &Result<f64, E>, y: &Result<f64, E>) -> bool {
    match (x, y) {
        (Ok(a), Ok(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

fn schema() -> Schema {
    Schema::new()
        .with("a", InputType::Float)
        .with("b", InputType::Float)
        .with("n", InputType::Int)
        .with("m", InputType::Float)
}

fn compile(source: &str, fold: bool, fast_path: bool) -> Result<Formula, Error> {
    let options = CompileOptions {
        fold,
        fast_path,
        ..CompileOptions::default()
    };
    Formula::compile_with_options(source, &schema(), &options)
}

fn run(source: &str, fold: bool, fast_path: bool, inputs: &Inputs) -> Result<Value, Error> {
    compile(source, fold, fast_path)?.eval(inputs)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn vm_folded_vm_and_interpreter_agree(
        source in formula(),
        a in input_float(),
        b in input_float(),
        n in input_int(),
        m in proptest::option::of(input_float()),
    ) {
        let schema = schema();
        let mut inputs = Inputs::new(&schema);
        inputs.set(schema.slot("a").unwrap(), a);
        inputs.set(schema.slot("b").unwrap(), b);
        inputs.set(schema.slot("n").unwrap(), n);
        inputs.set(schema.slot("m").unwrap(), m);
        let oracle = reference::interpret(&source, &schema, &CompileOptions::default(), &inputs);
        let unfolded = run(&source, false, false, &inputs);
        let folded = run(&source, true, false, &inputs);
        let fast = run(&source, true, true, &inputs);
        prop_assert!(same(&unfolded, &oracle), "{source}\n vm: {unfolded:?}\n interpreter: {oracle:?}");
        prop_assert!(same(&fast, &folded), "{source}\n fast path: {fast:?}\n vm: {folded:?}");
        if let Ok(formula) = compile(&source, true, true) {
            // `eval_f64` is `eval` for numbers, an error otherwise.
            let as_f64 = formula.eval_f64(&inputs);
            match &folded {
                Ok(Value::Float(x)) => prop_assert!(matches!(as_f64, Ok(y) if y.to_bits() == x.to_bits() || (x.is_nan() && y.is_nan())), "{source}: {as_f64:?} vs {x}"),
                Ok(Value::Int(i)) => prop_assert_eq!(&as_f64, &Ok(*i as f64), "{}", source),
                _ => prop_assert!(as_f64.is_err(), "{source}: {as_f64:?}"),
            }
            // The fast path's two runners, the chain of steps and the register loop (chains
            // off), agree, on their own and in a formula set.
            let options = CompileOptions { chains: false, ..CompileOptions::default() };
            let registers = Formula::compile_with_options(&source, &schema, &options).unwrap();
            let direct = registers.eval_f64(&inputs);
            prop_assert!(same_f64(&direct, &as_f64), "{source}: register loop {direct:?} vs {as_f64:?}");
            for f in [formula, registers] {
                let set = FormulaSet::from_formulas(vec![f]);
                let mut out = [0.0];
                let mut failed = 0;
                set.eval_f64_into(&inputs, &mut out, |_, _| failed += 1);
                let got = if failed == 0 { Ok(out[0]) } else { Err(()) };
                let want = as_f64.as_ref().map(|x| *x).map_err(|_| ());
                prop_assert!(same_f64(&got, &want) && (failed == 0 || out[0].is_nan()), "{source}: set {out:?} vs {as_f64:?}");
            }
        }
        let folded_at_compile_time = matches!(&folded, Err(e) if e.message() == "integer divide by zero");
        if folded_at_compile_time {
            // expr reports `% 0` of two literals at compile time, before anything runs, even
            // where evaluation would never reach it; the interpreter, which does not fold,
            // has nothing to compare with (the divisor may itself be folded: `0 % (3 - 3)`).
            prop_assert!(source.contains('%'), "{source}");
        } else {
            prop_assert!(same(&folded, &oracle), "{source}\n folded vm: {folded:?}\n interpreter: {oracle:?}");
        }
    }
}

/// The shapes the fast path fuses into single steps: chains of `input cmp constant` joined
/// by `&&`, optionally selecting an input or a constant, and two inputs combined and then
/// with a constant.
fn gate() -> impl Strategy<Value = String> {
    let cmp = comparison();
    let op = prop_oneof![
        Just("+"),
        Just("-"),
        Just("*"),
        Just("/"),
        Just("**"),
        Just("??")
    ];
    let input = prop_oneof![Just("a"), Just("b"), Just("m")];
    let constant = prop_oneof![Just("0"), Just("1"), Just("2.5"), Just("-1"), Just("1e3")];
    let guard =
        (input.clone(), cmp.clone(), constant.clone()).prop_map(|(x, c, k)| format!("{x} {c} {k}"));
    let guards = proptest::collection::vec(guard, 1..5).prop_map(|g| g.join(" && "));
    let value = prop_oneof![
        input.clone().prop_map(String::from),
        constant.clone().prop_map(String::from)
    ];
    let pair = (input.clone(), op.clone(), input).prop_map(|(x, o, y)| format!("({x} {o} {y})"));
    let then = prop_oneof![op, cmp];
    prop_oneof![
        guards.clone().prop_map(|g| format!("{g} ? 1 : 0")),
        (guards, value.clone(), value).prop_map(|(g, t, e)| format!("{g} ? {t} : {e}")),
        (pair.clone(), then.clone(), constant.clone()).prop_map(|(p, o, k)| format!("{p} {o} {k}")),
        (constant, then, pair).prop_map(|(k, o, p)| format!("{k} {o} {p}")),
    ]
}

/// A float input: ordinary values, the guards' constants themselves, and NaN.
fn gate_input() -> impl Strategy<Value = Option<f64>> {
    proptest::option::weighted(
        0.9,
        prop_oneof![
            -2.0..1500.0f64,
            Just(0.0),
            Just(1.0),
            Just(2.5),
            Just(-1.0),
            Just(1e3),
            Just(f64::NAN),
        ],
    )
}

proptest! {
    #[test]
    fn fused_gates_agree_with_the_vm(
        source in gate(),
        a in gate_input(),
        b in gate_input(),
        m in gate_input(),
    ) {
        let schema = schema();
        let mut inputs = Inputs::new(&schema);
        inputs.set(schema.slot("a").unwrap(), a);
        inputs.set(schema.slot("b").unwrap(), b);
        inputs.set(schema.slot("m").unwrap(), m);
        let fast = compile(&source, true, true).unwrap();
        let vm = compile(&source, true, false).unwrap();
        let options = CompileOptions { chains: false, ..CompileOptions::default() };
        let registers = Formula::compile_with_options(&source, &schema, &options).unwrap();
        prop_assert!(fast.fast_program().is_some(), "{source} has no fast program");
        let (x, y, z) = (fast.eval(&inputs), vm.eval(&inputs), registers.eval(&inputs));
        prop_assert!(same(&x, &y), "{source}\n chain: {x:?}\n vm: {y:?}");
        prop_assert!(same(&z, &y), "{source}\n register loop: {z:?}\n vm: {y:?}");
        let want = vm.eval_f64(&inputs).unwrap_or(f64::NAN);
        for f in [fast, registers] {
            let direct = f.eval_f64(&inputs).unwrap_or(f64::NAN);
            let set = FormulaSet::from_formulas(vec![f]);
            let mut out = [0.0];
            set.eval_f64_into(&inputs, &mut out, |_, _| {});
            for got in [direct, out[0]] {
                prop_assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "{source}: {got} vs {want}");
            }
        }
    }
}
