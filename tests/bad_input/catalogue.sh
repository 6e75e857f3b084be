#!/bin/sh
# catalogue.sh: the bad-input catalogue. Every row of every *.cases file
# given is one hostile or careless use of the CLI, run in a fresh folder
# holding a copy of the Comoros demo, and checked the same way:
#
#   - the exit status is the expected one (never a crash, never a hang:
#     each command runs under `timeout`);
#   - the expected message fragment is in what the command printed, and a
#     failure prints exactly one "accessim: error:" line;
#   - no file that existed before the command changed (inputs, scenario,
#     an older output), none disappeared, and no file appeared except the
#     output of a successful run: never a temporary (*.tmp-*) left behind.
#
# Usage: catalogue.sh ACCESSIM DEMO_DIR FILE.cases...
#
# Row format (one per line, fields separated by " | ", '#' starts a
# comment line):
#
#   name | exit | fragment | setup | command
#
#   name      unique, [a-z0-9_-]
#   exit      expected exit status (0, 1, 2, 130, ...)
#   fragment  fixed string expected in stdout+stderr ('-' for none)
#   setup     shell run in the case folder before the snapshot ('-' none)
#   command   shell run in the case folder; $AM is the accessim binary
#
# The case folder holds comores-latest.osm.pbf, com_ppp_2020_UNadj.tif,
# health.gpkg and s.yaml (the demo scenario, output out.h5). Setup and
# command may use the helpers below (scenario_set, corrupt_middle, ...).
# The folder is $W; $ROOT is a scratch folder outside it for things that
# must not be checked (mount points, logs).
set -u
AM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DEMO=$(cd "$2" && pwd)
shift 2
export AM DEMO

TOP=$(mktemp -d "${TMPDIR:-/tmp}/am-catalogue.XXXXXX")
trap 'rm -rf "$TOP"' EXIT INT TERM

helpers() {
    cat <<'EOF'
# --- helpers available to setup and command ---------------------------
# scenario_set KEY_LINE REPLACEMENT: replace the first line matching the
# extended regex KEY_LINE in s.yaml by REPLACEMENT (may hold \n).
scenario_set() { sed -i -E "0,/$1/s//$2/" s.yaml; }
# corrupt_middle FILE BYTES: overwrite BYTES bytes in the middle with a
# fixed junk pattern ("garbage\n" repeated), so every run is the same.
corrupt_middle() {
    size=$(stat -c %s "$1"); off=$((size / 2))
    yes garbage | head -c "$2" | dd of="$1" bs=1 seek="$off" conv=notrunc 2>/dev/null
}
# truncate_half FILE
truncate_half() { truncate -s $(($(stat -c %s "$1") / 2)) "$1"; }
# signal_at SIG TEXT CMD...: runs CMD, sends SIG once TEXT appears on
# its output, returns CMD's exit status (its output goes to stdout).
signal_at() {
    sig=$1; text=$2; shift 2
    log=$ROOT/signal.log; : > "$log"
    "$@" > "$log" 2>&1 &
    pid=$!
    i=0
    while ! grep -qF "$text" "$log" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || break
        i=$((i + 1)); [ $i -gt 6000 ] && break
        sleep 0.01
    done
    kill -s "$sig" "$pid" 2>/dev/null
    wait "$pid"; st=$?
    cat "$log"
    return $st
}
# early CMD...: runs CMD (without -q) and returns its exit status, or 99
# if it got as far as reading the roads: for errors that must be found
# before any heavy phase.
early() {
    "$@" > "$ROOT/early.log" 2>&1; st=$?
    cat "$ROOT/early.log"
    if grep -q 'reading roads' "$ROOT/early.log"; then
        echo "early: reached the roads phase before failing"
        return 99
    fi
    return $st
}
EOF
}

