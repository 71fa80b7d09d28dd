//! Hostile input: every class of formula or input a tenant could use to take an autoscaler
//! down gives expr's value or a clear error — never a panic, hang or stack overflow.

use scalemod::{ErrorKind, Formula, InputType, Inputs, Limits, Schema, Value};
use std::time::Duration;

fn compile(source: &str) -> scalemod::Result<Formula> {
    Formula::compile(source, &Schema::floats(["x", "y"]))
}

fn limit_error(source: &str) {
    let err = compile(source).expect_err("over a limit");
    assert_eq!(err.kind(), ErrorKind::Limit, "{}", err.message());
    assert!(err.span().is_some());
}

#[test]
fn a_formula_of_one_mebibyte_is_too_long() {
    limit_error(&"1+".repeat(512 * 1024));
    limit_error(&format!("x{}", "a".repeat(1 << 20)));
}

#[test]
fn deep_nesting_is_refused_before_anything_recurses() {
    let n = 100_000;
    limit_error(&format!("{}1{}", "(".repeat(n), ")".repeat(n)));
    limit_error(&format!("{}1", "-".repeat(n)));
    limit_error(&format!("{}1", "!".repeat(n)));
    limit_error(&format!("{}1", "not ".repeat(n / 4)));
    limit_error(&"x > 0 ? 1 : ".repeat(n / 16));
    limit_error(&"true ? ".repeat(n / 8));
    limit_error(&format!("{}1", "x ?? ".repeat(n / 8)));
    limit_error(&format!("{}1", "[".repeat(n)));
    limit_error(&format!("{}1", "abs(".repeat(n / 4)));
    limit_error(&format!("{}1", "let a = 1; ".repeat(n / 16)));
    limit_error(&format!("1{}", " ** 2".repeat(n / 8)));
    limit_error(&format!("1{}", " + 1".repeat(n)));
}

#[test]
fn nesting_within_the_limit_compiles_and_runs() {
    // On a test thread's 2 MiB stack (in a debug build too), near the default depth limit.
    let depth = 30;
    let f = compile(&format!("{}x{}", "(".repeat(depth), " + 1)".repeat(depth))).unwrap();
    let schema = Schema::floats(["x", "y"]);
    let mut inputs = Inputs::new(&schema);
    inputs.set(schema.slot("x").unwrap(), 0.5);
    assert_eq!(f.eval(&inputs), Ok(Value::Float(30.5)));
    let sum = format!("x{}", " + 1".repeat(60));
    assert_eq!(compile(&sum).unwrap().eval(&inputs), Ok(Value::Float(60.5)));
    let chain = format!("{}0", "x > 1 ? 1 : ".repeat(20));
    assert_eq!(compile(&chain).unwrap().eval(&inputs), Ok(Value::Int(0)));
}

#[test]
fn limits_are_configurable() {
    let schema = Schema::new();
    let tight = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    assert!(Formula::compile_with("1 + 1", &schema, &tight).is_ok());
    let err = Formula::compile_with("((((1))))", &schema, &tight).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit);
    let small = Limits {
        max_instructions: 4,
        ..Limits::default()
    };
    let err = Formula::compile_with("[1, 2, 3, 4, 5][0] + len([])", &schema, &small);
    // Folding makes this a constant: one instruction.
    assert!(err.is_ok());
    let schema = Schema::floats(["x"]);
    let err = Formula::compile_with("x + x + x + x + x", &schema, &small).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit);
    assert_eq!(
        err.message(),
        "program too large (more than 4 instructions)"
    );
}

