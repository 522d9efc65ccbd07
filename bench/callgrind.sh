#!/usr/bin/env bash
# Instructions per packet of mqtt_decode (full validation) under callgrind.
#
# usage: bench/callgrind.sh [BUILD_DIR] [CORPUS...]
#   BUILD_DIR  a build tree (default: build-callgrind, configured here as
#              Release with CMAKE_C_FLAGS_RELEASE=$BENCH_CFLAGS)
#   CORPUS     corpora to measure (default: all)
# Environment: BENCH_CFLAGS (default "-O2 -gdwarf-4 -DNDEBUG"; -g only adds
# line information for callgrind_annotate, it does not change the code, and
# DWARF 4 because valgrind 3.19 cannot read clang 14's DWARF 5).
#
# Only bench_decode_pass and what it calls are counted
# (--toggle-collect=bench_decode_pass): corpus generation is excluded.  The
# total Ir is divided by the number of packets the pass decoded.  The
# callgrind.out files stay in BUILD_DIR/callgrind/ for callgrind_annotate.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${1:-$repo/build-callgrind}
[ $# -gt 0 ] && shift
corpora=("$@")
if [ ${#corpora[@]} -eq 0 ]; then
    corpora=(publish_q0 publish_q1 mixed mixed_s2c publish_big publish5_q1 mixed5)
fi

if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind.sh: valgrind not found" >&2
    exit 2
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        "-DCMAKE_C_FLAGS_RELEASE=${BENCH_CFLAGS:--O2 -gdwarf-4 -DNDEBUG}" -DMQTTSPEC_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target mqttspec-bench >/dev/null
bench=$build/bench/mqttspec-bench
out=$build/callgrind
mkdir -p "$out"

flags=$(sed -n 's/^CMAKE_C_FLAGS_RELEASE:[A-Z]*=//p' "$build/CMakeCache.txt")
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
echo "build: $build (CMAKE_BUILD_TYPE=${type:-none}, release flags: $flags)"
printf '%-12s %8s %14s %10s\n' corpus packets Ir instr/pkt

for c in "${corpora[@]}"; do
    file=$out/callgrind.out.$c
    if ! valgrind --tool=callgrind --toggle-collect=bench_decode_pass --callgrind-out-file="$file" \
        "$bench" --decode-only --corpus "$c" >"$out/$c.stdout" 2>"$out/$c.valgrind.log"; then
        echo "callgrind.sh: $c: valgrind or the bench failed:" >&2
        tail -n 5 "$out/$c.valgrind.log" >&2
        exit 1
    fi
    packets=$(sed -n 's/^[a-z0-9_]*: \([0-9]*\) packets.*/\1/p' "$out/$c.stdout")
    ir=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$file")
    if [ -z "$packets" ] || [ -z "$ir" ] || [ "$packets" -eq 0 ]; then
        echo "callgrind.sh: $c: no result, see $out/$c.valgrind.log" >&2
        exit 1
    fi
    awk -v c="$c" -v n="$packets" -v ir="$ir" 'BEGIN { printf "%-12s %8d %14d %10.1f\n", c, n, ir, ir / n }'
done
echo "annotate: callgrind_annotate --auto=yes $out/callgrind.out.CORPUS"
