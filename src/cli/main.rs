//! The `scalemod` command line: check, evaluate and replay formulas.

use scalemod::{jsonl, Formula, Schema};
use serde_json::{Map, Value as Json};
use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  scalemod eval 'FORMULA' [NAME=VALUE]...   evaluate once; VALUE is JSON (1.5, 3, true, null, [1,2])
  scalemod eval --jsonl                     evaluate JSON lines from stdin, one result line each
  scalemod keda --jsonl                     KEDA cases (formula, triggers, target, fallback, vars,
                                            hpa) from stdin: admission, composite metric, replicas
  scalemod check 'FORMULA' [--vars a,b,c] [--disasm]
                                            check against float inputs; print inputs used and type
  scalemod --help";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["eval", "--jsonl"] => jsonl_loop(jsonl::eval_line),
        ["keda", "--jsonl"] => jsonl_loop(scalemod::keda::jsonl::eval_line),
        ["eval", formula, assignments @ ..] if !formula.starts_with("--") => {
            eval_once(formula, assignments)
        }
        ["check", formula, rest @ ..] if !formula.starts_with("--") => check(formula, rest),
        ["--help" | "-h" | "help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => usage_error("expected a command"),
    }
}

fn usage_error(why: &str) -> ExitCode {
    eprintln!("scalemod: {why}\n{USAGE}");
    ExitCode::from(2)
}

/// Prints a rendered error (and its hint) on stderr.
fn report(error: &scalemod::Error) -> ExitCode {
    eprintln!("{error}");
    if let Some(help) = error.help() {
        eprintln!("help: {help}");
    }
    ExitCode::from(1)
}

fn eval_once(formula: &str, assignments: &[&str]) -> ExitCode {
    let mut env = Map::new();
    for assignment in assignments {
        let Some((name, text)) = assignment.split_once('=') else {
            return usage_error(&format!("expected NAME=VALUE, got {assignment:?}"));
        };
        let value = match text {
            "nil" => Json::Null,
            _ => match serde_json::from_str::<Json>(text) {
                Ok(v) => v,
                Err(_) => return usage_error(&format!("{name}: {text:?} is not a JSON value")),
            },
        };
        env.insert(name.to_string(), value);
    }
    let case = serde_json::json!({ "expr": formula, "env": env });
    match jsonl::evaluate(&case) {
        Ok((value, _)) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(e) => report(&e),
    }
}

/// Answers JSON lines from stdin with `answer`, one output line each, in order.
fn jsonl_loop(answer: fn(&str) -> String) -> ExitCode {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.split(b'\n') {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!("scalemod: reading stdin: {e}");
                return ExitCode::from(1);
            }
        };
        let result = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => answer(text),
            Err(_) => serde_json::json!({
                "error": "malformed input line: not valid UTF-8",
                "kind": "parse"
            })
            .to_string(),
        };
        if writeln!(out, "{result}").is_err() {
            return ExitCode::from(1);
        }
    }
    if out.flush().is_err() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn check(formula: &str, rest: &[&str]) -> ExitCode {
    let mut vars: Vec<&str> = Vec::new();
    let mut disasm = false;
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            "--vars" => {
                let Some(list) = rest.get(i + 1) else {
                    return usage_error("--vars needs a comma-separated list");
                };
                vars.extend(list.split(',').map(str::trim).filter(|v| !v.is_empty()));
                i += 2;
            }
            "--disasm" => {
                disasm = true;
                i += 1;
            }
            other => return usage_error(&format!("unexpected argument {other:?}")),
        }
    }
    let schema = Schema::floats(vars);
    match Formula::compile(formula, &schema) {
        Ok(f) => {
            let used: Vec<&str> = f.inputs().iter().filter_map(|s| schema.name(*s)).collect();
            println!("ok");
            println!("inputs: {}", used.join(", "));
            println!(
                "type: {}",
                f.result_type()
                    .map_or("unknown (decided at run time)", |t| t.as_str())
            );
            if disasm {
                print!("{}", f.disassemble());
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(&e),
    }
}
