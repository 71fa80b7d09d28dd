//! Every example in `docs/language.md` is checked here, through the JSON-lines protocol
//! (`scalemod::jsonl::eval_case`).
//!
//! Two kinds of fenced blocks are checked:
//!
//! - ```` ```formula ```` blocks: every non-empty line is one example,
//!   `EXPRESSION  =>  RESULT` or `EXPRESSION with NAME=VALUE ...  =>  RESULT`, where RESULT is
//!   `VALUE : TYPE` (the `value` and `type` the JSON protocol prints; numbers compare by value,
//!   `+Inf`, `-Inf` and `NaN` stand for those floats, `null` for nil) or `error: MESSAGE` (the
//!   rendered error must start with MESSAGE). Input values are JSON (`1.5` is a float, `3` an
//!   int, `null` nil, `[1, 2]` an array); `NAME:TYPE=VALUE` also declares the input's type (as
//!   the protocol's `types`), so `m:float=null` is a float metric that is missing this tick.
//! - ```` ```rendered ```` blocks: the first line is `formula: EXPRESSION [with ...]`, the rest
//!   is the complete rendered error, compared exactly.
#![cfg(feature = "cli")]

mod common;
use common::same_value;
use serde_json::{json, Map, Value as Json};

const DOC: &str = include_str!("../docs/language.md");

/// A fenced block: its info string, the line number of its first content line, its lines.
struct Block<'a> {
    info: &'a str,
    first_line: usize,
    lines: Vec<&'a str>,
}

fn blocks(doc: &str) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in doc.lines().enumerate() {
        let trimmed = line.trim_start();
        match current.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    current = Some(Block {
                        info: info.trim(),
                        first_line: i + 2,
                        lines: Vec::new(),
                    });
                }
            }
            Some(mut block) => {
                if trimmed.starts_with("```") {
                    out.push(block);
                } else {
                    block.lines.push(line);
                    current = Some(block);
                }
            }
        }
    }
    assert!(
        current.is_none(),
        "docs/language.md has an unclosed code block"
    );
    out
}

/// Splits `EXPRESSION [with NAME=VALUE ...]` into the case's `expr`, `env` and `types`.
fn parse_case(lhs: &str) -> Result<Json, String> {
    let (expr, inputs) = match lhs.rfind(" with ") {
        Some(at) => (&lhs[..at], Some(&lhs[at + " with ".len()..])),
        None => (lhs, None),
    };
    let mut env = Map::new();
    let mut types = Map::new();
    let mut rest = inputs.unwrap_or("").trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("input without '=': {rest:?}"))?;
        let (name, ty) = match rest[..eq].split_once(':') {
            Some((name, ty)) => (name, Some(ty)),
            None => (&rest[..eq], None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(format!("bad input name {name:?}"));
        }
        let mut values = serde_json::Deserializer::from_str(&rest[eq + 1..]).into_iter::<Json>();
        let value = match values.next() {
            Some(Ok(value)) => value,
            _ => return Err(format!("bad JSON value for input {name}")),
        };
        let used = values.byte_offset();
        rest = rest[eq + 1 + used..].trim_start();
        env.insert(name.to_string(), value);
        if let Some(ty) = ty {
            types.insert(name.to_string(), Json::String(ty.to_string()));
        }
    }
    let mut case = json!({ "expr": expr.trim(), "env": env });
    if !types.is_empty() {
        case["types"] = Json::Object(types);
    }
    Ok(case)
}

