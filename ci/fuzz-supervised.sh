#!/usr/bin/env bash
# The supervised fuzzer against broker-sim's planted bugs, each run as a broker of its own
# (mqttspec sim really crashes, or really leaks): each must be found, minimised and written as a
# scenario, and that scenario must reproduce it under `run --broker-cmd`: CRASHED with the broker's
# report for a crash, WARN for the broker's memory growth for a leak.
# Bounded: about 15 s per quirk (7 quirks), and 15 s for the client that stops reading.  Figures: docs/fuzzing.md.
#   usage: ci/fuzz-supervised.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build/dev}
work=${2:-$build/fuzz-supervised}
mqttspec="$(pwd)/$build/cli/mqttspec"
rm -rf "$work"
mkdir -p "$work"
failed=0
# quirk, what its finding replays as: crash (CRASHED) or memory (WARN: resident memory grew), and "nostall"
# where the client that stops reading is left out: leak-will-property leaks 1 MB per refused CONNECT, a quarter
# of what a minimised input must grow a fresh broker by, and the stall client's own ordinary growth would stay
# in the input to make up the rest (docs/fuzzing.md).
planted="crash-on-malformed:crash crash-on-client-connack:crash abort-on-dollar-publish:crash
deep-topic-recursion:crash leak-qos2-resend:memory alloc-announced-length:memory leak-will-property:memory:nostall"
# fuzzing flags growth past 8 MiB within 5 s; a replayed finding is one case, flagged past 512 KB as in the
# quirk matrix (a minimised input may grow a fresh broker less than the campaign's many connections did)
memory_opts=(--rss-bound 8192 --rss-window-ms 5000)
for entry in $planted; do
  IFS=: read -r q kind stall <<<"$entry"
  broker="$mqttspec sim --listen mqtt://127.0.0.1:{port} --quirk $q"
  opts=()
  [ "$kind" = memory ] && opts=("${memory_opts[@]}")
  fuzz_opts=()
  [ "$stall" = nostall ] && fuzz_opts=(--stall-hold-ms 0)
  start=$(date +%s%N)
  "$mqttspec" fuzz -q -d 22 -s 7 -o "$work/$q" --min-seconds 12 --stop-on-crash "${opts[@]}" ${fuzz_opts[@]+"${fuzz_opts[@]}"} --broker-cmd "$broker" \
    >"$work/$q.log" 2>&1 || true
  found=$(grep -m1 'minimised in' "$work/$q.log" | grep -o "$work/$q/fuzz-crash-[0-9]*.json" || true)
  first=$(grep -m1 -o 'CRASH after [0-9.]* s of fuzzing' "$work/$q.log" || echo 'no crash')
  if [ -z "$found" ]; then
    echo "FAIL $q: not found and minimised in 22 s"; tail -5 "$work/$q.log"; failed=1; continue
  fi
  "$mqttspec" run -q -j 1 --scenarios "$found" ${opts:+--rss-bound 512} --broker-cmd "$broker" --broker-out "$work/$q/replay" \
    --json "$work/$q/replay.json" >"$work/$q/replay.log" 2>&1 || true
  if ! python3 - "$work/$q/replay.json" "$kind" <<'PY'
import json, sys
cases, kind = json.load(open(sys.argv[1]))["cases"], sys.argv[2]
if kind == "crash":
    ok = all(c["verdict"] == "CRASHED" and "the broker's report:" in c["message"] for c in cases)
else:
    ok = all(c["verdict"] == "WARN" and "resident memory grew" in (c["message"] or "") for c in cases)
sys.exit(0 if cases and ok else 1)
PY
  then
    echo "FAIL $q: $found does not reproduce the $kind finding under run --broker-cmd"; failed=1; continue
  fi
  ms=$((($(date +%s%N) - start) / 1000000))
  printf 'ok   %-24s %-6s %s, %s, wall %d.%d s\n' "$q" "$kind" "$first" \
    "$(grep -m1 -o 'minimised in .* bytes' "$work/$q.log")" $((ms / 1000)) $((ms % 1000 / 100))
done

# The client that stops reading (fuzz/net/netfuzz_stall.c) against a sim whose queues have no practical bound:
# the messages it owes that client pile up, and the memory oracle must see it.  Without the stall client the
# same campaign finds nothing in 20 s (docs/fuzzing.md).  Required: found, and the input kept by the minimiser
# (10 s of it: several MB per replay) holds the stall client's connection (client id ...1002s).  Its replay under
# `run` is not checked: a fresh broker's own growth is of the same size as what the replayed input adds.
q=slow-reader
broker="$mqttspec sim --listen mqtt://127.0.0.1:{port} --max-queued 10000000 --max-queued-bytes 1000000000"
"$mqttspec" fuzz -q -d 15 -s 7 -o "$work/$q" --min-seconds 10 --stop-on-crash --rss-bound 4096 --rss-window-ms 5000 \
  --broker-cmd "$broker" >"$work/$q.log" 2>&1 || true
found=$(grep -m1 'minimised in' "$work/$q.log" | grep -o "$work/$q/fuzz-crash-[0-9]*.json" || true)
if [ -z "$found" ] || ! grep -q 'resident memory grew' "$work/$q.log" ||
   ! python3 - "$found" <<'PY'
import json, sys
steps = json.load(open(sys.argv[1]))["steps"]
firsts = [bytes.fromhex(s["hex"].replace(" ", ""))[:64] for s in steps if "hex" in s]
sys.exit(0 if any(f[:1] == b"\x10" and b"1002s" in f for f in firsts) else 1)
PY
then
  echo "FAIL $q: the stall client's memory growth was not found, or the input kept lacks its connection"
  tail -5 "$work/$q.log"; failed=1
else
  printf 'ok   %-24s %-6s %s, %s\n' "$q" memory "$(grep -m1 -o 'CRASH after [0-9.]* s of fuzzing' "$work/$q.log")" \
    "$(grep -m1 -o 'minimised in .* bytes' "$work/$q.log")"
fi
exit $failed
