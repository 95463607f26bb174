# exec.sh: kapsule exec: arguments, results, traps, bad modules, fuel, and C
# programs compiled to wasm32 giving the same results as natively.
. "$(dirname "$0")/lib.sh"
W="$PWD/$BUILD/wat"

expect_out "add" "i32:42" "$KAPSULE" exec "$W/exec_basic.wasm" add i32:40 i32:2
expect_out "signed arguments print unsigned" "i32:4294967293" "$KAPSULE" exec "$W/exec_basic.wasm" div i32:-7 i32:2
expect_out "i64 result" "i64:2432902008176640000" "$KAPSULE" exec "$W/exec_basic.wasm" fac i64:20
expect_out "multi-value" "i64:5
i32:7" "$KAPSULE" exec "$W/exec_basic.wasm" swap i32:7 i64:5
expect_out "f32 by value and by bits" "f32:0x3f000000" "$KAPSULE" exec "$W/exec_basic.wasm" f32div f32:1 f32:0x40000000
expect_out "f64 bit patterns survive" "f64:0xfff4000000000001" "$KAPSULE" exec "$W/exec_basic.wasm" f64neg f64:0x7ff4000000000001
expect_out "canonical NaN from arithmetic" "f32:0x7fc00000" "$KAPSULE" exec "$W/exec_basic.wasm" f32div f32:0 f32:0

expect_err "trap kind and message" "^kapsule: E_TRAP_DIV_ZERO: integer divide by zero" 1 "$KAPSULE" exec "$W/exec_basic.wasm" div i32:1 i32:0
expect_err "memory trap" "^kapsule: E_TRAP_MEMORY_OOB: " 1 "$KAPSULE" exec "$W/exec_basic.wasm" load i32:65535
expect_err "unknown function" "E_NOT_FOUND: .*no function called 'nope'" 1 "$KAPSULE" exec "$W/exec_basic.wasm" nope
expect_err "missing file" "^kapsule: E_NO_FILE: " 3 "$KAPSULE" exec "$T/none.wasm" f
head -c 20 "$W/exec_basic.wasm" >"$T/trunc.wasm"
expect_err "truncated module names the offset" "^kapsule: E_WASM_[A-Z_]+: .*at byte [0-9]+" 1 "$KAPSULE" exec "$T/trunc.wasm" add
printf 'not wasm' >"$T/junk.wasm"
expect_err "bad magic" "^kapsule: E_WASM_MAGIC: .*at byte 0" 1 "$KAPSULE" exec "$T/junk.wasm" add

expect_exit "needs FUNC" 2 "$KAPSULE" exec "$W/exec_basic.wasm"
expect_err "argument count" "takes 2 arguments \(i32 i32\), 1 given" 2 "$KAPSULE" exec "$W/exec_basic.wasm" add i32:1
expect_exit "argument type" 2 "$KAPSULE" exec "$W/exec_basic.wasm" add i64:1 i32:2
expect_exit "argument value" 2 "$KAPSULE" exec "$W/exec_basic.wasm" add i32:abc i32:2
expect_exit "i32 out of range" 2 "$KAPSULE" exec "$W/exec_basic.wasm" add i32:4294967296 i32:0
expect_exit "unknown option" 2 "$KAPSULE" exec --frobnicate "$W/exec_basic.wasm" add i32:1 i32:2

# fuel: sum(n) costs 17 + 12 n (see tests/unit/wasm_exec_test.c)
expect_err "out of fuel" "^kapsule: E_TRAP_OUT_OF_FUEL: " 1 "$KAPSULE" exec --fuel 52 "$W/exec_basic.wasm" sum i32:3
expect_out "exactly enough fuel" "i32:6" "$KAPSULE" exec --fuel 53 "$W/exec_basic.wasm" sum i32:3
"$KAPSULE" exec --stats "$W/exec_basic.wasm" sum i32:3 >"$OUT" 2>"$ERR"
check "stats print fuel used" grep -qx "fuel used: 53" "$ERR"
check "stats print peak memory" grep -qx "peak memory: 65536 bytes" "$ERR"

# C programs: the bench kernels, built natively and for wasm32 from one source
K=bench/kernels
for spec in fib:20 sieve:1 matmul:2 sha256:3 nbody:1000 quicksort:1 vm:1000 memcpy:10; do
    k=${spec%%:*} n=${spec#*:}
    if ! clang --target=wasm32 -O2 -nostdlib -ffreestanding -Wl,--no-entry -Wl,-z,stack-size=65536 \
        -o "$T/$k.wasm" "$K/$k.c" 2>"$ERR" ||
        ! cc -O2 -DBENCH_NAME=bench_run -o "$T/$k" "$K/$k.c" tests/cli/data/native_main.c -lm 2>"$ERR"; then
        _no "C program $k builds" "$(head -c 300 "$ERR")"
        continue
    fi
    want=$("$T/$k" "$n")
    expect_out "C program $k: wasm32 result equals native" "$want" "$KAPSULE" exec "$T/$k.wasm" bench_run "i32:$n"
done
# issue 19: options anywhere (the README wrote --fuel after the file and
# got a usage error), plain numbers where the signature says the type, --
# ending the options, and a negative plain number as an argument
W="${BUILD:-build}/wat/exec_basic.wasm"
expect_out "options after the file and plain numbers" "i32:5" "$KAPSULE" exec "$W" add 2 3 --fuel 1000 --stats
expect_out "typed and plain arguments mixed" "i32:4294967295" "$KAPSULE" exec "$W" add i32:-3 2
expect_out "a negative plain number is an argument" "i32:4294967294" "$KAPSULE" exec --fuel=100 "$W" add -5 3
expect_out "-- ends the options" "i32:1" "$KAPSULE" exec -- "$W" add 0 1
expect_exit "an unknown option anywhere is a usage error" 2 "$KAPSULE" exec "$W" add 1 2 --frob
expect_exit "a plain value of the wrong shape is a usage error" 2 "$KAPSULE" exec "$W" add 1.5 2
expect_out "fac 20 with options last" "i64:2432902008176640000" "$KAPSULE" exec "$W" fac 20 --no-metering
finish
