#!/bin/sh
# slurm_down.sh DIR: stops the one-node Slurm that slurm_up.sh DIR started,
# by the PIDs its daemons wrote under DIR (slurmd, slurmctld, munged),
# waiting up to 10 s for each before SIGKILL. Quiet when nothing runs.
set -u
DIR=${1:?usage: slurm_down.sh SCRATCH_DIR}
stop() { # PIDFILE NAME
    [ -s "$1" ] || return 0
    pid=$(cat "$1")
    # only a process of that name: a stale file's PID may have been reused
    if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]; then
        kill "$pid" 2> /dev/null
        i=0
        while kill -0 "$pid" 2> /dev/null && [ $i -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -9 "$pid" 2> /dev/null
    fi
    rm -f "$1"
}
stop "$DIR/state/slurmd.pid" slurmd
stop "$DIR/state/slurmctld.pid" slurmctld
stop "$DIR/munge/munged.pid" munged
exit 0
