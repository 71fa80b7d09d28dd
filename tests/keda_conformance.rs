//! KEDA's scaling-modifier corpus (`tests/data/keda_cases.json`, copied from
//! `conformance/keda_cases.json`): admission decision and message, composite value, milli,
//! activation, desired replicas and runtime errors, through the library and through
//! `scalemod keda --jsonl`.
#![cfg(feature = "cli")]

use serde_json::Value as Json;
use std::io::Write;
use std::process::{Command, Stdio};

fn cases() -> Vec<Json> {
    let text = std::fs::read_to_string("tests/data/keda_cases.json").expect("corpus present");
    let Json::Array(cases) = serde_json::from_str(&text).expect("corpus is JSON") else {
        panic!("corpus is an array");
    };
    cases
}

/// Cases where scalemod differs from KEDA on purpose or by scope, with the reason.
fn divergence(id: &str) -> Option<&'static str> {
    match id {
        // SPEC §5: a non-finite composite is a typed error, not KEDA's garbage milli value.
        "edge-div-by-zero" | "edge-zero-div-zero" | "edge-large" => Some("non-finite"),
        // Strings are out of the language's scope (SPEC §1).
        "edge-numeric-string" | "edge-string-result" => Some("strings"),
        _ => None,
    }
}

/// The fields of `expected` that `actual` gets wrong, as messages.
fn mismatches(expected: &Json, actual: &Json) -> Vec<String> {
    let mut wrong = Vec::new();
    let Some(expected) = expected.as_object() else {
        return vec!["expected is not an object".into()];
    };
    for (field, want) in expected {
        let got = actual.get(field.as_str());
        let ok = match field.as_str() {
            // Informative fields of the corpus, not outputs of the protocol.
            "formula_evaluated" | "formula_result" | "nil_fallback" => true,
            "error_contains" => {
                let want = want.as_str().unwrap_or_default();
                ["admission_error", "runtime_error"].iter().any(|k| {
                    actual
                        .get(*k)
                        .and_then(Json::as_str)
                        .is_some_and(|s| s.contains(want))
                })
            }
            "value" => match (want.as_f64(), got.and_then(Json::as_f64)) {
                (Some(w), Some(g)) => w == g,
                _ => Some(want) == got,
            },
            _ => Some(want) == got,
        };
        if !ok {
            wrong.push(format!(
                "{field}: expected {want}, got {}",
                got.unwrap_or(&Json::Null)
            ));
        }
    }
    wrong
}

#[test]
fn every_case_gives_kedas_result_through_the_library() {
    let cases = cases();
    assert_eq!(cases.len(), 109);
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        let actual = scalemod::keda::jsonl::eval_case(case);
        let wrong = mismatches(&case["expected"], &actual);
        match divergence(id) {
            None if !wrong.is_empty() => {
                failures.push(format!("{id}: {}\n  got {actual}", wrong.join("; ")))
            }
            Some("non-finite") => {
                let err = actual["runtime_error"].as_str().unwrap_or_default();
                if !err.starts_with("composite metric") {
                    failures.push(format!("{id}: expected the non-finite error, got {actual}"));
                }
            }
            Some(_) if wrong.is_empty() => {
                failures.push(format!("{id}: listed as a divergence but agrees with KEDA"));
            }
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_cli_answers_every_case_as_the_library_does() {
    let cases = cases();
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scalemod"))
        .args(["keda", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("scalemod runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("scalemod exits");
    writer.join().expect("writer").expect("write");
    assert!(output.status.success());
    let lines: Vec<&str> = std::str::from_utf8(&output.stdout)
        .expect("utf-8")
        .lines()
        .collect();
    assert_eq!(lines.len(), cases.len());
    for (case, line) in cases.iter().zip(lines) {
        let got: Json = serde_json::from_str(line).expect("an output line is JSON");
        assert_eq!(
            got,
            scalemod::keda::jsonl::eval_case(case),
            "case {}",
            case["id"]
        );
    }
}

#[test]
fn malformed_lines_get_error_lines() {
    for line in [
        "{",
        "[]",
        r#"{"triggers": 3}"#,
        r#"{"formula": "a", "target": "1", "triggers": [{"name": "a"}], "vars": {"a": "x"}}"#,
    ] {
        let out: Json =
            serde_json::from_str(&scalemod::keda::jsonl::eval_line(line)).expect("JSON");
        assert!(out["error"].is_string(), "{line} gave {out}");
    }
}
