#!/usr/bin/env bash
# The WebSocket gate (docs/websocket.md):
#  1. broker-sim over WebSocket: `mqttspec sim --listen ws://...` (and wss://) as a child, the whole
#     suite over ws:// and wss://: every case PASSes, and every case that also runs over mqtt:// gets
#     the verdict it gets there (the chapter-6 cases SKIP over mqtt://: the target is no WebSocket).
#  2. Debian's mosquitto with a websockets listener (ws and wss) started by hand on loopback, the suite
#     over ws:// and wss:// compared with ci/targets/mosquitto.baseline plus mosquitto-ws.baseline
#     (--baseline); the differences from its TCP listener are printed
#     (docs/targets/mosquitto.md, "Over WebSocket").
#  Between the two: MQTT.js (ci/ws-mqttjs) publishes and receives over ws:// through broker-sim,
#  and `mqttspec fuzz` runs 3 s over ws:// against it.
#   usage: ci/ws-gate.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ci/lib.sh

build=${1:-build/dev}
out=${2:-$build/gate-ws}
mqttspec="$build/cli/mqttspec"
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

rc=0
# run_suite NAME URL [options]: the whole suite, JSON verdicts in $out/NAME.json; exit status kept.
run_suite() {
  local name=$1 url=$2 status=0
  shift 2
  "$mqttspec" run --target "$url" -q --json "$out/$name.json" --junit "$out/$name.xml" "$@" \
    >"$out/$name.txt" 2>&1 || status=$?
  tail -1 "$out/$name.txt"
  if ((status != 0)); then
    echo "ws-gate: mqttspec run against $name ($url) exited $status" >&2
    rc=1
  fi
}

# same_verdicts A B: every case in both reports has one verdict, but cases that SKIP over plain MQTT
# because they require a WebSocket target.  Prints the differences; fails on any.
same_verdicts() {
  python3 - "$out/$1.json" "$out/$2.json" <<'PY'
import json, sys
def load(p):
    return {f'{c["id"]}@{c["version"]}': c for c in json.load(open(p))["cases"]}
a, b = load(sys.argv[1]), load(sys.argv[2])
diff = [f'{k}: {a[k]["verdict"]} vs {b[k]["verdict"]}' for k in sorted(a.keys() & b.keys())
        if a[k]["verdict"] != b[k]["verdict"] and not (a[k]["verdict"] == "SKIP" and k.startswith("websocket-"))]
for d in diff:
    print("  differs:", d)
print(f"  {len(a.keys() & b.keys())} cases compared, {len(diff)} differ")
sys.exit(1 if diff else 0)
PY
}

