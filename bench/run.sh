#!/usr/bin/env bash
# bench/run.sh: make bench. Builds the kernels of bench/kernels/ twice from
# the same source (clang -O2 native, clang -O2 wasm32), builds the
# benchmark programs against the library in $BUILD, and runs them. Every
# figure is printed as a table; speed is reported as a ratio to native
# code measured in the same run.
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
