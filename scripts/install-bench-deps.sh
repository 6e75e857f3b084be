#!/bin/sh
# Installs the peers of the benchmark suite (benchmarks/run_suite.sh) from
# Debian 12 packages: SciPy, networkx, igraph (for /usr/bin/python3),
# PostgreSQL 15 with pgRouting, GNU time, and PuLP with CBC for the site
# selection peer (benchmarks/run_select_peers.sh). Run as root. Idempotent.
# Not needed to build, test or run accessim (scripts/install-deps.sh is).
# Debian's postgresql package makes a cluster of its own (`main`); the
# suite does not use it: benchmarks/peers/peer_pgrouting.py starts a
# throwaway cluster of its own and removes it at the end.
set -eu
PKGS="python3 python3-numpy python3-scipy python3-networkx python3-igraph \
postgresql-15 postgresql-15-pgrouting time python3-pulp coinor-cbc"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "$0: run as root to install:$missing" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
fi
