#!/usr/bin/env bash
# make run: the local Parley stack on 127.0.0.1 — Redis, Mosquitto with parley_plugin.so (MQTT,
# MQTT over TLS where a client certificate is the login, MQTT over WebSocket), parley-bridge with
# the web chat page, demo users, the public rooms "lobby" and "sensors", a demo device posting
# into "sensors" — and how to use it. Runs in the foreground; Ctrl-C (or SIGTERM) stops
# everything it started.
#
# Environment (each port: its default, or a free one when that is taken): PARLEY_PORT (MQTT,
# 1883), PARLEY_TLS_PORT (8883), PARLEY_WS_PORT (Mosquitto's WebSocket listener, 9001),
# PARLEY_HTTP_PORT (the bridge: page, API, /ws; 8080), PARLEY_REDIS_PORT (6380),
# PARLEY_DEVICE_INTERVAL (seconds between the demo device's readings, 15), PARLEY_RUN_DIR
# (default build/run; state kept there between runs: delete it to start over).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
run=${PARLEY_RUN_DIR:-$build/run}
mkdir -p "$run"
run=$(cd "$run" && pwd)

for f in "$build/parley_plugin.so" "$build/parleyctl" "$build/parley-bridge"; do
    [ -e "$f" ] || { echo "run-stack: $f is missing: run make" >&2; exit 1; }
done
for t in mosquitto mosquitto_passwd mosquitto_pub mosquitto_sub openssl redis-server; do
    command -v "$t" >/dev/null || { echo "run-stack: $t is missing: run tools/deps.sh" >&2; exit 1; }
