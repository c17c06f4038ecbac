#!/usr/bin/env bash
# Build a base image from Debian's own packages: Debian 12 "bookworm" (the release of the
# Dockerfile's default base, python:3.11-slim-bookworm) with its Python 3.11.
#
#   container/build-base.sh IMAGE_NAME
#
# For machines that reach Debian's package archive but no container registry (this
# project's CI): `make image-test` builds its image FROM this. The image is kept, so this
# runs once per machine; it needs podman and debootstrap (run with sudo when not root).
set -euo pipefail
image=${1:?usage: $0 IMAGE_NAME}
podman=${PODMAN:-podman}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

if $podman image exists "$image"; then
    echo "base image $image: already built"
    exit 0
fi
work=$(mktemp -d)
trap '$sudo rm -rf "$work"' EXIT
echo "base image $image: debootstrap of Debian bookworm with python3 (about a minute)"
$sudo debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
# What a container never needs: package lists and archives, documentation, translations.
$sudo rm -rf "$work"/rootfs/var/cache/apt/* "$work"/rootfs/var/lib/apt/lists/* \
       "$work"/rootfs/usr/share/doc/* "$work"/rootfs/usr/share/man/* \
       "$work"/rootfs/usr/share/info/* "$work"/rootfs/usr/share/locale/* \
       "$work"/rootfs/var/log/*.log "$work"/rootfs/var/log/apt/*
$sudo tar -C "$work/rootfs" -c . | $podman import \
    --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$image" > /dev/null
echo "base image $image: $($podman image inspect --format '{{.Size}}' "$image") bytes"
