#!/bin/sh
# slurm_cancel.sh SRC ACCESSIM DEMO WORK: a job of the example job script
# cancelled with a plain scancel while accessim runs: Slurm sends TERM to
# every process of the job, accessim stops cleanly (exit 130: the script
# must not forward TERM, a second one would kill it) and the job ends
# CANCELLED, not requeued. Skipped (77) where Slurm cannot start.
set -u
SRC=$1 ACCESSIM=$2 DEMO=$3 WORK=$4
. "$SRC/tests/slurm/lib.sh"
slurm_start
cd "$WORK" || fail "cd $WORK"

tries=0
while :; do
    tries=$((tries + 1))
    submit_running job
    scancel "$id" || ended_first || fail "scancel failed"
    i=0
    until grep -q "accessim exit status" "$log"; do
        i=$((i + 1))
        [ $i -le 300 ] || fail "no exit status in $log: $(cat "$log")"
        sleep 0.1
    done
    ended_first || break
    [ $tries -lt 3 ] || fail "the run ended before the signal 3 times"
    echo "job $id ended before the signal reached it: again"
done
sleep 3 # a requeue, if the script made one, would show by then
grep -q "accessim exit status 130" "$log" ||
    fail "accessim did not stop cleanly: $(grep -v warning "$log")"
grep -q "accessim: interrupted" "$log" || fail "no interruption in $log"
! grep -q "requeueing" "$log" || fail "the cancelled job requeued itself"
[ "$(job_field "$id" JobState)" = CANCELLED ] ||
    fail "job $id is $(job_field "$id" JobState), not CANCELLED"
[ "$(job_field "$id" Restarts)" = 0 ] || fail "job $id was requeued"
[ ! -e job.h5 ] || fail "the cancelled run left job.h5"
echo "job $id cancelled: accessim stopped cleanly, no requeue"
