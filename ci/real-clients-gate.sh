#!/usr/bin/env bash
# The real-client gates beyond mosquitto_pub/sub: the Paho C client's sample programs
# (Debian's paho.mqtt.c-examples: paho_c_pub, paho_c_sub), Paho Python (Debian's python3-paho-mqtt,
# driven by ci/clients/paho_client.py) and MQTT.js (npm mqtt as pinned by
# ci/ws-mqttjs/package-lock.json, driven by ci/clients/mqttjs_client.js), each played
# against the server-role scenarios by ci/client-gate.sh with its own cases file and
# baseline (ci/targets/paho-c.*, ci/targets/paho-python.*, ci/targets/mqttjs.*; the FAILs
# documented in docs/targets/paho-c.md, paho-python.md and mqttjs.md).  Installs what is missing
# first; fails when a client cannot be installed or a verdict differs from its baseline.
#   usage: ci/real-clients-gate.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${1:-build/dev}
out=${2:-$build/gate-real-clients}
mkdir -p "$out"
rc=0

# Debian's Paho C samples, and Debian's paho run by Debian's python (a python3 earlier on PATH may not see it).
missing=()
command -v paho_c_pub >/dev/null 2>&1 || missing+=(paho.mqtt.c-examples)
/usr/bin/python3 -c 'import paho.mqtt.client' 2>/dev/null || missing+=(python3-paho-mqtt)
if ((${#missing[@]})); then
  as_root=()
  ((EUID == 0)) || as_root=(sudo)
  { "${as_root[@]}" apt-get update -qq &&
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
    >"$out/apt.log" 2>&1 || { echo "real-clients-gate: installing ${missing[*]} failed (see $out/apt.log)" >&2; rc=1; }
fi
if [[ ! -d ci/ws-mqttjs/node_modules/mqtt ]]; then
  (cd ci/ws-mqttjs && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$out/npm.log" 2>&1 ||
    { echo "real-clients-gate: npm ci in ci/ws-mqttjs failed (see $out/npm.log)" >&2; rc=1; }
fi

# One client after the other: each runs its cases in parallel already, and the keep-alive
# cases are timed.
for client in paho-c paho-python mqttjs mqttjs-ws; do
  bash ci/client-gate.sh "$build" "$out/$client" "ci/targets/$client.cases" || rc=1
done
exit "$rc"
