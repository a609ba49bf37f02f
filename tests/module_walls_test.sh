#!/bin/sh
# The walls between modules (STYLE.md, "How this maps onto our tree"), read
# from the sources and the CMake files:
#
#  1. Each third-party header stays inside its module:
#       <lmdb.h>                      src/index
#       <fuse_lowlevel.h>, <fuse.h>   src/fs
#       <httplib.h>                   src/http
#       <vips/vips8>, <vips/vips.h>   src/thumbs
#     A module's own tests (tests/index, tests/fs, ...) may include its
#     header too. Programs that must speak raw HTTP to a running limafs may
#     include <httplib.h>: the end-to-end tests (tests/e2e) and the
#     benchmark tools (tools/); each links cpp-httplib itself.
#  2. The dependency picture, in #include "module/..." lines and in each
#     module library's target_link_libraries:
#       index   depends on no other module
#       fs      on index only
#       http    on index (and thumbs), never on fs
#       thumbs  on no other module (a leaf)
#       daemon  on index, fs, http, thumbs
#       cli     on anything
#  3. Module libraries link third-party libraries PRIVATE, so they do not
#     leak to whoever links the module. The vocabulary of public headers
#     (tl::expected, nlohmann::json) and Threads are exempt.
#
# Usage: module_walls_test.sh SOURCE_DIR
# Prints one line per broken rule, naming the file and the rule; exits 1
# when any rule is broken.
set -u
src=${1:?usage: module_walls_test.sh SOURCE_DIR}
cd "$src" || exit 2
[ -d src/index ] || { echo "module_walls: $src has no src/index"; exit 2; }

broken=0
complain() {
  echo "$1"
  broken=1
}

# The C and C++ files under the given directories (those that exist).
sources() {
  for d in "$@"; do
    [ -d "$d" ] && find "$d" -type f \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \
      -o -name '*.in' \)
  done | sort
}

# header_wall PATTERN WHAT HOME ALLOWED...: PATTERN (an extended regex of
# the included name) may only be included under the ALLOWED directories.
header_wall() {
  pattern=$1 what=$2 home=$3
  shift 3
  sources src tests tools | while read -r f; do
    ok=0
    for allowed in "$@"; do
      case "$f" in "$allowed"/*) ok=1 ;; esac
    done
    [ $ok = 1 ] && continue
    grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)[>\"]" "$f" | while IFS=: read -r line _; do
      echo "$f:$line: includes $what, which belongs to $home (rule: $what stays inside $home)"
    done
  done
}

walls=$(
  header_wall 'lmdb\.h' '<lmdb.h>' src/index src/index tests/index
  header_wall 'fuse_lowlevel\.h|fuse\.h|fuse3/[^>"]*' '<fuse_lowlevel.h>/<fuse.h>' src/fs src/fs tests/fs
  header_wall 'httplib\.h' '<httplib.h>' src/http src/http tests/http tests/e2e tools
  header_wall 'vips/vips8|vips/vips\.h' '<vips/vips8>' src/thumbs src/thumbs tests/thumbs
)
[ -n "$walls" ] && complain "$walls"

# allowed_deps MODULE: the modules MODULE may depend on ("*" = any).
allowed_deps() {
  case "$1" in
    index) echo "" ;;
    fs) echo "index" ;;
    http) echo "index thumbs" ;;
    thumbs) echo "" ;;
    daemon) echo "index fs http thumbs" ;;
    cli) echo "*" ;;
    *) echo "?" ;;
  esac
}

modules=index
for d in src/*/; do
  m=$(basename "$d")
  [ -f "src/$m/CMakeLists.txt" ] && [ "$m" != index ] && modules="$modules $m"
done

for m in $modules; do
  allowed=$(allowed_deps "$m")
  if [ "$allowed" = "?" ]; then
    complain "src/$m: a module STYLE.md's dependency picture does not place (rule: add it to the picture and to $0)"
    continue
  fi
  [ "$allowed" = "*" ] && continue

  # #include "other/..." in the module's sources.
  found=$(for f in $(sources "src/$m"); do
    grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' "$f" | while IFS=: read -r line rest; do
      dep=$(printf '%s\n' "$rest" | sed -E 's/^[^"]*"([a-z_]+)\/.*/\1/')
      [ "$dep" = "$m" ] && continue
      [ -d "src/$dep" ] || continue
      case " $allowed " in *" $dep "*) continue ;; esac
      echo "$f:$line: includes a header of src/$dep (rule: $m depends on ${allowed:-no other module})"
    done
  done)
  [ -n "$found" ] && complain "$found"

  # target_link_libraries(lima_<m> ...) in the module's CMake file: the
  # lima_* libraries it links, and third-party libraries linked PUBLIC.
  links=$(awk -v target="lima_$m" '
    { text = text " " $0 }
    END {
      n = split(text, parts, "target_link_libraries[(]")
      for (i = 2; i <= n; i++) {
        call = parts[i]; sub(/[)].*/, "", call)
        first = ""; scope = "PUBLIC"
        m = split(call, ws, /[ \t]+/)
        for (j = 1; j <= m; j++) {
          if (ws[j] == "") continue
          if (first == "") { first = ws[j]; continue }
          if (first != target) break
          if (ws[j] == "PUBLIC" || ws[j] == "PRIVATE" || ws[j] == "INTERFACE") { scope = ws[j]; continue }
          print scope, ws[j]
        }
      }
    }' "src/$m/CMakeLists.txt")
  found=$(printf '%s\n' "$links" | while read -r scope lib; do
    [ -n "$lib" ] || continue
    case "$lib" in
      lima_*)
        dep=${lib#lima_}
        case " $allowed " in *" $dep "*) ;; *)
          echo "src/$m/CMakeLists.txt: lima_$m links $lib (rule: $m depends on ${allowed:-no other module})" ;;
        esac ;;
      PkgConfig::*|*::*)
        case "$lib" in Threads::Threads | tl::expected | nlohmann_json::nlohmann_json) continue ;; esac
        [ "$scope" = PRIVATE ] ||
          echo "src/$m/CMakeLists.txt: lima_$m links $lib $scope (rule: third-party libraries are linked PRIVATE)" ;;
    esac
  done)
  [ -n "$found" ] && complain "$found"
done

if [ $broken = 1 ]; then
  echo "module_walls: broken walls (see STYLE.md, \"How this maps onto our tree\")"
  exit 1
fi
echo "module_walls: every module keeps to its walls ($modules)"
exit 0
