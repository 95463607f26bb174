# exports.sh: only kp_* and kw_* leave libkapsule.so (scripts/check_exports.sh),
# and the check refuses a library that exports anything else.
. "$(dirname "$0")/lib.sh"
CHECK="$PWD/scripts/check_exports.sh"
LIB="${BUILD:-build}/libkapsule.so"
expect_out "libkapsule.so exports the public API only" "exports ok" "$CHECK" "$LIB"
printf 'int kp_fine(void) { return 1; }\nint store_leak(void) { return 2; }\n' >"$T/x.c"
if cc -shared -fPIC -o "$T/x.so" "$T/x.c" 2>/dev/null; then
    expect_exit "a library exporting an internal name is refused" 1 "$CHECK" "$T/x.so"
    check "the report names it" grep -q '^store_leak$' "$OUT"
else
    skip "a planted export" "no C compiler for a shared object"
fi
finish