#[test]
fn huge_ranges_fail_quickly() {
    let start = std::time::Instant::now();
    let err = compile("count(0..9223372036854775807, # > 1)")
        .unwrap()
        .eval(&Inputs::new(&Schema::floats(["x", "y"])))
        .unwrap_err();
    assert_eq!(err.message(), "memory budget exceeded");
    let err = compile("len(-9223372036854775807 - 1..9223372036854775807)")
        .unwrap()
        .eval(&Inputs::new(&Schema::floats(["x", "y"])))
        .unwrap_err();
    assert_eq!(err.message(), "memory budget exceeded");
    // Generous: this is a hang detector, not a benchmark.
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn integer_literal_overflow_is_a_parse_error() {
    let err = compile("9223372036854775808").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    let err = compile("0x1_0000_0000_0000_0000").unwrap_err();
    assert!(
        err.message().starts_with("invalid hex literal"),
        "{}",
        err.message()
    );
    assert!(compile("-9223372036854775807 - 1").is_ok());
}

#[test]
fn integer_arithmetic_wraps_and_modulo_by_zero_is_an_error() {
    let schema = Schema::new()
        .with("n", InputType::Int)
        .with("z", InputType::Int);
    let mut inputs = Inputs::new(&schema);
    inputs.set(schema.slot("n").unwrap(), i64::MIN);
    inputs.set(schema.slot("z").unwrap(), 0i64);
    let eval = |s: &str| Formula::compile(s, &schema).unwrap().eval(&inputs);
    assert_eq!(eval("n - 1"), Ok(Value::Int(i64::MAX)));
    assert_eq!(eval("-n"), Ok(Value::Int(i64::MIN)));
    assert_eq!(eval("abs(n)"), Ok(Value::Int(i64::MIN)));
    assert_eq!(eval("n * -1"), Ok(Value::Int(i64::MIN)));
    assert_eq!(eval("n % -1"), Ok(Value::Int(0)));
    assert_eq!(eval("n / z"), Ok(Value::Float(f64::NEG_INFINITY)));
    let err = eval("n % z").unwrap_err();
    assert_eq!(err.message(), "runtime error: integer divide by zero");
    assert_eq!(eval("bitshl(n, 64)"), Ok(Value::Int(0)));
    assert_eq!(eval("int(float(n))"), Ok(Value::Int(i64::MIN)));
}

#[test]
fn non_finite_and_missing_inputs() {
    let schema = Schema::floats(["x", "y"]);
    let x = schema.slot("x").unwrap();
    let y = schema.slot("y").unwrap();
    let f = Formula::compile("x / y", &schema).unwrap();
    let g = Formula::compile("x > 1 ? x : y ?? -1", &schema).unwrap();
    let h = Formula::compile("int(x)", &schema).unwrap();
    let mut inputs = Inputs::new(&schema);
    for (a, b) in [
        (f64::NAN, 1.0),
        (f64::INFINITY, f64::INFINITY),
        (f64::NEG_INFINITY, 0.0),
        (1.0, 0.0),
        (0.0, -0.0),
        (f64::MIN_POSITIVE, f64::MAX),
    ] {
        inputs.set_f64(x, a);
        inputs.set_f64(y, b);
        let want = a / b;
        match f.eval(&inputs) {
            Ok(Value::Float(got)) => {
                assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()))
            }
            other => panic!("{a} / {b}: {other:?}"),
        }
        assert!(g.eval(&inputs).is_ok());
        assert!(h.eval(&inputs).is_ok());
    }
    // Go's int() of NaN and of out-of-range floats is i64::MIN on amd64.
    inputs.set_f64(x, f64::NAN);
    assert_eq!(h.eval(&inputs), Ok(Value::Int(i64::MIN)));
    inputs.set_missing(y);
    inputs.set_f64(x, 0.0);
    assert_eq!(g.eval(&inputs), Ok(Value::Int(-1)));
    let err = f.eval(&inputs).unwrap_err();
    assert_eq!(err.message(), "invalid operation: float64 / <nil>");
    assert_eq!(f.eval_f64(&inputs).unwrap_err().kind(), ErrorKind::Runtime);
}

#[test]
fn every_nan_bit_pattern_is_a_float_not_a_missing_value() {
    // Missing-ness is a tag beside the number, so no NaN payload (signalling ones included)
    // can be mistaken for a missing input, on the fast path or the general VM.
    let schema = Schema::floats(["x"]);
    let x = schema.slot("x").unwrap();
    let is_nan = Formula::compile("x != x ? 1 : 0", &schema).unwrap();
    let default = Formula::compile("x ?? 7", &schema).unwrap();
    let mut inputs = Inputs::new(&schema);
    for bits in [
        0x7FF4_0000_0000_0000u64,
        0x7FF4_0000_0000_0001,
        0x7FF0_0000_0000_0001,
        0xFFF8_0000_0000_0000,
        f64::NAN.to_bits(),
    ] {
        let nan = f64::from_bits(bits);
        inputs.set_f64s(&[x], &[nan]);
        assert_eq!(inputs.get(x).as_f64().map(f64::to_bits), Some(bits));
        assert_eq!(is_nan.eval_f64(&inputs), Ok(1.0), "{bits:#x}");
        assert_eq!(is_nan.eval(&inputs), Ok(Value::Int(1)), "{bits:#x}");
        assert!(default.eval_f64(&inputs).unwrap().is_nan(), "{bits:#x}");
    }
    inputs.set_missing(x);
    assert_eq!(default.eval_f64(&inputs), Ok(7.0));
}

