#!/bin/sh
# Seeds fuzz/corpus/<target>/ from the conformance cases (tests/data/expr_cases.jsonl):
#   parse:     the "expr" text of each case
#   compile:   one schema byte, then the "expr" text (the target reads byte 0 as the schema;
#              the byte cycles through the 125 type combinations so each seed keeps its text)
#   cli_jsonl: the whole line
#   keda_jsonl: each case of tests/data/keda_cases.json, as one line
# differential reads a structured input (arbitrary), so it starts from an empty corpus.
# Needs python3. Usage: fuzz/seed.sh   (from anywhere)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cases="$here/../tests/data/expr_cases.jsonl"
mkdir -p "$here/corpus/parse" "$here/corpus/compile" "$here/corpus/cli_jsonl" "$here/corpus/differential"
python3 - "$cases" "$here/corpus" <<'PY'
import json, sys, os
cases, corpus = sys.argv[1], sys.argv[2]
n = 0
with open(cases, encoding="utf-8") as f:
    for i, line in enumerate(f):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        expr = json.loads(line).get("expr")
        name = "seed-%04d" % i
        if isinstance(expr, str):
            text = expr.encode("utf-8")
            with open(os.path.join(corpus, "parse", name), "wb") as out:
                out.write(text)
            with open(os.path.join(corpus, "compile", name), "wb") as out:
                out.write(bytes([i % 125]) + text)
        with open(os.path.join(corpus, "cli_jsonl", name), "wb") as out:
            out.write(line.encode("utf-8"))
        n += 1
keda = os.path.join(os.path.dirname(cases), "keda_cases.json")
os.makedirs(os.path.join(corpus, "keda_jsonl"), exist_ok=True)
with open(keda, encoding="utf-8") as f:
    for i, case in enumerate(json.load(f)):
        with open(os.path.join(corpus, "keda_jsonl", "seed-%04d" % i), "wb") as out:
            out.write(json.dumps(case).encode("utf-8"))
        n += 1
print("seeded %d cases into %s" % (n, corpus))
PY
