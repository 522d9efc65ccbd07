#!/usr/bin/env bash
# Run the suite N times against one target and check every run gives the same
# verdict for every case (flakiness check).  Prints per-run time and totals.
#   usage: ci/repeat.sh URL [N] [BUILD_DIR] [-- extra mqttspec run options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
url=$1
n=${2:-20}
build=${3:-build/dev}
shift $(($# < 3 ? $# : 3))
[[ ${1:-} == -- ]] && shift
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in $(seq 1 "$n"); do
  start=$(date +%s%N)
  "$build/cli/mqttspec" run --target "$url" -q --json "$out/run$i.json" "$@" >/dev/null || true
  ms=$((($(date +%s%N) - start) / 1000000))
  printf 'run %2d: %d.%03d s\n' "$i" $((ms / 1000)) $((ms % 1000))
done
python3 - "$out" "$n" <<'PY'
import json, sys, collections
out, n = sys.argv[1], int(sys.argv[2])
seen = collections.defaultdict(collections.Counter)
for i in range(1, n + 1):
    for c in json.load(open(f"{out}/run{i}.json"))["cases"]:
        seen[f'{c["id"]}@{c["version"]}'][c["verdict"]] += 1
unstable = {k: v for k, v in seen.items() if len(v) > 1}
for k, v in sorted(unstable.items()):
    print(f"  unstable {k}: {dict(v)}")
totals = collections.Counter(max(v, key=v.get) for v in seen.values())
print(f"{n} runs, {len(seen)} cases, {len(unstable)} with differing verdicts; {dict(totals)}")
sys.exit(1 if unstable else 0)
PY
