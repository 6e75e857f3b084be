#!/bin/sh
# slurm_up.sh DIR: starts a one-node Slurm for the tests (issue 12), with
# its configuration, state, logs and sockets under the scratch folder DIR:
# munged, slurmctld and slurmd started directly (no systemd on these
# machines) and stopped by PID with slurm_down.sh DIR. The node is this
# machine with its CPUs; proctrack/linuxproc, task/none, no accounting.
# On success it writes DIR/env (". DIR/env" sets SLURM_CONF for sbatch,
# squeue, scontrol, ...) and exits 0 once the node is idle. When Slurm
# cannot start here (not installed, not root, a daemon refuses) it prints
# the reason, stops what it started and exits 77, which ctest reports as
# skipped (SKIP_RETURN_CODE).
#
# The Slurm and munge packages come from scripts/install-deps.sh (slurmctld,
# slurmd, slurm-client, munge): a test should not install packages. The
# ports are free ones chosen here (SLURM_TEST_PORT overrides: the
# controller gets it, slurmd the next one), so two trees can test at once.
set -u
DIR=${1:?usage: slurm_up.sh SCRATCH_DIR}
SKIP=77

skip() {
    echo "slurm_up: skipped: $*" >&2
    sh "$(dirname "$0")/slurm_down.sh" "$DIR" > /dev/null 2>&1
    exit $SKIP
}

for b in munged slurmctld slurmd sbatch scontrol sinfo squeue scancel; do
    command -v "$b" > /dev/null 2>&1 ||
        PATH="$PATH:/usr/sbin" command -v "$b" > /dev/null 2>&1 ||
        skip "$b is not installed (scripts/install-deps.sh installs slurmctld, slurmd, slurm-client and munge)"
done
PATH="$PATH:/usr/sbin"
[ "$(id -u)" = 0 ] || skip "not root (the daemons here run as root: SlurmUser=root)"

mkdir -p "$DIR" || skip "cannot create $DIR"
DIR=$(cd "$DIR" && pwd)
sh "$(dirname "$0")/slurm_down.sh" "$DIR" > /dev/null 2>&1 # a previous run's
mkdir -p "$DIR/etc" "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/munge"
chmod 700 "$DIR/munge"

# munge: its own key and socket, not the system's
rm -f "$DIR/munge/munge.key"
mungekey --create --keyfile="$DIR/munge/munge.key" > /dev/null 2>&1 ||
    skip "mungekey could not create a key"
chmod 600 "$DIR/munge/munge.key"
munged --force --key-file="$DIR/munge/munge.key" \
    --socket="$DIR/munge/munge.socket" --pid-file="$DIR/munge/munged.pid" \
    --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed" \
    2> "$DIR/log/munged.err" ||
    skip "munged did not start: $(tail -n 1 "$DIR/log/munged.err")"
munge -S "$DIR/munge/munge.socket" -n 2> /dev/null |
    unmunge -S "$DIR/munge/munge.socket" > /dev/null 2>&1 ||
    skip "munge does not answer on its socket ($DIR/log/munged.log)"

# two free TCP ports (the kernel's choice), or SLURM_TEST_PORT and the next
if [ -n "${SLURM_TEST_PORT:-}" ]; then
    CTLD_PORT=$SLURM_TEST_PORT
    SLURMD_PORT=$((SLURM_TEST_PORT + 1))
else
    ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])' 2> /dev/null) ||
        skip "no free ports found (python3 missing?)"
    CTLD_PORT=${ports% *}
    SLURMD_PORT=${ports#* }
fi

HOST=$(hostname -s)
CPUS=$(nproc)
cat > "$DIR/etc/slurm.conf" << CONF
# a one-node Slurm for accessim's tests (tests/slurm/slurm_up.sh)
ClusterName=accessim-test
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd-%n
SlurmctldPidFile=$DIR/state/slurmctld.pid
SlurmdPidFile=$DIR/state/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
# a loopback-only network has no IPv4 route to the node otherwise
CommunicationParameters=EnableIPv6
# quick tests: dependencies and requeued jobs looked at often
SchedulerParameters=defer_batch,sched_min_interval=100000
MinJobAge=300
KillWait=10
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -f "$DIR/etc/slurm.conf" -i 2> "$DIR/log/slurmctld.err" ||
    skip "slurmctld did not start: $(tail -n 1 "$DIR/log/slurmctld.err")"
slurmd -f "$DIR/etc/slurm.conf" 2> "$DIR/log/slurmd.err" ||
    skip "slurmd did not start: $(tail -n 1 "$DIR/log/slurmd.err")"

echo "export SLURM_CONF=$DIR/etc/slurm.conf" > "$DIR/env"
export SLURM_CONF="$DIR/etc/slurm.conf"
i=0
while :; do
    state=$(sinfo -h -N -o '%t' 2> /dev/null | head -n 1)
    case "$state" in
    idle*) break ;;
    esac
    i=$((i + 1))
    if [ $i -gt 60 ]; then
        skip "the node did not become idle in 30 s (state '${state}'; $(tail -n 2 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" 2> /dev/null | tr '\n' ' '))"
    fi
    sleep 0.5
done
echo "slurm_up: one node ($HOST, $CPUS CPUs) idle; ports $CTLD_PORT, $SLURMD_PORT; . $DIR/env"
