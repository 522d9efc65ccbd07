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

status=0
started=$SECONDS
# --baseline: exit 0 when nothing got worse than the baseline, 1 when something did.
"$mqttspec" run --target "mqtt://127.0.0.1:${BROKER_PORT}" "${BROKER_OPTS[@]}" -q \
  --junit "$out/$broker.xml" --json "$out/$broker.json" --md "$out/$broker.md" \
  --trace "$out/trace" --baseline "$BROKER_BASELINE" || status=$?
echo "$broker: suite ran in $((SECONDS - started)) s, mqttspec exit $status"
rc=0
if ((status != 0)); then
  echo "mqttspec run against $broker exited $status" >&2
  rc=1
fi
xmllint --noout --schema tests/data/junit.xsd "$out/$broker.xml" || rc=1
exit "$rc"
