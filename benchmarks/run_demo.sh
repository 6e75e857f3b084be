#!/bin/sh
# Times the Comoros demo end to end: a warm-up, then TRIALS runs per thread
# count; prints one JSON line per run and the median per thread count, with
# the machine and commit. Not part of ctest (timings on shared machines are
# noisy: compare within one invocation, report medians).
#
#   sh benchmarks/run_demo.sh [BUILD_DIR] [TRIALS] [THREADS...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
trials=${2:-5}
shift 2 2>/dev/null || shift $#
threads=${*:-1 2}
bin=$build/accessim
scenario=$root/data/comoros/comoros.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
cores=$(nproc)
echo "# machine: $cpu, $cores cores; commit $commit; $(date -u +%Y-%m-%dT%H:%MZ)"
"$bin" run "$scenario" -o "$tmp/warm.h5" -q > /dev/null
for t in $threads; do
    : > "$tmp/walls"
    i=0
    while [ "$i" -lt "$trials" ]; do
        /usr/bin/time -f '%e %M' -o "$tmp/time" \
            "$bin" run "$scenario" -o "$tmp/out.h5" -q --threads "$t" > "$tmp/sum"
        wall=$(cut -d' ' -f1 "$tmp/time")
        rss=$(cut -d' ' -f2 "$tmp/time")
        phases=$(sed -n 's/^  phases *//p' "$tmp/sum")
        echo "{\"bench\":\"comoros_demo\",\"threads\":$t,\"trial\":$i,\"wall_s\":$wall,\"peak_rss_kb\":$rss,\"phases\":\"$phases\",\"commit\":\"$commit\"}"
        echo "$wall" >> "$tmp/walls"
        i=$((i + 1))
    done
    med=$(sort -n "$tmp/walls" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
    min=$(sort -n "$tmp/walls" | head -1)
    echo "# threads=$t: median ${med}s, min ${min}s over $trials runs"
done