make_certs "$work"
chmod 755 "$work"
chmod 644 "$work"/*

# ---- 1. broker-sim over WebSocket ----
# start_sim NAME URL [options]: a sim child (not in a subshell: its pid must reach cleanup);
# sets sim_port from the "listening on URL port N" line of its log.
start_sim() {
  local name=$1 url=$2
  shift 2
  "$mqttspec" sim --listen "$url" "$@" >"$out/$name.log" 2>&1 &
  pids+=($!)
  local deadline=$((SECONDS + 10))
  until grep -q 'port [0-9]' "$out/$name.log" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "ws-gate: $name did not start" >&2
      cat "$out/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  sim_port=$(grep -o 'port [0-9]*' "$out/$name.log" | head -1 | awk '{print $2}')
}

start_sim sim-tcp mqtt://127.0.0.1:0
sim_tcp=$sim_port
start_sim sim-ws ws://127.0.0.1:0/mqtt
sim_ws=$sim_port
start_sim sim-wss wss://127.0.0.1:0/mqtt --cert "$work/server.pem" --key "$work/server.key"
sim_wss=$sim_port
echo "broker-sim on tcp ${sim_tcp}, ws ${sim_ws}, wss ${sim_wss}"
run_suite sim-tcp "mqtt://127.0.0.1:${sim_tcp}"
run_suite sim-ws "ws://127.0.0.1:${sim_ws}/mqtt"
run_suite sim-wss "wss://127.0.0.1:${sim_wss}/mqtt" --cafile "$work/ca.pem"
echo "broker-sim: ws:// vs mqtt://"
same_verdicts sim-tcp sim-ws || rc=1
echo "broker-sim: wss:// vs mqtt://"
same_verdicts sim-tcp sim-wss || rc=1

# ---- network fuzzing over WebSocket (issue 12): the same transport, a few seconds, no crash or hang ----
if "$mqttspec" fuzz --target "ws://127.0.0.1:${sim_ws}/mqtt" --duration 3 -s 12 -q -o "$out/fuzz-ws" \
  >"$out/fuzz-ws.txt" 2>&1; then
  grep -h 'cases/s' "$out/fuzz-ws.txt" | sed 's/^mqttspec fuzz: /fuzz over ws:\/\/: /' 
else
  echo "ws-gate: mqttspec fuzz over ws:// failed (see $out/fuzz-ws.txt)" >&2
  rc=1
fi

# ---- MQTT.js as a WebSocket client of broker-sim (pinned in ci/ws-mqttjs/package-lock.json) ----
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
  if [[ ! -d ci/ws-mqttjs/node_modules/mqtt ]]; then
    (cd ci/ws-mqttjs && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$out/npm.log" 2>&1 ||
      { echo "ws-gate: npm ci in ci/ws-mqttjs failed (see $out/npm.log)" >&2; rc=1; }
  fi
  if [[ -d ci/ws-mqttjs/node_modules/mqtt ]]; then
    node ci/ws-mqttjs/pubsub.js "ws://127.0.0.1:${sim_ws}/mqtt" || { echo "ws-gate: MQTT.js over ws failed" >&2; rc=1; }
  fi
else
  echo "ws-gate: no node/npm: MQTT.js client check not run"
fi

# ---- 2. mosquitto's websockets listener ----
# mosquitto 2.0.11 refuses to start with websockets listeners only ("Unable to start any listening
# sockets"): a plain listener goes with them, and gives the TCP verdicts to compare with.
tcp=$(free_port)
ws=$(free_port)
wss=$(free_port)
mosquitto_base_conf "$work/mosquitto.conf"
cat >>"$work/mosquitto.conf" <<CONF
listener ${tcp} 127.0.0.1
listener ${ws} 127.0.0.1
protocol websockets
listener ${wss} 127.0.0.1
protocol websockets
certfile ${work}/server.pem
keyfile ${work}/server.key
CONF
mosquitto -c "$work/mosquitto.conf" >"$out/mosquitto.log" 2>&1 &
pids+=($!)
wait_port "$tcp" 10
wait_port "$ws" 10
wait_port "$wss" 10
echo "mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}') on tcp ${tcp}, ws ${ws}, wss ${wss}"
run_suite mosquitto-tcp "mqtt://127.0.0.1:${tcp}" --baseline ci/targets/mosquitto.baseline
# ws: the mosquitto baseline plus the chapter-6 verdicts; wss: plus what differs with TLS only.
cat ci/targets/mosquitto.baseline ci/targets/mosquitto-ws.baseline >"$work/ws.baseline"
cp "$work/ws.baseline" "$work/wss.baseline"
run_suite mosquitto-ws "ws://127.0.0.1:${ws}/mqtt" --baseline "$work/ws.baseline"
run_suite mosquitto-wss "wss://127.0.0.1:${wss}/mqtt" --baseline "$work/wss.baseline" --cafile "$work/ca.pem"
# Informational: the baseline judges; the differences are documented in docs/targets/mosquitto.md.
echo "mosquitto: ws:// vs mqtt://"
same_verdicts mosquitto-tcp mosquitto-ws || true
echo "mosquitto: wss:// vs mqtt://"
same_verdicts mosquitto-tcp mosquitto-wss || true
exit "$rc"
