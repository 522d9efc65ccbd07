#!/usr/bin/env bash
# The mosquitto gate: start Debian's mosquitto by hand on loopback with our
# config (a plain TCP and a TLS listener, certificates made now), run the whole
# suite against both listeners, stop it by pid.  Passes when every verdict is
# the one ci/targets/mosquitto.baseline records (PASS unless listed there,
# each listed deviation documented in docs/targets/mosquitto.md).
#   usage: ci/mosquitto-gate.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ci/lib.sh

build=${1:-build/dev}
out=${2:-$build/gate-mosquitto}
mqttspec="$build/cli/mqttspec"
mkdir -p "$out"
scratch_and_child

make_certs "$work"
# mosquitto started as root drops to its own user, which must read these throwaway files.
chmod 755 "$work"
chmod 644 "$work"/*
tcp=$(free_port)
tls=$(free_port)
mosquitto_base_conf "$work/mosquitto.conf"
cat >>"$work/mosquitto.conf" <<CONF
listener ${tcp} 127.0.0.1
listener ${tls} 127.0.0.1
cafile ${work}/ca.pem
certfile ${work}/server.pem
keyfile ${work}/server.key
CONF

start_mosquitto "$out/mosquitto.log"
wait_port "$tcp" 10
wait_port "$tls" 10
echo "mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}') pid ${pid} on tcp ${tcp}, tls ${tls}"

rc=0
run_suite() { # NAME URL [extra options]
  local name=$1 url=$2
  shift 2
  local status=0
  # --baseline: exit 0 when nothing got worse than ci/targets/mosquitto.baseline, 1 when something did.
  "$mqttspec" run --target "$url" -q --junit "$out/$name.xml" --json "$out/$name.json" \
    --md "$out/$name.md" --trace "$out/trace-$name" --baseline ci/targets/mosquitto.baseline "$@" || status=$?
  if ((status != 0)); then
    echo "mqttspec run against $name exited $status" >&2
    rc=1
  fi
  xmllint --noout --schema tests/data/junit.xsd "$out/$name.xml" || rc=1
}
run_suite mosquitto-tcp "mqtt://127.0.0.1:${tcp}"
run_suite mosquitto-tls "mqtts://127.0.0.1:${tls}" --cafile "$work/ca.pem"

stop_child
exit "$rc"
