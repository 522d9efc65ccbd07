#!/usr/bin/env bash
# mqttspec chaos in CI (docs/chaos.md), well under a minute:
#   1. the correct broker-sim, 3.1.1 and 5.0, QoS 0/1/2, persistent sessions (and clean ones), proxy cuts
#      and client drops at every point of a QoS flow: no violation (exit 0);
#      The same (5.0) on every legal variant of broker-sim; 5.0 with shared subscription groups
#      (--shared-groups) on the correct sim and the variants about them.
#   2. each broker-sim quirk that loses, duplicates or reorders messages (those `mqttspec sim
#      --list-quirks` lists: some come with other branches) is reported as the violation it is
#      (exit 1, and that kind counted in the JSON summary);
#   3. mosquitto, when installed, started on a free loopback port and stopped by pid: as 1, no
#      violation (5.0, 5.0 with shared groups, and 3.1.1 with at most 20 messages in flight per
#      publisher: mosquitto 2.0.11 acknowledges and drops a 3.1.1 client's QoS 2 messages beyond its
#      max_inflight_messages, a deviation docs/chaos.md shows; a 3.1.1 client has no Receive Maximum
#      to learn that limit from).
# The runs' JSON and output are kept under OUT_DIR.
#
#   usage: ci/chaos-check.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ci/lib.sh

build=${1:-build/dev}
out=${2:-$build/chaos-check}
mqttspec="$build/cli/mqttspec"
rm -rf "$out"
mkdir -p "$out"
scratch_and_child

# The faults every run has: a proxy cut about every 300 ms, each worker dropping itself about every 600 ms.
faults=(--persistent --qos "0,1,2" --cut-every 300 --drop-clients all --drop-every 600 --seed 7 -q)
rc=0

# chaos NAME EXPECTED_KEY [options]: one run; EXPECTED_KEY "" wants 0 violations (exit 0), else exit 1
# with summary.EXPECTED_KEY > 0 (the kind of violation the quirk is).
chaos() {
  local name=$1 key=$2 status=0
  shift 2
  "$mqttspec" chaos --json "$out/$name.json" "$@" >"$out/$name.log" 2>&1 || status=$?
  local verdict found="-"
  verdict=$(jq -r '.verdict + " (" + (.summary.violations|tostring) + " violations, " +
                   (.summary.published|tostring) + " published)"' "$out/$name.json" 2>/dev/null || echo "no JSON")
  [[ -n $key ]] && found=$(jq -r ".summary.${key}" "$out/$name.json" 2>/dev/null || echo 0)
  if [[ -z $key && $status -eq 0 ]] || [[ -n $key && $status -eq 1 && $found -gt 0 ]]; then
    echo "[$name] ok: $verdict${key:+, $key $found}"
  else
    echo "[$name] UNEXPECTED: exit $status, $verdict${key:+, $key $found (wanted > 0)}; see $out/$name.log" >&2
    sed -n '/^anomalies:/,$p' "$out/$name.log" | head -40 >&2
    rc=1
  fi
}

# ---- 1. the correct broker-sim ----
chaos sim-3.1.1 "" -V 3.1.1 --duration 5 "${faults[@]}"
chaos sim-5.0 "" -V 5.0 --duration 5 "${faults[@]}"
# clean sessions: what a subscriber had not received goes with its session, and nothing sent before its
# SUBACK is owed to it (these once reported false losses: docs/chaos.md)
clean=("${faults[@]:1}")
chaos sim-3.1.1-clean "" -V 3.1.1 --duration 3 "${clean[@]}"
chaos sim-5.0-clean "" -V 5.0 --duration 3 "${clean[@]}"
# 5.0 shared subscriptions: two groups of two members beside two plain subscribers; the variants that
# choose members differently or lack the feature (then the run says SKIP for the groups, exit 0)
chaos sim-5.0-shared "" -V 5.0 --duration 2 --shared-groups 2 "${faults[@]}"
for variant in shared-first-member no-shared; do
  chaos "variant-$variant-shared" "" -V 5.0 --duration 1 --shared-groups 2 --sim-variant "$variant" "${faults[@]}"
done

# ---- 1b. every legal variant of broker-sim (an allowed behaviour, e.g. QoS 2 forwarded at PUBREL, one
# message in flight, Maximum QoS 1): still no violation ----
for variant in $("$mqttspec" sim --list-variants | awk '/^[a-z0-9]/ {print $1}'); do
  chaos "variant-$variant" "" -V 5.0 --duration 1.5 --sim-variant "$variant" "${faults[@]}"
done

# ---- 2. quirks that break delivery guarantees, each with the summary count it must raise and the
# workload that shows it soonest (later options override the common ones): a resend before PUBREL
# needs publishers dropping after PUBLISH at QoS 2; order is promised per topic and QoS, so one of each ----
quirks=$("$mqttspec" sim --list-quirks | awk '/^[a-z0-9]/ {print $1}')
while read -r quirk key extra; do
  if grep -qx "$quirk" <<<"$quirks"; then
    # shellcheck disable=SC2086 # extra is a list of options
    chaos "quirk-$quirk" "$key" -V 5.0 --duration 3 --sim-quirk "$quirk" "${faults[@]}" $extra
  else
    echo "[quirk-$quirk] not in this build's broker-sim: skipped"
  fi
done <<'QUIRKS'
drop-offline-qos1 lost
dup-redeliver duplicates_qos2 --qos 2 --drop-clients after-publish --drop-every 300
chaos-lose-acked-qos1 lost
chaos-qos2-dup-on-reconnect duplicates_qos2
chaos-shared-lose lost --duration 2 --subscribers 0 --shared-groups 2
reorder reordered --topics 1 --qos 1
packet-id-in-use packet_ids_in_use --qos 2
QUIRKS

# ---- 3. mosquitto on loopback, network faults only: no violation either ----
if command -v mosquitto >/dev/null; then
  port=$(free_port)
  mosquitto_base_conf "$work/mosquitto.conf"
  echo "listener ${port} 127.0.0.1" >>"$work/mosquitto.conf"
  start_mosquitto "$out/mosquitto.log"
  wait_port "$port" 10
  target=(--target "mqtt://127.0.0.1:${port}")
  chaos mosquitto-5.0 "" -V 5.0 --duration 5 "${target[@]}" "${faults[@]}"
  chaos mosquitto-3.1.1 "" -V 3.1.1 --duration 5 --inflight 20 "${target[@]}" "${faults[@]}"
  chaos mosquitto-5.0-shared "" -V 5.0 --duration 3 --shared-groups 2 "${target[@]}" "${faults[@]}"
  stop_child
else
  echo "[mosquitto] not installed: skipped"
fi

echo "ci/chaos-check.sh: $( ((rc == 0)) && echo PASS || echo FAIL ); results under $out"
exit "$rc"
