#!/usr/bin/env bash
# Install, build and run every test:
#   dev   gcc,   Debug, -Werror         configure, build, ctest
#   clang clang, Debug, -Werror         configure, build, ctest
#   asan  clang, Debug, ASan + UBSan    configure, build, ctest
#   install-test                        the dev build installed to a temporary prefix and run from there
#   coverage                            statement references intact, every wire-testable statement covered or
#                                       justified, coverage not below ci/coverage-floor.txt
#   browser-check                       the HTML report and matrix checked in headless Chromium
# Every stage runs even if an earlier one failed; the exit status is non-zero
# if any failed, and the last line is the summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs="$(nproc 2>/dev/null || echo 2)"
t_start=$SECONDS
passed=()
failed=()

# stage NAME COMMAND...: run COMMAND, record pass/fail and time.
stage() {
  local name=$1 t0=$SECONDS rc=0
  shift
  echo
  echo "==== ${name}"
  "$@" || rc=$?
  if ((rc == 0)); then
    passed+=("${name} ($((SECONDS - t0))s)")
    echo "==== ${name}: ok ($((SECONDS - t0))s)"
  else
    failed+=("${name}")
    echo "==== ${name}: FAILED (exit ${rc}, $((SECONDS - t0))s)" >&2
  fi
}

# preset NAME: configure, build and test one CMakePresets.json preset.  The tests mostly wait (on
# peers, timers, child processes): twice as many run at once as there are cores.
preset() {
  cmake --preset "$1" --log-level=NOTICE &&
    cmake --build --preset "$1" -j "$jobs" &&
    ctest --preset "$1" -j "$((jobs * 2))"
}

# Without the packages nothing else can run: stop at once.
bash ci/install-deps.sh

stage dev preset dev
stage clang preset clang
stage asan preset asan
# the release build ci/demo.sh uses (gcc -O3 -Werror sees format-truncation and maybe-uninitialized cases
# that -O0 does not): built, its tests left to the presets above
stage release-build bash -c 'cmake --preset release --log-level=NOTICE && cmake --build --preset release -j 2'

# ---- the installed layout: cmake --install of the dev build to a temporary prefix, run from
# there with the repository hidden (scenarios and spec lists from share/mqttspec), man page,
# bash completion ----
stage install-test bash ci/install-test.sh build/dev

# ---- the HTML report and the matrix in headless Chromium (installed here if missing): the expected
# cases and verdicts in the DOM, the filter working; screenshots into build/dev/browser-check/
# (docs/img/ holds the committed ones: `bash ci/browser-check.sh build/dev` refreshes them) ----
stage browser-check bash ci/browser-check.sh build/dev build/dev/browser-check

# ---- libFuzzer smoke: each target 30 s with ASan/UBSan/LSan; reproducers in build/fuzz-artifacts/ ----
stage fuzz-smoke env FUZZ_SECONDS="${FUZZ_SECONDS:-22}" bash ci/fuzz-smoke.sh

# ---- broker-sim: everything PASSes without quirks, every quirk is caught ----
stage quirk-matrix bash ci/quirk-matrix.sh build/dev build/dev/quirk-matrix.md
# ---- broker-sim: every legal variant (allowed behaviour) gives no FAIL or ERROR ----
stage variant-matrix bash ci/variant-matrix.sh build/dev build/dev/variant-matrix.md

# ---- real brokers ----
# mosquitto started by hand on free loopback ports (TCP and TLS), the whole
# suite run against both with the dev build; every verdict must match
# ci/targets/mosquitto.baseline.
stage mosquitto-gate bash ci/mosquitto-gate.sh build/dev
# MQTT over WebSocket: broker-sim over ws:// and wss:// (same verdicts as over mqtt://) and
# mosquitto's websockets listener (ws and wss) against its baseline (docs/websocket.md).
stage ws-gate bash ci/ws-gate.sh build/dev
# mosquitto_pub / mosquitto_sub as the clients under test (server-role scenarios).
stage client-gate bash ci/client-gate.sh build/dev
# Paho Python and MQTT.js as the clients under test, each against its own baseline.
stage real-clients bash ci/real-clients-gate.sh build/dev
# --pcap: each failing case's capture, dissected by tshark, shows the packets of its JSON transcript
# (client role against broker-sim with a quirk and against mosquitto, server role with mosquitto_sub).
stage pcap-check bash ci/pcap-check.sh build/dev
# Bounded network fuzzing of broker-sim and mosquitto: fails on a crash or hang of a
# target; differential findings are kept as artifacts under build/dev/netfuzz-smoke/.
stage netfuzz-smoke bash ci/netfuzz-smoke.sh build/dev build/dev/netfuzz-smoke
# mqttspec chaos (docs/chaos.md): the correct broker-sim and mosquitto under proxy cuts and client drops
# report no violation; each broker-sim quirk that loses, duplicates or reorders is reported as that violation.
stage chaos-check bash ci/chaos-check.sh build/dev build/dev/chaos-check
# The supervised fuzzer finds, minimises and replays broker-sim's planted crashes (docs/fuzzing.md).
stage fuzz-supervised bash ci/fuzz-supervised.sh build/dev
# aedes, mosca (npm), RabbitMQ, ejabberd (Debian) and mosquitto with -u/--pw-file: installed,
# started by hand on loopback, the suite against each compared with its baseline in ci/targets/.
stage broker-gates bash ci/brokers-gates.sh build/dev build/dev/gates-brokers

# ---- statement coverage (docs/coverage.md): no cited or justified id missing from spec/, no
# justification of a testable or covered statement, no drop below ci/coverage-floor.txt; the
# report in build/dev/coverage.md, with the quirks the quirk matrix (above) saw catch each
# statement's scenarios ----
coverage_stage() {
  local matrix=()
  [[ -f build/dev/quirk-matrix.json ]] && matrix=(--quirk-matrix build/dev/quirk-matrix.json)
  build/dev/cli/mqttspec coverage --check=testable &&
    build/dev/cli/mqttspec coverage --check=refs --floor ci/coverage-floor.txt &&
    build/dev/cli/mqttspec coverage --format md --out build/dev/coverage.md "${matrix[@]}"
}
stage coverage coverage_stage

total=$((SECONDS - t_start))
echo
if ((${#failed[@]} == 0)); then
  echo "ci/test.sh: PASS: ${passed[*]}; total ${total}s"
else
  echo "ci/test.sh: FAIL: ${failed[*]} failed; passed: ${passed[*]:-none}; total ${total}s"
  exit 1
fi
