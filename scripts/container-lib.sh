# shellcheck shell=bash
# Shared by scripts/container-base.sh and scripts/test-container.sh. Source it; do not run it.
#
# Podman always runs rootless here, because that is how a self-hoster runs Quire. When a script is started as root
# (a fresh CI machine or a new session), it creates a dedicated normal user with subordinate ids and runs every
# podman command as that user; started as a normal user, it uses that user's own podman.
#
# Settings (environment):
#   QUIRE_PODMAN_USER   rootless user to create/use when started as root (default: quire-ci)
#   QUIRE_BASE_IMAGE    the base image name the Containerfile uses (default: docker.io/library/node:24-bookworm-slim)

QUIRE_PODMAN_USER="${QUIRE_PODMAN_USER:-quire-ci}"
QUIRE_BASE_IMAGE="${QUIRE_BASE_IMAGE:-docker.io/library/node:24-bookworm-slim}"

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# The user podman runs as, and its home (where rootless storage and config live).
podman_user() { if is_root; then echo "$QUIRE_PODMAN_USER"; else id -un; fi; }
podman_home() { getent passwd "$(podman_user)" | cut -d: -f6; }

# Run podman rootless. As root, switch to the dedicated user with a clean environment: rootless podman keys its
# storage and runtime directories on HOME and XDG_RUNTIME_DIR, and root's values would point it at root's storage.
pm() {
  if is_root; then
    local home uid
    home="$(podman_home)"
    uid="$(id -u "$QUIRE_PODMAN_USER")"
    # cd first: podman warns (and some subcommands fail) when the working directory is unreadable for the user.
    (cd "$home" && runuser -u "$QUIRE_PODMAN_USER" -- env -i \
      HOME="$home" USER="$QUIRE_PODMAN_USER" LOGNAME="$QUIRE_PODMAN_USER" \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      XDG_RUNTIME_DIR="/tmp/podman-run-$uid" \
      podman "$@")
  else
    podman "$@"
  fi
}

# Create (as root) the rootless user with subuid/subgid ranges and the Podman settings this kind of machine needs.
# Idempotent: an existing user keeps its ids; its two config files are rewritten so a run never depends on leftovers.
ensure_rootless_user() {
  # A fresh Debian machine (CI) gets what is missing; elsewhere, say what to install.
  local need=()
  command -v podman >/dev/null || need+=(podman)
  command -v runc >/dev/null || need+=(runc)
  command -v newuidmap >/dev/null || need+=(uidmap)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  if [ ${#need[@]} -gt 0 ]; then
    if is_root && command -v apt-get >/dev/null; then
      log "installing ${need[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    elif ! command -v podman >/dev/null || ! command -v newuidmap >/dev/null; then
      die "missing: ${need[*]} (apt-get install -y podman runc uidmap debootstrap)"
    fi
  fi
  if ! is_root; then
    grep -q "^$(id -un):" /etc/subuid || die "$(id -un) has no range in /etc/subuid; rootless podman needs one"
    return 0
  fi

  if ! id "$QUIRE_PODMAN_USER" >/dev/null 2>&1; then
    log "creating rootless podman user $QUIRE_PODMAN_USER"
    useradd --create-home --shell /bin/bash "$QUIRE_PODMAN_USER"
  fi
  # Debian's useradd usually allocates the ranges itself; older or customised systems do not.
  if ! grep -q "^$QUIRE_PODMAN_USER:" /etc/subuid; then
    usermod --add-subuids 200000-265535 "$QUIRE_PODMAN_USER"
  fi
  if ! grep -q "^$QUIRE_PODMAN_USER:" /etc/subgid; then
    usermod --add-subgids 200000-265535 "$QUIRE_PODMAN_USER"
  fi

  local home uid
  home="$(podman_home)"
  uid="$(id -u "$QUIRE_PODMAN_USER")"
  install -d -m 0700 -o "$QUIRE_PODMAN_USER" -g "$QUIRE_PODMAN_USER" "/tmp/podman-run-$uid"
  install -d -o "$QUIRE_PODMAN_USER" -g "$QUIRE_PODMAN_USER" "$home/.config" "$home/.config/containers"

  # overlay: the kernel's native overlayfs works in a user namespace; vfs also works but copies whole layers.
  cat > "$home/.config/containers/storage.conf" <<'EOF'
# Written by Quire's scripts/container-lib.sh.
[storage]
driver = "overlay"
EOF

  # runc: crun fails in sandboxes with hybrid cgroups and no CAP_SYS_RESOURCE (../shared/MACHINE-NOTES.md).
  # cgroupfs and file events: there is no systemd user session for this user, so the systemd backends cannot work.
  local runtime_line=''
  if command -v runc >/dev/null; then runtime_line='runtime = "runc"'; fi
  cat > "$home/.config/containers/containers.conf" <<EOF
# Written by Quire's scripts/container-lib.sh.
[engine]
$runtime_line
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  chown "$QUIRE_PODMAN_USER:" "$home/.config/containers/storage.conf" "$home/.config/containers/containers.conf"
}
