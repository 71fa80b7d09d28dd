//! The JSON-lines protocol of `scalemod eval --jsonl` (feature `cli`): one case in, one
//! result out, never a panic.
//!
//! Input: `{"expr": "...", "env": {...}, "types": {...}, "options": [...]}`. Output:
//! `{"value": V, "type": "int"|"float"|"bool"|"nil"|"array"}` or
//! `{"error": "rendered message", "kind": "parse"|"name"|"type"|"limit"|"runtime"}`.

use crate::{Cast, CompileOptions, Formula, InputType, Inputs, Schema, Value};
use serde_json::{json, Map, Number, Value as Json};

/// Evaluates one input line and returns the output line (without a newline).
///
/// ```
/// let out = scalemod::jsonl::eval_line(r#"{"expr": "a / n", "env": {"a": 1.5, "n": 3}}"#);
/// assert_eq!(out, r#"{"value":0.5,"type":"float"}"#);
/// let bad = scalemod::jsonl::eval_line("{not json");
/// assert!(bad.starts_with(r#"{"error":"#));
/// ```
pub fn eval_line(line: &str) -> String {
    // Written by hand so that the keys keep the documented order.
    let (first, first_value, second, second_value) = match serde_json::from_str::<Json>(line) {
        Ok(case) => match evaluate(&case) {
            Ok((value, ty)) => ("value", to_json(&value), "type", Json::from(ty)),
            Err(e) => (
                "error",
                Json::from(e.to_string()),
                "kind",
                Json::from(e.kind().as_str()),
            ),
        },
        Err(e) => (
            "error",
            Json::from(format!("malformed input line: {e}")),
            "kind",
            Json::from("parse"),
        ),
    };
    format!("{{\"{first}\":{first_value},\"{second}\":{second_value}}}")
}

fn error_json(message: &str, kind: &str) -> Json {
    json!({ "error": message, "kind": kind })
}

/// A case already parsed as JSON: its output object.
pub fn eval_case(case: &Json) -> Json {
    match evaluate(case) {
        Ok((value, ty)) => json!({ "value": to_json(&value), "type": ty }),
        Err(e) => error_json(&e.to_string(), e.kind().as_str()),
    }
}

/// A problem with the input line itself rather than the formula.
fn input_error(message: String) -> crate::Error {
    crate::Error::unplaced(crate::ErrorKind::Parse, message)
}

