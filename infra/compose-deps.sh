#!/usr/bin/env bash
# What `make compose-test` needs, installed when missing (safe to run again):
# Podman with runc (crun fails in CI's sandbox) and debootstrap, from Debian's packages,
# and podman-compose from PyPI into .venv (pinned here, its own pins from constraints.txt).
# Uses apt as root, or sudo; otherwise says what to install and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

PODMAN_COMPOSE_VERSION=1.6.0

needed=()
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || needed+=("$tool")
done
if [ ${#needed[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=""
    elif command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "Please install: ${needed[*]} (Debian/Ubuntu: apt-get install ${needed[*]})" >&2
        exit 1
    fi
    echo "Installing system packages: ${needed[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${needed[@]}" >/dev/null
fi

if [ "$(.venv/bin/podman-compose --version 2>/dev/null | head -n 1)" != \
    "podman-compose version $PODMAN_COMPOSE_VERSION" ]; then
    echo "Installing podman-compose $PODMAN_COMPOSE_VERSION into .venv"
    .venv/bin/python -m pip install --quiet -c constraints.txt \
        "podman-compose==$PODMAN_COMPOSE_VERSION"
fi
