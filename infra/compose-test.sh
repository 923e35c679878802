#!/usr/bin/env bash
# `make compose-test`: build every image and run the whole stack from docker-compose.yml
# with podman-compose, checking it as a person would (tests/deploy/compose_stack.py).
# Needs root (Podman runs rootful here). Installs Podman, debootstrap and podman-compose
# when missing (infra/compose-deps.sh) and builds the stand-in base images, cached
# (infra/stand-ins/build.sh): CI's machines reach no container registry. With
# COMPOSE_TEST_STAND_INS=0 the real base images are pulled instead.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

bash infra/compose-deps.sh
export CONTAINERS_CONF="$PWD/infra/podman/containers.conf"
if [ "${COMPOSE_TEST_STAND_INS:-1}" != 0 ]; then
    bash infra/stand-ins/build.sh
fi
status=0
.venv/bin/pytest -s -v tests/deploy/compose_stack.py || status=$?
echo "compose-test: $((SECONDS - started)) s in all (figures: test-artifacts/compose/figures.txt)"
exit "$status"
