#!/usr/bin/env bash
# shellcheck disable=SC2016 # check_code takes shell code in single quotes on purpose
# The real container test (npm run test:container): build Quire's image with Podman and run it the way
# deploy/quire.container does — rootless, read-only root, no capabilities, no-new-privileges, the key as a podman
# secret, a named volume on /data, published on 127.0.0.1 only — then check that it serves, that the CLI works inside
# it, that `podman stop` is quick and clean, and that data survives a restart and a re-created container.
#
# Started as root it creates a dedicated rootless user (QUIRE_PODMAN_USER, default quire-ci) and runs Podman as that
# user; started as a normal user it uses that user's Podman. It builds the stand-in base image first where no registry
# can provide node:24-bookworm-slim (scripts/container-base.sh).
#
# Settings (environment):
#   QUIRE_TEST_PORT      host port to publish on 127.0.0.1 (default: a free one)
#   QUIRE_TEST_NO_CACHE  1 to build without the layer cache (a cold build, as on a fresh machine)
#   QUIRE_TEST_KEEP      1 to keep the test image (localhost/quire:test) afterwards
#   QUIRE_TEST_SOURCE    head to build the last commit (git archive HEAD) instead of the working tree
#   QUIRE_BUILD_CA_FILE  a CA bundle npm must trust during the build (default: NODE_EXTRA_CA_CERTS), for machines
#                        behind a TLS-inspecting proxy; mounted for the build only, never stored in the image
#   QUADLET              path to a quadlet binary (Podman 4.4+) to check deploy/*.container with; found on PATH or in
#                        /usr/libexec/podman when unset, skipped when there is none (Podman 4.3 has none)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=container-lib.sh
. "$here/container-lib.sh"

image=localhost/quire:test
name=quire-test-$$
volume=quire-test-data-$$
restore_volume=quire-test-restored-$$
secret=quire-test-secret-$$
failures=0

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
pass() { printf '  ok    %s\n' "$*"; }
fail() { printf '  FAIL  %s\n' "$*"; failures=$((failures + 1)); }
check() { # check "description" command...: passes when the command succeeds
  local what="$1"; shift
  if "$@" > /dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}
check_not() { # check_not "description" command...: passes when the command fails
  local what="$1"; shift
  if "$@" > /dev/null 2>&1; then fail "$what"; else pass "$what"; fi
}
# For checks that need a pipeline or the pm function: the code, in single quotes, runs in this shell.
check_code() { check "$1" eval "$2"; }
check_not_code() { check_not "$1" eval "$2"; }

work="$(mktemp -d /tmp/quire-container-test.XXXXXX)"
cleanup() {
  local code=$?
  set +e
  if [ "$code" -ne 0 ] || [ "$failures" -ne 0 ]; then
    log "container logs:"; pm logs "$name" 2>&1 | tail -40 >&2
  fi
  pm rm --force --time 0 "$name" > /dev/null 2>&1
  pm volume rm --force "$volume" "$restore_volume" > /dev/null 2>&1
  pm secret rm "$secret" > /dev/null 2>&1
  [ "${QUIRE_TEST_KEEP:-0}" = 1 ] || pm rmi "$image" > /dev/null 2>&1
  # Build-stage layers stay for a day as cache for the next run; older ones would only fill the disk.
  pm image prune --force --filter until=24h > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------------------------------
echo "== Podman (rootless, as $(podman_user))"
ensure_rootless_user
"$here/container-base.sh"
[ "$(pm info --format '{{.Host.Security.Rootless}}')" = true ] || die "podman is not running rootless"
echo "  podman $(pm version --format '{{.Client.Version}}'), runtime $(pm info --format '{{.Host.OCIRuntime.Name}}'), storage $(pm info --format '{{.Store.GraphDriverName}}')"

# ---------------------------------------------------------------------------------------------------------------------
echo "== Build"
# The build context is a copy of the working tree (tracked and new files, minus what git ignores) or of HEAD, readable
# by the rootless user: the checkout may belong to root, and local node_modules/ or data/ must never reach the image.
context="$work/context"
mkdir -p "$context"
if [ "${QUIRE_TEST_SOURCE:-worktree}" = head ]; then
  git -C "$repo" archive HEAD | tar -C "$context" -xf -
elif git -C "$repo" rev-parse --git-dir > /dev/null 2>&1; then
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done \
    | tar --null -T - -cf -) | tar -C "$context" -xf -
else
  tar -C "$repo" --exclude=./node_modules --exclude=./dist --exclude=./data --exclude=./.git -cf - . | tar -C "$context" -xf -
