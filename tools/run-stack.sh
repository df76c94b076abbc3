#!/usr/bin/env bash
# make run: the local Parley stack on 127.0.0.1 — Mosquitto with parley_plugin.so, demo users,
# the public room "lobby", a TLS listener where a client certificate is the login — and how to
# use it. Runs in the foreground; Ctrl-C (or SIGTERM) stops everything it started.
#
# Environment: PARLEY_PORT (MQTT, default 1883 or a free port when that is taken),
# PARLEY_TLS_PORT (default 8883 or free), PARLEY_RUN_DIR (default build/run; state kept there
# between runs: delete it to start over).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
run=${PARLEY_RUN_DIR:-$build/run}
mkdir -p "$run"
run=$(cd "$run" && pwd)

for f in "$build/parley_plugin.so" "$build/parleyctl"; do
    [ -e "$f" ] || { echo "run-stack: $f is missing: run make" >&2; exit 1; }
done
for t in mosquitto mosquitto_passwd mosquitto_pub mosquitto_sub openssl; do
    command -v "$t" >/dev/null || { echo "run-stack: $t is missing: run tools/deps.sh" >&2; exit 1; }
done

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { # preferred port if free, else one the kernel hands out
    if port_free "$1"; then echo "$1"; return; fi
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=${PARLEY_PORT:-$(pick_port 1883)}
tls_port=${PARLEY_TLS_PORT:-$(pick_port 8883)}

# Demo users: password = name + "-pass". admin is an admin; bridge is the bridge account.
users=(admin alice bob carol bridge)
if [ ! -s "$run/passwd" ]; then
    : > "$run/passwd"
    for u in "${users[@]}"; do mosquitto_passwd -b "$run/passwd" "$u" "$u-pass"; done
fi
[ -s "$run/jwt.secret" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > "$run/jwt.secret"
chmod 600 "$run/jwt.secret" "$run/passwd"
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
cleanup() {
    trap - INT TERM EXIT
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
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
if ! out=$("${ctl[@]}" room create lobby 2>&1) && [[ $out != *"already exists"* ]]; then
    echo "run-stack: could not create the room lobby: $out" >&2
    exit 1
fi

cat <<TXT

Parley is running on 127.0.0.1 (state, logs and certificates in $run).
  MQTT      127.0.0.1:$port   users admin, alice, bob, carol, bridge; password = name + "-pass"
  MQTTS     127.0.0.1:$tls_port   client certificate = login (certificates for alice and bob)
  room      lobby (public)

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

  # a device: the malloc-free client's CLI (stdin lines become messages)
  $build/parley-device -h 127.0.0.1 -p $port -u carol -P carol-pass -r lobby

Docs: docs/plugin.md (policy, options), docs/parleyctl.md, docs/firmware.md. Ctrl-C stops the stack.
TXT
echo "run-stack: ready" >&2
wait "${pids[0]}"
echo "run-stack: mosquitto exited; see $run/mosquitto.log" >&2
exit 1
