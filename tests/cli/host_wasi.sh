# host_wasi.sh: an ordinary wasm32-wasi C program (printf, exit status)
# runs as logic: its stdio calls map to the "log" capability and its exit
# to "proc_exit". Needs clang's wasm32-wasi target (wasi-libc and
# libclang-rt-14-dev-wasm32, from scripts/setup.sh).
. "$(dirname "$0")/lib.sh"

printf '\0asm\1\0\0\0' >"$T/empty.wasm"
if ! "$KAPSULE" policy explain "$T/empty.wasm" >/dev/null 2>&1; then
    skip "wasi program" "the wasm decoder has not landed"
    finish
    exit 0
fi
cat >"$T/hello.c" <<'EOF2'
#include <stdio.h>
int main(void)
{
    printf("hello from wasi, %d\n", 42);
    fprintf(stderr, "and a warning\n");
    return 3;
}
EOF2
if ! clang --target=wasm32-wasi -O2 -o "$T/hello.wasm" "$T/hello.c" 2>"$T/cc.log"; then
    skip "wasi program" "no wasm32-wasi sysroot ($(head -c 200 "$T/cc.log"))"
    finish
    exit 0
fi
cat >"$T/p.json" <<'EOF2'
{"kapsule_policy": 1, "grants": [{"name": "wasi", "module": "*", "capabilities": ["log", "proc_exit"]}]}
EOF2
expect_exit "without a policy it does not link" 1 "$KAPSULE" run "$T/hello.wasm"
check "because of log" grep -q 'needs capability "log"' "$ERR"
expect_exit "it runs, and its exit status 3 rejects" 1 "$KAPSULE" run "$T/hello.wasm" --policy "$T/p.json"
check "stdout is logged at info" grep -q '^0 1 hello from wasi, 42$' "$OUT"
check "stderr is logged at error" grep -q '^0 3 and a warning$' "$OUT"
check "the exit status is the verdict" grep -q '^verdict     reject (nonzero exit status)' "$OUT"
check "returned 3" grep -q '^returned    3$' "$OUT"
finish
