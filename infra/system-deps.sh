#!/usr/bin/env bash
# Installs the system packages the test suite needs, when they are missing:
# nginx (the reverse proxy is tested for real), a Redis 7 server (the job queue
# is tested on Redis 6.2, embedded, and on 7, the version compose runs) and Chromium
# (the browser tests in tests/browser drive Debian's build with Playwright: Playwright's
# own browser download is not used).
# Uses apt as root, or sudo; otherwise says what to install and fails.
set -euo pipefail

needed=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || needed+=(nginx)
redis-server --version 2>/dev/null | grep -q 'v=[7-9]' || needed+=(redis-server)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || needed+=(chromium)
# Emoji in the bot's messages, readable in the browser tests' screenshots.
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || needed+=(fonts-noto-color-emoji)

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
# The tests start these servers themselves; the ones Debian starts are not needed.
for service in nginx redis-server; do
  $sudo systemctl disable --now "$service" >/dev/null 2>&1 \
    || $sudo service "$service" stop >/dev/null 2>&1 || true
done
