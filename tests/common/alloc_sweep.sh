#!/bin/sh
# alloc_sweep.sh: allocation fault injection on whole CLI runs (issue 13,
# the SQLite discipline). Only for a build with ACCESSIM_FAULT_INJECTION=ON
# (engine/main.c reads AM_ALLOC_FAIL_AT and AM_ALLOC_COUNT there).
#
# For each case (a real command on a small input, --threads 1 so that the
# order of allocations is fixed) the command runs once as it is, with
# AM_ALLOC_COUNT=1, which gives T, its number of allocations through
# common/alloc.h; then once per chosen N in 1..T with AM_ALLOC_FAIL_AT=N,
# which makes the Nth allocation return NULL. Every one of those runs must:
#
#   - exit 1 (a failed run), never a crash or a signal, and with no
#     AddressSanitizer, LeakSanitizer or UBSan report (their exit codes are
#     set to 86/87/88 here, apart from ours);
#   - print exactly one "accessim: error:" line, saying "out of memory",
#     and nothing else but warnings ("accessim: warning:");
#   - leave its output folder empty: no output at the final name, no
#     temporary.
#
# A failure that the run can absorb (an allocation whose failure changes
# nothing, such as a realloc that shrinks a block) exits 0 with its output
# (no temporary left, the temporaries being hidden files): that is allowed,
# and counted.
#
# Which N: by default (a few minutes of CI under ASan) every N up to
# AM_ALLOC_SWEEP_HEAD (5) and a sample of AM_ALLOC_SWEEP_SAMPLE (20) more
# per case, spread over the rest with a seeded generator
# (AM_ALLOC_SWEEP_SEED, default 13: the same seed gives the same N for the
# same build). AM_ALLOC_SWEEP=full tries every N (about 4,900 runs, hours
# on two cores; docs/hardening.md), from AM_ALLOC_SWEEP_FROM
# (default 1). AM_ALLOC_SWEEP_CASES="run prepare ..."
# picks cases (default: all); AM_ALLOC_SWEEP_JOBS=J runs J at a time.
#
# Usage: alloc_sweep.sh ACCESSIM GENREGION TEST_DATA
#   GENREGION: build/accessim-genregion (the tiny synthetic region), or '-'
#   where the benchmarks are not built (its cases are then skipped).
set -u
AM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
GEN=$2
DATA=$(cd "$3" && pwd)

TOP=$(mktemp -d "${TMPDIR:-/tmp}/am-allocsweep.XXXXXX")
trap 'rm -rf "$TOP"' EXIT INT TERM
IN=$TOP/in    # inputs and reference outputs, never written by a swept run
OUT=$TOP/out  # the swept run's output folder, checked empty
LOG=$TOP/log
mkdir -p "$IN" "$OUT"

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:exitcode=86"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=87"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1:exitcode=88"

MODE=${AM_ALLOC_SWEEP:-sample}
HEAD=${AM_ALLOC_SWEEP_HEAD:-5}
SAMPLE=${AM_ALLOC_SWEEP_SAMPLE:-20}
SEED=${AM_ALLOC_SWEEP_SEED:-13}
CASES=${AM_ALLOC_SWEEP_CASES:-run selection matrix prepare compare}

fails=0
note() { echo "$*"; }
bad() {
    { echo "FAIL [$case N=$n]: $*"; sed 's/^/    | /' "$LOG" | head -40; } |
        tee -a "$TOP/report"
    echo "$case $n" >> "$TOP/defects"
}

# --- inputs -----------------------------------------------------------------
# The tiny synthetic region: 40 x 40 cells of 100 m, 3 facilities.
have_region=0
if [ "$GEN" != "-" ] && [ -x "$GEN" ]; then
    if "$GEN" --preset tiny --width 40 --height 40 --towns 1 --villages 3 \
        --facilities 3 --seed 1 --quiet --out "$IN/region" > "$LOG" 2>&1; then
        have_region=1
    else
        cat "$LOG"
        echo "FAIL: accessim-genregion could not write the tiny region"
        exit 1
    fi
