#!/bin/sh
# tests/fuzz/run.sh SECONDS_PER_HARNESS [BUILD_DIR]
#
# Runs every libFuzzer harness built in BUILD_DIR/fuzz (default
# build-fuzz, the fuzz preset's folder) for SECONDS_PER_HARNESS seconds
# over its seed corpus tests/fuzz/corpus/<harness>/ with its dictionary
# tests/fuzz/<harness>.dict, then replays every file of
# tests/fuzz/regressions/<harness>/ once. New inputs and crash artifacts go
# to a scratch folder (kept and named when something fails, removed
# otherwise), never into the repository. Exits 1 when any harness crashed,
# leaked, timed out (10 s per input) or went past 2 GiB; 2 on a usage
# error. docs/fuzzing.md.
set -u
usage() {
    echo "usage: $0 SECONDS_PER_HARNESS [BUILD_DIR]" >&2
    exit 2
}
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
secs=$1
case $secs in '' | *[!0-9]*) usage ;; esac
[ "$secs" -ge 1 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${2:-$root/build-fuzz}
bin_dir=$build/fuzz
if [ ! -d "$bin_dir" ]; then
    echo "$0: no harnesses in $bin_dir: build them first" \
        "(cmake --preset fuzz && cmake --build --preset fuzz)" >&2
    exit 2
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/accessim-fuzz.XXXXXX") || exit 2

# UBSan already aborts (-fno-sanitize-recover); leaks count (libFuzzer's
# -detect_leaks is on with ASan).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}halt_on_error=1:print_stacktrace=1"

failed=""
ran=0
for src in "$here"/fuzz_*.c; do
    name=$(basename "$src" .c)
    bin=$bin_dir/$name
    if [ ! -x "$bin" ]; then
        echo "$0: $bin is missing: rebuild (cmake --build --preset fuzz)" >&2
        failed="$failed $name(not-built)"
        continue
    fi
    ran=$((ran + 1))
    work=$scratch/$name
    mkdir -p "$work/corpus" "$work/artifacts"
    set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/"
    [ -f "$here/$name.dict" ] && set -- "$@" -dict="$here/$name.dict"
    [ -d "$here/corpus/$name" ] && set -- "$@" "$work/corpus" \
        "$here/corpus/$name"
    [ -d "$here/corpus/$name" ] || set -- "$@" "$work/corpus"
    echo "+ $name: ${secs} s"
    if ! "$bin" "$@" > "$work/log" 2>&1; then
        tail -n 60 "$work/log" >&2
        echo "$0: $name FAILED; log and artifacts: $work" >&2
        failed="$failed $name"
    else
        grep -E '^(#[0-9]+.*DONE|stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb))' "$work/log" | sed 's/^/    /'
    fi
    regs=$here/regressions/$name
    if [ -d "$regs" ] && [ -n "$(ls -A "$regs" 2> /dev/null)" ]; then
        echo "+ $name: replaying $(ls "$regs" | wc -l) regression input(s)"
        if ! "$bin" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$work/artifacts/" "$regs"/* \
            > "$work/regressions.log" 2>&1; then
            tail -n 60 "$work/regressions.log" >&2
            echo "$0: $name FAILED on a regression input; log: $work" >&2
            failed="$failed $name(regressions)"
        fi
    fi
done

if [ "$ran" -eq 0 ]; then
    echo "$0: no harness found in $bin_dir" >&2
    exit 2
fi
if [ -n "$failed" ]; then
    echo "$0: failed:$failed (scratch kept: $scratch)" >&2
    exit 1
fi
rm -rf "$scratch"
echo "+ fuzz: $ran harness(es), no crash"
