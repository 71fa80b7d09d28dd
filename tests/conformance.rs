//! expr's own test suite, as recorded from expr v1.17.8 (`tests/data/expr_cases.jsonl`): every
//! case's value and type, or its rendered error, through the JSON-lines protocol.
#![cfg(feature = "cli")]

use serde_json::Value as Json;

fn cases() -> Vec<Json> {
    include_str!("data/expr_cases.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("corpus line is JSON"))
        .collect()
}

fn is_optional(case: &Json) -> bool {
    case["tags"]
        .as_array()
        .is_some_and(|tags| tags.iter().any(|t| t == "string"))
}

/// Numbers compare by value (the corpus writes 256 for the float 256.0); non-finite floats
/// are strings on both sides.
fn same_value(got: &Json, want: &Json) -> bool {
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

/// The reason a case fails, or `None` when it passes.
fn verdict(case: &Json) -> Option<String> {
    let got = scalemod::jsonl::eval_case(case);
    let want = &case["expected"];
    if let Some(message) = want.get("error_full") {
        let phase = want["phase"].as_str().unwrap_or("");
        if got.get("error") != Some(message) {
            return Some(format!("want error {message}, got {got}"));
        }
        // Errors found while compiling have a compile-time kind; `1 % 0`, found by the
        // folder, is the one compile-time error of kind `runtime`.
        let kind = got["kind"].as_str().unwrap_or("");
        let run_kind = kind == "runtime";
        let folded = message
            .as_str()
            .is_some_and(|m| m.starts_with("integer divide by zero"));
        if (phase == "run") != (run_kind && !folded) {
            return Some(format!("want phase {phase}, got kind {kind}"));
        }
        return None;
    }
    if got["type"] != want["type"] || !same_value(&got["value"], &want["value"]) {
        return Some(format!("want {want}, got {got}"));
    }
    None
}

#[test]
fn expr_corpus_passes() {
    let cases = cases();
    assert_eq!(cases.len(), 500);
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases.iter().filter(|c| !is_optional(c)) {
        ran += 1;
        if let Some(why) = verdict(case) {
            failures.push(format!("#{} {}: {why}", case["id"], case["expr"]));
        }
    }
    assert!(ran >= 480, "only {ran} cases ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn optional_string_cases_fail_cleanly() {
    // Strings are out of scope: each such case must give an error, never a panic.
    for case in cases().iter().filter(|c| is_optional(c)) {
        let got = scalemod::jsonl::eval_case(case);
        assert!(
            got.get("error").is_some() || got.get("value").is_some(),
            "{got}"
        );
    }
}
