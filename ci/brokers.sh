# shellcheck shell=bash
# Start and stop the real brokers of the broker gates, by hand, on loopback.
# Source it after ci/lib.sh.  ci/install-brokers.sh installs what it starts.
#
#   broker_start NAME DIR  write NAME's configuration into DIR (a fresh temp dir),
#                          start it in the foreground as a child of this shell on a
#                          free 127.0.0.1 port, wait for a real CONNACK.  Sets:
#     BROKER_PORT      the MQTT port
#     BROKER_OPTS      mqttspec run options it needs (-V, -u/-P): an array, never print it
#     BROKER_BASELINE  the ci/targets/*.baseline its verdicts are compared with
#     BROKER_VERSION   the broker's version
#     BROKER_STARTUP   seconds from launch to the first CONNACK
#     BROKER_PIDS      the processes started, in the order broker_stop ends them
#     BROKER_WS_URL    its MQTT-over-WebSocket listener (aedes, RabbitMQ's web_mqtt), or empty;
#                      the gate runs the suite over it too, against BROKER_BASELINE plus
#                      ci/targets/NAME-ws.baseline (issue 12)
#   broker_stop            SIGTERM each of BROKER_PIDS in order and wait for it.
#
# Erlang brokers (RabbitMQ, ejabberd) get a private epmd, started here in the
# foreground on a free port (ERL_EPMD_PORT) and stopped last, so none is left
# behind and no system epmd is touched.  Credentials are made per run (user
# "mqttspec", random password in DIR/credentials, mode 600) and handed to
# mosquitto_pub through an options file, never on a command line we print.

# shellcheck disable=SC2034 # the BROKER_* variables are read by the script that sources this file
BROKERS=(aedes mosca rabbitmq ejabberd mosquitto-auth)
BROKERS_NODE_DIR=${BROKERS_NODE_DIR:-ci/brokers/node}

broker_start() {
  local name=$1 dir=$2
  BROKER_PORT=$(free_port)
  BROKER_OPTS=()
  BROKER_PIDS=()
  BROKER_BASELINE=ci/targets/$name.baseline
  BROKER_WS_URL=
  BROKER_VERSION=unknown
  local started=$EPOCHREALTIME
  case $name in
    aedes | mosca | rabbitmq | ejabberd | mosquitto-auth) "broker_start_${name//-/_}" "$dir" ;;
    *)
      echo "broker_start: unknown broker '$name' (known: ${BROKERS[*]})" >&2
      return 2
      ;;
  esac
  broker_wait_connack "$dir" 90 || return 1
  BROKER_STARTUP=$(python3 -c "print(f'{$EPOCHREALTIME - $started:.1f}')")
  echo "$name $BROKER_VERSION on 127.0.0.1:$BROKER_PORT, pids ${BROKER_PIDS[*]}, ready in ${BROKER_STARTUP} s"
}

broker_stop() {
  local pid
  for pid in "${BROKER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  BROKER_PIDS=()
}

# broker_wait_connack DIR SECONDS: until a 3.1.1 CONNECT to BROKER_PORT gets
# CONNACK 0 (with DIR's credentials, if any), or a started process has died.
broker_wait_connack() {
  local dir=$1 deadline=$((SECONDS + $2)) pid
  while ((SECONDS < deadline)); do
    if XDG_CONFIG_HOME="$dir/xdg" timeout 5 mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" \
      -V mqttv311 -i mqttspec-ready -t mqttspec/ready -m up 2>/dev/null; then
      return 0
    fi
    for pid in "${BROKER_PIDS[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "broker process $pid exited before it accepted a CONNECT (logs in $dir)" >&2
        return 1
      fi
    done
    sleep 0.2
  done
  echo "no CONNACK 0 from 127.0.0.1:$BROKER_PORT after $2 s (logs in $dir)" >&2
  return 1
}

# broker_credentials DIR: a user and a fresh random password for this run, kept
# in DIR/credentials (line 1 user, line 2 password) and in mosquitto_pub's
# options file DIR/xdg/mosquitto_pub; adds -u and --pw-file to BROKER_OPTS.
broker_credentials() {
  local dir=$1 user=mqttspec pass
  pass=$(openssl rand -hex 16)
  (
    umask 077
    mkdir -p "$dir/xdg"
    printf '%s\n%s\n' "$user" "$pass" >"$dir/credentials"
    printf '%s\n' "$pass" >"$dir/password"
    printf -- '-u %s\n-P %s\n' "$user" "$pass" >"$dir/xdg/mosquitto_pub"
  )
  # --pw-file, not -P: the password stays out of ps
  BROKER_OPTS+=(-u "$user" --pw-file "$dir/password")
}

# broker_epmd DIR: a private epmd for the Erlang brokers on a free loopback port
# (BROKER_EPMD_PORT; the broker's VM is given it as ERL_EPMD_PORT).
broker_epmd() {
  local dir=$1
  BROKER_EPMD_PORT=$(free_port)
  epmd -port "$BROKER_EPMD_PORT" -address 127.0.0.1 >"$dir/epmd.log" 2>&1 &
  BROKER_PIDS+=($!)
  wait_port "$BROKER_EPMD_PORT" 10
}

broker_node_version() { # PACKAGE
  node -p "require('./$BROKERS_NODE_DIR/node_modules/$1/package.json').version"
}

