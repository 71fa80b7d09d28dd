//! Evaluation and compilation speed, each figure beside a hand-written Rust baseline run in
//! the same process (the ratio is what to quote).
//!
//! - `seed`: the three seed formulas of SPEC over a table of 1,024 input sets; every
//!   evaluation sets the six inputs by slot and writes its result to an output buffer
//!   (throughput, as in a tick).
//! - `tick`: one `Inputs` of 1,000 metrics shared by 1,000,000 seed-shaped formulas.
//! - `compile`: parse + check + fold + codegen of each seed formula.
//!
//! `cargo bench --bench eval` (add `-- seed` for one group). Results are checked against the
//! baseline before anything is timed.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scalemod::{Formula, FormulaSet, Inputs, Schema};
use std::hint::black_box;

const METRICS: [&str; 6] = [
    "validation_drift",
    "available_gpus",
    "request_queue_length",
    "tokens_per_min",
    "pod_count",
    "request_rate",
];

const F1: &str =
    "validation_drift > 0.1 && available_gpus >= 2 && request_queue_length < 1000 ? 1 : 0";
const F2: &str = "1 / (tokens_per_min / pod_count)";
const F3: &str = "tokens_per_min >= 5000 ? request_rate : 0";

/// A hand-written formula over the six metrics.
type Native = fn(&[f64; 6]) -> f64;

#[inline(never)]
fn f1(m: &[f64; 6]) -> f64 {
    if m[0] > 0.1 && m[1] >= 2.0 && m[2] < 1000.0 {
        1.0
    } else {
        0.0
    }
}

#[inline(never)]
fn f2(m: &[f64; 6]) -> f64 {
    1.0 / (m[3] / m[4])
}

#[inline(never)]
fn f3(m: &[f64; 6]) -> f64 {
    if m[3] >= 5000.0 {
        m[5]
    } else {
        0.0
    }
}

/// A small deterministic generator (xorshift), so every run times the same table.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, max: f64) -> f64 {
        (self.next() * max * 1000.0).round() / 1000.0
    }
}

/// 1,024 input sets in realistic ranges, about half of them passing each guard.
fn table() -> Vec<[f64; 6]> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..1024)
        .map(|_| {
            [
                rng.below(0.2),
                rng.below(4.0).floor(),
                rng.below(2000.0),
                rng.below(10_000.0),
                1.0 + rng.below(9.0).floor(),
                rng.below(200.0),
            ]
        })
        .collect()
}

fn seed(c: &mut Criterion) {
    let schema = Schema::floats(METRICS);
    let slots: Vec<_> = METRICS.iter().map(|m| schema.slot(m).unwrap()).collect();
    let rows = table();
    let mut group = c.benchmark_group("seed");
    group.throughput(Throughput::Elements(rows.len() as u64));
    let seeds: [(&str, &str, Native); 3] = [("F1", F1, f1), ("F2", F2, f2), ("F3", F3, f3)];
    for (name, source, native) in seeds {
        let formula = Formula::compile(source, &schema).unwrap();
        let mut inputs = Inputs::new(&schema);
        // Check before timing: same result as the baseline on every row.
        for row in &rows {
            for (slot, v) in slots.iter().zip(row) {
                inputs.set_f64(*slot, *v);
            }
            let got = formula.eval_f64(&inputs).unwrap();
            assert_eq!(got.to_bits(), native(row).to_bits(), "{name} on {row:?}");
        }
        let mut out = vec![0.0; rows.len()];
        group.bench_function(BenchmarkId::new("rust_fn", name), |b| {
            b.iter(|| {
                for (row, o) in rows.iter().zip(out.iter_mut()) {
                    *o = native(black_box(row));
                }
                black_box(&out);
            })
        });
        group.bench_function(BenchmarkId::new("scalemod", name), |b| {
            b.iter(|| {
                for (row, o) in rows.iter().zip(out.iter_mut()) {
                    for (slot, v) in slots.iter().zip(black_box(row)) {
                        inputs.set_f64(*slot, *v);
                    }
                    *o = formula.eval_f64(&inputs).unwrap_or(f64::NAN);
                }
                black_box(&out);
            })
        });
    }
    group.finish();
}

