;; regress_invoke_flood.wat: issue 11, defect 1. kapsule_run invokes its
;; own module's "flood", which invokes "noop" in a loop with N bytes of
;; arguments each time (N: the 4 bytes after "FLOODLEN", 64 KiB as built;
;; the test patches it to land the cap at every place in a record). Every entry recorded inside the outer invoke waits
;; in the nested-call buffer, so the loop fills the transcript past its
;; 64 MiB cap; the record must end the whole run with
;; E_HOST_LIMIT, and never leave half a record to be copied out later.
(module
  (import "kapsule" "invoke"
    (func $invoke (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "kapsule" "module_self" (func $self (param i32) (result i32)))
  (memory (export "memory") 4)
  (data (i32.const 64) "flood")
  (data (i32.const 80) "noop")
  (data (i32.const 88) "FLOODLEN\00\00\01\00")
  (global $flood_ret (mut i32) (i32.const 0))
  ;; the callee's argument room: every instance copies its args here
  (func (export "kapsule_alloc") (param i32) (result i32) (i32.const 65536))
  (func (export "kapsule_run") (result i32)
    (drop (call $self (i32.const 0)))
    ;; the outer invoke's own result is ignored, as a careless or hostile
    ;; caller would: the run must still end with the record's failure
    (drop (call $invoke (i32.const 0) (i32.const 64) (i32.const 5)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i32.const 0))
  (func (export "flood") (param i32 i32) (result i64) (local $i i32)
    (drop (call $self (i32.const 0)))
    (loop $l
      (drop (call $invoke (i32.const 0) (i32.const 80) (i32.const 4)
        (i32.const 131072) (i32.load (i32.const 96)) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100000))))
    (i64.const 0))
  (func (export "noop") (param i32 i32) (result i64) (i64.const 0))
)
