#!/usr/bin/env bash
# Build the grading image (sandbox_images/grader) as ${AUTOGRADER_IMAGE:-mle-grader:latest}.
# `make sandbox-image` runs this. Idempotent: a second run is a Docker layer-cache hit.
#
# The base image, first match wins:
#   1. BASE_IMAGE if set (any local or pullable image of Debian bookworm);
#   2. debian:bookworm-slim if it is already present locally;
#   3. mle-debian-base:bookworm if it is already present locally (an earlier build here);
#   4. debian:bookworm-slim if `docker pull` gets it within 20 s;
#   5. otherwise mle-debian-base:bookworm, built with debootstrap by base/build-base.sh.
#
# If the host's pip trusts a custom CA bundle (PIP_CERT, else REQUESTS_CA_BUNDLE, else
# SSL_CERT_FILE), the file is passed to the build as the BuildKit secret `pipcert`: pip
# uses it inside the build and it never lands in an image layer.
#
# Progress goes to stderr; stdout gets one summary line: image, id, size, seconds.
#
#   sandbox_images/build.sh              # build (a cache hit when nothing changed)
#   sandbox_images/build.sh --if-stale   # only if the image is missing or its label
#                                        # mle-autograder.requirements-sha256 differs from
#                                        # sha256(requirements.txt + Dockerfile)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
IMAGE=${AUTOGRADER_IMAGE:-mle-grader:latest}
SLIM=debian:bookworm-slim
LOCAL_BASE=${BASE_IMAGE_TAG:-mle-debian-base:bookworm}
start=$(date +%s)

log() { echo "sandbox-image: $*" >&2; }
# shellcheck source=sandbox_images/build-lib.sh
. "$here/build-lib.sh"

"$here/dockerd-up.sh"

grader="$here/grader"
req_sha=$(cat "$grader/requirements.txt" "$grader/Dockerfile" | sha256sum | cut -d' ' -f1)
if [ "${1:-}" = --if-stale ]; then
  label=$(docker image inspect -f '{{index .Config.Labels "mle-autograder.requirements-sha256"}}' \
    "$IMAGE" 2>/dev/null || true)
  if [ "$label" = "$req_sha" ]; then
    log "$IMAGE is up to date"
    exit 0
  fi
  log "$IMAGE is ${label:+stale}${label:-missing}: building it (the first time takes a few minutes)"
fi

use_buildkit_docker
base=$(pick_base "${BASE_IMAGE:-}" "$SLIM" "$LOCAL_BASE")
log "base image: $base"

args=(build --tag "$IMAGE"
      --build-arg "BASE_IMAGE=$base"
      --build-arg "REQUIREMENTS_SHA256=$req_sha")
mapfile -t -O "${#args[@]}" args < <(pipcert_args)
log "building $IMAGE from $grader"
DOCKER_BUILDKIT=1 "$DOCKER" "${args[@]}" "$grader" >&2
image_summary "$IMAGE" "$start"
