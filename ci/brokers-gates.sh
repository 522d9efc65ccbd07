#!/usr/bin/env bash
# Every real-broker gate of ci/broker-gate.sh, after ci/install-brokers.sh, with a summary.
# Two lanes run side by side (this machine has 2 cores): the slow-starting
# RabbitMQ with mosca in one, ejabberd, aedes and mosquitto with -u/-P in the
# other, so the two Erlang VMs never start at the same time.
# Measured on this 2-core machine (other builds running): first install of the
# Debian packages 57 s (apt-get update + rabbitmq-server, ejabberd, Erlang),
# npm ci 52 s; start-up to the first CONNACK: RabbitMQ 27-38 s, ejabberd 9-11 s,
# mosca 2-4 s, aedes 1-2 s, mosquitto 0.3-1 s; all five gates 66 s, 119 s in
# all with a fresh npm ci.
#   usage: ci/brokers-gates.sh [BUILD_DIR] [OUT_DIR]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

build=${1:-build/dev}
out=${2:-$build/gates-brokers}
mkdir -p "$out"
started=$SECONDS

ci/install-brokers.sh || exit 1

lane() { # BROKER...: run the gates one after the other, one status line each
  local b s rc
  for b in "$@"; do
    s=$SECONDS
    ci/broker-gate.sh "$b" "$build" "$out/$b" >"$out/$b.log" 2>&1
    rc=$?
    printf '%-15s %-4s %4d s  %s\n' "$b" "$([[ $rc == 0 ]] && echo ok || echo FAIL)" $((SECONDS - s)) \
      "$(grep -h '^baseline \|exited\|Segmentation\|no CONNACK\|exited before' "$out/$b.log" | tail -1)" \
      >"$out/$b.status"
  done
}

lane rabbitmq mosca &
lane_a=$!
lane ejabberd aedes mosquitto-auth &
lane_b=$!
wait "$lane_a" "$lane_b"

echo "broker gates (logs and reports in $out):"
rc=0
for b in rabbitmq mosca ejabberd aedes mosquitto-auth; do
  cat "$out/$b.status"
  grep -q ' ok ' "$out/$b.status" || rc=1
done
# The cross-broker matrix of these runs (docs/reports.md); docs/targets/matrix.html is a copy of one.
reports=()
for b in rabbitmq mosca ejabberd aedes mosquitto-auth; do
  [[ -f $out/$b/$b.json ]] && reports+=("$b=$out/$b/$b.json")
  [[ -f $out/$b/$b-ws.json ]] && reports+=("$b-ws=$out/$b/$b-ws.json") # its WebSocket listener
done
if ((${#reports[@]})); then
  "$build/cli/mqttspec" report --matrix "${reports[@]}" --html "$out/matrix.html" --md "$out/matrix.md" || rc=1
  echo "broker matrix: $out/matrix.html, $out/matrix.md"
  # Opened in headless Chromium (ci/browser-check.sh installs it): every broker's column is in the page.
  if command -v chromium >/dev/null 2>&1; then
    profile_dir=$(mktemp -d)
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
      --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile_dir" \
      --dump-dom "file://$(realpath "$out/matrix.html")" >"$out/matrix.dom" 2>/dev/null || rc=1
    rm -rf "$profile_dir"
    for r in "${reports[@]}"; do
      grep -q ">${r%%=*}<" "$out/matrix.dom" || { echo "broker matrix: no column ${r%%=*} in the DOM" >&2; rc=1; }
    done
  fi
fi
echo "broker gates: $((SECONDS - started)) s in all"
exit "$rc"