done

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { # preferred port if free, else one the kernel hands out
    if port_free "$1"; then echo "$1"; return; fi
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=${PARLEY_PORT:-$(pick_port 1883)}
tls_port=${PARLEY_TLS_PORT:-$(pick_port 8883)}
ws_port=${PARLEY_WS_PORT:-$(pick_port 9001)}
http_port=${PARLEY_HTTP_PORT:-$(pick_port 8080)}
redis_port=${PARLEY_REDIS_PORT:-$(pick_port 6380)}
interval=${PARLEY_DEVICE_INTERVAL:-15}

# Demo users: password = name + "-pass". admin is an admin; bridge is the bridge account.
# sensor1 is the demo device.
users=(admin alice bob carol bridge sensor1)
touch "$run/passwd"
for u in "${users[@]}"; do
    grep -q "^$u:" "$run/passwd" || mosquitto_passwd -b "$run/passwd" "$u" "$u-pass"
done
printf 'bridge-pass\n' > "$run/bridge.password"
[ -s "$run/jwt.secret" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > "$run/jwt.secret"
chmod 600 "$run/jwt.secret" "$run/passwd" "$run/bridge.password"
"$root/certs/make-dev-certs.sh" "$run/certs" alice bob 2>/dev/null

cat > "$run/mosquitto.conf" <<CONF
# Written by tools/run-stack.sh (make run). Every plugin_opt_* is described in docs/plugin.md.
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
per_listener_settings false
allow_anonymous false
set_tcp_nodelay true
listener $port 127.0.0.1
listener $tls_port 127.0.0.1
cafile $run/certs/ca.pem
certfile $run/certs/server.pem
keyfile $run/certs/server.key
require_certificate true
use_identity_as_username true
# MQTT over WebSocket (mqtt.js in a browser; the password may be a token from /api/login).
# Mosquitto 2.0.11 binds this listener on every interface whatever the address says.
listener $ws_port 127.0.0.1
protocol websockets
log_dest file $run/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
plugin $build/parley_plugin.so
plugin_opt_state_file $run/state.json
plugin_opt_password_file $run/passwd
plugin_opt_admins admin
plugin_opt_bridge_users bridge
plugin_opt_jwt_secret_file $run/jwt.secret
plugin_opt_max_payload 512
plugin_opt_rate 10
plugin_opt_burst 20
CONF

pids=()
killtree() { # a process and everything it started (the demo device is a pipeline)
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do killtree "$c"; done
    kill "$1" 2>/dev/null || true
}
cleanup() {
    trap - INT TERM EXIT
    for p in "${pids[@]}"; do killtree "$p"; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    echo "run-stack: stopped" >&2
}
trap cleanup EXIT
trap 'exit 0' INT TERM

mosquitto -c "$run/mosquitto.conf" >> "$run/mosquitto.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    if ! kill -0 "${pids[0]}" 2>/dev/null; then
        echo "run-stack: mosquitto did not start:" >&2
        tail -20 "$run/mosquitto.out" "$run/mosquitto.log" >&2 || true
        exit 1
    fi
    port_free "$port" || break
    sleep 0.05
done
port_free "$port" && { echo "run-stack: mosquitto is not listening on $port" >&2; exit 1; }

ctl=("$build/parleyctl" -h 127.0.0.1 -p "$port" -u admin -P admin-pass)
for r in lobby sensors; do
    if ! out=$("${ctl[@]}" room create "$r" 2>&1) && [[ $out != *"already exists"* ]]; then
        echo "run-stack: could not create the room $r: $out" >&2
        exit 1
    fi
done

wait_port() { # pid port what
    for _ in $(seq 200); do
        kill -0 "$1" 2>/dev/null || { echo "run-stack: $3 did not start (see $run)" >&2; exit 1; }
        port_free "$2" || return 0
        sleep 0.05
    done
    echo "run-stack: $3 is not listening on $2" >&2
    exit 1
}

mkdir -p "$run/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$run/redis" --appendonly yes \
    --save "" --logfile "$run/redis.log" >/dev/null 2>&1 &
pids+=($!)
wait_port "$!" "$redis_port" redis-server

cat > "$run/bridge.conf" <<CONF
# Written by tools/run-stack.sh (make run). Every setting is described in docs/bridge.md.
node_id local
mqtt_port $port
mqtt_user bridge
mqtt_password_file $run/bridge.password
redis_port $redis_port
http_port $http_port
www_dir $root/bridge/www
jwt_secret_file $run/jwt.secret
max_payload 512
CONF
"$build/parley-bridge" -c "$run/bridge.conf" >> "$run/bridge.log" 2>&1 &
pids+=($!)
wait_port "$!" "$http_port" parley-bridge

# The demo device: a thermometer posting a reading into "sensors" now and then.
if [ -x "$build/parley-device" ]; then
    ( while sleep "$interval"; do
        printf 'temperature %d.%d C\n' $((19 + RANDOM % 4)) $((RANDOM % 10))
      done | "$build/parley-device" -h 127.0.0.1 -p "$port" -u sensor1 -P sensor1-pass -r sensors \
          >> "$run/device.log" 2>&1 ) &
else
    ( while sleep "$interval"; do
        mosquitto_pub -h 127.0.0.1 -p "$port" -u sensor1 -P sensor1-pass -t rooms/sensors/msg/sensor1 \
            -m "temperature $((19 + RANDOM % 4)).$((RANDOM % 10)) C" -q 1
      done >> "$run/device.log" 2>&1 ) &
fi
pids+=($!)

cat <<TXT

Parley is running on 127.0.0.1 (state, logs and certificates in $run).
  web chat  http://127.0.0.1:$http_port/   log in as alice / alice-pass (or bob, carol: name + "-pass")
  MQTT      127.0.0.1:$port   users admin, alice, bob, carol, bridge, sensor1; password = name + "-pass"
  MQTTS     127.0.0.1:$tls_port   client certificate = login (certificates for alice and bob)
  MQTT/WS   ws://127.0.0.1:$ws_port   MQTT over WebSocket (mqtt.js); password = a token from /api/login
  Redis     127.0.0.1:$redis_port   history and presence (keys parley:{room}:...)
  rooms     lobby (public), sensors (public; sensor1 posts a reading every $interval s)

Open the web chat in two browser windows (alice and bob) and talk; what you post there reaches
MQTT clients, and what they post appears on the page.

Try it, each in its own terminal:

  # alice listens to the lobby: messages, and who is there
  mosquitto_sub -h 127.0.0.1 -p $port -u alice -P alice-pass -t 'rooms/lobby/msg/+' -t 'rooms/lobby/presence/+' -v

  # bob says hello (the topic's last level is the sender; the plugin checks it is bob)
  mosquitto_pub -h 127.0.0.1 -p $port -u bob -P bob-pass -t rooms/lobby/msg/bob -m 'hello from bob'

  # posting as someone else is refused: MQTT 5 shows reason 135 (not authorized)
  mosquitto_pub -h 127.0.0.1 -p $port -u bob -P bob-pass -t rooms/lobby/msg/alice -m spoof -V mqttv5 -q 1 -d

  # a private room, with carol as a reader
  $build/parleyctl -p $port -u admin -P admin-pass room create lab --private
  $build/parleyctl -p $port -u admin -P admin-pass room add lab carol reader
  $build/parleyctl -p $port -u admin -P admin-pass room show lab

  # a token login (JWT, HS256) for a user with no password at all
  TOKEN=\$($build/parleyctl token mint --secret-file $run/jwt.secret --user dave --ttl 3600)
  mosquitto_pub -h 127.0.0.1 -p $port -u dave -P "\$TOKEN" -t rooms/lobby/msg/dave -m 'hi, token here'

  # alice over TLS, logged in by her certificate alone
  mosquitto_pub -h localhost -p $tls_port --cafile $run/certs/ca.pem --cert $run/certs/client-alice.pem --key $run/certs/client-alice.key -t rooms/lobby/msg/alice -m 'hello over TLS'

  # watch the demo device
  mosquitto_sub -h 127.0.0.1 -p $port -u alice -P alice-pass -t 'rooms/sensors/msg/+' -v

  # the HTTP API: log in, then read the lobby's history
  TOKEN=\$(curl -s -H 'Content-Type: application/json' -d '{"username":"alice","password":"alice-pass"}' http://127.0.0.1:$http_port/api/login | sed 's/.*"token":"\([^"]*\)".*/\1/')
  curl -s -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:$http_port/api/rooms/lobby/messages?limit=20'

  # a device: the malloc-free client's CLI (stdin lines become messages)
  $build/parley-device -h 127.0.0.1 -p $port -u carol -P carol-pass -r lobby

Docs: docs/bridge.md (web chat, API, WebSocket protocol), docs/plugin.md (policy, options),
docs/parleyctl.md, docs/firmware.md. Logs: $run/*.log. Ctrl-C stops the stack.
TXT
echo "run-stack: ready" >&2
wait -n "${pids[@]}" || true
echo "run-stack: a part of the stack exited; see $run/*.log" >&2
exit 1
