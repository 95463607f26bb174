#!/usr/bin/env bash
# scripts/check_exports.sh LIB.so: only the public API leaves the shared
# library: every defined dynamic symbol is kp_* or kw_* (and the linker's
# own). Internal cross-file functions are hidden (-fvisibility=hidden).
# Run by "make check-exports" and by tests/cli/exports.sh ("make test").
set -u
lib=${1:?usage: check_exports.sh LIB.so}
syms=$(nm -D --defined-only "$lib") || exit 2
bad=$(echo "$syms" | awk '{print $3}' |
    grep -v -E '^(kp_|kw_|_init$|_fini$|_edata$|_end$|__bss_start$)' || true)
if [ -n "$bad" ]; then
    echo "unexpected exports:"
    echo "$bad"
    exit 1
fi
echo "exports ok"
