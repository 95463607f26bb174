# log_cli.sh: kapsule log head|show|prove|consistency|verify|vkey on a store
# built by log_tool; proofs printed as JSON are checked against the
# independent reference (tests/tools/merkle_ref.py).
. "$(dirname "$0")/lib.sh"

TOOL="$PWD/$BUILD/tests/tools/log_tool"
REF_DIR="$PWD/tests/tools"
PY=/usr/bin/python3
SEED=$(printf '%064x' 77)
ORIGIN=example.org/kapsule-cli

expect_err "no store" "E_STORE_MISSING" 3 "$KAPSULE" log head
expect_ok "make a log of 300 entries" "$TOOL" build "$KAPSULE_HOME" 300
expect_err "no checkpoint yet" "E_NOT_FOUND" 1 "$KAPSULE" log head
expect_err "no key yet" "E_NOT_FOUND" 1 "$KAPSULE" log vkey
expect_ok "sign a checkpoint" sh -c "'$TOOL' checkpoint '$KAPSULE_HOME' $ORIGIN $SEED > '$T/note'"
expect_out "log head prints it" "$(cat "$T/note")" "$KAPSULE" log head
expect_out "log vkey" "$("$TOOL" vkey $ORIGIN $SEED)" "$KAPSULE" log vkey
expect_out "--store works too" "$("$TOOL" vkey $ORIGIN $SEED)" env KAPSULE_HOME=/nonexistent "$KAPSULE" log vkey --store "$KAPSULE_HOME"

# JSON proofs, checked against the reference
refcheck() { # KIND FILE ARGS...: compares kapsule's JSON with merkle_ref
    "$PY" - "$REF_DIR" "$@" <<'EOF'
import base64, json, sys
sys.path.insert(0, sys.argv[1])
import merkle_ref as m
kind, path = sys.argv[2], sys.argv[3]
j = json.load(open(path))
t = m.Tree(300)
b = lambda h: base64.b64encode(h).decode()
if kind == "incl":
    i, s = int(sys.argv[4]), int(sys.argv[5])
    want = {"index": i, "tree_size": s, "leaf_hash": b(t.leaves[i]), "root": b(t.mth(0, s)),
            "proof": [b(h) for h in t.path(i, 0, s)]}
else:
    a, c = int(sys.argv[4]), int(sys.argv[5])
    want = {"old_size": a, "new_size": c, "old_root": b(t.mth(0, a)), "new_root": b(t.mth(0, c)),
            "proof": [b(h) for h in t.proof(a, c)]}
assert j == want, "got %r\nwant %r" % (j, want)
EOF
}
expect_ok "log prove 123 --size 200" sh -c "'$KAPSULE' log prove 123 --size 200 > '$T/p1'"
expect_ok "matches the reference" refcheck incl "$T/p1" 123 200
expect_ok "log prove 299 (whole log)" sh -c "'$KAPSULE' log prove 299 > '$T/p2'"
expect_ok "matches the reference" refcheck incl "$T/p2" 299 300
expect_ok "log consistency 37 300" sh -c "'$KAPSULE' log consistency 37 300 > '$T/c1'"
expect_ok "matches the reference" refcheck cons "$T/c1" 37 300
expect_ok "log consistency 64 64" sh -c "'$KAPSULE' log consistency 64 64 > '$T/c2'"
expect_ok "matches the reference (empty proof)" refcheck cons "$T/c2" 64 64
expect_err "index beyond the tree" "E_LOG_RANGE" 1 "$KAPSULE" log prove 200 --size 200
expect_err "size beyond the log" "E_LOG_RANGE" 1 "$KAPSULE" log consistency 5 301
expect_exit "not a number" 2 "$KAPSULE" log prove 1x
expect_exit "negative" 2 "$KAPSULE" log prove -1
expect_exit "missing argument" 2 "$KAPSULE" log consistency 5
expect_exit "unknown subverb" 2 "$KAPSULE" log frob
expect_exit "unknown option" 2 "$KAPSULE" log head --frob
expect_ok "log --help" "$KAPSULE" log --help
expect_ok "log prove --help" "$KAPSULE" log prove --help

expect_out "log show 3" "3 $("$PY" -c "
import base64,hashlib;d=b'entry 3\n'*3
print(base64.b64encode(hashlib.sha256(b'\0'+d).digest()).decode(), base64.b64encode(d).decode())")" \
    "$KAPSULE" log show 3
expect_ok "log show --from 4 --to 6 --json" sh -c "'$KAPSULE' log show --from 4 --to 6 --json > '$T/s'"
check "three entries, the empty one included" "$PY" -c "
import json; j = json.load(open('$T/s')); assert [e['index'] for e in j] == [4, 5, 6]
assert j[1]['entry'] == ''"
expect_ok "log show (all)" sh -c "'$KAPSULE' log show > '$T/all'"
check "300 lines" [ "$(wc -l < "$T/all")" -eq 300 ]
expect_err "log show 300" "E_LOG_RANGE" 1 "$KAPSULE" log show 300

expect_out "log verify" "log ok: 300 entries, 596 nodes, 1 checkpoints" "$KAPSULE" log verify
expect_ok "log verify --json" sh -c "'$KAPSULE' log verify --json > '$T/v'"
check "ok true" "$PY" -c "import json; assert json.load(open('$T/v'))['ok'] is True"
OTHER=$("$TOOL" vkey $ORIGIN "$(printf '%064x' 1)")
expect_err "log verify --vkey of another key" "E_NOTE_UNVERIFIED: 1 problem" 1 "$KAPSULE" log verify --vkey "$OTHER"
"$PY" - "$KAPSULE_HOME/store.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TRIGGER log_entries_no_update")
db.execute("UPDATE log_entries SET data = CAST('forged' AS BLOB) WHERE idx = 42")
db.commit()
EOF
expect_err "log verify finds a forged entry" "E_LOG_TAMPERED: 2 problems; the first: log entry 42" 1 "$KAPSULE" log verify
check "and lists each problem" grep -q 'E_LOG_CHECKPOINT checkpoint 0 (size 300)' "$OUT"
expect_exit "log verify --json" 1 sh -c "'$KAPSULE' log verify --json > '$T/v2'"
check "ok false, entry 42 first" "$PY" -c "
import json; j = json.load(open('$T/v2')); assert j['ok'] is False
p = j['problems'][0]; assert (p['place'], p['index'], p['code']) == ('entry', 42, 'E_LOG_TAMPERED')"
# issue 19: every store on one host signed under "kapsule/<hostname>", each
# with its own key, so two stores' notes collided; now the origin names the
# node key too
for s in one two; do
    "$KAPSULE" key new --store "$T/o-$s" w >/dev/null
    echo "$s" >"$T/o-$s.txt"
    "$KAPSULE" pack --store "$T/o-$s" --type post --key w --body "$T/o-$s.txt" -o "$T/o-$s.kapsule" >/dev/null
    "$KAPSULE" ingest --store "$T/o-$s" "$T/o-$s.kapsule" >/dev/null 2>&1
done
o1=$("$KAPSULE" log head --store "$T/o-one" | head -1)
o2=$("$KAPSULE" log head --store "$T/o-two" | head -1)
check "an origin names the store's node key ($o1)" sh -c "echo '$o1' | grep -Eq '^kapsule/[A-Za-z0-9._-]+/[0-9a-f]{8}$'"
check "two stores on one host have two origins" [ "$o1" != "$o2" ]
finish
