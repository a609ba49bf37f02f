#!/usr/bin/env bash
# Set up, build and run limafs on Debian 12.
#
#   ./setup.sh run [LIBRARY [MOUNTPOINT]]
#                     install what is missing, build, and serve the view of LIBRARY
#                     on MOUNTPOINT until Ctrl-C (defaults: a generated sample
#                     library, build/mnt)
#   ./setup.sh test   install what is missing, build, run every test
#                     (once normally, once under ASan + UBSan)
#
# Build directories: build/ (release), build-test/ (tests), build-asan/
# (tests under sanitizers).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ cmake ninja-build pkg-config liblmdb-dev libxxhash-dev xxhash libfuse3-dev fuse3
          nlohmann-json3-dev libexpected-dev libcpp-httplib-dev catch2 groff-base libvips-dev zlib1g-dev
          libutf8proc-dev libsqlite3-dev)
# The tests also drive the mount with real programs; the API benchmark uses wrk;
# systemd-analyze checks the unit files; the thumbnailer's tests read pictures
# with vipsheader, look up MIME types with gio and run it inside bubblewrap.
TEST_PACKAGES=(python3 tree wrk lmdb-utils systemd inotify-tools libvips-tools libglib2.0-bin shared-mime-info bubblewrap)
JOBS=${JOBS:-2}

say() {
  if [ -t 2 ]; then printf '\033[1m==> %s\033[0m\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi
}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {  # build DIR TYPE [cmake args...]
  local dir=$1 type=$2
  shift 2
  say "building ($type) in $dir"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

case "${1:-}" in
  run)
    install_packages
    build build Release -DBUILD_TESTING=OFF
    library=${2:-}
    if [ -z "$library" ]; then
      library=$PWD/build/sample-library
      build/limafs-bench generate --tier XS "$library" >&2
      say "no LIBRARY given: using the sample library in $library"
    fi
    mountpoint=${3:-$PWD/build/mnt}
    # A dead mount left there by a killed limafs cannot be stat'ed: limafs clears it.
    mkdir -p "$mountpoint" 2>/dev/null || true
    say "mounting $library on $mountpoint: browse it there (start with README.txt); 'build/limafs status' talks to it; Ctrl-C unmounts"
    exec build/limafs mount "$library" "$mountpoint"
    ;;
  test)
    PACKAGES+=("${TEST_PACKAGES[@]}")
    install_packages
    build build-test RelWithDebInfo -DBUILD_TESTING=ON
    say "running the tests"
    (cd build-test && ctest -j "$JOBS" --output-on-failure --timeout 600)
    # The benchmark tool is left out of the sanitized pass: its smoke tests
    # ran in the first, and the daemon they drive is what the tests run.
    build build-asan Debug -DBUILD_TESTING=ON -DLIMA_SANITIZE=ON -DLIMA_BUILD_TOOLS=OFF
    say "running the tests under AddressSanitizer + UBSan"
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest -j "$JOBS" --output-on-failure --timeout 600)
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
