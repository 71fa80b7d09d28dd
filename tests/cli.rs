//! The `scalemod` binary: its JSON-lines mode over the whole corpus, line by line, and the
//! exit codes and output of `eval` and `check`.
#![cfg(feature = "cli")]

mod common;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn scalemod(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scalemod"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scalemod runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("scalemod finishes")
}

#[test]
fn jsonl_agrees_with_the_corpus_line_by_line() {
    let corpus = include_str!("data/expr_cases.jsonl");
    let out = scalemod(&["eval", "--jsonl"], corpus.as_bytes());
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let cases = common::expr_cases();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), cases.len());
    for (case, line) in cases.iter().zip(lines) {
        let got: serde_json::Value = serde_json::from_str(line).expect("output line is JSON");
        if common::is_optional(case) {
            assert!(got.get("error").is_some(), "#{}: {line}", case["id"]);
        } else if let Some(why) = common::verdict(case, &got) {
            panic!("#{} {}: {why}", case["id"], case["expr"]);
        }
    }
}

#[test]
fn jsonl_output_keeps_the_documented_key_order() {
    let out = scalemod(
        &["eval", "--jsonl"],
        b"{\"expr\": \"1 / 0\"}\n{\"expr\": \"1 +\"}\n",
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(
        stdout,
        "{\"value\":\"+Inf\",\"type\":\"float\"}\n\
         {\"error\":\"unexpected token EOF (1:3)\\n | 1 +\\n | ..^\",\"kind\":\"parse\"}\n"
    );
}

#[test]
fn malformed_lines_get_error_lines() {
    let input: &[u8] = b"{\"expr\": \"2 * 3\"}\n{not json\n\xff\xfe\x00\n[1, 2]\n{\"expr\": 5}\n{\"expr\": \"x\", \"env\": {\"x\": \"text\"}}\n\n{\"expr\": \"1\", \"options\": [\"Bogus\"]}\n";
    let out = scalemod(&["eval", "--jsonl"], input);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert_eq!(lines[0]["value"], 6);
    for line in &lines[1..] {
        assert_eq!(line["kind"], "parse", "{line}");
        assert!(line["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("malformed input line")));
    }
}

#[test]
fn eval_prints_the_value() {
    let out = scalemod(
        &[
            "eval",
            "tokens_per_min >= 5000 ? request_rate : 0",
            "tokens_per_min=6000.0",
            "request_rate=12.5",
        ],
        b"",
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "12.5\n");
    let out = scalemod(&["eval", "x ?? 7", "x=nil"], b"");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "7\n");
}

#[test]
fn eval_error_is_rendered_on_stderr_with_exit_1() {
    let out = scalemod(&["eval", "pod_cuont * 2", "pod_count=3"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "unknown name pod_cuont (1:1)\n | pod_cuont * 2\n | ^\nhelp: did you mean `pod_count`?\n"
    );
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &[][..],
        &["eval"][..],
        &["frobnicate"][..],
        &["eval", "1", "novalue"][..],
    ] {
        let out = scalemod(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn check_reports_inputs_and_type() {
    let out = scalemod(
        &[
            "check",
            "1 / (tokens_per_min / pod_count)",
            "--vars",
            "tokens_per_min,pod_count,unused",
        ],
        b"",
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok\ninputs: tokens_per_min, pod_count\ntype: float\n"
    );
    let out = scalemod(&["check", "a +", "--vars", "a"], b"");
    assert_eq!(out.status.code(), Some(1));
}
