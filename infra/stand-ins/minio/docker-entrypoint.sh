#!/bin/sh
# MinIO's rule: arguments that do not start with `minio` are arguments to minio.
set -e
if [ -n "${1:-}" ] && [ "$1" != minio ]; then
    set -- minio "$@"
fi
exec "$@"
