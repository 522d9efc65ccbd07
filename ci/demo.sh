#!/usr/bin/env bash
# The main job: install what is missing, build the release preset, and decode
# two packets with the mqttspec command: a valid CONNECT, and a PUBLISH whose
# Topic Name holds a wildcard, which must be rejected with exit 1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash ci/install-deps.sh
cmake --preset release --log-level=NOTICE
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)"

mqttspec=""
for candidate in build/release/cli/mqttspec build/release/mqttspec build/release/bin/mqttspec; do
  if [[ -x "$candidate" ]]; then mqttspec="$candidate"; break; fi
done
if [[ -z "$mqttspec" ]]; then
  echo "demo: mqttspec binary not found under build/release" >&2
  exit 1
fi

echo
echo "\$ mqttspec decode 10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00"
"$mqttspec" decode 10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00

echo
echo "\$ mqttspec decode 30 05 00 03 61 2b 62   # PUBLISH to 'a+b': wildcard in a Topic Name"
rc=0
"$mqttspec" decode 30 05 00 03 61 2b 62 || rc=$?
echo "(exit status ${rc})"
if ((rc != 1)); then
  echo "demo: FAIL: the malformed PUBLISH should exit 1, got ${rc}" >&2
  exit 1
fi

echo
echo "demo: ok"
