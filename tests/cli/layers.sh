# layers.sh: scripts/check_layers.sh passes on this checkout and catches an
# include against the layer table planted, one at a time, in a copy of it.
. "$(dirname "$0")/lib.sh"
CHECK="$PWD/scripts/check_layers.sh"

expect_out "this checkout keeps the layer table" "layers ok" "$CHECK" "$PWD"

# plant NAME FILE LINE: FILE gets LINE at its top in a fresh copy of the
# tree; the check must fail and name FILE.
plant() {
    local name=$1 file=$2 line=$3
    rm -rf "$T/tree" && mkdir -p "$T/tree" && cp -r src include "$T/tree/" || return
    { printf '%s\n' "$line"; cat "$file"; } >"$T/tree/$file"
    expect_exit "$name is refused" 1 "$CHECK" "$T/tree"
    check "$name: the report names $file" grep -q "^  $file:1:" "$OUT"
}
plant "a lower layer including a higher one (store -> runtime)" src/store/db.c '#include "runtime/runtime.h"'
plant "cbor including capsule" src/cbor/decode.c '#include "capsule/capsule.h"'
plant "host including the store" src/host/run.c '#include "store/store.h"'
plant "a CLI file taking a new internal header" src/cli/dag.c '#include "store/store.h"'
plant "a CLI file growing its debt" src/cli/results.c '#  include "util/error.h"'
plant "util including anything" src/util/buf.c '#include "cbor/cbor.h"'
plant "a public header including an internal one" include/kapsule.h '#include "util/buf.h"'
rm -rf "$T/tree" && mkdir -p "$T/tree/src/newlayer" && cp -r src include "$T/tree/"
echo '/* x */' >"$T/tree/src/newlayer/x.c"
expect_exit "a folder outside the table is refused" 1 "$CHECK" "$T/tree"
# what the table allows passes
rm -rf "$T/tree" && mkdir -p "$T/tree" && cp -r src include "$T/tree/"
{ echo '#include "log/log.h"'; cat src/runtime/relay.c; } >"$T/tree/src/runtime/relay.c"
expect_out "runtime may include the log" "layers ok" "$CHECK" "$T/tree"
# a debt paid off must leave the list: the results verb without crypto/
rm -rf "$T/tree" && mkdir -p "$T/tree" && cp -r src include "$T/tree/"
grep -v '"crypto/crypto.h"' src/cli/results.c >"$T/tree/src/cli/results.c"
expect_exit "a stale debt entry is refused" 1 "$CHECK" "$T/tree"
check "the report names the stale entry" grep -q "DEBT src/cli/results.c crypto" "$OUT"
finish
