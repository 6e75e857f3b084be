#!/bin/sh
# Issue 12: `mpirun -n N accessim run` gives the results of a one-process
# run, bitwise, for N = 1, 2 and 3, and a bad input seen by one rank ends
# every rank with one message (never a hang).
#
# usage: mpi_run.sh ACCESSIM DEMO_DIR [SERIAL_ACCESSIM]
#   ACCESSIM         the MPI build's binary
#   DEMO_DIR         data/comoros
#   SERIAL_ACCESSIM  optional: the default (no MPI) build's binary, whose
#                    output must be identical too
#
# "Identical": the same objects (h5ls -r) and h5diff finding every dataset
# and attribute equal, value by value, except the two root attributes that
# differ between any two runs, even of one binary: created_utc and
# command_line (docs/mpi.md). Not the files' bytes: those hold the time.
set -eu
BIN=$1
DEMO=$(cd "$2" && pwd) # absolute: written into a scenario elsewhere below
SERIAL=${3:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# the ranks share the machine: one OpenMP thread each (--threads 1)
MPIRUN="mpirun --oversubscribe --bind-to none"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

same() { # same A B: the results of two runs are identical
    h5ls -r "$1" | sed 1d > "$T/ls1.txt"
    h5ls -r "$2" | sed 1d > "$T/ls2.txt"
    cmp -s "$T/ls1.txt" "$T/ls2.txt" || {
        diff "$T/ls1.txt" "$T/ls2.txt" | head -20 >&2
        fail "$1 and $2 hold different objects"
    }
    st=0
    h5diff -c "$1" "$2" > "$T/diff.txt" 2>&1 || st=$?
    [ $st -le 1 ] || { cat "$T/diff.txt" >&2; fail "h5diff failed"; }
    if grep -v -E -e '^attribute: <(created_utc|command_line) of </>> and' \
        -e '^[0-9]+ differences? found$' "$T/diff.txt" > "$T/rest.txt"; then
        head -40 "$T/rest.txt" >&2
        fail "$1 and $2 differ"
    fi
}

for scen in comoros comoros_tiers; do
    # reference: one process, no mpirun (a singleton MPI rank)
    "$BIN" run "$DEMO/$scen.yaml" -o "$T/$scen.ref.h5" --threads 1 -q \
        > "$T/ref.out" 2> "$T/ref.err" ||
        { cat "$T/ref.err" >&2; fail "$scen: the one-process run failed"; }
    if [ -n "$SERIAL" ]; then
        "$SERIAL" run "$DEMO/$scen.yaml" -o "$T/$scen.serial.h5" --threads 1 \
            -q > /dev/null 2> "$T/ref.err" ||
            { cat "$T/ref.err" >&2; fail "$scen: the serial build's run failed"; }
        same "$T/$scen.ref.h5" "$T/$scen.serial.h5"
    fi
    for n in 1 2 3; do
        out="$T/$scen.n$n.h5"
        timeout 300 $MPIRUN -n $n "$BIN" run "$DEMO/$scen.yaml" -o "$out" \
            --threads 1 -q > "$T/n$n.out" 2> "$T/n$n.err" ||
            { cat "$T/n$n.err" >&2; fail "$scen: mpirun -n $n failed"; }
        same "$T/$scen.ref.h5" "$out"
        # one summary (rank 0's), the one-process run's but for times,
        # memory and the output's name
        for f in ref n$n; do
            grep -v -E '^  (mpi|phases|memory|estimate|total|output) ' "$T/$f.out" \
                > "$T/$f.sum"
        done
        cmp -s "$T/ref.sum" "$T/n$n.sum" ||
            { diff "$T/ref.sum" "$T/n$n.sum" >&2; fail "$scen: -n $n summary"; }
        # the work was split: the summary says between how many ranks
        [ $n -eq 1 ] || grep -q "^  mpi          $n ranks" "$T/n$n.out" ||
            fail "$scen: -n $n: no 'mpi  $n ranks' line in the summary"
        echo "ok: $scen, mpirun -n $n: the one-process run's results"
    done
done

# A bad input seen by one rank only (MPMD: rank 1 runs another scenario):
# every rank ends, with the failing rank's message printed once by rank 0
# and its exit status, and no output written.
mkdir "$T/bad"
printf 'not a GeoPackage\n' > "$T/bad/health.gpkg"
sed -e "s#comores-latest.osm.pbf#$DEMO/comores-latest.osm.pbf#" \
    -e "s#com_ppp_2020_UNadj.tif#$DEMO/com_ppp_2020_UNadj.tif#" \
    "$DEMO/comoros.yaml" > "$T/bad/bad.yaml"
check_bad() { # check_bad NAME FRAGMENT: after the run into $T/bad.*
    [ "$st" -eq 1 ] || { cat "$T/bad.err" >&2; fail "$1: exit status $st, not 1"; }
    [ "$(grep -c '^accessim: error:' "$T/bad.err")" -eq 1 ] ||
        { cat "$T/bad.err" >&2; fail "$1: not exactly one error line"; }
    grep -q "$2" "$T/bad.err" ||
        { cat "$T/bad.err" >&2; fail "$1: the error does not name $2"; }
    [ ! -e "$T/bad.h5" ] || fail "$1: an output was written"
    echo "ok: $1"
}
for where in 1 2; do # rank 1 of 2, rank 2 of 3: a corrupt facility layer
    st=0
    if [ $where -eq 1 ]; then
        timeout 300 $MPIRUN -n 1 "$BIN" run "$DEMO/comoros.yaml" -o "$T/bad.h5" \
            --threads 1 -q : -n 1 "$BIN" run "$T/bad/bad.yaml" -o "$T/bad.h5" \
            --threads 1 -q > /dev/null 2> "$T/bad.err" || st=$?
    else
        timeout 300 $MPIRUN -n 2 "$BIN" run "$DEMO/comoros.yaml" -o "$T/bad.h5" \
            --threads 1 -q : -n 1 "$BIN" run "$T/bad/bad.yaml" -o "$T/bad.h5" \
            --threads 1 -q > /dev/null 2> "$T/bad.err" || st=$?
    fi
    check_bad "corrupt facility layer on rank $where only" "$T/bad/health.gpkg"
done
# rank 1's scenario file does not exist: it fails before the model
st=0
timeout 300 $MPIRUN -n 1 "$BIN" run "$DEMO/comoros.yaml" -o "$T/bad.h5" -q \
    : -n 1 "$BIN" run "$T/bad/missing.yaml" -o "$T/bad.h5" -q \
    > /dev/null 2> "$T/bad.err" || st=$?
check_bad "missing scenario on rank 1 only" "missing.yaml"
