#!/usr/bin/env bash
# The MQTT-client gate: real MQTT clients under test, by default Debian's
# mosquitto_pub and mosquitto_sub (ci/real-clients-gate.sh passes the cases and
# baseline of the others).  For each line of the cases file: start
# `mqttspec sim --scenario` on a free loopback port (port 0; TLS with a
# throwaway certificate for lines marked "tls"), wait for its "listening on
# ... port N" line, run the client command against that port, wait for the
# case to end, stop the client by its process group.  The cases run in parallel
# (each has its own listener).  Passes when every verdict is the one the baseline
# records (PASS unless listed there; each listed one is documented in
# docs/targets/<client>.md).
#   usage: ci/client-gate.sh [BUILD_DIR] [OUT_DIR] [CASES] [BASELINE]
#   (defaults: build/dev, BUILD_DIR/gate-clients, ci/targets/mosquitto-clients.cases and .baseline)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ci/lib.sh

build=${1:-build/dev}
out=${2:-$build/gate-clients}
mqttspec="$build/cli/mqttspec"
cases=${3:-ci/targets/mosquitto-clients.cases}
baseline=${4:-${cases%.cases}.baseline}
t_start=$SECONDS
rm -rf "$out"
mkdir -p "$out/certs"
make_certs "$out/certs"

# wait_listening FILE SECONDS: the port from the "listening on URL port N" line of FILE.
wait_listening() {
  local file=$1 deadline=$((SECONDS + $2)) port=""
  while ((SECONDS < deadline)); do
    port=$(awk '/^listening on /{print $NF; exit}' "$file" 2>/dev/null || true)
    if [[ -n $port ]]; then
      echo "$port"
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# stop_client PID: the client's process group (timeout made PID its leader) gets TERM, then KILL
# after a second: mosquitto_sub blocks SIGTERM while it waits to reconnect to a listener that is gone.
stop_client() {
  local pid=$1 _
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in {1..20}; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# run_case DIR ID COMMAND: one scenario against one client command; files in DIR.
# A command starting with "tls " runs over TLS; CAFILE in it names the CA that signed our certificate.
# One starting with "ws " runs over WebSocket: the listener is ws://127.0.0.1:PORT/mqtt.
run_case() {
  local dir=$1 id=$2 cmd=$3 sim client port rc=0 listen=(--listen mqtt://127.0.0.1:0)
  mkdir -p "$dir"
  if [[ $cmd == "tls "* ]]; then
    cmd=${cmd#tls }
    cmd=${cmd//CAFILE/$out/certs/ca.pem}
    listen=(--listen mqtts://127.0.0.1:0 --cert "$out/certs/server.pem" --key "$out/certs/server.key")
  elif [[ $cmd == "ws "* ]]; then
    cmd=${cmd#ws }
    listen=(--listen ws://127.0.0.1:0/mqtt)
  fi
  "$mqttspec" sim "${listen[@]}" --scenario scenarios/client-tests --id "$id" --baseline "$baseline" \
    --json "$dir/report.json" --trace "$dir/trace" >"$dir/sim.out" 2>"$dir/sim.err" &
  sim=$!
  if ! port=$(wait_listening "$dir/sim.out" 10); then
    echo "$id: mqttspec sim did not start listening" >"$dir/error"
    kill "$sim" 2>/dev/null || true
    wait "$sim" 2>/dev/null || true
    return
  fi
  printf '%s\n' "${cmd//PORT/$port}" >"$dir/client.cmd"
  # timeout puts the client in a process group of its own and passes a TERM on to all of it.
  timeout 90 bash -c "${cmd//PORT/$port}" >"$dir/client.out" 2>&1 &
  client=$!
  wait "$sim" || rc=$?
  echo "$rc" >"$dir/sim.rc"
  stop_client "$client"
}

# At most CLIENT_GATE_JOBS cases at once (default 12): the cases mostly wait on their timers, but
# thirty-odd interpreters (Node, Python) starting together on 2 loaded cores did not all connect
# within a scenario's 30 s.
max_jobs=${CLIENT_GATE_JOBS:-12}
n=0
while read -r id cmd; do
  [[ -z $id || $id == \#* ]] && continue
  n=$((n + 1))
  while (($(jobs -rp | wc -l) >= max_jobs)); do wait -n || true; done
  run_case "$out/case-$n" "$id" "$cmd" &
done <"$cases"
wait

rc=0
for dir in "$out"/case-*; do
  if [[ -f $dir/error ]]; then
    cat "$dir/error" >&2
    rc=1
  elif [[ ! -f $dir/report.json ]] || (($(cat "$dir/sim.rc" 2>/dev/null || echo 99) > 1)); then
    echo "$dir: mqttspec sim exited $(cat "$dir/sim.rc" 2>/dev/null || echo '?') without a verdict: $(tail -3 "$dir/sim.err")" >&2
    rc=1
  elif [[ $(cat "$dir/sim.rc") != 0 ]]; then # --baseline: worse than the baseline
    grep -h '^baseline ' "$dir/sim.out" "$dir/sim.err" >&2 || true
    rc=1
  fi
done

# One report of all cases, then the verdicts against the baseline.
python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
cases = []
for rep in sorted(out.glob("case-*/report.json"), key=lambda p: int(p.parent.name.split("-")[1])):
    for c in json.loads(rep.read_text())["cases"]:
        cases.append(c)
        cmd = (rep.parent / "client.cmd").read_text().strip()
        print(f'{c["verdict"]:5} {c["id"]} ({c["version"]}): {cmd}')
json.dump({"cases": cases}, open(out / "clients.json", "w"), indent=1)
PY
echo "client gate ($(basename "$cases" .cases)): $n cases in $((SECONDS - t_start)) s"
exit "$rc"
