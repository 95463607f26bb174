#!/usr/bin/env bash
# tests/cli/install.sh: make install into a temporary prefix installs the
# command, the libraries (SONAME libkapsule.so.MAJOR), the headers,
# kapsule.pc, the man page and the completion; a program built with
# `pkg-config --cflags --libs kapsule` against the installed copy runs
# (shared and static); make uninstall leaves nothing behind (issue 19).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD:-build}
P="$T/prefix"
if ! command -v pkg-config >/dev/null; then
    skip "install" "pkg-config is not installed (scripts/setup.sh installs it)"
    finish
    exit 0
fi
expect_ok "make install PREFIX=$P" make -s -C "$ROOT" BUILD="$B" PREFIX="$P" install
ver=$(sed -n 's/^#define KP_VERSION "\(.*\)"/\1/p' "$ROOT/include/kapsule.h")
for f in bin/kapsule lib/libkapsule.a "lib/libkapsule.so.$ver" lib/libkapsule.so.0 lib/libkapsule.so \
    include/kapsule.h include/kapsule_errors.h include/kapsule_wasm.h lib/pkgconfig/kapsule.pc \
    share/man/man1/kapsule.1 share/bash-completion/completions/kapsule; do
    check "installs $f" [ -e "$P/$f" ]
done
check "the shared library's SONAME is libkapsule.so.0" sh -c "readelf -d '$P/lib/libkapsule.so.$ver' | grep -q 'SONAME.*\[libkapsule.so.0\]'"
check "the man page has a section per verb" sh -c "grep -c '^.SH \"KAPSULE ' '$P/share/man/man1/kapsule.1' | grep -qE '^(1[5-9]|[2-9][0-9])$'"
check "the completion is valid bash" bash -n "$P/share/bash-completion/completions/kapsule"
check "the completion knows the verbs" bash -c ". '$P/share/bash-completion/completions/kapsule'; COMP_WORDS=(kapsule in); COMP_CWORD=1; _kapsule; echo \"\${COMPREPLY[*]}\" | grep -q 'ingest inspect'"

cat >"$T/hello.c" <<'CEOF'
#include <stdio.h>
#include <string.h>
#include <kapsule.h>
int main(void)
{
    kp_key *k;
    kp_error e;
    if (kp_key_generate(KP_ALG_ED25519, &k, &e) != KP_OK) return 1;
    char id[KP_KEY_ID_MAX];
    size_t n;
    const uint8_t *pk = kp_key_public(k, &n);
    if (kp_key_id_format(KP_ALG_ED25519, pk, n, id, &e) != KP_OK) return 1;
    printf("%s %s\n", kp_version(), strncmp(id, "ed25519:", 8) == 0 ? "ok" : id);
    kp_key_free(k);
    return strcmp(kp_version(), KP_VERSION) != 0;
}
CEOF
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
san=""
nm -D "$P/lib/libkapsule.so" 2>/dev/null | grep -q __asan_init && san="-fsanitize=address,undefined"
expect_ok "builds against the installed copy with pkg-config" sh -c "cc $san -o '$T/hello' '$T/hello.c' \$(pkg-config --cflags --libs kapsule)"
expect_out "runs on the installed shared library" "$ver ok" env LD_LIBRARY_PATH="$P/lib" "$T/hello"
check "links libkapsule.so.0" sh -c "readelf -d '$T/hello' | grep -q 'NEEDED.*libkapsule.so.0'"
expect_ok "builds statically with pkg-config --static" sh -c "cc $san -o '$T/hello-static' '$T/hello.c' '$P/lib/libkapsule.a' \$(pkg-config --cflags --libs --static kapsule | sed 's/-lkapsule//')"
expect_out "runs statically linked" "$ver ok" "$T/hello-static"
expect_out "the installed command runs" "kapsule $ver" "$P/bin/kapsule" version
expect_ok "make uninstall" make -s -C "$ROOT" BUILD="$B" PREFIX="$P" uninstall
check "uninstall leaves no file behind" [ -z "$(find "$P" -type f -o -type l)" ]
finish
