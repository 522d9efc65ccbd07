#!/usr/bin/env bash
# The HTML report and the cross-target matrix opened in a real browser (headless Chromium):
# a run of broker-sim with a quirk (no Wills: every Will case FAILs) and a plain run are
# written as --html and --json, combined with `mqttspec report --matrix`, loaded with
# --dump-dom (the DOM after the page's script ran) and checked for the expected cases,
# verdicts and counts, and for the verdict filter working; then screenshotted into
# SHOT_DIR (default docs/img/, shown by docs/reports.md).  The chaos page of the synthetic
# result tests/data/chaos-sample.json (`mqttspec report --chaos`) is checked the same way and
# screenshotted into CHAOS_SHOT (default docs/chaos-timeline.png, shown by docs/chaos.md).
#
#   ci/browser-check.sh BUILD_DIR [SHOT_DIR [CHAOS_SHOT]]
#
# Installs Debian's chromium when missing (it is big: not part of ci/install-deps.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${1:?usage: ci/browser-check.sh BUILD_DIR [SHOT_DIR]}
shots=$(realpath -m "${2:-docs/img}")
chaos_shot=$(realpath -m "${3:-docs/chaos-timeline.png}")
mqttspec=$(realpath "$build/cli/mqttspec")

if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$shots"

failures=0
check() { # check WHAT FILE REGEX: FILE must match the extended REGEX (one line)
  if grep -Eq -- "$3" "$2"; then
    echo "ok: $1"
  else
    echo "FAILED: $1 (no match for $3 in $2)" >&2
    failures=$((failures + 1))
  fi
}

# chromium ARGS...: a fresh profile each time, no network beyond the file itself, quiet.
chrome() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d -p "$work")" \
    "$@" 2>>"$work/chromium.log"
}

# ---- the runs, side by side (each its own embedded broker-sim): exit 1 with the quirk (FAILs), 0 without ----
"$mqttspec" run -q --json "$work/plain.json" >"$work/plain.txt" &
plain_pid=$!
rc=0
"$mqttspec" run -q --sim-quirk no-will --html "$work/report.html" --json "$work/no-will.json" >"$work/no-will.txt" || rc=$?
plain_rc=0
wait "$plain_pid" || plain_rc=$?
if ((rc != 1 || plain_rc != 0)); then
  echo "FAILED: run --sim-quirk no-will exited $rc (expected 1), the plain run $plain_rc (expected 0)" >&2
  cat "$work/no-will.txt" "$work/plain.txt" >&2
  exit 1
fi
"$mqttspec" report --matrix "sim=$work/plain.json" "sim no-will=$work/no-will.json" \
  --html "$work/matrix.html" --md "$work/matrix.md"