# Snapshot of every file under $1: "sha256  path" lines, sorted.
snapshot() {
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

pass=0
fail=0
names=""
for cases in "$@"; do
    lineno=0
    while IFS= read -r row || [ -n "$row" ]; do
        lineno=$((lineno + 1))
        case $row in '' | '#'*) continue ;; esac
        name=$(printf '%s' "$row" | awk -F' [|] ' '{print $1}')
        want=$(printf '%s' "$row" | awk -F' [|] ' '{print $2}')
        frag=$(printf '%s' "$row" | awk -F' [|] ' '{print $3}')
        setup=$(printf '%s' "$row" | awk -F' [|] ' '{print $4}')
        cmd=$(printf '%s' "$row" | awk -F' [|] ' '{for (i = 5; i <= NF; i++) printf "%s%s", (i > 5 ? " | " : ""), $i}')
        where="$(basename "$cases"):$lineno"
        if [ -z "$name" ] || [ -z "$want" ] || [ -z "$cmd" ]; then
            echo "FAIL $where: malformed row"
            fail=$((fail + 1))
            continue
        fi
        case " $names " in *" $name "*)
            echo "FAIL $where: duplicate case name '$name'"
            fail=$((fail + 1))
            continue ;;
        esac
        names="$names $name"

        ROOT=$TOP/$name
        W=$ROOT/w
        mkdir -p "$W"
        cp "$DEMO"/comores-latest.osm.pbf "$DEMO"/com_ppp_2020_UNadj.tif \
            "$DEMO"/health.gpkg "$W"/
        sed -e 's/^output: .*/output: out.h5/' "$DEMO"/comoros.yaml > "$W"/s.yaml
        helpers > "$ROOT"/helpers.sh
        export W ROOT

        why=""
        if [ "$setup" != "-" ]; then
            if ! (cd "$W" && . "$ROOT"/helpers.sh && eval "$setup") \
                > "$ROOT"/setup.log 2>&1; then
                why="setup failed: $(tail -n 3 "$ROOT"/setup.log)"
            fi
        fi
        if [ -z "$why" ] && grep -q '^SKIP' "$ROOT"/setup.log 2>/dev/null; then
            echo "skip $name: $(grep -m1 '^SKIP' "$ROOT"/setup.log)"
            rm -rf "$ROOT"
            continue
        fi
        if [ -z "$why" ]; then
            snapshot "$W" > "$ROOT"/before
            (cd "$W" && . "$ROOT"/helpers.sh && timeout -k 5 180 sh -c \
                ". '$ROOT/helpers.sh'; $cmd") > "$ROOT"/out 2>&1
            got=$?
            snapshot "$W" > "$ROOT"/after
            if [ "$got" = 124 ] || [ "$got" = 137 ]; then
                why="timed out (a hang)"
            elif [ "$got" != "$want" ]; then
                why="exit $got, expected $want"
            elif [ "$frag" != "-" ] && ! grep -qF -- "$frag" "$ROOT"/out; then
                why="message lacks '$frag'"
            elif [ "$want" != 0 ] && [ "$want" != 2 ] && [ "$want" != 130 ] &&
                [ "$(grep -c '^accessim: error:' "$ROOT"/out)" != 1 ]; then
                why="expected exactly one 'accessim: error:' line"
            fi
            if [ -z "$why" ]; then
                # Files present before must be unchanged.
                changed=$(awk 'NR == FNR { a[$2] = 1; next }
                    !($2 in a) { print $2 }' "$ROOT"/after "$ROOT"/before |
                    head -n 3)
                if ! awk 'NR == FNR { a[$2] = $1; next }
                          ($2 in a) && a[$2] != $1 { bad = 1 }
                          END { exit bad }' "$ROOT"/before "$ROOT"/after; then
                    why="an existing file changed"
                elif [ -n "$changed" ]; then
                    why="a file disappeared: $changed"
                fi
            fi
            if [ -z "$why" ]; then
                new=$(awk 'NR == FNR { a[$2] = 1; next } !($2 in a) { print $2 }' \
                    "$ROOT"/before "$ROOT"/after)
                for f in $new; do
                    case $f in
                    *.tmp-*) why="temporary left behind: $f" ;;
                    *) [ "$want" = 0 ] || why="file left behind: $f" ;;
                    esac
                done
            fi
        fi
        if [ -z "$why" ]; then
            echo "ok   $name"
            pass=$((pass + 1))
        else
            echo "FAIL $name ($where): $why"
            sed 's/^/     | /' "$ROOT"/out 2>/dev/null | tail -n 15
            fail=$((fail + 1))
        fi
        # unmount anything a case mounted under its scratch folder
        grep -F " $ROOT/" /proc/mounts 2>/dev/null | awk '{print $2}' |
            while read -r m; do umount "$m" 2>/dev/null; done
        rm -rf "$ROOT"
    done < "$cases"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