#[test]
fn floats_with_the_tags_bit_patterns_are_floats_and_inputs_compare_by_tag() {
    // The tags are kept in the bits of an f64 beside the number (1 and 2 are the two
    // smallest subnormals); a float with those bits, or 0.0, is still a float.
    let schema = Schema::floats(["x"]);
    let x = schema.slot("x").unwrap();
    let default = Formula::compile("x ?? 7", &schema).unwrap();
    let missing = Inputs::new(&schema);
    for bits in [0u64, 1, 2, 3] {
        let mut inputs = Inputs::new(&schema);
        inputs.set_f64(x, f64::from_bits(bits));
        assert_eq!(default.eval_f64(&inputs).map(f64::to_bits), Ok(bits));
        assert_eq!(
            default.eval(&inputs),
            Ok(Value::Float(f64::from_bits(bits)))
        );
        assert_ne!(inputs, missing, "{bits}");
        let mut same = Inputs::new(&schema);
        same.set(x, f64::from_bits(bits));
        assert_eq!(inputs, same, "{bits}");
    }
    let mut int = Inputs::new(&schema);
    int.set(x, Value::Int(0));
    let mut zero = Inputs::new(&schema);
    zero.set_f64(x, 0.0);
    assert_eq!(
        int, zero,
        "an int given to a float input is stored as a float"
    );
    assert_eq!(format!("{missing:?}").matches("missing").count(), 1);
}

#[test]
fn inputs_of_another_schema_do_not_panic() {
    let big = Schema::floats(["a", "b", "c", "d"]);
    let small = Schema::floats(["a"]);
    let f = Formula::compile("d + 1", &big).unwrap();
    let mut inputs = Inputs::new(&small);
    assert!(f.eval(&inputs).is_err());
    assert!(f.eval_f64(&inputs).is_err());
    // Setting slots this schema does not have is ignored.
    let slots = [big.slot("a").unwrap(), big.slot("d").unwrap()];
    inputs.set_f64s(&slots, &[1.0, 2.0]);
    assert_eq!(inputs.get(slots[0]), Value::Float(1.0));
    assert!(inputs.get(slots[1]).is_nil());
}

#[test]
fn fuzz_regressions_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz/regressions exists") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("readable");
        let text = String::from_utf8_lossy(&bytes);
        let _ = scalemod::parse(&text);
        let _ = compile(&text);
        #[cfg(feature = "cli")]
        {
            let line = scalemod::jsonl::eval_line(&text);
            assert!(
                serde_json::from_str::<serde_json::Value>(&line).is_ok(),
                "{line}"
            );
        }
        seen += 1;
    }
    assert!(seen >= 5);
    assert!(compile("'é").is_err());
    assert!(compile("\"\u{1F600}").is_err());
}

#[test]
fn formulas_are_evaluated_from_many_threads_at_once() {
    let schema = Schema::floats(["x", "y"]);
    let sources = [
        "x / y",
        "x > y ? x : y",
        "count([x, y, 1.5], # > 1)",
        "max(x, y) ?? 0",
        "filter([x, y], # > 0)",
        "x ** 2 + y",
    ];
    let formulas: Vec<Formula> = sources
        .iter()
        .map(|s| Formula::compile(s, &schema).unwrap())
        .collect();
    let eval_all = |formulas: &[Formula], seed: u64| -> Vec<String> {
        let mut inputs = Inputs::new(&schema);
        let mut out = Vec::new();
        for i in 0..200u64 {
            let v = ((seed * 31 + i) % 17) as f64 - 8.0;
            inputs.set_f64(schema.slot("x").unwrap(), v);
            inputs.set_f64(schema.slot("y").unwrap(), v / 2.0);
            for f in formulas {
                out.push(format!("{:?}", f.eval(&inputs)));
            }
        }
        out
    };
    let single: Vec<Vec<String>> = (0..4).map(|t| eval_all(&formulas, t)).collect();
    let threaded: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let formulas = &formulas;
                scope.spawn(move || eval_all(formulas, t))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(single, threaded);
}

/// Compiled formulas can be shared across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Formula>();
    assert_send_sync::<scalemod::FormulaSet>();
    assert_send_sync::<Inputs>();
};

#[test]
fn nested_let_values_do_not_backtrack_exponentially() {
    // Found by fuzzing (fuzz/regressions/parse-slow-nested-let-values): pest backtracked over
    // `let x = let …` chains, doubling the work with each one.
    let start = std::time::Instant::now();
    let roomy = Limits {
        max_depth: 200,
        ..Limits::default()
    };
    // 18 links: 2^18 times the work of one before the fix.
    let chain = format!("{}[", "let x = let x = 5;  0; ".repeat(18));
    let err = scalemod::parse_with_limits(&chain, &roomy).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert_eq!(err.message(), "unexpected token Operator(\"let\")");
    let sequence = format!("{}1", "let x = 1; ".repeat(30));
    assert!(scalemod::parse_with_limits(&sequence, &roomy).is_ok());
    // Generous: a hang detector, not a benchmark (the chain takes microseconds).
    assert!(start.elapsed() < Duration::from_secs(5));
}
