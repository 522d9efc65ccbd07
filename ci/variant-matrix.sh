#!/usr/bin/env bash
# The specificity matrix, beside the quirk matrix (sensitivity): the suite
# against the embedded broker-sim with each legal variant alone (behaviours
# the specification allows: see 'mqttspec sim --list-variants').  Every case
# must PASS, WARN or SKIP (an optional capability missing); any FAIL or
# ERROR fails the script.  Writes the case x variant matrix as Markdown, with
# the reason of every case that is not PASS.
#   usage: ci/variant-matrix.sh [BUILD_DIR] [OUT.md]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build/dev}
out=${2:-$build/variant-matrix.md}
mqttspec="$build/cli/mqttspec"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

variants=$("$mqttspec" sim --list-variants | awk '/^[a-z]/ {print $1}')
traces="$build/variant-matrix-traces" # a transcript per case and variant, kept for a look at what failed
rm -rf "$traces"

# run_variant NAME: the suite with that variant.  What the variant takes away (qos2, 5.0 retain...) is
# found by run's pre-flight probe, as on a real broker (tests/test_variant_probe.c checks that the probe
# finds exactly what the variant table says).
run_variant() {
  mkdir -p "$traces/$1"
  "$mqttspec" run -q -j 32 --sim-variant "$1" --json "$work/$1.json" --trace "$traces/$1" >/dev/null || true
}
export -f run_variant
export mqttspec work traces
# Each run mostly waits on the scenarios' timers: four at a time keep two cores busy.
printf '%s\n' $variants | xargs -P 4 -I{} bash -c 'run_variant {}'

python3 - "$work" "$out" $variants <<'PY'
import json, os, sys
work, out, variants = sys.argv[1], sys.argv[2], sys.argv[3:]
letter = {"PASS": "P", "SKIP": "S", "WARN": "W", "FAIL": "F", "ERROR": "E"}
notes = {}  # (variant, case) -> why it is not PASS
def verdicts(name):
    cases = {}
    path = f"{work}/{name}.json"
    if not os.path.exists(path):
        return None
    for c in json.load(open(path))["cases"]:
        key = f'{c["id"]}@{c["version"]}'
        cases[key] = c["verdict"]
        if c["verdict"] != "PASS":
            msg = c.get("message") or ""
            notes[(name, key)] = msg[len(c["file"]) + 2:] if msg.startswith(c["file"] + ": ") else msg
    return cases
runs = {v: verdicts(v) for v in variants}
problems = [f"variant {v}: the run wrote no report" for v, r in runs.items() if r is None]
runs = {v: r for v, r in runs.items() if r is not None}
for v, r in runs.items():
    problems += [f"variant {v}: {k} is {x}: {notes[(v, k)]}" for k, x in sorted(r.items()) if x in ("FAIL", "ERROR")]
rows = sorted({k for r in runs.values() for k in r})
with open(out, "w") as f:
    f.write("# Specificity matrix: case x broker-sim legal variant\n\n")
    f.write("Each column runs the suite against broker-sim with one variant (a behaviour the specification "
            "allows; `mqttspec sim --list-variants` quotes the sentence allowing each). "
            "P PASS, S SKIP, W WARN, F FAIL, E ERROR; F and E must not occur.\n\n")
    f.write("| variant | PASS | SKIP | WARN | FAIL | ERROR |\n|---|---|---|---|---|---|\n")
    for v, r in runs.items():
        n = lambda x: sum(1 for y in r.values() if y == x)
        f.write(f"| `{v}` | {n('PASS')} | {n('SKIP')} | {n('WARN')} | {n('FAIL')} | {n('ERROR')} |\n")
    f.write("\n| case | " + " | ".join(f"`{v}`" for v in runs) + " |\n")
    f.write("|---|" + "---|" * len(runs) + "\n")
    for k in rows:
        f.write(f"| {k} | " + " | ".join(letter.get(r.get(k, ""), "") for r in runs.values()) + " |\n")
    f.write("\n## Why not PASS\n\n")
    for (v, k), why in sorted(notes.items()):
        f.write(f"- `{v}` {k} {runs[v][k]}: {why}\n")
for p in problems:
    print("variant-matrix:", p)
print(f"variant-matrix: {len(variants)} variants, no FAIL or ERROR: {not problems}; matrix in {out}")
sys.exit(1 if problems else 0)
PY
