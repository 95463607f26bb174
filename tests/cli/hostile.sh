# hostile.sh: modules written to hurt the host end in a clean error or trap
# with their own code, never a crash: deep recursion under a tiny C stack,
# 10^5 locals, a huge br_table, memory.grow loops, runaway loops.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

wat() { # name: wat text on stdin -> $T/name.wasm
    cat >"$T/$1.wat"
    wat2wasm "$T/$1.wat" -o "$T/$1.wasm" 2>>"$ERR"
}

wat deep <<'W'
(module (func $f (export "f") (param i32) (result i32)
  (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
    (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1))))))))
W
expect_err "deep recursion with a 256 KiB C stack" "^kapsule: E_TRAP_CALL_DEPTH: call stack exhausted" 1 \
    bash -c "ulimit -s 256; exec \"\$0\" exec \"\$1\" f i32:100000000" "$KAPSULE" "$T/deep.wasm"

# a frame of 10^5 locals: over the default limit of 50,000 locals
$PY - "$T/locals.wat" <<'P'
import sys
n = 100000
open(sys.argv[1], "w").write('(module (func (export "f") (result i32) (local %s) (local.get 99999)))' % " ".join(["i32"] * n))
P
wat2wasm "$T/locals.wat" -o "$T/locals.wasm"
expect_err "10^5 locals are refused" "^kapsule: E_WASM_LIMIT_LOCALS: .*at byte [0-9]+" 1 "$KAPSULE" exec "$T/locals.wasm" f

# recursion with big frames (40,000 locals each) exhausts the value stack
$PY - "$T/bigframe.wat" <<'P'
import sys
open(sys.argv[1], "w").write('(module (func $f (export "f") (param i32) (result i32) (local %s)'
  ' (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))'
  ' (else (call $f (i32.sub (local.get 0) (i32.const 1)))))))' % " ".join(["i64"] * 40000))
P
wat2wasm "$T/bigframe.wat" -o "$T/bigframe.wasm"
expect_err "big frames exhaust the value stack" "^kapsule: E_TRAP_STACK_OVERFLOW: " 1 "$KAPSULE" exec "$T/bigframe.wasm" f i32:1000

# a br_table of 200,000 targets: over the limit of 100,000
$PY - "$T/brt.wat" <<'P'
import sys
n = 200000
open(sys.argv[1], "w").write('(module (func (export "f") (param i32) (block (br_table %s (local.get 0)))))' % " ".join(["0"] * n))
P
wat2wasm "$T/brt.wat" -o "$T/brt.wasm"
expect_err "huge br_table is refused" "^kapsule: E_WASM_LIMIT_BR_TABLE: .*at byte [0-9]+" 1 "$KAPSULE" exec "$T/brt.wasm" f i32:0

wat grow <<'W'
(module (memory 1)
  (func (export "f") (result i32) (local i32)
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (memory.size)))
W
expect_out "memory.grow loop stops at the page limit" "i32:64" "$KAPSULE" exec --max-pages 64 "$T/grow.wasm" f
expect_err "memory.grow loop under fuel" "^kapsule: E_TRAP_OUT_OF_FUEL: " 1 "$KAPSULE" exec --fuel 5000 "$T/grow.wasm" f

wat spin <<'W'
(module (func (export "f") (loop $l (br $l))))
W
expect_err "runaway loop ends in the fuel trap" "^kapsule: E_TRAP_OUT_OF_FUEL: " 1 "$KAPSULE" exec --fuel 1000000 "$T/spin.wasm" f
finish
