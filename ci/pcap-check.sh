#!/usr/bin/env bash
# --pcap against Wireshark's own dissector (tshark, Debian 12): runs with known
# failures write a capture per failing case, and each capture must dissect as
# the MQTT packets the case's JSON transcript shows, in the same order and
# direction, with valid checksums and no TCP anomaly.
#   - client role: mqttspec run against broker-sim with quirk no-will (the will-*
#     scenarios FAIL), with a user name and password that must stay redacted;
#   - server role: mqttspec sim --scenario with mosquitto_sub as the client under
#     test (client-session-present-without-session@5.0 FAILs, see
#     ci/targets/mosquitto-clients.baseline);
#   - a real broker's traffic: the whole suite against mosquitto (its known FAILs).
# The comparison is ci/pcap_compare.py.
#   usage: ci/pcap-check.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build/dev}
out=${2:-$build/pcap-check}
mqttspec="$build/cli/mqttspec"
secret=pcap-check-password

# tshark is needed here only: installed on first use, without the setuid capture helper question.
if ! command -v tshark >/dev/null 2>&1; then
  as_root=()
  [[ $(id -u) -eq 0 ]] || as_root=(sudo)
  echo "wireshark-common wireshark-common/install-setuid boolean false" | "${as_root[@]}" debconf-set-selections
  "${as_root[@]}" apt-get -q update >/dev/null
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q install --no-install-recommends tshark >/dev/null
fi

rm -rf "$out"
mkdir -p "$out/client" "$out/server"

# ---- client role ----
rc=0
"$mqttspec" run -q --sim-quirk no-will --id 'will-*' -u pcap-check -P "$secret" \
  --pcap "$out/client/pcap" --json "$out/client/report.json" >"$out/client/run.out" 2>&1 || rc=$?
if ((rc != 1)); then
  echo "pcap-check: mqttspec run exited $rc, expected 1 (FAILs with quirk no-will)" >&2
  cat "$out/client/run.out" >&2
  exit 1
fi

# ---- server role: one failing case, mosquitto_sub as the client ----
"$mqttspec" sim --listen mqtt://127.0.0.1:0 --scenario scenarios/client-tests \
  --id client-session-present-without-session --pcap "$out/server/pcap" --json "$out/server/report.json" \
  >"$out/server/sim.out" 2>"$out/server/sim.err" &
sim=$!
port=""
for _ in {1..200}; do
  port=$(awk '/^listening on /{print $NF; exit}' "$out/server/sim.out" 2>/dev/null || true)
  [[ -n $port ]] && break
  sleep 0.05
done
client=""
if [[ -n $port ]]; then
  timeout 60 mosquitto_sub -h 127.0.0.1 -p "$port" -V mqttv5 -t mqttspec/t >"$out/server/client.out" 2>&1 &
  client=$!
fi
wait "$sim" || true
if [[ -n $client ]]; then
  kill "$client" 2>/dev/null || true
  wait "$client" 2>/dev/null || true
fi
if [[ -z $port ]]; then
  echo "pcap-check: mqttspec sim did not start listening: $(cat "$out/server/sim.err")" >&2
  exit 1
fi

# ---- a real broker: the whole suite against mosquitto (its known FAILs: ci/targets/mosquitto.baseline) ----
. ci/lib.sh
mkdir -p "$out/mosquitto"
mosquitto_base_conf "$out/mosquitto/mosquitto.conf"
port=$(free_port)
echo "listener ${port} 127.0.0.1" >>"$out/mosquitto/mosquitto.conf"
chmod 755 "$out/mosquitto" # mosquitto started as root drops to its own user, which must read the file
chmod 644 "$out/mosquitto/mosquitto.conf"
mosquitto -c "$out/mosquitto/mosquitto.conf" >"$out/mosquitto/mosquitto.log" 2>&1 &
broker=$!
trap 'kill "$broker" 2>/dev/null || true' EXIT
wait_port "$port" 10
"$mqttspec" run -q --target "mqtt://127.0.0.1:$port" --pcap "$out/mosquitto/pcap" \
  --json "$out/mosquitto/report.json" >"$out/mosquitto/run.out" 2>&1 || true
kill "$broker"
wait "$broker" 2>/dev/null || true
trap - EXIT

# ---- every capture against its transcript ----
rc=0
python3 ci/pcap_compare.py "$out/client/report.json" "$out/client/pcap" --role client --secret "$secret" || rc=1
python3 ci/pcap_compare.py "$out/server/report.json" "$out/server/pcap" --role server || rc=1
# scenarios of the malformed-* group send malformed packets on purpose: tshark says so, rightly
python3 ci/pcap_compare.py "$out/mosquitto/report.json" "$out/mosquitto/pcap" --role client --allow-malformed || rc=1
exit "$rc"
