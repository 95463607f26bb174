# tests/cli/lib.sh: sourced by the command tests in tests/cli/*.sh.
#
#   expect_ok   NAME CMD...        CMD exits 0
#   expect_exit NAME N CMD...      CMD exits N
#   expect_out  NAME WANT CMD...   CMD exits 0 and its stdout equals WANT
#   expect_err  NAME PATTERN N CMD...  CMD exits N and stderr matches PATTERN (grep -E)
#   check       NAME CONDITION...  a shell test ([ ... ] or any command)
#   skip        NAME WHY
#   finish                         prints "#totals P F S" (call last)
#
# $KAPSULE is the command under test; $T is a fresh temporary folder that is
# removed at exit; $KAPSULE_HOME points into it so that no test touches the
# user's store.
set -u
: "${KAPSULE:=$PWD/build/kapsule}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export KAPSULE_HOME="$T/home"
_P=0 _F=0 _S=0
OUT="$T/.out" ERR="$T/.err"

_ok() { echo "ok $1"; _P=$((_P + 1)); }
_no() { echo "not ok $1: $2"; _F=$((_F + 1)); }

expect_ok() {
    local n=$1; shift
    if "$@" >"$OUT" 2>"$ERR"; then _ok "$n"; else _no "$n" "exit $? ($(head -c 300 "$ERR"))"; fi
}
expect_exit() {
    local n=$1 want=$2; shift 2
    "$@" >"$OUT" 2>"$ERR"
    local rc=$?
    if [ "$rc" -eq "$want" ]; then _ok "$n"; else _no "$n" "exit $rc, wanted $want ($(head -c 300 "$ERR"))"; fi
}
expect_out() {
    local n=$1 want=$2; shift 2
    if ! "$@" >"$OUT" 2>"$ERR"; then _no "$n" "exit $? ($(head -c 300 "$ERR"))"; return; fi
    if [ "$(cat "$OUT")" = "$want" ]; then _ok "$n"; else _no "$n" "got '$(head -c 300 "$OUT")', wanted '$want'"; fi
}
expect_err() {
    local n=$1 pat=$2 want=$3; shift 3
    "$@" >"$OUT" 2>"$ERR"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then _no "$n" "exit $rc, wanted $want ($(head -c 300 "$ERR"))"; return; fi
    if grep -Eq -- "$pat" "$ERR"; then _ok "$n"; else _no "$n" "stderr '$(head -c 300 "$ERR")' does not match '$pat'"; fi
}
check() {
    local n=$1; shift
    if "$@"; then _ok "$n"; else _no "$n" "condition failed: $*"; fi
}
skip() { echo "skip $1: $2"; _S=$((_S + 1)); }
finish() { echo "#totals $_P $_F $_S"; }
