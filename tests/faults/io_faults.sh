#!/bin/bash
# io_faults.sh: I/O fault injection on every output the CLI writes (issue 13).
#
# usage: io_faults.sh ACCESSIM SHIM.so DEMO_DIR BHO_5HEX_DIR MODE
#   MODE calls:  each write/fsync/close/rename of the outputs fails in turn
#                (tests/faults/io_shim.c), for run (with equity.csv), run
#                with a site selection, prepare, a matrix run and compare
#   MODE enospc: the outputs on a tmpfs left with too little free space
#                (exit 77, the ctest SKIP_RETURN_CODE, where mounting is not
#                permitted)
#   MODE kill:   kill -9 at seeded random points of runs (AM_FAULT_SEED,
#                default 13), then a rerun
# AM_FAULT_CASES (e.g. "run compare") limits the cases: run, selection,
# prepare, matrix, compare. Each mode runs the CLI 20 to 60 times (one run
# takes 1-6 s on 2 cores; measured on a 2-core machine shared at load 25-30:
# calls 460 s, enospc 571 s, kill over 900 s).
#
# What a failed call must give (docs/outputs.md, "When writing fails"): a
# non-zero exit that is not a signal, one "accessim: error:" line naming an
# output and the failing operation, nothing at the final names (or the
# older outputs there, byte for byte), no temporary left. A failure after
# the last rename (the temporary's lock released) must not matter: exit 0
# and outputs equal to an undisturbed run's. Oracles: the undisturbed run's
# outputs (h5diff on datasets and attributes, created_utc aside; cmp for
# the CSV and graph files), not stored expectations.
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
AM=$(abs "$1")
SHIM=$(abs "$2")
DEMO=$(abs "$3")
BHO=$(abs "$4")
MODE=$5
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/am_io_faults.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
FAILS=0
fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}
command -v h5diff > /dev/null || { echo "SKIP: no h5diff (hdf5-tools)"; exit 77; }

