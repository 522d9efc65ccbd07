#!/usr/bin/env bash
# The sensitivity matrix: the suite against the embedded broker-sim with no
# quirk (everything must PASS) and with each quirk alone (something must
# FAIL).  Writes the scenario x quirk matrix as Markdown, and as JSON for
# 'mqttspec coverage --quirk-matrix' (docs/coverage.md).
#   usage: ci/quirk-matrix.sh [BUILD_DIR] [OUT.md] [OUT.json]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build/dev}
out=${2:-$build/quirk-matrix.md}
out_json=${3:-${out%.md}.json}
mqttspec="$build/cli/mqttspec"
work=$(mktemp -d)
rm -f "$out_json" # a failed run leaves no stale results for 'mqttspec coverage --quirk-matrix'
trap 'rm -rf "$work"' EXIT

quirks=$("$mqttspec" sim --list-quirks | awk '/^[a-z]/ {print $1}')
# Each run mostly waits on the scenarios' timers (well under a second of CPU for a 16 s run): twelve at a
# time, the long serial runs of the resource quirks (below) first, so they overlap all the others.
# The ws-* quirks live in broker-sim's WebSocket listener: those, and the run without quirks (so
# the websocket-* cases run too), go against `sim --listen ws://` as a child; the others against
# the embedded broker-sim.  The child denies the topic the embedded sim denies (run's {denied_topic}).
# The planted resource bugs (leak-*, alloc-*) act only in a broker-sim of its
# own: those run under --broker-cmd with the memory oracle, one case at a time, and a case that WARNs for
# the broker's memory growth catches them (docs/robustness.md).
export mqttspec work
cat >"$work/one.sh" <<'SH'
q=$1
case $q in
none | ws-*)
  if [ "$q" = none ]; then set --; else set -- --quirk "$q"; fi
  "$mqttspec" sim "$@" --deny-topic mqttspec/denied --listen ws://127.0.0.1:0/mqtt >"$work/$q.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q 'port [0-9]' "$work/$q.log" && break; sleep 0.1; done
  port=$(grep -o 'port [0-9]*' "$work/$q.log" | head -1 | cut -d' ' -f2)
  "$mqttspec" run -q -j 32 --target "ws://127.0.0.1:$port/mqtt" --denied-topic mqttspec/denied \
    --json "$work/$q.json" >/dev/null || true
  kill "$pid"
  wait "$pid" 2>/dev/null ;;
leak-* | alloc-*)
  "$mqttspec" run -q -j 1 --broker-cmd "$mqttspec sim --listen mqtt://127.0.0.1:{port} --quirk $q" \
    --broker-out "$work/$q-broker" --rss-bound 512 --json "$work/$q.json" >/dev/null || true ;;
*)
  "$mqttspec" run -q -j 32 --sim-quirk "$q" --json "$work/$q.json" >/dev/null || true ;;
esac
SH
sh "$work/one.sh" none
printf '%s\n' $quirks | awk '/^(leak|alloc)-/ {print; next} {rest = rest $0 "\n"} END {printf "%s", rest}' |
  xargs -P "${QUIRK_MATRIX_JOBS:-12}" -I{} sh "$work/one.sh" {}

python3 - "$work" "$out" "$out_json" $quirks <<'PY'
import json, sys
work, out, out_json, quirks = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def verdicts(name):
    # a WARN for the broker's memory growth (--rss-bound) counts as caught: only resource quirks run with it
    return {f'{c["id"]}@{c["version"]}': "FAIL" if c["verdict"] == "WARN" and "resident memory" in (c["message"] or "")
            else c["verdict"] for c in json.load(open(f"{work}/{name}.json"))["cases"]}
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
with open(out_json, "w") as f:
    json.dump({"format": "mqttspec-quirk-matrix", "quirks": caught}, f, indent=1)
    f.write("\n")
for p in problems:
    print("quirk-matrix:", p)
print(f"quirk-matrix: {len(quirks)} quirks, every one caught: {not problems}; matrix in {out} and {out_json}")
sys.exit(1 if problems else 0)
PY
