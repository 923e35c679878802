#!/bin/sh
# Renders every NGINX_ENVSUBST_TEMPLATE_DIR/**/*NGINX_ENVSUBST_TEMPLATE_SUFFIX into
# NGINX_ENVSUBST_OUTPUT_DIR (same relative path, suffix dropped) with envsubst. Only
# variables that are set, and whose names match the NGINX_ENVSUBST_FILTER regex when
# it is given, are replaced; every other $word (nginx's own variables) stays as it is.
set -eu

templates=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
output=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
filter=${NGINX_ENVSUBST_FILTER:-}

[ -d "$templates" ] || exit 0
if [ ! -w "$output" ]; then
    echo "$0: $output is not writable: templates not rendered" >&2
    exit 0
fi

variables=$(awk -v filter="$filter" 'BEGIN {
    for (name in ENVIRON) if (filter == "" || name ~ filter) printf "${%s} ", name
}')

find "$templates" -follow -type f -name "*$suffix" | while read -r template; do
    relative=${template#"$templates"/}
    target="$output/${relative%"$suffix"}"
    mkdir -p "$(dirname "$target")"
    echo "$0: rendering $template to $target"
    envsubst "$variables" <"$template" >"$target"
done
