#!/usr/bin/env bash
# tests/run.sh: runs every test program of the build in $BUILD and adds up
# their "#totals P F S" lines. Each program's failures are shown; the last
# line is "N passed, N failed, N skipped". Exit status 1 if anything failed.
#
#   unit tests       $BUILD/tests/*_test
#   spec suite       $BUILD/tests/spec/spec_run over ../shared/wasm-spec
#   corpus replay    $BUILD/tests/replay/<kind>_fuzz over tests/corpus/<kind>/
#   command tests    tests/cli/*.sh (run against $BUILD/kapsule)
#
# TESTS=pattern runs only the programs whose name contains the pattern.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
export KAPSULE="$PWD/$BUILD/kapsule"
export KAPSULE_SPEC_DIR=${KAPSULE_SPEC_DIR:-$PWD/../shared/wasm-spec}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pattern=${TESTS:-}
P=0 F=0 S=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() { # name, command...
    local name=$1; shift
    if [ -n "$pattern" ] && [[ "$name" != *"$pattern"* ]]; then return; fi
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local tot
    tot=$(grep -E '^#totals [0-9]+ [0-9]+ [0-9]+$' "$log" | tail -1)
    local p=0 f=0 s=0
    if [ -n "$tot" ]; then
        read -r _ p f s <<<"$tot"
    fi
    if [ -z "$tot" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
        # crashed or ended without a summary: one failure, show the tail
        f=$((f + 1))
        echo "FAIL $name: exit $rc without a clean summary" >&2
        tail -n 20 "$log" | sed 's/^/    /' >&2
    fi
    grep -E '^(not ok|FAIL)' "$log" | head -n 40 | sed "s/^/    /"
    printf '%-34s %6d passed %4d failed %5d skipped  %3ds\n' "$name" "$p" "$f" "$s" $((SECONDS - start))
    P=$((P + p)) F=$((F + f)) S=$((S + s))
}

for t in "$BUILD"/tests/*_test; do
    [ -x "$t" ] || continue
    run_one "unit/$(basename "$t")" "$t"
done

if [ -x "$BUILD/tests/spec/spec_run" ]; then
    run_one "spec" "$BUILD/tests/spec/spec_run" "$KAPSULE_SPEC_DIR"
fi

for r in "$BUILD"/tests/replay/*_fuzz; do
    [ -x "$r" ] || continue
    kind=$(basename "$r" _fuzz)
    run_one "corpus/$kind" "$r" "tests/corpus/$kind"
done

for c in tests/cli/*.sh; do
    [ -f "$c" ] || continue
    case "$c" in */lib.sh) continue ;; esac
    run_one "cli/$(basename "$c" .sh)" bash "$c"
done

echo "$P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
