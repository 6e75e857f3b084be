# lib.sh: shared by the Slurm tests (tests/slurm/*.sh; sourced, POSIX sh).
# The caller sets SRC (the source tree), WORK (a scratch folder of its own)
# and ACCESSIM (the binary). slurm_start brings up the one-node Slurm of
# slurm_up.sh (exiting 77, skipped, when it cannot) and stops it when the
# test exits.

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

slurm_start() {
    rm -rf "$WORK"
    mkdir -p "$WORK"
    # the daemons' folder short, under /tmp: Unix socket paths are limited
    # to 107 bytes and a build folder can be deep
    SLURM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/accessim-slurm.XXXXXX") ||
        fail "mktemp"
    trap 'slurm_stop' EXIT
    trap 'exit 1' INT TERM
    sh "$SRC/tests/slurm/slurm_up.sh" "$SLURM_DIR" || exit $?
    . "$SLURM_DIR/env"
}

# stops the daemons and keeps their logs in $WORK/slurm-logs
slurm_stop() {
    sh "$SRC/tests/slurm/slurm_down.sh" "$SLURM_DIR"
    cp -r "$SLURM_DIR/log" "$WORK/slurm-logs" 2> /dev/null
    rm -rf "$SLURM_DIR"
}

# job_field JOBID FIELD: a field of scontrol show job (e.g. JobState)
job_field() {
    scontrol show job "$1" -o 2> /dev/null | tr ' ' '\n' |
        sed -n "s/^$2=//p" | head -n 1
}

# wait_state JOBID SECONDS STATE...: waits until the job is in one of the
# states; fails naming the last state seen when it is not in time or when
# it ended in another state
wait_state() {
    id=$1
    limit=$2
    shift 2
    t0=$(date +%s)
    while :; do
        st=$(job_field "$id" JobState)
        for want in "$@"; do
            [ "$st" = "$want" ] && return 0
        done
        case "$st" in
        COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
            fail "job $id is $st, expected $* ($(scontrol show job "$id" -o | tr ' ' '\n' | grep -E '^(ExitCode|Reason|Restarts)='))"
            ;;
        esac
        [ $(($(date +%s) - t0)) -le "$limit" ] ||
            fail "job $id still ${st:-unknown} after $limit s, expected $*"
        sleep 0.5
    done
}

# same_results A.h5 B.h5: the two outputs hold the same groups, datasets
# and values; only the root's run attributes (the command line, the time of
# creation and the thread count) may differ
same_results() {
    command -v h5diff > /dev/null 2>&1 || fail "h5diff not installed"
    out=$(h5diff "$1" "$2" 2>&1)
    rc=$?
    [ $rc -eq 0 ] && return 0
    [ $rc -eq 1 ] || fail "h5diff $1 $2: exit $rc: $out"
    bad=$(printf '%s\n' "$out" | grep -v -E \
        '^attribute: <(command_line|created_utc|threads) of </>> and <(command_line|created_utc|threads) of </>>$|^[0-9]+ differences? found$|^$')
    [ -z "$bad" ] || fail "$1 and $2 differ: $bad"
}

# submit_running KIND: submits the example job script on the Comoros demo
# (KIND job, or array: task 1 of an array) with its output at $WORK/job.h5
# and waits until accessim has started reading the roads; sets id (JOBID,
# or ARRAYID_1) and log. The demo takes 1-13 s, so a signal sent then may
# still come after the end: callers try again when it did (ended_first).
submit_running() {
    rm -f "$WORK/job.h5"
    if [ "$1" = array ]; then
        id=$(sbatch --parsable --array=1 --cpus-per-task=1 --time=10 \
            --output="$WORK/job-%A_%a.log" \
            --export="ALL,ACCESSIM=$ACCESSIM,SCENARIO=$DEMO/comoros.yaml,OUTPUT=$WORK/job.h5" \
            "$SRC/docs/examples/accessim.sbatch") || fail "sbatch refused the array"
        id=${id%%;*}_1
    else
        id=$(sbatch --parsable --cpus-per-task=1 --time=10 \
            --output="$WORK/job-%j.log" \
            --export="ALL,ACCESSIM=$ACCESSIM,SCENARIO=$DEMO/comoros.yaml,OUTPUT=$WORK/job.h5" \
            "$SRC/docs/examples/accessim.sbatch") || fail "sbatch refused the job"
        id=${id%%;*}
    fi
    log=$WORK/job-$id.log
    wait_state "$id" 120 RUNNING COMPLETED
    i=0
    until grep -q "reading roads" "$log" 2> /dev/null; do
        i=$((i + 1))
        [ $i -le 600 ] || fail "accessim did not start in the job: $(cat "$log")"
        sleep 0.1
    done
}

# ended_first: accessim of job $id completed its first run (exit 0) before
# the signal reached it
ended_first() {
    grep -q "accessim exit status 0" "$log" &&
        ! grep -q "start (restart 1)" "$log"
}
