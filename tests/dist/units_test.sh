#!/bin/sh
# The generated systemd units load cleanly (systemd-analyze verify: no unknown
# key, no bad value, an executable ExecStart) and turn an instance name into
# the library path. The units name the installed binary; here they run the
# one just built. Exit 77 (skipped) without systemd-analyze.
#
#   sh units_test.sh BUILD/dist BUILD/limafs
set -u
dist=$1
limafs=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not found: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/limafs-units-test-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -m 700 "$tmp/runtime"
export XDG_RUNTIME_DIR="$tmp/runtime"  # a user manager needs one, even to verify

passed=0
failed=0
# check SCOPE UNIT LIBRARY: SCOPE is --system or --user.
check() {
  scope=$1 unit=$2 library=$3
  dir=$tmp/${scope#--}
  mkdir -p "$dir"
  # The installed binary's path, whatever the prefix, becomes the built one.
  sed "s|^\(ExecStart=\)[^ ]*/limafs |\1$limafs |" "$dist/${scope#--}/$unit" > "$dir/$unit"
  instance=$(systemd-escape --path "$library")
  name=${unit%%@*}@$instance.${unit#*.}
  ln -sf "$unit" "$dir/$name"
  out=$(cd "$dir" && systemd-analyze "$scope" verify --man=no "./$name" 2>&1)
  status=$?
  if [ "$status" -ne 0 ] || [ -n "$out" ]; then
    printf 'FAIL: %s %s does not verify cleanly (status %d):\n%s\n' "$scope" "$name" "$status" "$out" >&2
    failed=$((failed + 1))
    return
  fi
  dump=$(cd "$dir" && SYSTEMD_LOG_LEVEL=debug systemd-analyze "$scope" verify --man=no "./$name" 2>&1)
  if printf '%s\n' "$dump" | grep -qF "Description: limafs view of $library"; then
    passed=$((passed + 1))
  else
    printf 'FAIL: %s %s does not serve %s\n' "$scope" "$name" "$library" >&2
    failed=$((failed + 1))
  fi
}

check --system 'limafs@.service' /srv/models
check --system 'limafs@.service' '/srv/3D models/été'
check --user 'limafs@.service' /home/me/Models

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
