#!/usr/bin/env bash
# --pcap against Wireshark's own dissector (tshark, Debian 12): runs with known
# failures write a capture per failing case, and each capture must dissect as
# the MQTT packets the case's JSON transcript shows, in the same order and
# direction, with valid checksums and no TCP anomaly.
#   - client role: mqttspec run against broker-sim with quirk no-will (the will-*
#     scenarios FAIL), with a user name and password that must stay redacted;
#   - server role: mqttspec sim --scenario with mosquitto_sub as the client under
#     test (client-session-present-without-session@5.0 FAILs, see
#     ci/targets/mosquitto-clients.baseline).
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

# ---- every capture against its transcript ----
python3 - "$out" "$secret" <<'PY'
import json, pathlib, subprocess, sys

out, secret = pathlib.Path(sys.argv[1]), sys.argv[2].encode()
SERVER_PORT = 1883
problems, checked = [], 0

def tshark(path, *args):
    r = subprocess.run(["tshark", "-r", str(path), *args], capture_output=True, text=True)
    if r.returncode != 0:
        problems.append(f"{path}: tshark exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout

def expected_packets(case, we_are_server):
    """(type, from_server) of each packet the transcript shows on the wire, as the writer puts them."""
    packets, closed = [], set()
    for ev in case.get("transcript") or []:
        kind, conn = ev["kind"], ev["conn"]
        if kind == "opened":
            closed.discard(conn)
        elif kind in ("closed", "dropped"):
            closed.add(conn)
        elif kind in ("sent", "received") and ev["hex"] and conn not in closed:
            from_server = (kind == "sent") == we_are_server
            packets.append((int(ev["hex"][:2], 16) >> 4, from_server))
    return packets

def dissected_packets(path):
    packets = []
    for line in tshark(path, "-Y", "mqtt", "-T", "fields", "-E", "separator=/t",
                       "-e", "tcp.srcport", "-e", "mqtt.msgtype").splitlines():
        port, types = line.split("\t")
        packets += [(int(t), int(port) == SERVER_PORT) for t in types.split(",")]
    return packets

def check(role, we_are_server):
    global checked
    report = json.loads((out / role / "report.json").read_text())
    pcaps = out / role / "pcap"
    wanted = set()
    for case in report["cases"]:
        name = f'{case["id"]}@{case["version"]}.pcap'
        path = pcaps / name
        if case["verdict"] == "PASS":
            if path.exists():
                problems.append(f"{role}: {name}: written for a PASS")
            continue
        wanted.add(name)
        if not path.exists():
            problems.append(f"{role}: {name}: missing for a {case['verdict']}")
            continue
        want, got = expected_packets(case, we_are_server), dissected_packets(path)
        if not want:
            problems.append(f"{role}: {name}: the transcript shows no packet: nothing compared")
        if want != got:
            problems.append(f"{role}: {name}: tshark shows {got}, the transcript {want}")
        bad = tshark(path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-Y",
                     "ip.checksum.status == 0 || tcp.checksum.status == 0 || tcp.analysis.flags || _ws.malformed")
        if bad.strip():
            problems.append(f"{role}: {name}: bad checksum, TCP anomaly or malformed packet:\n{bad}")
        if secret in path.read_bytes():
            problems.append(f"{role}: {name}: holds the password")
        checked += 1
    extra = {p.name for p in pcaps.glob("*.pcap")} - wanted
    if extra:
        problems.append(f"{role}: captures of no failing case: {sorted(extra)}")

check("client", False)
check("server", True)
if not (out / "server" / "pcap").exists() or not any((out / "server" / "pcap").glob("*.pcap")):
    problems.append("server: no capture written (did the case not fail?)")
for p in problems:
    print("pcap-check:", p, file=sys.stderr)
print(f"pcap-check: {checked} captures compared with their transcripts, {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
