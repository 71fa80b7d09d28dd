//! expr's own test suite, as recorded from expr v1.17.8 (`tests/data/expr_cases.jsonl`): every
//! case's value and type, or its rendered error, through the JSON-lines protocol.
#![cfg(feature = "cli")]

mod common;
use common::{expr_cases, is_optional, verdict};

#[test]
fn expr_corpus_passes() {
    let cases = expr_cases();
    assert_eq!(cases.len(), 500);
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases.iter().filter(|c| !is_optional(c)) {
        ran += 1;
        let got = scalemod::jsonl::eval_case(case);
        if let Some(why) = verdict(case, &got) {
            failures.push(format!("#{} {}: {why}", case["id"], case["expr"]));
        }
    }
    assert_eq!(ran, 488);
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn optional_string_cases_fail_cleanly() {
    // Strings are out of scope: each such case gives an error (never a panic or a value).
    for case in expr_cases().iter().filter(|c| is_optional(c)) {
        let got = scalemod::jsonl::eval_case(case);
        assert!(got.get("error").is_some(), "{got}");
    }
}
