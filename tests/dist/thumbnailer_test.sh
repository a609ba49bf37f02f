#!/bin/sh
# The installed thumbnailer works for a file manager: `cmake --install` puts
# limafs.thumbnailer in share/thumbnailers (for STL, 3MF, OBJ, G-code and
# bgcode files) and the MIME types shared-mime-info lacks in
# share/mime/packages; its Exec line, with %s %u %i %o filled in and run
# through `sh -c` as libfm (pcmanfm) runs it, writes a PNG of the asked size
# for a real STL, OBJ, 3MF, G-code with an embedded picture and PNG, and a
# corrupt STL fails with a one-line reason and no output file.
#
# With --sandbox, the Exec line runs inside bubblewrap as GNOME's thumbnailer
# sandbox runs it (gnome-desktop-thumbnail-script.c: read-only /usr, no
# network, no other process, only the input file visible, at
# /tmp/gnome-desktop-file-to-thumbnail.EXT). Exit 77 (skipped) where bwrap
# is missing or cannot create namespaces.
#
#   sh thumbnailer_test.sh BUILD_DIR [--sandbox]
set -u
build=$1
sandbox=${2:-}
for tool in vips vipsheader python3; do
  command -v $tool >/dev/null 2>&1 || { echo "FAIL: $tool not found (libvips-tools, python3)"; exit 1; }
done
if [ "$sandbox" = --sandbox ]; then
  command -v bwrap >/dev/null 2>&1 || { echo "bwrap not found (bubblewrap): skipped"; exit 77; }
  bwrap --ro-bind / / --unshare-all --die-with-parent true 2>/dev/null ||
    { echo "bwrap cannot create namespaces here: skipped"; exit 77; }
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/limafs-thumbnailer-test-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
if ! out=$(DESTDIR="$tmp/dest" cmake --install "$build" 2>&1); then
  printf 'FAIL: cmake --install:\n%s\n' "$out" >&2
  exit 1
fi

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { printf 'FAIL: %s\n' "$1" >&2; failed=$((failed + 1)); }

entry=$tmp/dest$prefix/share/thumbnailers/limafs.thumbnailer
[ -f "$entry" ] || { echo "FAIL: no $entry"; exit 1; }
bin=$prefix/bin/limafs
[ "$(sed -n 's/^TryExec=//p' "$entry")" = "$bin" ] && pass || fail "TryExec is $bin"
types=$(sed -n 's/^MimeType=//p' "$entry")
for t in model/stl model/3mf model/obj text/x.gcode application/x-bgcode; do
  case ";$types" in *";$t;"*) pass ;; *) fail "MimeType lists $t" ;; esac
done
exec_line=$(sed -n 's/^Exec=//p' "$entry")
case $exec_line in "$bin "*) pass ;; *) fail "Exec runs $bin: $exec_line" ;; esac
# The installed binary's path becomes the one in DESTDIR, nothing else changes.
exec_line=$tmp/dest$exec_line

# The input files, made here.
in=$tmp/in
mkdir -p "$in"
python3 - "$in" <<'EOF'
import sys, zipfile
d = sys.argv[1]
v = [(0,0,0),(20,0,0),(20,20,0),(0,20,0),(0,0,20),(20,0,20),(20,20,20),(0,20,20)]
f = [(0,2,1),(0,3,2),(4,5,6),(4,6,7),(0,1,5),(0,5,4),(1,2,6),(1,6,5),(2,3,7),(2,7,6),(3,0,4),(3,4,7)]
with open(d + "/cube.stl", "w") as o:
    o.write("solid cube\n")
    for a, b, c in f:
        o.write(" facet normal 0 0 0\n  outer loop\n")
        for i in (a, b, c): o.write("   vertex %g %g %g\n" % v[i])
        o.write("  endloop\n endfacet\n")
    o.write("endsolid cube\n")
with open(d + "/cube.obj", "w") as o:
    for p in v: o.write("v %g %g %g\n" % p)
    for a, b, c in f: o.write("f %d %d %d\n" % (a + 1, b + 1, c + 1))
