#!/bin/sh
# slurm_array.sh SRC ACCESSIM DEMO WORK: an array of 2 tasks (the example
# job script, one output per task) and a job that depends on it (afterok,
# as a merge of shards will) run in order on a one-node Slurm: the
# dependent job waits while the tasks run, starts after both ended, and
# finds both outputs complete. Skipped (77) where Slurm cannot start.
set -u
SRC=$1 ACCESSIM=$2 DEMO=$3 WORK=$4
. "$SRC/tests/slurm/lib.sh"
slurm_start
cd "$WORK" || fail "cd $WORK"

arr=$(sbatch --parsable --array=0-1 --cpus-per-task=1 --time=10 \
    --output="$WORK/array-%A_%a.log" \
    --export="ALL,ACCESSIM=$ACCESSIM,SCENARIO=$DEMO/comoros.yaml,OUTPUT=$WORK/out_%a.h5" \
    "$SRC/docs/examples/accessim.sbatch") || fail "sbatch refused the array"
arr=${arr%%;*}
dep=$(sbatch --parsable --dependency="afterok:$arr" --time=5 \
    --output="$WORK/dep.log" \
    --wrap "for f in $WORK/out_0.h5 $WORK/out_1.h5; do [ -s \$f ] && echo seen \$f; done") ||
    fail "sbatch refused the dependent job"
dep=${dep%%;*}

wait_state "${arr}_0" 120 RUNNING COMPLETED
# while a task has not ended (the demo may take only a second), the
# dependent job waits for it; dep is read first, so a task read as not
# ended had not ended then either
dep_state=$(job_field "$dep" JobState)
dep_reason=$(job_field "$dep" Reason)
t0=$(job_field "${arr}_0" JobState)
t1=$(job_field "${arr}_1" JobState)
if [ "$t0" != COMPLETED ] || [ "$t1" != COMPLETED ]; then
    [ "$dep_state" = PENDING ] && [ "$dep_reason" = Dependency ] ||
        fail "job $dep is $dep_state ($dep_reason) while tasks are $t0, $t1"
else
    echo "both tasks ended before the check while they ran (the order is checked below)"
fi
wait_state "${arr}_0" 300 COMPLETED
wait_state "${arr}_1" 300 COMPLETED
wait_state "$dep" 180 COMPLETED

start=$(date -d "$(job_field "$dep" StartTime)" +%s)
for t in 0 1; do
    end=$(date -d "$(job_field "${arr}_$t" EndTime)" +%s)
    [ "$start" -ge "$end" ] ||
        fail "job $dep started at $start, before task $t ended ($end)"
    grep -q "seen $WORK/out_$t.h5" dep.log ||
        fail "job $dep did not find out_$t.h5: $(cat dep.log)"
done
same_results out_0.h5 out_1.h5
echo "array $arr (2 tasks) then job $dep (afterok) ran in order"
