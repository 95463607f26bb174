;; exec_host.wat: a module that calls host functions and is called back.
(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (import "env" "fail" (func $fail (param i32)))
  (import "env" "reenter" (func $reenter (param i32) (result i32)))
  (memory (export "mem") 1)
  (func (export "use_twice") (param i32) (result i32) (call $twice (i32.add (local.get 0) (i32.const 1))))
  (func (export "use_fail") (param i32) (call $fail (local.get 0)))
  (func $down (export "down") (param i32) (result i32)
    ;; calls the host, which calls down(n - 1): wasm -> host -> wasm ...
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $reenter (i32.sub (local.get 0) (i32.const 1)))))))
)