# --- the work folder: inputs in $W, outputs in $W/out -----------------------
W=$ROOT/w
mkdir -p "$W/out" "$W/cache" "$W/ref" "$W/old"
cp "$DEMO"/* "$W"/
cp "$BHO"/*.csv "$W"/
cd "$W" || exit 1
# run: the demo with equity.csv beside the HDF5 output, from a prepared graph
sed -e 's|^roads:|roads:\n  cache: cache/run.amgraph|' \
    -e 's|^output:.*|output: out/r.h5|' comoros.yaml > run.yaml
printf 'equity: {percentiles: [50], csv: out/equity.csv}\n' >> run.yaml
# selection: one site, no sweep (seconds)
sed -e 's|^roads:|roads:\n  cache: cache/sel.amgraph|' \
    -e 's|^output:.*|output: out/s.h5|' -e 's|spacing_m: 2000|spacing_m: 5000|' \
    -e 's|^  p: 3|  p: 1|' -e 's|^  sweep: true|  sweep: false|' \
    comoros_sites.yaml > sel.yaml
cat > matrix.yaml << 'EOF'
name: bho5
matrix: {path: travel_matrix_5hex.csv}
demand: {path: land_use_5hex.csv, field: population}
supply: {path: land_use_5hex.csv, field: jobs}
measures:
  - {name: a30, type: 2sfca, threshold_min: 30}
output: out/m.csv
EOF
head -1 land_use_5hex.csv | grep -q population || {
    echo "SKIP: tests/data/bho_5hex has no population column"
    exit 77
}
"$AM" prepare run.yaml -q > /dev/null 2>&1 &&
    "$AM" prepare sel.yaml -q > /dev/null 2>&1 &&
    "$AM" run run.yaml -q -t 2 -o "$W/a.h5" > /dev/null 2>&1 &&
    "$AM" run sel.yaml -q -t 2 -o "$W/b.h5" > /dev/null 2>&1 ||
    { echo "FAIL: setting up (prepare / base runs)"; exit 1; }

# Each case: name | outputs (space-separated, under out/) | command
CASES="run|r.h5 equity.csv|run run.yaml -q -t 2
selection|s.h5|run sel.yaml -q -t 2
prepare|g.amgraph|prepare run.yaml -q -t 2 -o $W/out/g.amgraph
matrix|m.csv|run matrix.yaml -q
compare|d.h5 d.csv|compare $W/a.h5 $W/b.h5 -o $W/out/d.h5 --csv $W/out/d.csv -t 2"

# AM_FAULT_CASES="run compare": only those cases (all by default)
if [ -n "${AM_FAULT_CASES:-}" ]; then
    CASES=$(echo "$CASES" | while IFS= read -r l; do
        case " $AM_FAULT_CASES " in *" ${l%%|*} "*) echo "$l" ;; esac
    done)
fi

same() { # same FILE REF: equal outputs (HDF5: as h5diff, created_utc aside)
    case $1 in
    *.h5)
        h5diff "$1" "$2" > "$ROOT/diff" 2>&1
        [ $? -le 1 ] || return 1
        ! grep -v -e '^attribute: <created_utc of </>>' -e 'differences found$' \
            -e '^$' "$ROOT/diff" | grep -q .
        ;;
    *) cmp -s "$1" "$2" ;;
    esac
}
clean_out() { rm -rf "$W/out" && mkdir "$W/out"; }
seed_old() { # an older output at every final name, to be kept
    for o in $1; do
        printf 'older output %s\n' "$o" > "$W/old/$o"
        cp "$W/old/$o" "$W/out/$o"
    done
}
leftovers() { ls -A "$W/out" | grep -e '\.tmp-' -e '\.old-' ; }
# check_failed CASE OUTS SEEDED RC STDERR WHAT: the checks after a failure
check_failed() {
    local c=$1 outs=$2 seeded=$3 rc=$4 errf=$5 what=$6 o named=0
    [ "$rc" -ne 0 ] || fail "$c: $what: exit 0"
    [ "$rc" -lt 128 ] || fail "$c: $what: killed by a signal (exit $rc)"
    [ "$(grep -c '^accessim: error:' "$errf")" -eq 1 ] ||
        fail "$c: $what: not one error line: $(cat "$errf")"
    for o in $outs; do
        grep '^accessim: error:' "$errf" | grep -q "out/$o" && named=1
        if [ "$seeded" = 1 ]; then
            cmp -s "$W/out/$o" "$W/old/$o" || fail "$c: $what: older $o not kept"
        elif [ -e "$W/out/$o" ]; then
            fail "$c: $what: $o left at its final name"
        fi
    done
    [ $named = 1 ] || fail "$c: $what: the message names no output: $(cat "$errf")"
    [ -z "$(leftovers)" ] || fail "$c: $what: left behind: $(leftovers)"
}
op_words() { # the words a message about a failed call must use
    case $1 in
    write | pwrite | writev | pwritev) echo 'writ' ;;
    fsync | fdatasync) echo 'sync' ;;
    close) echo 'clos' ;;
    rename*) echo 'renam' ;;
    ftruncate) echo 'truncat\|writ' ;;
    *) echo 'allocat\|writ' ;;
    esac
}

mode_calls() {
    local line c outs cmd n last i call rc errno seeded first
    local ERRNOS="EIO ENOSPC EDQUOT"
    while IFS= read -r line; do
        c=${line%%|*}
        outs=${line#*|}
        outs=${outs%%|*}
        cmd=${line##*|}
        # the undisturbed run: the reference outputs and the calls' count;
        # a backup left by a killed commit (its pid gone) is removed, one of
        # a live process (pid 1) kept
        clean_out
        first=${outs%% *}
        echo old > "$W/out/.$first.old-2147483647"
        echo old > "$W/out/.$first.old-1"
        rm -f "$ROOT/log"
        LD_PRELOAD=$SHIM IOSHIM_PREFIX=$W/out IOSHIM_LOG=$ROOT/log \
            $AM $cmd > /dev/null 2> "$ROOT/err"
        rc=$?
        [ $rc -eq 0 ] || { fail "$c: undisturbed run: exit $rc: $(cat "$ROOT/err")"; continue; }
        for o in $outs; do cp "$W/out/$o" "$W/ref/$o"; done
        [ ! -e "$W/out/.$first.old-2147483647" ] || fail "$c: stale backup kept"
        [ -e "$W/out/.$first.old-1" ] || fail "$c: a live process's backup removed"
        [ -s "$ROOT/log" ] || { fail "$c: the shim saw no call on the outputs (not preloaded? symbols hidden?)"; continue; }
        n=$(wc -l < "$ROOT/log")
        last=$(awk '$2 ~ /^rename/ {k = $1} END {print k + 0}' "$ROOT/log")
        echo "$c: $n calls on the outputs ($(awk '{print $2}' "$ROOT/log" |
            sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')last rename #$last)"
        cp "$ROOT/log" "$ROOT/log.$c"
        # a sample of long runs of one call on one file (the graph file's
        # 16 writes): the first two and the last; every other call
        for i in $(awk '{k[NR] = $2 " " $3} END {for (i = 1; i <= NR; i++)
                if (i < 3 || k[i] != k[i - 1] || k[i - 1] != k[i - 2] ||
                    k[i] != k[i + 1]) print i}' "$ROOT/log.$c"); do
            call=$(awk -v i="$i" '$1 == i {print $2}' "$ROOT/log.$c")
            errno=$(echo $ERRNOS | cut -d' ' -f$((i % 3 + 1)))
            seeded=$((i % 2))
            clean_out
            [ $seeded = 1 ] && seed_old "$outs"
            LD_PRELOAD=$SHIM IOSHIM_PREFIX=$W/out IOSHIM_FAIL_AT=$i \
                IOSHIM_ERRNO=$errno $AM $cmd > /dev/null 2> "$ROOT/err"
            rc=$?
            if [ "$i" -gt "$last" ]; then # after the commit: harmless
                [ $rc -eq 0 ] || fail "$c: #$i $call after the rename: exit $rc"
                for o in $outs; do
                    same "$W/out/$o" "$W/ref/$o" ||
                        fail "$c: #$i $call after the rename: $o differs"
                done
                continue
            fi
            check_failed "$c" "$outs" $seeded $rc "$ROOT/err" "#$i $call ($errno)"
            grep '^accessim: error:' "$ROOT/err" | grep -qi -e "$(op_words "$call")" ||
                fail "$c: #$i $call: the message does not say $call: $(cat "$ROOT/err")"
        done
        # every call failing from the first: the first one stops the run
        clean_out
        seed_old "$outs"
        LD_PRELOAD=$SHIM IOSHIM_PREFIX=$W/out IOSHIM_FAIL_AT=1 IOSHIM_FAIL_ALL=1 \
            $AM $cmd > /dev/null 2> "$ROOT/err"
        check_failed "$c" "$outs" 1 $? "$ROOT/err" "every call failing"
    done << EOF
$CASES
EOF
}

mode_enospc() {
    local line c outs cmd rc total free size frac seeded=0
    if ! mount -t tmpfs -o size=64k none "$W/out" 2> /dev/null; then
        echo "SKIP: mounting a tmpfs is not permitted here (needs root or" \
            "CAP_SYS_ADMIN)"
        exit 77
    fi
    umount "$W/out"
    while IFS= read -r line; do
        c=${line%%|*}
        outs=${line#*|}
        outs=${outs%%|*}
        cmd=${line##*|}
        clean_out
        $AM $cmd > /dev/null 2>&1 || { fail "$c: undisturbed run failed"; continue; }
        total=$(cat $(for o in $outs; do echo "$W/out/$o"; done) | wc -c)
        # a tmpfs filled but for none, half or 95 % of the outputs' size
        # (in pages), older outputs there every other time
        for frac in 0 50 95; do
            free=$((total * frac / 100 / 4096 * 4096))
            size=$(((total + 65536) / 4096 * 4096))
            rm -rf "$W/out" && mkdir "$W/out"
            mount -t tmpfs -o size=$size none "$W/out" || { fail "mount"; return; }
            seeded=$((1 - seeded))
            [ $seeded = 1 ] && seed_old "$outs"
            head -c $((size - free - seeded * 4096 * $(echo $outs | wc -w))) \
                /dev/zero > "$W/out/.filler" 2> /dev/null
            $AM $cmd > /dev/null 2> "$ROOT/err"
            rc=$?
            rm -f "$W/out/.filler"
            if [ $rc -eq 0 ]; then
                fail "$c: $free bytes free for $total: exit 0"
            else
                check_failed "$c" "$outs" $seeded $rc "$ROOT/err" \
                    "$free bytes free for $total"
                grep '^accessim: error:' "$ROOT/err" | grep -q 'No space left' ||
                    fail "$c: $free bytes free: no 'No space left': $(cat "$ROOT/err")"
            fi
            umount "$W/out"
        done
        echo "$c: full tmpfs with 0, 50 and 95 % of the $total bytes free checked"
    done << EOF
$CASES
EOF
}

mode_kill() {
    local line c outs cmd pid t k seed=${AM_FAULT_SEED:-13}
    RANDOM=$seed
    echo "seed $seed (AM_FAULT_SEED)"
    while IFS= read -r line; do
        c=${line%%|*}
        outs=${line#*|}
        outs=${outs%%|*}
        cmd=${line##*|}
        [ "$c" = matrix ] && continue # milliseconds: nothing to kill
        clean_out
        start=$(date +%s%N)
        $AM $cmd > /dev/null 2>&1 || { fail "$c: undisturbed run failed"; continue; }
        dur=$((($(date +%s%N) - start) / 1000000))
        for o in $outs; do cp "$W/out/$o" "$W/ref/$o"; done
        # points spread over the run's phases: one per fifth of its time,
        # at a random place inside it
        for k in 0 1 2 3 4; do
            t=$((dur * k / 5 + RANDOM % (dur / 5 + 1)))
            seeded=$((k % 2))
            clean_out
            [ $seeded = 1 ] && seed_old "$outs"
            $AM $cmd > /dev/null 2>&1 &
            pid=$!
            sleep "$(awk -v t="$t" 'BEGIN {printf "%.3f", t / 1000}')"
            kill -9 $pid 2> /dev/null
            wait $pid 2> /dev/null
            for o in $outs; do # the old output, or a whole new one, never torn
                [ -e "$W/out/$o" ] || continue
                if ! cmp -s "$W/out/$o" "$W/old/$o" && ! same "$W/out/$o" "$W/ref/$o"; then
                    fail "$c: killed at ${t} ms: $o torn"
                fi
            done
            $AM $cmd > /dev/null 2> "$ROOT/err" ||
                { fail "$c: rerun after kill at ${t} ms: $(cat "$ROOT/err")"; continue; }
            for o in $outs; do
                same "$W/out/$o" "$W/ref/$o" || fail "$c: rerun after kill at ${t} ms: $o differs"
            done
            [ -z "$(leftovers)" ] || fail "$c: rerun after kill at ${t} ms left: $(leftovers)"
        done
        echo "$c: killed at 5 points over ${dur} ms, reruns equal"
    done << EOF
$CASES
EOF
}

case $MODE in
calls) mode_calls ;;
enospc) mode_enospc ;;
kill) mode_kill ;;
*) echo "unknown mode $MODE"; exit 2 ;;
esac
if [ $FAILS -gt 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "all checks passed"
