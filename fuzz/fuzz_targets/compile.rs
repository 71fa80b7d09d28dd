//! Bytes split into a schema part and a formula: byte 0 chooses the types of the inputs `a`,
//! `b`, `c` (float, int, bool, array or nil: `b0 % 125` in base 5) and the compile options
//! (`b0 / 125`: default, `AllowUndefinedVariables`, folding off with a result cast); the rest,
//! if UTF-8, is the formula. On success the formula is evaluated (by the VM and by the
//! reference interpreter) over several input sets derived from the bytes: values of the
//! declared types (NaN, ±Inf, -0.0, i64::MIN, i64::MAX, arrays of mixed values, …), every input
//! missing (nil), and values of any type whatever the declared one. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scalemod::{reference, Cast, CompileOptions, Formula, InputType, Inputs, Schema, Value};

const TYPES: [InputType; 5] = [
    InputType::Float,
    InputType::Int,
    InputType::Bool,
    InputType::Array,
    InputType::Nil,
];

fn arr(items: Vec<Value>) -> Value {
    Value::Array(items.into())
}

fn floats() -> Vec<Value> {
    vec![
        Value::Float(0.0),
        Value::Float(-0.0),
        Value::Float(1.5),
        Value::Float(-2.0),
        Value::Float(f64::NAN),
        Value::Float(f64::INFINITY),
        Value::Float(f64::NEG_INFINITY),
        Value::Float(f64::MAX),
        Value::Float(f64::MIN_POSITIVE),
        Value::Float(9.223372036854775807e18),
        Value::Float(-9.223372036854775808e18),
        Value::Float(1e-320),
        Value::Nil,
    ]
}

fn ints() -> Vec<Value> {
    vec![
        Value::Int(0),
        Value::Int(1),
        Value::Int(-1),
        Value::Int(2),
        Value::Int(63),
        Value::Int(64),
        Value::Int(i64::MIN),
        Value::Int(i64::MAX),
        Value::Int(i64::MIN + 1),
        Value::Nil,
    ]
}

fn bools() -> Vec<Value> {
    vec![Value::Bool(true), Value::Bool(false), Value::Nil]
}

fn arrays() -> Vec<Value> {
    vec![
        arr(vec![]),
        arr(vec![Value::Int(1), Value::Int(2), Value::Int(3)]),
        arr(vec![
            Value::Float(1.5),
            Value::Float(f64::NAN),
            Value::Float(f64::INFINITY),
        ]),
        arr(vec![Value::Nil, Value::Bool(true), Value::Int(1)]),
        arr(vec![
            arr(vec![Value::Int(1)]),
            arr(vec![Value::Float(2.0), Value::Nil]),
        ]),
        arr(vec![Value::Int(i64::MIN), Value::Int(-1), Value::Int(0)]),
        arr(vec![Value::Float(-0.0), Value::Float(f64::NEG_INFINITY)]),
        Value::Nil,
    ]
}

fn palette(ty: InputType) -> Vec<Value> {
    match ty {
        InputType::Float => floats(),
        InputType::Int => ints(),
        InputType::Bool => bools(),
        InputType::Array => arrays(),
        _ => vec![Value::Nil],
    }
}

/// FNV-1a: the input values are derived from the whole input, so seeds stay plain text.
fn hash(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn eval_all(formula: &Formula, source: &str, schema: &Schema, options: &CompileOptions, inputs: &Inputs) {
    if let Err(e) = formula.eval(inputs) {
        let _ = e.to_string();
    }
    if let Err(e) = reference::interpret(source, schema, options, inputs) {
        let _ = e.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let Ok(source) = std::str::from_utf8(rest) else {
        return;
    };
    let mut t = (head % 125) as usize;
    let mut schema = Schema::new();
    let mut types = Vec::new();
    for name in ["a", "b", "c"] {
        let ty = TYPES[t % 5];
        t /= 5;
        types.push((schema.declare(name, ty), ty));
    }
    let h = hash(data);
    let mut options = CompileOptions::default();
    match head / 125 {
        0 => {}
        1 => options.allow_undefined = true,
        _ => {
            options.fold = false;
            options.cast = match h % 5 {
                0 => None,
                1 => Some(Cast::Int),
                2 => Some(Cast::Int64),
                3 => Some(Cast::Float64),
                _ => Some(Cast::Bool),
            };
        }
    }
    let formula = match Formula::compile_with_options(source, &schema, &options) {
        Ok(f) => f,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = formula.disassemble();
    let _ = formula.result_type();

    // 1. Values of the declared types, chosen by the hash.
    let mut inputs = Inputs::new(&schema);
    for (i, &(slot, ty)) in types.iter().enumerate() {
        let p = palette(ty);
        inputs.set(slot, p[((h >> (i * 8)) as usize) % p.len()].clone());
    }
    eval_all(&formula, source, &schema, &options, &inputs);

    // 2. Every input missing.
    let inputs = Inputs::new(&schema);
    eval_all(&formula, source, &schema, &options, &inputs);

    // 3. Extremes of the declared types.
    let mut inputs = Inputs::new(&schema);
    for (i, &(slot, ty)) in types.iter().enumerate() {
        let v = match ty {
            InputType::Float => Value::Float([f64::NAN, f64::INFINITY, f64::NEG_INFINITY][i]),
            InputType::Int => Value::Int([i64::MIN, -1, i64::MAX][i]),
            InputType::Bool => Value::Bool(i % 2 == 0),
            InputType::Array => arrays()[[2, 4, 5][i]].clone(),
            _ => Value::Nil,
        };
        inputs.set(slot, v);
    }
    eval_all(&formula, source, &schema, &options, &inputs);

    // 4. Values of any type, whatever the declared one (the VM checks types at run time).
    let mut any = floats();
    any.extend(ints());
    any.extend(bools());
    any.extend(arrays());
    let mut inputs = Inputs::new(&schema);
    for (i, &(slot, _)) in types.iter().enumerate() {
        inputs.set(slot, any[((h >> (24 + i * 8)) as usize) % any.len()].clone());
    }
    eval_all(&formula, source, &schema, &options, &inputs);
});
