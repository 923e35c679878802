#!/bin/sh
# The official node image's rule: an option, or a first argument that is no command,
# is an argument to node.
set -e
if [ "${1#-}" != "${1:-}" ] || [ -z "$(command -v -- "${1:-}" 2>/dev/null)" ]; then
    set -- node "$@"
fi
exec "$@"
