#!/bin/sh
# fuzz/gen_seeds.sh FUZZ_BUILD_DIR OUTDIR [RECORDER...]
#
# Seed corpora for every fuzz target, from the project's own sources:
#   1. mqttspec-fuzz-seeds walks the scenarios (fuzz/seeds.c);
#   2. each fuzz-record-<test> runs a copy of a unit test whose codec calls
#      are recorded (fuzz/seed_recorder.c).  Those tests may fail (a
#      test_spec_* case documents a known deviation): what they fed the codec
#      is recorded all the same, so their exit status is only reported.
#      The build names the recorders it made (default: every fuzz-record-*).
# Then json.dict is put next to the targets, where the .options files expect it.
# Run from anywhere; FUZZ_BUILD_DIR is <build>/fuzz.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 FUZZ_BUILD_DIR OUTDIR [RECORDER...]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
out=$2
shift 2
if [ $# -eq 0 ]; then
    set -- "$build"/fuzz-record-*
fi
src=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Seed tools are built with the sanitizers of the build; their leaks are not the targets'.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
# A coverage build (-fprofile-instr-generate) would write a profile per run.
export LLVM_PROFILE_FILE=/dev/null

"$build/mqttspec-fuzz-seeds" "$out" "$src/scenarios"

for rec in "$@"; do
    [ -x "$rec" ] || continue
    name=$(basename "$rec")
    # Tests read spec/ and tests/ data relative to the source tree.
    if (cd "$src" && MQTTSPEC_FUZZ_SEED_DIR="$out" MQTTSPEC_SOURCE_DIR="$src" "$rec" >"$out/$name.log" 2>&1); then
        echo "$name: recorded"
    else
        echo "$name: recorded (the test itself failed, see $out/$name.log)"
    fi
done

cp "$out/json.dict" "$build/json.dict"
for d in "$out"/fuzz_*; do
    if [ -d "$d" ]; then
        echo "$(basename "$d"): $(find "$d" -type f | wc -l) seeds"
    fi
done
