//! Constant folding, operator by operator: what folds to one constant, what folds to an
//! operand, and what is left for run time (because it would fail, or depends on an input).

use scalemod::{bytecode::Op, CompileOptions, Formula, Inputs, Schema, Value};

fn schema() -> Schema {
    Schema::floats(["x", "y"])
}

/// The folded program of `source`.
fn code(source: &str) -> Vec<Op> {
    Formula::compile(source, &schema())
        .unwrap()
        .program()
        .code
        .clone()
}

/// `source` folds to the single constant `want`, and evaluates to what the unfolded program
/// gives.
fn folds_to(source: &str, want: Value) {
    let f = Formula::compile(source, &schema()).unwrap();
    assert_eq!(
        f.program().code,
        vec![Op::Const(0)],
        "{source}:\n{}",
        f.disassemble()
    );
    let inputs = Inputs::new(&schema());
    let got = f.eval(&inputs).unwrap();
    assert_eq!(got.value_type(), want.value_type(), "{source}");
    assert!(
        got == want || got.to_string() == want.to_string(),
        "{source}: {got}"
    );
    let unfolded = Formula::compile_with_options(
        source,
        &schema(),
        &CompileOptions {
            fold: false,
            fast_path: false,
            ..CompileOptions::default()
        },
    )
    .unwrap();
    assert!(
        unfolded.program().code.len() > 1,
        "{source} is not a folding test"
    );
    assert_eq!(
        unfolded.eval(&inputs).unwrap().to_string(),
        got.to_string(),
        "{source}"
    );
}

#[test]
fn arithmetic_folds() {
    folds_to("1 + 2", Value::Int(3));
    folds_to("1 - 2.5", Value::Float(-1.5));
    folds_to("6 * 7", Value::Int(42));
    folds_to("7 / 2", Value::Float(3.5));
    folds_to("1 / 0", Value::Float(f64::INFINITY));
    folds_to("-7 % 3", Value::Int(-1));
    folds_to("2 ** 10", Value::Float(1024.0));
    folds_to("2 ^ 0.5", Value::Float(std::f64::consts::SQRT_2));
    folds_to("9223372036854775807 + 1", Value::Int(i64::MIN));
    folds_to("-(3)", Value::Int(-3));
    folds_to("+(2.5)", Value::Float(2.5));
}

#[test]
fn comparisons_and_logic_fold() {
    folds_to("1 < 2", Value::Bool(true));
    folds_to("2 <= 1", Value::Bool(false));
    folds_to("1 == 1.0", Value::Bool(true));
    folds_to("1 != nil", Value::Bool(true));
    folds_to("1 < 2 < 3", Value::Bool(true));
    folds_to("!true", Value::Bool(false));
    folds_to("not false", Value::Bool(true));
    folds_to("true && false", Value::Bool(false));
    folds_to("false || true", Value::Bool(true));
    folds_to("2 in [1, 2]", Value::Bool(true));
    folds_to("2.0 in 1..3", Value::Bool(true));
}

#[test]
fn selections_builtins_and_lets_fold() {
    folds_to("true ? 1 : 2", Value::Int(1));
    folds_to("if 1 > 2 { 1 } else { 2.5 }", Value::Float(2.5));
    folds_to("nil ?? 5", Value::Int(5));
    folds_to("3 ?? 5", Value::Int(3));
    folds_to("abs(-3)", Value::Int(3));
    folds_to("max(1, 2.5, -3)", Value::Float(2.5));
    folds_to("round(2.5)", Value::Float(3.0));
    folds_to("int(-1.9)", Value::Int(-1));
    folds_to("sum(1..9)", Value::Int(45));
    folds_to("let a = 2; let b = a * 3; a + b", Value::Int(8));
    folds_to("1; 2; 3", Value::Int(3));
    folds_to("[1, 2, 3][1]", Value::Int(2));
    folds_to("len([1, 2, 3])", Value::Int(3));
}

#[test]
fn operands_are_kept_where_the_result_is_an_input() {
    assert_eq!(code("true ? x : y"), vec![Op::Input(0)]);
    assert_eq!(code("false ? x : y"), vec![Op::Input(1)]);
    assert_eq!(code("nil ?? x"), vec![Op::Input(0)]);
    assert_eq!(code("true && x > 1"), code("x > 1"));
    assert_eq!(code("false && x > 1"), vec![Op::Const(0)]);
    assert_eq!(code("true || x > 1"), vec![Op::Const(0)]);
    assert_eq!(code("let k = 2 * 3; x * k"), code("x * 6"));
}

#[test]
fn what_would_fail_or_depends_on_inputs_is_not_folded() {
    // Identities are not applied: `x + 0` fails when `x` is missing, so it must stay.
    assert_eq!(code("x + 0").len(), 3);
    assert_eq!(code("x * 1").len(), 3);
    // A failing constant expression is left for run time (expr reports it there too)...
    let f = Formula::compile("[1, 2][5]", &schema()).unwrap();
    assert!(f.program().code.len() > 1);
    let err = f.eval(&Inputs::new(&schema())).unwrap_err();
    assert_eq!(err.message(), "index out of range: 5 (array length is 2)");
    // ...except `%` by a constant zero, which expr reports at compile time.
    let err = Formula::compile("x > 0 ? 1 % 0 : 2", &schema()).unwrap_err();
    assert_eq!(err.message(), "integer divide by zero");
    // Folding never changes a float's sign.
    assert_eq!(
        Formula::compile("1 / -0.0", &schema())
            .unwrap()
            .eval(&Inputs::new(&schema())),
        Ok(Value::Float(f64::NEG_INFINITY))
    );
}
