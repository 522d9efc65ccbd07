#!/bin/bash -eu
# Builds mqttspec's fuzz targets into $OUT for ClusterFuzzLite / OSS-Fuzz, with
# their .options, dictionaries and seed corpora (<target>_seed_corpus.zip).
#
# The base image's compile script sets $CC, $CFLAGS (sanitizer and coverage
# instrumentation, -O1) and $LIB_FUZZING_ENGINE; the Dockerfile provides the
# dependencies below $MQTTSPEC_DEPS.  Local check without Docker:
#   CC=clang CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer SRC=$PWD/.. OUT=/tmp/out WORK=/tmp/work \
#   MQTTSPEC_DEPS=/usr bash .clusterfuzzlite/build.sh

deps="${MQTTSPEC_DEPS:-/opt/mqttspec-deps}"
src="$SRC/mqttspec"
[ -d "$src" ] || src="$(cd "$(dirname "$0")/.." && pwd)"
export PKG_CONFIG_PATH="$deps/lib/pkgconfig:$deps/lib/x86_64-linux-gnu/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
common=(-G Ninja -DMQTTSPEC_FUZZ=ON -DMQTTSPEC_TESTS=OFF -DMQTTSPEC_WERROR=OFF -DMQTTSPEC_SANITIZE=OFF
  -DOPENSSL_ROOT_DIR="$deps" -DOPENSSL_USE_STATIC_LIBS=TRUE -DCMAKE_PREFIX_PATH="$deps")
targets=(fuzz_decode fuzz_roundtrip fuzz_stream fuzz_json fuzz_scenario fuzz_engine_recv)

# 1. Seed corpora, from a plain build of the seed tools: they run here, at build
#    time, so they get none of the sanitizer or coverage flags of $CFLAGS.
env -u CFLAGS -u CXXFLAGS -u LDFLAGS cmake -S "$src" -B "$WORK/seed-tools" "${common[@]}" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Release \
  -DMQTTSPEC_FUZZ_INSTRUMENT= -DMQTTSPEC_FUZZ_OPTIMIZE= -DMQTTSPEC_FUZZ_ENGINE=-fsanitize=fuzzer
cmake --build "$WORK/seed-tools" --target fuzz-seed-tools
"$src/fuzz/gen_seeds.sh" "$WORK/seed-tools/fuzz" "$WORK/seeds"

# 2. The fuzz targets, instrumented by $CFLAGS and linked with $LIB_FUZZING_ENGINE.
cmake -S "$src" -B "$WORK/build" "${common[@]}" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE= \
  -DMQTTSPEC_FUZZ_INSTRUMENT= -DMQTTSPEC_FUZZ_OPTIMIZE= -DMQTTSPEC_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$WORK/build" --target "${targets[@]}"

# 3. Into $OUT: each target with its options (which name its dictionary) and seeds.
for t in "${targets[@]}"; do
  cp "$WORK/build/fuzz/$t" "$src/fuzz/$t.options" "$OUT/"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$WORK/seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
done
cp "$src/fuzz/mqtt.dict" "$WORK/seeds/json.dict" "$OUT/"
