#!/usr/bin/env bash
# The coverage fuzz_decode reaches in a fixed time with and without the
# structure-aware mutator (libmqttspec_mutator), both from the same seeds, run
# side by side so they share the machine's load (docs/fuzzing.md).  Not a test:
# prints libFuzzer's last status line of each (cov = edges, ft = features).
#   usage: fuzz/mutator-compare.sh [FUZZ_BUILD_DIR] [SECONDS] [SEEDS_DIR]
#   (defaults: build/fuzz, 600, seeds from the scenarios via mqttspec-fuzz-seeds)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build/fuzz}
seconds=${2:-600}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -n ${3-} ]]; then
  seeds=$3
else
  "$build/fuzz/mqttspec-fuzz-seeds" "$work/seeds" scenarios >/dev/null
  seeds=$work/seeds/fuzz_decode
fi
run() { # NAME ENV...: one campaign from a copy of the seeds
  local name=$1
  shift
  mkdir -p "$work/$name"
  cp -r "$seeds"/. "$work/$name/"
  env "$@" "$build/fuzz/fuzz_decode" -max_total_time="$seconds" -seed=1 -print_final_stats=1 \
    -dict="$build/fuzz/mqtt.dict" "$work/$name" >"$work/$name.log" 2>&1 || true
}
run with-mutator MQTTSPEC_FUZZ_BYTES_ONLY=0 &
a=$!
run bytes-only MQTTSPEC_FUZZ_BYTES_ONLY=1 &
b=$!
wait "$a" "$b"
for name in with-mutator bytes-only; do
  printf '%-13s %s | %s\n' "$name" "$(grep -E '^#[0-9]+' "$work/$name.log" | tail -1)" \
    "$(grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "$work/$name.log" | tr '\n' ' ')"
done
