#!/usr/bin/env bash
# scripts/check_layers.sh [ROOT]: the layer table of DESIGN.md, checked on
# the sources under ROOT (default: this checkout). A file of src/<layer>/
# may include its own layer's headers, those of the layers listed for it
# below, and the public headers in include/; nothing else of ours. Lower
# layers never include higher ones, and the CLI is to be a client of the
# public API alone: what it still takes from inside is listed, file by
# file, as DEBT, so that no new file or include adds to it.
#
# Prints every violation as FILE:LINE: text and exits 1 if there is any.
# Run by "make check-layers" and by tests/cli/layers.sh ("make test").
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2

# layer: the other layers it may include (DESIGN.md, "Layers")
declare -A may=(
    [util]=""
    [wasm]=""
    [cbor]="util"
    [crypto]="util"
    [capsule]="cbor crypto util"
    [host]="cbor crypto util"
    [store]="util"
    [log]="store crypto util"
    [runtime]="host store log capsule cbor crypto util"
    [net]="runtime util"
    [cli]=""
)
# What the CLI still takes from inside the library (issue 12: to go).
DEBT="
src/cli/common.c util
src/cli/exec.c util
src/cli/export.c util
src/cli/import.c util
src/cli/ingest.c crypto util
src/cli/inputs.c util
src/cli/inspect.c crypto
src/cli/key.c crypto util
src/cli/ledger.c util
src/cli/main.c util
src/cli/log.c crypto util
src/cli/modules.c util
src/cli/pack.c crypto util
src/cli/policy.c crypto util
src/cli/results.c crypto
src/cli/run.c crypto util
"
bad=0
for dir in src/*/; do
    layer=$(basename "$dir")
    if [ -z "${may[$layer]+x}" ]; then
        echo "src/$layer/ is not in the layer table (scripts/check_layers.sh, DESIGN.md)"
        bad=1
    fi
done
table=$(for l in "${!may[@]}"; do echo "$l ${may[$l]}"; done)
# one pass over every include of ours in src/: FILE:LINE:TEXT
found=$(grep -rnE --include='*.c' --include='*.h' \
    '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' src 2>/dev/null |
    awk -v table="$table" -v debt="$DEBT" '
    BEGIN {
        n = split(table, t, "\n")
        for (i = 1; i <= n; i++) { k = split(t[i], w, " "); for (j = 2; j <= k; j++) ok[w[1] " " w[j]] = 1 }
        n = split(debt, t, "\n")
        for (i = 1; i <= n; i++) { k = split(t[i], w, " "); for (j = 2; j <= k; j++) owe[w[1] " " w[j]] = 1 }
    }
    {
        split($0, p, ":")
        file = p[1]
        split(file, d, "/")
        layer = d[2]
        text = substr($0, length(p[1]) + length(p[2]) + 3)
        other = text
        sub(/^[[:space:]]*#[[:space:]]*include[[:space:]]*"/, "", other)
        sub(/\/.*/, "", other)
        if (other == layer || (layer " " other) in ok) next
        if ((file " " other) in owe) { paid[file " " other] = 1; next }
        print "  " file ":" p[2] ": " text
    }
    END {
        # a debt paid off leaves the list with it, so the list only shrinks
        for (k in owe) if (!(k in paid)) print "  DEBT " k ": no longer included; remove it from the list"
    }')
if [ -n "$found" ]; then
    echo "includes against the layer table (DESIGN.md):"
    echo "$found"
    bad=1
fi
# The public headers stand alone: no internal header behind them.
pub=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' include/*.h 2>/dev/null)
if [ -n "$pub" ]; then
    echo "a public header includes an internal one:"
    echo "$pub" | sed 's/^/  /'
    bad=1
fi
[ $bad -eq 0 ] && echo "layers ok"
exit $bad