broker_start_aedes() {
  local dir=$1
  BROKER_VERSION=$(broker_node_version aedes)
  BROKER_OPTS+=(-V 3.1.1) # aedes has no MQTT 5.0 (its README: "not support yet")
  local ws
  ws=$(free_port)
  BROKER_WS_URL="ws://127.0.0.1:${ws}/mqtt"
  node "$BROKERS_NODE_DIR/aedes-server.mjs" "$BROKER_PORT" "$ws" >"$dir/aedes.log" 2>&1 &
  BROKER_PIDS=($!)
}

broker_start_mosca() {
  local dir=$1
  BROKER_VERSION=$(broker_node_version mosca)
  BROKER_OPTS+=(-V 3.1.1) # mosca predates MQTT 5.0
  node "$BROKERS_NODE_DIR/mosca-server.cjs" "$BROKER_PORT" >"$dir/mosca.log" 2>&1 &
  BROKER_PIDS=($!)
}

broker_start_rabbitmq() {
  local dir=$1 amqp dist ws
  BROKER_VERSION=$(dpkg-query -W -f='${Version}' rabbitmq-server)
  BROKER_OPTS+=(-V 3.1.1) # rabbitmq_mqtt 3.10 speaks 3.1 and 3.1.1 only
  amqp=$(free_port)
  dist=$(free_port)
  broker_epmd "$dir"
  ws=$(free_port)
  BROKER_WS_URL="ws://127.0.0.1:${ws}/ws" # web_mqtt's fixed path
  printf '[rabbitmq_mqtt,rabbitmq_web_mqtt].\n' >"$dir/enabled_plugins"
  # anonymous MQTT logins map to the default user guest, which may log in from loopback only.
  cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:${amqp}
mqtt.listeners.tcp.1 = 127.0.0.1:${BROKER_PORT}
mqtt.allow_anonymous = true
web_mqtt.tcp.ip = 127.0.0.1
web_mqtt.tcp.port = ${ws}
log.console = true
log.console.level = warning
log.file = false
CONF
  # The script stays in the foreground (it runs the VM as its child and stops
  # it on SIGTERM); "-start_epmd false": the VM uses our epmd.
  env HOME="$dir" ERL_EPMD_PORT="$BROKER_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_CONF_ENV_FILE=/dev/null \
    RABBITMQ_NODENAME="mqttspec${BROKER_PORT}@localhost" RABBITMQ_DIST_PORT="$dist" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_SERVER_START_ARGS="-start_epmd false" \
    /usr/lib/rabbitmq/bin/rabbitmq-server >"$dir/rabbitmq.log" 2>&1 &
  BROKER_PIDS=($! "${BROKER_PIDS[@]}")
}

broker_start_ejabberd() {
  local dir=$1
  BROKER_VERSION=$(dpkg-query -W -f='${Version}' ejabberd)
  broker_credentials "$dir"
  broker_epmd "$dir"
  cat >"$dir/ejabberd.yml" <<CONF
hosts:
  - localhost
loglevel: warning
log_rotate_count: 0
auth_method: internal
listen:
  -
    port: ${BROKER_PORT}
    ip: "127.0.0.1"
    module: mod_mqtt
    backlog: 1000
modules:
  mod_mqtt: {}
CONF
  # What ejabberdctl foreground runs, without its switch to the ejabberd user
  # and its system paths.  The -eval registers the run's user once ejabberd
  # is up, reading the password from the file so it is on no command line.
  local register='{ok, B} = file:read_file("'"$dir"'/credentials"),
    [U, P | _] = binary:split(B, <<"\n">>, [global]),
    io:format("register ~s: ~p~n", [U, ejabberd_auth:try_register(U, <<"localhost">>, P)]).'
  env HOME="$dir" ERL_EPMD_PORT="$BROKER_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 EJABBERD_CONFIG_PATH="$dir/ejabberd.yml" EJABBERD_LOG_PATH="$dir/ejabberd.log" \
    ERL_LIBS=/usr/lib/x86_64-linux-gnu ERL_CRASH_DUMP=/dev/null \
    erl -sname "mqttspec${BROKER_PORT}@localhost" -noinput -start_epmd false +K true \
    -mnesia dir "\"$dir/spool\"" -s ejabberd -eval "$register" >"$dir/ejabberd.out" 2>&1 &
  BROKER_PIDS=($! "${BROKER_PIDS[@]}")
}

# mosquitto with a password file and no anonymous logins: the -u/-P runs.
broker_start_mosquitto_auth() {
  local dir=$1 pass
  BROKER_VERSION=$(dpkg-query -W -f='${Version}' mosquitto)
  BROKER_BASELINE=ci/targets/mosquitto.baseline # same broker, same deviations
  broker_credentials "$dir"
  pass=$(sed -n 2p "$dir/credentials")
  printf '%s\n%s\n' "$pass" "$pass" | mosquitto_passwd -c "$dir/passwd" mqttspec >/dev/null
  # mosquitto started as root drops to its own user, which must read the (hashed) file.
  chmod 755 "$dir"
  chmod 644 "$dir/passwd"
  mosquitto_base_conf "$dir/mosquitto.conf"
  sed -i 's/^allow_anonymous true$/allow_anonymous false/' "$dir/mosquitto.conf"
  printf 'password_file %s\nlistener %s 127.0.0.1\n' "$dir/passwd" "$BROKER_PORT" >>"$dir/mosquitto.conf"
  mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 &
  BROKER_PIDS=($!)
}
