#!/usr/bin/env python3
"""Runs a criterion group of `benches/eval.rs` several times and prints the median of each
benchmark's estimate, with its ratio to the baseline of the same run: the hand-written Rust
fn in `seed` and `tick`, the minimal pest parser `pest_floor` in `compile`.

    python3 benches/medians.py [RUNS] [FILTER]     (defaults: 7 'seed/(rust_fn|scalemod|fasteval)/')

Each run is a full `cargo bench` of the filtered benchmarks (1 s warm-up, 3 s measurement);
the ratio is taken within each run, then its median reported, so the machine's drift between
runs cancels. Times are per evaluation (the seed group evaluates 1,024 rows per iteration;
the tick group 1,000,000 formulas).
"""
import re
import statistics
import subprocess
import sys

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
pattern = sys.argv[2] if len(sys.argv) > 2 else "seed/(rust_fn|scalemod|fasteval)/"
units = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
per_iteration = {"seed": 1024, "tick": 1_000_000, "compile": 1}
baseline = {"seed": "rust_fn", "tick": "rust_fn", "compile": "pest_floor"}
line = re.compile(r"^(\S+)\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]")

samples = {}
ratios = {}
for run in range(runs):
    out = subprocess.run(
        ["cargo", "bench", "--bench", "eval", "--", pattern,
         "--warm-up-time", "1", "--measurement-time", "3"],
        capture_output=True, text=True, check=True,
    ).stdout
    times = {}
    for m in map(line.match, out.splitlines()):
        if m:
            name = m.group(1)
            group = name.split("/")[0]
            times[name] = float(m.group(2)) * units[m.group(3)] / per_iteration.get(group, 1)
    for name, t in times.items():
        samples.setdefault(name, []).append(t)
        parts = name.split("/")
        base = "/".join([parts[0], baseline.get(parts[0], "rust_fn")] + parts[2:])
        if base in times:
            ratios.setdefault(name, []).append(t / times[base])
    print(f"run {run + 1}/{runs}: {len(times)} benchmarks", file=sys.stderr)

print(f"| benchmark | median ns | × baseline (median of per-run ratios) | runs |")
print("|---|---|---|---|")
for name in samples:
    r = ratios.get(name)
    ratio = f"{statistics.median(r):.2f}" if r else ""
    print(f"| {name} | {statistics.median(samples[name]):.2f} | {ratio} | {len(samples[name])} |")
