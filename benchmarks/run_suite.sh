#!/bin/sh
# The benchmark suite in one command: for each synthetic region size, the
# whole pipeline (benchmarks/run_regions.sh: accessim run with 1 and 2
# threads), accessim's kernels on the region's graph (accessim-bench-kernels
# run, 1 and 2 threads) and the peers on the same graph and the same
# single-source bounded searches (benchmarks/peers/: SciPy, networkx,
# igraph, pgRouting; each checks its reached counts against accessim's).
# Prints JSON lines as it goes, then markdown tables with the ratios
# (accessim's settled nodes per second per core against each peer's), the
# machine, date and commit. Not part of ctest.
#
#   sh benchmarks/run_suite.sh [--quick] CACHE_DIR [SIZE...]   (default: S M)
#
# --quick: a smoke run for development (sizes tiny, PEER_BUDGET_S 5,
# TRIALS 2, PIPELINE_TRIALS 1).
# Environment:
#   SIZES          sizes when none are given (tiny, S, M, L)
#   BUILD          build folder (default build)
#   THREADS        accessim's thread counts (default "1 2")
#   TRIALS         trials of accessim's kernels (default 5)
#   PIPELINE_TRIALS  accessim runs per size and thread count (default 3;
#                  median and min reported, run_regions.sh)
#   BENCH_KERNELS_ARGS  more arguments of accessim-bench-kernels run (as
#                  --reorder both)
#   SEED           region seed (default 1); FACILITIES as run_regions.sh
#   SOURCES        sources of the export (default: accessim-bench-kernels')
#   LIMIT_MIN      search limit in minutes (default: accessim-bench-kernels')
#   PEERS          peers to run (default "scipy networkx igraph pgrouting")
#   PEER_BUDGET_S  search time each peer may spend per size (default 120 s):
#                  a peer runs the sources in order until it is spent, and
#                  the output says how many it ran
#   PEER_TRIALS    trials of each peer over those sources (default 1)
#   PEER_TIMEOUT_S hard limit of a peer's whole run, load and setup
#                  included (default 3 x budget x trials + 300 s)
#   PIPELINE       0 to skip run_regions.sh (default 1)
#   NO_INSTALL     1: never install missing peers (default: install them
#                  with scripts/install-bench-deps.sh when run as root)
# Regions are cached in CACHE_DIR as run_regions.sh caches them, exports in
# CACHE_DIR/SIZE-SEED/suite-export (redone when the tool, the region or the
# arguments change). Exit status 1 when a step failed or a peer disagreed
# with accessim's counts, after everything has been reported.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then
    quick=1
    shift
fi
[ $# -ge 1 ] || { echo "usage: $0 [--quick] CACHE_DIR [tiny|S|M|L ...]" >&2; exit 2; }
cache=$1
shift
if [ $quick -eq 1 ]; then
    sizes=${*:-${SIZES:-tiny}}
    budget=${PEER_BUDGET_S:-5}
    trials=${TRIALS:-2}
    pipeline_trials=${PIPELINE_TRIALS:-1}
else
    sizes=${*:-${SIZES:-S M}}
    budget=${PEER_BUDGET_S:-120}
    trials=${TRIALS:-5}
    pipeline_trials=${PIPELINE_TRIALS:-3}
fi
for s in $sizes; do
    case $s in tiny | S | M | L) ;; *) echo "$0: unknown size $s (tiny, S, M, L)" >&2; exit 2 ;; esac
done
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
threads=${THREADS:-1 2}
seed=${SEED:-1}
peers=${PEERS:-scipy networkx igraph pgrouting}
for p in $peers; do
    case $p in scipy | networkx | igraph | pgrouting) ;; *) echo "$0: unknown peer $p in PEERS (scipy, networkx, igraph, pgrouting)" >&2; exit 2 ;; esac
done
peer_trials=${PEER_TRIALS:-1}
peer_timeout=${PEER_TIMEOUT_S:-$(awk -v b="$budget" -v t="$peer_trials" 'BEGIN { printf "%d", 3 * b * t + 300 }')}
PY=/usr/bin/python3
bk=$build/accessim-bench-kernels
fail=0

