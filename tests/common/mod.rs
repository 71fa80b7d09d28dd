//! Helpers shared by the integration tests: the corpus and how its expectations are judged.
#![allow(dead_code)]

use serde_json::Value as Json;

/// The expr corpus, one JSON object per case.
pub fn expr_cases() -> Vec<Json> {
    include_str!("../data/expr_cases.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("corpus line is JSON"))
        .collect()
}

/// Cases tagged `string` exercise strings, which are out of scope.
pub fn is_optional(case: &Json) -> bool {
    case["tags"]
        .as_array()
        .is_some_and(|tags| tags.iter().any(|t| t == "string"))
}

/// Numbers compare by value (the corpus writes 256 for the float 256.0); non-finite floats
/// are strings on both sides.
pub fn same_value(got: &Json, want: &Json) -> bool {
    match (got, want) {
        (Json::Number(a), Json::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => a.as_f64() == b.as_f64(),
        },
        (Json::Array(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
        }
        _ => got == want,
    }
}

/// Why the output `got` does not meet the case's expectation, or `None` when it does.
pub fn verdict(case: &Json, got: &Json) -> Option<String> {
    let want = &case["expected"];
    if let Some(message) = want.get("error_full") {
        let phase = want["phase"].as_str().unwrap_or("");
        if got.get("error") != Some(message) {
            return Some(format!("want error {message}, got {got}"));
        }
        // Errors found while compiling have a compile-time kind; `1 % 0`, found by the
        // folder, is the one compile-time error of kind `runtime`.
        let kind = got["kind"].as_str().unwrap_or("");
        let folded = message
            .as_str()
            .is_some_and(|m| m.starts_with("integer divide by zero"));
        if (phase == "run") != (kind == "runtime" && !folded) {
            return Some(format!("want phase {phase}, got kind {kind}"));
        }
        return None;
    }
    if got["type"] != want["type"] || !same_value(&got["value"], &want["value"]) {
        return Some(format!("want {want}, got {got}"));
    }
    None
}
