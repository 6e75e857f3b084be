#!/bin/sh
# Site selection side by side with PuLP + CBC (benchmarks/peers/
# peer_pulp_select.py) on the same synthetic instances: bench_select
# generates and dumps each instance, times accessim's greedy + swap (median
# of 3) and, with --exact, GLPK; the peer solves the dump with CBC. Prints
# both and the ratio of CBC's solve time to accessim's greedy + swap, and
# whether the objectives agree.
#
#   benchmarks/run_select_peers.sh [BUILD] [--exact] [--time-limit S]
#
# Needs scripts/install-bench-deps.sh (python3-pulp, coinor-cbc). Sizes:
# instances both can solve (PuLP builds one Python object per pair).
set -eu
BUILD=build
EXACT=""
TLIM=120
while [ $# -gt 0 ]; do
    case "$1" in
        --exact) EXACT=--exact ;;
        --time-limit) TLIM="$2"; shift ;;
        *) BUILD="$1" ;;
    esac
    shift
done
BENCH="$BUILD/benchmarks/bench_select"
PEER="$(dirname "$0")/peers/peer_pulp_select.py"
[ -x "$BENCH" ] || { echo "$0: $BENCH not built" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
echo "machine: $(uname -n) $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ); commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown)"
# side cand exist radius p
for size in "100 200 10 8 5" "200 500 40 8 10" "300 1000 60 10 20"; do
    set -- $size
    echo "== $1 x $1 cells, $2 candidates, $3 existing, radius $4, p = $5"
    "$BENCH" --side "$1" --cand "$2" --exist "$3" --radius "$4" --p "$5" \
        $EXACT --time-limit "$TLIM" --dump "$TMP/inst.bin" > "$TMP/am.txt"
    /usr/bin/python3 "$PEER" "$TMP/inst.bin" --time-limit "$TLIM" > "$TMP/peer.txt"
    cat "$TMP/am.txt" "$TMP/peer.txt"
    for m in MCLP p-median; do
        pm=$(echo "$m" | tr -d '-' | tr 'A-Z' 'a-z')
        awk -v m="$m" -v pm="$pm" '
            FILENAME ~ /am.txt/ && $1 == m && $2 == "greedy+swap" {
                t = $4; for (k = 1; k <= NF; k++) if ($k == "objective") o = $(k + 1)
                sub(/,$/, "", o) }
            FILENAME ~ /peer.txt/ && $2 == pm {
                for (k = 1; k <= NF; k++) {
                    if ($k == "solve") s = $(k + 1)
                    if ($k == "objective") po = $(k + 1) }
                sub(/,$/, "", po) }
            END {
                rel = (po != 0) ? (o - po) / po : 0
                printf "%s: CBC solve %.3f s / accessim greedy+swap %.3f s = %.0fx; objectives %s vs %s (relative difference %.2e)\n",
                       m, s, t, (t > 0 ? s / t : 0), o, po, rel }' \
            "$TMP/am.txt" "$TMP/peer.txt"
    done
done
