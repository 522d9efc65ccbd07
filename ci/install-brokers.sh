#!/usr/bin/env bash
# Install the real brokers the broker gates run against, besides mosquitto
# (ci/install-deps.sh has that one):
#   Debian: rabbitmq-server (3.1.1 through the rabbitmq_mqtt plugin), ejabberd (mod_mqtt)
#   npm:    aedes and mosca, pinned in ci/brokers/node/package.json + package-lock.json,
#           installed into that project-local folder (never globally), without
#           install scripts (none of the brokers needs a native build).
# Idempotent: apt is touched only when a package is missing, npm only when
# node_modules is older than the lock file.  Prints how long each part took.
#   usage: ci/install-brokers.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEBIAN_PACKAGES=(rabbitmq-server ejabberd mosquitto mosquitto-clients nodejs)
NODE_DIR=ci/brokers/node

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]]; then
    missing+=("$p")
  fi
done
# Some nodejs builds bring npm with them (and conflict with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  as_root=(false)
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
apt() {
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-brokers: FAILED: apt-get $*" >&2
    exit 1
  fi
}

start=$SECONDS
if ((${#missing[@]} == 0)); then
  echo "install-brokers: Debian packages already installed"
else
  echo "install-brokers: installing ${missing[*]}"
  # The Debian packages start their brokers as system services on install; the
  # gates never use those.  policy-rc.d keeps the postinst from starting them.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 755 "$policy"
    own_policy=1
  fi
  apt update
  apt install --no-install-recommends "${missing[@]}"
  if ((own_policy)); then "${as_root[@]}" rm -f "$policy"; fi
fi
echo "install-brokers: Debian part took $((SECONDS - start)) s"

start=$SECONDS
if [[ -d $NODE_DIR/node_modules && $NODE_DIR/node_modules/.package-lock.json -nt $NODE_DIR/package-lock.json ]]; then
  echo "install-brokers: npm packages already installed in $NODE_DIR"
else
  echo "install-brokers: npm ci in $NODE_DIR"
  (cd "$NODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$log" 2>&1) || {
    cat "$log" >&2
    echo "install-brokers: FAILED: npm ci in $NODE_DIR" >&2
    exit 1
  }
fi
echo "install-brokers: npm part took $((SECONDS - start)) s"
