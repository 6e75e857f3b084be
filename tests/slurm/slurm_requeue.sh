#!/bin/sh
# slurm_requeue.sh SRC ACCESSIM DEMO WORK: a job of the example job script
# is signalled while accessim runs, as a pre-emption warning would
# (scancel --batch --signal=USR1: the batch shell only, which forwards it to
# accessim); accessim stops cleanly (exit 130), the job requeues itself, its
# second run completes and the output equals a direct run's; the log,
# appended to, tells both runs. With a fifth argument "array" the job is
# task 1 of an array, which requeues itself as ARRAYID_1. Skipped (77)
# where Slurm cannot start.
set -u
SRC=$1 ACCESSIM=$2 DEMO=$3 WORK=$4 KIND=${5:-job}
. "$SRC/tests/slurm/lib.sh"
slurm_start
cd "$WORK" || fail "cd $WORK"

tries=0
while :; do
    tries=$((tries + 1))
    submit_running "$KIND"
    scancel --batch --signal=USR1 "$id" || ended_first ||
        fail "scancel --signal=USR1 failed"
    # requeued: a second start, held back ~120 s unless told to start now
    i=0
    until [ "$(job_field "$id" Restarts)" = 1 ] &&
        [ "$(job_field "$id" JobState)" = PENDING ]; do
        if [ "$(job_field "$id" JobState)" = COMPLETED ] && ended_first; then
            break
        fi
        i=$((i + 1))
        [ $i -le 600 ] || fail "job $id not requeued: $(job_field "$id" JobState), restarts $(job_field "$id" Restarts); $(tail -n 5 "$log")"
        sleep 0.1
    done
    [ "$(job_field "$id" Restarts)" = 1 ] && break
    [ $tries -lt 3 ] || fail "the run ended before the signal 3 times"
    echo "job $id ended before the signal reached it: again"
done
[ ! -e job.h5 ] || fail "the interrupted run left job.h5"
# not within the second of the requeue: slurmd compares the new run's
# credential with the revocation of the old one's in whole seconds and
# refuses it ("Job credential revoked"), which fails the job
sleep 2
scontrol update JobId="$id" StartTime=now || fail "scontrol update StartTime"

"$ACCESSIM" run "$DEMO/comoros.yaml" -o "$WORK/direct.h5" --threads 1 -q \
    > direct.log 2>&1 || fail "the direct run failed: $(tail -n 3 direct.log)"
wait_state "$id" 300 COMPLETED

grep -q "accessim: interrupted" "$log" || fail "no interruption in $log"
grep -q "accessim exit status 130" "$log" || fail "no exit 130 in $log"
grep -q "pre-empted (SIGUSR1): requeueing" "$log" || fail "no requeue in $log"
grep -q "start (restart 1)" "$log" || fail "no second start in $log"
[ "$(grep -c 'accessim exit status 0' "$log")" = 1 ] ||
    fail "not one successful run in $log: $(cat "$log")"
same_results job.h5 direct.h5
echo "job $id pre-empted, requeued and completed; its output equals the direct run's"
