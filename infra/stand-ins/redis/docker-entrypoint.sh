#!/bin/sh
# The official redis image's start-up contract, written for the stand-in.
set -eu

# Options alone, or a config file first, mean redis-server with them.
case "${1:-}" in
-* | *.conf) set -- redis-server "$@" ;;
esac

if [ "${1:-}" = redis-server ]; then
    if [ "$(id -u)" = 0 ]; then
        find . \! -user redis -exec chown redis '{}' +
        exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
    fi
    shift
    # A config file must stay the first argument; protected mode off comes right after it.
    case "${1:-}" in
    *.conf)
        config=$1
        shift
        set -- redis-server "$config" --protected-mode no "$@"
        ;;
    *) set -- redis-server --protected-mode no "$@" ;;
    esac
    [ "$(umask)" != 0022 ] || umask 0077
fi
exec "$@"