/// Compiles and evaluates a case: its value and the name of its type (`int64` under the
/// `AsInt64` option), or the error.
pub fn evaluate(case: &Json) -> crate::Result<(Value, &'static str)> {
    let Some(obj) = case.as_object() else {
        return Err(input_error(
            "malformed input line: expected a JSON object".into(),
        ));
    };
    let Some(expr) = obj.get("expr").and_then(Json::as_str) else {
        return Err(input_error(
            "malformed input line: \"expr\" must be a string".into(),
        ));
    };
    let empty = Map::new();
    let env = match obj.get("env") {
        None | Some(Json::Null) => &empty,
        Some(Json::Object(env)) => env,
        Some(_) => {
            return Err(input_error(
                "malformed input line: \"env\" must be an object".into(),
            ))
        }
    };
    let types = match obj.get("types") {
        None | Some(Json::Null) => &empty,
        Some(Json::Object(types)) => types,
        Some(_) => {
            return Err(input_error(
                "malformed input line: \"types\" must be an object".into(),
            ))
        }
    };
    let mut options = CompileOptions::default();
    let mut int64 = false;
    if let Some(list) = obj.get("options") {
        let Some(list) = list.as_array() else {
            return Err(input_error(
                "malformed input line: \"options\" must be an array".into(),
            ));
        };
        for option in list {
            match option.as_str() {
                Some("AsFloat64") => options.cast = Some(Cast::Float64),
                Some("AsInt") => options.cast = Some(Cast::Int),
                Some("AsInt64") => {
                    options.cast = Some(Cast::Int64);
                    int64 = true;
                }
                Some("AsBool") => options.cast = Some(Cast::Bool),
                Some("AllowUndefinedVariables") => options.allow_undefined = true,
                _ => {
                    return Err(input_error(format!(
                        "malformed input line: unknown option {option}"
                    )))
                }
            }
        }
    }

    let mut schema = Schema::new();
    let mut values = Vec::new();
    let declared = |name: &str| -> crate::Result<Option<InputType>> {
        match types.get(name) {
            None => Ok(None),
            Some(t) => match t.as_str() {
                Some("int") => Ok(Some(InputType::Int)),
                Some("float") => Ok(Some(InputType::Float)),
                Some("bool") => Ok(Some(InputType::Bool)),
                Some("array") => Ok(Some(InputType::Array)),
                Some("nil") => Ok(Some(InputType::Nil)),
                Some("any") => Ok(Some(InputType::Any)),
                _ => Err(input_error(format!(
                    "malformed input line: unknown type {t} for {name}"
                ))),
            },
        }
    };
    for (name, json) in env {
        let ty = match declared(name)? {
            Some(ty) => ty,
            None => infer_type(json),
        };
        let value = to_value(json, ty)
            .map_err(|m| input_error(format!("malformed input line: {name}: {m}")))?;
        let slot = schema.declare(name, ty);
        values.push((slot, value));
    }
    // A declared type without a value: an input that is missing this tick.
    for (name, _) in types {
        if !env.contains_key(name) {
            if let Some(ty) = declared(name)? {
                schema.declare(name, ty);
            }
        }
    }
    let formula = Formula::compile_with_options(expr, &schema, &options)?;
    let mut inputs = Inputs::new(&schema);
    for (slot, value) in values {
        inputs.set(slot, value);
    }
    let value = formula.eval(&inputs)?;
    let ty = if int64 && matches!(value, Value::Int(_)) {
        "int64"
    } else {
        value.value_type().as_str()
    };
    Ok((value, ty))
}

/// The type of an input with no declared type, from its JSON value.
fn infer_type(json: &Json) -> InputType {
    match json {
        Json::Null => InputType::Nil,
        Json::Bool(_) => InputType::Bool,
        Json::Number(n) if n.is_f64() => InputType::Float,
        Json::Number(_) => InputType::Int,
        Json::Array(_) => InputType::Array,
        _ => InputType::Any,
    }
}

/// Converts an input's JSON value to a [`Value`] of type `ty`.
fn to_value(json: &Json, ty: InputType) -> Result<Value, String> {
    Ok(match (json, ty) {
        (Json::Null, _) => Value::Nil,
        (Json::Number(n), InputType::Float) => Value::Float(number_f64(n)),
        (Json::Number(n), InputType::Int) => Value::Int(number_i64(n)?),
        (Json::Number(n), _) => {
            if n.is_f64() {
                Value::Float(number_f64(n))
            } else {
                Value::Int(number_i64(n)?)
            }
        }
        (Json::Bool(b), InputType::Bool | InputType::Any) => Value::Bool(*b),
        (Json::String(s), InputType::Float | InputType::Any) => match s.as_str() {
            "+Inf" | "Inf" => Value::Float(f64::INFINITY),
            "-Inf" => Value::Float(f64::NEG_INFINITY),
            "NaN" => Value::Float(f64::NAN),
            _ => return Err(format!("strings are not supported (got {s:?})")),
        },
        (Json::Array(items), InputType::Array | InputType::Any) => Value::Array(
            items
                .iter()
                .map(|item| to_value(item, infer_type(item)))
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        ),
        (json, ty) => return Err(format!("{json} is not a value of type {ty:?}")),
    })
}

fn number_f64(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

fn number_i64(n: &Number) -> Result<i64, String> {
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i64),
        _ => Err(format!("{n} is not an int")),
    }
}

/// A value as JSON; non-finite floats as the strings `"+Inf"`, `"-Inf"`, `"NaN"`.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => match Number::from_f64(*f) {
            Some(n) => Json::Number(n),
            None => Json::String(crate::format_float(*f)),
        },
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
    }
}
