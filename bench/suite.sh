#!/usr/bin/env bash
# Suite wall time: how long `mqttspec run -q --json` takes over the whole suite
# against the embedded broker-sim and against Debian's mosquitto (started here
# on a free loopback port, stopped by pid), and how that grows with the number
# of cases and with -j.  A measurement, not a test: it builds nothing and never
# fails because a figure is slow.  Markdown tables go to stdout, every report
# to OUT_DIR (docs/performance.md, "Suite wall time", explains the figures).
#   usage: bench/suite.sh [BUILD_DIR] [OUT_DIR]
#   env:   REPS     repetitions of each configuration (default 3): median and min are reported
#          TARGETS  which targets (default "sim mosquitto")
#          JOBS     the -j values of the -j table (default "1 8 16 64")
#          JOBS1_REPS  repetitions of -j 1, the slow one (default 1)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ci/lib.sh

build=${1:-build/release}
out=${2:-$build/bench-suite}
reps=${REPS:-3}
jobs_list=${JOBS:-1 8 16 64}
jobs1_reps=${JOBS1_REPS:-1}
targets=${TARGETS:-sim mosquitto}
mqttspec="$build/cli/mqttspec"
scenarios=scenarios
if [[ ! -x $mqttspec ]]; then
  echo "bench/suite.sh: no $mqttspec: build it first (cmake --preset release && cmake --build --preset release -j2)" >&2
  exit 2
fi
mkdir -p "$out"
scratch_and_child

# start_mosquitto: Debian's mosquitto on a free loopback port, plain TCP (the gate's settings).
start_mosquitto() {
  local port
  port=$(free_port)
  mosquitto_base_conf "$work/mosquitto.conf"
  printf 'listener %s 127.0.0.1\n' "$port" >>"$work/mosquitto.conf"
  chmod 755 "$work"
  chmod 644 "$work/mosquitto.conf"
  start_mosquitto "$out/mosquitto.log"
  wait_port "$port" 10 >&2
  mosquitto_url="mqtt://127.0.0.1:${port}"
}

# every_nth N: a directory holding every Nth scenario file (by path), for --scenarios: 1/N of the suite.
# (--id takes at most 64 globs, fewer than half the suite.)
every_nth() {
  local dir="$work/every-$1"
  if [[ ! -d $dir ]]; then
    mkdir -p "$dir"
    find "$PWD/$scenarios" -name '*.json' ! -name schema.json | sort | awk -v n="$1" '(NR - 1) % n == 0' |
      while read -r f; do ln -s "$f" "$dir/${f##*/}"; done
  fi
  echo "$dir"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# stats VALUES...: "median min" (median of an even count: the mean of the middle two, rounded down).
stats() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2); print m, v[1] }'
}

# measure TARGET LABEL REPS [run options]: run the suite REPS times, print one Markdown table row:
# target | selection | cases | verdicts | wall median | wall min | sum of case durations | longest case.
measure() {
  local target=$1 label=$2 n=$3
  shift 3
  local walls=() i rc t0 t1 json tag a scen=(--scenarios "$scenarios") tgt=()
  [[ $target == mosquitto ]] && tgt=(--target "$mosquitto_url") # none: the embedded broker-sim
  for a in "$@"; do [[ $a == --scenarios ]] && scen=(); done # a subset replaces the whole suite
  tag=$(printf '%s-%s' "$target" "$label" | tr -c 'A-Za-z0-9.=-' '_')
  for ((i = 1; i <= n; i++)); do
    json="$out/$tag-$i.json"
    t0=$(now_ms)
    rc=0
    # exit 1 is a FAIL verdict (mosquitto has documented deviations): measured like any run.
    "$mqttspec" run "${scen[@]}" -q --json "$json" "${tgt[@]}" "$@" \
      >"$out/$tag-$i.out" 2>&1 || rc=$?
    t1=$(now_ms)
    if ((rc > 1)); then
      echo "bench/suite.sh: $target $label: mqttspec run exited $rc (see $out/$tag-$i.out)" >&2
      return 1
    fi
    walls+=($((t1 - t0)))
  done
  read -r med min < <(stats "${walls[@]}")
  jq -r --arg t "$target" --arg l "$label" --arg med "$med" --arg min "$min" '
    [.summary | to_entries[] | select(.key != "total" and .value > 0) | "\(.value) \(.key)"] as $v
    | "| \($t) | \($l) | \(.summary.total) | \($v | join(", ")) | \($med | tonumber / 1000) s | \($min | tonumber / 1000) s"
      + " | \([.cases[].duration_ms] | add / 1000) s | \([.cases[].duration_ms] | max / 1000) s |"' "$json"
}

