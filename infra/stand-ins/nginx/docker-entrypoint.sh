#!/bin/sh
# The official nginx image's start-up contract, written for the stand-in: before nginx
# starts, the executable /docker-entrypoint.d/*.sh scripts run in name order (and
# *.envsh ones are sourced), unless NGINX_ENTRYPOINT_QUIET_LOGS silences their talk.
set -eu

if [ "${1:-}" = nginx ] || [ "${1:-}" = nginx-debug ]; then
    for script in /docker-entrypoint.d/*; do
        [ -f "$script" ] && [ -x "$script" ] || continue
        case "$script" in
        *.envsh) . "$script" ;;
        *.sh)
            if [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
                "$script" >/dev/null
            else
                "$script"
            fi
            ;;
        esac
    done
fi
exec "$@"
