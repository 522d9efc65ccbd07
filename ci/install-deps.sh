#!/usr/bin/env bash
# Install the Debian 12 packages mqttspec needs to build, test and fuzz.
# Idempotent: installs only what is missing, and touches apt only then.
# Runs as root, or through sudo when not root.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  clang libclang-rt-14-dev   # clang, libFuzzer and the sanitizer runtimes
  libcmocka-dev libcjson-dev libssl-dev
  libpcap-dev                 # reports/pcap.c writes capture files with libpcap
  valgrind libxml2-utils python3
  groff-base man-db           # ci/install-test.sh renders the man page (groff -man, man -l)
  python3-jsonschema          # tests/scenarios: scenario files against scenarios/schema.json
  mosquitto mosquitto-clients # reference broker for the real-broker gate
)

missing=()
for p in "${PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
apt() {
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-deps: FAILED: apt-get $*" >&2
    exit 1
  fi
}
apt update
apt install --no-install-recommends "${missing[@]}"
echo "install-deps: done"
