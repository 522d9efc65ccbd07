#!/usr/bin/env bash
# mqttspec chaos against the other real brokers of the gates (docs/chaos.md, "Other brokers"):
# figures, not a test.  Each broker of ci/brokers.sh (installed by ci/install-brokers.sh) is started
# on a free loopback port, given the same workload and network faults as the mosquitto figures
# (persistent sessions, QoS 0/1/2, proxy cuts, client drops at every point), and stopped by pid.
# The protocol and credentials are the ones the gates use (BROKER_OPTS: never printed).  Each run's
# JSON and output go to OUT_DIR; one line per broker on stdout.  CHAOS_OPTS adds options after
# those (e.g. CHAOS_OPTS="-V 5.0" for ejabberd's 5.0).
#
#   usage: [CHAOS_OPTS=...] bench/chaos-brokers.sh [BUILD_DIR] [OUT_DIR] [SECONDS] [BROKER...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ci/lib.sh
. ci/brokers.sh

build=${1:-build/dev}
out=${2:-$build/chaos-brokers}
secs=${3:-60}
shift $(($# < 3 ? $# : 3))
names=("$@")
((${#names[@]})) || names=(aedes mosca rabbitmq ejabberd)
mqttspec="$build/cli/mqttspec"
mkdir -p "$out"
scratch_and_child
trap 'broker_stop; rm -rf "$work"' EXIT

faults=(--persistent --qos "0,1,2" --cut-every 500 --drop-clients all --drop-every 1000 --seed 11 -q)
read -r -a extra <<<"${CHAOS_OPTS:-}"
for name in "${names[@]}"; do
  dir="$work/$name"
  mkdir -p "$dir"
  if ! broker_start "$name" "$dir" >"$out/$name.start.log" 2>&1; then
    echo "$name: did not start (see $out/$name.start.log)"
    broker_stop
    continue
  fi
  status=0
  "$mqttspec" chaos --target "mqtt://127.0.0.1:${BROKER_PORT}" --duration "$secs" "${BROKER_OPTS[@]}" "${faults[@]}" \
    ${extra[@]+"${extra[@]}"} --json "$out/$name.json" >"$out/$name.log" 2>&1 || status=$?
  broker_stop
  jq -r --arg name "$name $BROKER_VERSION" --arg status "$status" '"\($name): \(.protocol), exit \($status), \(.verdict): published \(.summary.published), acknowledged \(.summary.acknowledged), delivered \(.summary.delivered), lost \(.summary.lost), dup QoS 2 \(.summary.duplicates_qos2), reorder \(.summary.reordered), reorder-resend \(.summary.reordered_resends), never-published \(.summary.never_published), packet-id-in-use \(.summary.packet_ids_in_use), dup QoS 1 \(.summary.duplicates_qos1), lost QoS 0 \(.summary.lost_qos0), sessions not resumed \(.summary.session_losses), \(.faults | length) faults"' \
    "$out/$name.json" 2>/dev/null || echo "$name: exit $status, no JSON (see $out/$name.log)"
done