fi
revision="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
build_args=(--format docker --layers -f "$context/Containerfile" -t "$image"
  --build-arg "REVISION=$revision" --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
[ "${QUIRE_TEST_NO_CACHE:-0}" = 1 ] && build_args+=(--no-cache)
# Behind a TLS-inspecting proxy (like this project's build machines) npm inside the build must trust the proxy's CA.
# It is mounted only while RUN steps execute, as npm's global config dir, so it never becomes part of a layer and the
# Containerfile stays the same as everywhere else.
ca_file="${QUIRE_BUILD_CA_FILE:-${NODE_EXTRA_CA_CERTS:-}}"
if [ -n "$ca_file" ] && [ -r "$ca_file" ]; then
  mkdir -p "$work/npm-etc"
  cp "$ca_file" "$work/npm-etc/build-ca.crt"
  printf 'cafile=/usr/local/etc/build-ca.crt\n' > "$work/npm-etc/npmrc"
  build_args+=(--volume "$work/npm-etc:/usr/local/etc:ro")
  echo "  npm in the build trusts $ca_file (QUIRE_BUILD_CA_FILE / NODE_EXTRA_CA_CERTS)"
fi
chmod -R a+rX "$work"
started="$(now)"
if ! pm build "${build_args[@]}" "$context" > "$work/build.log" 2>&1; then
  tail -40 "$work/build.log" >&2
  die "podman build failed"
fi
build_time="$(since "$started")"
pass "image built in ${build_time} s"

image_size="$(pm image inspect --format '{{.Size}}' "$image")"
base_size="$(pm image inspect --format '{{.Size}}' "$QUIRE_BASE_IMAGE")"
app_size=$((image_size - base_size))

# The image's own promises, read from what was built rather than from the Containerfile.
user="$(pm image inspect --format '{{.Config.User}}' "$image")"
if [[ "$user" =~ ^[1-9][0-9]*(:[0-9]+)?$ ]]; then pass "image runs as numeric non-root user $user"; else fail "image user is '$user', want a numeric non-root uid"; fi
health="$(pm image inspect --format '{{json .Config.Healthcheck}}' "$image")"
if [[ "$health" == *healthcheck.mjs* ]]; then pass "image has a HEALTHCHECK"; else fail "image has no HEALTHCHECK ($health)"; fi
if pm image inspect --format '{{json .Config.Env}}' "$image" | grep -q 'QUIRE_SECRET'; then
  fail "image environment mentions QUIRE_SECRET"
else
  pass "no key in the image environment"
fi
# No key or database file anywhere in the image's filesystem.
if pm run --rm --no-healthcheck --entrypoint sh "$image" -c 'find / -xdev \( -name secret.key -o -name "*.db" -o -name .env \) -print 2>/dev/null' | grep -q .; then
  fail "image contains a key, .env or database file"
else
  pass "no secret.key, .env or *.db file in the image"
fi

# ---------------------------------------------------------------------------------------------------------------------
echo "== Run (read-only, --cap-drop=ALL, no-new-privileges, podman secret, named volume)"
port="${QUIRE_TEST_PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)}"
base_url="http://127.0.0.1:$port"
key="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
printf '%s' "$key" | pm secret create "$secret" - > /dev/null
pm volume create "$volume" > /dev/null

# Podman schedules health checks with systemd timers; this user has no systemd session here, so podman run, start, stop
# and rm each log an error about it. The check itself runs below with `podman healthcheck run`; drop only that noise.
quiet() { "$@" 2> >(grep -v 'unable to get systemd connection' >&2); }

# The same options as deploy/quire.container, so this test covers what a self-hoster runs.
run_container() {
  quiet pm run -d --name "$name" \
    --read-only --cap-drop=ALL --security-opt=no-new-privileges \
    --secret "$secret,type=mount,target=/run/quire_secret,uid=1000,gid=1000,mode=0400" \
    --env QUIRE_SECRET_FILE=/run/quire_secret \
    --env PUBLIC_URL="$base_url" \
    --volume "$volume:/data" \
    --publish "127.0.0.1:$port:8080" \
    "$image" > /dev/null
}

inside() { pm exec "$name" "$@"; }

# Waits for /healthz to answer 200 from the host; prints the seconds it took.
wait_healthy() {
  local started deadline
  started="$(now)"
  deadline=$((SECONDS + 30))
  until curl -fsS -o /dev/null "$base_url/healthz" 2> /dev/null; do
    if [ "$SECONDS" -ge "$deadline" ] || [ "$(pm inspect --format '{{.State.Running}}' "$name")" != true ]; then
      return 1
    fi
    sleep 0.1
  done
  since "$started"
}

started="$(now)"
run_container
first_start="$(wait_healthy)" || die "the container did not become healthy"
first_start_total="$(since "$started")"
pass "healthy ${first_start} s after podman run returned (${first_start_total} s including podman run)"

check_code "/healthz answers JSON status ok" 'curl -fsS "$base_url/healthz" | grep -q "\"status\":\"ok\""'
check "the image's HEALTHCHECK passes (podman healthcheck run)" pm healthcheck run "$name"
check_code "the port is published on 127.0.0.1 only" '[ "$(pm port "$name" 8080/tcp)" = "127.0.0.1:$port" ]'

check_code "the app runs as uid 1000" '[ "$(inside id -u)" = 1000 ]'
check "PID 1 has no capabilities" inside grep -q '^CapEff:[[:space:]]*0000000000000000$' /proc/1/status
check "PID 1 has no-new-privileges" inside grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/1/status
check_not "the code in /app is not writable" inside touch /app/dist/probe
check_not "the root filesystem is read-only" inside touch /probe
check "/data is writable" inside sh -c 'touch /data/probe && rm /data/probe'
check "the key is mounted at /run/quire_secret, readable by the app" inside test -r /run/quire_secret -a -s /run/quire_secret
check_not_code "the key does not appear in podman inspect" 'pm inspect "$name" | grep -qF "$key"'
check "the database is in the volume" inside test -s /data/quire.db

# --- Persistence fixture ----------------------------------------------------------------------------------------------
# An owner account made through the invite the CLI prints (argon2 runs in the container), then a post made with the
# CLI's new-post inside the running container, next to the server, on the same /data. After every restart the post's
# public page and the owner's session must still be there: all of it lives only in /data/quire.db.
owner_link="$(inside node dist/src/cli.js invite --owner)" || true
owner_token="${owner_link##*/invite/}"
if [[ "$owner_link" == "$base_url/invite/"* ]]; then pass "CLI in the container printed an owner invite"; else fail "CLI invite --owner printed '$owner_link'"; fi
cookies="$work/cookies.txt"
enrol_status="$(curl -sS -o "$work/enrol.html" -w '%{http_code}' -c "$cookies" -H "Origin: $base_url" \
  --data-urlencode 'display_name=Container Test' "$base_url/invite/$owner_token")"
if [ "$enrol_status" = 200 ] && grep -q 'Container Test' "$work/enrol.html"; then
  pass "owner account created through the invite (argon2 in the container)"
else
  fail "enrolling through the invite answered $enrol_status"
fi

post_title="Written in a container $$"
post_url="$(inside node dist/src/cli.js new-post --title "$post_title" --body "Made by the CLI inside the container." --publish 2> /dev/null)" || true
if [[ "$post_url" == "$base_url/posts/written-in-a-container-"* ]]; then
  pass "CLI new-post --publish in the running container printed $post_url"
else
  fail "CLI new-post printed '$post_url'"
fi

check_persisted() { # $1: when
  local status
  status="$(curl -sS -o "$work/post.html" -w '%{http_code}' "$post_url")"
  if [ "$status" = 200 ] && grep -qF "$post_title" "$work/post.html"; then
    pass "$1: the post made by the CLI is on its public page"
  else
    fail "$1: GET $post_url answered $status"
  fi
  # Control: a post that was never written must not be found, or the check above proves nothing.
  status="$(curl -sS -o /dev/null -w '%{http_code}' "$base_url/posts/never-written-$$")"
  if [ "$status" = 404 ]; then pass "$1: a post that was never written is not found (control)"; else fail "$1: an unknown post answered $status"; fi
  status="$(curl -sS -o "$work/members.html" -w '%{http_code}' -b "$cookies" "$base_url/members")"
  if [ "$status" = 200 ] && grep -q 'Container Test' "$work/members.html"; then
    pass "$1: the owner's session and account are still there"
  else
    fail "$1: GET /members with the owner's cookie answered $status"
  fi
}
check_persisted "before stopping"

# ---------------------------------------------------------------------------------------------------------------------
echo "== Stop and start"
started="$(now)"
quiet pm stop --time 10 "$name" > /dev/null
stop_time="$(since "$started")"
exit_code="$(pm inspect --format '{{.State.ExitCode}}' "$name")"
# 10 s would mean Podman gave up on SIGTERM and killed Quire; a clean shutdown takes well under a second or two.
if awk -v t="$stop_time" 'BEGIN { exit !(t < 5) }'; then pass "podman stop took ${stop_time} s"; else fail "podman stop took ${stop_time} s (SIGTERM not handled?)"; fi
if [ "$exit_code" = 0 ]; then pass "Quire exited with status 0 after SIGTERM"; else fail "Quire exited with status $exit_code after SIGTERM"; fi
check_code "Quire logged its shutdown" 'pm logs "$name" 2>&1 | grep -q "SIGTERM received"'

started="$(now)"
quiet pm start "$name" > /dev/null
restart_time="$(wait_healthy)" || die "the container did not become healthy after a restart"
pass "healthy again ${restart_time} s after podman start"
check_persisted "after a restart"

echo "== Re-create the container on the same volume (what an upgrade does)"
quiet pm rm --force --time 10 "$name" > /dev/null
run_container
recreate_time="$(wait_healthy)" || die "a new container on the same volume did not become healthy"
pass "new container healthy after ${recreate_time} s"
check_persisted "in a new container"
check_not_code "no new setup link was printed (accounts were found)" 'pm logs "$name" 2>&1 | grep -q "no accounts yet"'

# ---------------------------------------------------------------------------------------------------------------------
echo "== Backup and restore with the CLI (as docs/deploy.md tells self-hosters)"
backup_file="/data/backups/test-$$.tar.gz"
started="$(now)"
if inside node dist/src/cli.js backup "$backup_file" > /dev/null 2> "$work/backup.err"; then
  backup_time="$(since "$started")"
  backup_size="$(inside stat -c %s "$backup_file")"
  pass "quire backup in the running container: $(numfmt --to=si --suffix=B "$backup_size") in ${backup_time} s (with podman exec)"
else
  backup_time=failed; backup_size=0
  cat "$work/backup.err" >&2; fail "quire backup in the running container"
fi
# The restore runs in a throwaway container with the same hardening, the backup read from the old volume.
restore_cli() { # $1: target volume; the rest: cli arguments
  local target="$1"; shift
  quiet pm run --rm --no-healthcheck --read-only --cap-drop=ALL --security-opt=no-new-privileges \
    --secret "$secret,type=mount,target=/run/quire_secret,uid=1000,gid=1000,mode=0400" \
    --env QUIRE_SECRET_FILE=/run/quire_secret \
    --volume "$target:/data" --volume "$volume:/old:ro" \
    "$image" node dist/src/cli.js "$@"
}
check_not "restore refuses the volume in use (not empty)" restore_cli "$volume" restore "/old/backups/test-$$.tar.gz"
pm volume create "$restore_volume" > /dev/null
started="$(now)"
if restore_cli "$restore_volume" restore "/old/backups/test-$$.tar.gz" > /dev/null 2> "$work/restore.err"; then
  pass "quire restore into a new, empty volume in $(since "$started") s (including podman run)"
else
  cat "$work/restore.err" >&2; fail "quire restore into a new, empty volume"
fi
quiet pm rm --force --time 10 "$name" > /dev/null
volume_in_use="$volume"
volume="$restore_volume"
run_container
volume="$volume_in_use"
if restored_time="$(wait_healthy)"; then
  pass "a container on the restored volume is healthy after ${restored_time} s"
  check_persisted "restored from the backup"
else
  fail "a container on the restored volume did not become healthy"
fi

# ---------------------------------------------------------------------------------------------------------------------
echo "== Quadlet units"
quadlet="${QUADLET:-$(command -v quadlet || true)}"
[ -z "$quadlet" ] && [ -x /usr/libexec/podman/quadlet ] && quadlet=/usr/libexec/podman/quadlet
if [ -n "$quadlet" ]; then
  if QUADLET_UNIT_DIRS="$repo/deploy" "$quadlet" -dryrun -user > "$work/quadlet.out" 2>&1 \
     && grep -q '^ExecStart=.*podman run .*--read-only' "$work/quadlet.out"; then
    pass "quadlet $("$quadlet" -version 2>/dev/null) generates quire.service from deploy/"
  else
    cat "$work/quadlet.out" >&2; fail "quadlet rejected deploy/quire.container"
  fi
else
  echo "  skip  no quadlet binary (Podman $(pm version --format '{{.Client.Version}}') has none; Quadlet needs 4.4+)"
fi

# ---------------------------------------------------------------------------------------------------------------------
human() { numfmt --to=si --suffix=B "$1"; }
echo "== Summary"
echo "  image          $image: $(human "$image_size") ($(human "$base_size") base + $(human "$app_size") Quire)"
echo "  build          ${build_time} s$([ "${QUIRE_TEST_NO_CACHE:-0}" = 1 ] && echo ' (no cache)' || echo ' (layer cache allowed)')"
echo "  first start    ${first_start_total} s to healthy"
echo "  podman stop    ${stop_time} s"
echo "  restart        ${restart_time} s to healthy"
echo "  re-create      ${recreate_time} s to healthy"
echo "  backup         $(numfmt --to=si --suffix=B "${backup_size:-0}") in ${backup_time:-?} s (quire backup via podman exec)"
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