# longest TARGET: the 10 longest cases of the last whole-suite run against TARGET, and where its wall time goes.
longest() {
  local json="$out/$1-all-$reps.json"
  echo
  echo "10 longest cases against $1 ($json):"
  echo
  echo "| case | version | verdict | duration | tags |"
  echo "|---|---|---|---:|---|"
  jq -r '.cases | sort_by(-.duration_ms) | .[:10][]
    | "| \(.id) | \(.version) | \(.verdict) | \(.duration_ms / 1000) s | \(.tags | join(" ")) |"' "$json"
  echo
  schedule "$json"
}

# schedule JSON: the runner's phases replayed from the case durations of one report: the shared cases go to
# the first free of the default -j workers in file order (what mqs_run_all does), then the "isolated" ones run
# one at a time.  Prints that estimate beside the measured wall time, and the same with the shared cases
# handed out longest first (an idea: the runner does not do it).
schedule() {
  python3 - "$1" "$(nproc)" <<'PY'
import heapq, json, sys
report, cores = json.load(open(sys.argv[1])), int(sys.argv[2])
jobs = min(64, 8 * cores)  # the runner's default -j
shared = [c["duration_ms"] for c in report["cases"] if "isolated" not in c["tags"]]
isolated = sum(c["duration_ms"] for c in report["cases"] if "isolated" in c["tags"])

def makespan(durations):
    workers = [0] * jobs
    for d in durations:
        heapq.heappush(workers, heapq.heappop(workers) + d)
    return max(workers)

in_order, longest_first = makespan(shared), makespan(sorted(shared, reverse=True))
print(f"wall {report['duration_ms'] / 1000:.2f} s (report's duration_ms) = shared phase at -j {jobs} "
      f"(replayed in file order: {in_order / 1000:.2f} s; longest first would be {longest_first / 1000:.2f} s) "
      f"+ isolated phase one at a time ({isolated / 1000:.2f} s, {sum('isolated' in c['tags'] for c in report['cases'])} cases)"
      f" + {(report['duration_ms'] - in_order - isolated) / 1000:.2f} s not explained by the replay")
PY
}

header() {
  echo
  echo "$1"
  echo
  echo "| target | selection | cases | verdicts | wall median | wall min | sum of cases | longest case |"
  echo "|---|---|---:|---|---:|---:|---:|---:|"
}

for target in $targets; do
  [[ $target == mosquitto ]] && start_mosquitto
  echo "## $target $( [[ $target == mosquitto ]] && echo "$(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}') on $mosquitto_url") - load $(cut -d' ' -f1-3 /proc/loadavg)"

  header "By number of cases (default -j, $reps runs each):"
  measure "$target" all "$reps"
  for v in 3.1.1 5.0 3.1; do # a version no scenario runs at yet (3.1 today) is left out
    if [[ -n $("$mqttspec" list --scenarios "$scenarios" -V "$v" 2>/dev/null) ]]; then
      measure "$target" "V=$v" "$reps" -V "$v"
    fi
  done
  measure "$target" "half" "$reps" --scenarios "$(every_nth 2)"
  measure "$target" "quarter" "$reps" --scenarios "$(every_nth 4)"

  header "By -j (whole suite):"
  for j in $jobs_list; do
    measure "$target" "j=$j" "$( ((j == 1)) && echo "$jobs1_reps" || echo "$reps")" -j "$j"
  done
  longest "$target"
  echo "load after $target: $(cut -d' ' -f1-3 /proc/loadavg)"

  if [[ $target == mosquitto ]]; then
    stop_child
  fi
done
