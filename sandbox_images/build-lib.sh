# Shared by sandbox_images/build.sh (the grading image) and deploy/portal/build.sh (the portal
# image); sourced, after the caller defines log(). Both build with BuildKit, from a base picked
# the same way, with pip's CA bundle passed as a build secret.

# A docker client that can build with BuildKit (needed for the secret mount): one with the
# buildx plugin, or a client older than 23.0 (BuildKit built in, e.g. Debian bookworm's
# docker.io at /usr/bin/docker). Newer clients without buildx refuse DOCKER_BUILDKIT=1.
# Sets and exports DOCKER, or exits.
use_buildkit_docker() {
  if [ -z "${DOCKER:-}" ]; then
    if docker buildx version >/dev/null 2>&1; then
      DOCKER=docker
    else
      local c v
      for c in $(type -ap docker) /usr/bin/docker; do
        [ -x "$c" ] || continue
        v=$("$c" --version 2>/dev/null | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
        if [ -n "$v" ] && [ "$v" -lt 23 ]; then DOCKER=$c; break; fi
      done
    fi
  fi
  if [ -z "${DOCKER:-}" ]; then
    log "no docker client with BuildKit: install Docker's buildx plugin (docker-buildx) or Debian's docker.io"
    exit 1
  fi
  export DOCKER
}

# pick_base CHOSEN SLIM LOCAL_BASE: the base image, first match wins: CHOSEN if not empty;
# SLIM if present locally; LOCAL_BASE if present locally; SLIM if `docker pull` gets it
# within 20 s; otherwise LOCAL_BASE, built with debootstrap (sandbox_images/base).
pick_base() {
  local chosen=$1 slim=$2 local_base=$3
  if [ -n "$chosen" ]; then
    echo "$chosen"
  elif "$DOCKER" image inspect "$slim" >/dev/null 2>&1; then
    echo "$slim"
  elif "$DOCKER" image inspect "$local_base" >/dev/null 2>&1; then
    echo "$local_base"
  elif timeout 20 "$DOCKER" pull -q "$slim" >/dev/null 2>&1; then
    echo "$slim"
  else
    log "cannot pull $slim (no registry?); building $local_base with debootstrap"
    BASE_IMAGE_TAG=$local_base "$(dirname "${BASH_SOURCE[0]}")/base/build-base.sh"
  fi
}

# The build arguments that hand pip's CA bundle (PIP_CERT, else REQUESTS_CA_BUNDLE, else
# SSL_CERT_FILE) to the build as the BuildKit secret `pipcert`, one per line; it never lands
# in an image layer.
pipcert_args() {
  local ca=${PIP_CERT:-${REQUESTS_CA_BUNDLE:-${SSL_CERT_FILE:-}}}
  [ -n "$ca" ] || return 0
  if [ -f "$ca" ]; then
    log "passing the CA bundle $ca to pip as the build secret pipcert"
    printf '%s\n' --secret "id=pipcert,src=$ca"
  else
    log "warning: CA bundle $ca does not exist; building without it"
  fi
}

# One line on stdout: image, id, size, seconds since $1 (date +%s).
image_summary() {
  local image=$1 start=$2 id size
  id=$("$DOCKER" image inspect -f '{{.Id}}' "$image")
  size=$("$DOCKER" image inspect -f '{{.Size}}' "$image")
  echo "$image $id $(awk -v s="$size" 'BEGIN {printf "%.0f MB", s / 1e6}') $(( $(date +%s) - start )) s"
}
