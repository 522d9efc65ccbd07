#!/usr/bin/env bash
# Checks that the corpora generated in C (mqttspec-corpus) are byte for byte
# those of shared/bench/gen_corpus.py.
#
# usage: bench/check_corpus.sh [SHARED_DIR] [BUILD_DIR]
#   SHARED_DIR  the shared/ directory holding bench/gen_corpus.py
#               (default: ../shared beside the repository, as in CI)
#   BUILD_DIR   a build tree to build mqttspec-corpus in (default: build-bench,
#               configured Release if missing), or the mqttspec-corpus
#               executable itself (nothing is built then; for ctest)
# Exits 0 when every file matches, or with a SKIP message when gen_corpus.py
# (or python3) is not available; 1 on any difference.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
shared=${1:-$repo/../shared}
build=${2:-$repo/build-bench}
gen=$shared/bench/gen_corpus.py

if [ ! -f "$gen" ]; then
    echo "check_corpus: SKIP: $gen not found (pass the shared/ directory as the first argument)"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "check_corpus: SKIP: python3 not found"
    exit 0
fi

if [ -f "$build" ] && [ -x "$build" ]; then
    tool=$build
else
    if [ ! -f "$build/CMakeCache.txt" ]; then
        cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMQTTSPEC_TESTS=OFF >/dev/null
    fi
    cmake --build "$build" --target mqttspec-corpus >/dev/null
    tool=$build/bench/mqttspec-corpus
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$gen" "$tmp/py" >/dev/null
"$tool" "$tmp/c" >/dev/null

(cd "$tmp/py" && find . -type f | sort) >"$tmp/py.list"
(cd "$tmp/c" && find . -type f | sort) >"$tmp/c.list"
if ! diff -u "$tmp/py.list" "$tmp/c.list"; then
    echo "check_corpus: FAIL: the file sets differ (- gen_corpus.py, + mqttspec-corpus)"
    exit 1
fi

failed=0
count=0
while read -r f; do
    count=$((count + 1))
    if ! cmp "$tmp/py/$f" "$tmp/c/$f"; then
        failed=$((failed + 1))
    fi
done <"$tmp/py.list"

if [ "$failed" -ne 0 ]; then
    echo "check_corpus: FAIL: $failed of $count files differ"
    exit 1
fi
echo "check_corpus: OK: $count files identical to gen_corpus.py"
