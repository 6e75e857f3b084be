#!/bin/sh
# bench_run_only_build (ctest): the GDAL-free build of accessim-bench-kernels
# documented in benchmarks/README.md (the ```sh block after the
# "run-only-build" marker) works as written: it is run with sh (dash on
# Debian) in a scratch folder whose benchmarks/, kernels/, common/ and
# include/ link to the sources, and the binary it makes then runs its
# searches on a small grid export and checks every reached count.
#
#   sh benchmarks/run_only_build_test.sh SOURCE_DIR
#
# Exit 77 (skipped) when gcc is missing.
set -eu
src=$(cd "$1" && pwd)
command -v gcc > /dev/null 2>&1 || { echo "bench_run_only_build: SKIP: no gcc"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "bench_run_only_build: FAIL: $*" >&2
    exit 1
}
awk '/<!-- run-only-build/ { on = 1; next }
     on && /^```sh/ { inb = 1; next }
     inb && /^```/ { exit }
     inb { print }' "$src/benchmarks/README.md" > "$tmp/build.sh"
[ -s "$tmp/build.sh" ] || fail "no run-only-build block in benchmarks/README.md"
cat "$tmp/build.sh"
mkdir "$tmp/src"
for d in benchmarks kernels common include; do
    ln -s "$src/$d" "$tmp/src/$d"
done
(cd "$tmp/src" && sh "$tmp/build.sh") || fail "the documented command failed"
[ -x "$tmp/src/bench-kernels" ] || fail "the documented command made no bench-kernels"
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 "$src/benchmarks/peers/make_test_export.py" "$tmp/export" \
        --width 40 --height 40 --sources 8 > /dev/null
    st=0
    "$tmp/src/bench-kernels" run "$tmp/export" --threads 2 --trials 1 > "$tmp/run.txt" || st=$?
    [ "$st" -eq 0 ] || { cat "$tmp/run.txt"; fail "bench-kernels run exited $st"; }
    grep -q '"kernel": "search"' "$tmp/run.txt" || fail "no search measurement"
    grep -q '"kernel": "nearest"' "$tmp/run.txt" || fail "no nearest measurement"
fi
echo "bench_run_only_build: OK"
