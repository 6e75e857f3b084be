#!/bin/sh
# Runs accessim on synthetic regions (accessim-genregion presets) with 1 and
# 2 threads (or THREADS), PIPELINE_TRIALS times each (default 3), and
# reports per thread count the median and min wall time, the median user
# and system CPU seconds and the peak RSS from /usr/bin/time -v, the load
# average (/proc/loadavg, 1 min) before and after each run, and the
# per-phase times and peak RSS from the summary of the median run: one
# JSON line per thread count, then a markdown table with the machine, date
# and commit. Regions are generated once into CACHE_DIR and reused
# while the generator binary and its arguments are unchanged. Not part of
# ctest (timings on shared machines are noisy: compare within one
# invocation).
#
#   sh benchmarks/run_regions.sh CACHE_DIR [SIZE...]      (default: S M)
#   environment: BUILD (default build), THREADS (default "1 2"), SEED (1),
#   FACILITIES (default: the preset's count), PIPELINE_TRIALS (runs per
#   thread count, default 3; run_suite.sh --quick: 1)
# A run that fails is reported with its exit status and the table goes on.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 CACHE_DIR [tiny|S|M|L ...]" >&2; exit 2; }
cache=$1
shift
sizes=${*:-S M}
build=${BUILD:-$root/build}
threads=${THREADS:-1 2}
seed=${SEED:-1}
trials=${PIPELINE_TRIALS:-3}
case $trials in '' | *[!0-9]* | 0) echo "$0: PIPELINE_TRIALS must be 1 or more" >&2; exit 2 ;; esac
fac_arg=${FACILITIES:+--facilities $FACILITIES}
gen=$build/accessim-genregion
bin=$build/accessim
for b in "$gen" "$bin"; do
    [ -x "$b" ] || { echo "$0: $b not built" >&2; exit 1; }
done
[ -x /usr/bin/time ] ||
    { echo "$0: /usr/bin/time missing: run sh scripts/install-deps.sh" >&2; exit 1; }
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
date=$(date -u +%Y-%m-%dT%H:%MZ)
echo "# machine: $cpu, $cores cores, $mem; commit $commit; $date"

# wall_s, max_rss_kb, user and system CPU s from a /usr/bin/time -v report.
timev() {
    awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
    /Maximum resident set size/ { rss = $2 }
    /User time \(seconds\)/ { usr = $2 }
    /System time \(seconds\)/ { sys = $2 }
    END { printf "%s %s %s %s\n", wall, rss, usr, sys }' "$1"
}

# The 1-minute load average.
load1() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo null; }

# Median (the lower middle for an even count) and min of numbers on stdin.
med_min() { sort -g | awk '{ v[NR] = $1 } END { printf "%s %s\n", v[int((NR + 1) / 2)], v[1] }'; }

# Numbers on stdin as a JSON array.
json_list() { paste -sd, - | sed 's/^/[/; s/$/]/'; }

# "k1 v1s, k2 v2s" after a summary label, as a JSON object.
json_phases() {
    sed -n "s/^  $1 *//p" "$2" | sed 's/peak RSS after each phase (MiB): //' |
        awk -F', ' '{ printf "{"; for (i = 1; i <= NF; i++) {
            split($i, kv, " "); v = kv[2]; sub(/s$/, "", v)
            printf "%s\"%s\":%s", (i > 1 ? "," : ""), kv[1], v }
            printf "}" }'
}

# The summary's number after `word` on the line matching `pattern`.
num_before() {
    sed -n "/$1/p" "$3" | head -1 | tr -d ',' |
        awk -v w="$2" '{ for (i = 2; i <= NF; i++) if ($i == w) { print $(i - 1); exit } }'
}

