#!/bin/sh
# bench_smoke (ctest): accessim-genregion's tiny preset is deterministic,
# the seed matters, and the engine runs on what it writes.
#
#   sh benchmarks/smoke_test.sh GENREGION ACCESSIM
#
# GeoPackages embed timestamps, so regions are compared by content: every
# feature with its attributes and geometry (ogrinfo -al), the raster's
# cells (raw Float32 through gdal_translate) and its georeferencing.
set -eu
gen=$1
engine=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "bench_smoke: FAIL: $*" >&2
    exit 1
}

digest() {
    d=$1
    gdalinfo -nomd "$d/population.tif" | grep -v -e '^Files:' -e "$d"
    gdal_translate -q -of ENVI "$d/population.tif" "$d/cells.bin"
    sha256sum < "$d/cells.bin"
    rm -f "$d/cells.bin" "$d/cells.hdr" "$d/cells.bin.aux.xml"
    for l in roads facilities; do
        ogrinfo -ro -so "$d/$l.gpkg" "$l" | grep 'Feature Count'
        ogrinfo -ro -al -q "$d/$l.gpkg" | sha256sum
    done
    cat "$d/region.yaml"
}

# Bad arguments: one error line naming what was wrong, exit 2, nothing
# written (a --preset without its value once generated the default region).
for args in "--preset XL" "--preset" "--width 0" "--seed -1"; do
    (cd "$tmp" && "$gen" $args --quiet > out.txt 2> err.txt) && rc=0 || rc=$?
    [ "$rc" = 2 ] || fail "genregion $args: exit $rc, expected 2"
    grep -q '^accessim-genregion: error: ' "$tmp/err.txt" ||
        fail "genregion $args: no error line"
    [ -z "$(ls "$tmp" | grep -v -e '^out.txt$' -e '^err.txt$')" ] ||
        fail "genregion $args: wrote $(ls "$tmp")"
done
rm -f "$tmp/out.txt" "$tmp/err.txt"

"$gen" --preset tiny --seed 7 --out "$tmp/a" --quiet
"$gen" --preset tiny --seed 7 --out "$tmp/b" --quiet
"$gen" --preset tiny --seed 8 --out "$tmp/c" --quiet
digest "$tmp/a" > "$tmp/a.txt"
digest "$tmp/b" > "$tmp/b.txt"
digest "$tmp/c" > "$tmp/c.txt"
cmp -s "$tmp/a.txt" "$tmp/b.txt" ||
    { diff "$tmp/a.txt" "$tmp/b.txt" >&2; fail "same seed, different content"; }
n=$(grep -c 'Feature Count: [1-9]' "$tmp/a.txt")
[ "$n" -eq 2 ] || fail "a layer is empty"
# Seeds 7 and 8 must differ in every file's content.
for h in $(grep -- '-$' "$tmp/a.txt" | cut -d' ' -f1); do
    grep -q "$h" "$tmp/c.txt" && fail "seed 8 repeats a content digest of seed 7"
done

# The engine accepts the scenario as written and finds people served.
"$engine" run "$tmp/a/region.yaml" -o "$tmp/a/out.h5" --threads 2 --quiet \
    > "$tmp/summary.txt" || fail "accessim run exited $?"
cat "$tmp/summary.txt"
awk '
/^ *roads / {
    for (i = 1; i <= NF; i++) {
        if ($(i + 1) ~ /^vertices/) nodes = $i
        if ($(i + 1) ~ /^arcs/) arcs = $i
    }
}
/^ *within +60 min/ { pct = $(NF - 1) }
END {
    gsub(",", "", nodes); gsub(",", "", arcs)
    if (nodes + 0 < 1000) { print "too few road vertices: " nodes; exit 1 }
    r = arcs / nodes
    if (r < 2.4 || r > 2.9) { print "arcs per road vertex " r " not in 2.4-2.9"; exit 1 }
    if (pct + 0 <= 0) { print "coverage at 60 min is " pct; exit 1 }
    printf "bench_smoke: %d vertices, %.2f arcs per vertex, %s %% within 60 min\n", nodes, r, pct
}' "$tmp/summary.txt" || fail "summary check"
echo "bench_smoke: OK"
