#!/bin/sh
# The image's entrypoint. Arguments are `mockserver run` options, served on 0.0.0.0:8080:
#   podman run ... mockserver --seed 42 --fixtures /data/mine.yaml
# unless the first one names another command, which then runs as it is:
#   podman run --rm mockserver --version
#   podman run --rm mockserver verify --api all --base-url http://host.containers.internal:8080
# `exec`: mockserver itself is process 1 and gets SIGTERM directly.
set -e
case "${1:-}" in
    verify | wait | fixtures | --version | --help | -h) exec mockserver "$@" ;;
    run) shift ;;
esac
exec mockserver run --host 0.0.0.0 --port 8080 "$@"
