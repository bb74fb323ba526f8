#!/usr/bin/env bash
# Build the portal's image (deploy/portal/Dockerfile) as ${PORTAL_IMAGE:-mle-portal:latest},
# from the repository root as the build context. A second run with nothing changed is a
# Docker layer-cache hit.
#
# The base image, first match wins (as sandbox_images/build.sh picks the grading image's):
#   1. PORTAL_BASE_IMAGE if set (python:3.11-slim, or any Debian bookworm image);
#   2. python:3.11-slim if it is already present locally;
#   3. mle-debian-base:bookworm if it is already present locally (the grading image's base);
#   4. python:3.11-slim if `docker pull` gets it within 20 s;
#   5. otherwise mle-debian-base:bookworm, built with debootstrap by
#      sandbox_images/base/build-base.sh (Debian's python3 is then installed in the image).
#
# pip's CA bundle (PIP_CERT, else REQUESTS_CA_BUNDLE, else SSL_CERT_FILE), if any, goes to the
# build as the BuildKit secret `pipcert`, never into a layer. Progress goes to stderr; stdout
# gets one line: image, id, size, seconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE=${PORTAL_IMAGE:-mle-portal:latest}
SLIM=python:3.11-slim
LOCAL_BASE=${BASE_IMAGE_TAG:-mle-debian-base:bookworm}
start=$(date +%s)

log() { echo "portal-image: $*" >&2; }
# shellcheck source=sandbox_images/build-lib.sh
. "$root/sandbox_images/build-lib.sh"

"$root/sandbox_images/dockerd-up.sh"

use_buildkit_docker
base=$(pick_base "${PORTAL_BASE_IMAGE:-}" "$SLIM" "$LOCAL_BASE")
log "base image: $base"

args=(build --tag "$IMAGE" --file "$root/deploy/portal/Dockerfile"
      --build-arg "BASE_IMAGE=$base"
      --build-arg "SOURCE_REVISION=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)")
mapfile -t -O "${#args[@]}" args < <(pipcert_args)
log "building $IMAGE from $root"
DOCKER_BUILDKIT=1 "$DOCKER" "${args[@]}" "$root" >&2
image_summary "$IMAGE" "$start"
