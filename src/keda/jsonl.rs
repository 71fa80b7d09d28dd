//! The JSON-lines protocol of `scalemod keda --jsonl` (feature `cli`): one case a line, in the
//! shape of the KEDA conformance corpus's objects, one result line out, never a panic.
//!
//! Input: `formula` (`null`: no scaling modifiers), `triggers` (`[{"name", "type"}]`),
//! `target`, `activationTarget`, `metricType`, `fallback` (`{"replicas", "failureThreshold",
//! "behavior"}`), `vars`, `hpa` (`{"minReplicaCount", "maxReplicaCount", "currentReplicas"}`)
//! and `compile_mode` (`keda_current`, `raw_no_env`, `legacy_asfloat64`, `legacy_v2_12`).
//! `vars` absent: admission only. `vars` an object: a number is the trigger's metric value as the
//! formula reads it (already stored by KEDA: not rounded again), `null` a
//! trigger past its failure threshold (nil without a fallback), an absent name no metric.
//! `vars: null`: every trigger past its failure threshold (admission only without a fallback).
//!
//! Output: `{"admission": "accepted"|"rejected", "admission_error": "...", "value": V, "milli":
//! N, "active": B, "hpa_desired_replicas": N, "runtime_error": "..."}`, the fields that apply
//! (`admission` is absent under `raw_no_env`, which has no webhook). Non-finite values are
//! written as the strings `"+Inf"`, `"-Inf"`, `"NaN"`.

use super::{
    admit, desired_replicas, CompileMode, Fallback, FallbackBehavior, ModifierSpec, Reading,
    ReplicaBounds, Trigger,
};
use serde_json::{json, Map, Value as Json};

/// Evaluates one input line and returns the output line (without a newline).
///
/// ```
/// let out = scalemod::keda::jsonl::eval_line(
///     r#"{"formula": "a + b", "triggers": [{"name": "a", "type": "x"}, {"name": "b", "type": "x"}],
///         "target": "2", "vars": {"a": 1.5, "b": 2}}"#,
/// );
/// let out: serde_json::Value = serde_json::from_str(&out).unwrap();
/// assert_eq!(out, serde_json::json!({"admission": "accepted", "value": 3.5, "milli": 3500, "active": true}));
/// ```
pub fn eval_line(line: &str) -> String {
    let out = match serde_json::from_str::<Json>(line) {
        Ok(case) => eval_case(&case),
        Err(e) => json!({ "error": format!("malformed input line: {e}") }),
    };
    out.to_string()
}

/// A case already parsed as JSON: its output object.
pub fn eval_case(case: &Json) -> Json {
    match run(case) {
        Ok(out) => Json::Object(out),
        Err(message) => json!({ "error": message }),
    }
}

