#!/usr/bin/env bash
# tests/cli/demo.sh: the demo tells the truth (issue 19): it runs in a
# temporary store, and its report must agree with the store itself: the
# counts by final state, the forged capsule rejected as forged, and every
# input accounted for once.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! $PY -c "import cbor2" 2>/dev/null; then
    skip "demo" "python3-cbor2 is not installed (scripts/setup.sh installs it)"
    finish
    exit 0
fi
H="$T/demo"
cd "$(dirname "$0")/../.."
expect_ok "the demo runs" env KAPSULE_HOME="$H" BUILD="${BUILD:-build}" scripts/demo.sh
cp "$OUT" "$T/report"
DB="$H/store.db"
line=$(grep -E '^[0-9]+ input files' "$T/report")
n() { # the count of STATUS in the report's summary line
    echo "$line" | grep -oE "[0-9]+ $1" | grep -oE '^[0-9]+' || echo 0
}
files=$(ls "$H/inbox"/*.kapsule | wc -l)
check "the report counts every input file" [ "$(echo "$line" | grep -oE '^[0-9]+')" = "$files" ]
emitted=$(echo "$line" | grep -oE '[0-9]+ capsules emitted' | grep -oE '^[0-9]+')
total=$(($(n accepted) + $(n rejected) + $(n pending) + $(n duplicate)))
check "each input and emitted capsule is counted once ($total = $files + $emitted)" [ "$total" = $((files + emitted)) ]
check "accepted = capsules stored" [ "$(n accepted)" = "$(sqlite3 "$DB" 'SELECT count(*) FROM capsules')" ]
check "pending = capsules still waiting" [ "$(n pending)" = "$(sqlite3 "$DB" 'SELECT count(*) FROM pending')" ]
check "the forged capsule is rejected as forged" $PY -c "
import json, sys
rows = [json.loads(l) for l in open('$H/ingest.jsonl')]
f = [r for r in rows if r.get('file', '').endswith('forged-as-alice.kapsule')]
assert len(f) == 1 and f[0]['status'] == 'rejected' and f[0]['reason'] == 'E_SIG_INVALID', f"
check "the forgery claims alice's key and keeps mallory's signature" $PY -c "
import cbor2, glob, json, subprocess
f = glob.glob('$H/inbox/*forged-as-alice.kapsule')[0]
p = cbor2.loads(cbor2.loads(open(f, 'rb').read()).value[2])
alice = json.loads(subprocess.check_output(['$KAPSULE', 'key', 'show', 'alice', '--json'], env={'KAPSULE_HOME': '$H'}))
assert p['author'][1].hex() == alice['public_key'], 'author is not alice'"
check "the policy hash is printed once" [ "$(grep -c "$("$KAPSULE" policy hash "$H/policy.json")" "$T/report")" = 1 ]
check "one identity per line" [ "$(grep -cE '^  (alice|bob|mallory) +ed25519 +age1[a-z0-9]+$' "$T/report")" = 3 ]
expect_ok "the demo's store verifies" env KAPSULE_HOME="$H" "$KAPSULE" log verify
# issue 19: results and log entries are shown decoded, not as hex or base64
RANK=$($PY -c "import json; print(json.load(open('$H/inbox/ids.json'))['rank-all'])")
expect_ok "results of the rank capsule" env KAPSULE_HOME="$H" "$KAPSULE" results "$RANK" --json
check "the rank result is decoded from CBOR" $PY -c "
import json; r = json.load(open('$OUT'))
assert isinstance(r['result_cbor'], list) and len(r['result_cbor'][0][0]) == 64, r.get('result_cbor')"
expect_ok "results in text" env KAPSULE_HOME="$H" "$KAPSULE" results "$RANK"
check "shows the decoded result, not hex" grep -q '^result      \[\["' "$OUT"
expect_ok "log show 0 --json" env KAPSULE_HOME="$H" "$KAPSULE" log show 0 --json
check "the first entry is decoded: a module registration" $PY -c "
import json; e = json.load(open('$OUT'))[0]
assert e['decoded']['decision'] == 'module' and e['entry'], e"
expect_ok "log show 0" env KAPSULE_HOME="$H" "$KAPSULE" log show 0
check "in text, decoded too" grep -q '"decision":"module"' "$OUT"
finish
