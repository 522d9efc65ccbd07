#!/usr/bin/env bash
# Capacity of the chaos workers themselves (docs/performance.md, "mqttspec chaos"): figures, not a
# timed test.  Against broker-sim (embedded, in the same process: its CPU is counted as the harness's)
# and mosquitto (started here on a free loopback port, stopped by pid):
#   idle  1000 connections (500 publishers, 500 subscribers) at 0.1 msg/s, the least --rate takes:
#         the publishers' rate clocks are spread over one period (5000 s each), so at most one
#         message is due in 10 s: RSS per connection, CPU when idle
#   load  1000 connections, 500 publishers at 100 msg/s together, each message to 500 subscribers:
#         50 000 deliveries/s asked for
#   rss   idle with 2, 1000 and 5000 connections (half publishers, half subscribers): RSS per idle
#         connection as (peak RSS at N - peak RSS at 2) / (N - 2)
# Each run's JSON goes to OUT_DIR; one line per run on stdout.
#
#   usage: bench/chaos.sh [BUILD_DIR] [OUT_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ci/lib.sh

build=${1:-build/release}
out=${2:-$build/bench-chaos}
secs=${3:-10}
mqttspec="$build/cli/mqttspec"
mkdir -p "$out"
ulimit -n 16384 # 5000 connections, and the broker side of them (broker-sim is in this process)
scratch_and_child

# run NAME [options]: one workload, its figures on one line.
run() {
  local name=$1
  shift
  "$mqttspec" chaos -V 5.0 --duration "$secs" --publishers 500 --subscribers 500 --topics 1 --qos 1 --seed 1 \
    -q --json "$out/$name.json" "$@" >"$out/$name.log" 2>&1 || true
  jq -r --arg name "$name" '"\($name): \(.summary.connections_max) connections, in \(.summary.throughput_in_per_s) msg/s, out \(.summary.throughput_out_per_s) msg/s (peak \([.series[].received] | max) in a second), latency p50/p99 \(.summary.latency_ms.p50)/\(.summary.latency_ms.p99) ms, harness CPU \(.summary.harness_cpu_s) s in \(.elapsed_ms / 1000) s, RSS \(.summary.harness_rss_kb) KB (\(.summary.harness_rss_kb / .summary.connections_max | floor) KB per connection), \(.verdict)"' \
    "$out/$name.json"
}

# rss LABEL [options]: idle runs at 2, 1000 and 5000 connections, RSS per connection beyond the first two.
rss() {
  local label=$1 base="" n
  shift
  for n in 1 500 2500; do
    "$mqttspec" chaos -V 5.0 --duration 3 --publishers $n --subscribers $n --topics 1 --qos 1 --seed 1 --rate 0.1 \
      -q --json "$out/$label-rss-$((2 * n)).json" "$@" >"$out/$label-rss-$((2 * n)).log" 2>&1 || true
    local kb
    kb=$(jq -r '.summary.harness_rss_kb' "$out/$label-rss-$((2 * n)).json")
    [[ -z $base ]] && base=$kb
    echo "$label-rss: $(jq -r '.summary.connections_max' "$out/$label-rss-$((2 * n)).json") connections idle," \
      "RSS $kb KB, CPU $(jq -r '.summary.harness_cpu_s' "$out/$label-rss-$((2 * n)).json") s" \
      "in $(jq -r '.elapsed_ms / 1000' "$out/$label-rss-$((2 * n)).json") s$( ((n > 1)) &&
        echo ", $(((kb - base) * 1000 / (2 * n - 2))) bytes per connection beyond 2")"
  done
}

run sim-idle --rate 0.1
run sim-load --rate 100
rss sim

port=$(free_port)
mosquitto_base_conf "$work/mosquitto.conf"
{
  echo "listener ${port} 127.0.0.1"
  echo "max_queued_messages 100000"
} >>"$work/mosquitto.conf"
start_mosquitto "$out/mosquitto.log"
wait_port "$port" 10
run mosquitto-idle --rate 0.1 --target "mqtt://127.0.0.1:${port}"
run mosquitto-load --rate 100 --target "mqtt://127.0.0.1:${port}"
rss mosquitto --target "mqtt://127.0.0.1:${port}"
stop_child
