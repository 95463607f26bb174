#!/usr/bin/env bash
# bench/run.sh: make bench. Builds the kernels of bench/kernels/ twice from
# the same source (clang -O2 native, clang -O2 wasm32), builds the
# benchmark programs against the library in $BUILD, and runs them. Every
# figure is printed as a table; speed is reported as a ratio to native
# code measured in the same run. LOG_BENCH_N sets the audit log size (10^6);
# INGEST_BENCH_N scales the ingest counts (1000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT="$BUILD/bench"
mkdir -p "$OUT/wasm" "$OUT/native"
CFLAGS_NATIVE="-O2 -std=c11 -Wall -Wextra -Werror"
WASMFLAGS="--target=wasm32 -O2 -nostdlib -ffreestanding -Wall -Wextra -Werror -Wl,--no-entry -Wl,-z,stack-size=65536"
objs=()
for src in bench/kernels/*.c; do
    k=$(basename "$src" .c)
    clang $WASMFLAGS -o "$OUT/wasm/$k.wasm" "$src"
    clang $CFLAGS_NATIVE -DBENCH_NAME="bench_$k" -c -o "$OUT/native/$k.o" "$src"
    objs+=("$OUT/native/$k.o")
done
LIBS="-lsodium -lcrypto -lsqlite3 -ljansson -lm"
clang -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc \
    -o "$OUT/engine_bench" bench/engine_bench.c "${objs[@]}" "$BUILD/libkapsule.a" $LIBS

echo "== engine: time / native (same source, clang -O2, same run; best of 3) =="
"$OUT/engine_bench" "$OUT/wasm"

# The other benchmarks are single programs against the library.
for b in host capsule log ingest; do
    clang -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc \
        -o "$OUT/${b}_bench" "bench/${b}_bench.c" "$BUILD/libkapsule.a" $LIBS
done
echo
echo "== host calls: guest -> host -> guest round trip (ns per call) =="
"$OUT/host_bench"
echo
echo "== capsules: pack and verify per body size =="
"$OUT/capsule_bench"
echo
echo "== audit log: appends and proofs up to 10^6 entries =="
"$OUT/log_bench" "${LOG_BENCH_N:-1000000}"
echo
echo "== ingest: capsules per second, store on disk (one commit each, and batched) =="
"$OUT/ingest_bench" "${INGEST_BENCH_N:-1000}" "$BUILD/guest/trust.wasm"