model = ('<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" '
         'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources>'
         '<object id="1" type="model"><mesh><vertices>'
         + "".join('<vertex x="%g" y="%g" z="%g"/>' % p for p in v) + '</vertices><triangles>'
         + "".join('<triangle v1="%d" v2="%d" v3="%d"/>' % t for t in f)
         + '</triangles></mesh></object></resources><build><item objectid="1"/></build></model>\n')
with zipfile.ZipFile(d + "/cube.3mf", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>\n')
    z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>\n')
    z.writestr("3D/3dmodel.model", model)
# A corrupt STL: a vertex with two coordinates.
with open(d + "/broken.stl", "w") as o:
    o.write("solid broken\n facet normal 0 0 1\n  outer loop\n   vertex 1 2\n")
EOF
cp "$in/cube.stl" "$in/my part #1.stl"
# A 600x400 PNG, and a G-code carrying a 300x300 PNG as PrusaSlicer writes it.
vips black "$in/photo.png" 600 400 --bands 3 && vips black "$tmp/embedded.png" 300 300 --bands 3 ||
  { echo "FAIL: vips cannot write a PNG"; exit 1; }
python3 - "$in/thumb.gcode" "$tmp/embedded.png" <<'EOF'
import base64, sys
data = base64.b64encode(open(sys.argv[2], "rb").read()).decode()
with open(sys.argv[1], "w") as o:
    o.write("; generated by PrusaSlicer 2.5.0\n;\n")
    o.write("; thumbnail begin 300x300 %d\n" % len(data))
    for i in range(0, len(data), 78): o.write("; " + data[i:i + 78] + "\n")
    o.write("; thumbnail end\n;\nG28\nG1 X10 Y10 Z0.2 E1\n")
EOF

# A file URI as g_filename_to_uri() writes it, for the names used here.
uri_of() { printf 'file://%s\n' "$1" | sed -e 's/%/%25/g' -e 's/ /%20/g' -e 's/#/%23/g'; }

# run SIZE NAME OUTDIR: the Exec line for in/NAME with its fields filled in
# (shell-quoted, as libfm and gnome-desktop quote them), run by sh -c; the
# output is OUTDIR/thumbnail.png (in the sandbox, where OUTDIR is /tmp,
# /tmp/gnome-desktop-thumbnailer.png), the reason of a failure in $tmp/err.
# Prints the output file's path outside.
run() {
  size=$1 name=$2 outdir=$3
  if [ "$sandbox" = --sandbox ]; then
    seen=/tmp/gnome-desktop-file-to-thumbnail.${name##*.} output=/tmp/gnome-desktop-thumbnailer.png
  else
    seen=$in/$name output=$outdir/thumbnail.png
  fi
  cmd=$(printf '%s\n' "$exec_line" | sed -e "s|%s|$size|g" -e "s|%u|'$(uri_of "$seen")'|g" -e "s|%i|'$seen'|g" \
        -e "s|%o|'$output'|g")
  if [ "$sandbox" = --sandbox ]; then
    set -- --ro-bind /usr /usr --ro-bind-try /etc/ld.so.cache /etc/ld.so.cache
    for d in bin lib lib64 sbin; do
      if [ -L "/$d" ]; then set -- "$@" --symlink "$(readlink "/$d")" "/$d"
      elif [ -d "/$d" ]; then set -- "$@" --ro-bind "/$d" "/$d"; fi
    done
    # The installed binary is seen where it was installed (DESTDIR).
    set -- "$@" --proc /proc --dev /dev --chdir / --setenv GIO_USE_VFS local --unshare-all --die-with-parent \
      --bind "$outdir" /tmp --ro-bind "$in/$name" "$seen" --ro-bind "$tmp/dest" "$tmp/dest"
    bwrap "$@" /bin/sh -c "$cmd" 2> "$tmp/err"
    status=$?
    echo "$outdir/gnome-desktop-thumbnailer.png"
  else
    sh -c "$cmd" 2> "$tmp/err"
    status=$?
    echo "$output"
  fi
  return $status
}

n=0
# picture NAME SIZE: in/NAME gives a PNG whose long edge is SIZE.
picture() {
  name=$1 size=$2
  n=$((n + 1))
  outdir=$tmp/out-$n
  mkdir -p "$outdir"
  out=$(run "$size" "$name" "$outdir")
  status=$?
  if [ $status -ne 0 ]; then fail "$name at $size: exit $status: $(cat "$tmp/err")"; return; fi
  if [ ! -f "$out" ]; then fail "$name at $size: no output file"; return; fi
  magic=$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')
  [ "$magic" = 89504e47 ] || { fail "$name at $size: not a PNG (starts $magic)"; return; }
  # "FILE: 128x96 uchar, 3 bands, srgb, pngload"
  dims=$(vipsheader "$out" | sed -n 's/.*: \([0-9]*\)x\([0-9]*\) .*/\1 \2/p')
  w=${dims% *} h=${dims#* }
  long=$w
  [ "$h" -gt "$w" ] && long=$h
  [ "$long" = "$size" ] && pass || fail "$name at $size: ${w}x$h, not $size on the long edge"
}

for name in cube.stl cube.obj cube.3mf thumb.gcode photo.png "my part #1.stl"; do
  picture "$name" 128
done
picture cube.stl 256
picture photo.png 512

# A corrupt STL: a one-line reason naming the file, exit non-zero, no output
# (not even a temporary file) left behind.
n=$((n + 1))
outdir=$tmp/out-$n
mkdir -p "$outdir"
out=$(run 128 broken.stl "$outdir")
status=$?
[ $status -ne 0 ] && pass || fail "broken.stl: exit 0"
# (In the sandbox, the directory also holds the mount points bwrap made.)
left=$(ls -A "$outdir" | grep -E '^(thumbnail|gnome-desktop-thumbnailer)\.png')
[ -z "$left" ] && pass || fail "broken.stl: left $left"
reason=$(cat "$tmp/err")
named=$in/broken.stl
[ "$sandbox" = --sandbox ] && named=/tmp/gnome-desktop-file-to-thumbnail.stl
case $reason in
  "limafs thumbnail: $named: "*) [ "$(wc -l < "$tmp/err")" -eq 1 ] && pass || fail "broken.stl: not one line: $reason" ;;
  *) fail "broken.stl: the reason does not name the file: $reason" ;;
esac

# The MIME types: with the installed package added to shared-mime-info's,
# *.gco is G-code, *.bgcode (and a file starting with GCDE) binary G-code,
# *.FCStd a FreeCAD document, and an OBJ as Meshlab writes it is an OBJ
# model, not a TGIF drawing.
if [ "$sandbox" != --sandbox ]; then
  if command -v update-mime-database >/dev/null 2>&1 && command -v gio >/dev/null 2>&1 &&
     [ -f /usr/share/mime/packages/freedesktop.org.xml ]; then
    mime=$tmp/share/mime
    mkdir -p "$mime/packages" "$tmp/types"
    cp /usr/share/mime/packages/freedesktop.org.xml "$mime/packages/"
    cp "$tmp/dest$prefix/share/mime/packages/limafs.xml" "$mime/packages/"
    if ! out=$(update-mime-database "$mime" 2>&1 >/dev/null); then fail "update-mime-database: $out"; fi
    printf 'GCDE\001\000\000\000' > "$tmp/types/part.bgcode"
    cp "$tmp/types/part.bgcode" "$tmp/types/part-without-extension"
    printf 'G28\n' > "$tmp/types/part.gco"
    printf 'PK\003\004' > "$tmp/types/part.FCStd"
    printf '####\n#\n# OBJ File Generated by Meshlab\n#\n####\nv 1 2 3\nv 2 3 4\nv 3 4 5\nf 1 2 3\n' > "$tmp/types/part.obj"
    for f in part.bgcode:application/x-bgcode part-without-extension:application/x-bgcode part.gco:text/x.gcode \
             part.FCStd:application/x-extension-fcstd part.obj:model/obj; do
      got=$(XDG_DATA_DIRS=$tmp/share XDG_DATA_HOME=$tmp/nowhere gio info -a standard::content-type \
            "$tmp/types/${f%%:*}" | sed -n 's/^ *standard::content-type: //p')
      [ "$got" = "${f#*:}" ] && pass || fail "${f%%:*} is ${f#*:}, not '$got'"
    done
  else
    fail "update-mime-database or gio not found (shared-mime-info, libglib2.0-bin)"
  fi
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
