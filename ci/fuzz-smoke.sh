#!/usr/bin/env bash
# Fuzz smoke test: build the `fuzz` preset (clang, libFuzzer, ASan + UBSan),
# generate the seed corpora from the project's sources, then run every fuzz
# target for FUZZ_SECONDS seconds (default 22: eight targets in about the
# three minutes six took at 30) with ASan, UBSan and LSan.
#
#   FUZZ_SECONDS=60 bash ci/fuzz-smoke.sh          # longer
#   FUZZ_TARGETS="fuzz_decode fuzz_json" bash ...  # a subset
#
# Exit status: 0 when no target found anything; 1 when one crashed, leaked,
# timed out or ran out of memory (its reproducer -- crash-*, leak-*,
# timeout-*, oom-* -- and its log are left in build/fuzz-artifacts/TARGET/);
# 2 when the build or the seeds failed.  Reproduce with
#   build/fuzz/fuzz/TARGET build/fuzz-artifacts/TARGET/crash-...
# The corpora grown here stay in build/fuzz/fuzz/corpus/ for the next run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${FUZZ_SECONDS:-22}"
read -r -a targets <<<"${FUZZ_TARGETS:-fuzz_decode fuzz_roundtrip fuzz_stream fuzz_json fuzz_scenario fuzz_engine_recv fuzz_engine_peer fuzz_sim}"
jobs="$(nproc 2>/dev/null || echo 2)"
bin=build/fuzz/fuzz
artifacts=build/fuzz-artifacts
t_start=$SECONDS

# ---- build and seeds ----
if ! { cmake --preset fuzz --log-level=NOTICE &&
  cmake --build --preset fuzz -j "$jobs" --target fuzz-all &&
  cmake --build --preset fuzz --target fuzz-seeds; }; then
  echo "fuzz-smoke: FAILED: building the fuzz preset or generating the seeds" >&2
  exit 2
fi

# option TARGET KEY: a value of the target's .options file (OSS-Fuzz's format, also used here).
option() {
  sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$bin/$1.options" | head -n 1
}

# The sanitizers as the tests' `sanitized` preset sets them, leaks included.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:print_stacktrace=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

rm -rf "$artifacts"
mkdir -p "$artifacts"
passed=()
failed=()

# run TARGET: fuzz it for $seconds; records pass/fail and its exec/s.
run() {
  local t=$1 rc=0 out="$artifacts/$1"
  mkdir -p "$out" "$bin/corpus/$t" "$bin/seeds/$t"
  echo
  echo "==== $t (${seconds}s)"
  "$bin/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -dict="$bin/$(option "$t" dict)" -max_len="$(option "$t" max_len)" \
    -timeout=10 -rss_limit_mb=2560 -artifact_prefix="$out/" \
    "$bin/corpus/$t" "$bin/seeds/$t" >"$out/$t.log" 2>&1 || rc=$?
  local speed
  speed="$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$out/$t.log")"
  grep -E '^#[0-9]+[[:space:]]+DONE' "$out/$t.log" | tail -n 1 || true
  if ((rc == 0)) && ! compgen -G "$out/*-*" >/dev/null; then
    passed+=("$t (${speed:-?} exec/s)")
    rm -rf "$out"
    echo "==== $t: ok, ${speed:-?} exec/s"
  else
    failed+=("$t")
    grep -E 'ERROR: |fuzz oracle:|runtime error:|SUMMARY: ' "$out/$t.log" | head -n 5 >&2 || true
    echo "==== $t: FAILED (exit $rc); reproducer and log in $out/" >&2
    ls "$out" >&2
  fi
}

for t in "${targets[@]}"; do
  run "$t"
done

total=$((SECONDS - t_start))
echo
if ((${#failed[@]} == 0)); then
  rmdir "$artifacts" 2>/dev/null || true
  echo "fuzz-smoke: PASS: ${passed[*]}; total ${total}s"
else
  echo "fuzz-smoke: FAIL: ${failed[*]}; passed: ${passed[*]:-none}; total ${total}s"
  exit 1
fi
