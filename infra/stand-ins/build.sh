#!/usr/bin/env bash
# Builds, with Podman, local stand-ins for the images docker-compose.yml and our
# Dockerfiles start from (images.txt beside this script), for machines that reach no
# container registry, such as CI's. Each is tagged with the real image's name, so the
# same compose file and Dockerfiles run unchanged here and, with the real images, on
# any other machine. README.md beside this script says what each stand-in keeps of
# the real image's contract and where it differs.
#
# Everything starts from a Debian bookworm root made by debootstrap (minbase) from
# Debian's mirror, slimmed like Debian's official -slim images.
#
# Cached: an image is rebuilt only when its recipe, or an image under it, changed (a
# label on each image records the recipe's fingerprint); the Debian root only when its
# recipe or the machine's extra CA certificates changed.
#
#   bash infra/stand-ins/build.sh             # build what is missing or stale
#   STAND_INS_REBUILD=1 bash infra/stand-ins/build.sh   # rebuild everything
#   DEBIAN_MIRROR=http://… bash infra/stand-ins/build.sh  # another Debian mirror
#
# Needs root, podman and debootstrap (infra/compose-deps.sh installs them).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$HERE/../podman" && pwd)/containers.conf}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
BASE_IMAGE=localhost/concierge-stand-in/debian:bookworm-slim
PYTHON_IMAGE=docker.io/library/python:3.11-slim-bookworm
NODE_IMAGE=docker.io/library/node:20-bookworm-slim
LABEL=concierge.stand-in.recipe

fingerprint() { sha256sum | cut -c1-16; }

recipe_of() { podman image inspect --format "{{ index .Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }

image_id() { podman image inspect --format '{{.Id}}' "$1"; }

up_to_date() { # image fingerprint
    [ -z "${STAND_INS_REBUILD:-}" ] && [ "$(recipe_of "$1")" = "$2" ]
}

# The machine's own trust anchors beyond Debian's (CI reaches PyPI and npm through a
# TLS-inspecting proxy whose CA is there). Builds in the stand-ins trust them too.
extra_cas() { find /usr/local/share/ca-certificates -type f -name '*.crt' 2>/dev/null | sort; }

slim_root() { # root folder: what Debian's -slim images leave out, and no apt state
    local root=$1
    cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
# As in Debian's -slim images: packages installed later leave these out too.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    cat >"$root/etc/apt/apt.conf.d/stand-in-clean" <<'EOF'
# Downloaded packages never stay in an image layer.
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
EOF
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias \
        -exec rm -rf {} +
    rm -rf "$root"/usr/share/{man,info,groff,lintian}/* "$root"/var/lib/apt/lists/* \
        "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log \
        "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
}

make_root() { # folder
    local root=$1
    debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR"
    cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
    # Package scripts start no services while an image is built.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    local ca
    for ca in $(extra_cas); do cp "$ca" "$root/usr/local/share/ca-certificates/"; done
    chroot "$root" update-ca-certificates >/dev/null 2>&1
    slim_root "$root"
}

build_base() {
    local recipe
    recipe=$({
        echo "$SUITE $MIRROR"
        declare -f make_root slim_root
        extra_cas | xargs -r cat
    } | fingerprint)
    if up_to_date "$BASE_IMAGE" "$recipe"; then
        echo "stand-in $BASE_IMAGE: up to date"
        return
    fi
    local started=$SECONDS root="$WORK/root" previous
    previous=$(image_id "$BASE_IMAGE" 2>/dev/null || true)
    make_root "$root" >/dev/null
    tar -C "$root" --numeric-owner -c . | podman import --quiet \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' \
        --change "LABEL $LABEL=$recipe" \
        - "$BASE_IMAGE" >/dev/null
    [ -z "$previous" ] || podman rmi "$previous" >/dev/null 2>&1 || true
    echo "stand-in $BASE_IMAGE: built in $((SECONDS - started)) s ($(du -sh "$root" | cut -f1))"
}

# The machine's Node.js 20 (the node stand-in carries it: Debian bookworm has 18).
node_files() { # folder to copy into
    local node npm
    node=$(readlink -f "$(command -v node)")
    npm=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
    case "$("$node" --version)" in
    v20.*) ;;
    *)
        echo "the node stand-in needs Node.js 20 on this machine; found $("$node" --version)" >&2
        return 1
        ;;
    esac
    mkdir -p "$1/node_modules"
    cp "$node" "$1/node"
    cp -a "$npm" "$1/node_modules/npm"
    [ ! -d "$(dirname "$npm")/corepack" ] || cp -a "$(dirname "$npm")/corepack" "$1/node_modules/"
}

build_recipe() { # recipe target image
    local recipe=$1 target=$2 image=$3 folder="$HERE/$1" inputs
    inputs=$({
        echo "$recipe $target"
        (cd "$folder" && find . -type f | sort | xargs sha256sum)
        image_id "$BASE_IMAGE"
        # The stand-ins a recipe builds on (its *_IMAGE build arguments).
        ! grep -q '^ARG PYTHON_IMAGE' "$folder/Dockerfile" || image_id "$PYTHON_IMAGE"
        ! grep -q '^ARG NODE_IMAGE' "$folder/Dockerfile" || image_id "$NODE_IMAGE"
        [ "$recipe" != node ] || sha256sum "$(readlink -f "$(command -v node)")"
    } | fingerprint)
    if up_to_date "$image" "$inputs"; then
        echo "stand-in $image: up to date"
        return
    fi
    local started=$SECONDS context="$WORK/$recipe-$target" previous
    previous=$(image_id "$image" 2>/dev/null || true)
    mkdir "$context"
    cp -a "$folder/." "$context/"
    [ "$recipe" != node ] || node_files "$context"
    local build=(podman build --quiet --build-arg "BASE_IMAGE=$BASE_IMAGE"
        --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" --build-arg "NODE_IMAGE=$NODE_IMAGE" --label "$LABEL=$inputs" --tag "$image")
    [ "$target" = - ] || build+=(--target "$target")
    "${build[@]}" "$context" >/dev/null
    # The stale stand-in goes, unless images built on it still need it.
    [ -z "$previous" ] || podman rmi "$previous" >/dev/null 2>&1 || true
    echo "stand-in $image: built in $((SECONDS - started)) s"
}

main() {
    local started=$SECONDS recipe target image
    WORK=$(mktemp -d /var/tmp/concierge-stand-ins.XXXXXX)
    trap 'rm -rf "$WORK"' EXIT
    build_base
    while read -r recipe target image; do
        build_recipe "$recipe" "$target" "$image"
    done < <(grep -v '^\s*\(#\|$\)' "$HERE/images.txt")
    echo "stand-in images ready in $((SECONDS - started)) s"
}

main "$@"
