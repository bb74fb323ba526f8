#!/bin/sh
# Entry point of the portal image (deploy/portal/Dockerfile), run by tini as uid 10001.
#
#   entrypoint.sh COMMAND...           run COMMAND (gunicorn, celery, python manage.py ...)
#   entrypoint.sh healthcheck [PATH]   exit 0 when GET PATH (default /healthz) on the local
#                                      gunicorn answers 2xx; the image's HEALTHCHECK
#
# A grading worker in a container drives the *host's* Docker engine through its socket, and
# the sandbox bind-mounts folders into each grading container: the runner code and each
# run's input and output folders, all under TMPDIR or the grading caches
# (autograder/grading_container.py). The engine resolves those paths on the host, so they
# must exist there with the same path. Set AUTOGRADER_HOST_DIR to a host folder mounted into
# the worker at the same path (`-v /var/lib/mle-grading:/var/lib/mle-grading`, writable by
# uid 10001), and this script points TMPDIR, AUTOGRADER_CACHE_DIR and
# GRADING_INPUTS_CACHE_DIR into it (unless they are set).
set -eu

if [ "${1:-}" = healthcheck ]; then
  # Host header: the first ALLOWED_HOSTS entry, so the check passes Django's host validation
  # in production too; X-Forwarded-Proto so SECURE_SSL_REDIRECT behind a proxy does not
  # answer with a redirect.
  exec python3 -c '
import os, sys, urllib.request
path = sys.argv[1]
port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rpartition(":")[2]
hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",") if h.strip()]
host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
request = urllib.request.Request(
    f"http://127.0.0.1:{port}{path}", headers={"Host": host, "X-Forwarded-Proto": "https"}
)
try:
    with urllib.request.urlopen(request, timeout=4) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception as exc:
    print(f"healthcheck {path}: {exc}", file=sys.stderr)
    sys.exit(1)
' "${2:-/healthz}"
fi

if [ -n "${AUTOGRADER_HOST_DIR:-}" ]; then
  shared=$AUTOGRADER_HOST_DIR
  if [ ! -d "$shared" ] || [ ! -w "$shared" ]; then
    echo "entrypoint: AUTOGRADER_HOST_DIR=$shared must be a host directory mounted here at the" \
      "same path and writable by uid $(id -u) (install -d -o $(id -u) $shared on the host)" >&2
    exit 1
  fi
  export TMPDIR="${TMPDIR:-$shared/tmp}"
  export AUTOGRADER_CACHE_DIR="${AUTOGRADER_CACHE_DIR:-$shared/cache}"
  export GRADING_INPUTS_CACHE_DIR="${GRADING_INPUTS_CACHE_DIR:-$shared/inputs}"
  mkdir -p "$TMPDIR" "$AUTOGRADER_CACHE_DIR" "$GRADING_INPUTS_CACHE_DIR"
fi

# A worker without access to the Docker socket would only retry "waiting for grader": say why.
socket=/var/run/docker.sock
if [ -S "$socket" ] && [ ! -w "$socket" ]; then
  echo "entrypoint: $socket is not writable by uid $(id -u) (groups: $(id -G)); run the" \
    "container with --group-add \"\$(stat -c %g $socket)\" (compose: DOCKER_GID)" >&2
fi

exec "$@"