/// Checks one `formula` line; the reason it fails, or `None`.
fn check_formula_line(line: &str) -> Option<String> {
    let Some((lhs, rhs)) = line.split_once("  =>  ") else {
        return Some("not of the form `EXPRESSION  =>  RESULT`".into());
    };
    let case = match parse_case(lhs) {
        Ok(case) => case,
        Err(e) => return Some(e),
    };
    let got = scalemod::jsonl::eval_case(&case);
    let rhs = rhs.trim();
    if let Some(message) = rhs.strip_prefix("error: ") {
        return match got.get("error").and_then(Json::as_str) {
            Some(error) if error.starts_with(message) => None,
            _ => Some(format!("want error {message:?}, got {got}")),
        };
    }
    let Some((value, ty)) = rhs.rsplit_once(" : ") else {
        return Some(format!(
            "result {rhs:?} is not `VALUE : TYPE` or `error: MESSAGE`"
        ));
    };
    let want_value = match value.trim() {
        v @ ("+Inf" | "-Inf" | "NaN") => Json::String(v.to_string()),
        v => match serde_json::from_str::<Json>(v) {
            Ok(v) => v,
            Err(_) => return Some(format!("result value {v:?} is not JSON")),
        },
    };
    if got.get("type").and_then(Json::as_str) != Some(ty.trim())
        || !same_value(&got["value"], &want_value)
    {
        return Some(format!("want {value} : {ty}, got {got}"));
    }
    None
}

#[test]
fn every_example_in_the_language_reference_holds() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for block in blocks(DOC) {
        match block.info {
            "formula" => {
                for (i, line) in block.lines.iter().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    checked += 1;
                    if let Some(why) = check_formula_line(line) {
                        failures.push(format!(
                            "docs/language.md:{}: {}\n    {why}",
                            block.first_line + i,
                            line.trim()
                        ));
                    }
                }
            }
            "rendered" => {
                checked += 1;
                let header = block.lines.first().copied().unwrap_or("");
                let Some(lhs) = header.strip_prefix("formula: ") else {
                    failures.push(format!(
                        "docs/language.md:{}: a rendered block must start with `formula: `",
                        block.first_line
                    ));
                    continue;
                };
                let want = block.lines[1..].join("\n");
                let got = parse_case(lhs).map(|case| scalemod::jsonl::eval_case(&case));
                match got {
                    Ok(got) if got.get("error").and_then(Json::as_str) == Some(want.as_str()) => {}
                    Ok(got) => failures.push(format!(
                        "docs/language.md:{}: {lhs}\n    want error:\n{want}\n    got {got}",
                        block.first_line
                    )),
                    Err(e) => failures.push(format!(
                        "docs/language.md:{}: {lhs}\n    {e}",
                        block.first_line
                    )),
                }
            }
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} examples in docs/language.md do not hold:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked >= 60,
        "only {checked} examples found in docs/language.md (expected at least 60)"
    );
}

#[test]
fn the_example_syntax_is_parsed_as_documented() {
    let case = parse_case("a + b with a=1.5 b=3 xs=[1, 2] m:float=null").unwrap();
    assert_eq!(
        case,
        json!({
            "expr": "a + b",
            "env": {"a": 1.5, "b": 3, "xs": [1, 2], "m": null},
            "types": {"m": "float"}
        })
    );
    assert_eq!(check_formula_line("7 / 2  =>  3.5 : float"), None);
    assert_eq!(check_formula_line("1 / 0  =>  +Inf : float"), None);
    assert!(check_formula_line("7 / 2  =>  3 : float").is_some());
    assert!(check_formula_line("7 / 2  =>  3.5 : int").is_some());
    assert_eq!(
        check_formula_line("1 % 0  =>  error: integer divide by zero"),
        None
    );
    assert!(check_formula_line("1 % 1  =>  error: integer divide by zero").is_some());
}

/// §2 says the Rust API adds a "did you mean" hint to an unknown name.
#[test]
fn unknown_names_carry_the_documented_hint() {
    let schema = scalemod::Schema::floats(["pod_cout"]);
    let err = scalemod::Formula::compile("pod_count + 1", &schema).unwrap_err();
    assert_eq!(err.message(), "unknown name pod_count");
    assert_eq!(err.help(), Some("did you mean `pod_cout`?"));
}
