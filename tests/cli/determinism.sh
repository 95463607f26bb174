# determinism.sh: every export of every core spec module, run with fixed
# inputs by two builds of the engine (gcc -O2 and clang -O0), gives the same
# results, traps, fuel and final memory, bit for bit.
. "$(dirname "$0")/lib.sh"
SPEC=${KAPSULE_SPEC_DIR:-../shared/wasm-spec}
if [ ! -d "$SPEC/core" ]; then
    skip "determinism" "no spec suite at $SPEC"
    finish
    exit 0
fi
ok=1
for v in "gcc -O2" "clang -O0"; do
    set -- $v
    b="build/det/$1$2"
    if ! make -s BUILD="$b" CC="$1" OPT="$2" SAN= "$b/tests/tools/wasm_runall" >"$T/make.log" 2>&1; then
        _no "build with $1 $2" "$(tail -c 300 "$T/make.log")"
        ok=0
        continue
    fi
    "$b/tests/tools/wasm_runall" "$SPEC/core" >"$T/out-$1$2" 2>&1
done
if [ "$ok" = 1 ]; then
    lines=$(wc -l <"$T/out-gcc-O2")
    check "the run covers the suite ($lines lines)" [ "$lines" -gt 5000 ]
    calls=$(grep -c ' rc 0 fuel ' "$T/out-gcc-O2")
    check "many calls succeed ($calls)" [ "$calls" -gt 2000 ]
    if cmp -s "$T/out-gcc-O2" "$T/out-clang-O0"; then
        _ok "gcc -O2 and clang -O0 agree bit for bit"
    else
        _no "gcc -O2 and clang -O0 agree bit for bit" "$(diff "$T/out-gcc-O2" "$T/out-clang-O0" | head -5 | tr '\n' ' ')"
    fi
fi
finish
