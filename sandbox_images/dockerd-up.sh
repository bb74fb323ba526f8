#!/usr/bin/env bash
# Make sure a Docker engine answers: if `docker info` fails and dockerd is installed, start
# it in the background (root only) and wait up to 30 s. Used by scripts/services.sh and
# sandbox_images/build.sh. Prints nothing on stdout.
set -euo pipefail

log() { echo "docker: $*" >&2; }

docker info >/dev/null 2>&1 && exit 0

if ! command -v dockerd >/dev/null 2>&1; then
  log "no Docker engine answers and dockerd is not installed (Debian: apt-get install docker.io)"
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  log "no Docker engine answers; start it (sudo systemctl start docker) or join the docker group"
  exit 1
fi

pid=$(cat /var/run/docker.pid 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  log "dockerd (pid $pid) is starting; waiting for it"
else
  log "starting dockerd in the background (log: /var/log/dockerd.log)"
  # Detached, with no inherited descriptors: callers read our stdout through a pipe.
  setsid nohup dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
log "dockerd did not answer within 30 s; see /var/log/dockerd.log"
exit 1
