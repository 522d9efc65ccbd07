#!/usr/bin/env bash
# The sensitivity matrix: the suite against the embedded broker-sim with no
# quirk (everything must PASS) and with each quirk alone (something must
# FAIL).  Writes the scenario x quirk matrix as Markdown.
#   usage: ci/quirk-matrix.sh [BUILD_DIR] [OUT.md]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build/dev}
out=${2:-$build/quirk-matrix.md}
mqttspec="$build/cli/mqttspec"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$mqttspec" run -q -j 64 --json "$work/none.json" >/dev/null || true
quirks=$("$mqttspec" sim --list-quirks | awk '/^[a-z]/ {print $1}')
# Each run mostly waits on the scenarios' timers: four at a time keep two cores busy.
export mqttspec work
printf '%s\n' $quirks | xargs -P 4 -I{} sh -c '"$mqttspec" run -q -j 32 --sim-quirk {} --json "$work/{}.json" >/dev/null || true'

python3 - "$work" "$out" $quirks <<'PY'
import json, sys
work, out, quirks = sys.argv[1], sys.argv[2], sys.argv[3:]
def verdicts(name):
    return {f'{c["id"]}@{c["version"]}': c["verdict"] for c in json.load(open(f"{work}/{name}.json"))["cases"]}
base = verdicts("none")
runs = {q: verdicts(q) for q in quirks}
problems = [f"without quirks {k} is {v}" for k, v in base.items() if v != "PASS"]
# A planted crash quirk is caught by a CRASHED case (the cases after it are NOT RUN).
caught = {q: sorted(k for k, v in r.items() if v in ("FAIL", "CRASHED")) for q, r in runs.items()}
problems += [f"quirk {q} is caught by no scenario" for q, ks in caught.items() if not ks]
rows = sorted({k for ks in caught.values() for k in ks})
with open(out, "w") as f:
    f.write("# Sensitivity matrix: scenario x broker-sim quirk\n\n")
    f.write(f"Without quirks: {sum(v == 'PASS' for v in base.values())} of {len(base)} cases PASS. "
            "Each column runs the suite with one quirk; F marks a case that FAILs (or is CRASHED).\n\n")
    f.write("| quirk | cases that FAIL |\n|---|---|\n")
    for q in quirks:
        f.write(f"| `{q}` | {len(caught[q])} |\n")
    f.write("\n| case | " + " | ".join(f"`{q}`" for q in quirks) + " |\n")
    f.write("|---|" + "---|" * len(quirks) + "\n")
    for k in rows:
        f.write(f"| {k} | " + " | ".join("F" if k in caught[q] else "" for q in quirks) + " |\n")
for p in problems:
    print("quirk-matrix:", p)
print(f"quirk-matrix: {len(quirks)} quirks, every one caught: {not problems}; matrix in {out}")
sys.exit(1 if problems else 0)
PY