# "206 passed, 21 failed, ..." -> the counts the page must show
read -r passed failed < <(sed -En 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$work/no-will.txt")
echo "the run with the quirk: $passed passed, $failed failed"

# ---- the report, as the browser builds it; #verdict=FAIL presets the filter (rows hidden stay in the DOM) ----
chrome --dump-dom "file://$work/report.html#verdict=FAIL" >"$work/report.dom"
check "report: FAIL count" "$work/report.dom" "<td data-count=\"FAIL\">$failed</td>"
check "report: PASS count" "$work/report.dom" "<td data-count=\"PASS\">$passed</td>"
check "report: a Will case FAILs" "$work/report.dom" \
  '<tr class="case" [^>]*data-verdict="FAIL".*<td class="id">will-on-abrupt-close</td><td>3\.1\.1</td>'
check "report: ...citing its statement with its text" "$work/report.dom" \
  '<td class="id">will-on-abrupt-close</td><td>3\.1\.1</td><td class="statement"><code>3\.1\.1:MQTT-[0-9.-]+</code><br><small>[A-Z]'
check "report: a CONNECT case PASSes" "$work/report.dom" 'data-verdict="PASS".*<td class="id">connect-accepted</td>'
check "report: sections" "$work/report.dom" '<tr class="group" data-group="[0-9]+"><th colspan="5">3\.1\.2\.5 Will Flag</th>'
check "report: profile" "$work/report.dom" '<table class="profile" id="profile">'
check "report: transcript hex" "$work/report.dom" '<div class="hex">10 [0-9a-f]{2} 00 04 4d 51 54 54'

# The filter ran in the browser: every passing row hidden, no failing one.
hidden=$(grep -o '<tr class="case hidden"[^>]*data-verdict="PASS"' "$work/report.dom" | wc -l || true)
hidden_fail=$(grep -o '<tr class="case hidden"[^>]*data-verdict="FAIL"' "$work/report.dom" | wc -l || true)
if ((hidden == passed && hidden_fail == 0)); then
  echo "ok: filter: $hidden passing rows hidden, every failing row shown"
else
  echo "FAILED: filter: $hidden of $passed passing rows hidden, $hidden_fail failing rows hidden" >&2
  failures=$((failures + 1))
fi

# ---- the matrix ----
chrome --dump-dom "file://$work/matrix.html" >"$work/matrix.dom"
check "matrix: columns" "$work/matrix.dom" '<th>sim</th><th>sim no-will</th>'
check "matrix: a Will case PASS | FAIL, linked" "$work/matrix.dom" \
  '>will-on-abrupt-close</td><td>3\.1\.1</td><td class="cell v-PASS"><a href="#m-[0-9]+-0">PASS</a></td><td class="cell v-FAIL"><a href="#m-[0-9]+-1">FAIL</a>'
check "matrix: a CONNECT case PASS | PASS" "$work/matrix.dom" \
  '>connect-accepted</td><td>3\.1\.1</td><td class="cell v-PASS"><a href="#m-[0-9]+-0">PASS</a></td><td class="cell v-PASS">'
link=$(grep -Eo '>will-on-abrupt-close</td><td>3\.1\.1</td><td class="cell v-PASS"><a href="#m-[0-9]+-0">PASS</a></td><td class="cell v-FAIL"><a href="#m-[0-9]+-1"' \
  "$work/matrix.dom" | grep -Eo 'm-[0-9]+-1' || true)
check "matrix: the FAIL cell's detail is on the page" "$work/matrix.dom" "<section class=\"mdetail\" id=\"${link:-none}\">"
check "matrix: Markdown summary" "$work/matrix.md" '^\| [0-9.]+ [A-Za-z ]+ \| will-on-abrupt-close \| 3\.1\.1 \| PASS \| FAIL \|$'

# ---- the chaos page: every fault a mark and every anomaly a point, with hover titles ----
sample=tests/data/chaos-sample.json
"$mqttspec" report --chaos "$sample" --html "$work/chaos.html"
chrome --dump-dom "file://$work/chaos.html" >"$work/chaos.dom"
read -r n_faults n_anomalies < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["faults"]), len(r["anomalies"]))' "$sample")
marks=$(grep -o '<line class="fault"' "$work/chaos.dom" | wc -l || true)
points=$(grep -o '<circle class="anomaly"' "$work/chaos.dom" | wc -l || true)
if ((marks == n_faults && points == n_anomalies)); then
  echo "ok: chaos: $marks fault marks, $points anomaly points"
else
  echo "FAILED: chaos: $marks of $n_faults fault marks, $points of $n_anomalies anomaly points" >&2
  failures=$((failures + 1))
fi
check "chaos: verdict" "$work/chaos.dom" '<h1>mqttspec chaos <span class="v v-FAIL">FAIL</span></h1>'
check "chaos: a fault's hover title" "$work/chaos.dom" '<title>[0-9]+ ms: broker-restart'
check "chaos: an anomaly's hover title" "$work/chaos.dom" '<title>[0-9]+ ms: duplicate-qos2 \(violation, 5\.0:MQTT-'
check "chaos: counts per kind" "$work/chaos.dom" '<tr data-kind="lost"><td>lost</td><td class="n">[0-9]+</td>'
check "chaos: throughput line" "$work/chaos.dom" '<polyline fill="none" stroke="#1f77b4"[^>]* points="[0-9]'
if grep -Eq 's3cret|alice' "$work/chaos.dom"; then
  echo "FAILED: chaos: the target's credentials are on the page" >&2
  failures=$((failures + 1))
fi
mkdir -p "$(dirname "$chaos_shot")"
chrome --screenshot="$chaos_shot" --window-size=1280,1450 "file://$work/chaos.html" >/dev/null

# ---- screenshots for docs/reports.md ----
detail=$(grep -Eo 'id="detail-[0-9]+" data-verdict="FAIL"' "$work/report.dom" | head -1 | grep -Eo '[0-9]+')
chrome --screenshot="$shots/report.png" --window-size=1280,900 "file://$work/report.html#verdict=FAIL" >/dev/null
chrome --screenshot="$shots/report-detail.png" --window-size=1280,1700 "file://$work/report.html#case=$detail" >/dev/null
chrome --screenshot="$shots/matrix.png" --window-size=1280,900 "file://$work/matrix.html#verdict=FAIL" >/dev/null
for png in "$shots/report.png" "$shots/report-detail.png" "$shots/matrix.png" "$chaos_shot"; do
  if [[ -s "$png" ]]; then
    echo "ok: screenshot $png"
  else
    echo "FAILED: no screenshot $png" >&2
    failures=$((failures + 1))
  fi
done

if ((failures)); then
  echo "browser-check: $failures check(s) failed" >&2
  exit 1
fi
echo "browser-check: ok"