fn run(case: &Json) -> Result<Map<String, Json>, String> {
    let case = case.as_object().ok_or("a case is a JSON object")?;
    let spec = spec(case)?;
    let mode = match case.get("compile_mode").and_then(Json::as_str) {
        None | Some("keda_current") | Some("none") => CompileMode::KedaCurrent,
        Some("raw_no_env") => CompileMode::RawNoEnv,
        Some("legacy_asfloat64") => CompileMode::LegacyAsFloat64,
        Some("legacy_v2_12") => CompileMode::LegacyV2_12,
        Some(other) => return Err(format!("compile_mode: unknown mode {other:?}")),
    };
    let mut out = Map::new();
    let admitted = admit(&spec, mode);
    if mode != CompileMode::RawNoEnv {
        out.insert(
            "admission".into(),
            json!(if admitted.is_ok() {
                "accepted"
            } else {
                "rejected"
            }),
        );
    }
    let modifiers = match admitted {
        Ok(m) => m,
        Err(e) => {
            out.insert("admission_error".into(), json!(e.message));
            return Ok(out);
        }
    };
    let Some(vars) = case.get("vars") else {
        return Ok(out);
    };
    let Some(modifiers) = modifiers else {
        if !vars.is_null() {
            out.insert(
                "runtime_error".into(),
                json!(super::RuntimeError::NoFormula.to_string()),
            );
        }
        return Ok(out);
    };
    let has_fallback = spec.fallback.is_some();
    let failed = if has_fallback {
        Reading::Failed
    } else {
        Reading::Missing
    };
    let readings: Vec<Reading> = match vars {
        Json::Null if !has_fallback => return Ok(out),
        Json::Null => vec![Reading::Failed; modifiers.env().len()],
        Json::Object(vars) => modifiers
            .env()
            .iter()
            .map(|name| match vars.get(name) {
                None => Ok(Reading::Missing),
                Some(Json::Null) => Ok(failed),
                Some(v) => v
                    .as_f64()
                    .map(Reading::Value)
                    .ok_or_else(|| format!("vars.{name}: expected a number or null")),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("vars: expected an object or null".into()),
    };
    let hpa = case.get("hpa").filter(|h| !h.is_null());
    let current = match hpa.and_then(|h| h.get("currentReplicas")) {
        Some(v) => Some(int_field(v, "hpa.currentReplicas")?),
        None => None,
    };
    match modifiers.evaluate_with_current(&readings, current) {
        Ok(composite) => {
            out.insert("value".into(), number(composite.value));
            out.insert("milli".into(), json!(composite.milli));
            out.insert("active".into(), json!(composite.active));
            if let Some(hpa) = hpa {
                let bounds = ReplicaBounds {
                    min: int_field(
                        hpa.get("minReplicaCount").unwrap_or(&json!(0)),
                        "hpa.minReplicaCount",
                    )?,
                    max: int_field(
                        hpa.get("maxReplicaCount").unwrap_or(&json!(100)),
                        "hpa.maxReplicaCount",
                    )?,
                    current,
                };
                let replicas = desired_replicas(
                    composite.milli,
                    modifiers.target(),
                    modifiers.metric_type(),
                    composite.active,
                    bounds,
                );
                out.insert("hpa_desired_replicas".into(), json!(replicas));
            }
        }
        Err(e) => {
            out.insert("runtime_error".into(), json!(e.to_string()));
        }
    }
    Ok(out)
}

fn spec(case: &Map<String, Json>) -> Result<ModifierSpec, String> {
    let text = |key: &str| -> Result<Option<String>, String> {
        match case.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            // A YAML number where the CRD wants a string: kept as its text.
            Some(Json::Number(n)) if key != "formula" => Ok(Some(n.to_string())),
            Some(_) => Err(format!("{key}: expected a string")),
        }
    };
    let triggers = match case.get("triggers") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let field = |k: &str| match t.get(k) {
                    None | Some(Json::Null) => Ok(String::new()),
                    Some(Json::String(s)) => Ok(s.clone()),
                    Some(_) => Err(format!("triggers[{i}].{k}: expected a string")),
                };
                Ok(Trigger::new(&field("name")?, &field("type")?))
            })
            .collect::<Result<_, String>>()?,
        Some(_) => return Err("triggers: expected an array".into()),
    };
    let fallback = match case.get("fallback") {
        None | Some(Json::Null) => None,
        Some(f) => {
            let behavior = match f.get("behavior") {
                None | Some(Json::Null) => FallbackBehavior::Static,
                Some(Json::String(s)) => FallbackBehavior::parse(s)
                    .ok_or_else(|| format!("fallback.behavior: unknown behavior {s:?}"))?,
                Some(_) => return Err("fallback.behavior: expected a string".into()),
            };
            Some(Fallback {
                failure_threshold: int_field(
                    f.get("failureThreshold").unwrap_or(&json!(3)),
                    "fallback.failureThreshold",
                )?,
                replicas: int_field(f.get("replicas").unwrap_or(&json!(0)), "fallback.replicas")?,
                behavior,
            })
        }
    };
    Ok(ModifierSpec {
        formula: text("formula")?,
        target: text("target")?.unwrap_or_default(),
        activation_target: text("activationTarget")?,
        metric_type: text("metricType")?,
        triggers,
        fallback,
    })
}

fn int_field(v: &Json, name: &str) -> Result<i32, String> {
    v.as_i64()
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| format!("{name}: expected an int32"))
}

fn number(v: f64) -> Json {
    match serde_json::Number::from_f64(v) {
        Some(n) => Json::Number(n),
        None => Json::String(crate::format_float(v)),
    }
}
