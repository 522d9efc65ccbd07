#!/bin/sh
# Prove the suite catches every quirk: for each one, start mqttspec-sim with
# that quirk alone on 127.0.0.1, run the scenarios against it, and list what
# FAILs.  Also runs the suite once without quirks, where nothing may fail.
# Exit status: 0 if the plain run passed and every quirk made a case FAIL.
#
#   broker-sim/check_quirks.sh [BUILD_DIR] [-- extra mqttspec run options]
set -u
build=${1:-build/dev}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
sim=$build/broker-sim/mqttspec-sim
cli=$build/cli/mqttspec
extra="$*" # options for mqttspec run (word-split: keep them simple)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# run_suite NAME [QUIRK]: prints the summary line and the failing cases; sets $failed.
run_suite() {
    name=$1
    : >"$work/$name.sim" # exists before the background sim opens it
    if [ -n "${2:-}" ]; then
        "$sim" --listen mqtt://127.0.0.1:0 --quirk "$2" >"$work/$name.sim" 2>&1 &
    else
        "$sim" --listen mqtt://127.0.0.1:0 >"$work/$name.sim" 2>&1 &
    fi
    pid=$!
    port=
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        port=$(awk '/^listening/ {print $NF}' "$work/$name.sim")
        [ -n "$port" ] && break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "$name: mqttspec-sim did not start: $(cat "$work/$name.sim")"
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        failed=-1
        return
    fi
    # shellcheck disable=SC2086
    "$cli" run --target "mqtt://127.0.0.1:$port" -q $extra >"$work/$name.run" 2>&1
    kill "$pid"
    wait "$pid" 2>/dev/null
    failed=$(grep -c '^FAIL' "$work/$name.run")
    echo "$name: $(tail -n 1 "$work/$name.run")"
    grep '^FAIL' "$work/$name.run" | awk '{print "    " $2 " " $3}' | sort -u
}

run_suite plain
[ "$failed" = 0 ] || status=1
for q in $("$sim" --list-quirks | awk '/^[a-z]/ {print $1}'); do
    run_suite "$q" "$q"
    if [ "$failed" -le 0 ]; then
        echo "    !! no scenario catches quirk $q"
        status=1
    fi
done
exit $status
