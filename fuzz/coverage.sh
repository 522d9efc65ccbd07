#!/usr/bin/env bash
# fuzz/coverage.sh [TARGET...]: source-based coverage (lines, branches) of
# codec/ reached by the fuzz targets' corpora.
#
# Builds build/fuzz-cov: the same targets, without sanitizers or libFuzzer's
# own instrumentation but with -fprofile-instr-generate -fcoverage-mapping;
# replays every input of CORPORA/TARGET and of the seeds (-runs=0), merges
# the profiles and prints llvm-cov's report for codec/.  Default targets:
# fuzz_decode fuzz_roundtrip.
#
#   CORPORA   corpora root (default build/fuzz/fuzz/corpus, where ci/fuzz-smoke.sh grows them)
#   SEEDS     seeds root (default build/fuzz/fuzz/seeds; "" for none)
#   LLVM_SUFFIX  -14 (default) for llvm-profdata-14 / llvm-cov-14
#
# The HTML report goes to build/fuzz-cov/html/index.html.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

corpora="${CORPORA:-build/fuzz/fuzz/corpus}"
seeds="${SEEDS-build/fuzz/fuzz/seeds}"
suffix="${LLVM_SUFFIX--14}"
cov=build/fuzz-cov
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(fuzz_decode fuzz_roundtrip)
fi

flags="-fprofile-instr-generate -fcoverage-mapping"
cmake -S . -B "$cov" -G Ninja --log-level=NOTICE -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DMQTTSPEC_FUZZ=ON -DMQTTSPEC_SANITIZE=OFF -DMQTTSPEC_TESTS=OFF -DMQTTSPEC_WERROR=ON \
  -DMQTTSPEC_FUZZ_INSTRUMENT= -DMQTTSPEC_FUZZ_OPTIMIZE= \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags"
cmake --build "$cov" --target "${targets[@]}"

rm -rf "$cov/profiles"
mkdir -p "$cov/profiles"
objects=()
for t in "${targets[@]}"; do
  dirs=()
  [[ -d "$corpora/$t" ]] && dirs+=("$corpora/$t")
  [[ -n "$seeds" && -d "$seeds/$t" ]] && dirs+=("$seeds/$t")
  if ((${#dirs[@]} == 0)); then
    echo "coverage: no corpus for $t in $corpora or $seeds" >&2
    exit 2
  fi
  echo "coverage: replaying $(find -L "${dirs[@]}" -type f | wc -l) inputs through $t"
  LLVM_PROFILE_FILE="$cov/profiles/$t-%p.profraw" "$cov/fuzz/$t" -runs=0 "${dirs[@]}" >"$cov/profiles/$t.log" 2>&1
  objects+=(-object "$cov/fuzz/$t")
done

"llvm-profdata$suffix" merge -sparse "$cov"/profiles/*.profraw -o "$cov/fuzz.profdata"
# The first binary is positional, the others follow -object.
report_args=("${objects[@]:1}" -instr-profile="$cov/fuzz.profdata")
"llvm-cov$suffix" report "$cov/fuzz/${targets[0]}" "${report_args[@]}" codec/src codec/json
"llvm-cov$suffix" show "$cov/fuzz/${targets[0]}" "${report_args[@]}" -format=html -show-branches=count \
  -output-dir="$cov/html" codec/src codec/json
echo "coverage: HTML report in $cov/html/index.html"
