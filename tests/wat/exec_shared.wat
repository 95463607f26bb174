;; exec_shared.wat: imports a memory, a table and a mutable global, to check
;; that growth and writes are seen on both sides.
(module
  (import "a" "mem" (memory 1))
  (import "a" "tab" (table 4 funcref))
  (import "a" "g64" (global $g (mut i64)))
  (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "bump") (global.set $g (i64.add (global.get $g) (i64.const 1))))
  (func (export "tsize") (result i32) (table.size 0))
)
