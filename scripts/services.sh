#!/usr/bin/env bash
# Make sure the servers the test suite talks to are running, installing them if needed:
# PostgreSQL and Redis (real ones: SQLite alone would hide database behaviour), plus
# Debian's chromium for the browser tests and gettext for the translations, and Docker
# with the grading image (sandbox_images/) for the autograder's sandbox tests.
#
# Prints `export` lines for DATABASE_URL, REDIS_URL and AUTOGRADER_IMAGE; `make test`
# evals them, so nothing else may go to stdout.
# A developer who already runs their own servers sets DATABASE_URL and REDIS_URL and
# this script leaves everything alone.
set -euo pipefail

log() { echo "services: $*" >&2; }

need_packages=()
command -v pg_ctlcluster >/dev/null 2>&1 || need_packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_packages+=(redis-server)
[ -x /usr/bin/chromium ] || need_packages+=(chromium)
command -v msgfmt >/dev/null 2>&1 || need_packages+=(gettext)
# A Docker engine (a docker client alone is not enough), and debootstrap to build the
# base image where no registry is reachable (sandbox_images/base/build-base.sh).
if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  need_packages+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || need_packages+=(debootstrap)
fi

# Docker Compose, to validate deploy/compose.yaml (tests/deploy/test_compose.py): Debian's
# docker-compose unless the client has the compose plugin.
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  need_packages+=(docker-compose)
fi

if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "missing: ${need_packages[*]}. Install them (Debian: apt-get install ${need_packages[*]})."
    exit 1
  fi
  log "installing ${need_packages[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >&2
fi

# --- PostgreSQL -----------------------------------------------------------------
if [ -z "${DATABASE_URL:-}" ]; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    log "no PostgreSQL cluster found under /etc/postgresql"; exit 1
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" && $4=="online"' | grep -q .; then
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2
  fi
  for _ in $(seq 1 30); do
    su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  # A role that may create the throwaway test databases, nothing more.
  su postgres -c "psql -qAt" >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'portal') THEN
    CREATE ROLE portal LOGIN CREATEDB PASSWORD 'portal';
  END IF;
END $$;
SELECT 'CREATE DATABASE portal OWNER portal'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'portal')\gexec
SQL
  port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
  echo "export DATABASE_URL=postgres://portal:portal@127.0.0.1:${port}/portal"
fi

# --- Redis ------------------------------------------------------------------------
if [ -z "${REDIS_URL:-}" ]; then
  if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
    log "starting Redis on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >&2
    for _ in $(seq 1 30); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
  fi
  echo "export REDIS_URL=redis://127.0.0.1:6379/0"
fi

# --- Docker and the grading image -------------------------------------------------
# Start dockerd if it is installed but not answering, then (re)build the grading image
# if it is missing or was built from another requirements.txt/Dockerfile (its label).
root=$(cd "$(dirname "$0")/.." && pwd)
image=${AUTOGRADER_IMAGE:-mle-grader:latest}
"$root/sandbox_images/dockerd-up.sh"
AUTOGRADER_IMAGE=$image "$root/sandbox_images/build.sh" --if-stale >&2
echo "export AUTOGRADER_IMAGE=$image"
