#!/bin/sh
# A screenshot of pcmanfm showing model previews in a limafs mount: the
# folder tags/printed/ of a small library of real models, each file's
# picture made by the installed thumbnailer. Everything runs in a temporary
# home (its own thumbnail cache and settings) on a virtual X server.
#
#   tools/screenshot-file-manager.sh BUILD_DIR MODELS_DIR OUTPUT.png
#
# BUILD_DIR holds a built limafs; MODELS_DIR the models of the README
# (meshes/, sliced/ and freecad/, as described in its SOURCES.md).
# Needs pcmanfm, xvfb, imagemagick, shared-mime-info and /dev/fuse.
set -eu
build=$(cd "$1" && pwd)
models=$(cd "$2" && pwd)
output=$3
limafs=$build/limafs
for tool in pcmanfm Xvfb import convert update-mime-database; do
  command -v $tool >/dev/null 2>&1 || { echo "$tool not found" >&2; exit 1; }
done
[ -x "$limafs" ] || { echo "no limafs in $build" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/limafs-screenshot-XXXXXX")
xvfb=
fm=
cleanup() {
  [ -n "$fm" ] && kill "$fm" 2>/dev/null || true
  [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null || true
  fusermount3 -u "$tmp/mnt" 2>/dev/null || umount "$tmp/mnt" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A home of its own: settings, thumbnail cache, the daemon registry.
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_CACHE_HOME=$tmp/home/.cache \
       XDG_DATA_HOME=$tmp/home/.local/share XDG_RUNTIME_DIR=$tmp/run
mkdir -p "$XDG_CONFIG_HOME/libfm" "$XDG_CONFIG_HOME/pcmanfm/default" "$XDG_DATA_HOME/thumbnailers" \
         "$XDG_DATA_HOME/mime/packages" "$XDG_CACHE_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"

# The thumbnailer and the MIME types, where a user install puts them
# (~/.local/share), running the built binary.
sed "s|^\(TryExec=\).*|\1$limafs|; s|^Exec=[^ ]*|Exec=$limafs|" "$build/dist/limafs.thumbnailer" \
  > "$XDG_DATA_HOME/thumbnailers/limafs.thumbnailer"
cp "$(dirname "$0")/../dist/limafs-mime.xml" "$XDG_DATA_HOME/mime/packages/limafs.xml"
update-mime-database "$XDG_DATA_HOME/mime" >/dev/null 2>&1

# pcmanfm: big thumbnails of every file, whatever its size, in the
# thumbnail view; files in a FUSE mount are local files for libfm.
cat > "$XDG_CONFIG_HOME/libfm/libfm.conf" <<'EOF'
[config]
single_click=0
thumbnail_local=1
thumbnail_max=0

[ui]
big_icon_size=48
small_icon_size=16
thumbnail_size=128
show_thumbnail=1
EOF
cat > "$XDG_CONFIG_HOME/pcmanfm/default/pcmanfm.conf" <<'EOF'
[config]
bm_open_method=0

[volume]
mount_on_startup=0
mount_removable=0
autorun=0

[ui]
always_show_tabs=0
hide_close_btn=0
win_width=900
win_height=560
splitter_pos=150
side_pane_mode=places
view_mode=thumbnail
show_hidden=0
sort=name;ascending;
toolbar=navigation;home;
show_statusbar=1
pathbar_mode_buttons=0
EOF

# The library: one project per model, real files of each kind.
lib=$tmp/Models
mkdir -p "$lib/Tugboat" "$lib/Gridfinity bin" "$lib/Lion statue" "$lib/Screw" "$lib/End mill" "$tmp/mnt"
cp "$models/meshes/tugboat.stl" "$models/sliced/tugboat_png.gcode" "$models/sliced/tugboat_png.bgcode" \
   "$models/sliced/tugboat_project.3mf" "$lib/Tugboat/"
cp "$models/meshes/gridfinity_bin_2x1x3.stl" "$models/sliced/gridfinity_bin_project.3mf" "$lib/Gridfinity bin/"
cp "$models/meshes/chinese_lion_statue_20k.obj" "$models/sliced/lion_statue_40mm_qoi.gcode" "$lib/Lion statue/"
cp "$models/meshes/prusaslicer_M3x10_screw.stl" "$lib/Screw/"
cp "$models/freecad/endmill.fcstd" "$lib/End mill/"

"$limafs" mount --background "$lib" "$tmp/mnt" --state "$tmp/state" 2> "$tmp/daemon.log"
for f in Tugboat/tugboat.stl Tugboat/tugboat_png.gcode Tugboat/tugboat_png.bgcode Tugboat/tugboat_project.3mf \
         "Gridfinity bin/gridfinity_bin_2x1x3.stl" "Gridfinity bin/gridfinity_bin_project.3mf" \
         "Lion statue/chinese_lion_statue_20k.obj" "Lion statue/lion_statue_40mm_qoi.gcode" \
         Screw/prusaslicer_M3x10_screw.stl "End mill/endmill.fcstd"; do
  "$limafs" tag "$f" printed >/dev/null
done
folder=$tmp/mnt/tags/printed
ls "$folder" >/dev/null

# A virtual screen, pcmanfm in the folder, the screenshot once every
# preview is in the thumbnail cache (or after a minute).
display=:$((90 + $$ % 9))
Xvfb "$display" -screen 0 900x560x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
sleep 1
export DISPLAY=$display NO_AT_BRIDGE=1
pcmanfm --no-desktop "$folder" >/dev/null 2>&1 &
fm=$!
expected=$(ls "$folder" | wc -l)
for _ in $(seq 60); do
  sleep 1
  made=$(find "$XDG_CACHE_HOME/thumbnails" -name '*.png' 2>/dev/null | wc -l)
  [ "$made" -ge "$expected" ] && break
done
sleep 2
import -window root "$tmp/shot.png"
convert "$tmp/shot.png" -strip -colors 256 "PNG8:$output"
echo "wrote $output ($(wc -c < "$output") bytes); $made of $expected previews in the cache"
