#!/bin/bash
# The official postgres image's start-up contract, written for the stand-in:
#   - as root: make PGDATA the postgres user's, then run this script again as that user;
#   - on first start (no PGDATA/PG_VERSION): initdb with POSTGRES_USER and
#     POSTGRES_PASSWORD, password logins over TCP (POSTGRES_HOST_AUTH_METHOD, default
#     scram-sha-256), listen on every address, create POSTGRES_DB, run
#     /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz in name order;
#   - then exec the server.
# While initialising, the server listens on a private socket only, so neither clients
# nor pg_isready see it until it is really ready.
set -Eeuo pipefail

fail() {
    echo "postgres entrypoint: $*" >&2
    exit 1
}

init_sql() { # psql against the initialising server
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --host "$INIT_SOCKET" "$@"
}

run_init_scripts() {
    local file
    for file in /docker-entrypoint-initdb.d/*; do
        case "$file" in
        *.sh)
            echo "running $file"
            if [ -x "$file" ]; then "$file"; else . "$file"; fi
            ;;
        *.sql)
            echo "running $file"
            init_sql --dbname "$POSTGRES_DB" -f "$file"
            ;;
        *.sql.gz)
            echo "running $file"
            gunzip -c "$file" | init_sql --dbname "$POSTGRES_DB"
            ;;
        *) [ ! -e "$file" ] || echo "ignoring $file" ;;
        esac
    done
}

initialise() {
    local auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256} pwfile
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
        fail "the database is not initialised and POSTGRES_PASSWORD is empty: set it" \
            "(or POSTGRES_HOST_AUTH_METHOD=trust, which lets anyone in)"
    fi
    pwfile=$(mktemp)
    printf '%s' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" -D "$PGDATA" ${POSTGRES_INITDB_ARGS:-}
    rm -f "$pwfile"
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

    INIT_SOCKET=$(mktemp -d)
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$INIT_SOCKET" start
    if [ "$POSTGRES_DB" != postgres ]; then
        echo 'CREATE DATABASE :"db";' | init_sql --dbname postgres --set db="$POSTGRES_DB"
    fi
    run_init_scripts
    pg_ctl -D "$PGDATA" -w -m fast stop
    rmdir "$INIT_SOCKET"
    echo "database initialised; starting"
}

# Options alone (`-c name=value`) mean the server with those options.
if [ "${1:0:1}" = - ]; then
    set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
    exec "$@"
fi
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi
export POSTGRES_USER=${POSTGRES_USER:-postgres}
export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initialise
fi
exec "$@"
