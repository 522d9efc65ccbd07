#!/usr/bin/env bash
# One real-broker gate: start BROKER by hand on loopback (ci/brokers.sh), run
# the whole suite against it with the options it needs, validate the JUnit
# report, compare every verdict with its baseline in ci/targets/ (PASS unless
# listed; each listed deviation is documented in docs/targets/), and stop the
# broker by pid.  Installs nothing: ci/install-brokers.sh does.
#   usage: ci/broker-gate.sh BROKER [BUILD_DIR] [OUT_DIR]
#   BROKER: aedes, mosca, rabbitmq, ejabberd or mosquitto-auth
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ci/lib.sh
. ci/brokers.sh

if (($# < 1)); then
  echo "usage: ci/broker-gate.sh BROKER [BUILD_DIR] [OUT_DIR]   (BROKER: ${BROKERS[*]})" >&2
  exit 2
fi
broker=$1
build=${2:-build/dev}
out=${3:-$build/gate-$broker}
mqttspec="$build/cli/mqttspec"
mkdir -p "$out"
work=$(mktemp -d)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  broker_stop
  # keep the broker's own logs beside the reports (credentials stay behind, deleted)
  cp "$work"/*.log "$work"/*.out "$out"/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

broker_start "$broker" "$work"

# What the broker grants and announces (docs/profile.md), every version (the run may select one):
# printed here, saved beside the reports.
probe_opts=()
for ((i = 0; i < ${#BROKER_OPTS[@]}; i++)); do
  if [[ ${BROKER_OPTS[i]} == -V ]]; then i=$((i + 1)); else probe_opts+=("${BROKER_OPTS[i]}"); fi
done
"$mqttspec" probe "mqtt://127.0.0.1:${BROKER_PORT}" "${probe_opts[@]}" --profile-out "$out/$broker.profile.json" || true

rc=0
# run_gate NAME URL BASELINE: the whole suite against URL, its reports as $out/NAME.*, verdicts judged by
# the baseline (--baseline: exit 0 when nothing got worse, 1 when something did).
run_gate() {
  local name=$1 url=$2 baseline=$3 status=0 started=$SECONDS
  "$mqttspec" run --target "$url" "${BROKER_OPTS[@]}" -q \
    --junit "$out/$name.xml" --json "$out/$name.json" --md "$out/$name.md" \
    --trace "$out/trace-$name" --baseline "$baseline" || status=$?
  echo "$name: suite ran in $((SECONDS - started)) s, mqttspec exit $status"
  if ((status != 0)); then
    echo "mqttspec run against $name exited $status" >&2
    rc=1
  fi
  xmllint --noout --schema tests/data/junit.xsd "$out/$name.xml" || rc=1
}

run_gate "$broker" "mqtt://127.0.0.1:${BROKER_PORT}" "$BROKER_BASELINE"
# Over the broker's WebSocket listener (docs/websocket.md): the same baseline, but where
# ci/targets/BROKER-ws.baseline lists a case otherwise (each line documented in docs/targets/,
# "Over WebSocket").
if [[ -n $BROKER_WS_URL ]]; then
  awk 'FNR == NR { if ($1 !~ /^#/ && NF) over[$1] = 1; print; next } !($1 in over)' \
    "ci/targets/$broker-ws.baseline" "$BROKER_BASELINE" >"$work/ws.baseline"
  run_gate "$broker-ws" "$BROKER_WS_URL" "$work/ws.baseline"
fi
exit "$rc"