: > "$tmp/rows"
for size in $sizes; do
    dir=$cache/$size-$seed${FACILITIES:+-f$FACILITIES}
    stamp="$(sha256sum < "$gen" | cut -c1-16) --preset $size --seed $seed $fac_arg"
    if [ ! -f "$dir/region.yaml" ] || [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
        # shellcheck disable=SC2086
        /usr/bin/time -v -o "$tmp/gtime" "$gen" --preset "$size" --seed "$seed" \
            $fac_arg --out "$dir" > "$tmp/gen.txt"
        set -- $(timev "$tmp/gtime")
        echo "$stamp" > "$dir/.stamp"
        cp "$tmp/gen.txt" "$dir/.genregion.txt"
        echo "{\"bench\":\"genregion\",\"size\":\"$size\",\"seed\":$seed,\"wall_s\":$1,\"peak_rss_kb\":$2,\"commit\":\"$commit\"}"
    fi
    for t in $threads; do
        status=0
        : > "$tmp/trials"
        k=0
        while [ "$k" -lt "$trials" ]; do
            k=$((k + 1))
            before=$(load1)
            st=0
            /usr/bin/time -v -o "$tmp/time.$k" "$bin" run "$dir/region.yaml" \
                -o "$tmp/out.h5" --threads "$t" --quiet > "$tmp/sum.$k" 2> "$tmp/err" ||
                st=$?
            after=$(load1)
            rm -f "$tmp/out.h5"
            if [ "$st" -ne 0 ]; then
                status=$st
                cp "$tmp/time.$k" "$tmp/time"
                break
            fi
            # trial wall rss user sys load_before load_after
            echo "$k $(timev "$tmp/time.$k") $before $after" >> "$tmp/trials"
        done
        if [ "$status" -ne 0 ]; then
            # shellcheck disable=SC2046 # (fields wanted)
            set -- $(timev "$tmp/time")
            wall=$1
            rss=$2
            msg=$(grep -m1 'error:' "$tmp/err" | sed 's/"/'"'"'/g')
            echo "{\"bench\":\"region\",\"size\":\"$size\",\"seed\":$seed,\"threads\":$t,\"exit\":$status,\"error\":\"$msg\",\"wall_s\":$wall,\"peak_rss_kb\":$rss,\"commit\":\"$commit\"}"
            echo "| $size | $t | failed (exit $status) | | | | $wall | | | | $(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }') | | |" >> "$tmp/rows"
            continue
        fi
        # shellcheck disable=SC2046 # (fields wanted)
        set -- $(awk '{ print $2 }' "$tmp/trials" | med_min)
        wall=$1
        wall_min=$2
        # the summary of the median run (its phases)
        mk=$(awk -v w="$wall" '$2 == w { print $1; exit }' "$tmp/trials")
        cp "$tmp/sum.$mk" "$tmp/sum"
        rss=$(awk '{ print $3 }' "$tmp/trials" | sort -g | tail -1)
        usr=$(awk '{ print $4 }' "$tmp/trials" | med_min | cut -d' ' -f1)
        sys=$(awk '{ print $5 }' "$tmp/trials" | med_min | cut -d' ' -f1)
        walls=$(awk '{ print $2 }' "$tmp/trials" | json_list)
        loads_b=$(awk '{ print $6 }' "$tmp/trials" | json_list)
        loads_a=$(awk '{ print $7 }' "$tmp/trials" | json_list)
        nodes=$(num_before ' graph ' nodes "$tmp/sum")
        arcs=$(num_before ' graph ' arcs "$tmp/sum")
        cells=$(num_before '^  population' cells "$tmp/sum")
        fac=$(num_before "^  facilities" used "$tmp/sum")
        ratio=$(awk -v a="$arcs" -v n="$nodes" 'BEGIN { printf "%.2f", a / n }')
        phases=$(json_phases phases "$tmp/sum")
        prss=$(json_phases memory "$tmp/sum")
        echo "{\"bench\":\"region\",\"size\":\"$size\",\"seed\":$seed,\"threads\":$t,\"trials\":$trials,\"nodes\":$nodes,\"arcs\":$arcs,\"arcs_per_node\":$ratio,\"populated_cells\":$cells,\"facilities\":$fac,\"wall_s\":$wall,\"wall_min_s\":$wall_min,\"walls_s\":$walls,\"cpu_user_s\":$usr,\"cpu_sys_s\":$sys,\"load_before\":$loads_b,\"load_after\":$loads_a,\"peak_rss_kb\":$rss,\"phases_s\":$phases,\"phase_peak_rss_mib\":$prss,\"commit\":\"$commit\"}"
        catch=$(echo "$phases" | sed -n 's/.*"catchments":\([0-9.]*\).*/\1/p')
        write=$(echo "$phases" | sed -n 's/.*"write":\([0-9.]*\).*/\1/p')
        loads=$(awk '{ printf "%s%s→%s", (NR > 1 ? ", " : ""), $6, $7 }' "$tmp/trials")
        echo "| $size | $t | $nodes | $ratio | $cells | $fac | $wall | $wall_min | $usr + $sys | $loads | $(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }') | $catch | $write |" >> "$tmp/rows"
    done
done
echo
echo "Machine: $cpu, $cores cores, $mem; commit $commit; $date"
echo
echo "$trials run(s) per thread count: wall s median and min; CPU s user + system, medians;"
echo "load average (1 min) before→after each run; phases of the median run."
echo
echo "| size | threads | graph nodes | arcs/node | populated cells | facilities | wall s median | wall s min | CPU s user + sys | load before→after | peak RSS MiB | catchments s | write s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
cat "$tmp/rows"
