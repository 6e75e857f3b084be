#!/bin/sh
# Installs accessim's build and test dependencies from Debian 12 packages.
# Run as root on a fresh Debian 12 (bookworm) machine. Idempotent.
# clang and libomp-dev (LLVM's OpenMP runtime with its Archer tool): the
# ThreadSanitizer build (CMakePresets.json "tsan", .ci/run);
# libclang-rt-14-dev: clang's sanitizer and libFuzzer runtimes (only
# recommended by clang, and recommends are not installed here), for the
# tsan and fuzz presets.
# libopenmpi-dev, openmpi-bin and libhdf5-openmpi-dev: the MPI build (issue
# 12, preset mpi, ACCESSIM_MPI); the parallel HDF5 installs beside the
# serial one, which the default build keeps using.
# slurmctld, slurmd, slurm-client and munge: the tests labelled slurm
# (tests/slurm), which start a one-node Slurm of their own with its own
# munge key, configuration and ports (the packages' system services are
# not used); installed here rather than by the tests, which should neither
# need the network nor change the machine; without them those tests are
# skipped.
set -eu
PKGS="build-essential cmake pkg-config libgdal-dev gdal-bin libproj-dev proj-bin \
libhdf5-dev zlib1g-dev hdf5-tools libyaml-dev libcmocka-dev libglpk-dev time \
clang libclang-rt-14-dev libomp-dev libopenmpi-dev openmpi-bin libhdf5-openmpi-dev \
slurmctld slurmd slurm-client munge"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing
fi