/// Seed-shaped formula `i` over 1,000 metrics `m0`…`m999`, with varied names, constants and
/// operators, mixed with `??`, `max/min` and `count([..], {# > ..})`.
fn tick_formula(i: usize) -> String {
    let m = |k: usize| format!("m{}", (i * 7 + k * 13) % 1000);
    let c = 1 + i % 97;
    match i % 6 {
        0 => format!(
            "{} > 0.{c} && {} >= {} && {} < {}0 ? 1 : 0",
            m(0),
            m(1),
            c % 5,
            m(2),
            c
        ),
        1 => format!("1 / ({} / {})", m(0), m(1)),
        2 => format!("{} >= {c}00 ? {} : 0", m(0), m(1)),
        3 => format!("({} ?? 0) * {c} + {}", m(0), m(1)),
        4 => format!("max({}, {}) / {c}", m(0), m(1)),
        _ => format!("count([{}, {}, {}], {{# > {c}}})", m(0), m(1), m(2)),
    }
}

fn tick(c: &mut Criterion) {
    const FORMULAS: usize = 1_000_000;
    let names: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let schema = Schema::floats(&names);
    let mut inputs = Inputs::new(&schema);
    let mut rng = Rng(42);
    for name in &names {
        inputs.set_f64(schema.slot(name).unwrap(), rng.below(100.0));
    }
    let metric = |name: &str| match inputs.get(schema.slot(name).unwrap()) {
        scalemod::Value::Float(f) => f,
        other => panic!("{other}"),
    };
    // The same formulas by hand, over the same metrics.
    let values: Vec<f64> = names.iter().map(|n| metric(n)).collect();
    let native = |i: usize| -> f64 {
        let m = |k: usize| values[(i * 7 + k * 13) % 1000];
        let c = (1 + i % 97) as f64;
        match i % 6 {
            0 => {
                let t = format!("0.{}", 1 + i % 97).parse::<f64>().unwrap();
                if m(0) > t && m(1) >= c % 5.0 && m(2) < c * 10.0 {
                    1.0
                } else {
                    0.0
                }
            }
            1 => 1.0 / (m(0) / m(1)),
            2 => {
                if m(0) >= c * 100.0 {
                    m(1)
                } else {
                    0.0
                }
            }
            3 => m(0) * c + m(1),
            4 => (if m(0) < m(1) { m(1) } else { m(0) }) / c,
            _ => [m(0), m(1), m(2)].iter().filter(|x| **x > c).count() as f64,
        }
    };
    let set = FormulaSet::from_formulas(
        (0..FORMULAS)
            .map(|i| Formula::compile(&tick_formula(i), &schema).unwrap())
            .collect(),
    );
    let expected: Vec<f64> = (0..FORMULAS).map(native).collect();
    let mut out = vec![0.0; FORMULAS];
    set.eval_f64_into(&inputs, &mut out, |i, e| panic!("formula {i}: {e}"));
    for (i, (got, want)) in out.iter().zip(&expected).enumerate() {
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "formula {i}: {}",
            tick_formula(i)
        );
    }
    let mut group = c.benchmark_group("tick");
    group.sample_size(20);
    group.throughput(Throughput::Elements(FORMULAS as u64));
    group.bench_function("rust_fn", |b| {
        b.iter(|| {
            for (i, o) in out.iter_mut().enumerate() {
                *o = native(black_box(i));
            }
            black_box(&out);
        })
    });
    group.bench_function("scalemod", |b| {
        b.iter(|| {
            set.eval_f64_into(black_box(&inputs), &mut out, |_, _| {});
            black_box(&out);
        })
    });
    group.bench_function("scalemod_parallel", |b| {
        b.iter(|| {
            set.par_eval_f64_into(black_box(&inputs), &mut out, None, |_, _| {});
            black_box(&out);
        })
    });
    group.finish();
}

fn compile(c: &mut Criterion) {
    let schema = Schema::floats(METRICS);
    let mut group = c.benchmark_group("compile");
    for (name, source) in [("F1", F1), ("F2", F2), ("F3", F3)] {
        group.bench_function(BenchmarkId::new("scalemod", name), |b| {
            b.iter(|| Formula::compile(black_box(source), &schema).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, seed, tick, compile);
criterion_main!(benches);