fi
# A scenario over the region: the generated one, with a name of ours.
region_scenario() { # FILE EXTRA_YAML
    sed -e '/^output:/d' "$IN/region/region.yaml" > "$1"
    printf '%s' "$2" >> "$1"
}
if [ $have_region = 1 ]; then
    region_scenario "$IN/region/a.yaml" ""
    region_scenario "$IN/region/sel.yaml" "selection:
  name: new_sites
  candidates:
    grid: {spacing_m: 1000, min_population: 1}
  model: pmedian
  cutoff_min: 15
  p: 2
"
fi
# The 5-hexagon Belo Horizonte matrix (tests/data/bho_5hex).
cat > "$IN/matrix.yaml" <<EOF
name: bho5
matrix:
  path: $DATA/bho_5hex/travel_matrix_5hex.csv
demand:
  path: $DATA/bho_5hex/land_use_5hex.csv
  field: population
supply:
  path: $DATA/bho_5hex/land_use_5hex.csv
  field: jobs
measures:
  - {name: a30, type: 2sfca, threshold_min: 30}
  - {name: g, type: gravity, decay: {type: exponential, beta: 0.1}}
EOF

# --- cases ------------------------------------------------------------------
# case_cmd CASE: the command line, writing only under $OUT.
case_cmd() {
    case $1 in
    run) echo "$AM run $IN/region/a.yaml -o $OUT/a.h5 --threads 1 -q" ;;
    selection) echo "$AM run $IN/region/sel.yaml -o $OUT/s.h5 --threads 1 -q" ;;
    matrix) echo "$AM run $IN/matrix.yaml -o $OUT/m.csv --threads 1 -q" ;;
    prepare) echo "$AM prepare $IN/region/a.yaml -o $OUT/g.amgraph --threads 1 -q" ;;
    compare) echo "$AM compare $IN/a.h5 $IN/b.h5 -o $OUT/d.h5 --csv $OUT/d.csv --threads 1" ;;
    esac
}
needs_region() {
    case $1 in run | selection | prepare | compare) return 0 ;; esac
    return 1
}

# compare's inputs: the region's results, and the same with one facility
# fewer.
if [ $have_region = 1 ]; then
    "$AM" run "$IN/region/a.yaml" -o "$IN/a.h5" --threads 1 -q > "$LOG" 2>&1 ||
        { cat "$LOG"; echo "FAIL: the reference run failed"; exit 1; }
    sed -e 's/^\(    path: .*facilities.gpkg\)$/\1\n    where: "fid > 1"/' \
        "$IN/region/a.yaml" > "$IN/region/b.yaml"
    grep -q 'where: "fid > 1"' "$IN/region/b.yaml" ||
        { cat "$IN/region/b.yaml"; echo "FAIL: cannot make scenario B"; exit 1; }
    "$AM" run "$IN/region/b.yaml" -o "$IN/b.h5" --threads 1 -q > "$LOG" 2>&1 ||
        { cat "$LOG"; echo "FAIL: the reference run B failed"; exit 1; }
fi

# --- the sweep ---------------------------------------------------------------
# pick_ns T: the N to try, one a line.
pick_ns() {
    if [ "$MODE" = full ]; then
        seq "${AM_ALLOC_SWEEP_FROM:-1}" "$1"
        return
    fi
    awk -v t="$1" -v head="$HEAD" -v k="$SAMPLE" -v seed="$SEED" 'BEGIN {
        for (n = 1; n <= t && n <= head; n++) print n
        if (t <= head) exit
        srand(seed)
        for (i = 0; i < k; i++) {
            n = head + 1 + int(rand() * (t - head))
            if (!(n in seen)) { seen[n] = 1; print n }
        }
    }' | sort -n
}

