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

# A docker client that can build with BuildKit (needed for the secret mount): one with
# the buildx plugin, or a client older than 23.0 (BuildKit built in, e.g. Debian
# bookworm's docker.io at /usr/bin/docker). Newer clients without buildx refuse
# DOCKER_BUILDKIT=1.
pick_docker() {
  if [ -n "${DOCKER:-}" ]; then echo "$DOCKER"; return 0; fi
  if docker buildx version >/dev/null 2>&1; then echo docker; return 0; fi
  local c v
  for c in $(type -ap docker) /usr/bin/docker; do
    [ -x "$c" ] || continue
    v=$("$c" --version 2>/dev/null | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
    if [ -n "$v" ] && [ "$v" -lt 23 ]; then echo "$c"; return 0; fi
  done
  return 1
}
if ! DOCKER=$(pick_docker); then
  log "no docker client with BuildKit: install Docker's buildx plugin (docker-buildx) or Debian's docker.io"
  exit 1
fi
export DOCKER

if [ -n "${BASE_IMAGE:-}" ]; then
  base=$BASE_IMAGE
elif "$DOCKER" image inspect "$SLIM" >/dev/null 2>&1; then
  base=$SLIM
elif "$DOCKER" image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
  base=$LOCAL_BASE
elif timeout 20 "$DOCKER" pull -q "$SLIM" >/dev/null 2>&1; then
  base=$SLIM
else
  log "cannot pull $SLIM (no registry?); building $LOCAL_BASE with debootstrap"
  base=$(BASE_IMAGE_TAG=$LOCAL_BASE "$here/base/build-base.sh")
fi
log "base image: $base"

args=(build --tag "$IMAGE"
      --build-arg "BASE_IMAGE=$base"
      --build-arg "REQUIREMENTS_SHA256=$req_sha")
ca=${PIP_CERT:-${REQUESTS_CA_BUNDLE:-${SSL_CERT_FILE:-}}}
if [ -n "$ca" ]; then
  if [ -f "$ca" ]; then
    log "passing the CA bundle $ca to pip as the build secret pipcert"
    args+=(--secret "id=pipcert,src=$ca")
  else
    log "warning: CA bundle $ca does not exist; building without it"
  fi
fi
log "building $IMAGE from $grader"
DOCKER_BUILDKIT=1 "$DOCKER" "${args[@]}" "$grader" >&2

id=$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE")
size=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
echo "$IMAGE $id $(awk -v s="$size" 'BEGIN {printf "%.0f MB", s / 1e6}') $(( $(date +%s) - start )) s"
