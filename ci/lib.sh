# shellcheck shell=bash
# Helpers for the real-broker gates: free ports, readiness, certificates, verdict baselines.
# Source it; every function is small and says what it waits for.

# A TCP port nobody listens on right now (the kernel picks it).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT SECONDS: until something accepts on 127.0.0.1:PORT.
wait_port() {
  local port=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:${port} after $2 s" >&2
  return 1
}

# scratch_and_child: a scratch directory $work and no child yet ($pid empty); at exit the child started
# last is stopped by its pid and $work removed.
scratch_and_child() {
  work=$(mktemp -d)
  pid=""
  trap 'if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
}

# start_mosquitto LOG: mosquitto with $work/mosquitto.conf in the background, its pid in $pid.
start_mosquitto() {
  mosquitto -c "$work/mosquitto.conf" >"$1" 2>&1 &
  pid=$!
}

# stop_child: the child by its pid (kill fails, and so the caller under set -e, if it is already gone).
stop_child() {
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
}

# mosquitto_base_conf FILE: the settings every gate's mosquitto runs with (listeners are appended by the caller).
mosquitto_base_conf() {
  cat >"$1" <<'CONF'
per_listener_settings false
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
CONF
}

# make_certs DIR: a throwaway CA and a server certificate for 127.0.0.1/localhost (never committed).
make_certs() {
  local dir=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=mqttspec test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/san.ext" -out "$dir/server.pem" 2>/dev/null
}
