#!/usr/bin/env bash
# Network fuzzing smoke test (docs/network-fuzzing.md): a bounded `mqttspec fuzz`
# run against the embedded broker-sim, then against Debian's mosquitto, which
# this script starts on a free loopback port and stops by pid.
#
# Fails when a target crashes or hangs (mqttspec fuzz exits 1: the probe
# connection got no PINGRESP, or the target refused connections; or the
# mosquitto process is gone afterwards), or when the fuzzer cannot run at all
# (exit 2 or 3).  Differential findings -- the target accepted what the codec
# rejects, or the other way round -- do not fail it: they are written as
# artifacts, one scenario file per finding plus summary.txt, under OUT_DIR.
#
#   usage: ci/netfuzz-smoke.sh [BUILD_DIR] [OUT_DIR] [SECONDS_PER_TARGET]
#   NETFUZZ_SEED=N   the seed (default 1: the same cases every run; "random" for a new one, printed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ci/lib.sh

build=${1:-build/dev}
out=${2:-$build/netfuzz-smoke}
secs=${3:-8}
mqttspec="$build/cli/mqttspec"
seed=${NETFUZZ_SEED:-1}
seed_args=(--seed "$seed")
[[ $seed == random ]] && seed_args=()

rm -rf "$out"
mkdir -p "$out"
scratch_and_child

rc=0
# fuzz NAME [mqttspec fuzz options]: a bounded run; a crash or hang of the target fails the script.
fuzz() {
  local name=$1 status=0
  shift
  # Minimisation and the engine's replay of each written finding come after the fuzzing time: bound them too.
  "$mqttspec" fuzz --duration "$secs" "${seed_args[@]}" --out "$out/$name" --connections 8 \
    --max-findings 3 --min-seconds 2 --min-tries 60 -q "$@" >"$out/$name.log" 2>&1 || status=$?
  grep -E '^mqttspec fuzz:' "$out/$name.log" | sed "s/^/[$name] /"
  case $status in
    0) ;;
    1)
      echo "[$name] the target crashed or hung: $(grep -E 'LIVENESS' "$out/$name.log" || true)" >&2
      rc=1
      ;;
    *)
      echo "[$name] mqttspec fuzz could not run (exit $status); see $out/$name.log" >&2
      rc=1
      ;;
  esac
}

# ---- broker-sim, embedded (mqttspec starts it on a free loopback port) ----
fuzz broker-sim

# ---- mosquitto on loopback ----
port=$(free_port)
mosquitto_base_conf "$work/mosquitto.conf"
echo "listener ${port} 127.0.0.1" >>"$work/mosquitto.conf"
start_mosquitto "$out/mosquitto.log"
wait_port "$port" 10
echo "mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}') pid ${pid} on 127.0.0.1:${port}"
fuzz mosquitto --target "mqtt://127.0.0.1:${port}"
if ! kill -0 "$pid" 2>/dev/null; then
  echo "[mosquitto] the mosquitto process (pid $pid) is gone" >&2
  rc=1
fi
stop_child

findings=$(cat "$out"/*/summary.txt 2>/dev/null | grep -c '^finding ' || true)
echo "ci/netfuzz-smoke.sh: $( ((rc == 0)) && echo PASS || echo FAIL ); ${findings} differential finding(s) written under $out (not a failure)"
exit "$rc"
