# includes.sh: scripts/check_includes.sh passes on this checkout and catches
# each kind of violation planted, one at a time, in a copy of it (a check
# that cannot fail would pass on anything).
. "$(dirname "$0")/lib.sh"
CHECK="$PWD/scripts/check_includes.sh"

expect_out "this checkout keeps the include rules" "includes ok" "$CHECK" "$PWD"

# plant NAME FILE LINE: FILE (under src/ or include/) gets LINE at its top in
# a fresh copy of the tree; the check must fail and name FILE.
plant() {
    local name=$1 file=$2 line=$3
    rm -rf "$T/tree" && mkdir -p "$T/tree" && cp -r src include "$T/tree/" || return
    { printf '%s\n' "$line"; cat "$file"; } >"$T/tree/$file"
    expect_exit "$name is refused" 1 "$CHECK" "$T/tree"
    check "$name: the report names $file" grep -q "^  $file:1:" "$OUT"
}
plant "sodium.h in the log" src/log/hash.c '#include <sodium.h>'
plant "an OpenSSL header in the CLI, spaced" src/cli/run.c '  #  include <openssl/evp.h>'
plant "sodium.h in quotes in a header" src/host/map.h '#include "sodium.h"'
plant "a sodium/ header" src/runtime/ingest.c '#include <sodium/crypto_hash_sha256.h>'
plant "sodium.h in the public API" include/kapsule.h '#include <sodium.h>'
plant "crypto in the engine" src/wasm/decode.c '#include "crypto/crypto.h"'
plant "a non-libc header in the engine" src/wasm/read.h '#include <sqlite3.h>'
plant "a kapsule header in the engine API" include/kapsule_wasm.h '#include "kapsule.h"'

# src/crypto/ is where the libraries belong
rm -rf "$T/tree" && mkdir -p "$T/tree" && cp -r src include "$T/tree/"
{ echo '#include <openssl/evp.h>'; cat src/crypto/random.c; } >"$T/tree/src/crypto/random.c"
expect_out "src/crypto/ may include them" "includes ok" "$CHECK" "$T/tree"
finish
