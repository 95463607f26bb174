#!/usr/bin/env bash
# scripts/setup.sh: makes a fresh Debian bookworm machine ready, builds
# kapsule and runs the main job (make demo). Idempotent and
# non-interactive; run it as root or as a user with sudo.
#
#   scripts/setup.sh            install, build, run the demo
#   scripts/setup.sh --no-demo  install and build only
#
# Every package the build, the tests, the fuzzers, the benchmarks and the
# demo need is listed here and nowhere else.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    build-essential pkg-config git ca-certificates   # C toolchain (gcc, make)
    clang lld libclang-rt-14-dev                      # clang build, wasm32 guests, libFuzzer, sanitizers
    libsodium-dev                                     # Ed25519, X25519, ChaCha20-Poly1305, SHA-2
    libssl-dev                                        # ECDSA P-256 / secp256k1, HKDF (libcrypto)
    libsqlite3-dev sqlite3                            # the store
    libjansson-dev                                    # JSON (policies, --json, spec runner)
    wabt                                              # wat2wasm for .wat test modules
    wasi-libc libclang-rt-14-dev-wasm32               # a wasm32-wasi printf program as a guest (tests)
    age                                               # interop peer for encrypted bodies
    python3 python3-cbor2 python3-cryptography        # interop peers for CBOR and signatures
    ruby-cose                                         # third-party COSE library: checks our envelopes
)

demo=1
for a in "$@"; do
    case "$a" in
    --no-demo) demo=0 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs"
if [ "$demo" -eq 1 ]; then
    make demo
fi
