#!/usr/bin/env bash
# scripts/check_includes.sh [ROOT]: the include rules that give each job one
# owner, checked on the sources under ROOT (default: this checkout).
#
#   1. libsodium and OpenSSL are reached through src/crypto/ only: no file of
#      src/ or include/ outside src/crypto/ includes <sodium.h>, <sodium/...>
#      or <openssl/...> (crypto.h includes neither, so a caller that needs
#      something new adds a cry_ function instead).
#   2. The engine stays liftable: src/wasm/ and include/kapsule_wasm.h
#      include the C standard library, wasm/... and kapsule_wasm.h only.
#
# Prints every violation as FILE:LINE: text and exits 1 if there is any.
# Run by "make check-includes" and by tests/cli/includes.sh ("make test").
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
bad=0

# An include line, whatever the spacing and quotes: '#  include <x>'.
inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*'

crypto_libs=$(grep -rnE --include='*.c' --include='*.h' \
    "$inc[<\"](sodium\.h|sodium/|openssl/)" src include 2>/dev/null |
    grep -v '^src/crypto/')
if [ -n "$crypto_libs" ]; then
    echo "libsodium or OpenSSL included outside src/crypto/ (use crypto/crypto.h):"
    echo "$crypto_libs" | sed 's/^/  /'
    bad=1
fi

# C11's standard headers (7.1.2): all the engine may take from outside.
libc='assert|complex|ctype|errno|fenv|float|inttypes|iso646|limits|locale|math|setjmp|signal|stdalign|stdarg|stdatomic|stdbool|stddef|stdint|stdio|stdlib|stdnoreturn|string|tgmath|threads|time|uchar|wchar|wctype'
engine=$(grep -rnE --include='*.c' --include='*.h' "$inc" src/wasm include/kapsule_wasm.h \
    2>/dev/null |
    grep -vE "^[^:]+:[0-9]+:${inc#^}(<($libc)\.h>|\"wasm/[A-Za-z0-9_]+\.h\"|\"kapsule_wasm\.h\")[[:space:]]*(/[*/].*)?$")
if [ -n "$engine" ]; then
    echo "the engine (src/wasm/) includes more than libc and its own headers:"
    echo "$engine" | sed 's/^/  /'
    bad=1
fi

[ "$bad" -eq 0 ] && echo "includes ok"
exit "$bad"
