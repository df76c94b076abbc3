#!/usr/bin/env bash
# Installs what Parley needs to build, run and test, from Debian's packages only.
# Idempotent: packages already present are not touched; apt runs only when one is missing.
# Usage: tools/deps.sh [base|firmware|all]   (default: all)
set -euo pipefail

BASE_PKGS=(
    build-essential pkg-config make cppcheck valgrind
    mosquitto mosquitto-clients mosquitto-dev libmosquitto-dev
    libcjson-dev libjwt-dev libssl-dev libcmocka-dev uthash-dev
    python3 python3-pytest python3-paho-mqtt python3-jwt
    clang libclang-rt-14-dev procps psmisc
    libwebsockets-dev libhiredis-dev libuv1-dev redis-server redis-tools
    python3-redis python3-websockets chromium
)
FIRMWARE_PKGS=(
    gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib libmbedtls-dev
)

want=("${BASE_PKGS[@]}" "${FIRMWARE_PKGS[@]}")
# Node.js and npm (browser tests, Socket.IO benchmark): Debian's, unless a node with npm is here.
command -v npm >/dev/null || want+=(nodejs npm)

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

npm_deps() { # npm packages for the browser tests and the benchmarks, from each package.json's lock
    local d
    for d in tests/browser tools/bench/socketio; do
        [ -f "$d/package.json" ] || continue
        if [ ! -d "$d/node_modules" ] || [ "$d/package.json" -nt "$d/node_modules" ]; then
            echo "deps: npm install in $d" >&2
            (cd "$d" && npm install --no-audit --no-fund --loglevel=error >/dev/null) ||
                { echo "deps: npm install failed in $d" >&2; exit 1; }
            touch "$d/node_modules"
        fi
    done
}
cd "$(dirname "$0")/.."

if [ ${#missing[@]} -eq 0 ]; then
    npm_deps
    exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { echo "deps: apt-get install failed for: ${missing[*]}" >&2; exit 1; }
# The Debian mosquitto and redis packages start system services; tests run their own on free ports.
for svc in mosquitto redis-server; do
    if command -v systemctl >/dev/null && systemctl is-active -q "$svc" 2>/dev/null; then
        $SUDO systemctl stop "$svc" || true
    fi
done
npm_deps
echo "deps: done" >&2
