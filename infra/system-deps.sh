#!/usr/bin/env bash
# Installs the system packages the test suite needs, when they are missing:
# nginx (the reverse proxy is tested for real) and chromium (browser tests).
# Uses apt as root, or sudo; otherwise says what to install and fails.
set -euo pipefail

needed=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || needed+=(nginx)

if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi

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
$sudo apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
# The tests run nginx themselves; the one Debian starts is not needed.
$sudo systemctl disable --now nginx >/dev/null 2>&1 || $sudo service nginx stop >/dev/null 2>&1 || true
