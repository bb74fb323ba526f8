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

"$root/sandbox_images/dockerd-up.sh"

# A client that builds with BuildKit (the secret mount): one with the buildx plugin, or one
# older than 23.0 (BuildKit built in, e.g. Debian bookworm's docker.io); the same rule as
# sandbox_images/build.sh.
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

if [ -n "${PORTAL_BASE_IMAGE:-}" ]; then
  base=$PORTAL_BASE_IMAGE
elif "$DOCKER" image inspect "$SLIM" >/dev/null 2>&1; then
  base=$SLIM
elif "$DOCKER" image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
  base=$LOCAL_BASE
elif timeout 20 "$DOCKER" pull -q "$SLIM" >/dev/null 2>&1; then
  base=$SLIM
else
  log "cannot pull $SLIM (no registry?); using $LOCAL_BASE built with debootstrap"
  base=$(BASE_IMAGE_TAG=$LOCAL_BASE "$root/sandbox_images/base/build-base.sh")
fi
log "base image: $base"

args=(build --tag "$IMAGE" --file "$root/deploy/portal/Dockerfile"
      --build-arg "BASE_IMAGE=$base"
      --build-arg "SOURCE_REVISION=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)")
ca=${PIP_CERT:-${REQUESTS_CA_BUNDLE:-${SSL_CERT_FILE:-}}}
if [ -n "$ca" ]; then
  if [ -f "$ca" ]; then
    log "passing the CA bundle $ca to pip as the build secret pipcert"
    args+=(--secret "id=pipcert,src=$ca")
  else
    log "warning: CA bundle $ca does not exist; building without it"
  fi
fi
log "building $IMAGE from $root"
DOCKER_BUILDKIT=1 "$DOCKER" "${args[@]}" "$root" >&2

id=$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE")
size=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
echo "$IMAGE $id $(awk -v s="$size" 'BEGIN {printf "%.0f MB", s / 1e6}') $(( $(date +%s) - start )) s"
