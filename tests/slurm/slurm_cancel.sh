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

id=$(sbatch --parsable --cpus-per-task=1 --time=10 \
    --output="$WORK/job-%j.log" \
    --export="ALL,ACCESSIM=$ACCESSIM,SCENARIO=$DEMO/comoros.yaml,OUTPUT=$WORK/job.h5" \
    "$SRC/docs/examples/accessim.sbatch") || fail "sbatch refused the job"
id=${id%%;*}
log=$WORK/job-$id.log

wait_state "$id" 120 RUNNING
i=0
until grep -q "reading roads" "$log" 2> /dev/null; do
    i=$((i + 1))
    [ $i -le 600 ] || fail "accessim did not start in the job: $(cat "$log")"
    sleep 0.1
done
scancel "$id" || fail "scancel failed"
i=0
until grep -q "accessim exit status" "$log"; do
    i=$((i + 1))
    [ $i -le 300 ] || fail "no exit status in $log: $(cat "$log")"
    sleep 0.1
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
