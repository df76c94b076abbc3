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
)
FIRMWARE_PKGS=(
    gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib libmbedtls-dev
)

want=("${BASE_PKGS[@]}" "${FIRMWARE_PKGS[@]}")

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
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
echo "deps: done" >&2
