#!/bin/sh
# run_cache.sh: the prepared-graph cache (accessim prepare) against reading
# the roads, on the Comoros demo, Andorra (tests/data/osm_andorra) and a
# synthetic region (accessim-genregion, default M).
#
# Usage: run_cache.sh [BUILD] [TRIALS] [PRESET|none]
#
# For each network: the time of `accessim prepare` (reading the roads and
# writing the cache), the cache's size, and TRIALS runs each way of the
# roads stage as the run's summary reports it: "roads" (read from the road
# layer, --no-cache) and "roads (prepared)" (the cache loaded: the roads
# file's SHA-256 for the key, the file read, its checksum and every value
# checked). Median and min, one JSON line per network.
set -eu
build=$(cd "${1:-build}" && pwd)
trials=${2:-3}
preset=${3:-M}
am=$build/accessim
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/am-bench-cache.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)

# phase_s LOG NAME: the seconds of phase NAME in a run's summary
phase_s() {
    sed -n 's/^  phases  *//p' "$1" | tr ',' '\n' |
        sed -n "s/^ *$2 \([0-9.]*\)s$/\1/p"
}
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%s %s", v[int((NR + 1) / 2)], v[1] }'; }

bench() { # NAME SCENARIO
    name=$1 scen=$2
    start=$(date +%s.%N)
    "$am" prepare "$scen" -q > "$work/prep.txt" # <stem>.amgraph beside it
    end=$(date +%s.%N)
    prep=$(echo "$end - $start" | bc)
    bytes=$(sed -n 's/.*arcs, \([0-9]*\) bytes.*/\1/p' "$work/prep.txt")
    : > "$work/build.txt"
    : > "$work/load.txt"
    i=0
    while [ $i -lt "$trials" ]; do
        "$am" run "$scen" -q --no-cache -o "$work/out.h5" > "$work/log"
        phase_s "$work/log" roads >> "$work/build.txt"
        "$am" run "$scen" -q -o "$work/out.h5" > "$work/log"
        phase_s "$work/log" 'roads (prepared)' >> "$work/load.txt"
        i=$((i + 1))
    done
    nodes=$(sed -n 's/.* \([0-9]*\) road vertices, \([0-9]*\) arcs.*/\1 \2/p' "$work/prep.txt")
    set -- $(stats < "$work/build.txt") $(stats < "$work/load.txt") $nodes
    printf '{"bench":"roads_cache","network":"%s","nodes":%s,"arcs":%s,"prepare_s":%.2f,"cache_bytes":%s,"build_median_s":%s,"build_min_s":%s,"load_median_s":%s,"load_min_s":%s,"trials":%s,"machine":"%s, %s CPUs","commit":"%s"}\n' \
        "$name" "$5" "$6" "$prep" "$bytes" "$1" "$2" "$3" "$4" "$trials" \
        "$(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n 1)" "$(nproc)" "$commit"
}

mkdir -p "$work/comoros"
cp "$root"/data/comoros/* "$work/comoros/"
bench comoros "$work/comoros/comoros.yaml"

andorra=$root/tests/data/osm_andorra/andorra.osm.pbf
if [ -f "$andorra" ]; then
    # a scenario around Andorra: an empty-but-one-cell population raster
    # over it and one facility (only the roads stage is compared)
    d=$work/andorra
    mkdir -p "$d"
    cp "$andorra" "$d/"
    gdal_create -q -of GTiff -outsize 60 40 -bands 1 -ot Float32 -burn 1 \
        -a_srs EPSG:4326 -a_ullr 1.40 42.66 1.79 42.42 "$d/pop.tif"
    printf '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"h"},"geometry":{"type":"Point","coordinates":[1.52,42.51]}}]}\n' > "$d/h.geojson"
    printf 'roads:\n  path: andorra.osm.pbf\n  profile: car\npopulation:\n  path: pop.tif\nfacilities:\n  - name: h\n    path: h.geojson\n' > "$d/andorra.yaml"
    bench andorra "$d/andorra.yaml"
fi

[ "$preset" = none ] && exit 0
"$build/accessim-genregion" --preset "$preset" --seed 1 --out "$work/region" --quiet
bench "region-$preset" "$work/region/region.yaml"
