#!/bin/sh
# `cmake --install` puts every piece where it is looked for, into a DESTDIR:
# the binary and man page under the prefix, the systemd units where systemd
# searches (PREFIX/lib/systemd/{system,user}), the fstab helper in /sbin
# (mount(8) looks nowhere else), the thumbnailer entry and the MIME types
# where file managers and update-mime-database look (PREFIX/share); the
# units, the helper and the thumbnailer run the installed binary.
#
#   sh install_test.sh BUILD_DIR
set -u
build=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/limafs-install-test-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
helper_dir=$(sed -n 's/^LIMA_MOUNT_HELPER_DIR:STRING=//p' "$build/CMakeCache.txt")
case $helper_dir in /*) ;; *) helper_dir=$prefix/$helper_dir ;; esac

if ! out=$(DESTDIR="$tmp" cmake --install "$build" 2>&1); then
  printf 'FAIL: cmake --install:\n%s\n' "$out" >&2
  exit 1
fi

passed=0
failed=0
expect() {  # expect DESCRIPTION TEST-ARGS...
  what=$1
  shift
  if test "$@"; then passed=$((passed + 1)); else printf 'FAIL: %s\n' "$what" >&2; failed=$((failed + 1)); fi
}
bin=$prefix/bin/limafs
expect "the binary in $bin" -x "$tmp$bin"
expect "the man page" -f "$tmp$prefix/share/man/man1/limafs.1"
expect "the system unit" -f "$tmp$prefix/lib/systemd/system/limafs@.service"
expect "the user unit" -f "$tmp$prefix/lib/systemd/user/limafs@.service"
expect "the mount helper in $helper_dir" -x "$tmp$helper_dir/mount.fuse.limafs"
for unit in "$tmp$prefix/lib/systemd/system/limafs@.service" "$tmp$prefix/lib/systemd/user/limafs@.service"; do
  expect "$unit runs $bin --foreground" -n "$(grep "^ExecStart=$bin mount --foreground " "$unit")"
done
expect "the helper runs $bin" -n "$(grep "^limafs=\${LIMAFS:-$bin}\$" "$tmp$helper_dir/mount.fuse.limafs")"
thumbnailer=$tmp$prefix/share/thumbnailers/limafs.thumbnailer
expect "the thumbnailer entry" -f "$thumbnailer"
expect "the thumbnailer runs $bin thumbnail" -n "$(grep "^Exec=$bin thumbnail " "$thumbnailer")"
expect "the MIME types" -f "$tmp$prefix/share/mime/packages/limafs.xml"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
