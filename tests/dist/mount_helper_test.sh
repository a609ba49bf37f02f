#!/bin/sh
# mount.fuse.limafs turns what mount(8) passes into the right `limafs mount`
# command line. A fake limafs ($LIMAFS) records its arguments, one a line.
#
#   sh mount_helper_test.sh PATH/TO/mount.fuse.limafs
set -u
helper=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/limafs-helper-test-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

cat > "$tmp/limafs" <<'EOF'
#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done > "$FAKE_ARGV"
[ -z "${FAKE_MESSAGE:-}" ] || printf '%s\n' "$FAKE_MESSAGE" >&2
exit "${FAKE_STATUS:-0}"
EOF
chmod +x "$tmp/limafs"
export LIMAFS="$tmp/limafs" FAKE_ARGV="$tmp/argv"

passed=0
failed=0
fail() {
  printf 'FAIL: %s\n' "$1" >&2
  [ ! -s "$tmp/err" ] || { printf '  stderr:\n' >&2; sed 's/^/    /' "$tmp/err" >&2; }
  failed=$((failed + 1))
}

# run EXPECTED_STATUS ARGS...: runs the helper (in a directory whose files
# would match any glob) and keeps its status and standard error.
run() {
  expected=$1
  shift
  rm -f "$tmp/argv"
  (cd "$tmp/cwd" && "$helper" "$@") 2> "$tmp/err"
  status=$?
  if [ "$status" -ne "$expected" ]; then
    fail "mount.fuse.limafs $* exited with $status, not $expected"
    return 1
  fi
}

# expect_argv NAME ARG...: limafs was called with exactly these arguments.
expect_argv() {
  name=$1
  shift
  for a in "$@"; do printf '%s\n' "$a"; done > "$tmp/want"
  if [ ! -f "$tmp/argv" ]; then
    fail "$name: limafs was not run"
  elif ! cmp -s "$tmp/want" "$tmp/argv"; then
    fail "$name: limafs got other arguments"
    diff "$tmp/want" "$tmp/argv" | sed 's/^/    /' >&2
  else
    passed=$((passed + 1))
  fi
}

# expect_not_run NAME: limafs was never called.
expect_not_run() {
  if [ -f "$tmp/argv" ]; then fail "$1: limafs ran"; else passed=$((passed + 1)); fi
}

# expect_err NAME TEXT: standard error holds exactly TEXT.
expect_err() {
  if [ "$(cat "$tmp/err")" = "$2" ]; then passed=$((passed + 1)); else fail "$1: stderr is not '$2'"; fi
}

mkdir "$tmp/cwd" && touch "$tmp/cwd/ignore=a.bak" "$tmp/cwd/ignore=b.tmp"

# The fstab line of the README.
run 0 /srv/models /mnt/models -o defaults,_netdev,state=/var/lib/limafs/models,listen=127.0.0.1:7701 &&
  expect_argv "fstab example" mount --background /srv/models /mnt/models \
    --state /var/lib/limafs/models --listen 127.0.0.1:7701

# No options at all.
run 0 /srv/models /mnt/models &&
  expect_argv "no options" mount --background /srv/models /mnt/models

# What mount(8) and systemd add, FUSE options, repeated and '_' spellings,
# globs that match files in the working directory, flags and -t.
run 0 /srv/models /mnt/models -n -t fuse.limafs \
    -o rw,noauto,nofail,x-systemd.automount,x-systemd.requires-mounts-for=/srv,suid,dev,exec,async,allow_other \
    -o 'ignore=*.bak,ignore=*.tmp,token_file=/etc/limafs/token,max_upload=512M,log-level=debug' \
    -oallow_device_change,default_permissions,nosuid,reconcile_interval=30m,poll-interval=off \
    -o no_watch,max-watches=5000 &&
  expect_argv "mount(8) options" mount --background /srv/models /mnt/models \
    --ignore '*.bak' --ignore '*.tmp' --token-file /etc/limafs/token --max-upload 512M --log-level debug \
    --allow-device-change --reconcile-interval 30m --poll-interval off --no-watch --max-watches 5000 \
    -o allow_other,default_permissions,nosuid

# Paths with spaces stay one argument each.
run 0 '/srv/my models' '/mnt/my view' -o 'state=/var/lib/limafs/my models' &&
  expect_argv "spaces" mount --background '/srv/my models' '/mnt/my view' --state '/var/lib/limafs/my models'

# -v prints the command before running it.
run 0 /srv/models /mnt/models -v -o allow_other &&
  expect_argv "verbose" mount --background /srv/models /mnt/models -o allow_other &&
  expect_err "verbose" "mount.fuse.limafs: $LIMAFS mount --background /srv/models /mnt/models -o allow_other"

# -f (fake) only says what it would run.
run 0 /srv/models /mnt/models -f -o state=/s && expect_not_run "fake"

# An unknown option is refused, with the option named, and nothing runs.
run 1 /srv/models /mnt/models -o defaults,x=y,allow_other && expect_not_run "unknown option" &&
  expect_err "unknown option" "mount.fuse.limafs: unknown option 'x=y' (limafs options: state= listen= token-file= max-upload= log-level= reconcile-interval= poll-interval= max-watches= ignore= allow-device-change no-watch; FUSE options such as allow_other; see limafs(1))"

# ...unless mount -s (sloppy) asked to ignore it.
run 0 /srv/models /mnt/models -s -o x=y,allow_other &&
  expect_argv "sloppy" mount --background /srv/models /mnt/models -o allow_other &&
  expect_err "sloppy" "mount.fuse.limafs: ignoring unknown option 'x=y'"

# A limafs option without its value.
run 1 /srv/models /mnt/models -o state= && expect_not_run "empty value" &&
  expect_err "empty value" "mount.fuse.limafs: option 'state' needs a value (state=...)"

# Bad invocations.
run 1 /srv/models && expect_not_run "one argument"
run 1 /srv/models /mnt/models extra && expect_not_run "three arguments"
run 1 /srv/models /mnt/models -N /proc/1/ns/mnt && expect_not_run "namespace"

# The daemon's failure and message come through unchanged.
export FAKE_STATUS=1 FAKE_MESSAGE="limafs: mountpoint /mnt/models is not empty"
run 1 /srv/models /mnt/models && expect_err "daemon failure" "limafs: mountpoint /mnt/models is not empty"
export FAKE_STATUS=2 FAKE_MESSAGE=
run 2 /srv/models /mnt/models -o listen=nowhere &&
  expect_argv "daemon usage error" mount --background /srv/models /mnt/models --listen nowhere
unset FAKE_STATUS FAKE_MESSAGE

# No limafs where $LIMAFS points.
LIMAFS=$tmp/missing
run 32 /srv/models /mnt/models && expect_not_run "missing binary"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