# check_failed: the checks on one swept run (exit status in $rc).
check_failed() {
    if [ -n "$(ls -A "$OUT")" ]; then
        bad "left in the output folder: $(ls -A "$OUT" | tr '\n' ' ')"
        return
    fi
    if [ "$rc" -ne 1 ]; then
        bad "exit $rc (expected 1)"
        return
    fi
    if grep -q 'Sanitizer\|runtime error' "$LOG"; then
        bad "sanitizer report"
        return
    fi
    errs=$(grep -c '^accessim: error: ' "$LOG")
    if [ "$errs" -ne 1 ]; then
        bad "$errs error lines (expected 1)"
        return
    fi
    if ! grep '^accessim: error: ' "$LOG" | grep -q 'out of memory'; then
        bad "the error does not say out of memory"
        return
    fi
    if grep -v '^accessim: error: \|^accessim: warning: ' "$LOG" | grep -q .; then
        bad "other output besides the error and warnings"
        return
    fi
}

# sweep_shard CASE TOTAL SHARD: the chosen N with N mod JOBS = SHARD, in
# a folder of its own; appends one line per defect to $TOP/defects and
# one per absorbed failure to $TOP/absorbed.
sweep_shard() {
    case=$1
    OUT=$TOP/s$3/out
    LOG=$TOP/s$3/log
    mkdir -p "$OUT"
    cmd=$(case_cmd "$case")
    for n in $(pick_ns "$2" | awk -v j="$JOBS" -v s="$3" '$1 % j == s'); do
        rm -rf "$OUT"; mkdir "$OUT"
        AM_ALLOC_FAIL_AT=$n $cmd > "$LOG" 2>&1
        rc=$?
        echo "$case $n" >> "$TOP/tried"
        if [ "$rc" -eq 0 ] && ! grep -q 'Sanitizer\|runtime error\|^accessim: error: ' "$LOG"; then
            # the run did without it: its output written, no temporary
            if [ -z "$(ls "$OUT")" ] || [ -n "$(ls -A "$OUT" | grep '^\.')" ]; then
                bad "exit 0 without its output, or with a temporary: $(ls -A "$OUT" | tr '\n' ' ')"
            fi
            echo "$case $n" >> "$TOP/absorbed"
            continue
        fi
        check_failed
    done
}

JOBS=${AM_ALLOC_SWEEP_JOBS:-1}
: > "$TOP/defects"
for case in $CASES; do
    if needs_region "$case" && [ $have_region = 0 ]; then
        note "$case: skipped (no accessim-genregion)"
        continue
    fi
    [ -n "$(case_cmd "$case")" ] || { echo "FAIL: unknown case '$case'"; exit 1; }
    rm -rf "$OUT"; mkdir "$OUT"
    n=0
    AM_ALLOC_COUNT=1 $(case_cmd "$case") > "$LOG" 2>&1
    rc=$?
    total=$(sed -n 's/^accessim: fault injection: \([0-9]*\) allocations$/\1/p' "$LOG")
    if [ "$rc" -ne 0 ] || [ -z "$total" ]; then
        bad "the run without a failure: exit $rc, count '${total}'"
        continue
    fi
    : > "$TOP/tried"; : > "$TOP/absorbed"
    before=$(wc -l < "$TOP/defects")
    start=$(date +%s)
    s=0
    while [ $s -lt "$JOBS" ]; do
        sweep_shard "$case" "$total" $s &
        s=$((s + 1))
    done
    wait
    OUT=$TOP/out LOG=$TOP/log
    note "$case: $total allocations, $(wc -l < "$TOP/tried") failed in turn ($MODE), $(wc -l < "$TOP/absorbed") absorbed$(sed 's/^[a-z]* / N=/' "$TOP/absorbed" | tr '\n' ' '), $(($(wc -l < "$TOP/defects") - before)) defects, $(($(date +%s) - start)) s"
done
fails=$((fails + $(wc -l < "$TOP/defects")))

if [ $fails -ne 0 ]; then
    echo "$fails failures"
    exit 1
fi
echo "alloc_sweep: all passed"
