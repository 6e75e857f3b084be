#!/bin/sh
# slurm_batch.sh SRC ACCESSIM DEMO WORK: the example job script
# (docs/examples/accessim.sbatch, adapted by sbatch options and variables)
# runs accessim on the Comoros demo as a batch job of a one-node Slurm;
# it completes and its output equals a direct run's. Skipped (77) where
# Slurm cannot start.
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
"$ACCESSIM" run "$DEMO/comoros.yaml" -o "$WORK/direct.h5" --threads 1 -q \
    > direct.log 2>&1 || fail "the direct run failed: $(tail -n 3 direct.log)"
wait_state "$id" 300 COMPLETED
grep -q "accessim exit status 0" "job-$id.log" ||
    fail "no exit status 0 in the job's log: $(tail -n 5 "job-$id.log")"
same_results job.h5 direct.h5
echo "job $id completed; its output equals the direct run's"
