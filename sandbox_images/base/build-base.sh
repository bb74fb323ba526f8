#!/usr/bin/env bash
# Build a minimal Debian bookworm base image locally, for machines that cannot pull
# debian:bookworm-slim from a registry. debootstrap fetches the packages from a Debian
# mirror, the root filesystem is trimmed like Docker's -slim images, and `docker import`
# turns it into the image mle-debian-base:bookworm.
#
#   sandbox_images/base/build-base.sh            # skip if the image already exists
#   FORCE=1 sandbox_images/base/build-base.sh    # rebuild it
#
# Environment: BASE_IMAGE_TAG (default mle-debian-base:bookworm), DEBIAN_MIRROR
# (default http://deb.debian.org/debian), DOCKER (the docker client to use).
# Needs root (debootstrap) and a running Docker engine. Progress goes to stderr; the
# image tag is the only thing printed on stdout.
set -euo pipefail

TAG=${BASE_IMAGE_TAG:-mle-debian-base:bookworm}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKER=${DOCKER:-docker}

log() { echo "build-base: $*" >&2; }

if [ "${FORCE:-0}" != 1 ] && "$DOCKER" image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG already exists (FORCE=1 rebuilds it)"
  echo "$TAG"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "debootstrap needs root; run as root or pull debian:bookworm-slim instead"; exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    log "installing debootstrap (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2 || {
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
    }
  else
    log "debootstrap is missing (Debian: apt-get install debootstrap)"; exit 1
  fi
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/mle-debian-base.XXXXXX")
rootfs="$work/rootfs"
cleanup() {
  # debootstrap mounts /proc (and sometimes /sys, /dev) inside the target; never
  # rm -rf through a mount point: that would delete the host's files.
  local m
  for m in $(awk -v r="$rootfs" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  if awk -v r="$rootfs" 'index($2, r) == 1 {found=1} END {exit !found}' /proc/mounts; then
    log "mounts remain under $rootfs; leaving $work in place"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

start=$(date +%s)
log "debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes)"
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$rootfs" "$MIRROR" \
  >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# Same package sources as Docker's debian:bookworm image: main, updates, security.
rm -f "$rootfs/etc/apt/sources.list"
mirror_root=${MIRROR%/debian}
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $mirror_root/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

# Docker's -slim trimming (debuerreotype): packages installed later skip docs, man pages
# and translations too; apt keeps no downloaded .debs and no lists in image layers.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
CFG
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
cat >"$rootfs/etc/apt/apt.conf.d/docker-no-languages" <<'CFG'
Acquire::Languages "none";
CFG
cat >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes" <<'CFG'
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
CFG
cat >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests" <<'CFG'
Apt::AutoRemove::SuggestsImportant "false";
CFG

# Unmount what debootstrap left mounted before touching the tree further.
for m in $(awk -v r="$rootfs" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
  umount -l "$m"
done

find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/{man,info,groff,linda,lintian}/* "$rootfs"/usr/share/locale/*
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/archives/partial/* \
  "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old \
  "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* "$rootfs"/root/.cache \
  "$rootfs"/debootstrap
# Host details debootstrap copied in; Docker provides its own at run time.
: >"$rootfs/etc/resolv.conf"
: >"$rootfs/etc/hostname"
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
# Leave /dev empty: the container runtime populates it.
find "$rootfs/dev" -mindepth 1 -delete

log "importing the root filesystem as $TAG"
tar --numeric-owner --xattrs --acls -C "$rootfs" -cf - . | "$DOCKER" import \
  --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL org.opencontainers.image.title=\"mle-debian-base\" org.opencontainers.image.description=\"Debian $SUITE minbase built locally with debootstrap for the MLE autograder\" org.opencontainers.image.base.name=\"debootstrap:$SUITE\"" \
  --message "debootstrap --variant=minbase --include=ca-certificates $SUITE $MIRROR" \
  - "$TAG" >&2
log "$TAG: $("$DOCKER" image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.1f MB", $1/1e6}') in $(( $(date +%s) - start )) s"
echo "$TAG"