for b in "$build/accessim" "$build/accessim-genregion"; do
    [ -x "$b" ] || { echo "$0: $b not built" >&2; exit 1; }
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Ctrl-C or SIGTERM: a peer runs in the background (below) and is stopped
# with SIGTERM, which timeout passes on and on which the peer cleans up (the
# pgRouting peer stops and removes its cluster); then the suite stops.
peer_pid=""
# shellcheck disable=SC2317 # (a trap handler)
on_signal() {
    if [ -n "$peer_pid" ]; then
        kill -TERM "$peer_pid" 2> /dev/null || true
        wait "$peer_pid" 2> /dev/null || true
    fi
    echo "$0: interrupted" >&2
    exit 130
}
trap on_signal INT TERM HUP
: > "$tmp/all.jsonl"
: > "$tmp/notes"
note() {
    echo "# $*"
    echo "- $*" >> "$tmp/notes"
}
emit() { # JSON lines from stdin: printed and kept for the tables
    grep '^{' | tee -a "$tmp/all.jsonl" || true
}

# --- peers' dependencies ----------------------------------------------------
peer_ok() {
    case $1 in
    scipy) [ -x $PY ] && $PY -c 'import scipy.sparse.csgraph' 2>/dev/null ;;
    networkx) [ -x $PY ] && $PY -c 'import networkx' 2>/dev/null ;;
    igraph) [ -x $PY ] && $PY -c 'import igraph' 2>/dev/null ;;
    pgrouting)
        [ -x $PY ] && $PY -c 'import numpy' 2>/dev/null &&
            ls /usr/share/postgresql/*/extension/pgrouting.control > /dev/null 2>&1 &&
            ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 ;;
    *) return 1 ;;
    esac
}
missing=""
for p in $peers; do
    peer_ok "$p" || missing="$missing $p"
done
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ] && [ "$(id -u)" -eq 0 ] && [ "${NO_INSTALL:-0}" != 1 ]; then
    echo "# installing the benchmark dependencies (missing:$missing): sh scripts/install-bench-deps.sh"
    sh "$root/scripts/install-bench-deps.sh" >&2 || echo "# install-bench-deps.sh failed" >&2
fi
run_peers=""
for p in $peers; do
    if peer_ok "$p"; then
        run_peers="$run_peers $p"
    else
        note "peer $p skipped: not installed (as root: sh scripts/install-bench-deps.sh)"
    fi
done
[ -x /usr/bin/time ] || { echo "$0: /usr/bin/time missing: sh scripts/install-bench-deps.sh" >&2; exit 1; }

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
date=$(date -u +%Y-%m-%dT%H:%MZ)
machine="$cpu, $cores cores, $mem; commit $commit; $date"
echo "# machine: $machine"
echo "# sizes: $sizes; accessim threads: $threads, trials $trials (pipeline $pipeline_trials); peers:${run_peers:- none}, budget $budget s of searches each per size, trials $peer_trials"

rss_of() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
with_rss() { # appends "peak_rss_kb" of the run to each JSON line
    sed "s/}\$/,\"peak_rss_kb\":$1}/"
}

[ -x "$bk" ] || note "$bk not built (benchmarks/bench_kernels.c): kernels and peers skipped, pipeline only"

for size in $sizes; do
    region=$cache/$size-$seed${FACILITIES:+-f$FACILITIES}
    # --- the whole pipeline (generates the region when not cached) ---------
    if [ "${PIPELINE:-1}" != 0 ]; then
        if BUILD=$build THREADS=$threads SEED=$seed PIPELINE_TRIALS=$pipeline_trials \
            sh "$root/benchmarks/run_regions.sh" \
            "$cache" "$size" > "$tmp/regions.txt" 2> "$tmp/regions.err"; then
            emit < "$tmp/regions.txt"
            grep -q '"exit":' "$tmp/regions.txt" && fail=1
        else
            emit < "$tmp/regions.txt"
            note "run_regions.sh $size failed: $(tail -1 "$tmp/regions.err")"
            fail=1
        fi
    fi
    [ -x "$bk" ] || continue
    if [ ! -f "$region/region.yaml" ]; then # PIPELINE=0 and not cached yet:
        # run_regions.sh generates it (THREADS=" ": no runs)
        BUILD=$build THREADS=" " SEED=$seed sh "$root/benchmarks/run_regions.sh" "$cache" "$size" |
            emit
    fi
    # --- export of the region's graph, sources and reached counts ----------
    exp=$region/suite-export
    stamp="$(sha256sum < "$bk" | cut -c1-16) $(cat "$region/.stamp" 2>/dev/null) sources=${SOURCES:-} limit=${LIMIT_MIN:-}"
    if [ ! -f "$exp/reached.csv" ] || [ "$(cat "$exp/.stamp" 2>/dev/null)" != "$stamp" ]; then
        rm -rf "$exp"
        set -- export "$region/region.yaml" "$exp"
        [ -z "${SOURCES:-}" ] || set -- "$@" --sources "$SOURCES"
        [ -z "${LIMIT_MIN:-}" ] || set -- "$@" --limit-min "$LIMIT_MIN"
        if ! /usr/bin/time -v -o "$tmp/time" "$bk" "$@" > "$tmp/export.txt" 2> "$tmp/export.err"; then
            note "export of $size failed: $(grep -m1 . "$tmp/export.err")"
            fail=1
            continue
        fi
        echo "$stamp" > "$exp/.stamp"
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0
            for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tmp/time")
        echo "{\"bench\":\"export\",\"size\":\"$size\",\"dir\":\"$exp\",\"wall_s\":$wall,\"peak_rss_kb\":$(rss_of "$tmp/time"),\"commit\":\"$commit\"}" | emit
    fi
    # --- accessim's kernels ---------------------------------------------------
    # Highest thread count first: a run with --threads T may also measure 1
    # thread (accessim-bench-kernels does), and counts already measured are
    # not run again.
    covered=" "
    for t in $(echo "$threads" | tr -s ' ' '\n' | sort -rn); do
        case $covered in *" $t "*) continue ;; esac
        # shellcheck disable=SC2086
        if ACCESSIM_COMMIT=$commit /usr/bin/time -v -o "$tmp/time" "$bk" run "$exp" \
            --threads "$t" --trials "$trials" ${BENCH_KERNELS_ARGS:-} \
            > "$tmp/kern.txt" 2> "$tmp/kern.err"; then
            with_rss "$(rss_of "$tmp/time")" < "$tmp/kern.txt" | emit
            covered="$covered$(grep '^{' "$tmp/kern.txt" |
                sed -n 's/.*"threads": *\([0-9]*\).*/\1/p' | sort -u | tr '\n' ' ')"
        else
            grep '^{' "$tmp/kern.txt" | emit
            note "accessim-bench-kernels run $size --threads $t failed (exit status 1 is a reached count that disagrees with the export): $(grep -m1 . "$tmp/kern.err")"
            fail=1
        fi
    done
    # --- the peers, on the same export ----------------------------------------
    for p in $run_peers; do
        status=0
        timeout -k 30 "$peer_timeout" $PY "$root/benchmarks/peers/peer_$p.py" "$exp" \
            --budget "$budget" --trials "$peer_trials" > "$tmp/peer.txt" 2> "$tmp/peer.err" &
        peer_pid=$!
        wait "$peer_pid" || status=$?
        peer_pid=""
        sed "s/^/# $p: /" "$tmp/peer.err"
        emit < "$tmp/peer.txt"
        case $status in
        0) ;;
        1) note "$p DISAGREES with accessim's reached counts on $size (see its line)"; fail=1 ;;
        124 | 137) note "$p on $size stopped after PEER_TIMEOUT_S=$peer_timeout s (load, setup and searches)"; fail=1 ;;
        *) note "$p on $size failed (exit $status): $(grep -m1 'error' "$tmp/peer.err" || tail -1 "$tmp/peer.err")"; fail=1 ;;
        esac
    done
done

echo
echo "## Benchmark suite"
echo
echo "Machine: $machine."
echo
echo "accessim: $trials trials of all the export's searches per kernel (median, min)."
echo "Peers: one process each, on one core; each ran the sources in order until"
echo "$budget s of searches were spent, and checked its reached counts against"
echo "accessim's. \"M settled/s/core\": millions of nodes within the limit per second"
echo "of search time (loading and set-up not counted: load_s and setup_s in the JSON"
echo "lines), divided by the threads. Peak RSS: the process's (for pgRouting the"
echo "Python client's, not the server's)."
$PY "$root/benchmarks/peers/table.py" "$tmp/all.jsonl"
if [ -s "$tmp/notes" ]; then
    echo
    echo "Notes:"
    echo
    cat "$tmp/notes"
fi
exit $fail
